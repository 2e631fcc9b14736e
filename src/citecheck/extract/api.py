"""The extraction entry points: pick the finder for a file, and write URLs back safely.

:func:`encode_url` is the inverse of extraction for one link: what to put at
``text[link.start:link.end]`` so that the document then means the new URL, in the same syntax,
without disturbing anything around it. It escapes with the syntax's own escapes where one
exists (Markdown backslashes, HTML character references), so the re-extracted ``url`` is the
new URL exactly; where none exists (bare URLs, autolinks, spaces and controls in Markdown
destinations) it percent-encodes, which gives an equivalent URL.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from ..core.links import Link, LinkKind, Syntax
from .text import SCHEME, STOP_CHARS, TRAILING, extract_text, is_link

__all__ = ["FORMATS", "encode_url", "extract_links", "format_for_path"]

FORMATS = ("text", "markdown", "html")
_SUFFIXES = {
    **dict.fromkeys((".md", ".markdown", ".mdown", ".mkd", ".mkdn"), "markdown"),
    **dict.fromkeys((".html", ".htm", ".xhtml"), "html"),
}
#: An ``&`` that Markdown would read as the start of an entity.
_MD_ENTITY = re.compile(r"&(?=[A-Za-z#][A-Za-z0-9]{1,31};)")
_BRACKETS = {"(": ")", "[": "]", "{": "}"}


def format_for_path(name: str) -> str:
    """The extraction format for a file name, by its extension (anything unknown is text)."""
    return _SUFFIXES.get(PurePath(name).suffix.lower(), "text")


def extract_links(text: str, format: str) -> list[Link]:
    """Every cited URL in ``text``, sorted by start and non-overlapping.

    ``format`` is ``"text"``, ``"markdown"`` or ``"html"``; the Markdown and HTML parsers are
    imported only when used.
    """
    if format == "text":
        return extract_text(text)
    if format == "markdown":
        from .markdown import extract_markdown

        return extract_markdown(text)
    if format == "html":
        from .html import extract_html

        return extract_html(text)
    raise ValueError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")


def _percent(ch: str) -> str:
    return "".join(f"%{byte:02X}" for byte in ch.encode("utf-8"))


def _unbalanced(url: str, pairs: dict[str, str], start: int = 0) -> set[int]:
    """Indexes of brackets in ``url[start:]`` that have no partner."""
    closers = {close: open_ for open_, close in pairs.items()}
    stack: list[int] = []
    lonely: set[int] = set()
    for i in range(start, len(url)):
        ch = url[i]
        if ch in pairs:
            stack.append(i)
        elif ch in closers:
            if stack and url[stack[-1]] == closers[ch]:
                stack.pop()
            else:
                lonely.add(i)
    return lonely | set(stack)


def _encode_bare(url: str, kind: LinkKind) -> str:
    """A bare URL, autolink or wiki link: percent-encode whatever would end it early or change its reading."""
    if kind is not LinkKind.AUTOLINK and not re.match(r"https?://", url, re.IGNORECASE):
        raise ValueError(f"a bare URL must start with http:// or https://: {url!r}")
    if kind is LinkKind.AUTOLINK and not SCHEME.match(url):
        raise ValueError(f"an autolink needs a URI scheme: {url!r}")
    stop = set(STOP_CHARS)
    if kind is LinkKind.AUTOLINK:
        out = [_percent(ch) if ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F or ch in stop else ch for ch in url]
        return "".join(out)
    host_end = re.match(r"[^:]*://[^/?#]*", url)
    path = host_end.end() if host_end else 0
    lonely = _unbalanced(url, {"(": ")", "{": "}"})
    entities = {m.start() for m in _MD_ENTITY.finditer(url)}
    out = []
    for i, ch in enumerate(url):
        special = ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F or ch in stop or ch in "\\|"
        # [ ] outside the host would let Markdown see link syntax (or close a wiki link); a
        # single quote or apostrophe not inside a word could close a quote opened before the
        # URL, or open one that something after the URL closes.
        quote = ch in "'\u2019" and not (url[i - 1 : i].isalnum() and url[i + 1 : i + 2].isalnum())
        special = special or (i >= path and ch in "[]") or quote or i in lonely or i in entities
        out.append(_percent(ch) if special else ch)
    if out and out[-1] in TRAILING:  # a trailing "." or "_" would be read as punctuation
        out[-1] = _percent(out[-1])
    encoded = "".join(out)
    if not is_link(encoded, kind):
        raise ValueError(f"a bare URL needs a host that can be a host: {url!r}")
    return encoded


def _encode_markdown(url: str, angle: bool) -> str:
    """A Markdown destination: backslash-escape what has a meaning there; percent-encode the rest."""
    lonely = set() if angle else _unbalanced(url, {"(": ")"})
    if not angle and url.count("(") > 32:  # markdown-it gives up on deeper nesting
        lonely |= {i for i, ch in enumerate(url) if ch in "()"}
    entities = {m.start() for m in _MD_ENTITY.finditer(url)}
    out = []
    for i, ch in enumerate(url):
        if ord(ch) < 0x20 or ord(ch) == 0x7F or (ch == " " and not angle):
            out.append(_percent(ch))
        elif ch == "`":  # a backtick could close a code span opened before the link
            out.append("%60")
        elif ch in "\\<>|" or i in lonely or i in entities:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _encode_html(url: str, syntax: Syntax, raw: str) -> str:
    """An HTML attribute value: character references for what would end or change it.

    An ``&`` becomes ``&amp;`` unless the original value was written with bare ampersands and
    this one cannot be read as a character reference: a rewrite keeps the author's style.
    """
    from .html import starts_reference, unescape_attribute

    bare_amps = "&" in raw and unescape_attribute(raw) == raw
    escapes = {"\t": "&#9;", "\n": "&#10;", "\f": "&#12;", "\r": "&#13;"}
    if syntax is Syntax.HTML_DOUBLE:
        escapes['"'] = "&quot;"
    elif syntax is Syntax.HTML_SINGLE:
        escapes["'"] = "&#39;"
    else:
        escapes.update({" ": "&#32;", '"': "&quot;", "'": "&#39;", "<": "&lt;", ">": "&gt;", "=": "&#61;"})
        escapes["`"] = "&#96;"
    out = []
    edges = len(url) - len(url.lstrip(" ")), len(url.rstrip(" "))
    for i, ch in enumerate(url):
        if ch == " " and not edges[0] <= i < edges[1]:  # extraction trims literal edge spaces
            out.append("&#32;")
        elif ch == "&":
            out.append("&" if bare_amps and not starts_reference(url, i) else "&amp;")
        else:
            out.append(escapes.get(ch, ch))
    return "".join(out)


def encode_url(link: Link, url: str) -> str:
    """The raw text to put at ``text[link.start:link.end]`` so the document means ``url`` there.

    Raises ``ValueError`` for an empty URL, and for a bare link whose new URL would not be
    found again (it must be http(s), and a bare one needs a valid host).
    """
    if not url:
        raise ValueError("cannot write an empty URL")
    if link.syntax is Syntax.PLAIN:
        return _encode_bare(url, link.kind)
    if link.syntax in (Syntax.MARKDOWN_DESTINATION, Syntax.MARKDOWN_ANGLE):
        return _encode_markdown(url, angle=link.syntax is Syntax.MARKDOWN_ANGLE)
    return _encode_html(url, link.syntax, link.raw)
