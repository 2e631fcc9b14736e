"""Politeness per host: how many requests run, when the next may start, which URL goes next.

Every request of a checker passes one :class:`HostGate`: a global limit, a per-host limit,
optional per-host spacing, and the pauses a ``Retry-After`` asks for. :func:`round_robin`
decides the order URLs are started in, so one big host does not hold the others up.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from ..core.urls import split_url
from .options import NetworkOptions

__all__ = ["HostGate", "host_key", "round_robin"]

_T = TypeVar("_T")


def host_key(url: str) -> str:
    """The host a URL's requests count against: its origin (scheme, name and port)."""
    parts = split_url(url.strip())
    return parts.origin() if parts is not None else url


@dataclass(slots=True)
class _Host:
    """Politeness state of one host: how many requests run, when the next may start."""

    semaphore: asyncio.Semaphore
    next_start: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class HostGate:
    """The limits, spacing and Retry-After pauses that every request of one checker obeys."""

    def __init__(self, options: NetworkOptions, sleep: Callable[[float], Awaitable[None]]) -> None:
        self._concurrency = options.concurrency
        self._host_concurrency = options.host_concurrency
        self._interval = options.host_interval
        self._retry_after_cap = options.retry_after_cap
        self._sleep = sleep
        # Made on first use, inside the loop that runs the checks.
        self._global: asyncio.Semaphore | None = None
        self._hosts: dict[str, _Host] = {}

    @asynccontextmanager
    async def turn(self, url: str) -> AsyncIterator[None]:
        """Hold a request slot for ``url``'s host: within both limits, after spacing and pauses."""
        host = self._host(host_key(url))
        if self._global is None:
            self._global = asyncio.Semaphore(self._concurrency)
        async with self._global, host.semaphore:
            await self._wait_turn(host)
            yield

    def pause(self, url: str, seconds: float) -> None:
        """Honour a Retry-After: no request to ``url``'s host starts for ``seconds`` (capped)."""
        host = self._host(host_key(url))
        host.next_start = max(host.next_start, time.monotonic() + min(seconds, self._retry_after_cap))

    async def _wait_turn(self, host: _Host) -> None:
        """Honour per-host spacing and Retry-After before a request starts."""
        async with host.lock:
            delay = host.next_start - time.monotonic()
            if delay > 0:
                await self._sleep(delay)
            host.next_start = max(host.next_start, time.monotonic() + self._interval)

    def _host(self, key: str) -> _Host:
        host = self._hosts.get(key)
        if host is None:
            host = self._hosts[key] = _Host(semaphore=asyncio.Semaphore(self._host_concurrency))
        return host


async def round_robin(
    urls: Iterable[str],
    run: Callable[[str], Awaitable[_T]],
    *,
    concurrency: int,
    host_concurrency: int,
) -> AsyncIterator[list[_T]]:
    """Run ``run(url)`` for every URL; yield the results of each batch that completes together.

    Reads ``urls`` lazily, a bounded window ahead, and starts them round-robin over hosts: at
    most ``concurrency`` at once, and no new one for a host that already has
    ``host_concurrency`` running. The caller sees each batch before the next URLs start.
    """
    source = iter(urls)
    # URLs read ahead: enough to find other hosts' URLs when the input is grouped by host.
    window = max(concurrency * 64, 2048)
    queues: dict[str, deque[str]] = {}
    order: deque[str] = deque()
    running: set[asyncio.Task[_T]] = set()
    active: dict[str, int] = {}
    exhausted = False
    buffered = 0

    async def started(url: str, key: str) -> _T:
        active[key] = active.get(key, 0) + 1
        try:
            return await run(url)
        finally:
            active[key] -= 1

    def refill() -> None:
        nonlocal exhausted, buffered
        while not exhausted and buffered < window:
            try:
                url = next(source)
            except StopIteration:
                exhausted = True
                return
            key = host_key(url)
            if key not in queues:
                queues[key] = deque()
                order.append(key)
            queues[key].append(url)
            buffered += 1

    def start() -> None:
        nonlocal buffered
        progressed = True
        while progressed and len(running) < concurrency:
            progressed = False
            for _ in range(len(order)):
                key = order[0]
                order.rotate(-1)
                queue = queues.get(key)
                if not queue or active.get(key, 0) >= host_concurrency:
                    continue
                url = queue.popleft()
                buffered -= 1
                if not queue:
                    del queues[key]
                    order.remove(key)
                running.add(asyncio.ensure_future(started(url, key)))
                progressed = True
                if len(running) >= concurrency:
                    return

    refill()
    start()
    while running:
        done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        running.difference_update(done)
        yield [task.result() for task in done]
        refill()
        start()
