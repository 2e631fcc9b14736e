"""The one place the flow runs: extract the links of a document, judge each, and fix.

The CLI, the pre-commit hook and (later) the HTTP service are thin adapters over
:class:`Checker`: they read inputs, call it, and render its :class:`CheckReport`. Offline (the
only mode built so far) a link is judged by cleaning: a link the cleaner would change is
``fixable``; an http(s) URL that does not parse is ``invalid``; other schemes are ``skipped``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import difflib
import re
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from ..clean.cleaner import Cleaner
from ..clean.rules import RuleSet, load_rules
from ..core.config import Config
from ..core.errors import CitecheckError, ConfigError
from ..core.links import Link, LinkKind
from ..core.results import CheckReport, FileResult, LinkResult, Reason, Verdict
from ..core.urls import split_url
from ..extract import encode_url, extract_links, format_for_path
from ..fix.documents import Document, iter_article_paths, read_document, write_document

if TYPE_CHECKING:
    from ..check.checker import NetworkOptions, OnlineResult
    from ..core.snapshot import Snapshot
    from ..store.sqlite import Store

__all__ = ["Checker", "check_text", "unified_diff"]

_T = TypeVar("_T")

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


class Checker:
    """A configured check run: rules compiled once, then any number of documents."""

    def __init__(self, config: Config | None = None, *, rules: RuleSet | None = None) -> None:
        self.config = config or Config()
        #: Set when the default result store could not be opened (the run goes on without it).
        self.store_notice: str | None = None
        self.cleaner = Cleaner(rules if rules is not None else rules_for(self.config))
        self._ignore = [re.compile(p) for p in self.config.ignore_urls]

    # -- judging -------------------------------------------------------------------------------

    def judge(self, link: Link, *, path: str) -> LinkResult:
        """The offline verdict on one link."""
        url = link.url
        scheme = _SCHEME.match(url)
        if scheme is None or scheme.group(1).lower() not in ("http", "https"):
            return LinkResult(
                path=path, link=link, verdict=Verdict.SKIPPED, reason=Reason.UNSUPPORTED_SCHEME, cleaned=url
            )
        if any(p.search(url) for p in self._ignore):
            return LinkResult(path=path, link=link, verdict=Verdict.SKIPPED, reason=Reason.EXCLUDED, cleaned=url)
        if split_url(url.strip()) is None:
            return LinkResult(path=path, link=link, verdict=Verdict.INVALID, reason=Reason.INVALID_URL, cleaned=url)
        result = self.cleaner.explain(url)
        if result.wrappers:
            reason: Reason | None = Reason.REDIRECT_WRAPPER
        elif result.removed:
            reason = Reason.TRACKING_PARAMS
        else:
            # Only normalisation would change (host case, default port, trailing '/'): the same
            # resource, so not worth a finding or a rewrite.
            return LinkResult(path=path, link=link, verdict=Verdict.OK, cleaned=result.cleaned)
        return LinkResult(
            path=path,
            link=link,
            verdict=Verdict.FIXABLE,
            reason=reason,
            cleaned=result.cleaned,
            removed=result.removed,
            wrappers=result.wrappers,
        )

    def check_document(self, document: Document, *, format: str | None = None) -> FileResult:
        """Extract and judge every link of a decoded document (nothing is written)."""
        fmt = format or format_for_path(document.path)
        links = extract_links(document.text, fmt)
        results = tuple(self.judge(link, path=document.path) for link in links)
        return FileResult(path=document.path, format=fmt, links=results)

    # -- fixing --------------------------------------------------------------------------------

    @staticmethod
    def fixed_text(text: str, result: FileResult, *, archive_links: bool = False) -> tuple[str, FileResult]:
        """``text`` with every fixable link rewritten, and the result with ``fixed`` set.

        Only the characters of each URL change, each written in the syntax it was found in;
        everything between the spans is copied as is. With ``archive_links``, links that carry a
        snapshot also get an archive link next to them (see :mod:`citecheck.fix.archivelinks`).
        """
        from ..fix.archivelinks import archive_insertion

        edits: list[tuple[int, int, str]] = []
        links: list[LinkResult] = []
        position = 0
        for index, item in enumerate(result.links):
            link = item.link
            if link.start < position:
                links.append(item)
                continue
            if item.verdict is Verdict.FIXABLE and not _continues_on_next_line(text, link):
                edits.append((link.start, link.end, encode_url(link, item.cleaned)))
                item = replace(item, fixed=True)
            position = link.end
            if archive_links and item.snapshot is not None:
                following = result.links[index + 1].link.start if index + 1 < len(result.links) else len(text)
                insertion = archive_insertion(text, link, item.snapshot, format=result.format)
                if insertion is not None and insertion[0] <= following:
                    edits.append((insertion[0], insertion[0], insertion[1]))
                    position = insertion[0]
            links.append(item)
        pieces: list[str] = []
        cursor = 0
        for start, end, replacement in edits:
            pieces += [text[cursor:start], replacement]
            cursor = end
        pieces.append(text[cursor:])
        return "".join(pieces), replace(result, links=tuple(links))

    # -- files ---------------------------------------------------------------------------------

    def check_paths(
        self,
        paths: Sequence[str],
        *,
        fix: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> tuple[CheckReport, dict[str, tuple[str, str]]]:
        """Check files and directories; with ``fix``, rewrite files atomically.

        Every file is read and judged offline first; then, unless offline, every distinct URL is
        checked over the network once, however many files cite it. Returns the report and, for
        every file whose text would change, ``(old, new)`` text (what ``--diff`` shows). A file
        that cannot be read or written becomes a FileResult with ``error`` set.
        """
        config = self.config
        read: list[tuple[Document, FileResult] | FileResult] = []
        for path in iter_article_paths(paths, exclude=config.all_excludes, suffixes=config.extensions):
            try:
                document = read_document(path, fallback_encoding=config.fallback_encoding)
                read.append((document, self.check_document(document)))
            except CitecheckError as exc:
                read.append(_file_error(path, exc))
        notices: list[str] = []
        if not config.offline:
            results = [item[1] for item in read if isinstance(item, tuple)]
            online, notice = self.check_online(online_urls(results), progress=progress)
            notices += [n for n in (notice, self.store_notice) if n]
            read = [(item[0], self.with_online(item[1], online)) if isinstance(item, tuple) else item for item in read]
        if (config.lookup_snapshots or config.archive_links) and not config.offline:
            documents = [item for item in read if isinstance(item, tuple)]
            snapshots = self.find_snapshots(documents)
            read = [
                (item[0], self.with_snapshots(item[1], snapshots)) if isinstance(item, tuple) else item for item in read
            ]
        files: list[FileResult] = []
        changes: dict[str, tuple[str, str]] = {}
        for item in read:
            if not isinstance(item, tuple):
                files.append(item)
                continue
            document, result = item
            new_text, fixed = self.fixed_text(document.text, result, archive_links=config.archive_links)
            if new_text != document.text:
                changes[document.path] = (document.text, new_text)
                if fix:
                    try:
                        write_document(document.path, document.with_text(new_text))
                        result = replace(fixed, rewritten=True)
                    except CitecheckError as exc:
                        result = replace(_file_error(document.path, exc), links=result.links)
            files.append(result)
        report = CheckReport(files=tuple(files), offline=config.offline, notices=tuple(notices), fail_on=self.fail_on)
        return report, changes

    # -- the network -----------------------------------------------------------------------------

    @property
    def fail_on(self) -> frozenset[Verdict]:
        return frozenset(Verdict(v) for v in self.config.fail_on)

    def network_options(self) -> NetworkOptions:
        from ..check.checker import DEFAULT_USER_AGENT, NetworkOptions

        config = self.config
        return NetworkOptions(
            timeout=config.timeout,
            concurrency=config.concurrency,
            host_concurrency=config.host_concurrency,
            host_interval=config.host_interval,
            retries=config.retries,
            user_agent=config.user_agent or DEFAULT_USER_AGENT,
            allow_private=config.allow_private,
            allow_networks=config.allow_networks,
        )

    def check_online(
        self, urls: Sequence[str], *, progress: Callable[[int, int], None] | None = None
    ) -> tuple[dict[str, OnlineResult], str | None]:
        """Check each URL over the network once; returns results by URL and an offline notice."""
        if not urls:
            return {}, None
        from ..check.checker import AsyncLinkChecker

        store = self.open_store()
        try:
            found = self.stored_results(store, urls)
            todo = [url for url in urls if url not in found]
            if progress is not None and found:
                progress(len(found), len(urls))

            async def run() -> str | None:
                async with AsyncLinkChecker(self.network_options(), cleaner=self.cleaner) as checker:
                    async for result in checker.check_many(todo):
                        found[result.url] = result
                        if progress is not None:
                            progress(len(found), len(urls))
                    return checker.offline_notice()

            notice = _run_async(run()) if todo else None
            if store is not None:
                fresh = [found[url] for url in todo if url in found]
                found.update(self.remember_results(store, fresh, offline=notice is not None))
            return found, notice
        finally:
            if store is not None:
                store.close()

    def open_store(self) -> Store | None:
        """The result store, unless disabled (``store = ""`` / ``--no-store``)."""
        if self.config.store == "":
            return None
        from ..store.sqlite import Store

        if self.config.store is not None:
            return Store.open(self.config.store)  # asked for by name: failing to open it is an error
        try:
            return Store.open(None)
        except ConfigError as exc:
            # The default location is a convenience: a read-only home must not stop a check.
            self.store_notice = f"results are not remembered: {exc}"
            return None

    def stored_results(self, store: Store | None, urls: Sequence[str]) -> dict[str, OnlineResult]:
        """Stored results young enough to reuse; network trouble is always checked again."""
        if store is None or self.config.max_age <= 0:
            return {}
        from datetime import timedelta

        from ..check.checker import OnlineResult

        reused: dict[str, OnlineResult] = {}
        max_age = timedelta(seconds=self.config.max_age)
        for url in urls:
            stored = store.latest(url, max_age=max_age)
            if stored is None or stored.verdict in ("unreachable", "blocked") or "online" not in stored.data:
                continue
            result = replace(OnlineResult.from_dict(stored.data["online"]), from_cache=True)
            reused[url] = result
        return reused

    def remember_results(
        self, store: Store, results: Sequence[OnlineResult], *, offline: bool
    ) -> dict[str, OnlineResult]:
        """Record fresh results, and label broken links with what their history says."""
        from datetime import timedelta

        from ..store.sqlite import StoredCheck

        if offline:
            return {}  # an offline run says nothing about the links
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
                    result.url,
                    min_checks=self.config.dead_after_checks,
                    min_span=timedelta(days=self.config.dead_after_days),
                )
                labelled[result.url] = replace(result, history=judgement.label)
        return labelled

    def find_snapshots(self, documents: Sequence[tuple[Document, FileResult]]) -> dict[str, Snapshot | None]:
        """The snapshot to cite for each distinct checkable URL, read at its file's modification time."""
        import os
        from datetime import UTC, datetime

        from ..archive.archiver import Archiver

        wanted = (Verdict.OK, Verdict.FIXABLE, Verdict.REDIRECTED, Verdict.BROKEN, Verdict.BLOCKED, Verdict.UNREACHABLE)
        read_at: dict[str, datetime] = {}
        for document, result in documents:
            try:
                when = datetime.fromtimestamp(os.stat(document.path).st_mtime, UTC)
            except OSError:
                when = datetime.now(UTC)
            for item in result.links:
                if item.verdict in wanted and not _is_archive_copy(item.link.url, self.config):
                    # A URL cited by several files: the earliest reading is the one to preserve.
                    read_at[item.link.url] = min(read_at.get(item.link.url, when), when)
        if not read_at:
            return {}
        store = self.open_store()
        settings = self.config.archive

        async def run() -> dict[str, Snapshot | None]:
            async with Archiver(settings, store=store, cleaner=self.cleaner) as archiver:
                urls = list(read_at)
                found = await asyncio.gather(*(archiver.lookup(u, at=read_at[u]) for u in urls), return_exceptions=True)
                return {u: (f if not isinstance(f, BaseException) else None) for u, f in zip(urls, found, strict=True)}

        try:
            return _run_async(run())
        finally:
            if store is not None:
                store.close()

    @staticmethod
    def with_snapshots(result: FileResult, snapshots: dict[str, Snapshot | None]) -> FileResult:
        links = tuple(replace(item, snapshot=snapshots.get(item.link.url)) for item in result.links)
        return replace(result, links=links)

    def with_online(self, result: FileResult, online: dict[str, OnlineResult]) -> FileResult:
        """The file's results with the network's verdicts folded in."""
        links = tuple(
            _combine(item, online[item.cleaned], self.config.fix_redirects) if item.cleaned in online else item
            for item in result.links
        )
        return replace(result, links=links)


