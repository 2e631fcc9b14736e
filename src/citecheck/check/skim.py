"""The fast path of the page reader: the title, first heading, refresh and canonical, no more.

Every checked page is read, and on an article most of what lies between the title and the
first heading (a navigation menu of hundreds of tags) says nothing about those facts. Rather
than walk it tag by tag in Python, one regex match skips every run of text and every ordinary
tag; Python only looks at what can matter: a comment or declaration, ``<script>``/``<style>``
(raw text, skipped to its end tag), the title and heading start tags (whose content
:func:`.scanner.scan` then reads exactly) and a meta or link tag that might be a refresh or
canonical. Once the title and heading are known, one search over the rest finds the next meta
or link tag that might still matter, if any. The open-element stack is not kept, so anything
that would need it (an ``rt``/``rp``/``template`` element before the title or heading, an end
tag inside their content that does not close an element opened there) sends the page to the
full scanner instead: the answer is the scanner's, only sooner.
"""

from __future__ import annotations

import re
from functools import cache

from .scanner import (
    _CANONICAL_HINT,
    _FLAGGED,
    _FLAGS,
    _HEADING,
    _HEADING_AHEAD,
    _IN_HEADING,
    _IN_TITLE,
    _KINDS,
    _LINK,
    _META,
    _OTHER,
    _RAW,
    _RAW_END,
    _REFRESH_HINT,
    _TITLE,
    _TITLE_AHEAD,
    _TOKEN,
    Scan,
    _attributes,
    _markup,
    canonical_of,
    refresh_of,
    scan,
)

__all__ = ["skim"]

# The pieces of the scanner's plain start tag (``_PLAIN_TAG``), which html.parser reads the same
# way: every tag the skipping regex consumes is one the scanner would read with the same extent.
_SPACE = "[ \t\n\r\f]"
_NAME_CHAR = "[-a-zA-Z0-9_:.@]"
_ATTRIBUTE_NAME = rf"[a-zA-Z_:@]{_NAME_CHAR}*+"


def _value(excluded: str = "") -> str:
    """An attribute value of a plain tag; ``excluded`` characters make it not match at all."""
    return rf"""(?:"[^"{excluded}]*+"|'[^'{excluded}]*+'|[^\s"'<>`={excluded}]++)"""


def _plain_tag(name: str, special: str = "", letters: str = "") -> str:
    """A plain start tag ``name``; an attribute ``special`` must have a value without ``letters``.

    Such a meta tag cannot be a refresh (no "r" in http-equiv, no reference that could spell
    one), such a link cannot be canonical: the regex may skip them.
    """
    attribute = rf"{_ATTRIBUTE_NAME}(?:={_value()})?"
    if special:
        exact = rf"(?i:{special})(?!{_NAME_CHAR})"
        attribute = rf"(?:(?!{exact}){attribute}|{exact}(?:={_value(letters)})?)"
    return rf"<{name}(?:{_SPACE}++{attribute})*+{_SPACE}*+/?>"


@cache
def _skipper(title: bool, heading: bool, refresh: bool, canonical: bool) -> re.Pattern[str]:
    """Text and start/end tags that cannot matter while the flagged facts are still unknown."""
    stops = ["script", "style", *_FLAGS]
    stops.remove("noscript")  # hides text from the fingerprint only
    if title:
        stops.append("title")
    if heading:
        stops += ["h1", "h2"]
    branches = [r"[^<]++", r"</\s*[a-zA-Z][-.a-zA-Z0-9:_]*\s*>"]
    if refresh:
        stops.append("meta")
        branches.append(_plain_tag("(?i:meta)", "http-equiv", "rR&"))
    if canonical:
        stops.append("link")
        branches.append(_plain_tag("(?i:link)", "rel", "cC&"))
    branches.insert(2, _plain_tag(rf"(?!(?i:{'|'.join(stops)})(?![a-zA-Z0-9]))[a-zA-Z][a-zA-Z0-9]*+"))
    return re.compile(f"(?:{'|'.join(branches)})*+")


