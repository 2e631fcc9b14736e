"""The full page scanner: what bs4 with ``html.parser`` reads at the start of a page, without a tree.

:mod:`.pages` calls it when a page's fingerprint is wanted (it counts visible text) or when the
fast path in :mod:`.skim` cannot be sure of its answer; :mod:`.skim` also reuses it to read a
title's or a heading's content exactly, from the element's start tag on.
"""

from __future__ import annotations

import re
from html import unescape
from html.entities import html5
from typing import NamedTuple

from ..core.urls import join_url

PARSE_LIMIT = 128 * 1024
REFRESH = re.compile(r"^\s*(\d+(?:\.\d+)?)?\s*(?:[;,]\s*(?:url\s*=\s*)?(.*))?$", re.IGNORECASE | re.DOTALL)


# --- The scanner ---------------------------------------------------------------------------------
# It gives what bs4 with html.parser gave, without building a tree: the same tokens (a start tag
# ends at the first ">" outside a quoted attribute value; comments; <script>/<style> content is
# raw text up to its end tag), the same element stack (an end tag closes up to the latest open
# element of its name, or nothing; void elements never stay open), the same strings (the text
# between two events, entities decoded as bs4 decodes them) and the same string kinds (text under
# rt/rp/script/style/template is not text to bs4's get_text). It stops once every fact is known,
# which on an article is long before the end: the title and the canonical link sit in <head>, the
# heading and 2,000 visible characters come early in <body>. Only a meta refresh or a canonical
# link (or a late title or heading) may hide further on: one regex pass over the rest looks for
# them, and scanning goes on only as far as a candidate it finds.

_NAME = r"[a-zA-Z][^\t\n\r\f />\x00]*"
_SEP = r"(?:\s|/(?!>))*"
_VALUE = r"""\s*=+\s*('[^']*'|"[^"]*"|(?!['"])[^>\s]*)"""
_ATTRIBUTE = re.compile(rf"""(?<=['"\s/])([^\s/>][^\s/=>]*)(?:{_VALUE})?{_SEP}""")
_SEPARATOR = re.compile(_SEP)
_ATTRIBUTES = rf"""(?>{_SEP}(?:(?<=['"\s/])[^\s/>][^\s/=>]*(?:{_VALUE.replace("(", "(?:", 1)})?{_SEP})*)"""
_SPACE = "[ \t\n\r\f]"
#: A start tag as most are written (plain names, ``name="value"``), which html.parser reads the
#: same way and the engine matches twice as fast as the general form below.
_PLAIN_TAG = (
    rf"<([a-zA-Z][a-zA-Z0-9]*+)(?:{_SPACE}++[a-zA-Z_:@][-a-zA-Z0-9_:.@]*+"
    rf"""(?:=(?:"[^"]*+"|'[^']*+'|[^\s"'<>`=]++))?)*+{_SPACE}*+(/?)>"""
)
#: One token: a text run (1), a plain start tag (name 2, the "/" of "/>" 3), a plain end tag
#: (name 4) or any other complete start tag (5, 6). Anything else starting with "<" is rare and
#: goes through :func:`_markup`.
_TOKEN = re.compile(rf"([^<]+)|{_PLAIN_TAG}|</\s*([a-zA-Z][-.a-zA-Z0-9:_]*)\s*>|<({_NAME}){_ATTRIBUTES}(/?)>")
#: How html.parser measures a start tag that :data:`_TOKEN` did not take (so it is not one).
_TAG_PREFIX = re.compile(
    rf"""<{_NAME}(?:[\s/]*(?:(?<=['"\s/])[^\s/>][^\s/=>]*(?:{_VALUE.replace("(", "(?:", 1)}\s*)?{_SEP})*)?\s*"""
)
_TOLERANT_NAME = re.compile(_NAME)
_COMMENT_END = re.compile(r"--\s*>")
_DECLARATION_NAME = re.compile(r"[a-zA-Z][-_.a-zA-Z0-9]*\s*")
_SECTION_END = re.compile(r"]\s*]\s*>")
_CONDITIONAL_END = re.compile(r"]\s*>")
_RAW_END = {name: re.compile(rf"</\s*{name}\s*>", re.IGNORECASE) for name in ("script", "style")}
_TAIL = re.compile(r"<[ml][ei][tn][ak][\t\n\r\f />\x00]", re.IGNORECASE)
_TITLE_AHEAD = re.compile(r"<title[\t\n\r\f />\x00]", re.IGNORECASE)
_HEADING_AHEAD = re.compile(r"<h[12][\t\n\r\f />\x00]", re.IGNORECASE)
_REFRESH_HINT = re.compile(r"refresh|&", re.IGNORECASE)
_CANONICAL_HINT = re.compile(r"canonical|&", re.IGNORECASE)
_REFERENCE = re.compile(
    r"&(?:#([0-9]+|[xX][0-9a-fA-F]+)(?:;|(?![0-9a-fA-F]))|([a-zA-Z][-.a-zA-Z0-9]*)(?:;|(?![a-zA-Z0-9])))"
)
#: Named references as bs4 reads them in text: with or without ";", unknown names kept as "&name".
_ENTITIES: dict[str, str] = {}
for _key, _char in sorted(html5.items()):
    _ENTITIES.setdefault(_key.removesuffix(";"), _char)

