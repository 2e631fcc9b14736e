#!/usr/bin/env python3
"""Benchmark ``citecheck serve`` (the HTTP service) under concurrent editors, against a local fake web.

Run from the repository root with the package, starlette and uvicorn installed::

    python benchmarks/bench_server.py                          # 20 clients, 30 links, 10 s a phase (~45 s)
    python benchmarks/bench_server.py --clients 50 --links 60 --duration 15
    python benchmarks/bench_server.py --latency-ms 200 --concurrency 64
    python benchmarks/bench_server.py --profile-service 25     # cProfile of the service, top 25 by own time
    python benchmarks/bench_server.py --json > figures.json    # report on stderr, JSON on stdout

Three processes: this one (the clients), a ``FakeWeb`` (``tests/fakeweb.py``) in a child process
(``--hosts`` ports of 127.0.0.1 answering every path with ``200 application/pdf`` after
``--latency-ms``, started as ``benchmarks/bench_check.py --server process`` does), and the
service in another child process: ``create_app(Config(allow_networks=("127.0.0.0/8",),
store=TMP), ServiceSettings(token=...))`` served by uvicorn on a random free port of 127.0.0.1,
with a temporary store. ``--clients`` editors (asyncio tasks sharing one ``httpx.AsyncClient``
with one connection each) post Markdown articles of ``--links`` links
(``[text](URL?utm_source=x&utm_medium=email)``; a ``--shared`` fraction of them from a pool of
popular URLs cited by many articles) for ``--duration`` seconds per phase:

* ``clean``: POST /v1/clean (offline: extraction, cleaning, rewriting);
* ``check uncached``: POST /v1/check of new articles (fresh URLs, ``deadline_ms`` generous enough
  that every check finishes within the request);
* ``check cached``: POST /v1/check of the same articles again: every answer comes from the store.

For each phase: requests, throughput (req/s), p50/p90/p99/max latency, errors (non-200 answers
and exceptions; must be 0), overall verdicts, links answered from the store, requests the fake
web received, and the CPU seconds of the service and of the clients. Then "ten editors checking
the same article make one request per URL": 10 clients post one new article (with repeated
links) at once, and the fake web's request count must equal its number of distinct URLs. Last,
the service's peak memory (``VmHWM`` from ``/proc/<pid>/status``, and its own ``ru_maxrss`` at
exit).

Nothing is asserted: the script prints ``OK``/``MISMATCH`` and the error count, and exits 0
whatever the figures are, unless it is misused. See ``benchmarks/README.md`` and
``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
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
import secrets
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx

import citecheck

# The fake web's child process and its answer are bench_check's (``--server process``).
from bench_check import ServerStats, _child_main as fakeweb_main

#: Requests of the "ten editors" check.
EDITORS = 10
#: Seconds to wait for a child process to start or stop.
START_TIMEOUT = 60.0


# ---------------------------------------------------------------------------------------------
# Child processes
# ---------------------------------------------------------------------------------------------


def proc_status(pid: int) -> dict[str, float]:
    """``VmRSS`` and ``VmHWM`` (MB) of a process, from ``/proc`` (empty elsewhere)."""
    figures: dict[str, float] = {}
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                figures[key] = int(value.split()[0]) / 1024  # kB
    return figures


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far, from ``/proc`` (0 elsewhere)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


class FakeWebProcess:
    """bench_check's ``FakeWeb`` child, driven over a pipe; its pid is known for CPU figures."""

    def __init__(self, conn: multiprocessing.connection.Connection, ports: list[int], pid: int) -> None:
        self._conn = conn
        self.ports = ports
        self.pid = pid

    def stats(self) -> ServerStats:
        self._conn.send("stats")
        summary: dict[str, Any] = self._conn.recv()
        return ServerStats.from_summary(summary)


@contextlib.contextmanager
def fakeweb_process(hosts: int, latency: float) -> Iterator[FakeWebProcess]:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=fakeweb_main, args=(child, hosts, latency), name="fakeweb", daemon=True)
    process.start()
    try:
        if not parent.poll(START_TIMEOUT):
            raise RuntimeError("the FakeWeb child process did not start in time")
        ports: list[int] = parent.recv()
        assert process.pid is not None
        yield FakeWebProcess(parent, ports, process.pid)
    finally:
        with contextlib.suppress(OSError):
            parent.send("stop")
        _reap(process)
        parent.close()


