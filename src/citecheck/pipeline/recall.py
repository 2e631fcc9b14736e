"""What a distributed audit's client reads back of its workers' archive work: snapshots and drift.

Workers look up each URL's capture lists and compare its live page, writing both to the shared
store; the client then chooses each URL's snapshot for its access date from the stored lists
(:meth:`~citecheck.archive.archiver.AsyncArchiver.recall`, no archive asked) and reads the
comparison made with it. So the records of a cluster audit carry the same fields as one
process's, and the client never sends a request of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from ..archive.archiver import AsyncArchiver
from ..core.config import Config
from ..core.drift import Drift
from ..core.snapshot import Snapshot
from ..store.aio import AsyncStore
from ..store.drifts import latest_drift

__all__ = ["Recaller"]


class Recaller:
    """Reads snapshots (and, with ``drift``, comparisons) of finished shards from the store."""

    def __init__(self, config: Config, store: AsyncStore, *, drift: bool) -> None:
        self._store = store
        self._drift = drift
        # No client of its own is used: recall() never leaves the store.
        self._archiver = AsyncArchiver(config.archive, store=store.store, allow_unguarded=True)

    async def recall(
        self, urls: Sequence[str], read_at: Mapping[str, datetime], now: datetime
    ) -> dict[str, tuple[Snapshot | None, Drift | None]]:
        """Each URL's snapshot for when it was read (``now`` when unknown), and its comparison."""
        found: dict[str, tuple[Snapshot | None, Drift | None]] = {}
        for url in urls:
            snapshot = await self._archiver.recall(url, at=read_at.get(url, now))
            compared = None
            if self._drift:
                if snapshot is not None:
                    compared = await self._store.call(latest_drift, url, snapshot.memento_url)
                if compared is None:  # as one process says it (nothing recorded: nothing compared)
                    why = "no snapshot to compare with" if snapshot is None else "no comparison was recorded"
                    compared = Drift.unknown(why)
            found[url] = (snapshot, compared)
        return found

    async def aclose(self) -> None:
        await self._archiver.aclose()
