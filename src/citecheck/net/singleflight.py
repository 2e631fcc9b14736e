"""Identical requests in flight at once go out once: every caller awaits the one shared result."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from functools import partial
from typing import Generic, TypeVar

__all__ = ["SingleFlight"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    """Run ``make()`` once for all concurrent callers of :meth:`run` with the same key.

    Several citations of one URL in one run then cost a server one request, not several. The
    shared work runs as its own task: a waiter being cancelled does not cancel it for the
    others; its exception reaches every waiter; the key is forgotten as soon as it is done, so
    a later call asks again (this is not a cache).

    >>> async def demo() -> list[int]:
    ...     calls = []
    ...     async def fetch() -> int:
    ...         calls.append(1)
    ...         await asyncio.sleep(0)
    ...         return 42
    ...     flight: SingleFlight[str, int] = SingleFlight()
    ...     results = await asyncio.gather(*(flight.run("k", fetch) for _ in range(3)))
    ...     return [*results, len(calls), len(flight)]
    >>> asyncio.run(demo())
    [42, 42, 42, 1, 0]
    """

    def __init__(self) -> None:
        self._flights: dict[K, asyncio.Future[V]] = {}

    def __len__(self) -> int:
        """How many keys are in flight now."""
        return len(self._flights)

    async def run(self, key: K, make: Callable[[], Awaitable[V]]) -> V:
        """The result of ``make()``, started now unless a call with ``key`` is already in flight."""
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.ensure_future(make())
            self._flights[key] = flight
            flight.add_done_callback(partial(self._land, key))
        return await asyncio.shield(flight)

    def cancel(self) -> None:
        """Cancel the work of every key in flight (its owner is closing)."""
        for flight in list(self._flights.values()):
            flight.cancel()

    def _land(self, key: K, flight: asyncio.Future[V]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        if not flight.cancelled():
            flight.exception()  # retrieved: a failure nobody awaited any more is not reported as lost
