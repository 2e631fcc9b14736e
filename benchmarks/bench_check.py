#!/usr/bin/env python3
"""Benchmark :meth:`citecheck.check.AsyncLinkChecker.check_many` against a local fake web.

Run from the repository root with the package installed::

    python benchmarks/bench_check.py                       # 5,000 URLs over 50 hosts, 100 ms latency
    python benchmarks/bench_check.py --scale               # 5,000, 20,000 and 50,000 URLs, one process
    python benchmarks/bench_check.py --counts 2000,8000 --latency-ms 50
    python benchmarks/bench_check.py --json > figures.json  # report on stderr, JSON on stdout

A ``FakeWeb`` (``tests/fakeweb.py``) listens on ``--hosts`` ports of 127.0.0.1 and answers every
path with ``200 application/pdf`` after ``--latency-ms`` of simulated network time, so the
checker sends exactly one request (a GET, by default) per URL. Every URL is distinct (``/doc/{i}.pdf``, on a
seeded-random host by default, see ``--order``) and they are fed to ``check_many`` lazily, from
a generator. By default the server runs in a child process, so it competes with the checker for
neither the GIL nor the memory figures; ``--server thread`` runs it in a thread of this process
instead (``FakeWeb.threaded``).

For each size the report gives, all measured in the same run:

* wall time against the ideal schedule for the configured limits,
  ``latency * max(max over hosts ceil(URLs_on_host / host_limit), ceil(URLs / global_limit))``,
  and the ratio wall / ideal (target: at most 1.5x);
* URLs per second and the CPU time of this process per URL;
* the largest number of requests the server saw in flight at once, per host (max over hosts)
  and over all hosts, against ``--host-concurrency`` and ``--concurrency``: OK or VIOLATION;
* memory: the process's ``ru_maxrss`` (target: < 200 MB at 5,000), RSS and GC-tracked objects
  right after the last result, and the ``tracemalloc`` peak and what is still allocated at the
  end. Tracing makes this workload ~3x slower in CPU, so by default it runs in a second, untimed
  pass of the same size (``--trace``); with several sizes it is off unless asked for;
* verdict counts (all should be ``ok``) and the first few non-ok results.

Nothing here asserts on time or limits: the script always exits 0 unless it is misused.
See ``benchmarks/README.md`` and ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import importlib.util
import io
import json
import math
import multiprocessing
import multiprocessing.connection
import os
import platform
import pstats
import random
import resource
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import citecheck
from citecheck.check import AsyncLinkChecker, NetworkOptions, OnlineResult

# tests/ is on mypy's path when it checks the project, not when it is given this file alone.
from fakeweb import FakeWeb, ok  # type: ignore[import-not-found, unused-ignore]

#: The body of every answer (a few bytes: a GET reads it whole and keeps the connection).
PDF_BODY = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PDF_TYPE = "application/pdf"
MB = 1024 * 1024


# ---------------------------------------------------------------------------------------------
# The server: a thread of this process, or a child process
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServerStats:
    """What the server saw during one run."""

    requests: int
    connections: int
    max_in_flight: int
    host_max_in_flight: list[int]
    host_requests: list[int]
    errors: int

    @classmethod
    def from_summary(cls, summary: dict[str, Any]) -> ServerStats:
        hosts: list[dict[str, int]] = summary["hosts"]
        return cls(
            requests=int(summary["requests"]),
            connections=sum(h["connections"] for h in hosts),
            max_in_flight=int(summary["max_in_flight"]),
            host_max_in_flight=[h["max_in_flight"] for h in hosts],
            host_requests=[h["requests"] for h in hosts],
            errors=int(summary["errors"]),
        )


class Server(Protocol):
    @property
    def ports(self) -> list[int]: ...

    def stats(self) -> ServerStats: ...


def _make_web(hosts: int, latency: float) -> FakeWeb:
    # max_seen=0: the server keeps no request log, so its memory does not grow with the run.
    return FakeWeb(hosts, fallback=ok(PDF_BODY, PDF_TYPE), latency=latency, max_seen=0)


class ThreadServer:
    """``FakeWeb.threaded``: same process, own event loop, shares the GIL with the checker."""

    def __init__(self, web: FakeWeb) -> None:
        self._web = web

    @property
    def ports(self) -> list[int]:
        return list(self._web.ports)

    def stats(self) -> ServerStats:
        return ServerStats.from_summary(self._web.summary())


@contextlib.contextmanager
def thread_server(hosts: int, latency: float) -> Iterator[ThreadServer]:
    with FakeWeb.threaded(hosts, fallback=ok(PDF_BODY, PDF_TYPE), latency=latency, max_seen=0, backlog=4096) as web:
        yield ThreadServer(web)


def _child_main(conn: multiprocessing.connection.Connection, hosts: int, latency: float) -> None:
    """Child process: serve until the parent asks for the stats, send them, stop."""

    async def serve() -> None:
        async with _make_web(hosts, latency) as web:
            conn.send(web.ports)
            loop = asyncio.get_running_loop()
            while True:
                command = await loop.run_in_executor(None, conn.recv)
                if command == "stats":
                    conn.send(web.summary())
                else:
                    return

    asyncio.run(serve())


class ProcessServer:
    """A ``FakeWeb`` in a child process, driven over a pipe."""

    def __init__(self, conn: multiprocessing.connection.Connection, ports: list[int]) -> None:
        self._conn = conn
        self._ports = ports

    @property
    def ports(self) -> list[int]:
        return self._ports

    def stats(self) -> ServerStats:
        self._conn.send("stats")
        summary: dict[str, Any] = self._conn.recv()
        return ServerStats.from_summary(summary)


@contextlib.contextmanager
def process_server(hosts: int, latency: float) -> Iterator[ProcessServer]:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_child_main, args=(child, hosts, latency), name="fakeweb", daemon=True)
    process.start()
    try:
        if not parent.poll(30):
            raise RuntimeError("the FakeWeb child process did not start in time")
        ports: list[int] = parent.recv()
        yield ProcessServer(parent, ports)
    finally:
        with contextlib.suppress(OSError, BrokenPipeError):
            parent.send("stop")
        process.join(15)
        if process.is_alive():
            process.kill()
            process.join(5)
        parent.close()


@contextlib.contextmanager
def start_server(kind: str, hosts: int, latency: float) -> Iterator[Server]:
    if kind == "thread":
        with thread_server(hosts, latency) as server:
            yield server
    else:
        with process_server(hosts, latency) as process:
            yield process


# ---------------------------------------------------------------------------------------------
# URLs and the ideal schedule
# ---------------------------------------------------------------------------------------------


def host_of(i: int, count: int, hosts: int, order: str, rng: random.Random | None) -> int:
    """Which host URL number ``i`` goes to, for the chosen input order."""
    if order == "interleaved":
        return i % hosts
    if order == "grouped":  # all of host 0, then all of host 1, ... (a worst case for a lazy window)
        return i * hosts // count
    assert rng is not None
    return rng.randrange(hosts)


def host_sequence(count: int, hosts: int, order: str, seed: int) -> Iterator[int]:
    rng = random.Random(seed) if order == "random" else None
    for i in range(count):
        yield host_of(i, count, hosts, order, rng)


def generate_urls(ports: Sequence[int], count: int, order: str, seed: int) -> Iterator[str]:
    """The URLs, lazily: ``http://127.0.0.1:PORT/doc/{i}.pdf``, each distinct."""
    for i, host in enumerate(host_sequence(count, len(ports), order, seed)):
        yield f"http://127.0.0.1:{ports[host]}/doc/{i}.pdf"


