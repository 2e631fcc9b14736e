"""Compare a cited page with the live one: main text of each, then shingle containment.

The verdict is ``same`` when the similarity reaches the threshold, ``changed`` below it, and
``unknown`` when either side has too little main text to compare (under :data:`MIN_WORDS`
words: a page whose text a script builds, a stub, a page of links only).
"""

from __future__ import annotations

from datetime import UTC, datetime

from ..core.defaults import DRIFT_THRESHOLD
from ..core.drift import Drift, DriftVerdict
from .maintext import main_text
from .similarity import containment, normalise

__all__ = ["DEFAULT_THRESHOLD", "MIN_WORDS", "compare_html", "compare_texts"]

#: Fewer main-text words than this on either side and the comparison says ``unknown``: a few
#: words of menu or a "loading..." shell are no evidence either way.
MIN_WORDS = 10

#: Similarity at or over which the live text counts as the same as the cited one. Measured in
#: benchmarks/bench_drift.py: same text under a new template and small edits stay at 0.9 or more,
#: rewritten or replaced articles fall under 0.3 (docs/archiving.md, "Content drift").
#: The ``drift_threshold`` setting's default, declared in :mod:`citecheck.core.defaults`.
DEFAULT_THRESHOLD: float = DRIFT_THRESHOLD.default


def compare_texts(
    cited: str,
    live: str,
    *,
    snapshot: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    at: datetime | None = None,
) -> Drift:
    """The drift verdict for two main texts (the cited snapshot's, and the live page's)."""
    moment = at or datetime.now(UTC)
    if len(normalise(cited)) < MIN_WORDS:
        return Drift.unknown("the snapshot has too little main text to compare", snapshot=snapshot, at=moment)
    if len(normalise(live)) < MIN_WORDS:
        return Drift.unknown("the live page has too little main text to compare", snapshot=snapshot, at=moment)
    similarity = containment(cited, live)
    if similarity is None:  # pragma: no cover - MIN_WORDS words make at least one shingle
        return Drift.unknown("the snapshot has no main text", snapshot=snapshot, at=moment)
    verdict = DriftVerdict.SAME if similarity >= threshold else DriftVerdict.CHANGED
    return Drift(verdict=verdict, similarity=similarity, snapshot=snapshot, compared_at=moment)


def compare_html(
    cited_html: str,
    live_html: str,
    *,
    snapshot: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    extractor: str = "trafilatura",
    at: datetime | None = None,
) -> Drift:
    """:func:`compare_texts` on the main text of two HTML pages (CPU-bound: run it off an event loop)."""
    return compare_texts(
        main_text(cited_html, extractor),
        main_text(live_html, extractor),
        snapshot=snapshot,
        threshold=threshold,
        at=at,
    )
