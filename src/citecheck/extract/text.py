"""Bare URLs in prose: where a link starts and, harder, where it ends.

A URL in running text is followed by punctuation that belongs to the sentence, not the link
(``see https://example.com/a.``). We cut trailing punctuation and quotes, and closing brackets
that have no opening partner inside the URL, so ``https://en.wikipedia.org/wiki/Foo_(bar)``
keeps its parenthesis while ``(see https://example.com)`` does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["FoundLink", "find_links_in_text"]

_CANDIDATE = re.compile(r"""https?://[^\s<>"'`\x00-\x1f\x7f\u00a0\u2028\u2029]+""", re.IGNORECASE)
_TRAILING = ".,;:!?'\"\u2018\u2019\u201c\u201d\u00bb\u203a*_~"
_PAIRS = {")": "(", "]": "[", "}": "{"}


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


def _trim(candidate: str) -> str:
    while candidate:
        last = candidate[-1]
        if last in _TRAILING or (last in _PAIRS and candidate.count(last) > candidate.count(_PAIRS[last])):
            candidate = candidate[:-1]
        else:
            break
    return candidate


def find_links_in_text(text: str) -> Iterator[FoundLink]:
    """Every http(s) URL in ``text``, in order, with sentence punctuation left out."""
    line, line_start, scanned = 1, 0, 0
    for match in _CANDIDATE.finditer(text):
        url = _trim(match.group(0))
        if len(url) <= len("https://") or url.lower() in ("http://", "https://"):
            continue
        start = match.start()
        line += text.count("\n", scanned, start)
        newline = text.rfind("\n", 0, start)
        line_start = newline + 1
        scanned = start
        yield FoundLink(url=url, start=start, end=start + len(url), line=line, column=start - line_start + 1)
