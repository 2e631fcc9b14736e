"""One polite pace per archive endpoint, shared by everything in the process.

Archives block clients that hammer them. Each endpoint (CDX, availability, TimeMaps, saves)
gets a :class:`RateLimiter` from :func:`limiter_for`: requests start at most ``per_minute``
a minute, evenly spaced, and a 429/503 pushes the next start past its Retry-After.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

__all__ = ["DEFAULT_RETRY_AFTER", "RateLimiter", "limiter_for", "reset_limiters"]

#: Seconds to wait after a 429/503 that names no Retry-After.
DEFAULT_RETRY_AFTER = 60.0


class RateLimiter:
    """Evenly spaced request starts, plus an embargo after the endpoint asked us to wait.

    ``clock`` and ``sleep`` are injectable so tests run in no time.
    """

    def __init__(
        self,
        per_minute: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.interval = 60.0 / per_minute
        self._clock = clock
        self._sleep = sleep or asyncio.sleep
        self._next = 0.0
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    @property
    def next_start(self) -> float:
        """When the next request may start, on this limiter's clock."""
        return self._next

    async def wait(self) -> None:
        """Wait for this caller's turn; turns are handed out in order, one interval apart."""
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            # The limiter is process-wide but an asyncio lock belongs to one event loop: a
            # program (or the sync facades) may run several loops one after another.
            self._lock, self._lock_loop = asyncio.Lock(), loop
        async with self._lock:
            delay = self._next - self._clock()
            if delay > 0:
                await self._sleep(delay)
            self._next = max(self._next, self._clock()) + self.interval

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self.wait()
        yield

    def defer(self, seconds: float | None) -> None:
        """The endpoint said "come back later": nothing starts before then."""
        wait = DEFAULT_RETRY_AFTER if seconds is None else max(0.0, seconds)
        self._next = max(self._next, self._clock() + wait)


_LIMITERS: dict[str, RateLimiter] = {}


def limiter_for(endpoint: str, per_minute: float) -> RateLimiter:
    """The process-wide limiter of ``endpoint`` (created on first use with ``per_minute``)."""
    limiter = _LIMITERS.get(endpoint)
    if limiter is None:
        limiter = _LIMITERS[endpoint] = RateLimiter(per_minute)
    return limiter


def reset_limiters() -> None:
    """Forget every limiter (tests; a long-lived service changing its configuration)."""
    _LIMITERS.clear()