def _reap(process: multiprocessing.process.BaseProcess) -> None:
    process.join(15)
    if process.is_alive():
        process.kill()
        process.join(5)


def service_main(
    conn: multiprocessing.connection.Connection, store: str, token: str, concurrency: int, profile_top: int
) -> None:
    """Child process: serve the app with uvicorn until the parent says stop, then report usage."""
    import uvicorn

    from citecheck.core.config import Config
    from citecheck.server.app import ServiceSettings, create_app

    config = Config(allow_networks=("127.0.0.0/8",), store=store, concurrency=concurrency)
    app = create_app(config, ServiceSettings(token=token))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))

    def wait_for_stop() -> None:
        with contextlib.suppress(EOFError, OSError):
            conn.recv()
        server.should_exit = True  # uvicorn's main loop looks at it every 0.1 s

    threading.Thread(target=wait_for_stop, name="stop", daemon=True).start()
    conn.send(sock.getsockname()[1])
    profile = cProfile.Profile() if profile_top else None
    if profile is not None:
        profile.enable()
    try:
        server.run(sockets=[sock])
    finally:
        text = ""
        if profile is not None:
            profile.disable()
            stream = io.StringIO()
            pstats.Stats(profile, stream=stream).sort_stats("tottime").print_stats(profile_top)
            text = stream.getvalue()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        with contextlib.suppress(OSError):
            conn.send(
                {
                    "maxrss_mb": usage.ru_maxrss / 1024,  # KiB on Linux
                    "cpu_seconds": usage.ru_utime + usage.ru_stime,
                    "profile": text,
                }
            )


@dataclass(slots=True)
class ServiceProcess:
    pid: int
    base_url: str
    token: str
    conn: multiprocessing.connection.Connection
    #: What the child said at exit (``maxrss_mb``, ``cpu_seconds``, ``profile``), once stopped.
    exit_report: dict[str, Any] = field(default_factory=dict)


@contextlib.contextmanager
def service_process(store: str, concurrency: int, profile_top: int) -> Iterator[ServiceProcess]:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    token = secrets.token_urlsafe(24)
    process = context.Process(
        target=service_main, args=(child, store, token, concurrency, profile_top), name="citecheck-serve", daemon=True
    )
    process.start()
    service: ServiceProcess | None = None
    try:
        if not parent.poll(START_TIMEOUT):
            raise RuntimeError("the service child process did not start in time")
        port: int = parent.recv()
        assert process.pid is not None
        service = ServiceProcess(process.pid, f"http://127.0.0.1:{port}", token, parent)
        _wait_healthy(service.base_url)
        yield service
    finally:
        with contextlib.suppress(OSError):
            parent.send("stop")
        with contextlib.suppress(OSError, EOFError):
            if parent.poll(30) and service is not None:
                service.exit_report = parent.recv()
        _reap(process)
        parent.close()


