"""Host shards: the unit of work of a distributed audit.

Every URL of one host lands in exactly one shard, and a shard is checked by one worker at a
time, so the per-host limits (``host_concurrency``, ``host_interval``, ``Retry-After``) that one
checker enforces hold across a whole cluster. A host is what the checker's limits count against,
:func:`~citecheck.net.hosts.host_key` (the origin: scheme, name and port).

Small hosts are packed together up to a target size, so a thousand hosts cited once each do not
cost a thousand tasks; a host bigger than the target is a shard of its own (it cannot be split).
Shards come biggest first: started first, the long ones do not finish last alone
(longest-processing-time first). The result depends only on the URLs and their order.

>>> shards = make_shards(["https://a.org/1", "https://b.org/1", "https://a.org/2", "http://a.org/3"], target=2)
>>> [shard.hosts for shard in shards]
[('https://a.org',), ('https://b.org', 'http://a.org')]
>>> shards[1].urls
('https://b.org/1', 'http://a.org/3')
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from ..net.hosts import host_key

__all__ = ["DEFAULT_SHARD_SIZE", "MAX_SHARD_SIZE", "Shard", "make_shards", "shard_size_for"]

#: URLs per shard when nothing else is asked: big enough that a task's start-up (a session,
#: a connection pool, a store connection) is small beside its work.
DEFAULT_SHARD_SIZE = 500
#: The largest target :func:`shard_size_for` picks (one host may still make a bigger shard).
MAX_SHARD_SIZE = 2000
#: Shards per worker :func:`shard_size_for` aims at, so the last ones balance the load.
SHARDS_PER_WORKER = 4


@dataclass(frozen=True, slots=True)
class Shard:
    """Some hosts' URLs, every URL of each of these hosts; checked as one task."""

    #: Position in the submission order (0: the biggest shard).
    index: int
    #: The hosts (:func:`~citecheck.net.hosts.host_key`), in the order first seen.
    hosts: tuple[str, ...]
    #: The URLs, host by host, each host's in the order given.
    urls: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.urls)


def shard_size_for(urls: int, workers: int) -> int:
    """A target shard size giving each of ``workers`` a few shards of ``urls`` in all.

    Between 1 and :data:`MAX_SHARD_SIZE`; hosts bigger than it still make one shard each.

    >>> shard_size_for(100, 2), shard_size_for(1_000_000, 8), shard_size_for(0, 4)
    (13, 2000, 1)
    """
    if urls <= 0 or workers <= 0:
        return 1
    return max(1, min(MAX_SHARD_SIZE, math.ceil(urls / (workers * SHARDS_PER_WORKER))))


def make_shards(urls: Iterable[str], *, target: int = DEFAULT_SHARD_SIZE) -> list[Shard]:
    """Group ``urls`` (distinct; a repeated one is kept once) into host shards, biggest first.

    Each host is wholly in one shard. Hosts are packed in decreasing size (next fit): a shard is
    closed when the next host would take it past ``target`` URLs; a host of ``target`` or more
    URLs is a shard alone. Ties keep the order in which hosts were first seen.
    """
    if target < 1:
        raise ValueError(f"target must be at least 1, got {target}")
    by_host: dict[str, list[str]] = {}
    seen: set[str] = set()
    for url in urls:
        if url in seen:
            continue
        seen.add(url)
        by_host.setdefault(host_key(url), []).append(url)
    # Biggest hosts first; sorted() is stable, so equal sizes keep their first-seen order.
    hosts = sorted(by_host.items(), key=lambda item: -len(item[1]))
    groups: list[list[tuple[str, list[str]]]] = []
    current: list[tuple[str, list[str]]] = []
    size = 0
    for host, host_urls in hosts:
        if current and size + len(host_urls) > target:
            groups.append(current)
            current, size = [], 0
        current.append((host, host_urls))
        size += len(host_urls)
    if current:
        groups.append(current)
    # Packed in decreasing host size, a later group can still outgrow an earlier one: sort again.
    groups.sort(key=lambda group: -sum(len(host_urls) for _, host_urls in group))
    return [
        Shard(
            index=index,
            hosts=tuple(host for host, _ in group),
            urls=tuple(url for _, host_urls in group for url in host_urls),
        )
        for index, group in enumerate(groups)
    ]
