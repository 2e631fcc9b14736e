"""An RFC 6690 ``application/link-format`` parser, the format of Memento TimeMaps (RFC 7089).

Why our own: TimeMaps are the one place every Memento archive lists its captures, and the
parsers around are either HTTP ``Link``-header helpers that split on commas (and so break on
the commas inside URLs and inside ``datetime="Mon, 01 Jan 2001 …"``), regex-based (and so
slow or catastrophic on the multi-megabyte TimeMaps of popular URLs), or unmaintained.
No well-kept library does this, so this module is a small hand-written scanner instead.

What it accepts (RFC 6690 section 2, RFC 8288 section 3)::

    <target> *( ";" param [ "=" ( token / quoted-string ) ] ) *( "," link-value )

and, because TimeMaps come from many servers of varying care:

* any whitespace (including newlines) between items, around ``;``, ``=`` and ``,``;
* commas inside ``<…>`` and inside quoted strings; ``\\"`` and ``\\\\`` escapes;
* parameters without a value (value ``""``); unknown parameters (kept);
* duplicate parameters: the first occurrence wins (RFC 8288 section 3);
* empty items and trailing commas (ignored).

Errors policy: a malformed *item* (no ``<``, an unterminated ``<`` or quoted string, junk
after a parameter) is skipped, and scanning resumes at the next ``, <`` — one bad line in a
TimeMap of thousands must not lose the rest. :func:`parse_link_format` raises
:class:`~citecheck.core.snapshot.ArchiveError` only when a document with content yields
*no* item at all: that is not a TimeMap with a blemish, it is something else (an HTML error
page served with status 200, a JSON answer), and the caller must not read it as "no captures".
An empty or all-whitespace document is an empty list.

Time is linear in the input: every search moves forward, regexes are single character classes
(no backtracking), and a failed search for ``>``, ``"`` or ``, <`` is remembered so that a
pathological document cannot make later items rescan to the end.

>>> [link] = parse_link_format('<http://a.example/x,y>; rel="first memento"; datetime="Sat, 01 Jan 2000 00:00:00 GMT"')
>>> link.target, link.rels, link.params["datetime"]
('http://a.example/x,y', ('first', 'memento'), 'Sat, 01 Jan 2000 00:00:00 GMT')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..core.snapshot import ArchiveError

__all__ = ["LinkValue", "parse_link_format"]

# Single character classes only: each match is linear and cannot backtrack.
_SPACE = re.compile(r"\s*")
_PARAM_NAME = re.compile(r"[^\s=;,\"<>]+")
_TOKEN_VALUE = re.compile(r"[^\s;,\"]*")
_QUOTE_OR_ESCAPE = re.compile(r"[\"\\]")
_RESYNC = re.compile(r",\s*<")


@dataclass(frozen=True, slots=True)
class LinkValue:
    """One ``<target>; param=value; …`` item of a link-format document.

    ``params`` maps lowercased parameter names to their (unquoted, unescaped) values; a
    parameter given without ``=`` maps to ``""``. Values are kept as text: ``datetime`` stays
    the RFC 1123 string, since turning it into a moment is the Memento client's business.
    The target is not resolved against any base: the caller knows the document's URL.
    """

    target: str
    # Excluded from the hash (a dict is unhashable); equal values still hash equally by target.
    params: dict[str, str] = field(default_factory=dict, hash=False)

    @property
    def rels(self) -> tuple[str, ...]:
        """The relation types of ``rel`` (a space-separated list, RFC 8288), lowercased.

        Lowercased because registered relation types compare case-insensitively, and every
        type a TimeMap uses (``memento``, ``timemap``, ``first``, ``next`` …) is registered.
        """
        return tuple(rel.lower() for rel in self.params.get("rel", "").split())


class _BadItem(Exception):
    """The item at hand is malformed: skip it and resume looking for ``, <`` at ``resume``.

    ``resume`` is the opening ``<`` or ``"`` of an unterminated construct (what follows it
    may well be further items: the delimiter is the mistake), else the point of failure (what
    came before was consumed as part of this item, so a ``, <`` inside it is no boundary).
    Either way each stretch of text is rescanned at most a bounded number of times.
    """

    def __init__(self, why: str, resume: int) -> None:
        super().__init__(why)
        self.resume = resume


class _Scanner:
    """A forward-only cursor over one document; see the module docstring for the grammar."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        # Positions from which a search already failed: nothing to find beyond them.
        self.no_close_angle_from = len(text) + 1
        self.no_quote_from = len(text) + 1

    def skip_space(self) -> None:
        match = _SPACE.match(self.text, self.pos)
        assert match is not None  # \s* always matches
        self.pos = match.end()

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def resync(self, start: int) -> bool:
        """Move to the ``<`` of the next ``, <`` at or after ``start``; False when there is none."""
        match = _RESYNC.search(self.text, start)
        if match is None:
            self.pos = len(self.text)
            return False
        self.pos = match.end() - 1
        return True

    def target(self) -> str:
        """``<…>``, cursor on the ``<``. Commas and semicolons inside are part of the URI."""
        start = self.pos + 1
        if start >= self.no_close_angle_from:
            raise _BadItem("unterminated <", self.pos)
        end = self.text.find(">", start)
        if end < 0:
            self.no_close_angle_from = start
            raise _BadItem("unterminated <", self.pos)
        self.pos = end + 1
        return self.text[start:end].strip()

    def quoted(self) -> str:
        """A quoted-string, cursor on the opening quote; ``\\x`` stands for ``x``."""
        opening = self.pos
        self.pos += 1
        parts: list[str] = []
        while True:
            if self.pos >= self.no_quote_from:
                raise _BadItem("unterminated quoted string", opening)
            match = _QUOTE_OR_ESCAPE.search(self.text, self.pos)
            if match is None:
                self.no_quote_from = self.pos
                raise _BadItem("unterminated quoted string", opening)
            at = match.start()
            parts.append(self.text[self.pos : at])
            if match.group() == '"':
                self.pos = at + 1
                return "".join(parts)
            if at + 1 >= len(self.text):
                raise _BadItem("escape at end of document", opening)
            parts.append(self.text[at + 1])
            self.pos = at + 2

    def param(self) -> tuple[str, str] | None:
        """One ``name[=value]``, cursor after the ``;``; None for an empty parameter (``;;``)."""
        self.skip_space()
        match = _PARAM_NAME.match(self.text, self.pos)
        if match is None:
            if self.peek() in (";", ",", ""):
                return None
            raise _BadItem(f"bad parameter name at {self.pos}", self.pos)
        name = match.group().lower()
        self.pos = match.end()
        self.skip_space()
        if self.peek() != "=":
            return name, ""
        self.pos += 1
        self.skip_space()
        if self.peek() == '"':
            return name, self.quoted()
        value = _TOKEN_VALUE.match(self.text, self.pos)
        assert value is not None  # a starred class always matches
        self.pos = value.end()
        return name, value.group()

    def item(self) -> LinkValue:
        """One link-value, cursor on its ``<``; leaves the cursor after its last parameter."""
        target = self.target()
        params: dict[str, str] = {}
        while True:
            self.skip_space()
            char = self.peek()
            if char in (",", ""):
                return LinkValue(target, params)
            if char != ";":
                raise _BadItem(f"unexpected {char!r} at {self.pos}", self.pos)
            self.pos += 1
            param = self.param()
            if param is not None:
                # RFC 8288 section 3: occurrences after the first are ignored.
                params.setdefault(*param)


def parse_link_format(text: str) -> list[LinkValue]:
    """The link-values of an ``application/link-format`` document, in document order.

    Malformed items are skipped (see the module docstring). Raises ArchiveError when a
    non-blank document contains no parseable item at all, because that is not a TimeMap.
    """
    scanner = _Scanner(text.removeprefix("\ufeff"))
    links: list[LinkValue] = []
    skipped = 0
    while True:
        scanner.skip_space()
        char = scanner.peek()
        if char == "":
            break
        if char == ",":  # empty item or trailing comma
            scanner.pos += 1
            continue
        start = scanner.pos
        try:
            if char != "<":
                raise _BadItem(f"expected '<' at {start}", start)
            links.append(scanner.item())
        except _BadItem as bad:
            skipped += 1
            if not scanner.resync(bad.resume):
                break
    if not links and skipped:
        preview = text.strip()[:60]
        raise ArchiveError(f"not an application/link-format document (starts {preview!r})")
    return links