# String kinds and element flags. A string under rt/rp/script/style/template is not text for
# get_text (bs4 gives it another class); script/style/noscript/template are cut before the
# visible text is taken; the first title and the first h1/h2 collect their strings.
_OTHER, _HIDDEN, _IN_TITLE, _IN_HEADING = 1, 2, 4, 8
_FLAGS = {"rt": _OTHER, "rp": _OTHER, "noscript": _HIDDEN, "template": _OTHER | _HIDDEN}
_VOID, _META, _LINK, _TITLE, _HEADING, _RAW, _FLAGGED = range(7)
_KINDS: dict[str, int] = {
    **dict.fromkeys(
        [
            "area",
            "base",
            "br",
            "col",
            "embed",
            "hr",
            "img",
            "input",
            "keygen",
            "menuitem",
            "param",
            "source",
            "track",
            "wbr",
            "basefont",
            "bgsound",
            "command",
            "frame",
            "image",
            "isindex",
            "nextid",
            "spacer",
        ],
        _VOID,
    ),
    "meta": _META,
    "link": _LINK,
    "title": _TITLE,
    "h1": _HEADING,
    "h2": _HEADING,
    "script": _RAW,
    "style": _RAW,
    **dict.fromkeys(_FLAGS, _FLAGGED),
}
_VISIBLE = 2000
_HEADING_MAX = 300
# What _markup found: text (no string boundary), nothing at all, a boundary (comment,
# declaration, processing instruction), a CDATA section (a string of its own), an end tag.
_TEXT, _NOTHING, _BOUNDARY, _CDATA, _END, _START = range(6)


def _reference(match: re.Match[str]) -> str:
    number = match.group(1)
    if number is None:
        name = match.group(2)
        return _ENTITIES.get(name, "&" + name)
    code = int(number[1:], 16) if number[0] in "xX" else int(number) if len(number) < 9 else 0x110000
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return "\ufffd"
    if 0x80 <= code <= 0x9F:
        # Windows-1252 bytes written as references; five of them have no character there.
        return bytes((code,)).decode("cp1252", "ignore") or chr(code)
    return chr(code)


def _decode(text: str) -> str:
    """Character references in text, decoded as bs4 does (not ``html.unescape``: see the tests)."""
    return _REFERENCE.sub(_reference, text) if "&" in text else text


def _attributes(text: str, start: int, end: int) -> dict[str, str]:
    """A start tag's attributes (``start`` just after its name), as html.parser reads them."""
    found: dict[str, str] = {}
    pos = _SEPARATOR.match(text, start, end).end()  # type: ignore[union-attr]
    while pos < end:
        match = _ATTRIBUTE.match(text, pos, end)
        if match is None:
            break
        value = match.group(2)
        if value is None:
            value = ""
        elif value[:1] in "'\"" and value[:1] == value[-1:] and len(value) > 1:
            value = value[1:-1]
        found[match.group(1).lower()] = unescape(value) if "&" in value else value
        pos = match.end()
    return found


