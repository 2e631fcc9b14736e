#!/usr/bin/env python3
"""Project the wall time of a distributed ``citecheck audit`` from a host-size distribution.

A model, not a measurement: it answers "how long would 1M or 20M links take on N workers, and
what would stop more workers from helping?" (issue #13). Run from the repository root::

    python benchmarks/simulate_audit.py                       # 1M and 20M links, 1..64 workers
    python benchmarks/simulate_audit.py --links 5000000 --zipf 0.9 --workers 4,16
    python benchmarks/simulate_audit.py --hosts-csv counts.csv  # a real host,count export, rescaled
    python benchmarks/simulate_audit.py --json > projection.json

The model, in four steps (every figure below is a flag):

1. **Hosts.** ``links`` URLs over ``hosts`` hosts with Zipf sizes (host ``i`` gets a share
   proportional to ``1 / i ** zipf``), or the shape of a real ``host,count`` CSV scaled to
   ``links``. Each URL costs ``requests_per_url`` requests (redirect hops, the soft-404 probe,
   retries) and ``cpu_per_url`` seconds of one core.
2. **One host's time under politeness.** A host with ``R`` requests gets at most
   ``host_concurrency`` of them in flight and starts them at least ``host_interval`` apart, so
   it needs at least ``max(E[makespan of R requests on host_concurrency slots],
   (R - 1) * host_interval + mean latency)``. The makespan is a Monte Carlo estimate over a
   request latency that is lognormal (median ``latency_median``, shape ``latency_sigma``) with a
   ``timeout_share`` of requests lasting the whole ``timeout``; past 64 requests it is
   extrapolated linearly (the mean term grows, the tail term does not). No number of workers
   beats the largest host's time: it is the **politeness floor**.
3. **Shards.** As the engine does, a host is never split: a host with ``shard_urls`` URLs or more
   is a shard of its own, smaller hosts are packed together (largest first) until a shard holds
   about ``shard_urls``. Shards are queued largest first (by politeness time).
4. **Workers.** Each worker is one process with ``cores_per_worker`` cores and ``concurrency``
   requests in flight in all. Assumption: a worker runs up to ``shards_per_worker`` shards at
   once (default ``concurrency // host_concurrency``: enough politeness-bound shards to fill its
   in-flight limit), and takes the next queued shard as soon as one finishes. While running, a
   shard progresses no faster than its politeness time allows, and the worker's in-flight slots
   (``concurrency``; a request holds one for its latency) and cores (``cpu_per_url`` per URL) are
   shared max-min fairly among the shards it runs. Between two events (a shard ending) every rate
   is constant, so the simulation is exact for this fluid model.

The report gives, per size and worker count, the projected wall time and three lower bounds:
the politeness floor (largest host), the CPU bound (total CPU / total cores) and the in-flight
bound (total request-seconds / (workers * concurrency)); the **dominant bound** is the largest
of them, and ``wall / bound`` shows what packing and the tail cost on top. Not modelled: the
client's own time (reading sources, writing records), store latency, worker start-up, and
per-host overrides of the limits. Deterministic for a given ``--seed``. Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import heapq
import json
import math
import random
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from citecheck.core.defaults import CONCURRENCY, HOST_CONCURRENCY, HOST_INTERVAL, TIMEOUT

#: CPU seconds per URL (check, store write, the client's share): the figure ``benchmarks/bench_audit.py``
#: reports as "CPU per URL" (client and workers together). Measured there in one process (20,000
#: URLs, 2 cores, 0.76 ms); replace it by the ``--workers`` figure once the Dask engine has been
#: measured, or pass ``--cpu-per-url``.
CPU_PER_URL_FROM_BENCH_AUDIT = 0.00076

DEFAULT_LINKS = (1_000_000, 20_000_000)
DEFAULT_WORKERS = (1, 2, 4, 8, 16, 32, 64)
#: Requests whose makespan on a host is estimated by Monte Carlo; more are extrapolated.
_EXACT_REQUESTS = 64
_TRIALS = 200
_LATENCY_SAMPLES = 200_000


@dataclass(frozen=True)
class Model:
    """Every input of the simulation but the number of links and of workers."""

    zipf: float = 1.0
    links_per_host: float = 25.0
    host_counts: tuple[int, ...] | None = None
    host_concurrency: int = HOST_CONCURRENCY.default
    host_interval: float = HOST_INTERVAL.default
    concurrency: int = CONCURRENCY.default
    latency_median: float = 0.3
    latency_sigma: float = 0.8
    timeout: float = TIMEOUT.default
    timeout_share: float = 0.01
    requests_per_url: float = 1.3
    cpu_per_url: float = CPU_PER_URL_FROM_BENCH_AUDIT
    cores_per_worker: float = 1.0
    shards_per_worker: int = 0  # 0: concurrency // host_concurrency
    shard_urls: int = 2_000
    seed: int = 13

    def running_limit(self) -> int:
        """How many shards one worker runs at once."""
        return self.shards_per_worker or max(1, self.concurrency // self.host_concurrency)


@dataclass(frozen=True)
class Shard:
    urls: int
    hosts: int
    politeness: float  # seconds: its largest host's time, alone with unlimited slots and CPU
    slot_seconds: float  # requests x mean latency: in-flight slots held over its life
    cpu_seconds: float


@dataclass(frozen=True)
class Projection:
    links: int
    hosts: int
    largest_host_urls: int
    shards: int
    workers: int
    cores: float
    wall: float
    politeness_floor: float
    cpu_bound: float
    inflight_bound: float
    dominant: str
    wall_over_bound: float
    urls_per_second: float


class Latency:
    """Request latencies: lognormal, capped at the timeout, with a share lasting the whole timeout."""

    def __init__(self, model: Model) -> None:
        self.model = model
        rng = random.Random(model.seed)
        self.mean = sum(self.sample(rng) for _ in range(_LATENCY_SAMPLES)) / _LATENCY_SAMPLES
        self._table = self._makespans(random.Random(model.seed + 1))
        self._cache: dict[int, float] = {}

    def sample(self, rng: random.Random) -> float:
        m = self.model
        if rng.random() < m.timeout_share:
            return m.timeout
        return min(m.timeout, m.latency_median * math.exp(m.latency_sigma * rng.gauss(0.0, 1.0)))

    def _makespans(self, rng: random.Random) -> list[float]:
        """Expected makespan of ``r`` requests on ``host_concurrency`` slots, for r = 0..64."""
        slots = self.model.host_concurrency
        table = [0.0] * (_EXACT_REQUESTS + 1)
        for _ in range(_TRIALS):
            free = [0.0] * slots
            for r in range(1, _EXACT_REQUESTS + 1):
                start = heapq.heappop(free)
                heapq.heappush(free, start + self.sample(rng))
                table[r] += max(free) / _TRIALS
        return table

    def host_time(self, requests: int) -> float:
        """Seconds one host with ``requests`` requests needs under the per-host limits."""
        if requests <= 0:
            return 0.0
        known = self._cache.get(requests)
        if known is not None:
            return known
        m = self.model
        if requests <= _EXACT_REQUESTS:
            slots = self._table[requests]
        else:
            tail = self._table[_EXACT_REQUESTS] - _EXACT_REQUESTS * self.mean / m.host_concurrency
            slots = requests * self.mean / m.host_concurrency + max(0.0, tail)
        spaced = (requests - 1) * m.host_interval + self.mean
        result = self._cache[requests] = max(slots, spaced)
        return result


# -- hosts and shards ------------------------------------------------------------------------------


def host_sizes(links: int, model: Model) -> list[int]:
    """URLs per host, largest first, summing to ``links`` (largest-remainder rounding)."""
    if model.host_counts:
        weights = sorted((float(c) for c in model.host_counts if c > 0), reverse=True)
    else:
        hosts = max(1, round(links / model.links_per_host))
        weights = [1.0 / (i**model.zipf) for i in range(1, hosts + 1)]
    total = sum(weights)
    exact = [links * w / total for w in weights]
    sizes = [int(x) for x in exact]
    short = links - sum(sizes)
    for i in sorted(range(len(exact)), key=lambda i: sizes[i] - exact[i])[:short]:
        sizes[i] += 1
    return sorted((s for s in sizes if s > 0), reverse=True)


def make_shards(sizes: Sequence[int], model: Model, latency: Latency) -> list[Shard]:
    """Hosts -> shards: big hosts alone, small ones packed (largest first) up to ``shard_urls``."""
    shards: list[Shard] = []
    urls = hosts = 0
    politeness = 0.0

    def close() -> None:
        nonlocal urls, hosts, politeness
        if urls:
            requests = urls * model.requests_per_url
            shards.append(Shard(urls, hosts, politeness, requests * latency.mean, urls * model.cpu_per_url))
        urls = hosts = 0
        politeness = 0.0

    for size in sorted(sizes, reverse=True):
        if urls and urls + size > model.shard_urls:
            close()
        urls += size
        hosts += 1
        politeness = max(politeness, latency.host_time(max(1, round(size * model.requests_per_url))))
        if urls >= model.shard_urls:
            close()
    close()
    shards.sort(key=lambda s: (s.politeness, s.urls), reverse=True)
    return shards


# -- the workers -------------------------------------------------------------------------------------


def _share(capacity: float, demands: Sequence[float]) -> list[float]:
    """Max-min fair split of ``capacity`` among ``demands`` (no one gets more than it asks)."""
    given = [0.0] * len(demands)
    order = sorted(range(len(demands)), key=demands.__getitem__)
    left = capacity
    for position, i in enumerate(order):
        given[i] = min(demands[i], left / (len(order) - position))
        left -= given[i]
    return given


class _Worker:
    __slots__ = ("clock", "running", "version")

    def __init__(self) -> None:
        self.clock = 0.0
        self.running: list[list[float]] = []  # [remaining fraction, rate, shard index]
        self.version = 0


def _rates(worker: _Worker, demands: Sequence[tuple[float, float, float]], model: Model) -> None:
    """Set each running shard's rate (fraction per second) from the three bounds.

    ``demands[i]`` is shard ``i``'s pace alone (1 / politeness time) and the slots and cores it
    would use at that pace; a shard given a share ``g`` of what it asks runs at ``pace * g``.
    """
    wanted = [demands[int(r[2])] for r in worker.running]
    slots = _share(model.concurrency, [slot for _, slot, _ in wanted])
    cores = _share(model.cores_per_worker, [core for _, _, core in wanted])
    for run, (pace, slot_demand, core_demand), slot, core in zip(worker.running, wanted, slots, cores, strict=True):
        rate = pace
        if slot_demand > 0:
            rate = min(rate, pace * slot / slot_demand)
        if core_demand > 0:
            rate = min(rate, pace * core / core_demand)
        run[1] = rate


def _advance(worker: _Worker, until: float) -> None:
    spent = until - worker.clock
    for run in worker.running:
        run[0] -= run[1] * spent
    worker.clock = until


def _next_end(worker: _Worker) -> float:
    return worker.clock + min(max(0.0, r[0]) / r[1] for r in worker.running)


def schedule(shards: Sequence[Shard], workers: int, model: Model) -> float:
    """Wall time of the fluid model: largest shards first, a worker takes the next as one ends."""
    pool = [_Worker() for _ in range(workers)]
    paces = [1.0 / max(shard.politeness, 1e-9) for shard in shards]
    demands = [(p, p * s.slot_seconds, p * s.cpu_seconds) for p, s in zip(paces, shards, strict=True)]
    queue = 0
    limit = model.running_limit()
    events: list[tuple[float, int, int]] = []
    wall = 0.0
    # At the start the queue is dealt round the workers, one shard each in turn, as a scheduler
    # spreads ready tasks over idle workers; afterwards a worker takes the next as one ends.
    for _ in range(limit):
        for worker in pool:
            if queue < len(shards):
                worker.running.append([1.0, 0.0, float(queue)])
                queue += 1
    for index, worker in enumerate(pool):
        if worker.running:
            _rates(worker, demands, model)
            heapq.heappush(events, (_next_end(worker), index, worker.version))
    while events:
        when, index, version = heapq.heappop(events)
        worker = pool[index]
        if version != worker.version:
            continue
        _advance(worker, when)
        worker.running = [r for r in worker.running if r[0] > 1e-12 * max(1.0, r[1])]
        wall = max(wall, when)
        while queue < len(shards) and len(worker.running) < limit:
            worker.running.append([1.0, 0.0, float(queue)])
            queue += 1
        worker.version += 1
        if worker.running:
            _rates(worker, demands, model)
            heapq.heappush(events, (_next_end(worker), index, worker.version))
    return wall


def project(links: int, worker_counts: Sequence[int], model: Model) -> list[Projection]:
    """Simulate one audit size for every worker count."""
    latency = Latency(model)
    sizes = host_sizes(links, model)
    shards = make_shards(sizes, model, latency)
    floor = max(s.politeness for s in shards)
    cpu = sum(s.cpu_seconds for s in shards)
    slot_seconds = sum(s.slot_seconds for s in shards)
    out = []
    for workers in worker_counts:
        cores = workers * model.cores_per_worker
        bounds = {
            "politeness": floor,
            "cpu": cpu / cores,
            "in-flight": slot_seconds / (workers * model.concurrency),
        }
        dominant = max(bounds, key=bounds.__getitem__)
        wall = schedule(shards, workers, model)
        out.append(
            Projection(
                links=links,
                hosts=len(sizes),
                largest_host_urls=sizes[0],
                shards=len(shards),
                workers=workers,
                cores=cores,
                wall=wall,
                politeness_floor=floor,
                cpu_bound=bounds["cpu"],
                inflight_bound=bounds["in-flight"],
                dominant=dominant,
                wall_over_bound=wall / bounds[dominant],
                urls_per_second=links / wall,
            )
        )
    return out


# -- the command line --------------------------------------------------------------------------------


def duration(seconds: float) -> str:
    """``42 s``, ``12.5 min``, ``3.2 h``, ``4.1 d``."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} d"


