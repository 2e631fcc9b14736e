"""The drift stage of a run: for each link with a snapshot, compare the live page with it.

Runs after a link's snapshot lookup (``--drift`` implies ``--archive``), one comparison per
URL as cited however many files cite it. A link the check found dead, blocked or unreachable
is not fetched again: its drift is ``unknown`` (a dead link is the check's finding, not drift).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace

from ..check import DEFAULT_USER_AGENT
from ..core.config import Config
from ..core.drift import Drift
from ..core.errors import StoreBusyError
from ..core.evidence import OnlineResult
from ..core.results import FileResult
from ..core.snapshot import JobStatus, Snapshot
from ..core.verdicts import Verdict
from ..drift.fetch import DriftFetcher, FetchCache
from ..net.guard import AddressPolicy
from ..store.aio import AsyncStore
from ..store.drifts import record_drift, reusable_drift

__all__ = ["comparable", "compare_link", "make_fetcher", "with_drift"]

#: Check verdicts after which the live page is not worth fetching for a comparison.
_NOT_LIVE = frozenset({Verdict.BROKEN, Verdict.BLOCKED, Verdict.UNREACHABLE})


def comparable(snapshot: Snapshot) -> bool:
    """Whether a snapshot has a capture to compare with: not a failed answer, not a pending save.

    A Memento archive's TimeMap records no status (None): its capture is compared all the same.
    """
    if snapshot.job_status not in (None, JobStatus.SUCCESS):
        return False
    return snapshot.status is None or snapshot.is_good


def make_fetcher(config: Config, policy: AddressPolicy) -> DriftFetcher:
    """The drift fetcher a configuration describes: its timeouts, pace, threshold and address policy."""
    s = config.archive
    # The archive endpoints are the operator's, trusted as the archiver trusts them.
    trusted = [s.wayback_url, s.availability_url]
    trusted += [url for archive in s.memento for url in (archive.timemap, archive.timegate) if url]
    return DriftFetcher(
        policy=policy,
        trusted=trusted,
        timeout=config.timeout,
        user_agent=config.user_agent or DEFAULT_USER_AGENT,
        replay_per_minute=s.verify_per_minute,
        host_interval=config.host_interval,
        threshold=config.drift_threshold,
    )


async def compare_link(
    fetcher: DriftFetcher,
    link_url: str,
    live_url: str,
    lookup: asyncio.Future[Snapshot | None] | None,
    online: OnlineResult | None,
    *,
    open_store: Callable[[], Awaitable[AsyncStore | None]],
    max_age: float,
    cache: FetchCache,
) -> Drift:
    """The drift of one link: wait for its snapshot lookup, then compare (never raises for a page).

    A definite comparison with the same snapshot younger than ``max_age`` seconds is taken from
    the store instead of fetching both pages again; every new comparison is recorded there.
    """
    if online is not None and online.verdict in _NOT_LIVE:
        return Drift.unknown(f"the link is {online.verdict.value}")
    snapshot = await lookup if lookup is not None else None
    if snapshot is not None and not comparable(snapshot):
        snapshot = None
    store = await open_store()
    if store is not None and snapshot is not None:
        try:
            known = await store.call(reusable_drift, link_url, snapshot.memento_url, max_age=max_age)
        except StoreBusyError:
            known = None
        if known is not None:
            return known
    drift = await fetcher.compare(live_url, snapshot, cache)
    if store is not None:
        with contextlib.suppress(StoreBusyError):  # remembered next time; this run has its answer
            await store.call(record_drift, link_url, drift)
    return drift


def with_drift(result: FileResult, drifts: Mapping[str, Drift]) -> FileResult:
    """Each link with its drift comparison, keyed by the URL as cited."""
    if not drifts:
        return result
    links = tuple(
        replace(item, drift=drifts[item.link.url]) if item.link.url in drifts else item for item in result.links
    )
    return replace(result, links=links)
