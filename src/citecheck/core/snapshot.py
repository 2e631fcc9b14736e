"""A snapshot record: where a faithful copy of a cited URL is preserved, and how we know.

One shape for every archive (the Internet Archive through CDX or its availability API,
any Memento archive through a TimeMap or TimeGate, and captures we requested with Save Page
Now), so choosing between archives and storing records never depends on where they came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from .errors import ArchiveError

__all__ = [
    "ArchiveError",
    "JobStatus",
    "SaveErrorClass",
    "Snapshot",
    "SnapshotSource",
    "parse_timestamp14",
    "timestamp14",
]


class SnapshotSource(StrEnum):
    """Which API told us about the snapshot."""

    CDX = "cdx"
    AVAILABILITY = "availability"
    TIMEMAP = "timemap"
    TIMEGATE = "timegate"
    SAVE = "save"


class JobStatus(StrEnum):
    """A Save Page Now job, as last polled."""

    PENDING = "pending"
    SUCCESS = "success"
    ERROR = "error"


class SaveErrorClass(StrEnum):
    """What a failed capture means for the next attempt."""

    PERMANENT = "permanent"
    RETRY_LATER = "retry_later"
    PER_URL_DAILY = "per_url_daily"
    AUTH = "auth"
    RATE_LIMITED = "rate_limited"


def timestamp14(moment: datetime) -> str:
    """The 14-digit ``YYYYMMDDhhmmss`` form archives use, in UTC."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def parse_timestamp14(text: str) -> datetime:
    """A 14-digit (or shorter, right-padded) archive timestamp as an aware UTC datetime."""
    digits = "".join(ch for ch in text if ch.isdigit())
    if not 4 <= len(digits) <= 14:
        raise ArchiveError(f"not an archive timestamp: {text!r}")
    padded = digits + "0101000000"[len(digits) - 4 :] if len(digits) < 14 else digits
    try:
        return datetime.strptime(padded[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError as exc:
        raise ArchiveError(f"not an archive timestamp: {text!r}") from exc


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """One capture of one URL in one archive."""

    #: The URL as the article cites it.
    original_url: str
    #: The URL looked up (the cleaned one, unless only the cited form had captures).
    lookup_url: str
    #: Which archive: ``ia`` for the Internet Archive, else the configured Memento archive name.
    archive: str
    #: The replay URL a reader follows.
    memento_url: str
    #: The capture without the archive's banner/rewriting (Wayback's ``id_`` form) when known.
    raw_url: str | None = None
    captured_at: datetime
    #: HTTP status the archive recorded for the capture (None when unknown, e.g. a revisit).
    status: int | None = None
    mimetype: str | None = None
    digest: str | None = None
    source: SnapshotSource
    learned_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: For captures we requested.
    job_id: str | None = None
    job_status: JobStatus | None = None
    status_ext: str | None = None
    error_class: SaveErrorClass | None = None

    @property
    def timestamp(self) -> str:
        return timestamp14(self.captured_at)

    @property
    def is_good(self) -> bool:
        """A capture worth citing: the archive recorded a successful answer."""
        return self.status in (200, 203, 206)

    def to_dict(self) -> dict[str, Any]:
        return {
            "original_url": self.original_url,
            "lookup_url": self.lookup_url,
            "archive": self.archive,
            "memento_url": self.memento_url,
            "raw_url": self.raw_url,
            "captured_at": self.captured_at.isoformat(),
            "timestamp": self.timestamp,
            "status": self.status,
            "mimetype": self.mimetype,
            "digest": self.digest,
            "source": self.source.value,
            "learned_at": self.learned_at.isoformat(),
            "job_id": self.job_id,
            "job_status": None if self.job_status is None else self.job_status.value,
            "status_ext": self.status_ext,
            "error_class": None if self.error_class is None else self.error_class.value,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Snapshot:
        return cls(
            original_url=data["original_url"],
            lookup_url=data["lookup_url"],
            archive=data["archive"],
            memento_url=data["memento_url"],
            raw_url=data.get("raw_url"),
            captured_at=datetime.fromisoformat(data["captured_at"]),
            status=data.get("status"),
            mimetype=data.get("mimetype"),
            digest=data.get("digest"),
            source=SnapshotSource(data["source"]),
            learned_at=datetime.fromisoformat(data["learned_at"]),
            job_id=data.get("job_id"),
            job_status=None if data.get("job_status") is None else JobStatus(data["job_status"]),
            status_ext=data.get("status_ext"),
            error_class=None if data.get("error_class") is None else SaveErrorClass(data["error_class"]),
        )

    def summary(self) -> dict[str, Any]:
        """The short form reports show a reader: which archive, the replay URL, when, what status."""
        return {
            "archive": self.archive,
            "url": self.memento_url,
            "timestamp": self.captured_at.isoformat(),
            "status": self.status,
        }
