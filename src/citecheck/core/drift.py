"""Content drift, as a value: whether a cited page still says what its snapshot says.

The comparison itself (main text, similarity) is in :mod:`citecheck.drift`; fetching the two
sides is the pipeline's. This is what a report, the store and the service carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

__all__ = ["Drift", "DriftVerdict"]


class DriftVerdict(StrEnum):
    """The answer for one cited URL."""

    #: The live main text still holds the snapshot's (similarity at or over the threshold).
    SAME = "same"
    #: The live main text has moved away from the snapshot's: a finding, not a dead link.
    CHANGED = "changed"
    #: No snapshot, the live page is not HTML, or either side could not be read.
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class Drift:
    """One drift comparison: the verdict, the similarity behind it, and the snapshot compared with."""

    verdict: DriftVerdict
    #: Share of the snapshot's main-text shingles still in the live main text (None when unknown).
    similarity: float | None = None
    #: The memento URL compared with (None when there was no snapshot).
    snapshot: str | None = None
    compared_at: datetime
    #: Why the verdict is unknown, for people (empty otherwise).
    detail: str = ""

    @property
    def changed(self) -> bool:
        return self.verdict is DriftVerdict.CHANGED

    def to_dict(self) -> dict[str, Any]:
        """The ``drift`` entry of a link in the JSON document."""
        return {
            "verdict": self.verdict.value,
            "similarity": None if self.similarity is None else round(self.similarity, 4),
            "snapshot": self.snapshot,
            "compared_at": self.compared_at.astimezone(UTC).isoformat(timespec="seconds"),
            "detail": self.detail or None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Drift:
        """The inverse of :meth:`to_dict` (the store keeps that form)."""
        similarity = data.get("similarity")
        return cls(
            verdict=DriftVerdict(data["verdict"]),
            similarity=None if similarity is None else float(similarity),
            snapshot=data.get("snapshot"),
            compared_at=datetime.fromisoformat(data["compared_at"]),
            detail=data.get("detail") or "",
        )

    @classmethod
    def unknown(cls, detail: str, *, snapshot: str | None = None, at: datetime | None = None) -> Drift:
        """An unknown verdict, saying why."""
        return cls(verdict=DriftVerdict.UNKNOWN, snapshot=snapshot, compared_at=at or datetime.now(UTC), detail=detail)
