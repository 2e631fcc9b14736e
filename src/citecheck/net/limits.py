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
from collections import deque
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
        # The callers waiting, in order; the first one has the turn. Each is woken on its own
        # event loop: the process-wide limiters are shared by sessions running their own loops in
        # their own threads, so the state is guarded by a thread lock, never held across an await.
        self._queue: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()
        self._lock = threading.Lock()

    @property
    def next_start(self) -> float:
        """When the next request may start, on this limiter's clock."""
        return self._next

    async def wait(self) -> None:
        """Wait for this caller's turn; turns are handed out in order, one interval apart.

        The caller at the head of the queue sleeps until the next start is due, then hands the
        turn on: the spacing counts from when a request really started, even if it woke late.
        """
        loop = asyncio.get_running_loop()
        mine: asyncio.Future[None] = loop.create_future()
        with self._lock:
            self._queue.append((loop, mine))
            if len(self._queue) == 1:
                mine.set_result(None)
        try:
            await mine
            delay = self._next - self._clock()
            if delay > 0:
                await self._sleep(delay)
            with self._lock:
                self._next = max(self._next, self._clock()) + self.interval
        finally:
            self._pass_on(mine)

    def _pass_on(self, mine: asyncio.Future[None]) -> None:
        """Leave the queue (done or cancelled) and wake the caller whose turn it is now."""
        with self._lock:
            had_turn = bool(self._queue) and self._queue[0][1] is mine
            self._queue = deque(entry for entry in self._queue if entry[1] is not mine)
            while had_turn and self._queue:
                loop, waiting = self._queue[0]
                try:
                    loop.call_soon_threadsafe(_wake, waiting)
                    return
                except RuntimeError:  # its loop is closed: that caller is gone, ask the next
                    self._queue.popleft()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self.wait()
        yield

    def defer(self, seconds: float | None) -> None:
        """The endpoint said "come back later": nothing starts before then."""
        wait = DEFAULT_RETRY_AFTER if seconds is None else max(0.0, seconds)
        with self._lock:
            self._next = max(self._next, self._clock() + wait)


def _wake(waiting: asyncio.Future[None]) -> None:
    if not waiting.done():
        waiting.set_result(None)


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
