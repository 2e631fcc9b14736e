"""The store for async callers: every store call runs in one worker thread, off the event loop.

A store call (SQLite's or PostgreSQL's) blocks: on disk I/O or the network, on another
process's lock (the busy timeout), and in the sleeps between retries. On an event loop that would stall every
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
from collections.abc import Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, Self, TypeVar

from .base import BaseStore
from .opening import open_store
from .records import StoredCheck

__all__ = ["AsyncStore"]

_P = ParamSpec("_P")
_T = TypeVar("_T")

#: Name prefix of the worker thread (seen in thread dumps and profiles).
THREAD_NAME = "citecheck-store"


def _offloaded(
    method: Callable[Concatenate[BaseStore, _P], _T],
) -> Callable[Concatenate[AsyncStore, _P], Coroutine[Any, Any, _T]]:
    """``method`` of :class:`Store` as a coroutine method of :class:`AsyncStore` taking the same arguments."""

    async def offloaded(self: AsyncStore, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        return await self.call(method, *args, **kwargs)

    offloaded.__name__, offloaded.__qualname__ = method.__name__, f"AsyncStore.{method.__name__}"
    offloaded.__doc__ = f"See :meth:`Store.{method.__name__}`."
    return offloaded


def _opened(opener: Callable[_P, BaseStore]) -> Callable[_P, Coroutine[Any, Any, AsyncStore]]:
    """``opener`` (:func:`~citecheck.store.open_store`) run in a thread, its store wrapped in an :class:`AsyncStore`."""

    async def open(*args: _P.args, **kwargs: _P.kwargs) -> AsyncStore:
        """Open the store as :func:`~citecheck.store.open_store` does, in a thread: opening may wait."""
        # Before the wrapper exists nothing can be queued behind the opening: any thread will do.
        return AsyncStore(await asyncio.to_thread(opener, *args, **kwargs))

    return open


class AsyncStore:
    """A :class:`Store` whose methods are coroutines, run in order in one worker thread.

    Wrap an open store (``AsyncStore(store)``: it now belongs to the wrapper, which closes it)
    or open one off the loop with :meth:`open`. Close with :meth:`aclose`, or use ``async with``.
    """

    def __init__(self, store: BaseStore) -> None:
        self._store = store
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_NAME)
        self._closed = False

    #: :func:`~citecheck.store.open_store` (the same arguments, either backend) run in a thread, its store wrapped.
    open = staticmethod(_opened(open_store))

    @property
    def store(self) -> BaseStore:
        """The wrapped store, for code that runs in a thread of its own; never call it on the loop."""
        return self._store

    @property
    def path(self) -> Path | None:
        """The database file, or None for a store that is not a file (in memory, PostgreSQL)."""
        return self._store.path

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` was called."""
        return self._closed

    async def call(self, function: Callable[Concatenate[BaseStore, _P], _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
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

    record = _offloaded(BaseStore.record)

    async def record_many(self, checks: Iterable[StoredCheck]) -> None:
        """See :meth:`Store.record_many`; ``checks`` is read here, on the caller's side."""
        await self.call(BaseStore.record_many, list(checks))

    latest = _offloaded(BaseStore.latest)
    latest_many = _offloaded(BaseStore.latest_many)
    history = _offloaded(BaseStore.history)
    judgement = _offloaded(BaseStore.judgement)
    prune = _offloaded(BaseStore.prune)
    record_snapshot = _offloaded(BaseStore.record_snapshot)
    latest_snapshot = _offloaded(BaseStore.latest_snapshot)
    pending_snapshots = _offloaded(BaseStore.pending_snapshots)
    record_captures = _offloaded(BaseStore.record_captures)
    add_capture = _offloaded(BaseStore.add_capture)
    capture_lists = _offloaded(BaseStore.capture_lists)
