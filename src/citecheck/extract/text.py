"""Bare URLs in prose: where a link starts and, harder, where it ends.

A URL in running text is followed by punctuation that belongs to the sentence, not the link
(``see https://example.com/a.``). We cut trailing punctuation and quotes, and closing brackets
that have no opening partner inside the URL, so ``https://en.wikipedia.org/wiki/Foo_(bar)``
keeps its parenthesis while ``(see https://example.com)`` does not.

Rules, in order:

* Only ``http://`` and ``https://`` (any case) start a URL, and not in the middle of a word
  (``xhttps://`` is not a URL).
* A URL never contains whitespace, control characters, ``<``, ``>``, ``"``, a backtick, or the
  typographic quotes ``“ ” « »``: they end it. So a URL split across a line break is reported
  as the part on the first line.
* A URL right after an opening single quote (``'`` or ``‘``) ends at the first matching closing
  quote that is not followed by a letter or digit: ``'https://example.com/it's'`` gives
  ``https://example.com/it's`` (an apostrophe inside a word stays in the URL), and
  ``'https://a.example/x','https://b.example/y'`` gives two URLs. Without an opening quote
  an apostrophe is part of the URL (``https://en.wikipedia.org/wiki/Ender's_Game``).
* Trailing ``. , ; : ! ? ' ‘ ’ * _ ~ \\`` are cut (sentence punctuation, emphasis markers), then
  closing brackets ``) ] }`` that outnumber their opening partner, repeatedly.
* ``<https://...>`` in plain text is an autolink: the brackets delimit it, nothing is cut, and
  the brackets are not part of the link.

Every step is a single forward scan or a single regex without nested quantifiers, so the time
is linear in the input whatever it contains.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

from ..core.links import Link, LinkKind, Syntax

__all__ = [
    "SCHEME",
    "STOP_CHARS",
    "TRAILING",
    "FoundLink",
    "LinkDetails",
    "extract_text",
    "find_links_in_text",
    "line_starts",
    "link_at",
    "position",
]

#: Characters that can never be part of a bare URL (besides ``\s``).
STOP_CHARS = '<>"`“”«»'
#: Where a URL can start; one literal, no quantifier: a linear search.
_START = re.compile(r"(?<![A-Za-z0-9])https?://", re.IGNORECASE)
#: Where a run of URL characters stops; a single character class.
_STOP = re.compile(r"[\s" + re.escape(STOP_CHARS) + r"\x00-\x1f\x7f]")
#: A URI scheme at the start of a destination (two letters at least: ``C:`` is a drive).
SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]+:")
#: Cut from the end of a URL: they end sentences or close emphasis far more often than URLs.
TRAILING = ".,;:!?'\u2018\u2019*_~\\"
_OPENING = {")": "(", "]": "[", "}": "{"}
#: An opening quote right before a URL and the closing quote that ends it.
_QUOTE_CLOSERS = {
    "'": re.compile(r"'(?![^\W_])"),
    "\u2018": re.compile(r"\u2019(?![^\W_])"),
}


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


def _trim(text: str, start: int, end: int) -> int:
    """The end of the URL in ``text[start:end]`` once sentence punctuation is cut (linear)."""
    counts = {ch: text.count(ch, start, end) for ch in "()[]{}"}
    while end > start:
        last = text[end - 1]
        if last in TRAILING:
            end -= 1
        elif last in _OPENING and counts[last] > counts[_OPENING[last]]:
            counts[last] -= 1
            end -= 1
        else:
            break
    return end


def scan(
    text: str, start: int = 0, stop: int | None = None, *, autolinks: bool = True
) -> Iterator[tuple[int, int, bool]]:
    """``(start, end, is_autolink)`` of every http(s) URL in ``text[start:stop]``, in order.

    With ``autolinks=False`` (Markdown prose, where a real autolink is parsed by Markdown
    itself) ``<url>`` is treated like any other bare URL.
    """
    stop = len(text) if stop is None else stop
    pos, run_end = start, -1
    while True:
        match = _START.search(text, pos, stop)
        if match is None:
            return
        begin, host = match.span()
        if begin >= run_end:  # a new run of URL characters: find where it stops, once
            stopper = _STOP.search(text, host, stop)
            run_end = stopper.start() if stopper else stop
        end = run_end
        opener = text[begin - 1] if begin > 0 else ""
        if autolinks and opener == "<" and end < stop and text[end] == ">":
            if end > host:
                yield begin, end, True
            pos = end
            continue
        closer = _QUOTE_CLOSERS.get(opener)
        if closer is not None:
            quote = closer.search(text, host, end)
            if quote is not None:
                end = quote.start()
        end = _trim(text, begin, end)
        if end > host:
            yield begin, end, False
        pos = max(end, host)


def line_starts(text: str) -> list[int]:
    """Offsets where each line starts; lines end at ``\\n`` (so ``\\r\\n`` works too)."""
    starts = [0]
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
    """Every http(s) URL in plain ``text`` as :class:`Link` values (kind bare or autolink)."""
    starts = line_starts(text)
    links = []
    for begin, end, angle in scan(text):
        kind = LinkKind.AUTOLINK if angle else LinkKind.BARE
        links.append(link_at(text, starts, (begin, end), text[begin:end], kind))
    return links


def find_links_in_text(text: str) -> Iterator[FoundLink]:
    """Every http(s) URL in ``text``, in order, with sentence punctuation left out."""
    for link in extract_text(text):
        yield FoundLink(url=link.url, start=link.start, end=link.end, line=link.line, column=link.column)