def _wait_healthy(base_url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            if httpx.get(base_url + "/healthz", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the service did not answer /healthz in time")
        time.sleep(0.1)


# ---------------------------------------------------------------------------------------------
# Articles
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Article:
    body: bytes
    #: The cleaned URLs it cites, as the service checks them.
    urls: frozenset[str]


class Articles:
    """Markdown articles whose links point at the fake web; each a function of its name."""

    def __init__(self, ports: Sequence[int], links: int, shared: float, pool: int, seed: int) -> None:
        self.ports = ports
        self.links = links
        self.shared = min(round(links * shared), pool)
        self.pool = pool
        self.seed = seed

    def url(self, host_seed: int, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[host_seed % len(self.ports)]}{path}"

    def make(self, name: str, *, repeats: int = 0, deadline_ms: int | None = None, shared: bool = True) -> Article:
        """Article ``name``: its own URLs plus some of the shared pool; ``repeats`` links cited twice."""
        rng = random.Random(f"{self.seed}/{name}")
        pooled = self.shared if shared else 0
        own = self.links - pooled - repeats
        urls = [self.url(rng.randrange(1 << 30), f"/{name}/{i}.pdf") for i in range(own)]
        urls += [self.url(j, f"/shared/{j}.pdf") for j in rng.sample(range(self.pool), pooled)]
        rng.shuffle(urls)
        cited = urls + [urls[i % len(urls)] for i in range(repeats)] if urls else []
        lines = [f"# Article {name}\n"]
        for i, url in enumerate(cited):
            lines.append(
                f"Paragraph {i} of the story, as [reported by source {i}]({url}?utm_source=x&utm_medium=email"
                f"&utm_campaign=c{i}) last week, with some prose around the link so the text is not only links.\n"
            )
        body: dict[str, Any] = {"content": "\n".join(lines), "format": "markdown"}
        if deadline_ms is not None:
            body["deadline_ms"] = deadline_ms
        return Article(json.dumps(body).encode(), frozenset(urls))


# ---------------------------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Phase:
    name: str
    path: str
    clients: int
    requests: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0
    requests_per_second: float = 0.0
    mean_ms: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    #: Overall verdicts of /v1/check answers (``incomplete`` means a deadline was missed).
    verdicts: dict[str, int] = field(default_factory=dict)
    links: int = 0
    links_from_store: int = 0
    links_http_200: int = 0
    distinct_urls: int = 0
    web_requests: int = 0
    web_errors: int = 0
    service_cpu_seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    fakeweb_cpu_seconds: float = 0.0
    service_rss_mb: float = 0.0


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class Load:
    """Clients posting to one service, and the figures of a phase."""

    def __init__(self, service: ServiceProcess, web: FakeWebProcess, clients: int) -> None:
        self.service = service
        self.web = web
        self.clients = clients
        headers = {"Authorization": f"Bearer {service.token}", "Content-Type": "application/json"}
        limits = httpx.Limits(max_connections=max(clients, EDITORS), max_keepalive_connections=max(clients, EDITORS))
        self.client = httpx.AsyncClient(
            base_url=service.base_url, headers=headers, limits=limits, timeout=httpx.Timeout(180.0), trust_env=False
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def post(self, phase: Phase, body: bytes, latencies: list[float]) -> None:
        started = time.perf_counter()
        try:
            response = await self.client.post(phase.path, content=body)
            answer = response.json() if response.status_code == 200 else None
        except Exception as exc:  # any failure counts as an error of the service under load
            self._error(phase, f"{type(exc).__name__}: {exc}")
            return
        latencies.append(time.perf_counter() - started)
        if answer is None:
            self._error(phase, f"HTTP {response.status_code}: {response.text[:200]}")
            return
        phase.requests += 1
        if "verdict" in answer:
            phase.verdicts[answer["verdict"]] = phase.verdicts.get(answer["verdict"], 0) + 1
            for link in answer["links"]:
                phase.links += 1
                online = link["online"] or {}
                phase.links_from_store += bool(online.get("from_cache"))
                phase.links_http_200 += online.get("http_status") == 200
        else:
            phase.links += len(answer["urls"])

    @staticmethod
    def _error(phase: Phase, message: str) -> None:
        phase.errors += 1
        if len(phase.error_samples) < 5:
            phase.error_samples.append(message)

    async def run(
        self, phase: Phase, next_article: Callable[[], Article | None], duration: float | None, clients: int
    ) -> Phase:
        """``clients`` workers post articles until ``duration`` is over or the articles run out."""
        latencies: list[float] = []
        urls: set[str] = set()
        before = self._counters()
        started = time.perf_counter()
        stop = started + duration if duration is not None else math.inf

        async def worker() -> None:
            while time.perf_counter() < stop:
                article = next_article()
                if article is None:
                    return
                urls.update(article.urls)
                await self.post(phase, article.body, latencies)

        await asyncio.gather(*(worker() for _ in range(clients)))
        phase.wall_seconds = time.perf_counter() - started
        after = self._counters()
        ordered = sorted(latencies)
        phase.requests_per_second = phase.requests / phase.wall_seconds if phase.wall_seconds else 0.0
        phase.mean_ms = sum(ordered) / len(ordered) * 1000 if ordered else 0.0
        phase.p50_ms = percentile(ordered, 50) * 1000
        phase.p90_ms = percentile(ordered, 90) * 1000
        phase.p99_ms = percentile(ordered, 99) * 1000
        phase.max_ms = (ordered[-1] if ordered else 0.0) * 1000
        phase.distinct_urls = len(urls)
        phase.web_requests = after.web.requests - before.web.requests
        phase.web_errors = after.web.errors - before.web.errors
        phase.service_cpu_seconds = after.service_cpu - before.service_cpu
        phase.client_cpu_seconds = after.client_cpu - before.client_cpu
        phase.fakeweb_cpu_seconds = after.fakeweb_cpu - before.fakeweb_cpu
        phase.service_rss_mb = proc_status(self.service.pid).get("VmRSS", 0.0)
        return phase

    def _counters(self) -> _Counters:
        return _Counters(self.web.stats(), proc_cpu(self.service.pid), time.process_time(), proc_cpu(self.web.pid))


@dataclass(frozen=True, slots=True)
class _Counters:
    web: ServerStats
    service_cpu: float
    client_cpu: float
    fakeweb_cpu: float


def cycle(articles: Sequence[Article], limit: int | None = None) -> Callable[[], Article | None]:
    """The articles in turn, round and round (at most ``limit`` in all)."""
    position = 0

    def take() -> Article | None:
        nonlocal position
        if limit is not None and position >= limit:
            return None
        article = articles[position % len(articles)]
        position += 1
        return article

    return take


@dataclass(slots=True)
class Editors:
    """The "ten editors checking the same article" check."""

    editors: int
    links: int
    distinct_urls: int
    web_requests: int
    errors: int
    verdicts: dict[str, int]
    wall_ms: float

    @property
    def one_per_url(self) -> bool:
        return self.web_requests == self.distinct_urls


async def benchmark(
    args: argparse.Namespace, service: ServiceProcess, web: FakeWebProcess, say: Callable[[str], None]
) -> tuple[list[Phase], Editors]:
    articles = Articles(web.ports, args.links, args.shared, args.pool, args.seed)
    load = Load(service, web, args.clients)
    phases: list[Phase] = []

    async def phase(name: str, path: str, take: Callable[[], Article | None], duration: float | None) -> Phase:
        say(f"  {name} ...")
        result = await load.run(Phase(name, path, args.clients), take, duration, args.clients)
        phases.append(result)
        return result

    try:
        cleans = [articles.make(f"c{k}") for k in range(200)]
        # Warm-up (not counted): the first requests build per-host profiles, connections, etc.
        await load.run(Phase("warm-up", "/v1/clean", args.clients), cycle(cleans, 2 * args.clients), None, args.clients)
        await phase("clean", "/v1/clean", cycle(cleans), args.duration)

        checked: list[Article] = []

        def fresh() -> Article:
            article = articles.make(f"u{len(checked)}", deadline_ms=args.deadline_ms)
            checked.append(article)
            return article

        await phase("check uncached", "/v1/check", fresh, args.duration)
        await phase("check cached", "/v1/check", cycle(checked), args.duration)
        editors = await ten_editors(load, articles, args)
    finally:
        await load.aclose()
    return phases, editors


async def ten_editors(load: Load, articles: Articles, args: argparse.Namespace) -> Editors:
    """10 clients post the same new article at once: one request per distinct URL must reach the web."""
    repeats = max(1, args.links // 6)
    # Only new URLs (none of the shared pool, which the store already knows), some cited twice.
    article = articles.make("same", repeats=repeats, deadline_ms=args.deadline_ms, shared=False)
    probe = Phase("ten editors", "/v1/check", EDITORS)
    before = load.web.stats().requests
    started = time.perf_counter()
    latencies: list[float] = []
    posts: list[Awaitable[None]] = [load.post(probe, article.body, latencies) for _ in range(EDITORS)]
    await asyncio.gather(*posts)
    wall = time.perf_counter() - started
    # Checks that missed a deadline go on in the background; give them time to reach the web.
    await asyncio.sleep(args.latency_ms / 1000 * 3 + 0.2)
    requests = load.web.stats().requests - before
    return Editors(
        editors=EDITORS,
        links=args.links,
        distinct_urls=len(article.urls),
        web_requests=requests,
        errors=probe.errors,
        verdicts=probe.verdicts,
        wall_ms=wall * 1000,
    )


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def report_phase(p: Phase, args: argparse.Namespace, say: Callable[[str], None]) -> None:
    say(f"\n== {p.name}: POST {p.path}, {p.clients} clients, {args.links} links an article")
    say(
        f"  {p.requests:,} requests in {p.wall_seconds:.1f} s -> {p.requests_per_second:,.1f} req/s "
        f"({p.requests_per_second * args.links:,.0f} links/s)"
    )
    say(
        f"  latency ms: p50 {p.p50_ms:.1f} | p90 {p.p90_ms:.1f} | p99 {p.p99_ms:.1f} | max {p.max_ms:.1f} | "
        f"mean {p.mean_ms:.1f}"
    )
    say(f"  errors: {p.errors}" + ("" if not p.error_samples else f"  e.g. {p.error_samples[0]}"))
    if p.verdicts:
        incomplete = p.verdicts.get("incomplete", 0)
        say(
            f"  verdicts: {', '.join(f'{k} {v:,}' for k, v in sorted(p.verdicts.items()))}"
            f"{'  (INCOMPLETE answers: a deadline was missed)' if incomplete else ''} | links {p.links:,}: "
            f"{p.links_http_200:,} with HTTP 200, {p.links_from_store:,} from the store"
        )
        say(
            f"  fake web: {p.web_requests:,} requests for {p.distinct_urls:,} distinct URLs "
            f"({p.web_requests / max(p.distinct_urls, 1):.3f}/URL, {p.web_requests / p.wall_seconds:,.0f}/s), "
            f"{p.web_errors} handler errors"
            + (f" | {p.web_requests - p.distinct_urls} URL checks repeated" if p.web_requests > p.distinct_urls else "")
        )
    cpu_line = (
        f"  CPU: service {p.service_cpu_seconds:.1f} s ({p.service_cpu_seconds / p.wall_seconds:.0%} of a core, "
        f"{p.service_cpu_seconds * 1000 / max(p.requests, 1):.1f} ms/request) | clients "
        f"{p.client_cpu_seconds:.1f} s ({p.client_cpu_seconds / p.wall_seconds:.0%}) | fake web "
        f"{p.fakeweb_cpu_seconds:.1f} s | service RSS after {p.service_rss_mb:.1f} MB"
    )
    say(cpu_line)


def network_bound(args: argparse.Namespace, p: Phase) -> str:
    """The best /v1/check rate the checker's global limit allows for this phase's URLs."""
    per_second = args.concurrency / (args.latency_ms / 1000) if args.latency_ms > 0 else math.inf
    fresh_per_request = p.web_requests / max(p.requests, 1)
    best = per_second / fresh_per_request if fresh_per_request else math.inf
    return (
        f"  network bound: concurrency {args.concurrency} / latency {args.latency_ms:g} ms = {per_second:,.0f} "
        f"URL checks/s; at {fresh_per_request:.1f} fresh URLs a request -> at most {best:,.1f} req/s "
        f"(reached {p.requests_per_second / best:.0%})"
    )


def machine() -> dict[str, Any]:
    import starlette
    import uvicorn

    return {
        "citecheck": citecheck.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "httpx": httpx.__version__,
        "starlette": starlette.__version__,
        "uvicorn": uvicorn.__version__,
    }


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=positive_int, default=20, help="concurrent clients (default 20)")
    parser.add_argument("--links", type=positive_int, default=30, help="links per article (default 30)")
    parser.add_argument("--hosts", type=positive_int, default=20, help="fake hosts (ports) (default 20)")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="fake web latency per request (default 50)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per phase (default 10)")
    parser.add_argument(
        "--shared", type=float, default=0.2, help="fraction of an article's links from the shared pool (default 0.2)"
    )
    parser.add_argument("--pool", type=positive_int, default=100, help="URLs in the shared pool (default 100)")
    parser.add_argument(
        "--deadline-ms", type=int, default=60_000, help="deadline_ms of every /v1/check (default 60000, the maximum)"
    )
    parser.add_argument(
        "--concurrency", type=positive_int, default=256, help="the service's checker concurrency (default 256)"
    )
    parser.add_argument("--seed", type=int, default=20240607, help="seed of the articles")
    parser.add_argument(
        "--profile-service", type=int, metavar="N", default=0, help="cProfile the service process, show top N"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on stdout (report on stderr)")
    args = parser.parse_args(argv)
    if args.latency_ms < 0:
        parser.error("--latency-ms must not be negative")
    if args.duration <= 0:
        parser.error("--duration must be positive")
    if not 0 <= args.shared <= 1:
        parser.error("--shared must be from 0 to 1")
    if not 0 <= args.deadline_ms <= 60_000:
        parser.error("--deadline-ms must be from 0 to 60000")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out: TextIO = sys.stderr if args.json else sys.stdout

    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    info = machine()
    say(
        f"citecheck {info['citecheck']} | Python {info['python']} | {info['platform']} | {info['cpus']} CPUs | "
        f"httpx {info['httpx']}, starlette {info['starlette']}, uvicorn {info['uvicorn']}"
    )
    say(
        f"{args.clients} clients, {args.links} links an article ({args.shared:.0%} from a pool of {args.pool}), "
        f"fake web: {args.hosts} hosts, {args.latency_ms:g} ms; service: 1 uvicorn process, "
        f"concurrency {args.concurrency}; {args.duration:g} s a phase"
    )
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        store = str(Path(tmp) / "store.sqlite3")
        with (
            fakeweb_process(args.hosts, args.latency_ms / 1000) as web,
            service_process(store, args.concurrency, args.profile_service) as service,
        ):
            phases, editors = asyncio.run(benchmark(args, service, web, say))
            memory = proc_status(service.pid)
        exit_report = service.exit_report
    for p in phases:
        report_phase(p, args, say)
        if p.name == "check uncached":
            say(network_bound(args, p))
    say(
        f"\n== {editors.editors} editors post the same article at once ({editors.links} links, "
        f"{editors.distinct_urls} distinct URLs)"
    )
    say(
        f"  fake web requests: {editors.web_requests} for {editors.distinct_urls} distinct URLs -> "
        f"{'OK: one request per URL' if editors.one_per_url else 'MISMATCH'} | errors {editors.errors} | "
        f"verdicts {editors.verdicts} | {editors.wall_ms:.0f} ms"
    )
    errors = sum(p.errors for p in phases) + editors.errors
    say(f"\nerrors (non-200 answers and exceptions), all phases: {errors} -> {'OK' if errors == 0 else 'NOT 0'}")
    say(
        f"service memory: peak VmHWM {memory.get('VmHWM', 0.0):.1f} MB, VmRSS at the end "
        f"{memory.get('VmRSS', 0.0):.1f} MB, ru_maxrss at exit {exit_report.get('maxrss_mb', 0.0):.1f} MB; "
        f"CPU at exit {exit_report.get('cpu_seconds', 0.0):.1f} s"
    )
    if exit_report.get("profile"):
        say("\nprofile of the service process, by own time:")
        say(exit_report["profile"])
    if args.json:
        document = {
            "machine": info,
            "settings": {k: v for k, v in vars(args).items() if k != "json"},
            "phases": [asdict(p) for p in phases],
            "editors": {**asdict(editors), "one_per_url": editors.one_per_url},
            "errors": errors,
            "service_memory_mb": {
                "vm_hwm": memory.get("VmHWM"),
                "vm_rss_end": memory.get("VmRSS"),
                "ru_maxrss": exit_report.get("maxrss_mb"),
            },
            "service_cpu_seconds": exit_report.get("cpu_seconds"),
        }
        print(json.dumps(document, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
