"""The one place the flow runs: extract -> clean -> check -> archive -> fix, for every edge.

An :class:`AsyncSession` owns what a run shares: the compiled rules, one network checker (one
connection pool and one set of per-host limits), the result store and the archiver. Each call
starts a :class:`Run` over some documents; the library, the CLI (files and stdin) and the HTTP
service all go through it, so a capability added here reaches every kind of user at once.
:class:`~citecheck.pipeline.sync.Session` is the synchronous twin.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TypeVar

import httpx

from ..archive.archiver import AsyncArchiver
from ..check import DEFAULT_USER_AGENT, AsyncLinkChecker, NetworkOptions
from ..clean.cleaner import Cleaner
from ..clean.rules import RuleSet
from ..core.config import Config
from ..core.errors import CitecheckError, ConfigError
from ..core.evidence import OnlineResult
from ..core.results import CheckReport, FileResult
from ..core.verdicts import Verdict
from ..drift.fetch import DriftFetcher
from ..drift.maintext import require_extractor
from ..extract import format_for_path
from ..fix.documents import Document, iter_article_paths, modified_at, read_document, write_document
from ..fix.rewrite import fixed_text
from ..store.aio import AsyncStore
from .drifting import make_fetcher
from .judge import Judge
from .recorder import Recorder
from .run import ResultCallback, Run, Source

__all__ = ["AsyncSession", "ResultCallback", "Run", "Source"]

_T = TypeVar("_T")

#: Seconds a store that failed to open is not asked again (the failure is raised again at once).
STORE_RETRY_AFTER = 30.0


class AsyncSession:
    """Run the pipeline with one configuration. Use as ``async with AsyncSession(config) as s:``.

    ``transport`` replaces the network stack under the checker (tests, custom proxies);
    ``long_running`` (the service) keeps no answers in memory and relies on the store instead.
    """

    def __init__(
        self,
        config: Config | None = None,
        *,
        rules: RuleSet | None = None,
        cleaner: Cleaner | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        long_running: bool = False,
    ) -> None:
        self.config = config or Config()
        self.judge = Judge(self.config, rules=rules, cleaner=cleaner)
        self.cleaner = self.judge.cleaner
        self._transport = transport
        self._long_running = long_running
        self._checker: AsyncLinkChecker | None = None
        self._archiver: AsyncArchiver | None = None
        self._drift_fetcher: DriftFetcher | None = None
        # The store (either backend, with its sleeping retries) never runs on the event loop: AsyncStore's thread does.
        self._store: AsyncStore | None = None
        self._store_opened = False
        self._store_failure: tuple[float, CitecheckError] | None = None
        self._store_lock = asyncio.Lock()
        # Network results go to the store through one recorder, batched across runs.
        self._recorder: Recorder | None = None
        self._background: set[asyncio.Task[object]] = set()
        self._notices: list[str] = []

    async def __aenter__(self) -> AsyncSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop background work and release the connection pool, the archiver and the store."""
        for task in list(self._background):
            task.cancel()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        if self._recorder is not None:
            await self._recorder.aclose()  # what arrived is written, after a deadline or a cancel too
        if self._checker is not None:
            await self._checker.aclose()
        if self._archiver is not None:
            await self._archiver.aclose()
        if self._drift_fetcher is not None:
            await self._drift_fetcher.aclose()
        if self._store is not None:
            store, self._store = self._store, None
            await store.aclose()

    # -- the parts ---------------------------------------------------------------------------------

    @property
    def fail_on(self) -> frozenset[Verdict]:
        return self.config.fail_verdicts

    def network_options(self) -> NetworkOptions:
        config = self.config
        return NetworkOptions(**config.network_settings(), user_agent=config.user_agent or DEFAULT_USER_AGENT)

    def note(self, notice: str) -> None:
        """Add a sentence for people about this session (each said once)."""
        if notice not in self._notices:
            self._notices.append(notice)

    @property
    def notices(self) -> tuple[str, ...]:
        """Sentences for people about this session's runs: the network looks down, no store."""
        notice = self._checker.offline_notice() if self._checker is not None else None
        return tuple(n for n in (notice, *self._notices) if n)

    @property
    def checker(self) -> AsyncLinkChecker:
        """The network checker of this session (created on first use)."""
        if self._checker is None:
            self._checker = AsyncLinkChecker(
                self.network_options(),
                cleaner=self.cleaner,
                transport=self._transport,
                remember=not self._long_running,
            )
        return self._checker

    async def store(self) -> AsyncStore | None:
        """The result store, opened on first use; None when disabled (``store = ""``)."""
        async with self._store_lock:
            if not self._store_opened:
                failed = self._store_failure
                if failed is not None and time.monotonic() - failed[0] < STORE_RETRY_AFTER:
                    raise failed[1]  # asked again at once: the same answer, without waiting again
                try:
                    self._store = await self._open_store()
                except CitecheckError as exc:
                    # Not marked opened: a long-lived session (the service, a Dask worker) tries
                    # again later rather than running without its store for the rest of its life.
                    self._store_failure = (time.monotonic(), exc)
                    raise
                self._store_opened = True
                if self._store is not None:
                    self._recorder = Recorder(
                        self._store,
                        dead_after_checks=self.config.dead_after_checks,
                        dead_after_days=self.config.dead_after_days,
                        note=self.note,
                    )
        return self._store

    @property
    def recorder(self) -> Recorder | None:
        """What writes this session's network results to the store; None before the store opens or without one."""
        return self._recorder

    async def _open_store(self) -> AsyncStore | None:
        if self.config.store == "":
            return None
        if self.config.store is not None:
            return await AsyncStore.open(self.config.store)  # asked for by name: failing to open it is an error
        try:
            return await AsyncStore.open(None)
        except ConfigError as exc:
            # The default location is a convenience: a read-only home must not stop a check.
            self.note(f"results are not remembered: {exc}")
            return None

    async def archiver(self) -> AsyncArchiver:
        """The web-archive client of this session, sharing its store and rules."""
        if self._archiver is None:
            store = await self.store()
            if self._archiver is None:  # another run may have made it while the store opened
                self._archiver = AsyncArchiver(
                    self.config.archive,
                    store=store.store if store else None,
                    cleaner=self.cleaner,
                    policy=self.network_options().policy(),
                )
        return self._archiver

    def drift_fetcher(self) -> DriftFetcher:
        """What compares live pages with their snapshots (``--drift``), created on first use."""
        if self._drift_fetcher is None:
            self._drift_fetcher = make_fetcher(self.config, self.network_options().policy())
        return self._drift_fetcher

    def keep(self, task: asyncio.Task[_T]) -> asyncio.Task[_T]:
        """Own a background task: it may outlive the call that started it, not the session."""
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    # -- offline ---------------------------------------------------------------------------------

    def judge_document(self, document: Document, *, format: str | None = None) -> FileResult:
        """Extract and judge every link of a document without the network."""
        return self.judge.document(document, format=format)

    # -- the flow ----------------------------------------------------------------------------------

    def start(
        self,
        sources: Sequence[Source],
        *,
        archive: bool | None = None,
        drift: bool | None = None,
        on_result: ResultCallback | None = None,
    ) -> Run:
        """Judge the documents offline now and start their network checks in the background.

        ``archive`` (default: the configuration's ``lookup_snapshots or archive_links``) also
        finds the snapshot to cite for each link. ``drift`` (default: the configuration's
        ``drift``; implies ``archive``) then compares each live page with its snapshot, and
        raises :class:`~citecheck.drift.ExtractorMissing` at once when the ``drift`` extra is
        not installed. Await :meth:`Run.wait` for the answers.
        """
        files = [self.judge.document(source.document, format=source.format) for source in sources]
        return self.start_judged(sources, files, archive=archive, drift=drift, on_result=on_result)

    def start_judged(
        self,
        sources: Sequence[Source],
        files: Sequence[FileResult],
        *,
        archive: bool | None = None,
        drift: bool | None = None,
        on_result: ResultCallback | None = None,
    ) -> Run:
        """:meth:`start` for documents already judged (``files``, in order): the service judges
        them on a worker thread, so parsing a hostile article never stalls its event loop."""
        config = self.config
        if drift is None:
            drift = config.drift
        drift = drift and not config.offline
        if drift:
            require_extractor()
        if archive is None:
            archive = config.lookup_snapshots or config.archive_links
        archive = (archive or drift) and not config.offline
        return Run(self, list(sources), list(files), archive=archive, drift=drift, on_result=on_result)

    async def check_sources(
        self,
        sources: Sequence[Source],
        *,
        archive: bool | None = None,
        drift: bool | None = None,
        deadline: float | None = None,
        on_result: ResultCallback | None = None,
    ) -> Run:
        """:meth:`start`, then wait up to ``deadline`` seconds (None: until everything is known)."""
        run = self.start(sources, archive=archive, drift=drift, on_result=on_result)
        await run.wait(deadline)
        return run

    async def check_document(
        self,
        document: Document,
        *,
        format: str | None = None,
        archive: bool | None = None,
        drift: bool | None = None,
        deadline: float | None = None,
        on_result: ResultCallback | None = None,
    ) -> FileResult:
        """Every link of one document, checked as the configuration says (nothing is written)."""
        source = Source(document, format or format_for_path(document.path), datetime.now(UTC))
        run = await self.check_sources([source], archive=archive, drift=drift, deadline=deadline, on_result=on_result)
        return run.results()[0]

    async def check_text(
        self,
        text: str,
        *,
        format: str = "text",
        path: str = "<text>",
        archive: bool | None = None,
        drift: bool | None = None,
    ) -> FileResult:
        """The links of an article given as a string (``format``: text, markdown or html)."""
        document = Document(path=path, text=text)
        return await self.check_document(document, format=format, archive=archive, drift=drift)

    async def check_urls(
        self, urls: Sequence[str], *, archive: bool | None = None, drift: bool | None = None
    ) -> FileResult:
        """Bare URLs, one link each (``path`` is ``<urls>``, the line is the URL's position)."""
        return await self.check_document(Document.from_urls(urls), format="text", archive=archive, drift=drift)

    async def check_paths(
        self,
        paths: Sequence[str],
        *,
        fix: bool = False,
        on_result: ResultCallback | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> tuple[CheckReport, dict[str, tuple[str, str]]]:
        """Check files and directories; with ``fix``, rewrite files atomically.

        Every file is read and judged offline first; then, unless offline, every distinct URL is
        checked over the network once, however many files cite it. Returns the report and, for
        every file whose text would change, ``(old, new)`` text (what ``--diff`` shows). A file
        that cannot be read or written becomes a FileResult with ``error`` set. ``progress`` is
        called with (URLs known, URLs in all) as network results arrive.
        """
        config = self.config
        sources: list[Source] = []
        order: list[Source | FileResult] = []
        for path in iter_article_paths(paths, exclude=config.all_excludes, suffixes=config.extensions):
            try:
                document = read_document(path, fallback_encoding=config.fallback_encoding)
            except CitecheckError as exc:
                order.append(_file_error(path, exc))
                continue
            source = Source(document, format_for_path(path), modified_at(path) or datetime.now(UTC))
            sources.append(source)
            order.append(source)
        run: Run | None = None

        def arrived(result: OnlineResult) -> None:
            if on_result is not None:
                on_result(result)
            if progress is not None and run is not None:
                progress(len(run.online), len(run.urls))

        run = self.start(sources, on_result=arrived)
        await run.wait()
        checked = dict(zip((id(s) for s in sources), run.results(), strict=True))
        files: list[FileResult] = []
        changes: dict[str, tuple[str, str]] = {}
        for item in order:
            if isinstance(item, FileResult):
                files.append(item)
                continue
            document, result = item.document, checked[id(item)]
            new_text, fixed = fixed_text(document.text, result, archive_links=config.archive_links)
            if new_text != document.text:
                changes[document.path] = (document.text, new_text)
                if fix:
                    try:
                        write_document(document.path, document.with_text(new_text), original=document)
                        result = replace(fixed, rewritten=True)
                    except CitecheckError as exc:
                        result = replace(_file_error(document.path, exc), links=result.links)
            files.append(result)
        report = CheckReport(files=tuple(files), offline=config.offline, notices=run.notices, fail_on=self.fail_on)
        return report, changes

    async def check_file(self, path: str) -> FileResult:
        """One article file, checked as the configuration says (nothing is written)."""
        report, _ = await self.check_paths([path])
        if not report.files:
            return FileResult(path=path, format=format_for_path(path))
        return report.files[0]


def _file_error(path: str, exc: CitecheckError) -> FileResult:
    message = str(exc)
    # Errors name their file for the CLI; in a report the path is shown apart.
    message = message[len(path) + 2 :] if message.startswith(f"{path}: ") else message
    return FileResult(path=path, format=format_for_path(path), error=message)
