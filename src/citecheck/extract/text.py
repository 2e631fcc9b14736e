"""Bare URLs in prose: where a link starts and, harder, where it ends.

A URL in running text is followed by punctuation that belongs to the sentence, not the link
(``see https://example.com/a.``). We cut trailing punctuation and quotes, and closing brackets
that have no opening partner inside the URL, so ``https://en.wikipedia.org/wiki/Foo_(bar)``
keeps its parenthesis while ``(see https://example.com)`` does not.

Rules, in order:

* Only ``http://`` and ``https://`` (any case) start a URL, and not right after an ASCII letter
  or digit (``xhttps://`` is not a URL; ``詳細はhttps://`` is: CJK text puts no space there).
* A URL never contains whitespace (the ideographic space too), control characters, ``<``,
  ``>``, a backtick, or fullwidth and CJK punctuation (``。，、；：！？「」『』（）【】《》…・``
  and the other fullwidth forms that are not letters or digits, see :mod:`.ends`): they end
  it. So a URL split across a line break is reported as the part on the first line.
* A quote that opens inside the URL, followed by a letter or digit, and closes later before
  the URL's run of characters ends stays in with its partner:
  ``https://news.example/story_"final"_draft``, ``https://a.example/?q='a'``,
  ``https://a.example/“x”_y``. Any other ``" “ ” « » ‘`` ends the URL:
  ``"https://a.example/x"``, ``"see https://a.example/x", he said``. A quote followed by a
  CJK character does not open a pair (``https://example.cn/a“说明”`` ends before ``“``).
* A URL right after an opening single quote (``'`` or ``‘``) ends at the first matching closing
  quote that is not followed by a letter or digit: ``'https://example.com/it's'`` gives
  ``https://example.com/it's`` (an apostrophe inside a word stays in the URL), and
  ``'https://a.example/x','https://b.example/y'`` gives two URLs. Without an opening quote
  an apostrophe is part of the URL (``https://en.wikipedia.org/wiki/Ender's_Game``).
* Trailing ``. , ; : ! ? ' ‘ ’ * _ ~ \\`` are cut (sentence punctuation, emphasis markers), then
  closing brackets ``) ] }`` that outnumber their opening partner, repeatedly; never into a
  quote pair kept by the rule above.
* The host must be able to name a host (:func:`~citecheck.core.urls.split_url` accepts the
  authority): ``https://a..b/``, ``https://-a.example/``, ``https://...`` and ``https://)`` are
  prose, not links.
* ``<https://...>`` in plain text is an autolink: the brackets delimit it, nothing is cut, and
  the brackets are not part of the link.
* ``[[https://...]]`` and ``[[https://...|label]]`` (wiki links) are delimited too: the URL ends
  at the first ``|`` or ``]]`` (kind wiki), nothing is cut. ``[[https://... label]]`` and
  MediaWiki's ``[https://... label]`` are bare URLs that a space ends.

Delimited links (autolinks, wiki links) are links whatever their host: the author marked them,
so the checker reports a bad one as ``invalid_url`` rather than it silently disappearing.

Every step is a single forward scan, a single regex without nested quantifiers, or a
remembered search, so the time is linear in the input whatever it contains.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

from ..core.links import Link, LinkKind, Syntax
from ..core.urls import valid_authority
from .ends import HARD_STOPS, QUOTES, TRAILING, Ahead, extent, trim

__all__ = [
    "SCHEME",
    "STOP_CHARS",
    "TRAILING",
    "FoundLink",
    "LinkDetails",
    "extract_text",
    "find_links_in_text",
    "is_link",
    "line_starts",
    "link_at",
    "position",
]

#: Characters that end a bare URL where they stand (besides ``\s``), or unless they close a
#: quote opened inside it: a URL written back must spell them some other way.
STOP_CHARS = HARD_STOPS + QUOTES
_LINE_END = re.compile(r"\r\n?|\n")
#: Where a URL can start; one literal, no quantifier: a linear search.
_START = re.compile(r"(?<![A-Za-z0-9])https?://", re.IGNORECASE)
#: Where a run of URL characters stops; a single character class.
_STOP = re.compile(r"[\s" + re.escape(HARD_STOPS) + r"\x00-\x1f\x7f]")
#: A URI scheme at the start of a destination (two letters at least: ``C:`` is a drive).
SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]+:")
#: Where a wiki link's URL ends.
_WIKI_END = re.compile(r"\||\]\]")
_BRACKET = re.compile(r"\]")
_AUTHORITY_END = re.compile(r"[/?#]")


@dataclass(frozen=True, slots=True, kw_only=True)
class FoundLink:
    """A link as written in a text: ``text[start:end] == url``; line and column are 1-based."""

    url: str
    start: int
    end: int
    line: int
    column: int

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "start": self.start, "end": self.end, "line": self.line, "column": self.column}


class _Run:
    """One run of characters a URL can take, from a URL's start to the next hard stop.

    A run can hold several URLs (``"https://a.example/x","https://b.example/y"``); the searches
    that look ahead in it are kept here (made when first needed) so each character is searched
    once.
    """

    __slots__ = ("_aheads", "end", "partners", "text")

    def __init__(self, text: str, host: int, stop: int) -> None:
        stopper = _STOP.search(text, host, stop)
        self.text = text
        self.end = stopper.start() if stopper else stop
        self.partners: dict[str, Ahead] = {}
        self._aheads: dict[re.Pattern[str], Ahead] = {}

    def find(self, pattern: re.Pattern[str], pos: int) -> int:
        """Where ``pattern`` next matches in the run at or after ``pos`` (-1 if nowhere)."""
        ahead = self._aheads.get(pattern)
        if ahead is None:
            ahead = self._aheads[pattern] = Ahead(pattern, self.text, self.end)
        return ahead.find(pos)


def scan(
    text: str, start: int = 0, stop: int | None = None, *, autolinks: bool = True
) -> Iterator[tuple[int, int, LinkKind]]:
    """``(start, end, kind)`` of every http(s) URL in ``text[start:stop]``, in order.

    ``kind`` is bare, autolink or wiki. With ``autolinks=False`` (Markdown prose, where a real
    autolink is parsed by Markdown itself) ``<url>`` is treated like any other bare URL. Bare
    candidates are not checked here: see :func:`is_link`.
    """
    stop = len(text) if stop is None else stop
    pos = start
    run: _Run | None = None
    while True:
        match = _START.search(text, pos, stop)
        if match is None:
            return
        begin, host = match.span()
        if run is None or begin >= run.end:  # a new run of URL characters: find where it stops, once
            run = _Run(text, host, stop)
        end = run.end
        opener = text[begin - 1] if begin > 0 else ""
        if autolinks and opener == "<" and end < stop and text[end] == ">":
            if end > host:
                yield begin, end, LinkKind.AUTOLINK
            pos = end
            continue
        if begin >= 2 and text.startswith("[[", begin - 2):
            after = host
            if text.startswith("[", host):  # an IPv6 literal: its "]" does not end the link
                after = run.find(_BRACKET, host) + 1 or host
            close = run.find(_WIKI_END, after)
            if close > host:
                yield begin, close, LinkKind.WIKI
                pos = close
                continue
        end, floor = extent(text, host, end, opener, run.partners)
        end = trim(text, begin, end, floor)
        if end > host:
            yield begin, end, LinkKind.BARE
        pos = max(end, host)


def is_link(url: str, kind: LinkKind) -> bool:
    """Whether a URL :func:`scan` found is a link: a bare one needs a host that can be a host.

    The authority gets the check :func:`~citecheck.core.urls.split_url` makes, so a bare URL
    the checker would call ``invalid_url`` is not reported at all.
    """
    if kind is not LinkKind.BARE:
        return True
    colon = url.find(":")
    after = _AUTHORITY_END.search(url, colon + 3)
    return valid_authority(url[:colon], url[colon + 3 : after.start() if after else len(url)])


def line_starts(text: str) -> list[int]:
    """Offsets where each line starts; lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r``.

    A lone ``\\r`` is how classic Mac OS and some CMS exports end lines; counting only ``\\n``
    put every link of such a file on line 1.
    """
    starts = [0]
    if "\r" in text:
        starts.extend(match.end() for match in _LINE_END.finditer(text))
        return starts
    find = text.find
    pos = find("\n")
    while pos >= 0:
        starts.append(pos + 1)
        pos = find("\n", pos + 1)
    return starts


def position(starts: list[int], offset: int) -> tuple[int, int]:
    """1-based ``(line, column)`` of ``offset``, in characters."""
    from bisect import bisect_right

    line = bisect_right(starts, offset)
    return line, offset - starts[line - 1] + 1


class LinkDetails(TypedDict, total=False):
    """The fields of a :class:`Link` that only some extractors know, by their names in ``Link``."""

    syntax: Syntax
    text: str | None
    element: str | None


def link_at(
    source: str, starts: list[int], span: tuple[int, int], url: str, kind: LinkKind, /, **details: Unpack[LinkDetails]
) -> Link:
    """The link spelled ``source[start:end]``: every extractor makes its links here, from a span."""
    start, end = span
    line, column = position(starts, start)
    return Link(url=url, raw=source[start:end], start=start, end=end, line=line, column=column, kind=kind, **details)


def extract_text(text: str) -> list[Link]:
    """Every http(s) URL in plain ``text`` as :class:`Link` values (kind bare, autolink or wiki)."""
    starts = line_starts(text)
    links = []
    for begin, end, kind in scan(text):
        url = text[begin:end]
        if is_link(url, kind):
            links.append(link_at(text, starts, (begin, end), url, kind))
    return links


def find_links_in_text(text: str) -> Iterator[FoundLink]:
    """Every http(s) URL in ``text``, in order, with sentence punctuation left out."""
    for link in extract_text(text):
        yield FoundLink(url=link.url, start=link.start, end=link.end, line=link.line, column=link.column)
