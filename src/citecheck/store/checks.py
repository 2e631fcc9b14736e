"""The check stage's results as stored rows, and back: what a rerun may reuse, what history says.

Temporary home until the store package's own version lands (same signatures).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from ..core.evidence import OnlineResult
from ..core.verdicts import Verdict
from .sqlite import Store, StoredCheck

__all__ = ["remember_results", "reusable_results"]


def reusable_results(store: Store, urls: Sequence[str], *, max_age: float) -> dict[str, OnlineResult]:
    """Stored results young enough to reuse; network trouble is always checked again."""
    if max_age <= 0:
        return {}
    reused: dict[str, OnlineResult] = {}
    for url in urls:
        stored = store.latest(url, max_age=timedelta(seconds=max_age))
        if stored is None or stored.verdict in ("unreachable", "blocked") or "online" not in stored.data:
            continue
        reused[url] = replace(OnlineResult.from_dict(stored.data["online"]), from_cache=True)
    return reused


def remember_results(
    store: Store, results: Sequence[OnlineResult], *, dead_after_checks: int, dead_after_days: float
) -> dict[str, OnlineResult]:
    """Record fresh results; return the broken ones labelled with what their history says."""
    store.record_many(
        StoredCheck(
            url=r.url,
            checked_at=r.checked_at,
            verdict=r.verdict.value,
            reason=None if r.reason is None else r.reason.value,
            http_status=r.http_status,
            final_url=r.final_url,
            data={"online": r.to_dict()},
        )
        for r in results
    )
    labelled: dict[str, OnlineResult] = {}
    for result in results:
        if result.verdict is Verdict.BROKEN:
            judgement = store.judgement(
                result.url, min_checks=dead_after_checks, min_span=timedelta(days=dead_after_days)
            )
            labelled[result.url] = replace(result, history=judgement.label)
    return labelled
