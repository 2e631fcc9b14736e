"""The check stage's results as the store keeps them, and back: reuse, record, judge.

The store only knows :class:`~citecheck.store.records.StoredCheck`; the network check stage
speaks :class:`~citecheck.core.evidence.OnlineResult`. This module is the one translation
between them, so every caller (the pipeline, the HTTP service) reuses and remembers results by
the same rules. The full result is kept as ``data["online"]`` (its ``to_dict()``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from ..core.evidence import OnlineResult
from ..core.verdicts import Verdict
from .base import BaseStore
from .records import StoredCheck

__all__ = ["online_result", "remember_results", "reusable_results", "stored_check"]

#: Verdicts about our network or a bot wall rather than the page: always worth asking again.
_NOT_REUSED = frozenset({Verdict.UNREACHABLE.value, Verdict.BLOCKED.value})


def stored_check(result: OnlineResult) -> StoredCheck:
    """The row the store keeps for ``result``: its columns, and the whole result as ``data["online"]``."""
    return StoredCheck(
        url=result.url,
        checked_at=result.checked_at,
        verdict=result.verdict.value,
        reason=None if result.reason is None else result.reason.value,
        http_status=result.http_status,
        final_url=result.final_url,
        data={"online": result.to_dict()},
    )


def online_result(stored: StoredCheck) -> OnlineResult | None:
    """The result ``stored`` was made from, marked ``from_cache``; None for a row without one."""
    online = stored.data.get("online")
    if not isinstance(online, dict):
        return None
    return replace(OnlineResult.from_dict(online), from_cache=True)


def reusable_results(store: BaseStore, urls: Sequence[str], *, max_age: float) -> dict[str, OnlineResult]:
    """Stored results of ``urls`` younger than ``max_age`` seconds, by URL, to use instead of fetching.

    ``max_age <= 0`` reuses nothing. Network trouble (``unreachable``, ``blocked``) is never
    reused: it says more about that moment than about the link. ``unverified`` is: it says how
    the site is built (one page for every path), which asking again soon does not change.
    """
    if max_age <= 0:
        return {}
    reused: dict[str, OnlineResult] = {}
    latest = store.latest_many(urls, max_age=timedelta(seconds=max_age))
    for url in urls:
        stored = latest.get(url)
        if stored is None or stored.verdict in _NOT_REUSED:
            continue
        try:
            result = online_result(stored)
        except (ValueError, TypeError, KeyError):
            # A reason or field this version does not know (a newer citecheck wrote it), or a
            # damaged row: check the URL again rather than fail the run.
            store.unreadable_rows += 1
            continue
        if result is not None:
            reused[url] = result
    return reused


def remember_results(
    store: BaseStore, results: Sequence[OnlineResult], *, dead_after_checks: int, dead_after_days: float
) -> dict[str, OnlineResult]:
    """Record fresh ``results``, and return the broken ones labelled with what their history says.

    One write transaction records them all and judges the broken ones. Each broken one comes
    back with ``history`` set to the store's judgement label (``dead, confirmed`` once it failed
    ``dead_after_checks`` times over ``dead_after_days`` days, else ``dead, first seen DATE``).
    An offline run says nothing about the links: the caller does not call this then.
    """
    broken = [result.url for result in results if result.verdict is Verdict.BROKEN]
    judgements = store.record_judged(
        (stored_check(result) for result in results),
        broken,
        min_checks=dead_after_checks,
        min_span=timedelta(days=dead_after_days),
    )
    return {
        result.url: replace(result, history=judgements[result.url].label)
        for result in results
        if result.verdict is Verdict.BROKEN
    }
