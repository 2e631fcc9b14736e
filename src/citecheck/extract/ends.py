"""Where a bare URL ends: stop characters, quotes that pair inside a URL, trailing punctuation.

:mod:`.text` finds where a URL starts and the run of characters it can take (up to a
whitespace or a *hard stop*); this module decides how much of that run is the URL. Everything
here is a forward scan, a single regex without nested quantifiers, or a search whose result
is remembered (:class:`Ahead`), so finding every URL of a text is linear in its length.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["CJK_STOPS", "HARD_STOPS", "QUOTES", "TRAILING", "Ahead", "extent", "trim"]


def _cjk_punctuation() -> str:
    """Fullwidth and CJK punctuation: in Chinese and Japanese it ends a URL as a space would.

    Those languages put no space between a URL and the sentence around it
    (``詳しくはhttps://example.jp/page。次に``), and these characters are never written raw in
    a URL. Punctuation and spaces of the CJK symbols block (``。、「」【】〜``), the CJK
    compatibility and small forms, the katakana middle dot ``・``, the fullwidth and halfwidth
    forms except letters and digits (``（），．：？！％`` ...), and the ellipses ``‥ …``.
    Letters in those blocks (``々``, ``ー``, halfwidth katakana, fullwidth ``Ａ``) are not stops.
    """
    blocks = ((0x3000, 0x303F), (0x30A0, 0x30FF), (0xFE10, 0xFE1F), (0xFE30, 0xFE6F), (0xFF00, 0xFFEF))
    chars = []
    for low, high in blocks:
        for code in range(low, high + 1):
            category = unicodedata.category(chr(code))
            if category[0] in "PZ" or (low == 0xFF00 and category[0] == "S"):
                chars.append(chr(code))
    return "".join(chars) + "\u2025\u2026"


#: Ends a URL wherever it stands (besides whitespace and control characters).
CJK_STOPS = _cjk_punctuation()
HARD_STOPS = "<>`" + CJK_STOPS
#: Quotes that end a URL unless they close a pair opened inside it (see :func:`extent`).
QUOTES = '"\u201c\u201d\u00ab\u00bb\u2018'
#: Cut from the end of a URL: they end sentences or close emphasis far more often than URLs.
TRAILING = ".,;:!?'\u2018\u2019*_~\\"
_OPENING = {")": "(", "]": "[", "}": "{"}
#: An opening quote inside a URL -> what closes it (a single quote closes unless a letter
#: or digit follows: that is an apostrophe, ``'it's'``).
_PARTNERS = {
    '"': re.compile('"'),
    "\u201c": re.compile("\u201d"),
    "\u00ab": re.compile("\u00bb"),
    "\u2018": re.compile(r"\u2019(?![^\W_])"),
    "'": re.compile(r"'(?![^\W_])"),
}
#: The characters :func:`extent` looks at: quotes, and a single quote that could open a pair
#: (no letter or digit before it, one after); an apostrophe inside a word is just a character.
_QUOTE = r"[\"\u201c\u201d\u00ab\u00bb\u2018]|(?<![^\W_])'(?=[^\W_])"
_LOOK = re.compile(_QUOTE)
#: Right after an opening quote, the URL also ends at its closing quote (not followed by a
#: letter or digit): ``'https://a.example/x','https://b.example/y'``.
_LOOK_AFTER = {
    "'": re.compile(_QUOTE + r"|'(?![^\W_])"),
    "\u2018": re.compile(_QUOTE + r"|\u2019(?![^\W_])"),
}


class Ahead:
    """Where a pattern next matches in ``text[:stop]``, asked at positions that move forward.

    The last answer is remembered, a failed search included, so asking again from any position
    it covers costs nothing: however many URLs and quotes a run holds, each character is
    searched once.
    """

    __slots__ = ("_found", "_origin", "pattern", "stop", "text")

    def __init__(self, pattern: re.Pattern[str], text: str, stop: int) -> None:
        self.pattern, self.text, self.stop = pattern, text, stop
        self._origin, self._found = stop + 1, -1

    def find(self, pos: int) -> int:
        """Start of the first match at or after ``pos``, or -1."""
        if self._origin <= pos and (self._found < 0 or self._found >= pos):
            return self._found
        match = self.pattern.search(self.text, pos, self.stop)
        self._origin, self._found = pos, (match.start() if match else -1)
        return self._found


def _opens(ch: str) -> bool:
    """Whether a quote followed by ``ch`` opens a pair inside a URL (``story_"final"``).

    A letter or digit must follow; not a wide (CJK) one: ``https://example.cn/a“说明”`` is a
    URL followed by a quotation, Chinese and Japanese putting no space before it.
    """
    return ch.isalnum() and unicodedata.east_asian_width(ch) not in ("W", "F")


def extent(text: str, host: int, stop: int, opener: str, partners: dict[str, Ahead]) -> tuple[int, int]:
    """``(end, floor)`` of the URL whose host starts at ``host``, before trailing punctuation is cut.

    ``stop`` ends the run of characters the URL can take; ``opener`` is the character before
    the URL; ``partners`` caches one :class:`Ahead` per opening quote for this run. A quote
    that opens inside the URL and closes later in the run stays in, with its partner
    (``https://news.example/story_"final"_draft``); any other ``" “ ” « » ‘`` ends the URL,
    and so does the closing quote of an ``opener`` quote. ``floor`` is the end of the last
    such pair: trimming must not cut into it.
    """
    look = _LOOK_AFTER.get(opener, _LOOK)
    pos = floor = host
    size = len(text)
    while (match := look.search(text, pos, stop)) is not None:
        i = match.start()
        quote = text[i]
        following = text[i + 1] if i + 1 < size else ""
        if quote in _PARTNERS and i + 1 < stop and _opens(following):
            ahead = partners.get(quote)
            if ahead is None:
                ahead = partners[quote] = Ahead(_PARTNERS[quote], text, stop)
            close = ahead.find(i + 1)
            if close >= 0:
                pos = floor = close + 1
                continue
        if quote == "'" and following.isalnum():
            pos = i + 1  # an apostrophe after all: no closing quote in the run
            continue
        return i, floor
    return stop, floor


def trim(text: str, start: int, end: int, floor: int) -> int:
    """The end of the URL ``text[start:end]`` once sentence punctuation is cut (not below ``floor``).

    Trailing :data:`TRAILING` characters go, then closing brackets ``) ] }`` that outnumber
    their opening partner in the URL, repeatedly; a bracket that opened inside the URL keeps
    its partner (``https://en.wikipedia.org/wiki/Foo_(bar)``).
    """
    counts: dict[str, int] = {}  # brackets in the URL, counted when a closing one is last
    while end > floor:
        last = text[end - 1]
        if last in TRAILING:
            end -= 1
            continue
        if last not in _OPENING:
            break
        if not counts:
            counts = {ch: text.count(ch, start, end) for ch in "()[]{}"}
        if counts[last] <= counts[_OPENING[last]]:
            break
        counts[last] -= 1
        end -= 1
    return end
