"""What the start of an HTML page says about itself: title, meta refresh, canonical, and tells.

Every checked page is read, so the reader is a hand-written scanner over the first 128 KiB that
stops as soon as it knows the facts, rather than a parser building a tree (issue #10: bs4 took
tens of milliseconds per article). It gives what bs4 with ``html.parser`` gave on the same text;
``tests/pages_oracle.py`` keeps that reader and ``tests/test_pages.py`` compares the two.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from html import unescape
from html.entities import html5
from typing import TYPE_CHECKING
from urllib.parse import urljoin

if TYPE_CHECKING:
    from ..net.exchange import Exchange

__all__ = ["PageFacts", "looks_like_challenge", "looks_not_found", "page_facts", "read_page"]

_PARSE_LIMIT = 128 * 1024

# "Page not found" in the languages citations come in, matched in the title and first heading.
# Only phrases that an article would not use as a headline: "not found" alone counts only when
# it is a whole segment of the title ("Not Found | Example News"), never inside a sentence.
_NOT_FOUND = re.compile(
    r"page not found|404 not found|error 404|404 error|file not found|page (?:does not|doesn't|could not|cannot) "
    r"(?:exist|be found)|seite nicht gefunden|seite wurde nicht gefunden|fehler 404|"
    r"página no encontrada|pagina no encontrada|página não encontrada|pagina nao encontrada|"
    r"page introuvable|page non trouvée|erreur 404|pagina non trovata|pagina niet gevonden|"
    r"strona nie została znaleziona|страница не найдена|ошибка 404|сторінку не знайдено|"
    r"ページが見つかりません|找不到页面|页面不存在|페이지를 찾을 수 없습니다|sayfa bulunamadı|"
    r"sidan kunde inte hittas|siden blev ikke fundet|sivua ei löytynyt",
    re.IGNORECASE,
)
_SEGMENTS = re.compile(r"\s+[|\-–—:·»]\s+|\s*[|·»]\s*")
_BARE_SEGMENTS = {"404", "not found", "404 not found", "nicht gefunden", "no encontrado", "introuvable"}
_CHALLENGE_TITLES = re.compile(
    r"just a moment|attention required|checking your browser|verify you are human|ddos-guard|"
    r"access denied|are you a robot|captcha|security check",
    re.IGNORECASE,
)
_REFRESH = re.compile(r"^\s*(\d+(?:\.\d+)?)?\s*(?:[;,]\s*(?:url\s*=\s*)?(.*))?$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True, kw_only=True)
class PageFacts:
    title: str = ""
    heading: str = ""
    #: ``(delay in seconds, absolute target)`` of a ``<meta http-equiv="refresh">``.
    refresh: tuple[float, str] | None = None
    canonical: str | None = None
    #: A short fingerprint of the page's visible start, to compare with a host's 404 page.
    fingerprint: str = ""


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


def _refresh_of(attrs: dict[str, str], base_url: str) -> tuple[float, str] | None:
    if attrs.get("http-equiv", "").strip().lower() != "refresh":
        return None
    match = _REFRESH.match(attrs.get("content", ""))
    if match and match.group(2):
        target = match.group(2).strip().strip("'\"").strip()
        if target:
            return (float(match.group(1) or 0), urljoin(base_url, target))
    return None


def _canonical_of(attrs: dict[str, str], base_url: str) -> str | None:
    href = attrs.get("href", "").strip()
    if href and "canonical" in attrs.get("rel", "").lower().split():
        return urljoin(base_url, href)
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


def read_page(body: str, base_url: str) -> PageFacts:
    """Facts from the start of an HTML page (relative URLs made absolute against ``base_url``)."""
    text = body[:_PARSE_LIMIT]
    size = len(text)
    token = _TOKEN.match
    kinds = _KINDS
    names: list[str] = []  # the open elements, innermost last
    levels: list[int] = []  # the flags in force inside each of them
    flags = 0
    closed_voids: dict[str, int] = {}  # void start tags whose optional end tag is still to come
    pending = ""  # the string being read: text since the last event that ends one
    title_parts: list[str] = []
    heading_parts: list[str] = []
    title_seen = heading_seen = False
    heading_length = visible = 0  # collapsed lengths, one separator per string included
    refresh: tuple[float, str] | None = None
    canonical: str | None = None
    pos = 0
    settle_at = size  # where to look again at what is still unknown
    while True:
        if pos >= settle_at:
            if pos >= size:
                break
            settle_at = _settle(text, pos, flags, visible, heading_length, title_seen, heading_seen, refresh, canonical)
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
                    refresh = _refresh_of(_attributes(text, start, end), base_url)
                    settle_at = pos
                elif kind == _LINK and canonical is None and _CANONICAL_HINT.search(text, start, end):
                    canonical = _canonical_of(_attributes(text, start, end), base_url)
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
        else:
            continue
        before = flags
        flags = levels[-1] if levels else 0
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
    title = " ".join(" ".join(title_parts).split())
    heading = " ".join(" ".join(heading_parts).split())[:_HEADING_MAX]
    shown = min(max(visible - 1, 0), _VISIBLE)
    fingerprint = hashlib.sha1(f"{title}\n{heading}\n{shown // 64}".encode()).hexdigest()[:16]
    return PageFacts(title=title, heading=heading, refresh=refresh, canonical=canonical, fingerprint=fingerprint)


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
            if (refresh is None and name == "meta" and _refresh_of(attrs, "http://x/") is not None) or (
                canonical is None and name == "link" and _canonical_of(attrs, "http://x/") is not None
            ):
                ahead.append(candidate.start())
                break
    return min(ahead) + 1 if ahead else -1


def page_facts(answer: Exchange) -> PageFacts | None:
    """Facts from an answer's page, or None when it has none to read (HEAD, empty, not HTML)."""
    if answer.method != "GET" or not answer.body or not answer.is_html:
        return None
    return read_page(answer.text(), answer.url)


def looks_not_found(facts: PageFacts) -> bool:
    """A 200 page whose title or first heading says "not found" in some language."""
    for text in (facts.title, facts.heading):
        if _NOT_FOUND.search(text):
            return True
        if any(segment.strip(" .!").lower() in _BARE_SEGMENTS for segment in _SEGMENTS.split(text)):
            return True
    return False


def looks_like_challenge(facts: PageFacts) -> bool:
    """A bot wall's interstitial ("Just a moment...", captcha) rather than the cited page."""
    return bool(_CHALLENGE_TITLES.search(facts.title))
