"""Checking links over the network: resolve, judge with evidence, politely and fast.

The flow for one URL: follow redirects by hand (HEAD first, GET when HEAD is not a clean 2xx
or the page must be read), treat a short meta refresh as a redirect, then judge the final
answer. ``broken`` needs strong evidence (404, 410, NXDOMAIN while DNS demonstrably works,
loops, soft 404s); bot walls and rate limits are ``blocked``; network trouble is
``unreachable``. Every request goes through one connection pool, a global and a per-host
limit, optional per-host spacing and Retry-After, and an address policy that refuses
private networks on every hop.
"""

from __future__ import annotations

import asyncio
import functools
import random
import secrets
import ssl
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import httpx

from .._version import __version__
from ..clean.cleaner import Cleaner
from ..core.evidence import Hop, OnlineResult
from ..core.results import Reason, Verdict
from ..core.sync import LoopThread
from ..core.urls import split_url
from ..net.exchange import DEFAULT_MAX_BODY, Exchange, exchange, retry_after_seconds
from ..net.guard import (
    AddressPolicy,
    AddressRefused,
    NameNotFound,
    NameNotResolved,
    check_url_host,
    safe_transport,
)
from .pages import PageFacts, looks_like_challenge, looks_not_found, read_page

if TYPE_CHECKING:
    pass

__all__ = [
    "DEFAULT_USER_AGENT",
    "AsyncLinkChecker",
    "Hop",
    "LinkChecker",
    "NetworkOptions",
    "OnlineResult",
]

DEFAULT_USER_AGENT = f"citecheck/{__version__} (+https://pypi.org/project/citecheck/; link checker for citations)"

#: Finished answers kept for reuse within one checker (the same URL is not checked twice).
_MAX_REMEMBERED = 20_000


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkOptions:
    """Every knob of the network stage, with the defaults the CLI and the service share."""

    #: Total seconds for one attempt at one URL, redirects and body included.
    timeout: float = 20.0
    #: Requests in flight at once, over all hosts.
    concurrency: int = 32
    #: Requests in flight at once to one host (scheme, name and port).
    host_concurrency: int = 4
    #: Minimum seconds between two request starts to one host (0: no spacing).
    host_interval: float = 0.0
    #: Extra attempts after a transient failure (timeouts, connection errors, 5xx, 429).
    retries: int = 2
    #: First backoff in seconds; doubles per attempt, with jitter.
    backoff: float = 0.5
    #: Longest Retry-After honoured, in seconds; a longer one ends the attempts (rate_limited).
    retry_after_cap: float = 30.0
    max_redirects: int = 10
    #: A meta refresh with at most this delay is followed like a redirect.
    meta_refresh_max_delay: float = 5.0
    max_body: int = DEFAULT_MAX_BODY
    user_agent: str = DEFAULT_USER_AGENT
    #: Probe each host once with a random path to recognise its "not found" page (soft 404s).
    probe_soft_404: bool = True
    allow_private: bool = False
    allow_networks: tuple[str, ...] = ()

    def policy(self) -> AddressPolicy:
        return AddressPolicy.from_strings(allow_private=self.allow_private, allow_networks=self.allow_networks)


class _Transient(Exception):
    """An attempt that may succeed if repeated; carries the result to report if not."""

    def __init__(self, result: OnlineResult, wait: float | None = None) -> None:
        super().__init__(result.reason)
        self.result = result
        self.wait = wait


@dataclass(slots=True)
class _Host:
    """Politeness state of one host: how many requests run, when the next may start."""

    semaphore: asyncio.Semaphore
    next_start: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    probe: asyncio.Task[PageFacts | str | None] | None = None


