"""Content drift, offline: main text, shingle containment and the verdict, on pages we make."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, strategies as st

from citecheck.core.drift import Drift, DriftVerdict
from citecheck.core.snapshot import JobStatus, Snapshot, SnapshotSource
from citecheck.drift import DEFAULT_THRESHOLD, EXTRACTORS, compare_html, compare_texts, containment, main_text
from citecheck.drift.maintext import require_extractor
from citecheck.pipeline.drifting import comparable
from drift_pages import ARTICLE, CASES, OTHER_ARTICLE, Case, page

pytest.importorskip("trafilatura")


@pytest.mark.parametrize("extractor", EXTRACTORS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_case_gets_its_verdict(case: Case, extractor: str) -> None:
    drift = compare_html(case.cited, case.live, extractor=extractor, snapshot="https://archive.example/web/1/x")
    assert drift.verdict is (DriftVerdict.SAME if case.same else DriftVerdict.CHANGED), drift
    assert drift.similarity is not None
    assert 0.0 <= drift.similarity <= 1.0
    assert drift.snapshot == "https://archive.example/web/1/x"


@pytest.mark.parametrize("extractor", EXTRACTORS)
def test_furniture_is_not_main_text(extractor: str) -> None:
    text = main_text(page(), extractor)
    assert "Elm Street bridge" in text
    for furniture in ("cookies", "Related stories", "garden furniture", "All rights reserved", "dataLayer", "2021"):
        assert furniture not in text


def test_a_page_without_text_is_unknown() -> None:
    empty = "<html><body><nav><a href='/'>Home</a></nav></body></html>"
    assert compare_html(empty, page()).verdict is DriftVerdict.UNKNOWN
    assert compare_html(page(), empty).verdict is DriftVerdict.UNKNOWN
    assert compare_html(page(), empty).similarity is None
    assert "live page" in compare_html(page(), empty).detail


def test_added_text_does_not_count_removed_text_does() -> None:
    cited = " ".join(ARTICLE[1])
    assert containment(cited, cited + " " + " ".join(OTHER_ARTICLE[1])) == 1.0
    half = " ".join(ARTICLE[1][:2])
    similarity = containment(cited, half)
    assert similarity is not None
    assert similarity < DEFAULT_THRESHOLD


def test_normalisation_ignores_case_punctuation_and_spacing() -> None:
    assert containment("The bridge, it is CLOSED today.", "the   bridge it is closed\ntoday") == 1.0


def test_short_texts_are_one_shingle() -> None:
    assert containment("Closed", "The bridge is closed") == 1.0
    assert containment("bridge closed", "closed bridge") == 0.0


@given(st.text(), st.text())
def test_containment_is_a_share(cited: str, live: str) -> None:
    value = containment(cited, live)
    assert value is None or 0.0 <= value <= 1.0
    if value is not None:
        assert containment(cited, cited) == 1.0


def test_threshold_decides() -> None:
    at = datetime(2026, 1, 2, tzinfo=UTC)
    cited = " ".join(ARTICLE[1])
    live = " ".join(ARTICLE[1][:4])
    share = containment(cited, live)
    assert share is not None
    assert compare_texts(cited, live, threshold=share, at=at).verdict is DriftVerdict.SAME
    assert compare_texts(cited, live, threshold=share + 0.01, at=at).verdict is DriftVerdict.CHANGED


def test_to_dict_is_the_documented_shape() -> None:
    drift = Drift(
        verdict=DriftVerdict.CHANGED,
        similarity=0.123456,
        snapshot="https://archive.example/web/20200101000000/https://example.com/",
        compared_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    assert drift.to_dict() == {
        "verdict": "changed",
        "similarity": 0.1235,
        "snapshot": "https://archive.example/web/20200101000000/https://example.com/",
        "compared_at": "2026-01-02T03:04:05+00:00",
        "detail": None,
    }
    assert Drift.unknown("no snapshot").to_dict()["similarity"] is None


def test_unknown_extractor_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown main-text extractor"):
        require_extractor("nonsense")


def test_drift_imports_without_trafilatura() -> None:
    """The package imports and says which extra to install when trafilatura is missing."""
    code = (
        "import sys; sys.modules['trafilatura'] = None\n"
        "import citecheck.drift as d\n"
        "print(d.main_text('<article><p>some words here</p></article>', 'density'))\n"
        "try:\n    d.require_extractor()\nexcept d.ExtractorMissing as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "some words here" in out
    assert "citecheck[drift]" in out


def test_which_snapshots_are_compared() -> None:
    base = Snapshot(
        original_url="https://example.com/",
        lookup_url="https://example.com/",
        archive="memento-example",
        memento_url="https://archive.example/20200101000000/https://example.com/",
        captured_at=datetime(2020, 1, 1, tzinfo=UTC),
        source=SnapshotSource.TIMEMAP,
    )
    assert comparable(base)  # a TimeMap records no status: compared all the same
    assert comparable(replace(base, status=200))
    assert not comparable(replace(base, status=404))
    assert not comparable(replace(base, job_status=JobStatus.PENDING))
    assert comparable(replace(base, job_status=JobStatus.SUCCESS, status=200))
