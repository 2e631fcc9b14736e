"""Checking links over the network: resolve, judge with evidence, politely and fast.

:class:`AsyncLinkChecker` composes the stage's parts for one URL at a time: the host gate and
round-robin order (:mod:`.hosts`), one request and its failures (:mod:`.request`), the redirect
chain (:mod:`.resolve`), soft-404 evidence (:mod:`.soft404`) and the verdict table
(:mod:`.verdict`). It adds what spans attempts and URLs: retries with backoff, one check per
URL however often it is asked for, and holding NXDOMAIN back until DNS is seen to work.
"""

from __future__ import annotations

import asyncio
import functools
import random
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime

import httpx

from ..clean.cleaner import Cleaner
from ..core.evidence import Hop, OnlineResult
from ..core.urls import split_url
from ..core.verdicts import Reason, Verdict
from ..net.aiotransport import GuardedAiohttpTransport, refuse_unguarded
from ..net.exchange import DirectSender
from ..net.guard import check_url_host
from ..net.hosts import HostGate
from ..net.singleflight import SingleFlight
from .hosts import round_robin
from .options import DEFAULT_USER_AGENT, NetworkOptions
from .request import NetworkFacts, PoliteClient, Transient
from .resolve import Chain, Resolver
from .soft404 import SoftNotFound
from .verdict import judge_final, needs_soft_404_check, offline

# NetworkOptions, DEFAULT_USER_AGENT, OnlineResult and Hop are re-exported for callers that
# import them from this module; ``citecheck.check`` is where they are meant to come from.
__all__ = ["DEFAULT_USER_AGENT", "AsyncLinkChecker", "Hop", "NetworkOptions", "OnlineResult"]

#: Finished answers kept for reuse within one checker (the same URL is not checked twice).
_MAX_REMEMBERED = 20_000