def refresh_of(attrs: dict[str, str], base_url: str) -> tuple[float, str] | None:
    if attrs.get("http-equiv", "").strip().lower() != "refresh":
        return None
    match = REFRESH.match(attrs.get("content", ""))
    if match and match.group(2):
        target = match.group(2).strip().strip("'\"").strip()
        joined = join_url(base_url, target) if target else None
        if joined:
            return (float(match.group(1) or 0), joined)
    return None


def canonical_of(attrs: dict[str, str], base_url: str) -> str | None:
    href = attrs.get("href", "").strip()
    if href and "canonical" in attrs.get("rel", "").lower().split():
        return join_url(base_url, href)
    return None


def _give_up(text: str, i: int) -> tuple[int, int, str]:
    """What html.parser does with markup it cannot finish: text up to the next ">" (or "<")."""
    end = text.find(">", i + 1)
    if end >= 0:
        end += 1
    else:
        end = text.find("<", i + 1)
        if end < 0:
            end = i + 1
    return _TEXT, end, text[i:end]


def _markup(text: str, i: int) -> tuple[int, int, str]:
    """The rarer things a "<" at ``i`` starts: ``(what, where it ends, text or tag name)``."""
    after = text[i + 1 : i + 2]
    if after == "/":
        close = text.find(">", i + 1)
        if close < 0:
            return _give_up(text, i)
        name = _TOLERANT_NAME.match(text, i + 2)
        if name is None:
            return (_NOTHING, i + 3, "") if text.startswith("</>", i) else (_BOUNDARY, close + 1, "")
        return _END, close + 1, name.group().lower()
    if after == "!":
        if text.startswith("<!--", i):
            match = _COMMENT_END.search(text, i + 4)
            return (_BOUNDARY, match.end(), "") if match else _give_up(text, i)
        if text.startswith("<![", i):
            return _marked_section(text, i)
        close = text.find(">", i + 9 if text[i : i + 9].lower() == "<!doctype" else i + 2)
        return (_BOUNDARY, close + 1, "") if close >= 0 else _give_up(text, i)
    if after == "?":
        close = text.find(">", i + 2)
        return (_BOUNDARY, close + 1, "") if close >= 0 else _give_up(text, i)
    if after.isascii() and after.isalpha():
        # A start tag html.parser does not finish: it becomes text.
        end = _TAG_PREFIX.match(text, i).end()  # type: ignore[union-attr]
        following = text[end : end + 1]
        if not following or following == "/" or (following.isascii() and following.isalpha()) or following == "=":
            return _give_up(text, i)
        return _TEXT, end, text[i:end]
    return _TEXT, i + 1, "<"


def _marked_section(text: str, i: int) -> tuple[int, int, str]:
    """``<![CDATA[...]]>`` is text; ``<![if ...]>`` and friends are not."""
    name = _DECLARATION_NAME.match(text, i + 3)
    if i + 3 >= len(text) or (name is not None and name.end() == len(text)):
        return _give_up(text, i)
    keyword = name.group().strip().lower() if name else ""
    if keyword in ("temp", "cdata", "ignore", "include", "rcdata"):
        close = _SECTION_END.search(text, i + 3)
    elif keyword in ("if", "else", "endif"):
        close = _CONDITIONAL_END.search(text, i + 3)
    else:
        # html.parser raises here (and bs4 rejects the whole page); a bogus comment is kinder.
        end = text.find(">", i + 2)
        return (_BOUNDARY, end + 1, "") if end >= 0 else _give_up(text, i)
    if close is None:
        return _give_up(text, i)
    data = text[i + 3 : close.start()]
    if data[:6].upper() == "CDATA[":
        return _CDATA, close.end(), data[6:]
    return _BOUNDARY, close.end(), ""