class AsyncLinkChecker:
    """Check URLs over the network. Use as ``async with AsyncLinkChecker() as checker:``.

    The same URL is checked once per checker, however often it is asked for. Pass ``client``
    (an ``httpx.AsyncClient`` you own) or ``transport`` to plug in your own stack; by default
    the client uses a transport that refuses private addresses on every connection.
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
    ) -> None:
        self.options = options or NetworkOptions()
        #: Keep finished answers for reuse (a long-running service relies on its store instead).
        self._remember = remember
        self.policy = self.options.policy()
        self.cleaner = cleaner or Cleaner()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._sleep = sleep or asyncio.sleep
        self._own_client = client is None
        if client is None:
            # Our semaphores bound requests in flight; the pool may keep more idle connections
            # open so that many hosts each keep theirs (a new TCP handshake per request is slow).
            pool = self.options.concurrency * 8
            limits = httpx.Limits(max_connections=pool, max_keepalive_connections=pool)
            client = httpx.AsyncClient(
                transport=transport or safe_transport(self.policy, limits=limits),
                headers={"User-Agent": self.options.user_agent, "Accept": "*/*"},
                timeout=httpx.Timeout(self.options.timeout),
                trust_env=False,
            )
        self.client = client
        self._global: asyncio.Semaphore | None = None
        self._hosts: dict[str, _Host] = {}
        #: Checks in flight, by URL (so concurrent askers share one check)...
        self._results: dict[str, asyncio.Task[OnlineResult]] = {}
        #: ...and the answers of finished ones, bounded so memory stays flat on huge runs.
        self._done: OrderedDict[str, OnlineResult] = OrderedDict()
        #: Whether any name resolved in this run: NXDOMAIN is only trusted once DNS has worked.
        self.dns_works = False
        self.failures_by_reason: dict[str, int] = {}
        self.hosts_seen: set[str] = set()
        #: Whether any host gave any HTTP answer in this run.
        self.hosts_answered = False

    async def __aenter__(self) -> AsyncLinkChecker:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for task in self._results.values():
            if not task.done():
                task.cancel()
        for host in self._hosts.values():
            if host.probe is not None and not host.probe.done():
                host.probe.cancel()
        if self._own_client:
            await self.client.aclose()

    # -- public ----------------------------------------------------------------------------------

    async def check(self, url: str) -> OnlineResult:
        """The verdict on ``url`` (checked once per checker; later calls share the answer)."""
        result = self._done.get(url)
        if result is None:
            task = self._results.get(url)
            if task is None:
                task = self._results[url] = asyncio.ensure_future(self._check(url))
                task.add_done_callback(functools.partial(self._finish, url))
            result = await asyncio.shield(task)
        if result.reason is Reason.DNS_NXDOMAIN and not self.dns_works:
            return _offline(result)
        return result

    def _finish(self, url: str, task: asyncio.Task[OnlineResult]) -> None:
        """Move a finished check from the in-flight table to the bounded table of answers."""
        self._results.pop(url, None)
        if task.cancelled() or task.exception() is not None or not self._remember:
            return
        self._done[url] = task.result()
        if len(self._done) > _MAX_REMEMBERED:
            self._done.popitem(last=False)

    async def check_many(self, urls: Iterable[str]) -> AsyncIterator[OnlineResult]:
        """Results as they complete. Reads ``urls`` lazily and keeps a bounded window in flight.

        URLs are started round-robin over hosts so one big host does not hold the others up.
        NXDOMAIN answers are held back until DNS is seen to work for another name; if it never
        does (the machine is offline), they come out as ``unreachable``/``offline``.
        """
        source = iter(urls)
        # URLs read ahead: enough to find other hosts' URLs when the input is grouped by host.
        window = max(self.options.concurrency * 64, 2048)
        queues: dict[str, deque[str]] = {}
        order: deque[str] = deque()
        running: set[asyncio.Task[OnlineResult]] = set()
        active: dict[str, int] = {}
        held: list[OnlineResult] = []
        exhausted = False
        buffered = 0

        def refill() -> None:
            nonlocal exhausted, buffered
            while not exhausted and buffered < window:
                try:
                    url = next(source)
                except StopIteration:
                    exhausted = True
                    return
                key = _host_key(url)
                if key not in queues:
                    queues[key] = deque()
                    order.append(key)
                queues[key].append(url)
                buffered += 1

        def start() -> None:
            nonlocal buffered
            progressed = True
            while progressed and len(running) < self.options.concurrency:
                progressed = False
                for _ in range(len(order)):
                    key = order[0]
                    order.rotate(-1)
                    queue = queues.get(key)
                    if not queue or active.get(key, 0) >= self.options.host_concurrency:
                        continue
                    url = queue.popleft()
                    buffered -= 1
                    if not queue:
                        del queues[key]
                        order.remove(key)
                    task = asyncio.ensure_future(self._start(url, key, active))
                    running.add(task)
                    progressed = True
                    if len(running) >= self.options.concurrency:
                        return

        refill()
        start()
        while running:
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                running.discard(task)
                result = task.result()
                if result.reason is Reason.DNS_NXDOMAIN and not self.dns_works:
                    held.append(result)
                    continue
                yield result
            if held and self.dns_works:
                for result in held:
                    yield result
                held.clear()
            refill()
            start()
        for result in held:
            yield result if self.dns_works else _offline(result)

    def offline_notice(self) -> str | None:
        """A plain sentence when every host failed at the network level (nothing was called dead)."""
        if len(self.hosts_seen) < 2 or self.hosts_answered:
            return None
        if not self.dns_works:
            return (
                f"No host could be reached ({len(self.hosts_seen)} hosts tried; DNS resolved none): "
                "this machine looks offline, so no link was called dead."
            )
        reasons = ", ".join(sorted(k for k in self.failures_by_reason if k != "None"))
        return (
            f"No host answered ({len(self.hosts_seen)} hosts tried; {reasons}): the network looks down "
            "or filtered from here; these links may well be fine."
        )

    async def _start(self, url: str, key: str, active: dict[str, int]) -> OnlineResult:
        active[key] = active.get(key, 0) + 1
        try:
            return await self.check(url)
        finally:
            active[key] -= 1

    async def _check(self, url: str) -> OnlineResult:
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
        self.hosts_seen.add(parts.origin())
        attempts = 0
        result: OnlineResult | None = None
        while True:
            attempts += 1
            try:
                async with asyncio.timeout(self.options.timeout):
                    result = await self._resolve(url)
                break
            except _Transient as transient:
                result = transient.result
                wait = transient.wait
            except TimeoutError:
                result = OnlineResult(url=url, verdict=Verdict.UNREACHABLE, reason=Reason.TIMEOUT)
                wait = None
            if attempts > self.options.retries:
                break
            if wait is None:
                wait = self.options.backoff * (2 ** (attempts - 1)) * (0.5 + random.random())
            elif wait > self.options.retry_after_cap:
                break
            await self._sleep(wait)
        self.failures_by_reason[str(result.reason)] = self.failures_by_reason.get(str(result.reason), 0) + 1
        return replace(result, attempts=attempts, elapsed=time.monotonic() - started, checked_at=checked_at)

    async def _resolve(self, url: str) -> OnlineResult:
        """One attempt: follow the chain, then judge its end. Raises _Transient to ask for a retry."""
        hops: list[Hop] = []
        seen: set[str] = set()
        current = url
        facts: PageFacts | None = None
        final: Exchange | None = None
        for _ in range(self.options.max_redirects + 1):
            if current in seen:
                return self._judged(url, hops, None, None, Verdict.BROKEN, Reason.REDIRECT_LOOP)
            seen.add(current)
            answer = await self._fetch(current)
            if isinstance(answer, OnlineResult):
                return replace(answer, redirects=tuple(hops), final_url=current)
            location = answer.location
            if 300 <= answer.status < 400 and location:
                target = urljoin(current, location.strip())
                refused = self._hop(url, hops, answer, target, "http")
                if refused is not None:
                    return refused
                current = target
                continue
            facts = self._facts(answer)
            if facts is not None and facts.refresh is not None and answer.status < 300:
                delay, target = facts.refresh
                if delay <= self.options.meta_refresh_max_delay and target != current:
                    refused = self._hop(url, hops, answer, target, "meta-refresh")
                    if refused is not None:
                        return refused
                    current = target
                    continue
            final = answer
            break
        else:
            return self._judged(url, hops, None, None, Verdict.BROKEN, Reason.TOO_MANY_REDIRECTS)
        assert final is not None
        return await self._judge_final(url, hops, final, facts)

    def _hop(self, url: str, hops: list[Hop], answer: Exchange, target: str, kind: str) -> OnlineResult | None:
        """Record a step of the chain; a result if the target must not be followed."""
        cleaned = self.cleaner.clean(target)
        hops.append(
            Hop(url=answer.url, status=answer.status, method=answer.method, location=target, kind=kind, cleaned=cleaned)
        )
        return self._refuse_target(url, target, hops)

    def _refuse_target(self, url: str, target: str, hops: list[Hop]) -> OnlineResult | None:
        if split_url(target) is None:
            scheme = target.split(":", 1)[0].lower()
            reason = Reason.INVALID_URL if scheme in ("http", "https") else Reason.UNSUPPORTED_SCHEME
            return self._judged(url, hops, None, target, Verdict.SKIPPED, reason)
        refusal = check_url_host(target, self.policy)
        if refusal is not None:
            return replace(
                self._judged(url, hops, None, target, Verdict.SKIPPED, Reason.PRIVATE_ADDRESS),
                detail=f"redirects to a {refusal} address: {target}",
            )
        return None

    async def _fetch(self, url: str) -> Exchange | OnlineResult:
        """HEAD, then GET unless HEAD gave a redirect or a 2xx that needs no reading."""
        head = await self._request("HEAD", url)
        if isinstance(head, OnlineResult):
            return head
        if 300 <= head.status < 400 and head.location:
            return head
        if 200 <= head.status < 300 and head.content_type and not _needs_body(head.content_type):
            return head
        return await self._request("GET", url)

    async def _request(self, method: str, url: str) -> Exchange | OnlineResult:
        key = _host_key(url)
        host = self._host(key)
        global_limit = self._global_semaphore()
        async with global_limit, host.semaphore:
            await self._wait_turn(host)
            try:
                answer = await exchange(self.client, method, url, max_body=self.options.max_body)
            except AddressRefused as exc:
                return OnlineResult(
                    url=url, verdict=Verdict.SKIPPED, reason=Reason.PRIVATE_ADDRESS, detail=f"{exc.reason}: {exc}"
                )
            except NameNotFound as exc:
                return OnlineResult(url=url, verdict=Verdict.BROKEN, reason=Reason.DNS_NXDOMAIN, detail=str(exc))
            except NameNotResolved as exc:
                raise _Transient(
                    OnlineResult(url=url, verdict=Verdict.UNREACHABLE, reason=Reason.DNS_ERROR, detail=str(exc))
                ) from exc
            except httpx.TimeoutException as exc:
                raise _Transient(
                    OnlineResult(url=url, verdict=Verdict.UNREACHABLE, reason=Reason.TIMEOUT, detail=str(exc) or None)
                ) from exc
            except httpx.ConnectError as exc:
                self.dns_works = True  # the name resolved (or was an address); the connection failed
                reason = Reason.TLS_ERROR if _is_tls_error(exc) else Reason.CONNECTION_ERROR
                raise _Transient(
                    OnlineResult(url=url, verdict=Verdict.UNREACHABLE, reason=reason, detail=str(exc) or None)
                ) from exc
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.DecodingError) as exc:
                self.dns_works = True
                raise _Transient(
                    OnlineResult(url=url, verdict=Verdict.UNREACHABLE, reason=Reason.PROTOCOL_ERROR, detail=str(exc))
                ) from exc
            except httpx.UnsupportedProtocol:
                return OnlineResult(url=url, verdict=Verdict.SKIPPED, reason=Reason.UNSUPPORTED_SCHEME)
        self.dns_works = True
        self.hosts_answered = True
        if answer.status in (429, 503) or (500 <= answer.status < 600 and method == "GET"):
            wait = retry_after_seconds(answer.headers.get("retry-after"))
            if wait is not None:
                host.next_start = max(host.next_start, time.monotonic() + min(wait, self.options.retry_after_cap))
            reason = Reason.RATE_LIMITED if answer.status == 429 else Reason.HTTP_5XX
            verdict = Verdict.BLOCKED if answer.status == 429 else Verdict.UNREACHABLE
            raise _Transient(
                OnlineResult(
                    url=url,
                    verdict=verdict,
                    reason=reason,
                    http_status=answer.status,
                    detail=f"Retry-After: {answer.headers['retry-after']}" if "retry-after" in answer.headers else None,
                ),
                wait=wait,
            )
        return answer

    async def _wait_turn(self, host: _Host) -> None:
        """Honour per-host spacing and Retry-After before a request starts."""
        async with host.lock:
            delay = host.next_start - time.monotonic()
            if delay > 0:
                await self._sleep(delay)
            host.next_start = max(host.next_start, time.monotonic() + self.options.host_interval)

    def _facts(self, answer: Exchange) -> PageFacts | None:
        if answer.method != "GET" or not answer.body or not answer.is_html:
            return None
        return read_page(answer.text(), answer.url)

    async def _judge_final(self, url: str, hops: list[Hop], final: Exchange, facts: PageFacts | None) -> OnlineResult:
        status = final.status
        end = final.url
        challenge = "cf-mitigated" in final.headers or (facts is not None and looks_like_challenge(facts))
        base = {"http_status": status, "content_type": final.content_type or None}
        if challenge and status in (200, 401, 403, 429, 503):
            return self._judged(url, hops, facts, end, Verdict.BLOCKED, Reason.BOT_CHALLENGE, **base)
        if 200 <= status < 300:
            soft = await self._soft_404(url, hops, end, facts)
            if soft is not None:
                return replace(
                    self._judged(url, hops, facts, end, Verdict.BROKEN, Reason.SOFT_404, **base), detail=soft
                )
            if hops:
                permanent = all(hop.status in (301, 308) for hop in hops)
                reason = Reason.PERMANENT_REDIRECT if permanent else Reason.TEMPORARY_REDIRECT
                result = self._judged(url, hops, facts, end, Verdict.REDIRECTED, reason, **base)
                if permanent:
                    suggested = self.cleaner.clean(end)
                    result = replace(result, suggested=suggested if suggested != url else None)
                return result
            return self._judged(url, hops, facts, end, Verdict.OK, None, **base)
        if status == 404:
            return self._judged(url, hops, facts, end, Verdict.BROKEN, Reason.HTTP_404, **base)
        if status == 410:
            return self._judged(url, hops, facts, end, Verdict.BROKEN, Reason.HTTP_410, **base)
        blocked = {401: Reason.HTTP_401, 403: Reason.HTTP_403, 451: Reason.HTTP_451, 999: Reason.HTTP_999}
        if status in blocked:
            return self._judged(url, hops, facts, end, Verdict.BLOCKED, blocked[status], **base)
        if 400 <= status < 500:
            return self._judged(url, hops, facts, end, Verdict.BLOCKED, Reason.HTTP_4XX, **base)
        if status >= 500:
            return self._judged(url, hops, facts, end, Verdict.UNREACHABLE, Reason.HTTP_5XX, **base)
        # 1xx or a 3xx without Location: an answer we cannot follow.
        return self._judged(url, hops, facts, end, Verdict.UNREACHABLE, Reason.PROTOCOL_ERROR, **base)

    def _judged(
        self,
        url: str,
        hops: list[Hop],
        facts: PageFacts | None,
        final_url: str | None,
        verdict: Verdict,
        reason: Reason | None,
        **evidence: Any,
    ) -> OnlineResult:
        return OnlineResult(
            url=url,
            verdict=verdict,
            reason=reason,
            final_url=final_url,
            redirects=tuple(hops),
            canonical=facts.canonical if facts else None,
            **evidence,
        )

    # -- soft 404s -------------------------------------------------------------------------------

    async def _soft_404(self, url: str, hops: list[Hop], end: str, facts: PageFacts | None) -> str | None:
        """Why a 2xx answer is really a "not found" page, or None."""
        if facts is not None and looks_not_found(facts):
            return f"the page says so: {facts.title or facts.heading!r}"
        start, finish = split_url(url), split_url(end)
        if hops and start is not None and finish is not None:
            to_root = finish.path in ("/", "/index.html", "/index.php", "/home") and not finish.query
            if start.path not in ("/", "") and to_root:
                return f"redirects to the site root: {end}"
            lowered = end.lower()
            if any(marker in lowered for marker in ("/404", "404.htm", "not-found", "notfound", "page-not-found")):
                return f"redirects to an error page: {end}"
        if not self.options.probe_soft_404 or start is None or (facts is None and not hops):
            # A direct non-HTML answer (a PDF, an image) is the document itself.
            return None
        probe = await self._probe(start.origin())
        if probe is None:
            return None
        if isinstance(probe, str):
            return f"lands where a made-up path on this site lands: {end}" if hops and probe == end else None
        if facts is not None and facts.fingerprint == probe.fingerprint:
            return "looks like this site's page for a made-up path"
        return None

    async def _probe(self, origin: str) -> PageFacts | str | None:
        """What the host answers for a path that cannot exist: its facts, its redirect end, or None."""
        host = self._host(_host_key(origin + "/"))
        if host.probe is None:
            host.probe = asyncio.ensure_future(self._run_probe(origin))
        try:
            return await asyncio.shield(host.probe)
        except Exception:  # a failed probe only means no evidence
            return None

    async def _run_probe(self, origin: str) -> PageFacts | str | None:
        current = f"{origin}/{secrets.token_hex(12)}-citecheck-probe"
        redirected = False
        for _ in range(5):
            answer = await self._request("GET", current)
            if isinstance(answer, OnlineResult):
                return None
            if 300 <= answer.status < 400 and answer.location:
                current = urljoin(current, answer.location.strip())
                if check_url_host(current, self.policy) is not None:
                    return None
                redirected = True
                continue
            if not 200 <= answer.status < 300:
                return None
            if redirected:
                return current
            return self._facts(answer)
        return None

    # -- plumbing --------------------------------------------------------------------------------

    def _host(self, key: str) -> _Host:
        host = self._hosts.get(key)
        if host is None:
            host = self._hosts[key] = _Host(semaphore=asyncio.Semaphore(self.options.host_concurrency))
        return host

    def _global_semaphore(self) -> asyncio.Semaphore:
        if self._global is None:
            self._global = asyncio.Semaphore(self.options.concurrency)
        return self._global


def _host_key(url: str) -> str:
    parts = split_url(url.strip())
    return parts.origin() if parts is not None else url


def _needs_body(content_type: str) -> bool:
    """Pages we read to judge (soft 404s, meta refresh, canonical)."""
    return content_type in ("text/html", "application/xhtml+xml")


def _is_tls_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError) or "SSL" in type(current).__name__ or "CERTIFICATE" in str(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _offline(result: OnlineResult) -> OnlineResult:
    return replace(
        result,
        verdict=Verdict.UNREACHABLE,
        reason=Reason.OFFLINE,
        detail="the name did not resolve, but no other name did either: DNS looks unavailable",
    )


class LinkChecker:
    """The synchronous face of :class:`AsyncLinkChecker`, usable inside a running event loop too.

    It runs its own event loop in a background thread, so it works from plain scripts, from
    Jupyter and from async frameworks alike. Close it (or use ``with``) to stop the thread.
    """

    def __init__(self, options: NetworkOptions | None = None, **kwargs: Any) -> None:
        self._thread = LoopThread("citecheck-net")

        async def make() -> AsyncLinkChecker:
            return AsyncLinkChecker(options, **kwargs)

        self._checker = self._thread.run(make())
        self._run = self._thread.run

    def check(self, url: str) -> OnlineResult:
        return self._run(self._checker.check(url))

    def check_many(self, urls: Iterable[str]) -> Iterator[OnlineResult]:
        """Results in completion order (the whole batch runs concurrently)."""

        async def collect() -> list[OnlineResult]:
            return [result async for result in self._checker.check_many(urls)]

        yield from self._run(collect())

    def offline_notice(self) -> str | None:
        return self._checker.offline_notice()

    def close(self) -> None:
        self._thread.close(self._checker.aclose())

    def __enter__(self) -> LinkChecker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