def read_host_counts(path: Path) -> tuple[int, ...]:
    """Counts from a CSV of ``host,count`` rows (a header row is skipped if its count is not a number)."""
    counts: list[int] = []
    with path.open(newline="", encoding="utf-8") as file:
        for row in csv.reader(file):
            if len(row) >= 2 and row[1].strip().isdigit():
                counts.append(int(row[1]))
    if not counts:
        raise SystemExit(f"{path}: no host,count rows")
    return tuple(counts)


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())


def parse_args(argv: Sequence[str] | None) -> tuple[argparse.Namespace, Model]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add = parser.add_argument
    d = Model()
    add("--links", type=_numbers, default=DEFAULT_LINKS, help="audit sizes, comma-separated (default 1M,20M)")
    add("--workers", type=_numbers, default=DEFAULT_WORKERS, help="worker counts (default 1,2,...,64)")
    add("--zipf", type=float, default=d.zipf, help="exponent of the host-size Zipf law (default %(default)s)")
    add("--links-per-host", type=float, default=d.links_per_host, help="mean URLs per host (default %(default)s)")
    add("--hosts-csv", type=Path, help="host,count CSV: its shape replaces the Zipf law (rescaled to --links)")
    add("--host-concurrency", type=int, default=d.host_concurrency, help="default: citecheck's")
    add("--host-interval", type=float, default=d.host_interval, help="default: citecheck's")
    add("--concurrency", type=int, default=d.concurrency, help="in flight per worker process; default: citecheck's")
    add("--latency-median", type=float, default=d.latency_median, help="seconds (default %(default)s)")
    add("--latency-sigma", type=float, default=d.latency_sigma, help="lognormal shape (default %(default)s)")
    add("--timeout", type=float, default=d.timeout, help="default: citecheck's")
    add("--timeout-share", type=float, default=d.timeout_share, help="requests lasting the whole timeout")
    add("--requests-per-url", type=float, default=d.requests_per_url, help="default %(default)s")
    add("--cpu-per-url", type=float, default=d.cpu_per_url, help="CPU s per URL (default: bench_audit's figure)")
    add("--cores-per-worker", type=float, default=d.cores_per_worker, help="default %(default)s")
    add("--shards-per-worker", type=int, default=d.shards_per_worker, help="0: concurrency // host_concurrency")
    add("--shard-urls", type=int, default=d.shard_urls, help="packing target (default %(default)s)")
    add("--seed", type=int, default=d.seed)
    add("--json", action="store_true", help="JSON on stdout instead of the table")
    args = parser.parse_args(argv)
    model = Model(
        zipf=args.zipf,
        links_per_host=args.links_per_host,
        host_counts=read_host_counts(args.hosts_csv) if args.hosts_csv else None,
        host_concurrency=args.host_concurrency,
        host_interval=args.host_interval,
        concurrency=args.concurrency,
        latency_median=args.latency_median,
        latency_sigma=args.latency_sigma,
        timeout=args.timeout,
        timeout_share=args.timeout_share,
        requests_per_url=args.requests_per_url,
        cpu_per_url=args.cpu_per_url,
        cores_per_worker=args.cores_per_worker,
        shards_per_worker=args.shards_per_worker,
        shard_urls=args.shard_urls,
        seed=args.seed,
    )
    return args, model


