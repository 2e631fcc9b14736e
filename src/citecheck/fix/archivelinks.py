"""Where and how to add an archive link next to a citation (``--fix --archive-links``).

HTML gets Robust Links attributes on the ``<a>`` itself (``data-versionurl`` and
``data-versiondate``), so the visible text does not change. Markdown gets `` ([archived](<url>))``
after the link, plain text `` (archived: url)``; after a wiki link's ``]]``, not inside it. Each
insertion is recognised on the next run, so adding archive links is idempotent.
"""

from __future__ import annotations

import html

from ..core.links import Link, LinkKind, Syntax
from ..core.snapshot import Snapshot

__all__ = ["archive_insertion"]

MARKDOWN_STYLE = " ([archived](<{url}>))"
TEXT_STYLE = " (archived: {url})"


def archive_insertion(text: str, link: Link, snapshot: Snapshot, *, format: str) -> tuple[int, str] | None:
    """``(position, text to insert)`` for ``snapshot`` next to ``link``, or None to add nothing."""
    url = snapshot.memento_url
    if link.url == url:
        return None  # the archive link itself
    if format == "html":
        return _html(text, link, url, snapshot.captured_at.date().isoformat())
    if format == "markdown":
        end = _markdown_end(text, link)
        style = MARKDOWN_STYLE
    else:
        end = link.end + 1 if link.kind is LinkKind.AUTOLINK else link.end
        if link.kind is LinkKind.WIKI:
            end = _wiki_end(text, link)
        style = TEXT_STYLE
    if end is None or any(c in url for c in "<> \n"):
        return None
    marker = style.split("{url}")[0]
    if text.startswith(marker, end):
        return None  # already there
    return end, style.format(url=url)


def _html(text: str, link: Link, url: str, date: str) -> tuple[int, str] | None:
    if link.element != "a[href]":
        return None
    tag_start = text.rfind("<", 0, link.start)
    tag_end = text.find(">", link.end)
    if tag_start < 0 or tag_end < 0 or "data-versionurl" in text[tag_start:tag_end].lower():
        return None
    quoted = link.syntax in (Syntax.HTML_DOUBLE, Syntax.HTML_SINGLE)
    position = link.end + 1 if quoted else link.end
    return position, f' data-versionurl="{html.escape(url, quote=True)}" data-versiondate="{date}"'


def _markdown_end(text: str, link: Link) -> int | None:
    """Where the whole Markdown link construct ends, or None when adding after it is unsafe."""
    if link.kind is LinkKind.BARE:
        return link.end
    if link.kind is LinkKind.AUTOLINK:
        return link.end + 1 if text.startswith(">", link.end) else None
    if link.kind is LinkKind.WIKI:
        return _wiki_end(text, link)
    if link.kind not in (LinkKind.INLINE, LinkKind.IMAGE):
        return None  # a reference definition: the archive link belongs to the text, not here
    i = link.end
    if link.syntax is Syntax.MARKDOWN_ANGLE:
        if not text.startswith(">", i):
            return None
        i += 1
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    if i < len(text) and text[i] in "\"'(":
        closing = ")" if text[i] == "(" else text[i]
        i += 1
        while i < len(text) and text[i] != closing:
            i += 2 if text[i] == "\\" else 1
        i += 1
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
    return i + 1 if text.startswith(")", i) else None


def _wiki_end(text: str, link: Link) -> int | None:
    """After the ``]]`` that closes a wiki link (its label may follow the URL), on the same line."""
    line_end = text.find("\n", link.end)
    close = text.find("]]", link.end, len(text) if line_end < 0 else line_end)
    return None if close < 0 else close + 2
