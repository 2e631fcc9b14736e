"""Politeness per host: how many requests run at once, and when the next one may start.

Every request of a link checker passes one :class:`HostGate`: a global limit, a per-host limit
(which binds first: one host never takes every slot), optional per-host spacing, and the pauses
a ``Retry-After`` asks for. A host is an origin: scheme, name and port.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from ..core.urls import split_url

__all__ = ["HostGate", "host_key"]


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
    #: Requests holding or waiting for a slot: a host with none, and no pause ahead, is forgettable.
    users: int = 0


#: Hosts remembered before idle ones are forgotten (a run over many hosts keeps memory flat).
_SWEEP_AT = 4096


class HostGate:
    """The limits, spacing and Retry-After pauses that every request of one client obeys."""

    def __init__(
        self,
        *,
        concurrency: int,
        host_concurrency: int,
        interval: float = 0.0,
        retry_after_cap: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._concurrency = concurrency
        self._host_concurrency = host_concurrency
        self._interval = interval
        self._retry_after_cap = retry_after_cap
        self._sleep = sleep
        # Made on first use, inside the loop that runs the checks.
        self._global: asyncio.Semaphore | None = None
        self._hosts: dict[str, _Host] = {}
        self._sweep_at = _SWEEP_AT

    @asynccontextmanager
    async def turn(self, url: str) -> AsyncIterator[None]:
        """Hold a request slot for ``url``'s host: within both limits, after spacing and pauses."""
        host = self._host(host_key(url))
        if self._global is None:
            self._global = asyncio.Semaphore(self._concurrency)
        host.users += 1
        try:
            async with self._global, host.semaphore:
                await self._wait_turn(host)
                yield
        finally:
            host.users -= 1

    def pause(self, url: str, seconds: float) -> None:
        """Honour a Retry-After: no request to ``url``'s host starts for ``seconds`` (capped)."""
        host = self._host(host_key(url))
        host.next_start = max(host.next_start, time.monotonic() + min(seconds, self._retry_after_cap))

    async def _wait_turn(self, host: _Host) -> None:
        """Honour per-host spacing and Retry-After before a request starts."""
        if not self._interval and host.next_start <= time.monotonic():
            return  # no spacing and no pause: nothing to wait for, nothing to update
        async with host.lock:
            delay = host.next_start - time.monotonic()
            if delay > 0:
                await self._sleep(delay)
            host.next_start = max(host.next_start, time.monotonic() + self._interval)

    def _host(self, key: str) -> _Host:
        host = self._hosts.get(key)
        if host is None:
            if len(self._hosts) >= self._sweep_at:
                self._forget_idle()
            host = self._hosts[key] = _Host(semaphore=asyncio.Semaphore(self._host_concurrency))
        return host

    def _forget_idle(self) -> None:
        """Drop hosts nobody is using and no pause or spacing applies to; O(1) per host, amortised."""
        now = time.monotonic()
        idle = [key for key, host in self._hosts.items() if not host.users and host.next_start <= now]
        for key in idle:
            del self._hosts[key]
        self._sweep_at = max(_SWEEP_AT, 2 * len(self._hosts))

    def __len__(self) -> int:
        """Hosts remembered now (for tests and figures)."""
        return len(self._hosts)
