"""Which URL goes next: round-robin over hosts, so one big host does not hold the others up.

The limits each request then obeys are :class:`citecheck.net.hosts.HostGate`'s.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import TypeVar

from ..net.hosts import host_key

__all__ = ["host_key", "round_robin"]

_T = TypeVar("_T")


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
