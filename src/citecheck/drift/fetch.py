"""Fetch the two sides of a drift comparison: the live page and the snapshot's raw capture.

Both go through the guarded network stack (the private-address guard on every connection and
redirect, the process-wide rate limiters) with a bounded body: a page over :data:`MAX_PAGE_BYTES`
is not compared (refused, never cut short, since half a page would read as drift). The capture
is the archive's raw form (Wayback's ``id_``, without banner or rewritten links) when the
snapshot has one, else its memento URL as is; each snapshot is fetched once per
:class:`FetchCache` (one per run: a long-running service never answers from an old page), at
the archive's replay pace (``archive.verify_per_minute``, shared with
snapshot verification). The live page is paced per host like link checks (``host_interval``).
Extraction and comparison are CPU work and run in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from .._version import __version__
from ..core.drift import Drift
from ..core.snapshot import Snapshot
from ..net.aiotransport import GuardedAiohttpTransport
from ..net.body import BodyTooLarge, read_bounded
from ..net.exchange import Exchange, retry_after_seconds
from ..net.guard import AddressPolicy, url_host
from ..net.limits import SHARED_LIMITERS, LimiterFactory
from .compare import DEFAULT_THRESHOLD, compare_html

__all__ = ["MAX_PAGE_BYTES", "DriftFetcher", "FetchCache", "Unreadable"]

#: Largest page or capture read for a comparison (news pages with inline scripts reach 1-2 MB).
MAX_PAGE_BYTES = 8 * 1024 * 1024

_USER_AGENT = f"citecheck/{__version__} (+https://github.com/citecheck/citecheck)"


class Unreadable(Exception):
    """One side of a comparison could not be read; the message says why, for people."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Page:
    html: str


@dataclass(slots=True)
class FetchCache:
    """The pages one run has fetched (or is fetching): each capture and live page once per run."""

    captures: dict[str, asyncio.Future[str]] = field(default_factory=dict)
    pages: dict[str, asyncio.Future[str]] = field(default_factory=dict)


class DriftFetcher:
    """Compare live pages with their snapshots. ``async with DriftFetcher(...) as fetcher:``.

    ``trusted`` are the operator's archive endpoints (fetched even when private, like the
    archiver's); every other address meets ``policy``. ``transport`` replaces the network stack
    (tests); it must keep the guard for public use.
    """

    def __init__(
        self,
        *,
        policy: AddressPolicy | None = None,
        trusted: Sequence[str] = (),
        timeout: float = 30.0,
        user_agent: str | None = None,
        replay_per_minute: float = 30.0,
        host_interval: float = 0.0,
        threshold: float = DEFAULT_THRESHOLD,
        extractor: str = "trafilatura",
        max_bytes: int = MAX_PAGE_BYTES,
        limiters: LimiterFactory = SHARED_LIMITERS,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        guard = (policy or AddressPolicy()).trusting(trusted)
        self.client = httpx.AsyncClient(
            transport=transport or GuardedAiohttpTransport(guard),
            headers={"User-Agent": user_agent or _USER_AGENT},
            timeout=httpx.Timeout(timeout),
            follow_redirects=True,
            max_redirects=10,
            trust_env=False,
        )
        self.timeout = timeout
        self.replay_per_minute = replay_per_minute
        self.host_interval = host_interval
        self.threshold = threshold
        self.extractor = extractor
        self.max_bytes = max_bytes
        self._limiters = limiters

    async def __aenter__(self) -> DriftFetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()

    async def compare(self, url: str, snapshot: Snapshot | None, cache: FetchCache | None = None) -> Drift:
        """The drift verdict for ``url`` against ``snapshot``; never raises for a page's trouble.

        Comparisons given one ``cache`` fetch each capture and each live page once between them.
        """
        if snapshot is None:
            return Drift.unknown("no snapshot to compare with")
        cache = cache or FetchCache()
        memento = snapshot.memento_url
        try:
            cited = await self._once(cache.captures, memento, lambda: self._capture(snapshot))
        except Unreadable as exc:
            return Drift.unknown(f"the snapshot could not be read: {exc}", snapshot=memento)
        try:
            live = await self._once(cache.pages, url, lambda: self._live(url))
        except Unreadable as exc:
            return Drift.unknown(f"the live page could not be read: {exc}", snapshot=memento)
        at = datetime.now(UTC)
        return await asyncio.to_thread(
            compare_html,
            cited,
            live,
            snapshot=memento,
            threshold=self.threshold,
            extractor=self.extractor,
            at=at,
        )

    @staticmethod
    async def _once(
        cache: dict[str, asyncio.Future[str]], key: str, fetch: Callable[[], Coroutine[Any, Any, str]]
    ) -> str:
        """The result of the first fetch of ``key``, failure included: later callers share it."""
        future = cache.get(key)
        if future is None:
            future = cache[key] = asyncio.ensure_future(fetch())
        return await asyncio.shield(future)

    async def _capture(self, snapshot: Snapshot) -> str:
        url = snapshot.raw_url or snapshot.memento_url
        limiter = self._limiters(f"replay:{snapshot.archive}", self.replay_per_minute)
        await limiter.wait()
        page = await self._get(url, busy=limiter.defer)
        return page.html

    async def _live(self, url: str) -> str:
        if self.host_interval > 0:
            await self._limiters(f"drift:{url_host(url)}", 60.0 / self.host_interval).wait()
        page = await self._get(url, busy=None)
        return page.html

    async def _get(self, url: str, *, busy: Callable[[float | None], None] | None) -> _Page:
        try:
            async with asyncio.timeout(4 * self.timeout):
                async with self.client.stream("GET", url, headers={"Accept": "text/html,*/*;q=0.5"}) as response:
                    if response.status_code in (429, 503) and busy is not None:
                        busy(retry_after_seconds(response.headers.get("Retry-After")))
                    if not 200 <= response.status_code < 300:
                        raise Unreadable(f"HTTP {response.status_code}")
                    body = await read_bounded(response, self.max_bytes)
                    headers = dict(response.headers.items())
        except BodyTooLarge as exc:
            raise Unreadable(str(exc)) from None
        except TimeoutError:
            raise Unreadable("timed out") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise Unreadable(str(exc) or type(exc).__name__) from None
        exchange = Exchange(method="GET", url=url, status=response.status_code, headers=headers, body=body)
        if not exchange.is_html:
            raise Unreadable(f"not HTML ({exchange.content_type or 'no content type'})")
        return _Page(html=exchange.text())
