"""The store for async callers: every SQLite call runs in one worker thread, off the event loop.

A :class:`~citecheck.store.sqlite.Store` call blocks: on disk I/O, on another process's lock
(the busy timeout), and in the sleeps between retries. On an event loop that would stall every
other task (the HTTP service's requests, the pipeline's checks), so :class:`AsyncStore` hands
each call to one dedicated thread. One thread, not a pool: calls run in the order they were
made, and the store's lock is never contended by its own callers.

>>> import asyncio
>>> from datetime import UTC, datetime, timedelta
>>> from citecheck.store.records import StoredCheck
>>> async def demo() -> int | None:
...     async with await AsyncStore.open(":memory:") as store:
...         await store.record(StoredCheck(url="https://example.org/", checked_at=datetime.now(UTC),
...                                        verdict="ok", http_status=200))
...         latest = await store.latest("https://example.org/", max_age=timedelta(hours=1))
...         return None if latest is None else latest.http_status
>>> asyncio.run(demo())
200

A call cancelled while it waits still runs to its end in the worker (a thread cannot be
interrupted); a cancelled write is therefore either done or not started, never half done.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, Self, TypeVar

from .records import FAILURE_VERDICTS, INCONCLUSIVE_VERDICTS, DeadJudgement, StoredCheck, utc_now
from .schema import Migration
from .sqlite import ATTEMPTS, Store

__all__ = ["AsyncStore"]

_P = ParamSpec("_P")
_T = TypeVar("_T")

#: Name prefix of the worker thread (seen in thread dumps and profiles).
THREAD_NAME = "citecheck-store"


class AsyncStore:
    """A :class:`Store` whose methods are coroutines, run in order in one worker thread.

    Wrap an open store (``AsyncStore(store)``: it now belongs to the wrapper, which closes it)
    or open one off the loop with :meth:`open`. Close with :meth:`aclose`, or use ``async with``.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_NAME)
        self._closed = False

    @classmethod
    async def open(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        timeout: float = 10.0,
        attempts: int = ATTEMPTS,
        migrations: Sequence[Migration] | None = None,
    ) -> AsyncStore:
        """Open the store as :meth:`Store.open` does, in the worker thread (opening may migrate and wait)."""
        opening = functools.partial(
            Store.open, path, clock=clock, timeout=timeout, attempts=attempts, migrations=migrations
        )
        # Before the wrapper exists nothing can be queued behind the opening: any thread will do.
        return cls(await asyncio.to_thread(opening))

    @property
    def store(self) -> Store:
        """The wrapped store, for code that runs in a thread of its own; never call it on the loop."""
        return self._store

    @property
    def path(self) -> Path | None:
        """The database file, or None for an in-memory store."""
        return self._store.path

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` was called."""
        return self._closed

    async def call(self, function: Callable[Concatenate[Store, _P], _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """``function(store, *args, **kwargs)`` in the worker thread, in turn with the other calls.

        For several store calls that belong together, or a helper taking a store, such as
        ``await astore.call(reusable_results, urls, max_age=86400)``.
        """
        if self._closed:
            raise RuntimeError("the citecheck store is closed")
        job = functools.partial(function, self._store, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._executor, job)

    async def aclose(self) -> None:
        """Close the store after the calls already made, then let the worker thread end.

        Closing twice is harmless.
        """
        if self._closed:
            return
        self._closed = True
        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._store.close)
        finally:
            # Nothing is queued any more: the worker ends at once, without blocking the loop.
            self._executor.shutdown(wait=False)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.aclose()

    # -- the store's methods, as coroutines ------------------------------------------------------

    async def schema_version(self) -> int:
        """See :attr:`Store.schema_version`."""
        return await self.call(lambda store: store.schema_version)

    async def record(self, check: StoredCheck) -> None:
        """See :meth:`Store.record`."""
        await self.call(Store.record, check)

    async def record_many(self, checks: Iterable[StoredCheck]) -> None:
        """See :meth:`Store.record_many`; ``checks`` is read here, on the caller's side."""
        await self.call(Store.record_many, list(checks))

    async def latest(self, url: str, *, max_age: timedelta) -> StoredCheck | None:
        """See :meth:`Store.latest`."""
        return await self.call(Store.latest, url, max_age=max_age)

    async def history(self, url: str, *, limit: int = 100) -> list[StoredCheck]:
        """See :meth:`Store.history`."""
        return await self.call(Store.history, url, limit=limit)

    async def judgement(
        self,
        url: str,
        *,
        min_checks: int = 3,
        min_span: timedelta = timedelta(days=3),
        failures: Collection[str] = FAILURE_VERDICTS,
        inconclusive: Collection[str] = INCONCLUSIVE_VERDICTS,
    ) -> DeadJudgement:
        """See :meth:`Store.judgement`."""
        return await self.call(
            Store.judgement, url, min_checks=min_checks, min_span=min_span, failures=failures, inconclusive=inconclusive
        )

    async def prune(self, older_than: timedelta) -> int:
        """See :meth:`Store.prune`."""
        return await self.call(Store.prune, older_than)

    async def record_snapshot(
        self, *, lookup_url: str, original_url: str, snapshot: dict[str, Any] | None, learned_at: datetime | None = None
    ) -> None:
        """See :meth:`Store.record_snapshot`."""
        await self.call(
            Store.record_snapshot,
            lookup_url=lookup_url,
            original_url=original_url,
            snapshot=snapshot,
            learned_at=learned_at,
        )

    async def latest_snapshot(
        self, lookup_url: str, *, max_age: timedelta, negative_max_age: timedelta
    ) -> tuple[bool, dict[str, Any] | None]:
        """See :meth:`Store.latest_snapshot`."""
        return await self.call(Store.latest_snapshot, lookup_url, max_age=max_age, negative_max_age=negative_max_age)

    async def pending_snapshots(self, limit: int = 100) -> list[dict[str, Any]]:
        """See :meth:`Store.pending_snapshots`."""
        return await self.call(Store.pending_snapshots, limit)
