"""What the store keeps and answers, as plain values: a stored check, a dead-link judgement.

These records know nothing of SQLite (nor of the checker's result classes), so they can be
built, compared and serialised without opening a database.

Time is stored as fixed-width ISO 8601 UTC text with microseconds
(``2024-05-03T00:00:00.000000+00:00``): readable in the ``sqlite3`` shell, sortable as text,
and exact to the microsecond. It always comes back timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

__all__ = [
    "FAILURE_VERDICTS",
    "INCONCLUSIVE_VERDICTS",
    "CaptureList",
    "DeadJudgement",
    "JudgementState",
    "StoredCheck",
    "decode_time",
    "encode_time",
    "to_utc",
    "utc_now",
]

#: Verdicts that count as a failure of the URL itself (a streak of these makes it dead).
FAILURE_VERDICTS: frozenset[str] = frozenset({"broken"})

#: Verdicts that say nothing about the URL (a bot wall, our network or the server down for a
#: while, a page that cannot be told from the site's page for a missing path, not checked, not
#: even parseable): they neither extend a failure streak nor end it.
#: Every other verdict (``ok``, ``fixable``, ``redirected``...) is a sign of life.
INCONCLUSIVE_VERDICTS: frozenset[str] = frozenset({"blocked", "unreachable", "unverified", "skipped", "invalid"})


def utc_now() -> datetime:
    """The store's default clock: now, timezone-aware."""
    return datetime.now(UTC)


def to_utc(moment: datetime, what: str) -> datetime:
    """``moment`` in UTC; a naive time is refused, since its zone could only be guessed."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def encode_time(moment: datetime) -> str:
    """Fixed width (years are zero-padded to 4 digits), so comparing texts compares times.

    >>> encode_time(datetime(2024, 5, 3, tzinfo=UTC))
    '2024-05-03T00:00:00.000000+00:00'
    """
    return to_utc(moment, "time").isoformat(timespec="microseconds")


def decode_time(text: str) -> datetime:
    """The UTC time :func:`encode_time` wrote (any ISO 8601 text with an offset is accepted)."""
    return datetime.fromisoformat(text).astimezone(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredCheck:
    """One check of one URL as the store keeps it, independent of the checker's classes.

    ``checked_at`` must be timezone-aware; it is normalised to UTC. ``data`` is the full evidence
    (redirect hops, timings, canonical URL...) and must be JSON-able: it comes back as JSON gives
    it (tuples as lists). It is left out of the hash, so a record can still be hashed.
    """

    #: The URL checked (the cleaned one: the key of its history).
    url: str
    checked_at: datetime
    #: The checker's verdict, e.g. ``"ok"`` or ``"broken"``.
    verdict: str
    reason: str | None = None
    http_status: int | None = None
    #: Where redirects ended, if anywhere else.
    final_url: str | None = None
    data: dict[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "checked_at", to_utc(self.checked_at, "checked_at"))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``checked_at`` as ISO 8601 text); :meth:`from_dict` reverses it."""
        return {
            "url": self.url,
            "checked_at": encode_time(self.checked_at),
            "verdict": self.verdict,
            "reason": self.reason,
            "http_status": self.http_status,
            "final_url": self.final_url,
            "data": self.data,
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> StoredCheck:
        """The record :meth:`to_dict` described (``checked_at`` may be text or a datetime)."""
        checked_at = values["checked_at"]
        return cls(
            url=values["url"],
            checked_at=decode_time(checked_at) if isinstance(checked_at, str) else checked_at,
            verdict=values["verdict"],
            reason=values.get("reason"),
            http_status=values.get("http_status"),
            final_url=values.get("final_url"),
            data=dict(values.get("data") or {}),
        )


JudgementState = Literal["unknown", "alive", "failing", "dead"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadJudgement:
    """What the history of a URL says about it.

    ``unknown``: no conclusive check yet. ``alive``: the latest conclusive check succeeded.
    ``failing``: the current failure streak is too short or too recent to be sure (a server
    can be down for a day). ``dead``: it is long and old enough. ``failures`` counts the
    streak, ``first_failure`` is when it began, ``span`` from its first failure to its last.

    >>> DeadJudgement(state="failing", first_failure=datetime(2024, 5, 1, 9, tzinfo=UTC), failures=1).label
    'dead, first seen 2024-05-01'
    """

    state: JudgementState
    first_failure: datetime | None = None
    failures: int = 0
    span: timedelta = timedelta(0)

    @property
    def is_dead(self) -> bool:
        """Whether the death is confirmed (a failing URL may still come back)."""
        return self.state == "dead"

    @property
    def label(self) -> str:
        """Words for a report: ``dead, confirmed``, ``dead, first seen DATE``, ``alive``, ``unknown``."""
        if self.state == "dead":
            return "dead, confirmed"
        if self.state == "failing" and self.first_failure is not None:
            return f"dead, first seen {self.first_failure.date().isoformat()}"
        return self.state


@dataclass(frozen=True, slots=True, kw_only=True)
class CaptureList:
    """What one source (``cdx``, ``timemap:<archive>``, ``save``) said it holds of one URL.

    ``captures`` are JSON-able dicts, oldest first (the archiver's compact form of a
    :class:`~citecheck.archive.Snapshot`); empty is a negative answer. ``reported`` is how many the
    source listed before the list was bounded. ``fresh_until``: ask the source again after it.
    """

    lookup_url: str
    source: str
    learned_at: datetime
    fresh_until: datetime
    captures: tuple[dict[str, Any], ...] = field(default=(), hash=False)
    reported: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "learned_at", to_utc(self.learned_at, "learned_at"))
        object.__setattr__(self, "fresh_until", to_utc(self.fresh_until, "fresh_until"))

    def is_fresh(self, now: datetime) -> bool:
        """Whether the list may still be used without asking the source again."""
        return to_utc(now, "now") < self.fresh_until