#: Hosts whose pages are already archive copies: never looked up in the archives themselves.
ARCHIVE_HOSTS = ("web.archive.org", "archive.org", "archive.today", "archive.ph", "archive.is", "archive.li")


def _is_archive_copy(url: str, config: Config) -> bool:
    parts = split_url(url.strip())
    if parts is None:
        return False
    # The configured Wayback (a self-hosted pywb, a test server) by host and port: other
    # servers on its host are not archive copies.
    configured = split_url(config.archive.wayback_url)
    hosts: list[tuple[str, str | None]] = [(host, None) for host in ARCHIVE_HOSTS]
    if configured is not None:
        hosts.append((configured.host, configured.port))
    return any(
        (parts.host == host or parts.host.endswith("." + host)) and port in (None, parts.port) for host, port in hosts
    )


def _file_error(path: str, exc: CitecheckError) -> FileResult:
    message = str(exc)
    # Errors name their file for the CLI; in a report the path is shown apart.
    message = message[len(path) + 2 :] if message.startswith(f"{path}: ") else message
    return FileResult(path=path, format=format_for_path(path), error=message)


def online_urls(results: Iterable[FileResult]) -> list[str]:
    """The distinct URLs to check over the network: what each link should cite, in order."""
    wanted = (Verdict.OK, Verdict.FIXABLE)
    return list(dict.fromkeys(item.cleaned for result in results for item in result.links if item.verdict in wanted))