class Scan(NamedTuple):
    """Where a scan stopped and what it found (strings as read, not yet joined)."""

    pos: int
    title_parts: list[str]
    heading_parts: list[str]
    title_seen: bool
    heading_seen: bool
    heading_length: int
    refresh: tuple[float, str] | None
    canonical: str | None
    #: Collapsed length of the visible strings, one separator each (0 when not counted).
    visible: int
    #: The flags in force where a local scan stopped (0 once its element is closed).
    flags: int


def scan(
    text: str,
    base_url: str,
    pos: int = 0,
    *,
    opened: str = "",
    flags: int = 0,
    title_seen: bool = False,
    heading_seen: bool = False,
    refresh: tuple[float, str] | None = None,
    canonical: str | None = None,
    count: bool = True,
) -> Scan | None:
    """Read ``text`` (already cut to :data:`PARSE_LIMIT`) from ``pos`` as html.parser and bs4 would.

    A whole-page scan (``opened`` empty) stops once every fact is known; ``count`` says whether
    visible text is counted too (for the fingerprint only). A local scan starts just inside the
    start tag of ``opened`` (whose flags are ``flags``) and stops when that element is closed,
    or when only an overlong heading is left; it gives up (None) on an end tag it cannot match,
    since only the elements opened before ``opened`` (which it does not know) could match it.
    """
    size = len(text)
    token = _TOKEN.match
    kinds = _KINDS
    local = bool(opened)
    names: list[str] = [opened] if local else []  # the open elements, innermost last
    levels: list[int] = [flags] if local else []  # the flags in force inside each of them
    closed_voids: dict[str, int] = {}  # void start tags whose optional end tag is still to come
    pending = ""  # the string being read: text since the last event that ends one
    title_parts: list[str] = []
    heading_parts: list[str] = []
    heading_length = 0
    visible = 0 if count else _VISIBLE + 1  # collapsed lengths, one separator per string included
    settle_at = size  # where to look again at what is still unknown
    while True:
        if pos >= settle_at:
            if pos >= size:
                break
            if local:
                if heading_length > _HEADING_MAX and not flags & _IN_TITLE:
                    break
                settle_at = size
            else:
                settle_at = _settle(
                    text, pos, flags, visible, heading_length, title_seen, heading_seen, refresh, canonical
                )
                if settle_at < 0:
                    break
        match = token(text, pos)
        if match is not None and match.lastindex == 1:
            if visible <= _VISIBLE or flags & (_IN_TITLE | _IN_HEADING):
                run = match.group(1)
                pending = pending + _decode(run) if pending else _decode(run)
            pos = match.end()
            continue
        string = ""
        if match is None:
            what, end, string = _markup(text, pos)
            if what == _TEXT:
                if visible <= _VISIBLE or flags & (_IN_TITLE | _IN_HEADING):
                    pending += string
                pos = end
                continue
            if what == _NOTHING:
                pos = end
                continue
        else:
            group = match.lastindex or 0
            what = _END if group == 4 else _START
            end = match.end()
            string = match.group(4) or ""
        if what == _END:
            string = string.lower()
            if closed_voids.get(string):
                # The end tag of a void element already closed: bs4 ignores it, string and all.
                closed_voids[string] -= 1
                pos = end
                continue
        if pending:
            # The string ends here; what it counts for depends on the elements around it.
            if not flags & _OTHER:
                length = len(" ".join(pending.split()))
                if length:
                    if flags & _IN_TITLE:
                        title_parts.append(pending)
                    if flags & _IN_HEADING:
                        heading_parts.append(pending)
                        heading_length += length + 1
                        if heading_length > _HEADING_MAX:
                            settle_at = pos
                    if not flags & _HIDDEN and visible <= _VISIBLE:
                        visible += length + 1
                        if visible > _VISIBLE:
                            settle_at = pos
            pending = ""
        pos = end
        if what == _START:
            name = match.group(group - 1).lower()  # type: ignore[union-attr]
            slash = match.group(group)  # type: ignore[union-attr]
            kind = kinds.get(name)
            if kind is None:
                if not slash:
                    names.append(name)
                    levels.append(flags)
                continue
            if kind <= _LINK:
                start = match.end(group - 1)  # type: ignore[union-attr]
                if kind == _META and refresh is None and _REFRESH_HINT.search(text, start, end):
                    refresh = refresh_of(_attributes(text, start, end), base_url)
                    settle_at = pos
                elif kind == _LINK and canonical is None and _CANONICAL_HINT.search(text, start, end):
                    canonical = canonical_of(_attributes(text, start, end), base_url)
                    settle_at = pos
                if not slash:
                    closed_voids[name] = closed_voids.get(name, 0) + 1
                continue
            inner = flags
            if kind == _TITLE:
                if not title_seen:
                    title_seen = True
                    inner |= _IN_TITLE
                    settle_at = pos
            elif kind == _HEADING:
                if not heading_seen:
                    heading_seen = True
                    inner |= _IN_HEADING
                    settle_at = pos
            elif kind == _RAW:
                inner |= _OTHER | _HIDDEN
            else:
                inner |= _FLAGS[name]
            if slash:
                continue
            if kind == _RAW:
                # Raw text up to the end tag (none: html.parser drops the rest of the page).
                close = _RAW_END[name].search(text, pos)
                if close is None:
                    pos = size
                    break
                pos = close.end()
                continue
            names.append(name)
            levels.append(inner)
            flags = inner
            continue
        if what == _CDATA:
            # A CDATA section is a string of its own, text even under rt/rp.
            length = len(" ".join(string.split()))
            if length:
                if flags & _IN_TITLE:
                    title_parts.append(string)
                if flags & _IN_HEADING:
                    heading_parts.append(string)
                    heading_length += length + 1
                if not flags & _HIDDEN and visible <= _VISIBLE:
                    visible += length + 1
                settle_at = pos
            continue
        if what != _END:
            continue
        name = string
        # An end tag: close up to the latest open element of that name, if there is one.
        if names and names[-1] == name:
            names.pop()
            levels.pop()
        elif name in names:
            index = len(names) - 1 - names[::-1].index(name)
            del names[index:], levels[index:]
        elif local:
            return None
        else:
            continue
        before = flags
        flags = levels[-1] if levels else 0
        if local and not names:
            break
        if before != flags:
            settle_at = pos
    if pending and not flags & _OTHER:
        if flags & _IN_TITLE:
            title_parts.append(pending)
        if flags & _IN_HEADING:
            heading_parts.append(pending)
        length = len(" ".join(pending.split()))
        if length and not flags & _HIDDEN and visible <= _VISIBLE:
            visible += length + 1
    return Scan(
        pos, title_parts, heading_parts, title_seen, heading_seen, heading_length, refresh, canonical, visible, flags
    )


