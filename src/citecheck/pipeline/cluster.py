"""An audit on a Dask distributed cluster: host shards checked by workers, results through the store.

The client judges the inputs offline (as the one-process audit does), splits the distinct
cleaned URLs into host shards (:mod:`~citecheck.pipeline.shards`) and submits one task per shard.
A task (:func:`check_shard`, run in a worker) opens its own
:class:`~citecheck.pipeline.session.AsyncSession`, checks its URLs with the same engine and the
same per-host limits as ``citecheck check``, lets the session's recorder write every result to
the shared store, and returns only a small :class:`ShardSummary`. As each shard finishes, the
client reads its URLs' results back from the store (:func:`stored_records`) and emits one record
per URL, built like the one-process audit's.

Politeness: every URL of a host is in one shard and a shard runs on one worker at a time, so a
host's limits hold across the whole cluster. A redirect to *another* host is fetched under the
limits of the worker that follows it, not of the shard that owns that host.

Faults: a worker lost mid-shard loses nothing. Dask runs the shard again elsewhere (up to its
``distributed.scheduler.allowed-failures``), and the retried task reuses every fresh result its
first attempt wrote, so only what was left is fetched again. A task that raises is retried
``retries`` times. A shard that still fails has its URLs reported as ``pending`` and is named in
:attr:`ClusterAudit.failed`; rerunning the audit resumes it.

Dask is an optional extra (``pip install 'citecheck[distributed]'``), imported only here and
only when a cluster is asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..check import AsyncLinkChecker
from ..core.config import Config
from ..core.errors import ConfigError, UsageError
from ..core.evidence import OnlineResult
from ..core.links import Link, LinkKind
from ..core.verdicts import Verdict
from ..store.aio import AsyncStore
from ..store.checks import online_result, reusable_results
from ..store.records import StoredCheck
from ..store.sqlite import default_store_path
from .audit import AuditInput, Cited, audit_documents, online_record, record, with_extras
from .recall import Recaller
from .session import AsyncSession
from .shards import Shard, make_shards, shard_size_for

if TYPE_CHECKING:
    from distributed import Client, LocalCluster

__all__ = [
    "CONNECT_TIMEOUT",
    "MAX_WORKERS",
    "ClusterAudit",
    "ShardSummary",
    "WorkerSessions",
    "audit_on_cluster",
    "check_shard",
    "connect",
    "local_cluster",
    "shards_at_once",
    "shared_store",
    "stored_records",
]

#: Seconds to reach a scheduler given by address before giving up.
CONNECT_TIMEOUT = 10.0
#: The most shards one worker runs at once (see :func:`shards_at_once`).
MAX_SHARDS_AT_ONCE = 64
#: The most local worker processes ``--workers`` starts.
MAX_WORKERS = 256
#: Extra seconds a stored result may be older than the audit's window when it is read back
#: (clocks of workers and client differ a little).
_CLOCK_SLACK = 60.0
_INSTALL = "pip install 'citecheck[distributed]'"


@dataclass(frozen=True, slots=True)
class ShardSummary:
    """What a shard task returns: counts, not results (those are in the store)."""

    index: int
    urls: int
    #: URLs answered by the network in this attempt.
    checked: int
    #: URLs whose fresh stored result was reused (written by an earlier run or attempt).
    reused: int
    notices: tuple[str, ...] = ()
    #: Results that were not written to the store (the network looked down: an offline run
    #: records nothing), as :meth:`OnlineResult.to_dict`; empty otherwise.
    unrecorded: tuple[dict[str, Any], ...] = ()


@dataclass(slots=True)
class ClusterAudit:
    """How a distributed audit went, for the summary and the exit code."""

    shards: int = 0
    urls: int = 0
    checked: int = 0
    reused: int = 0
    #: One sentence per shard that failed for good (its URLs were reported ``pending``).
    failed: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def note(self, notice: str) -> None:
        if notice not in self.notices:
            self.notices.append(notice)


# -- the worker's side ---------------------------------------------------------------------------


def check_shard(
    config: Config,
    urls: Sequence[str],
    index: int = 0,
    *,
    read_at: Sequence[datetime | None] | None = None,
    archive: bool = False,
    drift: bool = False,
) -> ShardSummary:
    """Check one shard's URLs in this process and write every result to ``config.store``.

    With ``archive``, also look up each URL's snapshot for when it was read (``read_at``, in the
    order of ``urls``; None: now), and with ``drift`` compare the live page with it: the capture
    lists and comparisons go to the store too, where the client reads them.

    Runs in a Dask worker thread, which waits while the worker's one event loop does the work
    (:class:`WorkerSessions`): the shards a worker runs at once share one session, so
    ``concurrency`` counts for the whole worker. Idempotent: fresh stored results are reused, so a
    shard run again after a lost worker fetches only the rest.
    """
    dates = {url: at for url, at in zip(urls, read_at or (), strict=False) if at is not None}
    return WORKER.run(config, list(urls), index, dates, archive=archive or drift, drift=drift)


class WorkerSessions:
    """A worker process's event loop (in a thread of its own) and its sessions, one per configuration.

    A Dask worker runs as many shards at once as it has threads. Were each to run its own loop
    and session, every shard would open its own connection pool and store connection, and
    ``concurrency`` would count per shard; here the shards of a worker share one checker (its
    ``concurrency``, its DNS and its knowledge of which hosts answer) and one store connection.
    A session lives as long as the worker; what a shard checked is written before it returns.
    """

    #: Sessions kept for configurations no longer in use (a long-lived cluster serving audits
    #: with other settings); the oldest idle one is closed past this.
    KEEP = 4

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sessions: OrderedDict[bytes, AsyncSession] = OrderedDict()
        #: Shards running on each session (by ``id``), and sessions no longer handed out.
        self._users: dict[int, int] = {}
        self._retired: list[AsyncSession] = []

    def run(
        self, config: Config, urls: list[str], index: int, read_at: dict[str, datetime], *, archive: bool, drift: bool
    ) -> ShardSummary:
        """Check one shard on the worker's loop; block this (Dask's) thread until it is done."""
        work = self._shard(config, urls, index, read_at, archive=archive, drift=drift)
        return asyncio.run_coroutine_threadsafe(work, self._running_loop()).result()

    def close(self) -> None:
        """Close every session and stop the loop (a worker shutting down, a test ending)."""
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is None:
            return

        async def shut() -> None:
            sessions = [*self._sessions.values(), *self._retired]
            self._sessions.clear()
            self._retired.clear()
            self._users.clear()
            for session in sessions:
                await session.aclose()

        asyncio.run_coroutine_threadsafe(shut(), loop).result()
        loop.call_soon_threadsafe(loop.stop)

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="citecheck-shards", daemon=True).start()
                self._loop = loop
            return self._loop

    async def _shard(
        self, config: Config, urls: list[str], index: int, read_at: dict[str, datetime], *, archive: bool, drift: bool
    ) -> ShardSummary:
        key = pickle.dumps(config)
        session = self._sessions.get(key)
        if session is None:
            # long_running: no answers kept in memory between shards; the store (and max_age)
            # decides what is reused, or a later audit asking for fresh checks would get old ones.
            session = self._sessions[key] = AsyncSession(config, long_running=True)
        self._sessions.move_to_end(key)
        self._users[id(session)] = self._users.get(id(session), 0) + 1
        try:
            return await _check_shard(session, urls, index, read_at, archive=archive, drift=drift)
        except BaseException:
            # A session that failed (its store could not be opened, say) is not handed to the next
            # shard, which starts afresh; it is closed once the shards still using it are done.
            if self._sessions.get(key) is session:
                del self._sessions[key]
                self._retired.append(session)
            raise
        finally:
            self._users[id(session)] -= 1
            await self._close_idle()

    async def _close_idle(self) -> None:
        for session in [s for s in self._retired if not self._users.get(id(s))]:
            self._retired.remove(session)
            self._users.pop(id(session), None)
            await session.aclose()
        idle = [key for key, session in self._sessions.items() if not self._users.get(id(session))]
        for key in idle[: max(0, len(self._sessions) - self.KEEP)]:
            session = self._sessions.pop(key)
            self._users.pop(id(session), None)
            await session.aclose()


#: The sessions of this worker process.
WORKER = WorkerSessions()


#: Seconds a worker process trusts what its earlier shards learned of the network (see :func:`_recall`).
NETWORK_MEMORY = 600.0
#: When a shard of this process last saw DNS resolve a name, and some host answer (monotonic).
_seen: dict[str, float] = {}
_clock = time.monotonic


def _recall(checker: AsyncLinkChecker) -> None:
    """Start a shard's checker with what this process's recent shards learned of the network.

    One run tells a dead network from dead links by what it saw (a name resolved, a host
    answered). A shard holds only some hosts: one of dead domains only would take their
    NXDOMAIN answers for an offline machine, and record nothing. What another shard of this
    worker saw minutes ago is as good a witness as another host of the same run.
    """
    now = _clock()
    if now - _seen.get("dns", -NETWORK_MEMORY) < NETWORK_MEMORY:
        checker.dns_works = True
    if now - _seen.get("answered", -NETWORK_MEMORY) < NETWORK_MEMORY:
        checker.network.hosts_answered = True


def _learn(checker: AsyncLinkChecker) -> None:
    now = _clock()
    if checker.dns_works:
        _seen["dns"] = now
    if checker.hosts_answered:
        _seen["answered"] = now


async def _check_shard(
    session: AsyncSession, urls: list[str], index: int, read_at: dict[str, datetime], *, archive: bool, drift: bool
) -> ShardSummary:
    path = f"<shard {index}>"
    _recall(session.checker)
    links = {}
    for number, url in enumerate(urls, start=1):
        link = Link(url=url, raw=url, start=0, end=len(url), line=number, column=1, kind=LinkKind.BARE)
        links[url] = session.judge.link(link, path=path)
    sources, files = audit_documents(links, read_at if archive else None, path=path)
    run = session.start_judged(sources, files, archive=archive, drift=drift)
    await run.wait()
    _learn(session.checker)
    fresh = [result for result in run.online.values() if not result.from_cache]
    store = await session.store()
    recorded = store is not None and (not fresh or session.checker.offline_notice() is None)
    return ShardSummary(
        index=index,
        urls=len(urls),
        checked=len(fresh),
        reused=len(run.online) - len(fresh),
        notices=session.notices,
        unrecorded=() if recorded else tuple(result.to_dict() for result in fresh),
    )


# -- the client's side ---------------------------------------------------------------------------


def shared_store(config: Config, *, local: bool) -> tuple[Config, list[str]]:
    """``config`` with a store every worker can reach, and notices for people.

    A disabled or in-memory store cannot be shared: UsageError. A file path is made absolute
    (workers may start elsewhere); with a remote scheduler (``local`` false) a notice says that
    every worker must see that same file. A location with a scheme (``postgresql://...``) is
    passed on untouched.
    """
    location = config.store
    if location == "":
        raise UsageError(
            "a distributed audit needs a result store: workers write every result to it and the client "
            "reads them back from it (give --store, not --no-store)"
        )
    if location is not None and location.strip() == ":memory:":
        raise UsageError(
            "a distributed audit cannot use an in-memory result store: every worker process would have "
            "its own (give --store a file, or a PostgreSQL location)"
        )
    if location is not None and "://" in location:
        return config, []
    path = default_store_path() if location is None else Path(location).expanduser()
    path = path.resolve()
    notices = []
    if not local:
        notices.append(
            f"the result store is the SQLite file {path}: every worker must open this same file on this "
            "machine; for workers on several machines, use a PostgreSQL store"
        )
    return config.merged(store=str(path)), notices


def shards_at_once(config: Config) -> int:
    """How many shards one worker runs at once: as many as its ``concurrency`` can keep busy when
    each shard is one host at its ``host_concurrency`` (a big host is a shard alone)."""
    return max(1, min(MAX_SHARDS_AT_ONCE, config.concurrency // max(1, config.host_concurrency)))


@contextlib.contextmanager
def connect(
    *, scheduler: str | None = None, workers: int | None = None, threads: int = 1
) -> Iterator[tuple[Client, int]]:
    """A Dask client, and how many worker processes the cluster has now (0: no worker yet).

    ``scheduler``: the address of a running scheduler (``tcp://HOST:PORT``); ``workers``: start
    a local cluster of that many worker processes here, each running ``threads`` shards at once
    (:func:`shards_at_once`), closed on exit. Raises ConfigError when
    Dask is not installed or the scheduler cannot be reached within :data:`CONNECT_TIMEOUT`.
    """
    if (scheduler is None) == (workers is None):
        raise ValueError("give either scheduler or workers")
    try:
        from distributed import Client
    except ImportError as exc:
        raise ConfigError(f"a distributed audit needs Dask: {_INSTALL}") from exc
    if workers is not None:
        if not 1 <= workers <= MAX_WORKERS:
            raise UsageError(f"--workers: must be from 1 to {MAX_WORKERS}, not {workers}")
        with local_cluster(workers, threads) as cluster, Client(cluster, set_as_default=False) as client:
            yield client, workers
        return
    assert scheduler is not None
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(
            f"cannot reach the Dask scheduler at {scheduler} (waited {CONNECT_TIMEOUT:g} s): {exc}"
        ) from exc
    with client:
        yield client, len(client.nthreads())


def local_cluster(workers: int, threads: int = 1) -> LocalCluster:
    """A Dask cluster of ``workers`` processes (``threads`` shards at once each) on this machine,
    reachable from it only.

    No dashboard, and the scheduler's other HTTP routes on a free port: no fixed port to collide.
    Close it (``with``) when done.
    """
    try:
        from distributed import LocalCluster
    except ImportError as exc:
        raise ConfigError(f"a distributed audit needs Dask: {_INSTALL}") from exc
    return LocalCluster(
        n_workers=workers,
        threads_per_worker=threads,
        # Dask's own warnings (a task cancelled by an interrupted audit, a worker killed at the
        # end) are not the user's to read; errors still show.
        silence_logs=logging.ERROR,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    )


def audit_on_cluster(
    client: Client,
    config: Config,
    found: AuditInput,
    emit: Callable[[dict[str, Any]], None],
    *,
    workers: int = 1,
    shard_size: int | None = None,
    retries: int = 2,
    progress: Callable[[int, int], None] | None = None,
    archive: bool = False,
    drift: bool = False,
) -> ClusterAudit:
    """Check every distinct URL of ``found`` on the cluster of ``client``, emitting one record each.

    ``config.store`` must be shared by every worker (see :func:`shared_store`). The records of
    what cannot be checked come first, then each shard's as it finishes (in its URLs' order).
    ``workers`` (how many worker processes there are) sizes the shards when ``shard_size`` is not
    given: a few per worker, small hosts packed together (a worker's threads are for running
    big one-host shards side by side, not a reason to cut the rest finer);
    ``retries`` is how often a shard whose task raised is run again (a lost worker is handled by
    Dask itself). ``progress`` is called with (URLs known, URLs in all) as shards finish.
    With ``archive`` (``drift``), the workers also look up snapshots (and compare), and the
    records get the snapshot (and drift) fields, read back from the store like the checks.
    """
    from distributed import as_completed

    audit = ClusterAudit(urls=len(found.links))
    for unchecked in found.unchecked:
        emit(unchecked)
    urls = list(found.links)
    if config.offline:  # nothing to ask the network: the offline verdicts are the records
        for url, judged in found.links.items():
            emit(record(url, found.first[url], verdict=judged.verdict, reason=judged.reason))
        return audit
    started = time.monotonic()
    archive = archive or drift
    if archive:
        config = _archive_rates_shared(config, max(1, len(client.nthreads())))
    now = datetime.now(UTC)
    with asyncio.Runner() as runner:
        store = runner.run(AsyncStore.open(config.store))  # opened (and migrated) once, before any worker
        recaller = Recaller(config, store, drift=drift) if archive else None
        try:
            if not archive:  # resuming: what the store knows is written now, and never sent to a worker
                urls = _recalled(runner.run(store.call(reusable_results, urls, max_age=config.max_age)), found, emit)
                audit.reused = len(found.links) - len(urls)
            shards = make_shards(urls, target=shard_size or shard_size_for(len(urls), max(1, workers)))
            audit.shards = len(shards)
            run_id = uuid.uuid4().hex[:12]
            futures = {
                client.submit(
                    check_shard,
                    config,
                    list(shard.urls),
                    shard.index,
                    read_at=[found.read_at.get(url, now) for url in shard.urls] if archive else None,
                    archive=archive,
                    drift=drift,
                    key=f"citecheck-shard-{run_id}-{shard.index}",
                    pure=False,
                    retries=retries,
                    priority=len(shard),  # biggest first
                ): shard
                for shard in shards
            }
            done = audit.reused
            if progress is not None and done:
                progress(done, len(found.links))
            for future in as_completed(futures, loop=client.loop):
                shard = futures[future]
                summary: ShardSummary | None = None
                if future.status == "finished":
                    summary = future.result()
                else:
                    error = future.exception() if future.status == "error" else None
                    audit.failed.append(_failure(shard, error))
                window = config.max_age + (time.monotonic() - started) + _CLOCK_SLACK
                stored = runner.run(store.latest_many(list(shard.urls), max_age=timedelta(seconds=window)))
                extras = {} if recaller is None else runner.run(recaller.recall(shard.urls, found.read_at, now))
                for item in stored_records(shard, found.first, stored, summary):
                    if recaller is not None:
                        snapshot, compared = extras.get(item["url"], (None, None))
                        item = with_extras(item, snapshot, compared, archive=archive, drift=drift)
                    emit(item)
                if summary is not None:
                    audit.checked += summary.checked
                    audit.reused += summary.reused
                    for notice in summary.notices:
                        audit.note(notice)
                done += len(shard)
                if progress is not None:
                    progress(done, len(found.links))
                future.release()
        finally:
            if recaller is not None:
                runner.run(recaller.aclose())
            runner.run(store.aclose())
    return audit


def _archive_rates_shared(config: Config, workers: int) -> Config:
    """``config`` with each archive rate limit divided among ``workers``: every worker paces
    itself, so together they ask an archive no faster than one process would."""
    if workers <= 1:
        return config
    settings = config.archive
    save = settings.save_per_minute
    return config.merged(
        archive=replace(
            settings,
            cdx_per_minute=settings.cdx_per_minute / workers,
            timemap_per_minute=settings.timemap_per_minute / workers,
            availability_per_second=settings.availability_per_second / workers,
            verify_per_minute=settings.verify_per_minute / workers,
            save_per_minute=None if save is None else save / workers,
        )
    )


def _recalled(known: dict[str, OnlineResult], found: AuditInput, emit: Callable[[dict[str, Any]], None]) -> list[str]:
    """Emit the record of every URL with a reusable stored result; the URLs left to check."""
    left = []
    for url in found.links:
        result = known.get(url)
        if result is None:
            left.append(url)
        else:
            emit(online_record(result, found.first[url]))
    return left


def stored_records(
    shard: Shard, first: dict[str, Cited], stored: dict[str, StoredCheck], summary: ShardSummary | None
) -> Iterator[dict[str, Any]]:
    """The record of each URL of a finished shard, from what its task left in the store.

    A result the task could not record (``summary.unrecorded``) comes from the summary; a URL
    with neither (its shard failed, or the store was too busy to remember it) is ``pending``.
    """
    unrecorded: dict[str, OnlineResult] = {}
    if summary is not None:
        for data in summary.unrecorded:
            answer = OnlineResult.from_dict(data)
            unrecorded[answer.url] = answer
    for url in shard.urls:
        cited = first[url]
        result: OnlineResult | None = unrecorded.get(url)
        row = stored.get(url)
        if result is None and row is not None:
            try:
                result = online_result(row)
            except (ValueError, TypeError, KeyError):
                result = None  # written by a newer citecheck, or damaged: the row's columns still tell
            if result is None:
                yield _row_record(row, cited)
                continue
        if result is not None:
            yield online_record(result, cited)
        else:
            yield record(url, cited, verdict=Verdict.PENDING)


def _row_record(row: StoredCheck, cited: Cited) -> dict[str, Any]:
    """A record from a stored row's columns, when the full result in it cannot be read."""
    item = record(row.url, cited, verdict=Verdict.PENDING)
    item.update(
        verdict=row.verdict,
        reason=row.reason,
        http_status=row.http_status,
        final_url=row.final_url,
        checked_at=row.checked_at.isoformat(),
    )
    return item


def _failure(shard: Shard, error: BaseException | None) -> str:
    hosts = ", ".join(shard.hosts[:3]) + (f" and {len(shard.hosts) - 3} more" if len(shard.hosts) > 3 else "")
    why = f"{type(error).__name__}: {error}" if error is not None else "cancelled"
    return f"shard {shard.index} ({len(shard)} URLs of {hosts}) failed: {why}"