def ideal_seconds(per_host: Sequence[int], latency: float, concurrency: int, host_concurrency: int) -> float:
    """The best any scheduler can do when every request takes exactly ``latency``."""
    rounds_host = max((math.ceil(n / host_concurrency) for n in per_host), default=0)
    rounds_global = math.ceil(sum(per_host) / concurrency)
    return latency * max(rounds_host, rounds_global)


# ---------------------------------------------------------------------------------------------
# One run
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class RunFigures:
    urls: int
    hosts: int
    order: str
    latency_ms: float
    concurrency: int
    host_concurrency: int
    wall_seconds: float = 0.0
    ideal_seconds: float = 0.0
    ratio_to_ideal: float = 0.0
    urls_per_second: float = 0.0
    cpu_seconds: float = 0.0
    cpu_ms_per_url: float = 0.0
    first_result_seconds: float = 0.0
    server_requests: int = 0
    server_connections: int = 0
    server_errors: int = 0
    max_in_flight_host: int = 0
    max_in_flight_global: int = 0
    limits_held: bool = True
    #: ``same``: tracemalloc ran during the timed run; ``separate``: in a second, untimed pass.
    trace: str = "off"
    traced_wall_seconds: float | None = None
    tracemalloc_peak_mb: float | None = None
    tracemalloc_retained_mb: float | None = None
    #: Resident set size right after the last result (checker still open) and the process's peak.
    rss_end_mb: float = 0.0
    maxrss_mb: float = 0.0
    #: Objects tracked by the cyclic GC right after the last result: grows with URLs if results are kept.
    live_objects_end: int = 0
    results: int = 0
    distinct_results: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)


