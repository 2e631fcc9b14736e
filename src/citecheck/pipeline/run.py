"""One pass of the pipeline over some documents (:class:`Run`), and what a pass reads (:class:`Source`).

:class:`~citecheck.pipeline.session.AsyncSession` starts runs and owns what they share; a run
holds what is known so far of its documents and what is still coming.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from ..archive.archiver import AsyncArchiver
from ..check import AsyncLinkChecker
from ..core.config import Config
from ..core.drift import Drift
from ..core.errors import CitecheckError, StoreBusyError
from ..core.evidence import OnlineResult
from ..core.results import FileResult
from ..core.snapshot import Snapshot
from ..drift.fetch import DriftFetcher, FetchCache
from ..fix.documents import Document
from ..store.aio import AsyncStore
from ..store.base import BaseStore
from ..store.checks import reusable_results
from .drifting import compare_link, with_drift
from .judge import Judge, archive_wanted, online_urls, with_online, with_pending, with_snapshots
from .recorder import Recorder


class Owner(Protocol):
    """What a run uses of the session that started it (an :class:`~citecheck.pipeline.session.AsyncSession`)."""

    config: Config
    judge: Judge

    @property
    def notices(self) -> tuple[str, ...]: ...

    @property
    def checker(self) -> AsyncLinkChecker: ...

    @property
    def recorder(self) -> Recorder | None: ...

    def note(self, notice: str) -> None: ...

    async def store(self) -> AsyncStore | None: ...

    async def archiver(self) -> AsyncArchiver: ...

    def drift_fetcher(self) -> DriftFetcher: ...

    def keep(self, task: asyncio.Task[_T]) -> asyncio.Task[_T]: ...


__all__ = ["Owner", "ResultCallback", "Run", "Source"]

_T = TypeVar("_T")

#: Called with each network result as it arrives (stored ones first).
ResultCallback = Callable[[OnlineResult], None]


@dataclass(frozen=True, slots=True)
class Source:
    """One document of a run, with the moment its author read the cited pages.

    The access date picks the snapshot to cite: a file's modification time, or now.
    """

    document: Document
    format: str
    #: Timezone-aware: a naive time is refused here rather than when the snapshot is looked up.
    read_at: datetime

    def __post_init__(self) -> None:
        if self.read_at.tzinfo is None or self.read_at.utcoffset() is None:
            raise ValueError(f"Source.read_at must be timezone-aware, got naive {self.read_at.isoformat()}")


class Run:
    """One pass of the pipeline over some documents: what is known so far, and what is still coming.

    Network checks (and, when asked, snapshot lookups) run in the background, owned by the
    session; :meth:`wait` waits for them up to a deadline, and :meth:`results` tells at any
    moment what is known, with ``pending`` for what is not. Results are recorded in the store
    as they arrive (batched by the session's :class:`~citecheck.pipeline.recorder.Recorder`),
    so another run citing the same URL finds them; the run is done once its results are written.
    """

    def __init__(
        self,
        session: Owner,
        sources: list[Source],
        files: list[FileResult],
        *,
        archive: bool,
        drift: bool = False,
        on_result: ResultCallback | None,
    ) -> None:
        self.session = session
        self.sources = sources
        #: The offline verdicts, one FileResult per source.
        self.files = files
        self.archive = archive
        #: Compare each live page with its snapshot (``--drift``): results keyed by the URL as cited.
        self.drift = drift
        self.drifts: dict[str, Drift] = {}
        self._comparisons: dict[str, asyncio.Future[Drift]] = {}
        self._on_result = on_result
        self.online: dict[str, OnlineResult] = {}
        self.urls = [] if session.config.offline else online_urls(files)
        self.snapshots: dict[str, Snapshot | None] = {}
        self._lookups: dict[str, asyncio.Future[Snapshot | None]] = {}
        self._lookups_started = False
        #: Results not yet given to the recorder: no host has answered so far.
        self._held: list[OnlineResult] = []
        self._recorded = 0  # the recorder's mark for this run's last result
        self._checks: asyncio.Task[None] | None = None
        #: Set once what the store already knows is in: a deadline counts from the network part.
        self._recalled = asyncio.Event()
        if self.urls:
            self._checks = session.keep(asyncio.ensure_future(self._check_all()))

    @property
    def pending(self) -> list[str]:
        """URLs whose network check has not finished."""
        return [url for url in self.urls if url not in self.online]

    @property
    def done(self) -> bool:
        lookups_done = all(task.done() for task in self._lookups.values())
        compared = all(task.done() for task in self._comparisons.values())
        return (self._checks is None or self._checks.done()) and lookups_done and compared

    def cancel(self) -> None:
        """Stop the work still running for this run (nobody will ask for it any more).

        What already arrived is kept and recorded; links still unchecked stay pending.
        """
        self._lookups_started = True  # no lookups start after this
        for task in (self._checks, *self._lookups.values(), *self._comparisons.values()):
            if task is not None and not task.done():
                task.cancel()

    @property
    def notices(self) -> tuple[str, ...]:
        """The run's sentences for people: the network looks down, the store is not used."""
        return self.session.notices

    async def wait(self, timeout: float | None = None) -> bool:
        """Wait for the checks and lookups, at most ``timeout`` seconds; True when all are done.

        Work still running at the deadline goes on in the background and lands in the store.
        A failure that is a bug (not a link's trouble) is raised here, never turned into a verdict.
        """
        loop = asyncio.get_running_loop()
        end = None if timeout is None else loop.time() + max(0.0, timeout)

        def left() -> float | None:
            return None if end is None else max(0.0, end - loop.time())

        if self._checks is not None:
            recalled = asyncio.ensure_future(self._recalled.wait())
            await asyncio.wait({self._checks, recalled}, return_when=asyncio.FIRST_COMPLETED)
            recalled.cancel()
            await asyncio.wait({self._checks}, timeout=left())
            _raise_failure([self._checks])
        if self.archive:
            await self._start_lookups()
            if self._lookups:
                await asyncio.wait(self._lookups.values(), timeout=left())
            _raise_failure(self._lookups.values())
        if self.drift:
            self._start_comparisons()
            if self._comparisons:
                await asyncio.wait(self._comparisons.values(), timeout=left())
            _raise_failure(self._comparisons.values())
        return self.done

    def results(self) -> list[FileResult]:
        """Every file's links with what is known now (``pending`` where a check is still running)."""
        fix_redirects = self.session.config.fix_redirects
        pending = set(self.pending)
        for url, task in self._lookups.items():
            # Lookups that finished after a deadline count too (a job asked for again sees them).
            if url not in self.snapshots and task.done() and not task.cancelled() and task.exception() is None:
                self.snapshots[url] = task.result()
        combined = []
        for result in self.files:
            result = with_online(result, self.online, fix_redirects=fix_redirects)
            result = with_pending(result, pending)
            combined.append(with_drift(with_snapshots(result, self.snapshots), self._drift_results()))
        return combined

    def _drift_results(self) -> dict[str, Drift]:
        for url, comparison in self._comparisons.items():
            # Comparisons that finished after a deadline count too, like lookups.
            finished = comparison.done() and not comparison.cancelled() and comparison.exception() is None
            if url not in self.drifts and finished:
                self.drifts[url] = comparison.result()
        return self.drifts

    def _start_comparisons(self) -> None:
        """Compare each looked-up link's live page with its snapshot, once per URL as cited."""
        if self._comparisons:
            return
        fetcher, cache = self.session.drift_fetcher(), FetchCache()  # each page once in this run
        for result in self.results():
            for item in result.links:
                url = item.link.url
                if url in self._comparisons or url not in self._lookups:
                    continue
                online = self.online.get(item.cleaned)
                comparison = compare_link(
                    fetcher,
                    url,
                    item.cleaned,
                    self._lookups[url],
                    online,
                    open_store=self.session.store,
                    max_age=self.session.config.max_age,
                    cache=cache,
                )
                self._comparisons[url] = self.session.keep(asyncio.ensure_future(comparison))

    # -- checks ------------------------------------------------------------------------------------

    async def _check_all(self) -> None:
        session = self.session
        store = await session.store()
        config = session.config
        if store is not None:
            try:
                found = await store.call(reusable_results, self.urls, max_age=config.max_age)
            except StoreBusyError as exc:
                found = {}
                session.note(f"stored results were not read: {exc}")
            unreadable = await store.call(_unreadable_rows)
            if unreadable:
                session.note(
                    f"{unreadable} stored result(s) could not be read (written by a newer citecheck, "
                    "or damaged) and were ignored; those links were checked again"
                )
            for url in self.urls:
                if url in found:
                    self._arrived(found[url], save=False)
        self._recalled.set()
        todo = [url for url in self.urls if url not in self.online]
        checker = session.checker
        try:
            async for result in checker.check_many(todo):
                self._arrived(result, save=store is not None)
        finally:
            # Cancelled or done: what arrived is handed over (the session's close writes it).
            if self._held and checker.offline_notice() is None:
                self._record()
            self._held.clear()
        if session.recorder is not None:
            await session.recorder.flush(self._recorded)

    def _arrived(self, result: OnlineResult, *, save: bool) -> None:
        self.online[result.url] = result
        if self._on_result is not None:
            self._on_result(result)
        if not save:
            return
        self._held.append(result)
        # Nothing is recorded before some host has answered: an offline run says nothing of links.
        if self.session.checker.hosts_answered:
            self._record()

    def _record(self) -> None:
        """Give the held results to the session's recorder; broken ones come back labelled."""
        recorder = self.session.recorder
        if recorder is not None:
            self._recorded = recorder.add(self._held, self._labelled)
        self._held = []

    def _labelled(self, result: OnlineResult) -> None:
        self.online[result.url] = result

    # -- snapshots ---------------------------------------------------------------------------------

    async def _start_lookups(self) -> None:
        """Look up the snapshot of every link worth it, read at its document's access date."""
        if self._lookups_started:
            return
        self._lookups_started = True
        read_at: dict[str, datetime] = {}
        judge = self.session.judge
        for source, result in zip(self.sources, self.results(), strict=True):
            for item in result.links:
                if archive_wanted(judge, item):
                    # A URL cited by several files: the earliest reading is the one to preserve.
                    url = item.link.url
                    read_at[url] = min(read_at.get(url, source.read_at), source.read_at)
        if not read_at:
            return
        archiver = await self.session.archiver()

        async def lookup(url: str) -> Snapshot | None:
            try:
                return await archiver.lookup(url, at=read_at[url])
            except CitecheckError:
                return None  # the store was busy: no snapshot this time, the check goes on

        for url in read_at:
            self._lookups[url] = self.session.keep(asyncio.ensure_future(lookup(url)))


def _raise_failure(tasks: Iterable[asyncio.Future[Any]]) -> None:
    """Raise the first failure among the finished ``tasks``: a bug, never a link's trouble."""
    for task in tasks:
        if task.done() and not task.cancelled():
            failure = task.exception()
            if failure is not None:
                raise failure


def _unreadable_rows(store: BaseStore) -> int:
    return store.unreadable_rows