class AsyncLinkChecker:
    """Check URLs over the network. Use as ``async with AsyncLinkChecker() as checker:``.

    The same URL is checked once per checker, however often it is asked for. By default the
    client runs on :class:`~citecheck.net.aiotransport.GuardedAiohttpTransport`, which refuses
    private addresses on every connection; ``options.headers`` adds request headers.

    ``client`` (an ``httpx.AsyncClient`` you own) or ``transport`` plug in your own stack. A
    stack that could reach private addresses is refused with a :class:`~citecheck.core.errors.UsageError`
    unless the options allow private addresses anyway or you pass ``allow_unguarded=True``: a
    client built on one of citecheck's guarded transports, or on ``httpx.MockTransport``, is fine.
    """

    def __init__(
        self,
        options: NetworkOptions | None = None,
        *,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        cleaner: Cleaner | None = None,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        remember: bool = True,
        allow_unguarded: bool = False,
    ) -> None:
        self.options = options = options or NetworkOptions()
        #: Keep finished answers for reuse (a long-running service relies on its store instead).
        self._remember = remember
        self.policy = options.policy()
        if not (allow_unguarded or self.policy.allow_private):
            refuse_unguarded(client=client, transport=transport)
        self.cleaner = cleaner or Cleaner()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._sleep = sleep or asyncio.sleep
        self._own_client = client is None
        sender: httpx.AsyncClient | DirectSender
        if client is None:
            # The host gate bounds requests in flight (globally and per host), so the pool needs
            # no bound of its own; idle connections are kept a few seconds for the next URL.
            transport = transport or GuardedAiohttpTransport(self.policy)
            # Only the encodings exchange() can decode with a bound (httpx would also offer br and
            # zstd when their packages happen to be installed).
            headers = {
                "User-Agent": options.user_agent,
                "Accept": "*/*",
                "Accept-Encoding": "gzip, deflate",
                **dict(options.headers),
            }
            client = httpx.AsyncClient(
                transport=transport, headers=headers, timeout=httpx.Timeout(options.timeout), trust_env=False
            )
            # Our own client's requests skip its bookkeeping and go straight to its transport.
            sender = DirectSender(transport, headers=client.headers, timeout=options.timeout)
        else:
            sender = client
        self.client = client
        #: What this run learned about the network (DNS works, any host answered, failures).
        self.network = NetworkFacts()
        gate = HostGate(
            concurrency=options.concurrency,
            host_concurrency=options.host_concurrency,
            interval=options.host_interval,
            retry_after_cap=options.retry_after_cap,
            sleep=self._sleep,
        )
        polite = PoliteClient(sender, gate, self.network, max_body=options.max_body, timeout=options.timeout)
        self._resolver = Resolver(polite, options, self.policy, self.cleaner)
        self._soft_404 = SoftNotFound(polite.request, self.policy, probe=options.probe_soft_404)
        #: Checks in flight, by URL (so concurrent askers share one check)...
        self._in_flight: SingleFlight[str, OnlineResult] = SingleFlight()
        #: ...and the answers of finished ones, bounded so memory stays flat on huge runs.
        #: Each with the monotonic time it was checked, so it can expire (``options.remember_for``).
        self._done: OrderedDict[str, tuple[float, OnlineResult]] = OrderedDict()

    async def __aenter__(self) -> AsyncLinkChecker:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._in_flight.cancel()
        self._soft_404.cancel()
        if self._own_client:
            await self.client.aclose()

    # -- what the run learned --------------------------------------------------------------------

    @property
    def dns_works(self) -> bool:
        """Whether any name resolved in this run: NXDOMAIN is only trusted once DNS has worked."""
        return self.network.dns_works

    @dns_works.setter
    def dns_works(self, value: bool) -> None:
        self.network.dns_works = value

    @property
    def hosts_answered(self) -> bool:
        """Whether any host gave any HTTP answer in this run."""
        return self.network.hosts_answered

    @property
    def hosts_seen(self) -> set[str]:
        """Origins tried before any host answered (what the offline notice counts)."""
        return self.network.hosts_seen

    @property
    def failures_by_reason(self) -> dict[str, int]:
        return self.network.failures_by_reason

    def offline_notice(self) -> str | None:
        """A plain sentence when every host failed at the network level (nothing was called dead)."""
        return self.network.offline_notice()

    # -- public ----------------------------------------------------------------------------------

    async def check(self, url: str) -> OnlineResult:
        """The verdict on ``url`` (checked once per checker; later calls share the answer)."""
        if not isinstance(url, str):
            raise TypeError(f"check() takes a URL as a str, not {type(url).__name__}")
        result = self._remembered(url)
        if result is None:
            result = await self._shared_check(url)
        if result.reason is Reason.DNS_NXDOMAIN and not self.network.dns_works:
            return offline(result)
        return result

    async def check_many(self, urls: Iterable[str], *, ordered: bool = False) -> AsyncIterator[OnlineResult]:
        """Results as they complete, or in input order with ``ordered``. Reads ``urls`` lazily.

        URLs are started round-robin over hosts so one big host does not hold the others up.
        NXDOMAIN answers are held back until DNS is seen to work for another name; if it never
        does (the machine is offline), they come out as ``unreachable``/``offline``. In input
        order, an answer waits for those before it: memory then grows with how far a slow URL
        lags behind (at most its timeout's worth of answers).
        """
        if ordered:
            async for result in self._in_input_order(urls):
                yield result
            return
        held: list[OnlineResult] = []
        options = self.options
        batches = round_robin(
            _strings(urls), self.check, concurrency=options.concurrency, host_concurrency=options.host_concurrency
        )
        async for batch in batches:
            for result in batch:
                if result.reason is Reason.DNS_NXDOMAIN and not self.network.dns_works:
                    held.append(result)
                    continue
                yield result
            if held and self.network.dns_works:
                for result in held:
                    yield result
                held.clear()
        for result in held:
            yield result if self.network.dns_works else offline(result)

    async def _in_input_order(self, urls: Iterable[str]) -> AsyncIterator[OnlineResult]:
        """:meth:`check_many`'s results, each yielded once every URL before it has its answer."""
        order: deque[str] = deque()
        wanted: dict[str, int] = {}  # places in ``order`` still waiting for each URL's answer

        def recorded() -> Iterator[str]:
            for url in _strings(urls):
                order.append(url)
                wanted[url] = wanted.get(url, 0) + 1
                yield url

        answers: dict[str, OnlineResult] = {}
        async for result in self.check_many(recorded()):
            if wanted.get(result.url):  # a repeated URL's answer comes once per place; all are served
                answers[result.url] = result
            while order and order[0] in answers:
                url = order.popleft()
                yield answers[url]
                wanted[url] -= 1
                if not wanted[url]:
                    del answers[url], wanted[url]

    # -- one URL ---------------------------------------------------------------------------------

    async def _shared_check(self, url: str) -> OnlineResult:
        """Check ``url`` once however many ask at the same time; the askers share the answer."""
        return await self._in_flight.run(url, functools.partial(self._check_and_keep, url))

    async def _check_and_keep(self, url: str) -> OnlineResult:
        """Check ``url`` and keep the answer in the bounded table (unless the service forgoes it)."""
        result = await self._check(url)
        if self._remember:
            self._done[url] = (time.monotonic(), result)
            self._done.move_to_end(url)
            if len(self._done) > _MAX_REMEMBERED:
                self._done.popitem(last=False)
        return result

    def _remembered(self, url: str) -> OnlineResult | None:
        """The kept answer for ``url`` while it is younger than ``options.remember_for``."""
        kept = self._done.get(url)
        if kept is None:
            return None
        when, result = kept
        if time.monotonic() - when > self.options.remember_for:
            del self._done[url]
            return None
        return result

    async def _check(self, url: str) -> OnlineResult:
        """Every attempt at ``url``: retry transient failures with backoff, honour Retry-After."""
        started = time.monotonic()
        checked_at = self._clock()
        parts = split_url(url.strip())
        if parts is None:
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            reason = Reason.INVALID_URL if scheme in ("http", "https") else Reason.UNSUPPORTED_SCHEME
            return OnlineResult(url=url, verdict=Verdict.SKIPPED, reason=reason, checked_at=checked_at)
        refusal = check_url_host(url, self.policy)
        if refusal is not None:
            return OnlineResult(
                url=url, verdict=Verdict.SKIPPED, reason=Reason.PRIVATE_ADDRESS, detail=refusal, checked_at=checked_at
            )
        if not self.network.hosts_answered:
            # Only counted for the "looks offline" notice, which no longer applies once a host answered;
            # a run over millions of links and hosts keeps no set of them.
            self.network.hosts_seen.add(parts.origin())
        attempts = 0
        result: OnlineResult | None = None
        while True:
            attempts += 1
            try:
                # Each request has its own timeout, from when it is sent (PoliteClient): an
                # attempt may queue behind its host's limits without being called slow.
                result = await self._attempt(url)
                break
            except Transient as transient:
                result = transient.result
                wait = transient.wait
            if attempts > self.options.retries:
                break
            if wait is None:
                wait = self.options.backoff * (2 ** (attempts - 1)) * (0.5 + random.random())
            elif wait > self.options.retry_after_cap:
                break
            await self._sleep(wait)
        failures = self.network.failures_by_reason
        failures[str(result.reason)] = failures.get(str(result.reason), 0) + 1
        # A hop's failure (a redirect target answering 503) is still the answer for the cited URL.
        return replace(result, url=url, attempts=attempts, elapsed=time.monotonic() - started, checked_at=checked_at)

    async def _attempt(self, url: str) -> OnlineResult:
        """One attempt: follow the chain, then judge its end. Raises Transient to ask for a retry."""
        chain = await self._resolver.follow(url)
        if isinstance(chain, OnlineResult):
            return chain
        return await self._judge(url, chain)

    async def _judge(self, url: str, chain: Chain) -> OnlineResult:
        soft_404 = None
        if needs_soft_404_check(chain.final, chain.facts):
            soft_404 = await self._soft_404.evidence(url, chain.hops, chain.final.url, chain.facts, chain.final)
        return judge_final(url, chain.hops, chain.final, chain.facts, clean=self.cleaner.clean, soft_404=soft_404)


def _strings(urls: Iterable[str]) -> Iterator[str]:
    """``urls``, refusing anything that is not a str the way :meth:`AsyncLinkChecker.check` does."""
    for url in urls:
        if not isinstance(url, str):
            raise TypeError(f"check_many() takes URLs as str, not {type(url).__name__}")
        yield url
