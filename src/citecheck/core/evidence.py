"""The network's evidence about one URL: its verdict, the redirect chain, what the page said."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from .verdicts import Reason, Verdict

__all__ = ["Hop", "OnlineResult"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Hop:
    """One step of a redirect chain.

    ``url``, asked with ``method``, answered ``status`` and pointed on to ``location`` (made absolute).
    """

    url: str
    status: int
    method: str
    location: str | None = None
    #: ``http`` for a 3xx answer, ``meta-refresh`` for an HTML refresh.
    kind: str = "http"
    #: ``location`` after cleaning: redirects often add trackers on the way.
    cleaned: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Its fields, which are plain values: ``Hop(**hop.to_dict())`` rebuilds it."""
        return asdict(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class OnlineResult:
    """The verdict on one URL with its evidence."""

    url: str
    verdict: Verdict
    reason: Reason | None = None
    http_status: int | None = None
    final_url: str | None = None
    redirects: tuple[Hop, ...] = ()
    canonical: str | None = None
    content_type: str | None = None
    #: The URL to cite instead: the cleaned end of an all-permanent redirect chain.
    suggested: str | None = None
    attempts: int = 0
    elapsed: float = 0.0
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    from_cache: bool = False
    #: What went wrong, for people (exception text, Retry-After, ...).
    detail: str | None = None
    #: What the stored history says of a broken link: "dead, confirmed" or "dead, first seen DATE".
    history: str | None = None

    @property
    def is_network_failure(self) -> bool:
        return self.verdict is Verdict.UNREACHABLE or self.reason is Reason.DNS_NXDOMAIN

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "verdict": self.verdict.value,
            "reason": None if self.reason is None else self.reason.value,
            "http_status": self.http_status,
            "final_url": self.final_url,
            "redirects": [hop.to_dict() for hop in self.redirects],
            "canonical": self.canonical,
            "content_type": self.content_type,
            "suggested": self.suggested,
            "attempts": self.attempts,
            "elapsed": round(self.elapsed, 4),
            "checked_at": self.checked_at.isoformat(),
            "from_cache": self.from_cache,
            "detail": self.detail,
            "history": self.history,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OnlineResult:
        """Rebuild a result stored with :meth:`to_dict` (the result store keeps that form)."""
        return cls(
            url=data["url"],
            verdict=Verdict(data["verdict"]),
            reason=None if data.get("reason") is None else Reason(data["reason"]),
            http_status=data.get("http_status"),
            final_url=data.get("final_url"),
            redirects=tuple(Hop(**hop) for hop in data.get("redirects", [])),
            canonical=data.get("canonical"),
            content_type=data.get("content_type"),
            suggested=data.get("suggested"),
            attempts=int(data.get("attempts", 0)),
            elapsed=float(data.get("elapsed", 0.0)),
            checked_at=datetime.fromisoformat(data["checked_at"]),
            from_cache=bool(data.get("from_cache", False)),
            detail=data.get("detail"),
            history=data.get("history"),
        )