def _combine(item: LinkResult, online: OnlineResult, fix_redirects: bool) -> LinkResult:
    """One verdict from the offline one and the network's: trouble first, then cleaning."""
    if online.reason is Reason.OFFLINE:
        return item  # the machine is offline: the run's notice says so once; keep what cleaning found
    if online.verdict in (Verdict.BROKEN, Verdict.BLOCKED, Verdict.UNREACHABLE, Verdict.SKIPPED):
        return replace(item, verdict=online.verdict, reason=online.reason, online=online)
    if fix_redirects and online.suggested and online.reason is Reason.PERMANENT_REDIRECT:
        reason = item.reason if item.verdict is Verdict.FIXABLE else Reason.PERMANENT_REDIRECT
        return replace(item, verdict=Verdict.FIXABLE, reason=reason, cleaned=online.suggested, online=online)
    if item.verdict is Verdict.FIXABLE:
        return replace(item, online=online)
    return replace(item, verdict=online.verdict, reason=online.reason, online=online)


def _run_async(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """Run a coroutine to completion from sync code, even when an event loop is running here."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _continues_on_next_line(text: str, link: Link) -> bool:
    """A bare URL cut by a line break right after a separator (``...?a=1&`` + newline + ``b=2``).

    Extraction reports only the first line's part; rewriting it would glue the next line onto a
    different URL, so such a link is reported but left for a person to fix.
    """
    return (
        link.kind is LinkKind.BARE
        and link.raw[-1:] in ("&", "?", "=", ";")
        and text[link.end : link.end + 1] in ("\n", "\r")
    )


def rules_for(config: Config) -> RuleSet:
    """The rule set a configuration asks for: built-in rules, then its files in order."""
    rules = RuleSet.builtin() if config.builtin_rules else RuleSet()
    for path in config.rules:
        rules = rules.merge(load_rules(path))
    if config.clearurls:
        from ..clean.clearurls import load_clearurls

        for path in config.clearurls:
            rules = rules.merge(load_clearurls(path))
    return rules


def check_text(text: str, *, format: str = "text", path: str = "<text>", config: Config | None = None) -> FileResult:
    """Check the links of an article given as a string (``format``: text, markdown or html).

    >>> result = check_text("See https://example.com/a?utm_source=x&id=7.", path="note.txt")
    >>> [(r.verdict.value, r.reason.value if r.reason else None, r.cleaned) for r in result.links]
    [('fixable', 'tracking_params', 'https://example.com/a?id=7')]
    """
    return Checker(config).check_document(Document(path=path, text=text), format=format)


def unified_diff(path: str, old: str, new: str) -> str:
    """A unified diff of one file's change, as ``--diff`` prints it."""
    relative = not path.startswith(("/", "\\")) and path != "-"
    before, after = (f"a/{path}", f"b/{path}") if relative else (path, path)
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), before, after)
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
