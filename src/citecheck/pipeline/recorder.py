"""Network results into the store in batches: one transaction for whatever arrives together.

Every check result is worth remembering, but a transaction per result (a hop to the store's
thread, BEGIN, a WAL frame, COMMIT) costs several times the row itself. A session's
:class:`Recorder` takes the results of all its runs as they arrive and writes them in batches:
the first result after a quiet moment goes at once, and while results stream in, what arrived
since the last write goes in the next one, at most one write per ``spacing`` seconds and at most
``max_batch`` results each. Broken links come back labelled with their history.

Nothing is dropped: :meth:`Recorder.flush` returns once everything added before it is written
(a run flushes before it reports completion), and :meth:`Recorder.aclose`, which the session
calls before closing the store, writes whatever is left, after a deadline or a cancellation too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable

from ..core.errors import StoreBusyError
from ..core.evidence import OnlineResult
from ..store.aio import AsyncStore
from ..store.checks import remember_results

__all__ = ["MAX_BATCH", "SPACING", "Labelled", "Recorder"]

#: Seconds between two writes while results stream in: a result waits at most this long.
SPACING = 0.05

#: Results per transaction at most: the write lock is never held long, labels come back soon.
MAX_BATCH = 1000

#: Told the labelled form of a broken result once its history is known.
Labelled = Callable[[OnlineResult], None]


class Recorder:
    """Write the results given to :meth:`add` to the store, batched, in the order they came.

    ``note`` is told, in a sentence for people, when the store stayed busy and a batch was
    not remembered (the answers themselves are not lost: only the memory of them).
    """

    def __init__(
        self,
        store: AsyncStore,
        *,
        dead_after_checks: int,
        dead_after_days: float,
        note: Callable[[str], None],
        spacing: float | None = None,
        max_batch: int | None = None,
    ) -> None:
        self._store = store
        self._dead_after_checks = dead_after_checks
        self._dead_after_days = dead_after_days
        self._note = note
        self._spacing = SPACING if spacing is None else spacing
        self._max_batch = MAX_BATCH if max_batch is None else max_batch
        if self._max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {self._max_batch}")
        self._pending: list[tuple[OnlineResult, Labelled | None]] = []
        self._added = 0
        self._ended = 0  # results whose write is over (written, or not remembered: busy store)
        self._writer: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._progress = asyncio.Condition()
        self._hurry = 0  # flushes waiting: write now, never wait for the spacing
        self._next_write = 0.0
        self._failure: BaseException | None = None
        #: Write transactions made so far (for tests and benchmarks).
        self.writes = 0

    @property
    def pending(self) -> int:
        """Results added and not yet written."""
        return self._added - self._ended

    def add(self, results: Iterable[OnlineResult], labelled: Labelled | None = None) -> int:
        """Queue ``results`` for the store; returns the mark :meth:`flush` waits for."""
        for result in results:
            self._pending.append((result, labelled))
            self._added += 1
        if self._pending:
            if len(self._pending) >= self._max_batch:
                self._wake.set()
            if self._writer is None:
                self._writer = asyncio.ensure_future(self._write_all())
        return self._added

    async def flush(self, mark: int | None = None) -> None:
        """Return once every result added before ``mark`` (default: all so far) is written.

        Raises what a write raised if it failed for a reason other than a busy store (a bug).
        Cancelling a flush does not cancel the writing.
        """
        mark = self._added if mark is None else mark
        self._hurry += 1
        self._wake.set()
        try:
            async with self._progress:
                await self._progress.wait_for(lambda: self._ended >= mark)
        finally:
            self._hurry -= 1
        if self._failure is not None:
            raise self._failure

    async def aclose(self) -> None:
        """Write everything added so far; the store may be closed afterwards."""
        with contextlib.suppress(Exception):
            await self.flush()

    async def _write_all(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                wait = self._next_write - loop.time()
                if wait > 0 and not self._hurry and len(self._pending) < self._max_batch:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), wait)
                batch = self._pending[: self._max_batch]
                del self._pending[: len(batch)]
                self._next_write = loop.time() + self._spacing
                try:
                    await self._write(batch)
                finally:
                    self._ended += len(batch)
                    async with self._progress:
                        self._progress.notify_all()
        finally:
            self._writer = None

    async def _write(self, batch: list[tuple[OnlineResult, Labelled | None]]) -> None:
        """One transaction for ``batch``; each broken result's labelled form to whoever added it."""
        self.writes += 1
        try:
            labels = await self._store.call(
                remember_results,
                [result for result, _ in batch],
                dead_after_checks=self._dead_after_checks,
                dead_after_days=self._dead_after_days,
            )
        except StoreBusyError as exc:
            # Only the memory of these results is lost, not the answers: say so, and go on.
            self._note(f"some results were not remembered: {exc}")
            return
        except Exception as exc:  # a bug: raised by the flushes, never swallowed
            self._failure = exc
            return
        for result, labelled in batch:
            label = labels.get(result.url)
            if label is not None and labelled is not None:
                labelled(label)