async def drive(
    checker: AsyncLinkChecker, urls: Iterator[str], figures: RunFigures, started: float
) -> tuple[Counter[str], int]:
    """Consume ``check_many``; return the verdict counts and how many distinct URLs came back."""
    verdicts: Counter[str] = Counter()
    # One byte per URL (not a set of strings) so the bookkeeping barely shows in the memory figures.
    delivered = bytearray(figures.urls)
    first = True
    async for result in checker.check_many(urls):
        if first:
            figures.first_result_seconds = time.perf_counter() - started
            first = False
        verdicts[result.verdict.value] += 1
        delivered[int(result.url.rsplit("/", 1)[1].split(".", 1)[0])] = 1
        if result.verdict.value != "ok" and len(figures.problems) < 10:
            figures.problems.append(_problem(result))
    return verdicts, sum(delivered)


def _problem(result: OnlineResult) -> dict[str, Any]:
    return {
        "url": result.url,
        "verdict": result.verdict.value,
        "reason": None if result.reason is None else result.reason.value,
        "http_status": result.http_status,
        "detail": result.detail,
    }


def rss_mb() -> float:
    """Current resident set size (Linux ``/proc``; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MB
    except (OSError, ValueError, IndexError):
        return 0.0


@dataclass(slots=True)
class Outcome:
    verdicts: Counter[str]
    distinct: int
    wall: float
    held_mb: float | None
    rss_end_mb: float
    live_objects: int


async def check_all(options: NetworkOptions, urls: Iterator[str], figures: RunFigures, trace: bool) -> Outcome:
    """Run ``check_many`` over ``urls``; measure what the checker still holds at the end."""
    async with AsyncLinkChecker(options) as checker:
        started = time.perf_counter()
        verdicts, distinct = await drive(checker, urls, figures, started)
        wall = time.perf_counter() - started
        # What the checker still holds once every result is out (before it is closed).
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] / MB if trace else None
        rss = rss_mb()
        live = len(gc.get_objects())
    return Outcome(verdicts, distinct, wall, held, rss, live)


def run_one(args: argparse.Namespace, count: int, trace: bool, profile: cProfile.Profile | None) -> RunFigures:
    latency = args.latency_ms / 1000.0
    figures = RunFigures(
        urls=count,
        hosts=args.hosts,
        order=args.order,
        latency_ms=args.latency_ms,
        concurrency=args.concurrency,
        host_concurrency=args.host_concurrency,
    )
    per_host = [0] * args.hosts
    for host in host_sequence(count, args.hosts, args.order, args.seed):
        per_host[host] += 1
    figures.ideal_seconds = ideal_seconds(per_host, latency, args.concurrency, args.host_concurrency)
    options = NetworkOptions(
        timeout=args.timeout,
        concurrency=args.concurrency,
        host_concurrency=args.host_concurrency,
        allow_networks=("127.0.0.0/8",),
    )
    with start_server(args.server, args.hosts, latency) as server:
        urls = generate_urls(server.ports, count, args.order, args.seed)
        gc.collect()
        if trace:
            tracemalloc.start()
            tracemalloc.reset_peak()
        cpu_before = time.process_time()
        if profile is not None:
            profile.enable()
        try:
            outcome = asyncio.run(check_all(options, urls, figures, trace))
        finally:
            if profile is not None:
                profile.disable()
            cpu = time.process_time() - cpu_before
            if trace:
                figures.tracemalloc_peak_mb = tracemalloc.get_traced_memory()[1] / MB
                tracemalloc.stop()
        stats = server.stats()
    wall = outcome.wall
    verdicts = outcome.verdicts
    figures.wall_seconds = wall
    figures.trace = "same" if trace else "off"
    figures.tracemalloc_retained_mb = outcome.held_mb
    figures.rss_end_mb = outcome.rss_end_mb
    figures.live_objects_end = outcome.live_objects
    figures.ratio_to_ideal = wall / figures.ideal_seconds if figures.ideal_seconds else 0.0
    figures.urls_per_second = count / wall if wall else 0.0
    figures.cpu_seconds = cpu
    figures.cpu_ms_per_url = cpu * 1000 / count if count else 0.0
    figures.server_requests = stats.requests
    figures.server_connections = stats.connections
    figures.server_errors = stats.errors
    figures.max_in_flight_host = max(stats.host_max_in_flight, default=0)
    figures.max_in_flight_global = stats.max_in_flight
    figures.limits_held = (
        figures.max_in_flight_host <= args.host_concurrency and figures.max_in_flight_global <= args.concurrency
    )
    figures.maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    figures.results = sum(verdicts.values())
    figures.distinct_results = outcome.distinct
    figures.verdicts = dict(verdicts.most_common())
    return figures


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def report(f: RunFigures, args: argparse.Namespace, say: Callable[[str], None]) -> None:
    say(
        f"\n== {f.urls:,} URLs over {f.hosts} hosts ({f.order}), latency {f.latency_ms:g} ms, "
        f"concurrency {f.concurrency}, host_concurrency {f.host_concurrency}"
    )
    say(
        f"  wall {f.wall_seconds:.2f} s | ideal {f.ideal_seconds:.2f} s | "
        f"ratio wall/ideal {f.ratio_to_ideal:.2f}x (target <= 1.5x: "
        f"{'met' if f.ratio_to_ideal <= 1.5 else 'MISSED'})"
    )
    say(
        f"  {f.urls_per_second:,.0f} URLs/s | first result after {f.first_result_seconds * 1000:.0f} ms | "
        f"CPU of this process {f.cpu_seconds:.2f} s ({f.cpu_ms_per_url:.2f} ms/URL"
        f"{', server thread included' if args.server == 'thread' else ''})"
    )
    say(
        f"  server: {f.server_requests:,} requests ({f.server_requests / max(f.urls, 1):.2f}/URL), "
        f"{f.server_connections:,} connections, {f.server_errors} handler errors"
    )
    verdict = "OK" if f.limits_held else "VIOLATION"
    say(
        f"  max in flight seen by the server: per host {f.max_in_flight_host} (limit {f.host_concurrency}), "
        f"global {f.max_in_flight_global} (limit {f.concurrency}) -> {verdict}"
    )
    say(
        f"  memory: ru_maxrss {f.maxrss_mb:.1f} MB (target < 200 MB: {'met' if f.maxrss_mb < 200 else 'MISSED'}) | "
        f"RSS at the end {f.rss_end_mb:.1f} MB | {f.live_objects_end:,} GC-tracked objects alive at the end"
    )
    if f.tracemalloc_peak_mb is not None:
        held = f.tracemalloc_retained_mb or 0.0
        where = (
            "during the timed run (which it slowed down)"
            if f.trace == "same"
            else f"in a separate untimed pass ({f.traced_wall_seconds or 0:.1f} s)"
        )
        say(
            f"  tracemalloc {where}: peak {f.tracemalloc_peak_mb:.1f} MB, still held after the last result "
            f"{held:.1f} MB ({held * 1024 / max(f.urls, 1):.2f} KB/URL)"
        )
    all_ok = f.verdicts.get("ok", 0) == f.urls and f.distinct_results == f.urls
    say(
        f"  verdicts: {', '.join(f'{k} {v:,}' for k, v in f.verdicts.items()) or 'none'} | "
        f"{f.results:,} results for {f.distinct_results:,} distinct URLs -> {'all ok' if all_ok else 'NOT ALL OK'}"
    )
    for problem in f.problems:
        say(f"    {problem['verdict']}/{problem['reason']} {problem['url']} {problem['detail'] or ''}".rstrip())


def machine() -> dict[str, Any]:
    import httpcore
    import httpx

    return {
        "citecheck": citecheck.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "httpx": httpx.__version__,
        "httpcore": httpcore.__version__,
        # Without sniffio, httpcore retries ``import sniffio`` on every request (see the README).
        "sniffio_installed": importlib.util.find_spec("sniffio") is not None,
    }


def parse_counts(text: str) -> list[int]:
    try:
        counts = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of integers: {text!r}") from None
    if not counts or any(n < 1 for n in counts):
        raise argparse.ArgumentTypeError("counts must be positive integers")
    return counts


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--urls", type=positive_int, default=5000, help="URLs in one run (default 5000)")
    parser.add_argument("--counts", type=parse_counts, help="several sizes in one process, e.g. 5000,20000,50000")
    parser.add_argument("--scale", action="store_true", help="shorthand for --counts 5000,20000,50000")
    parser.add_argument("--hosts", type=positive_int, default=50, help="fake hosts (ports) (default 50)")
    parser.add_argument("--latency-ms", type=float, default=100.0, help="server latency per request (default 100)")
    parser.add_argument("--concurrency", type=positive_int, default=NetworkOptions().concurrency)
    parser.add_argument("--host-concurrency", type=positive_int, default=NetworkOptions().host_concurrency)
    parser.add_argument("--timeout", type=float, default=NetworkOptions().timeout, help="per-URL timeout, seconds")
    parser.add_argument(
        "--order",
        choices=("random", "interleaved", "grouped"),
        default="random",
        help="which host each URL goes to: seeded random (default), i %% hosts, or all URLs of a host in a row",
    )
    parser.add_argument("--seed", type=int, default=20240607, help="seed for --order random")
    parser.add_argument(
        "--server",
        choices=("process", "thread"),
        default="process",
        help="run the fake web in a child process (default) or in a thread of this process",
    )
    parser.add_argument(
        "--trace",
        choices=("separate", "same", "off"),
        help="tracemalloc in a second, untimed pass per size (default for one size), during the timed run "
        "(inflates its wall and CPU time about 3x), or not at all (default for several sizes)",
    )
    parser.add_argument("--profile", type=int, metavar="N", default=0, help="cProfile the checker, show top N")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on stdout (report on stderr)")
    args = parser.parse_args(argv)
    if args.latency_ms < 0:
        parser.error("--latency-ms must not be negative")
    if args.scale and args.counts:
        parser.error("--scale and --counts are exclusive")
    args.sizes = [5000, 20000, 50000] if args.scale else (args.counts or [args.urls])
    if args.trace is None:
        args.trace = "separate" if len(args.sizes) == 1 else "off"
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out: TextIO = sys.stderr if args.json else sys.stdout

    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    info = machine()
    say(
        f"citecheck {info['citecheck']} | Python {info['python']} | {info['platform']} | {info['cpus']} CPUs | "
        f"httpx {info['httpx']}, httpcore {info['httpcore']}, sniffio {'yes' if info['sniffio_installed'] else 'no'}"
    )
    say(f"server in a {args.server}; tracemalloc: {args.trace}")
    profile = cProfile.Profile() if args.profile else None
    runs: list[RunFigures] = []
    for count in args.sizes:
        figures = run_one(args, count, args.trace == "same", profile)
        if args.trace == "separate":
            traced = run_one(args, count, True, None)
            figures.trace = "separate"
            figures.traced_wall_seconds = traced.wall_seconds
            figures.tracemalloc_peak_mb = traced.tracemalloc_peak_mb
            figures.tracemalloc_retained_mb = traced.tracemalloc_retained_mb
            figures.maxrss_mb = traced.maxrss_mb
        runs.append(figures)
        report(figures, args, say)
    if len(runs) > 1:
        say("\nscale (memory should stay flat):")
        say(
            f"  {'URLs':>8} {'wall s':>8} {'x ideal':>8} {'URLs/s':>8} {'maxrss MB':>10} {'RSS end':>8} "
            f"{'objects':>9} {'tm peak':>8} {'tm held':>8}"
        )
        for f in runs:
            peak = "-" if f.tracemalloc_peak_mb is None else f"{f.tracemalloc_peak_mb:.1f}"
            held = "-" if f.tracemalloc_retained_mb is None else f"{f.tracemalloc_retained_mb:.1f}"
            say(
                f"  {f.urls:>8,} {f.wall_seconds:>8.2f} {f.ratio_to_ideal:>8.2f} {f.urls_per_second:>8,.0f} "
                f"{f.maxrss_mb:>10.1f} {f.rss_end_mb:>8.1f} {f.live_objects_end:>9,} {peak:>8} {held:>8}"
            )
        say("  (MB; ru_maxrss is the process's high-water mark so far, sizes run in the order given)")
    violations = [f.urls for f in runs if not f.limits_held]
    say(
        "\nlimits: "
        + (f"VIOLATION in the run(s) of {', '.join(map(str, violations))} URLs" if violations else "OK in every run")
    )
    if profile is not None:
        stream = io.StringIO()
        stats = pstats.Stats(profile, stream=stream)
        stats.sort_stats("tottime").print_stats(args.profile)
        say("\nprofile of this process (checker side), by own time:")
        say(stream.getvalue())
    if args.json:
        print(json.dumps({"machine": info, "runs": [asdict(f) for f in runs]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
