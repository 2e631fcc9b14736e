"""Links in Markdown (CommonMark, plus GFM tables), with exact source positions.

markdown-it-py knows the structure (what is a link, what is code) but not where inline things
are: block tokens carry line ranges only, and hrefs come out normalised (percent-encoded,
punycoded). So we let markdown-it parse, with its link, image, autolink, code-span and
inline-HTML rules wrapped to record where each construct starts and ends *in the inline
content string*; then we align each inline token's content with its source lines (content
is the source lines minus block markers such as ``>`` and list indentation, with tabs partly
expanded) to turn content offsets into source offsets. Every destination found is checked:
its source slice, unescaped, must equal the destination markdown-it parsed (the string its
href is normalised from) and must not have been refused by markdown-it (``javascript:``);
anything that does not check out is dropped rather than reported at a wrong position.

What is extracted:

* inline links ``[text](url "title")`` and images ``![alt](url)``: kind inline / image;
* autolinks ``<https://...>``: kind autolink (email autolinks ``<a@b.example>`` are not
  extracted: their source has no scheme to rewrite);
* reference definitions ``[label]: url "title"`` (duplicates too: they are in the text):
  kind reference, ``text`` is the label. ``[text][label]`` usages are not separate links;
* ``href``/``cite`` attributes in raw HTML, inline or in HTML blocks, via :mod:`.html`;
* bare http(s) URLs in prose (kind bare) and wiki links ``[[url]]``, ``[[url|label]]`` (kind
  wiki), found by :mod:`.text` with code spans, link text and destinations, autolinks, raw
  HTML (and the text of an inline ``<a>`` element) blanked out. A bare URL whose host cannot
  be a host (``https://-a.example/``) is prose; an explicit link with such a host is kept, for
  the checker to report as ``invalid_url``;
* inside an image description (alt text), all of the above: ``![see [docs](url) here](pic)``
  gives the docs link and the picture, ``[![shot of https://a.example/](pic)](url)`` the bare
  URL too. markdown-it parses a description as inline content of its own (CommonMark allows
  links there); its tokens are visited with their spans shifted to the description's place.

Destinations must have a URI scheme (``https:``, ``mailto:``, ``doi:``...); relative links
(``/about``, ``../x``, ``#top``) are not citations and are skipped. Nothing in code spans,
fenced or indented code blocks is extracted. Link text is not searched for bare URLs: it
belongs to the link (``[https://a.example/](https://a.example/)`` shows its destination).
Line numbers count ``\\n``, ``\\r\\n`` and a lone ``\\r`` as line ends, as Markdown does.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.links import Link, LinkKind, Syntax
from .html import scan_html
from .text import SCHEME, STOP_CHARS, is_link, line_starts, link_at, scan

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_block import StateBlock
    from markdown_it.rules_inline import StateInline
    from markdown_it.token import Token

__all__ = ["extract_markdown"]

_META = "citecheck"
_DEFINITIONS = "citecheck_definitions"
_NEWLINE = re.compile(r"\r\n?|\n")
_COVERED = re.compile(rb"\x01+")
_ENTITY = re.compile(r"&(?:#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z][A-Za-z0-9]{1,31});")
_PARSER: MarkdownIt | None = None

InlineRule = Callable[["StateInline", bool], bool]
BlockRule = Callable[["StateBlock", int, int, bool], bool]


def _parser() -> MarkdownIt:
    """One CommonMark parser with recording rules, built on first use (markdown-it is slow to import)."""
    global _PARSER
    if _PARSER is None:
        from markdown_it import MarkdownIt
        from markdown_it.rules_block import reference
        from markdown_it.rules_inline import autolink, backtick, html_inline, image, link

        md = MarkdownIt("commonmark").enable("table")
        md.inline.ruler.at("link", _record_span(link, "link_open", destination=True))
        md.inline.ruler.at("image", _record_span(image, "image", destination=True))
        md.inline.ruler.at("autolink", _record_span(autolink, "link_open"))
        md.inline.ruler.at("backticks", _record_span(backtick, "code_inline"))
        md.inline.ruler.at("html_inline", _record_span(html_inline, "html_inline"))
        md.block.ruler.at("reference", _record_definition(reference))
        _PARSER = md
    return _PARSER


def _record_span(rule: InlineRule, token_type: str, *, destination: bool = False) -> InlineRule:
    """Wrap an inline rule to note, on the token it makes, the span it consumed.

    With ``destination`` (the link and image rules) it also notes where an inline link's
    ``(destination)`` stands, which the token itself does not say.
    """

    def recording(state: StateInline, silent: bool) -> bool:
        start, first = state.pos, len(state.tokens)
        if not rule(state, silent):
            return False
        if not silent:
            for token in state.tokens[first:]:
                if token.type == token_type:
                    info: dict[str, object] = {"span": (start, state.pos)}
                    if destination:
                        image = token_type == "image"
                        label_end = state.md.helpers.parseLinkLabel(state, start + 1 if image else start, not image)
                        info["dest"] = _destination(state, label_end)
                        if image and label_end >= 0:  # the description, parsed on its own
                            info["label"] = (start + 2, label_end)
                    token.meta[_META] = info
                    break
        return True

    return recording


def _destination(state: StateInline, label_end: int) -> tuple[int, int, str] | None:
    """Span and unescaped text of the ``(destination)`` of the link ending at ``state.pos``, if inline."""
    helpers, src, end = state.md.helpers, state.src, state.pos
    pos = label_end + 1
    if label_end < 0 or pos >= end or src[pos] != "(":
        return None
    pos += 1
    while pos < end and src[pos] in " \t\n":
        pos += 1
    result = helpers.parseLinkDestination(src, pos, state.posMax)
    if not result.ok:
        return None
    dest = (pos, result.pos, result.str)
    pos = result.pos
    while pos < end and src[pos] in " \t\n":
        pos += 1
    if pos > result.pos:
        title = helpers.parseLinkTitle(src, pos, state.posMax, None)
        if title.ok:
            pos = title.pos
            while pos < end and src[pos] in " \t\n":
                pos += 1
    # A destination that does not close with ")" made markdown-it fall back to a reference.
    return dest if pos + 1 == end and src[pos] == ")" else None


def _record_definition(rule: BlockRule) -> BlockRule:
    """Wrap the reference rule to note where each definition's label and destination are."""

    def recording(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
        if not rule(state, start_line, end_line, silent):
            return False
        if not silent:
            pieces: list[tuple[int, int]] = []  # (offset in the definition string, offset in src)
            string = ""
            for line in range(start_line, state.line):
                begin = state.bMarks[line] + state.tShift[line]
                pieces.append((len(string), begin))
                string += state.src[begin : state.eMarks[line] + 1]
            found = _parse_definition(state.md, string)
            if found is not None:
                label, dest_start, dest_end, url = found
                index = bisect_right([p[0] for p in pieces], dest_start) - 1
                shift = pieces[index][1] - pieces[index][0]
                state.env.setdefault(_DEFINITIONS, []).append(
                    {
                        "label": label,
                        "start": dest_start + shift,
                        "end": dest_end + shift,
                        "url": url,
                    }
                )
        return True

    return recording


def _parse_definition(md: MarkdownIt, string: str) -> tuple[str, int, int, str] | None:
    """Label, destination span and URL of the definition at the start of ``string``."""
    pos, label_end = 1, -1
    while pos < len(string):
        ch = string[pos]
        if ch == "[":
            return None
        if ch == "]":
            label_end = pos
            break
        pos += 2 if ch == "\\" else 1
    if label_end < 0 or string[label_end + 1 : label_end + 2] != ":":
        return None
    pos = label_end + 2
    while pos < len(string) and string[pos] in " \t\n":
        pos += 1
    result = md.helpers.parseLinkDestination(string, pos, len(string))
    if not result.ok:
        return None
    return string[1:label_end], pos, result.pos, result.str


@dataclass(slots=True)
class _Line:
    """How one line of a token's content sits in the source."""

    length: int
    eol: int  # source offset of the end of the line
    base: int = 0  # content index k is at source offset base + max(k, lead) ...
    lead: int = 0
    table: list[int] | None = None  # ... or at table[k] when the line needed a char-by-char alignment


class _Map:
    """Content offsets of one inline token or HTML block -> offsets in the source text."""

    def __init__(self, starts: list[int], lines: list[_Line]) -> None:
        self.starts = starts
        self.lines = lines

    def source(self, index: int) -> int:
        """Source offset of content character ``index`` (-1 if it is not in the source)."""
        number = bisect_right(self.starts, index) - 1
        line, k = self.lines[number], index - self.starts[number]
        if k >= line.length:
            return line.eol
        if line.table is not None:
            return line.table[k]
        return line.base + max(k, line.lead)

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        """Source span of content ``start:end`` if its ends are in the source."""
        first, last = self.source(start), self.source(end - 1)
        return None if first < 0 or last < first else (first, last + 1)


class _Document:
    """The source text with the line tables both we and markdown-it use."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.compare = text.replace("\0", "\ufffd")  # what markdown-it sees, same length
        self.lines: list[tuple[int, int]] = []  # markdown-it lines: (start, end before the line break)
        begin = 0
        for match in _NEWLINE.finditer(text):
            self.lines.append((begin, match.start()))
            begin = match.end()
        self.lines.append((begin, len(text)))
        self.normal_starts: list[int] = []  # line starts in markdown-it's normalised source
        offset = 0
        for start, end in self.lines:
            self.normal_starts.append(offset)
            offset += end - start + 1
        self.starts = line_starts(text)

    def from_normal(self, offset: int) -> int:
        """Offset in the text of ``offset`` in markdown-it's source (where CRLF is one character)."""
        line = bisect_right(self.normal_starts, offset) - 1
        return self.lines[line][0] + offset - self.normal_starts[line]

    def map(self, content: str, first_line: int, cursor: int | None = None) -> tuple[_Map, int] | None:
        """Align ``content`` with the source from ``first_line``; ``cursor`` for table cells."""
        starts, lines, offset, after = [], [], 0, 0
        for number, piece in enumerate(content.split("\n")):
            starts.append(offset)
            offset += len(piece) + 1
            if first_line + number >= len(self.lines):
                lines.append(_Line(length=0, eol=len(self.text)))
                continue
            low, high = self.lines[first_line + number]
            if cursor is not None:
                aligned = _align_left(self.compare, piece, max(low, cursor), high)
            else:
                aligned = _align_right(self.compare, piece, low, high)
            if aligned is None:
                return None
            lines.append(aligned[0])
            after = aligned[1]
        return _Map(starts, lines), after


def _align_right(source: str, piece: str, low: int, high: int) -> tuple[_Line, int] | None:
    """Place a content line whose end is the source line's end (block markers are at the start)."""
    if not piece:
        return _Line(length=0, eol=high, base=low), low
    core = piece.lstrip(" \t")
    lead = len(piece) - len(core)
    end = high if piece[-1].isspace() else low + len(source[low:high].rstrip())
    begin = end - len(core)
    if begin >= low and source.startswith(core, begin):
        return _Line(length=len(piece), eol=high, base=begin - lead, lead=lead), end
    # Slow path (ATX closing #s, padding from tabs): match from the right, skipping source chars.
    table, j, k = [-1] * len(piece), high - 1, len(piece) - 1
    while k >= 0 and j >= low:
        if piece[k] == source[j]:
            table[k] = j
            k -= 1
        j -= 1
    if piece[: k + 1].strip(" \t"):
        return None
    return _Line(length=len(piece), eol=high, table=table), high


def _align_left(source: str, piece: str, low: int, high: int) -> tuple[_Line, int] | None:
    """Place a table cell on its row from ``low`` (escaped pipes lose their backslash)."""
    if not piece:
        return _Line(length=0, eol=high, base=low), low
    found = source.find(piece, low, high)
    if found >= 0:
        return _Line(length=len(piece), eol=high, base=found), found + len(piece)
    table, j = [], low
    for ch in piece:
        while j < high and source[j] != ch:
            j += 1
        if j >= high:
            return None
        table.append(j)
        j += 1
    return _Line(length=len(piece), eol=high, table=table), j


def _plain_text(tokens: list[Token]) -> str | None:
    """What a reader sees of some inline tokens (link text, alt text)."""
    parts = []
    for token in tokens:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.type == "image":
            parts.append(_plain_text(token.children or []) or "")
    return "".join(parts).strip() or None


class _Extractor:
    def __init__(self, text: str) -> None:
        from markdown_it.common.utils import unescapeAll

        self.md = _parser()
        self.doc = _Document(text)
        self.unescape: Callable[[str], str] = unescapeAll
        self.found: list[Link] = []
        #: A link at a span of the source: :func:`~.text.link_at` for this document.
        self.link_at = functools.partial(link_at, self.doc.text, self.doc.starts)

    def run(self) -> list[Link]:
        env: dict[str, Any] = {}
        tokens = self.md.parse(self.doc.text, env)
        in_table, row, cursor = False, -1, 0
        for token in tokens:
            if token.type == "table_open":
                in_table = True
            elif token.type == "table_close":
                in_table = False
            elif token.type == "inline" and token.map:
                if in_table and token.map[0] != row:
                    row, cursor = token.map[0], self.doc.lines[token.map[0]][0]
                cursor = self._inline(token, cursor if in_table else None)
            elif token.type == "html_block" and token.map:
                aligned = self.doc.map(token.content, token.map[0])
                if aligned is not None:
                    self._html(token.content, 0, aligned[0])
        for definition in env.get(_DEFINITIONS, []):
            self._definition(definition)
        return self._links()

    def _links(self) -> list[Link]:
        """The links found, in source order; one overlapping an earlier one is dropped."""
        links: list[Link] = []
        for link in sorted(self.found, key=lambda link: (link.start, link.end)):
            if not links or link.start >= links[-1].end:
                links.append(link)
        return links

    def _definition(self, definition: dict[str, Any]) -> None:
        start, end = self.doc.from_normal(definition["start"]), self.doc.from_normal(definition["end"])
        syntax = Syntax.MARKDOWN_DESTINATION
        if self.doc.text[start : start + 1] == "<":
            start, end, syntax = start + 1, end - 1, Syntax.MARKDOWN_ANGLE
        url = self.unescape(self.doc.compare[start:end])
        if url == definition["url"] and SCHEME.match(url):
            self.found.append(
                self.link_at((start, end), url, LinkKind.REFERENCE, syntax=syntax, text=definition["label"])
            )

    def _inline(self, token: Token, cursor: int | None) -> int:
        """Links in one inline token; returns the table-row cursor after it."""
        content = token.content
        assert token.map is not None
        aligned = self.doc.map(content, token.map[0], cursor)
        if aligned is None:
            return cursor or 0
        where, after = aligned
        covered = bytearray(len(content))  # 1 where content is not prose
        self._children(token.children or [], content, (0, len(content)), where, covered)
        self._bare(content, covered, where)
        return after

    def _children(
        self, children: list[Token], content: str, region: tuple[int, int], where: _Map, covered: bytearray
    ) -> None:
        """Links among the inline tokens parsed from ``content[region[0]:region[1]]``.

        Recorded spans count from the region's start. Each construct is marked as not prose in
        ``covered``; an image's description is then prose again, and its own tokens (markdown-it
        parses it on its own, so their spans count from the description's start) are visited in
        turn: links, autolinks and bare URLs written in alt text are links, even when the image
        is itself a link's text.
        """
        offset, limit = region
        anchor_from = -1  # inside an inline-HTML <a> element since this content offset
        for index, child in enumerate(children):
            info = child.meta.get(_META) if child.meta else None
            if info is None:
                continue
            start, end = info["span"][0] + offset, info["span"][1] + offset
            covered[start:end] = b"\x01" * (end - start)
            if child.type == "link_open" and child.markup == "autolink":
                self._autolink(content, start + 1, end - 1, where)
            elif child.type in ("link_open", "image") and info["dest"] is not None:
                if child.type == "image":
                    kind, text = LinkKind.IMAGE, _plain_text(child.children or [])
                else:
                    close = next(
                        (i for i in range(index + 1, len(children)) if children[i].type == "link_close"),
                        len(children),
                    )
                    kind, text = LinkKind.INLINE, _plain_text(children[index + 1 : close])
                href = str(child.attrs.get("src" if child.type == "image" else "href", ""))
                dest_start, dest_end, meant = info["dest"]
                self._destination(content, (dest_start + offset, dest_end + offset, meant), href, kind, text, where)
            elif child.type == "html_inline":
                fragment = content[start:end]
                self._html(fragment, start, where)
                if re.match(r"<a[\s/>]", fragment, re.IGNORECASE):
                    anchor_from = end
                elif re.match(r"</a[\s>]", fragment, re.IGNORECASE) and anchor_from >= 0:
                    covered[anchor_from:start] = b"\x01" * (start - anchor_from)
                    anchor_from = -1
            if child.type == "image" and "label" in info:
                low, high = info["label"][0] + offset, info["label"][1] + offset
                covered[low:high] = bytes(high - low)
                self._children(child.children or [], content, (low, high), where, covered)
        if anchor_from >= 0:
            covered[anchor_from:limit] = b"\x01" * (limit - anchor_from)

    def _autolink(self, content: str, start: int, end: int, where: _Map) -> None:
        raw = content[start:end]
        span = where.span(start, end)
        if span is None or not SCHEME.match(raw) or self.doc.compare[span[0] : span[1]] != raw:
            return
        self.found.append(self.link_at(span, raw, LinkKind.AUTOLINK))

    def _destination(
        self, content: str, dest: tuple[int, int, str], href: str, kind: LinkKind, text: str | None, where: _Map
    ) -> None:
        """An inline link or image destination; ``dest`` is its content span and unescaped text.

        markdown-it's href is ``normalizeLink(dest[2])``; an empty one means it refused the URL.
        The source slice must unescape to the same text: that checks our position.
        """
        start, end, meant = dest
        syntax = Syntax.MARKDOWN_DESTINATION
        if content.startswith("<", start):
            start, end, syntax = start + 1, end - 1, Syntax.MARKDOWN_ANGLE
        span = where.span(start, end) if end > start else None
        if span is None:
            return
        url = self.unescape(self.doc.compare[span[0] : span[1]])  # NUL reads as U+FFFD
        if not href or url != meant or not SCHEME.match(url):
            return
        self.found.append(self.link_at(span, url, kind, syntax=syntax, text=text))

    def _html(self, fragment: str, offset: int, where: _Map) -> None:
        """Citing attributes in raw HTML at content ``offset``."""
        if "=" not in fragment:
            return
        for start, end, url, syntax, element, text in scan_html(fragment):
            span = where.span(offset + start, offset + end)
            if span is not None and self.doc.compare[span[0] : span[1]] == fragment[start:end]:
                self.found.append(
                    self.link_at(span, url, LinkKind.ATTRIBUTE, syntax=syntax, text=text, element=element)
                )

    def _bare(self, content: str, covered: bytearray, where: _Map) -> None:
        """Bare URLs and wiki links in the prose of ``content`` (``covered`` marks what is not prose)."""
        if "://" not in content:
            return
        for match in _ENTITY.finditer(content):  # &lt; &quot; &#32; ... end a URL like the characters
            decoded = self.unescape(match.group())
            if decoded != match.group() and any(ch.isspace() or ch in STOP_CHARS for ch in decoded):
                covered[match.start() : match.end()] = b"\x01" * (match.end() - match.start())
        pieces, last = [], 0
        for run in _COVERED.finditer(covered):
            pieces += [content[last : run.start()], " " * (run.end() - run.start())]
            last = run.end()
        pieces.append(content[last:])
        prose = "".join(pieces)
        for start, end, kind in scan(prose, autolinks=False):
            span = where.span(start, end)
            if span is None or self.doc.compare[span[0] : span[1]] != content[start:end]:
                continue
            url = self.unescape(self.doc.compare[span[0] : span[1]])
            if is_link(url, kind):
                self.found.append(self.link_at(span, url, kind))


#: Brackets nested deeper than this in one paragraph are no link any author wrote (an image in
#: a link is two).
MAX_BRACKET_DEPTH = 8
_BRACKETS = re.compile(r"\\.|[\[\]]|\n[ \t\r]*\n")
#: Inert brackets an ordinary article may hold; past this many the text is defused.
_TOLERATED = 16
#: Stands in for a defused ``[``: one character, so every offset stays where it was.
_DEFUSED = "\ufffc"


def _defused(text: str) -> str:
    """``text`` with the ``[`` that cannot open a link made inert; ``text`` itself when none.

    markdown-it scans ahead from every unclosed ``[`` for its ``]``, so 900,000 of them took
    15 s. A ``[`` with no ``]`` after it in its paragraph cannot open a link label, nor can one
    nested deeper than :data:`MAX_BRACKET_DEPTH`. When a text holds more than a few such (no
    article does; a hostile one does), each is replaced by one placeholder character (offsets
    stay put), which bounds the scans. Links whose text then differs from the original are
    dropped: in such a text they are nothing anyone cites.
    """
    if text.count("[") <= MAX_BRACKET_DEPTH:
        return text
    deep: list[int] = []
    depth, last_close = 0, -1
    opened: list[int] = []

    def paragraph_ends() -> None:
        deep.extend(position for position in opened if position > last_close)

    for match in _BRACKETS.finditer(text):
        token = match.group()
        if token == "[":
            depth += 1
            if depth > MAX_BRACKET_DEPTH:
                deep.append(match.start())
            else:
                opened.append(match.start())
        elif token == "]":
            depth = max(0, depth - 1)
            last_close = match.start()
        elif token[0] == "\n":
            paragraph_ends()  # a blank line ends the paragraph, and every label in it
            depth, opened, last_close = 0, [], -1
    paragraph_ends()
    if len(deep) <= _TOLERATED:
        return text  # an ordinary article, parsed as written (a "[" in a URL stays one)
    chars = list(text)
    for position in deep:
        chars[position] = _DEFUSED
    return "".join(chars)


def extract_markdown(text: str) -> list[Link]:
    """Every cited URL in a Markdown document, sorted by position (see the module docstring)."""
    parsed = _defused(text)
    links = _Extractor(parsed).run()
    if parsed is text:
        return links
    # Only what the original text holds at the link's place is a link of it.
    return [link for link in links if text[link.start : link.end] == link.raw]
