"""The archive stage in one place: find the snapshot to cite, request one, remember both.

``Archiver.lookup`` asks the Internet Archive's CDX API and every configured Memento archive's
TimeMap for captures of the cleaned URL (then, only if none is found, of the URL as cited),
chooses one with :func:`citecheck.archive.choose.choose`, and records the answer in the store,
negative answers included, so reruns do not ask again too soon. ``Archiver.verify`` optionally
fetches a snapshot's raw capture and records its payload digest (the CDX ``digest`` form).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from .._version import __version__
from ..clean.cleaner import Cleaner
from ..core.settings import ArchiveSettings
from ..core.snapshot import ArchiveError, JobStatus, Snapshot, SnapshotSource
from ..core.sync import LoopThread
from ..net.exchange import retry_after_seconds
from ..net.limits import RateLimiter, limiter_for
from .choose import choose
from .memento import MementoClient
from .save import SaveClient
from .wayback import WaybackClient

if TYPE_CHECKING:
    from ..store.sqlite import Store

__all__ = ["VERIFY_MAX_BYTES", "ArchiveSettings", "Archiver", "SyncArchiver", "payload_digest"]

_log = logging.getLogger(__name__)

#: Largest capture :meth:`Archiver.verify` reads; a bigger one is left unverified (no digest
#: of a truncated payload is ever recorded).
VERIFY_MAX_BYTES = 50 * 1024 * 1024

_USER_AGENT = f"citecheck/{__version__} (+https://pypi.org/project/citecheck/; citation archiver)"


class Archiver:
    """Find, choose, request and remember snapshots. ``async with Archiver() as archiver:``."""

    def __init__(
        self,
        settings: ArchiveSettings | None = None,
        *,
        client: httpx.AsyncClient | None = None,
        store: Store | None = None,
        cleaner: Cleaner | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings or ArchiveSettings()
        self._own_client = client is None
        # Archive endpoints are configured by the operator and trusted: no private-address guard.
        self.client = client or httpx.AsyncClient(
            headers={"User-Agent": _USER_AGENT}, timeout=httpx.Timeout(self.settings.timeout), trust_env=False
        )
        self.store = store
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
        )
        self.memento = MementoClient(self.client, per_minute=s.timemap_per_minute, sleep=sleep)
        self.saver = SaveClient(
            self.client, wayback_url=s.wayback_url, credentials=s.credentials, per_minute=s.save_per_minute, sleep=sleep
        )

    async def __aenter__(self) -> Archiver:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_client:
            await self.client.aclose()

    async def lookup(self, url: str, *, at: datetime | None = None) -> Snapshot | None:
        """The snapshot to cite for ``url`` as accessed at ``at`` (default now), or None.

        The cleaned URL is looked up first; the URL as cited only when nothing is found.
        """
        moment = at or self._clock()
        cleaned = self.cleaner.clean(url)
        for candidate in dict.fromkeys((cleaned, url)):
            known, stored = self._stored(candidate)
            if known and stored is not None:
                return replace(stored, original_url=url)
            if known:
                continue  # a fresh negative answer: do not ask the archives again yet
            found, complete = await self._find(candidate)
            found = [replace(s, original_url=url, lookup_url=candidate) for s in found]
            window = (self.settings.not_before, self.settings.not_after)
            chosen = choose(found, at=moment, window=window, prefer=self.settings.prefer)
            if chosen is None:
                chosen = choose(
                    [s for s in found if s.source is SnapshotSource.TIMEMAP],
                    at=moment,
                    window=window,
                    prefer=self.settings.prefer,
                    allow_unknown_status=True,
                )
            if complete or chosen is not None:
                self._remember(candidate, url, chosen)
            if chosen is not None:
                return chosen
        return None

    async def save(self, url: str) -> Snapshot:
        """Request a capture of the cleaned URL with Save Page Now and record the job."""
        cleaned = self.cleaner.clean(url)
        snapshot = replace(await self.saver.save(cleaned), original_url=url, lookup_url=cleaned)
        self._remember(cleaned, url, snapshot)
        return snapshot

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
        limiter = limiter_for(f"replay:{snapshot.archive}", self.settings.verify_per_minute)
        await limiter.wait()  # outside the deadline: a long queue of verifications is not a timeout
        try:
            async with asyncio.timeout(4 * self.settings.timeout):
                digest = await self._payload_digest(limiter, url, max_bytes)
        except (ArchiveError, httpx.HTTPError, httpx.InvalidURL, TimeoutError) as exc:
            reason = str(exc) if isinstance(exc, ArchiveError) else type(exc).__name__
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
            self._remember(snapshot.lookup_url, snapshot.original_url, verified)
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
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise ArchiveError(f"the capture is {declared} bytes, more than {max_bytes}")
            hasher = hashlib.sha1(usedforsecurity=False)
            size = 0
            # Raw: transfer encoding removed, content encoding kept, as in the WARC record.
            async for chunk in response.aiter_raw():
                size += len(chunk)
                if size > max_bytes:
                    raise ArchiveError(f"the capture is more than {max_bytes} bytes")
                hasher.update(chunk)
        return _base32(hasher.digest())

    async def repoll_pending(self, limit: int = 100) -> list[Snapshot]:
        """Poll the Save Page Now jobs a previous run left pending; record what they became."""
        if self.store is None or self.settings.credentials is None:
            return []
        updated = []
        for record in self.store.pending_snapshots(limit):
            pending = Snapshot.from_dict(record)
            snapshot = await self.saver.poll(pending)
            self._remember(pending.lookup_url, pending.original_url, snapshot)
            updated.append(snapshot)
        return updated

    async def _find(self, url: str) -> tuple[list[Snapshot], bool]:
        """Every capture the archives report, and whether every archive answered."""
        tasks: list[Awaitable[list[Snapshot]]] = [self.wayback.cdx(url, filters=("statuscode:20[036]",))]
        tasks += [self.memento.timemap(archive, url) for archive in self.settings.memento]
        answers = await asyncio.gather(*tasks, return_exceptions=True)
        found: list[Snapshot] = []
        complete = True
        for answer in answers:
            if isinstance(answer, BaseException):
                if not isinstance(answer, (ArchiveError, httpx.HTTPError)):
                    raise answer
                complete = False
                continue
            found.extend(answer)
        return found, complete

    def _stored(self, url: str) -> tuple[bool, Snapshot | None]:
        if self.store is None:
            return False, None
        known, record = self.store.latest_snapshot(
            url, max_age=self.settings.max_age, negative_max_age=self.settings.negative_max_age
        )
        return known, None if record is None else Snapshot.from_dict(record)

    def _remember(self, lookup_url: str, original_url: str, snapshot: Snapshot | None) -> None:
        if self.store is not None:
            self.store.record_snapshot(
                lookup_url=lookup_url,
                original_url=original_url,
                snapshot=None if snapshot is None else snapshot.to_dict(),
            )


def _base32(sha1: bytes) -> str:
    return base64.b32encode(sha1).decode("ascii")


def payload_digest(payload: bytes) -> str:
    """A payload's digest as the Wayback CDX ``digest`` column has it: base32 SHA-1, upper case.

    >>> payload_digest(b"")
    '3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ'
    """
    return _base32(hashlib.sha1(payload, usedforsecurity=False).digest())


class SyncArchiver:
    """The synchronous twin of :class:`Archiver` (its own event loop in a background thread)."""

    def __init__(self, settings: ArchiveSettings | None = None, **kwargs: Any) -> None:
        self._thread = LoopThread("citecheck-archive")

        async def make() -> Archiver:
            return Archiver(settings, **kwargs)

        self._archiver = self._thread.run(make())
        self._run = self._thread.run

    def lookup(self, url: str, *, at: datetime | None = None) -> Snapshot | None:
        return self._run(self._archiver.lookup(url, at=at))

    def save(self, url: str) -> Snapshot:
        return self._run(self._archiver.save(url))

    def verify(self, snapshot: Snapshot) -> Snapshot:
        return self._run(self._archiver.verify(snapshot))

    def lookup_many(self, urls: Sequence[str], *, at: datetime | None = None) -> list[Snapshot | None]:
        async def run() -> list[Snapshot | None]:
            return list(await asyncio.gather(*(self._archiver.lookup(u, at=at) for u in urls)))

        return self._run(run())

    def close(self) -> None:
        self._thread.close(self._archiver.aclose())

    def __enter__(self) -> SyncArchiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
