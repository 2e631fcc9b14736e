"""Content drift, offline: a page's main text, and how much of a cited text a later one still holds.

Pure functions on strings: nothing here touches the network or the store. The reference
main-text extractor (trafilatura, the ``drift`` extra) is imported only when first used, so this
package imports without it; :func:`citecheck.drift.maintext.require_extractor` says what to install.
"""

from __future__ import annotations

from .compare import DEFAULT_THRESHOLD, MIN_WORDS, compare_html, compare_texts
from .maintext import EXTRACTORS, ExtractorMissing, main_text, require_extractor
from .similarity import SHINGLE_WORDS, containment, normalise, shingles

__all__ = [
    "DEFAULT_THRESHOLD",
    "EXTRACTORS",
    "MIN_WORDS",
    "SHINGLE_WORDS",
    "ExtractorMissing",
    "compare_html",
    "compare_texts",
    "containment",
    "main_text",
    "normalise",
    "require_extractor",
    "shingles",
]