def _settle(
    text: str,
    pos: int,
    flags: int,
    visible: int,
    heading_length: int,
    title_seen: bool,
    heading_seen: bool,
    refresh: tuple[float, str] | None,
    canonical: str | None,
) -> int:
    """How far scanning must still go: -1 when every fact is known, else a position to look again."""
    if visible <= _VISIBLE or flags & _IN_TITLE or (flags & _IN_HEADING and heading_length <= _HEADING_MAX):
        return len(text)
    ahead = []
    if not title_seen and (match := _TITLE_AHEAD.search(text, pos)):
        ahead.append(match.start())
    if not heading_seen and (match := _HEADING_AHEAD.search(text, pos)):
        ahead.append(match.start())
    if refresh is None or canonical is None:
        for candidate in _TAIL.finditer(text, pos):
            tag = _TOKEN.match(text, candidate.start())
            group = tag.lastindex if tag else 0
            if tag is None or group not in (3, 6):
                continue
            name = tag.group(group - 1).lower()
            attrs = _attributes(text, tag.end(group - 1), tag.end())
            if (refresh is None and name == "meta" and refresh_of(attrs, "http://x/") is not None) or (
                canonical is None and name == "link" and canonical_of(attrs, "http://x/") is not None
            ):
                ahead.append(candidate.start())
                break
    return min(ahead) + 1 if ahead else -1
