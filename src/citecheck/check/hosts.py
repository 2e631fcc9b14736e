"""Which URL goes next: round-robin over hosts, so one big host does not hold the others up.

The limits each request then obeys are :class:`citecheck.net.hosts.HostGate`'s.
"""

from __future__ import annotations

import asyncio
import functools
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

    Every step costs O(1) per URL whatever the number of hosts or tasks: only hosts that may
    start a URL now are queued (``ready``), and finished tasks report themselves instead of
    being looked for among all that run.
    """
    source = iter(urls)
    # URLs read ahead: enough to find other hosts' URLs when the input is grouped by host.
    window = max(concurrency * 64, 2048)
    queues: dict[str, deque[str]] = {}
    #: Hosts with a URL waiting and a free slot, in turn order; ``is_ready`` mirrors it as a set.
    ready: deque[str] = deque()
    is_ready: set[str] = set()
    active: dict[str, int] = {}
    finished: list[asyncio.Task[_T]] = []
    wake = asyncio.Event()
    running = 0
    exhausted = False
    buffered = 0

    def mark_ready(key: str) -> None:
        if key not in is_ready and queues.get(key) and active.get(key, 0) < host_concurrency:
            ready.append(key)
            is_ready.add(key)

    def on_done(key: str, task: asyncio.Task[_T]) -> None:
        nonlocal running
        running -= 1
        active[key] -= 1
        finished.append(task)
        mark_ready(key)
        wake.set()

    def refill() -> None:
        nonlocal exhausted, buffered
        while not exhausted and buffered < window:
            try:
                url = next(source)
            except StopIteration:
                exhausted = True
                return
            key = host_key(url)
            queue = queues.get(key)
            if queue is None:
                queue = queues[key] = deque()
            queue.append(url)
            buffered += 1
            mark_ready(key)

    def start() -> None:
        nonlocal buffered, running
        while running < concurrency and ready:
            key = ready.popleft()
            is_ready.discard(key)
            queue = queues[key]
            url = queue.popleft()
            buffered -= 1
            if not queue:
                del queues[key]
            active[key] = active.get(key, 0) + 1
            running += 1
            task = asyncio.ensure_future(run(url))
            task.add_done_callback(functools.partial(on_done, key))
            mark_ready(key)  # to the back of the turn order, if it may start another

    refill()
    start()
    while running or finished:
        if not finished:
            wake.clear()
            await wake.wait()
        done, finished[:] = list(finished), []
        yield [task.result() for task in done]
        refill()
        start()