@cache
def _candidates(refresh: bool, canonical: bool) -> re.Pattern[str]:
    """Meta or link tags that might give a refresh or a canonical, found by a single search.

    A tag qualifies when a hint (the word, or "&" for a reference) comes before its first ">",
    or when a quote that ``>`` follows (before the next such quote) does: only then can the tag
    go on past that ``>`` inside a quoted value. Each candidate is then read exactly.
    """
    names, hints, letters = [], [], ""
    if refresh:
        names.append("[mM][eE][tT][aA]")
        hints.append("[rR][eE][fF][rR][eE][sS][hH]")
        letters += "rR"
    if canonical:
        names.append("[lL][iI][nN][kK]")
        hints.append("[cC][aA][nN][oO][nN][iI][cC][aA][lL]")
        letters += "cC"
    hint = "|".join([*hints, "&"])
    return re.compile(
        rf"""<(?:{"|".join(names)})(?=[\t\n\r\f /\x00])"""
        rf"""(?:[^>{letters}&"']++|(?!{hint})[{letters}]|"(?![^">]*+>)|'(?![^'>]*+>))*+[^>]"""
    )


def skim(text: str, base_url: str) -> Scan | None:
    """The facts of ``text`` (cut to the parse limit) without the fingerprint, or None if unsure."""
    size = len(text)
    token = _TOKEN.match
    kinds = _KINDS
    title_parts: list[str] = []
    heading_parts: list[str] = []
    title_seen = heading_seen = False
    need_title = need_heading = True  # not seen, and a start tag may still come
    refresh: tuple[float, str] | None = None
    canonical: str | None = None
    title_at = heading_at = -1
    pos = 0
    while pos < size:
        if need_title and title_at < pos:
            found = _TITLE_AHEAD.search(text, pos)
            need_title = found is not None
            title_at = found.start() if found else size
        if need_heading and heading_at < pos:
            found = _HEADING_AHEAD.search(text, pos)
            need_heading = found is not None
            heading_at = found.start() if found else size
        if need_title or need_heading:
            limit = size
        elif refresh is None or canonical is None:
            found = _candidates(refresh is None, canonical is None).search(text, pos)
            if found is None:
                break
            limit = found.start() + 1  # the skipping stops at the candidate, or before it
        else:
            break
        skipped = _skipper(need_title, need_heading, refresh is None, canonical is None).match(text, pos, limit)
        pos = skipped.end()  # type: ignore[union-attr]  # the pattern matches the empty string
        if pos >= limit:
            continue
        # One token, read as the scanner reads it.
        match = token(text, pos)
        if match is None:
            pos = _markup(text, pos)[1]
            continue
        group = match.lastindex or 0
        end = match.end()
        if group in (1, 4):
            pos = end
            continue
        name = match.group(group - 1).lower()
        slash = match.group(group)
        kind = kinds.get(name)
        pos = end
        if (kind == _TITLE and not title_seen) or (kind == _HEADING and not heading_seen):
            if slash:  # seen, and empty
                title_seen = title_seen or kind == _TITLE
                heading_seen = heading_seen or kind == _HEADING
                need_title, need_heading = need_title and not title_seen, need_heading and not heading_seen
                continue
            read = scan(
                text,
                base_url,
                pos,
                opened=name,
                flags=_IN_TITLE if kind == _TITLE else _IN_HEADING,
                title_seen=title_seen or kind == _TITLE,
                heading_seen=heading_seen or kind == _HEADING,
                refresh=refresh,
                canonical=canonical,
                count=False,
            )
            if read is None:
                return None
            if not title_seen and read.title_seen:
                title_seen, title_parts = True, read.title_parts
            if not heading_seen and read.heading_seen:
                heading_seen, heading_parts = True, read.heading_parts
            need_title, need_heading = need_title and not title_seen, need_heading and not heading_seen
            if read.flags & _OTHER and (need_title or need_heading):
                return None  # stopped inside rt/rp/template, whose end it will not see
            refresh, canonical, pos = read.refresh, read.canonical, read.pos
        elif kind in (_META, _LINK):
            start = match.end(group - 1)
            if kind == _META and refresh is None and _REFRESH_HINT.search(text, start, end):
                refresh = refresh_of(_attributes(text, start, end), base_url)
            elif kind == _LINK and canonical is None and _CANONICAL_HINT.search(text, start, end):
                canonical = canonical_of(_attributes(text, start, end), base_url)
        elif kind == _RAW and not slash:
            close = _RAW_END[name].search(text, pos)
            if close is None:
                break  # html.parser drops the rest of the page
            pos = close.end()
        elif kind == _FLAGGED and name != "noscript" and (need_title or need_heading):
            return None  # its strings are not text until it is closed, which needs the stack
    return Scan(pos, title_parts, heading_parts, title_seen, heading_seen, 0, refresh, canonical, 0, 0)
