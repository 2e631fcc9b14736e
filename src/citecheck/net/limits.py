"""One polite pace per endpoint, shared by everything in the process unless a caller says otherwise.

Archives block clients that hammer them. Each endpoint (CDX, availability, TimeMaps, saves)
gets a :class:`RateLimiter` from a :class:`Limiters` registry: requests start at most
``per_minute`` a minute, evenly spaced, and a 429/503 pushes the next start past its
Retry-After. The process has one registry (:data:`SHARED_LIMITERS`, behind
:func:`limiter_for`), so two clients never double an archive's load; tests hand clients their
own registry (``limiters=Limiters(clock=..., sleep=...)``) instead of patching this module.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager

__all__ = [
    "DEFAULT_RETRY_AFTER",
    "SHARED_LIMITERS",
    "LimiterFactory",
    "Limiters",
    "RateLimiter",
    "Sleep",
    "limiter_for",
    "reset_limiters",
]

#: Seconds to wait after a 429/503 that names no Retry-After.
DEFAULT_RETRY_AFTER = 60.0

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class RateLimiter:
    """Evenly spaced request starts, plus an embargo after the endpoint asked us to wait.

    ``clock`` and ``sleep`` are injectable so tests run in no time.
    """

    def __init__(self, per_minute: float, *, clock: Clock = time.monotonic, sleep: Sleep | None = None) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.interval = 60.0 / per_minute
        self._clock = clock
        self._sleep = sleep or asyncio.sleep
        self._next = 0.0
        #: Nothing starts before this (the endpoint's Retry-After), whatever turn was handed out.
        self._embargo = 0.0
        # A thread lock, not an asyncio one: the process-wide limiters are shared by sessions
        # running their own event loops in their own threads. It is never held across an await.
        self._lock = threading.Lock()

    @property
    def next_start(self) -> float:
        """When the next request may start, on this limiter's clock."""
        return self._next

    async def wait(self) -> None:
        """Wait for this caller's turn; turns are handed out in order, one interval apart.

        A turn is reserved at once and slept towards; if the endpoint asked everyone to wait
        (:meth:`defer`) meanwhile, the caller queues again behind that embargo.
        """
        while True:
            with self._lock:
                now = self._clock()
                start = max(self._next, self._embargo, now)
                self._next = start + self.interval
            if start > now:
                await self._sleep(start - now)
            if self._embargo <= start:
                return

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self.wait()
        yield

    def defer(self, seconds: float | None) -> None:
        """The endpoint said "come back later": nothing starts before then."""
        wait = DEFAULT_RETRY_AFTER if seconds is None else max(0.0, seconds)
        with self._lock:
            until = self._clock() + wait
            self._embargo = max(self._embargo, until)
            self._next = max(self._next, until)


#: What clients take as ``limiters=``: ``(endpoint, per_minute) -> RateLimiter``, e.g. a :class:`Limiters`.
LimiterFactory = Callable[[str, float], RateLimiter]


class Limiters:
    """Limiters by endpoint name, each made on first use; call it as ``limiters(endpoint, per_minute)``.

    The first caller's ``per_minute`` sets an endpoint's pace, unless ``pace`` names the
    endpoint: then that pace wins (tests make slow endpoints fast this way). ``clock`` and
    ``sleep`` are given to every limiter made, so tests can run them on a fake clock.
    """

    def __init__(
        self, *, pace: Mapping[str, float] | None = None, clock: Clock = time.monotonic, sleep: Sleep | None = None
    ) -> None:
        self._pace = dict(pace or {})
        self._clock = clock
        self._sleep = sleep
        self._limiters: dict[str, RateLimiter] = {}

    def __call__(self, endpoint: str, per_minute: float) -> RateLimiter:
        limiter = self._limiters.get(endpoint)
        if limiter is None:
            pace = self._pace.get(endpoint, per_minute)
            limiter = self._limiters[endpoint] = RateLimiter(pace, clock=self._clock, sleep=self._sleep)
        return limiter

    def __getitem__(self, endpoint: str) -> RateLimiter:
        """The limiter already made for ``endpoint`` (KeyError if none was)."""
        return self._limiters[endpoint]

    def __contains__(self, endpoint: object) -> bool:
        return endpoint in self._limiters

    def clear(self) -> None:
        """Forget every limiter made (a long-lived service changing its configuration)."""
        self._limiters.clear()


#: The process-wide registry every client uses unless it is given another.
SHARED_LIMITERS = Limiters()


def limiter_for(endpoint: str, per_minute: float) -> RateLimiter:
    """The process-wide limiter of ``endpoint`` (created on first use with ``per_minute``)."""
    return SHARED_LIMITERS(endpoint, per_minute)


def reset_limiters() -> None:
    """Forget every process-wide limiter (tests of the CLI and service; configuration changes)."""
    SHARED_LIMITERS.clear()
