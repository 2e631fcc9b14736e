"""The archive stage in one place: find the snapshot to cite, request one, remember both.

``AsyncArchiver.lookup`` asks the Internet Archive's CDX API and every configured Memento archive's
TimeMap for captures of the cleaned URL (then, only if none is found, of the URL as cited),
and chooses one for the access date with :func:`citecheck.archive.choose.choose`. What each
archive answered (its capture list, empty ones included) is kept in the store, so any access
date is answered from it without asking again while the lists are fresh.
``AsyncArchiver.save_if_needed`` requests a capture only when none is near the access date. ``AsyncArchiver.verify``
optionally fetches a snapshot's raw capture and records its payload digest (the CDX ``digest``
form). :class:`Archiver` is its synchronous twin.

The store is SQLite, so its calls block: they run on one worker thread per archiver (in the
order they were made), never on the event loop.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, Unpack

import httpx

from .._version import __version__
from ..clean.cleaner import Cleaner
from ..core.settings import ArchiveSettings
from ..core.snapshot import ArchiveError, JobStatus, Snapshot, SnapshotSource
from ..core.sync import LoopThread
from ..core.values import format_duration
from ..net.aiotransport import GuardedAiohttpTransport, refuse_unguarded
from ..net.body import BodyTooLarge, bounded_chunks, check_announced_length
from ..net.exchange import retry_after_seconds
from ..net.guard import AddressPolicy
from ..net.limits import SHARED_LIMITERS, LimiterFactory, RateLimiter
from ..net.singleflight import SingleFlight
from ..store.records import CaptureList
from .choose import choose
from .memento import MementoClient
from .save import SaveClient
from .wayback import WaybackClient

if TYPE_CHECKING:
    from ..store.base import BaseStore

__all__ = [
    "MAX_STORED_CAPTURES",
    "VERIFY_MAX_BYTES",
    "ArchiveSettings",
    "Archiver",
    "AsyncArchiver",
    "SaveOutcome",
    "payload_digest",
]

_log = logging.getLogger(__name__)
_T = TypeVar("_T")

#: Largest capture :meth:`AsyncArchiver.verify` reads; a bigger one is left unverified (no digest
#: of a truncated payload is ever recorded).
VERIFY_MAX_BYTES = 50 * 1024 * 1024

_USER_AGENT = f"citecheck/{__version__} (+https://pypi.org/project/citecheck/; citation archiver)"


#: Captures kept per (URL, source) in the store and in memory. A list the archive made longer is
#: thinned to this many, evenly spread over it (the first and the last always kept), so every
#: access date still finds a capture near it. CDX answers at most 1000 rows, TimeMaps 20 pages.
MAX_STORED_CAPTURES = 500

#: Captures we requested that are remembered per URL (the newest).
MAX_SAVED_CAPTURES = 20

#: Capture lists an archiver without a store keeps in memory (the most recently used).
MEMORY_LISTS = 1024

_SAVE_SOURCE = "save"


@dataclass(frozen=True, slots=True)
class _Captures:
    """Every capture known of one lookup URL: fresh lists from the store and what the archives said."""

    found: tuple[Snapshot, ...] = ()
    #: Every source answered (a failed archive is asked again next time, and is no negative answer).
    complete: bool = True


@dataclass(frozen=True, slots=True)
class SaveOutcome:
    """What :meth:`AsyncArchiver.save_if_needed` did for one URL.

    Either ``requested`` (the Save Page Now record: pending, success or error) or ``skipped``
    (why no capture was requested) is set; ``recent`` is the capture that made a new one
    unnecessary.
    """

    requested: Snapshot | None = None
    skipped: str | None = None
    recent: Snapshot | None = None

    @property
    def captured(self) -> Snapshot | None:
        """The new capture, when the request succeeded: the snapshot to cite from now on."""
        requested = self.requested
        return requested if requested is not None and requested.job_status is JobStatus.SUCCESS else None


def _thin(captures: Sequence[Snapshot], limit: int) -> list[Snapshot]:
    """At most ``limit`` captures, oldest first, evenly spread over the list (first and last kept)."""
    ordered = sorted(captures, key=lambda snapshot: snapshot.captured_at)
    if len(ordered) <= limit:
        return ordered
    if limit == 1:
        return ordered[-1:]
    last = len(ordered) - 1
    return [ordered[round(i * last / (limit - 1))] for i in range(limit)]


_LOCAL_FIELDS = ("original_url", "lookup_url", "learned_at", "timestamp")


def _compact(snapshot: Snapshot) -> dict[str, Any]:
    """A capture as the store keeps it: :meth:`Snapshot.to_dict` without what the list already says."""
    return {key: value for key, value in snapshot.to_dict().items() if value is not None and key not in _LOCAL_FIELDS}


def _expand(record: dict[str, Any], lookup_url: str, learned_at: datetime) -> Snapshot:
    return Snapshot.from_dict(
        {**record, "original_url": lookup_url, "lookup_url": lookup_url, "learned_at": learned_at.isoformat()}
    )


class AsyncArchiver:
    """Find, choose, request and remember snapshots. ``async with AsyncArchiver() as archiver:``.

    ``limiters`` hands out the archive endpoints' rate limiters (default: the process-wide
    ones, so two archivers never double an archive's load; tests pass their own
    :class:`~citecheck.net.limits.Limiters`).
    """

    def __init__(
        self,
        settings: ArchiveSettings | None = None,
        *,
        client: httpx.AsyncClient | None = None,
        store: BaseStore | None = None,
        cleaner: Cleaner | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], datetime] | None = None,
        limiters: LimiterFactory = SHARED_LIMITERS,
        policy: AddressPolicy | None = None,
        allow_unguarded: bool = False,
    ) -> None:
        # Without settings, the environment's keys and endpoints apply, as on the command line.
        self.settings = settings or ArchiveSettings.from_env()
        if not (allow_unguarded or (policy is not None and policy.allow_private)):
            # An archive's answer names the URLs fetched next: a caller's client must keep the guard.
            refuse_unguarded(client=client, transport=None)
        self._limiters = limiters
        self._own_client = client is None
        if client is None:
            # The configured endpoints are the operator's and trusted as written; anything else
            # (a memento URL from an archive's answer, a redirect) meets the private-address guard.
            s = self.settings
            endpoints = [s.wayback_url, s.availability_url]
            endpoints += [url for archive in s.memento for url in (archive.timemap, archive.timegate) if url]
            guard = (policy or AddressPolicy()).trusting(endpoints)
            client = httpx.AsyncClient(
                transport=GuardedAiohttpTransport(guard),
                headers={"User-Agent": _USER_AGENT},
                timeout=httpx.Timeout(self.settings.timeout),
                trust_env=False,
            )
        self.client = client
        self.store = store
        # One thread, so the store sees the calls in the order they were made.
        self._store_thread = ThreadPoolExecutor(1, "citecheck-archive-store") if store is not None else None
        self._captures: SingleFlight[str, _Captures] = SingleFlight()
        # Without a store, the capture lists learned are kept here (bounded, freshness honoured).
        self._memory: OrderedDict[str, list[CaptureList]] = OrderedDict()
        self.cleaner = cleaner or Cleaner()
        self._clock = clock or (lambda: datetime.now(UTC))
        s = self.settings
        self.wayback = WaybackClient(
            self.client,
            wayback_url=s.wayback_url,
            availability_url=s.availability_url,
            cdx_per_minute=s.cdx_per_minute,
            availability_per_second=s.availability_per_second,
            sleep=sleep,
            limiters=limiters,
        )
        self.memento = MementoClient(self.client, per_minute=s.timemap_per_minute, sleep=sleep, limiters=limiters)
        self.saver = SaveClient(
            self.client,
            wayback_url=s.wayback_url,
            credentials=s.credentials,
            per_minute=s.save_per_minute,
            sleep=sleep,
            limiters=limiters,
        )

    async def __aenter__(self) -> AsyncArchiver:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_client:
            await self.client.aclose()
        if self._store_thread is not None:
            self._store_thread.shutdown()  # idle by now: every store call was awaited

    async def lookup(self, url: str, *, at: datetime | None = None) -> Snapshot | None:
        """The snapshot to cite for ``url`` as accessed at ``at`` (default now), or None.

        The cleaned URL is looked up first; the URL as cited only when nothing is found.
        """
        moment = self._moment(at)
        for candidate in self._candidates(url):
            known = await self._known(candidate)
            chosen = self._pick(known.found, url, candidate, at=moment)
            if chosen is not None:
                return chosen
        return None

    async def recall(self, url: str, *, at: datetime | None = None) -> Snapshot | None:
        """The snapshot :meth:`lookup` would choose from the capture lists already known (the store,
        or this archiver's memory), asking no archive: how a distributed audit's client reads what
        its workers learned. Lists past their freshness count too; they are facts, only older."""
        moment = self._moment(at)
        for candidate in self._candidates(url):
            lists = await self._stored_lists(candidate)
            found = [_expand(record, candidate, entry.learned_at) for entry in lists for record in entry.captures]
            chosen = self._pick(found, url, candidate, at=moment)
            if chosen is not None:
                return chosen
        return None

    def _candidates(self, url: str) -> list[str]:
        """The URL forms looked up, in turn: the cleaned one, then the one as cited."""
        return list(dict.fromkeys((self.cleaner.clean(url), url)))

    async def _known(self, lookup_url: str) -> _Captures:
        """Every capture known of ``lookup_url``; concurrent callers share one answer (one query each)."""
        return await self._captures.run(lookup_url, partial(self._ask, lookup_url))

    def _pick(
        self,
        found: Sequence[Snapshot],
        url: str,
        lookup_url: str,
        *,
        at: datetime,
        within: timedelta | None = None,
    ) -> Snapshot | None:
        """The capture to cite among ``found`` for ``at``, by :func:`choose` and the settings.

        ``within``: only captures that close to ``at`` (and in the configured window).
        A capture of unknown status from a TimeMap is taken only when no archive has one of
        known good status.
        """
        start, end = self.settings.not_before, self.settings.not_after
        if within is not None:
            start = at - within if start is None else max(start, at - within)
            end = at + within if end is None else min(end, at + within)
        prefer = self.settings.prefer
        chosen = choose(found, at=at, window=(start, end), prefer=prefer)
        if chosen is None:
            timemaps = [s for s in found if s.source is SnapshotSource.TIMEMAP]
            chosen = choose(timemaps, at=at, window=(start, end), prefer=prefer, allow_unknown_status=True)
        return None if chosen is None else replace(chosen, original_url=url, lookup_url=lookup_url)

    async def lookup_many(self, urls: Sequence[str], *, at: datetime | None = None) -> list[Snapshot | None]:
        """:meth:`lookup` of each URL (concurrently, at the archives' pace), in the order given."""
        moment = self._moment(at)
        return list(await asyncio.gather(*(self.lookup(url, at=moment) for url in urls)))

    def _moment(self, at: datetime | None) -> datetime:
        """``at`` in UTC (default now); a naive datetime is refused, since its zone could only be guessed."""
        if at is None:
            return self._clock().astimezone(UTC)
        if not isinstance(at, datetime):
            raise TypeError(f"at= must be a datetime, got {type(at).__name__}")
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(
                f"at= must be timezone-aware (e.g. datetime(2024, 5, 1, tzinfo=UTC)), got naive {at.isoformat()}"
            )
        return at.astimezone(UTC)

    async def save(self, url: str) -> Snapshot:
        """Request a capture of the cleaned URL with Save Page Now and record the job.

        Sends ``if_not_archived_within`` from the settings: Save Page Now then answers with a
        capture it already has from that recent past instead of making another.
        """
        cleaned = self.cleaner.clean(url)
        within = format_duration(self.settings.if_not_archived_within)
        saved = await self.saver.save(cleaned, if_not_archived_within=within)
        snapshot = replace(saved, original_url=url, lookup_url=cleaned)
        await self._remember(cleaned, url, snapshot)
        await self._keep_capture(snapshot)
        return snapshot

    async def save_if_needed(self, url: str, *, at: datetime | None = None) -> SaveOutcome:
        """Request a capture of ``url`` only when no eligible one exists near ``at`` (default now).

        Near: within ``settings.if_not_archived_within`` of ``at``, before or after, in any
        archive (the cleaned URL and the URL as cited are both asked, from the store when it
        knows). Otherwise :meth:`save`, whose record comes back in ``requested``; a capture
        that succeeded is remembered with the URL's captures, so later lookups can choose it.
        """
        moment = self._moment(at)
        within = self.settings.if_not_archived_within
        for candidate in self._candidates(url):
            known = await self._known(candidate)
            recent = self._pick(known.found, url, candidate, at=moment, within=within)
            if recent is not None:
                reason = (
                    f"{recent.archive} has a capture from {recent.captured_at:%Y-%m-%d %H:%M} UTC, "
                    f"within {format_duration(within)} of the access date"
                )
                return SaveOutcome(skipped=reason, recent=recent)
        return SaveOutcome(requested=await self.save(url))

    async def verify(self, snapshot: Snapshot, *, max_bytes: int = VERIFY_MAX_BYTES) -> Snapshot:
        """The snapshot with ``digest`` computed from its capture, as the Wayback CDX records it.

        GETs ``raw_url`` (the banner-free capture), else ``memento_url`` (a replay page, whose
        digest is of the page as the archive rewrites it), at the ``replay:<archive>`` pace, and
        hashes the payload as served: SHA-1, base32, upper case, content encoding left as is
        (the WARC payload digest the CDX ``digest`` column holds). At most ``max_bytes`` are
        read. When the index already had a different digest the computed one is kept and a
        warning logged. A verified snapshot is recorded in the store.

        Returns ``snapshot`` itself, unchanged, when it cannot be verified: an HTTP error, a
        timeout (``4 * timeout`` for the whole download; waiting for the pace does not count),
        a capture larger than ``max_bytes``, or a capture request that has not succeeded yet.
        Never raises for the archive's failures.
        """
        if snapshot.job_status not in (None, JobStatus.SUCCESS):
            return snapshot  # a pending or failed save: there is no capture to fetch
        url = snapshot.raw_url or snapshot.memento_url
        limiter = self._limiters(f"replay:{snapshot.archive}", self.settings.verify_per_minute)
        await limiter.wait()  # outside the deadline: a long queue of verifications is not a timeout
        try:
            async with asyncio.timeout(4 * self.settings.timeout):
                digest = await self._payload_digest(limiter, url, max_bytes)
        except (ArchiveError, BodyTooLarge, httpx.HTTPError, httpx.InvalidURL, TimeoutError) as exc:
            reason = str(exc) if isinstance(exc, ArchiveError | BodyTooLarge) else type(exc).__name__
            _log.info("could not verify %s: %s", url, reason)
            return snapshot
        known = snapshot.digest
        if known is not None and known.removeprefix("sha1:").upper() != digest:
            _log.warning(
                "%s: the capture's payload digest is %s, but the %s index says %s; keeping the computed one",
                url,
                digest,
                snapshot.archive,
                known,
            )
        verified = replace(snapshot, digest=digest)
        if known != digest:
            await self._remember(snapshot.lookup_url, snapshot.original_url, verified)
        return verified

    async def _payload_digest(self, limiter: RateLimiter, url: str, max_bytes: int) -> str:
        """:func:`payload_digest` of the capture at ``url``, read as a stream of raw bytes.

        The caller has waited for ``limiter``; a 429/503 defers it for everyone.
        """
        # identity: a compressing proxy or replay must not change the bytes we hash.
        headers = {"Accept-Encoding": "identity"}
        async with self.client.stream("GET", url, headers=headers, follow_redirects=True) as response:
            if response.status_code in (429, 503):
                limiter.defer(retry_after_seconds(response.headers.get("Retry-After")))
                raise ArchiveError(f"answered HTTP {response.status_code} (busy)")
            if response.status_code != 200:
                raise ArchiveError(f"answered HTTP {response.status_code}")
            check_announced_length(response, max_bytes)
            hasher = hashlib.sha1(usedforsecurity=False)
            # Raw: transfer encoding removed, content encoding kept, as in the WARC record.
            async for chunk in bounded_chunks(response, max_bytes, raw=True):
                hasher.update(chunk)
        return _base32(hasher.digest())

    async def repoll_pending(self, limit: int = 100) -> list[Snapshot]:
        """Poll the Save Page Now jobs a previous run left pending; record what they became."""
        if self.store is None or self.settings.credentials is None:
            return []
        updated = []
        for record in await self._in_store_thread(partial(self.store.pending_snapshots, limit)):
            pending = Snapshot.from_dict(record)
            snapshot = await self.saver.poll(pending)
            await self._remember(pending.lookup_url, pending.original_url, snapshot)
            await self._keep_capture(snapshot)
            updated.append(snapshot)
        return updated

    def _sources(self) -> dict[str, Callable[[str], Awaitable[list[Snapshot]]]]:
        """Each source of captures by its name in the store: CDX, then each Memento archive's TimeMap."""
        sources: dict[str, Callable[[str], Awaitable[list[Snapshot]]]] = {
            "cdx": partial(self.wayback.cdx_history, filters=("statuscode:20[036]",)),
        }
        for archive in self.settings.memento:
            sources[f"timemap:{archive.name}"] = partial(self.memento.timemap, archive)
        return sources

    async def _ask(self, url: str) -> _Captures:
        """The fresh lists the store (or memory) has of ``url``; the other sources are asked now.

        A source's answer is kept whole (bounded): a list of captures, or an empty one that is
        a negative answer. A source that fails is not kept, so it is asked again next time.
        """
        now = self._clock()
        lists = await self._stored_lists(url)
        fresh = {entry.source: entry for entry in lists if entry.source == _SAVE_SOURCE or entry.is_fresh(now)}
        sources = self._sources()
        missing = [name for name in sources if name not in fresh]
        answers = await asyncio.gather(*(sources[name](url) for name in missing), return_exceptions=True)
        complete = True
        learned: list[CaptureList] = []
        for name, answer in zip(missing, answers, strict=True):
            if isinstance(answer, BaseException):
                if not isinstance(answer, (ArchiveError, httpx.HTTPError)):
                    raise answer
                complete = False
                continue
            kept = _thin(answer, MAX_STORED_CAPTURES)
            max_age = self.settings.max_age if kept else self.settings.negative_max_age
            learned.append(
                CaptureList(
                    lookup_url=url,
                    source=name,
                    learned_at=now,
                    fresh_until=now + max_age,
                    captures=tuple(_compact(snapshot) for snapshot in kept),
                    reported=len(answer),
                )
            )
        if learned:
            await self._keep_lists(url, learned)
        found = [
            _expand(record, url, entry.learned_at) for entry in (*fresh.values(), *learned) for record in entry.captures
        ]
        return _Captures(found=tuple(found), complete=complete)

    async def _stored_lists(self, url: str) -> list[CaptureList]:
        if self.store is not None:
            return await self._in_store_thread(partial(self.store.capture_lists, url))
        lists = self._memory.get(url, [])
        if lists:
            self._memory.move_to_end(url)
        return list(lists)

    async def _keep_lists(self, url: str, lists: list[CaptureList]) -> None:
        if self.store is not None:
            await self._in_store_thread(partial(self.store.record_captures, lists))
            return
        merged = {entry.source: entry for entry in (*self._memory.get(url, []), *lists)}
        self._memory[url] = list(merged.values())
        self._memory.move_to_end(url)
        while len(self._memory) > MEMORY_LISTS:
            self._memory.popitem(last=False)

    async def _keep_capture(self, snapshot: Snapshot) -> None:
        """A capture we requested that succeeded joins its URL's captures (lookups may choose it)."""
        if snapshot.job_status is not JobStatus.SUCCESS:
            return
        url, now = snapshot.lookup_url, self._clock()
        if self.store is not None:
            add = partial(
                self.store.add_capture,
                url,
                _SAVE_SOURCE,
                _compact(snapshot),
                learned_at=now,
                fresh_until=now,  # never asked again: the list is ours
                keep=MAX_SAVED_CAPTURES,
            )
            await self._in_store_thread(add)
            return
        known = [entry for entry in self._memory.get(url, []) if entry.source == _SAVE_SOURCE]
        captures = (*(known[0].captures if known else ()), _compact(snapshot))[-MAX_SAVED_CAPTURES:]
        entry = CaptureList(lookup_url=url, source=_SAVE_SOURCE, learned_at=now, fresh_until=now, captures=captures)
        await self._keep_lists(url, [entry])

    async def _remember(self, lookup_url: str, original_url: str, snapshot: Snapshot | None) -> None:
        if self.store is not None:
            record = partial(
                self.store.record_snapshot,
                lookup_url=lookup_url,
                original_url=original_url,
                snapshot=None if snapshot is None else snapshot.to_dict(),
            )
            await self._in_store_thread(record)

    async def _in_store_thread(self, call: Callable[[], _T]) -> _T:
        """``call()`` (a store method) on this archiver's store thread, off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._store_thread, call)


def _base32(sha1: bytes) -> str:
    return base64.b32encode(sha1).decode("ascii")


def payload_digest(payload: bytes) -> str:
    """A payload's digest as the Wayback CDX ``digest`` column has it: base32 SHA-1, upper case.

    >>> payload_digest(b"")
    '3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ'
    """
    return _base32(hashlib.sha1(payload, usedforsecurity=False).digest())


class ArchiverArguments(TypedDict, total=False):
    """What :class:`AsyncArchiver` takes besides its settings, typed for the synchronous twin."""

    client: httpx.AsyncClient | None
    store: BaseStore | None
    cleaner: Cleaner | None
    sleep: Callable[[float], Awaitable[None]] | None
    clock: Callable[[], datetime] | None
    limiters: LimiterFactory
    policy: AddressPolicy | None
    allow_unguarded: bool


class Archiver:
    """The synchronous twin of :class:`AsyncArchiver` (its own event loop in a background thread)."""

    def __init__(self, settings: ArchiveSettings | None = None, **arguments: Unpack[ArchiverArguments]) -> None:
        self._thread = LoopThread("citecheck-archive", owner="Archiver")

        async def make() -> AsyncArchiver:
            return AsyncArchiver(settings, **arguments)

        self._archiver = self._thread.run(make())
        self._run = self._thread.run

    def lookup(self, url: str, *, at: datetime | None = None) -> Snapshot | None:
        return self._run(self._archiver.lookup(url, at=at))

    def save(self, url: str) -> Snapshot:
        return self._run(self._archiver.save(url))

    def save_if_needed(self, url: str, *, at: datetime | None = None) -> SaveOutcome:
        return self._run(self._archiver.save_if_needed(url, at=at))

    def verify(self, snapshot: Snapshot) -> Snapshot:
        return self._run(self._archiver.verify(snapshot))

    def lookup_many(self, urls: Sequence[str], *, at: datetime | None = None) -> list[Snapshot | None]:
        return self._run(self._archiver.lookup_many(urls, at=at))

    def close(self) -> None:
        self._thread.close(self._archiver.aclose())

    def __enter__(self) -> Archiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
