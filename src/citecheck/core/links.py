"""A link as found in an article: what was written, exactly where, and in what syntax.

Positions are in characters of the decoded text (a Python ``str``), so ``text[start:end]`` is
exactly the characters that spell the URL in the source (``raw``), and rewriting a link means
replacing that slice and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["Link", "LinkKind", "Syntax"]


class LinkKind(StrEnum):
    """How the article cites the URL."""

    INLINE = "inline"  # Markdown [text](url)
    IMAGE = "image"  # Markdown ![alt](url)
    REFERENCE = "reference"  # Markdown [label]: url definition
    AUTOLINK = "autolink"  # Markdown <url>, or <url> in plain text
    BARE = "bare"  # a URL in running text
    WIKI = "wiki"  # [[url]] or [[url|label]], in Markdown or plain text
    ATTRIBUTE = "attribute"  # HTML a[href], blockquote[cite], q[cite], ...


class Syntax(StrEnum):
    """The lexical context of ``raw``: decides how a replacement URL must be written back."""

    PLAIN = "plain"  # written as is (plain text, Markdown bare URLs and autolinks)
    MARKDOWN_DESTINATION = "markdown-destination"  # inside ( ) or a reference definition, no <>
    MARKDOWN_ANGLE = "markdown-angle"  # inside <...> as a link destination
    HTML_DOUBLE = "html-double"  # HTML attribute value in double quotes
    HTML_SINGLE = "html-single"  # HTML attribute value in single quotes
    HTML_UNQUOTED = "html-unquoted"  # HTML attribute value without quotes


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    """One cited URL in one document.

    ``url`` is the URL the source means (HTML entities and Markdown backslash escapes undone);
    ``raw`` is how it is spelled, ``text[start:end] == raw``. ``line`` and ``column`` are
    1-based and count characters. ``text`` is the link text (Markdown) or element text (HTML)
    when there is one.
    """

    url: str
    raw: str
    start: int
    end: int
    line: int
    column: int
    kind: LinkKind
    syntax: Syntax = Syntax.PLAIN
    text: str | None = None
    #: For HTML: the element and attribute, e.g. ``a[href]``.
    element: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "raw": self.raw,
            "start": self.start,
            "end": self.end,
            "line": self.line,
            "column": self.column,
            "kind": self.kind.value,
            "syntax": self.syntax.value,
            "text": self.text,
            "element": self.element,
        }