def main(argv: Sequence[str] | None = None) -> int:
    args, model = parse_args(argv)
    runs = [project(links, args.workers, model) for links in args.links]
    if args.json:
        json.dump(
            {"model": asdict(model) | {"host_counts": None}, "runs": [[asdict(p) for p in r] for r in runs]},
            sys.stdout,
            indent=1,
        )
        print()
        return 0
    latency = Latency(model)
    print(
        f"model: host_concurrency {model.host_concurrency}, host_interval {model.host_interval} s, "
        f"concurrency {model.concurrency}/worker, {model.running_limit()} shards at once/worker, "
        f"{model.cores_per_worker:g} core(s)/worker, CPU {model.cpu_per_url * 1000:.2f} ms/URL, "
        f"{model.requests_per_url} requests/URL, latency median {model.latency_median} s "
        f"(mean {latency.mean:.3f} s with {model.timeout_share:.0%} at {model.timeout:g} s), "
        f"shards of ~{model.shard_urls} URLs"
    )
    for rows in runs:
        first = rows[0]
        print(
            f"\n{first.links:,} links over {first.hosts:,} hosts ("
            + (f"Zipf {model.zipf}" if model.host_counts is None else "from the CSV")
            + f"), largest host {first.largest_host_urls:,} URLs, {first.shards:,} shards"
        )
        print(
            f"{'workers':>7} {'cores':>5} {'wall':>9} {'URLs/s':>8} {'largest host':>12} "
            f"{'CPU bound':>9} {'in-flight':>9}  dominant     wall/bound"
        )
        for p in rows:
            print(
                f"{p.workers:>7} {p.cores:>5g} {duration(p.wall):>9} {p.urls_per_second:>8,.0f} "
                f"{duration(p.politeness_floor):>12} {duration(p.cpu_bound):>9} {duration(p.inflight_bound):>9}  "
                f"{p.dominant:<12} {p.wall_over_bound:.2f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
