"""How much of a cited text a later text still holds: containment of word shingles.

In one sentence: the similarity is the share of the cited text's word 5-grams (overlapping runs
of five words, after case, punctuation and spacing are normalised away) that still occur
somewhere in the live text. It is 1.0 when every passage of the cited text is still there (words
added around it do not count against it), and falls as sentences are rewritten or removed; a
single changed word costs at most five shingles.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["SHINGLE_WORDS", "containment", "normalise", "shingles"]

#: Words per shingle: long enough that common phrases of a template or a language do not match
#: by chance, short enough that one edited word leaves the rest of its sentence matching.
SHINGLE_WORDS = 5

_WORD = re.compile(r"\w+")


def normalise(text: str) -> list[str]:
    """The words of ``text``: NFKC, casefolded, punctuation and spacing dropped.

    >>> normalise("Hello,  WORLD! Ça va?")
    ['hello', 'world', 'ça', 'va']
    """
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def shingles(words: list[str], size: int = SHINGLE_WORDS) -> set[tuple[str, ...]]:
    """The set of runs of ``size`` consecutive words (the whole text when it is shorter).

    >>> sorted(shingles(["a", "b", "c"], 2))
    [('a', 'b'), ('b', 'c')]
    >>> shingles(["a"], 5)
    {('a',)}
    """
    if not words:
        return set()
    if len(words) <= size:
        return {tuple(words)}
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def containment(cited: str, live: str, size: int = SHINGLE_WORDS) -> float | None:
    """Share of ``cited``'s shingles found in ``live``, 0.0-1.0; None when ``cited`` has no words.

    >>> containment("the quick brown fox jumps over the lazy dog", "the quick brown fox jumps over the lazy dog")
    1.0
    >>> containment("the quick brown fox jumps over the lazy dog", "something else entirely")
    0.0
    >>> containment("", "anything") is None
    True
    """
    cited_words = normalise(cited)
    if not cited_words:
        return None
    live_words = normalise(live)
    # A cited text shorter than a shingle is one shingle: is it somewhere in the live text?
    size = min(size, len(cited_words))
    wanted = shingles(cited_words, size)
    have = shingles(live_words, size) if len(live_words) >= size else set()
    return len(wanted & have) / len(wanted)
