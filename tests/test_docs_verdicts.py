"""The docs name every verdict and reason a check can give, and every kind of link extraction finds."""

from __future__ import annotations

from pathlib import Path

from citecheck.core.links import LinkKind
from citecheck.core.verdicts import Reason, Verdict

DOCS = Path(__file__).resolve().parent.parent / "docs"

#: Reasons of the cleaning stage, in the offline verdict table of docs/cli.md instead.
CLEANING = {Reason.TRACKING_PARAMS, Reason.REDIRECT_WRAPPER}


def test_every_reason_and_verdict_is_in_the_verdict_table() -> None:
    checking = (DOCS / "checking.md").read_text("utf-8")
    cleaning = (DOCS / "cli.md").read_text("utf-8")
    for reason in Reason:
        page = cleaning if reason in CLEANING else checking
        assert f"`{reason.value}`" in page, f"reason {reason.value!r} is not documented"
    pages = checking + cleaning + (DOCS / "service.md").read_text("utf-8")
    for verdict in Verdict:
        assert f"`{verdict.value}`" in pages, f"verdict {verdict.value!r} is not documented"


def test_every_link_kind_is_documented() -> None:
    extraction = (DOCS / "extraction.md").read_text("utf-8")
    formats = (DOCS / "output-formats.md").read_text("utf-8")
    for kind in LinkKind:
        assert f"`{kind.value}`" in extraction, f"kind {kind.value!r} is not in extraction.md"
        assert f"`{kind.value}`" in formats, f"kind {kind.value!r} is not in output-formats.md"
