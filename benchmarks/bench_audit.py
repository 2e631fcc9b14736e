#!/usr/bin/env python3
"""Benchmark ``citecheck audit`` in one process, on a local Dask cluster and on a Dask scheduler.

Run from the repository root with the package installed (``[distributed]`` for the Dask modes)::

    python benchmarks/bench_audit.py                         # 20,000 URLs, 200 hosts, 50 ms, three modes
    python benchmarks/bench_audit.py --urls 2000 --hosts 40  # a smoke run
    python benchmarks/bench_audit.py --modes one             # the one-process baseline only
    CITECHECK_BENCH_POSTGRES=postgresql://user@db:5432/bench python benchmarks/bench_audit.py
    python benchmarks/bench_audit.py --json > figures.json   # report on stderr, JSON on stdout

A ``FakeWeb`` (``tests/fakeweb.py``) in a thread of this process serves ``--hosts`` news sites,
each on its own loopback address (127.0.0.1, 127.0.0.2, ...; Linux, where all of 127/8 is
loopback; ``--addresses shared`` puts them all on 127.0.0.1). Every cited URL is an article path
that answers, after ``--latency`` seconds, a small HTML article (about 6 KB: title, meta tags,
canonical link, prose); any other path (the soft-404 probe) answers a 404 page. The URLs (all
distinct, on seeded-random hosts) go to a temporary URL list, and each mode runs the CLI as a
subprocess of this script, with the project's default limits (a newcomer's run)::

    python -m citecheck audit URLS --isolated --allow-network 127.0.0.0/8 --format jsonl
        --store STORE --max-age 0 --quiet [--workers 2 | --scheduler tcp://127.0.0.1:PORT]

``--max-age 0`` makes sure no mode reuses another's results. The modes: ``one`` (one process),
``workers`` (``--workers 2``: a local Dask cluster the CLI starts) and ``scheduler`` (a
``dask scheduler`` and two ``dask worker --no-nanny --nthreads 64`` processes this script starts
before the run and stops after it). A mode that fails (e.g. before the Dask engine exists:
"unrecognized arguments") is reported with the tail of its stderr, and the others still run.

The store: ``--store DSN`` or ``CITECHECK_BENCH_POSTGRES`` (a ``postgresql://`` DSN; with
``psycopg`` importable each mode gets a fresh database, created and dropped here, otherwise
every mode uses the DSN as given), else a fresh SQLite file per mode, whose size per stored row
is reported.

Per mode: wall time of the CLI process (start to exit, Python start-up and cluster start-up
included), records written and verdicts, requests the fake web served (per URL), the largest
number of requests one host served at once (max over hosts) against ``host_concurrency``, and
CPU per URL. **What the CPU counts**: user + system time of every process descended from this
script during the mode -- the CLI process, the workers and nannies a local cluster starts, and
the scheduler and workers started for ``scheduler`` -- read from ``/proc/PID/stat`` every
0.2 s (so up to 0.2 s per process is missed at its very end); the scheduler's share is shown
apart. ``getrusage(RUSAGE_CHILDREN)`` around the mode is reported too: it counts only
descendants that were waited for. The fake web runs in this process and is counted by neither.
Ratios are against the one-process mode of the same run. The script exits 0 whatever the
figures are (2 for a bad command line).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import citecheck
from citecheck.core.defaults import HOST_CONCURRENCY

# tests/ is on mypy's path when it checks the project, not when it is given this file alone.
from fakeweb import FakeWeb, Request, Response  # type: ignore[import-not-found, unused-ignore]

MODES = ("one", "workers", "scheduler")
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PROSE = (
    "The council met on Tuesday to vote on the budget for the coming year. Members argued over the "
    "cost of repairs to the river bridge, the new school on the east side and the museum, which "
    "reopens in the spring after two years of work. The mayor said the plan kept taxes flat. "
)
_ARTICLE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | The Example Courier</title>
<meta name="description" content="{title}: what the council decided, and what it costs.">
<meta property="og:title" content="{title}"><meta property="og:type" content="article">
<link rel="canonical" href="{path}"><link rel="stylesheet" href="/static/site.css">
</head><body><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<article><h1>{title}</h1><p class="byline">By A. Reporter, 12 May 2024</p>
{prose}</article><footer>&copy; The Example Courier</footer></body></html>
"""
_NOT_FOUND = b"<!DOCTYPE html><html><head><title>Page not found</title></head><body><h1>Not found</h1></body></html>"


def article_site(latency: float) -> Any:
    """The handler of every host: articles under ``/news/``, a 404 page elsewhere."""
    prose = "".join(f"<p>{_PROSE}</p>\n" for _ in range(12))

    async def handler(request: Request) -> Response:
        import asyncio

        await asyncio.sleep(latency)
        if not request.path.startswith("/news/"):
            return Response(404, [("Content-Type", "text/html; charset=utf-8")], _NOT_FOUND)
        title = request.path.rsplit("/", 1)[-1].replace("-", " ").capitalize()
        body = _ARTICLE.format(title=title, path=request.path, prose=prose).encode()
        return Response(200, [("Content-Type", "text/html; charset=utf-8")], body)

    return handler


def cited_urls(web: FakeWeb, count: int, seed: int) -> Iterator[str]:
    rng = random.Random(seed)
    words = ("council", "budget", "vote", "river", "bridge", "school", "museum", "mayor", "plan", "rail", "flood")
    for i in range(count):
        host = rng.randrange(len(web.hosts))
        slug = "-".join(rng.sample(words, 3))
        yield web.url(host, f"/news/2024/{1 + i % 12:02d}/{slug}-{i}")


# -- CPU of the process tree ------------------------------------------------------------------------


class TreeCPU:
    """Polls ``/proc`` for every descendant of this process and keeps each one's last CPU seconds."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.seen: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-cpu", daemon=True)
        self.available = Path("/proc/self/stat").exists()

    def __enter__(self) -> TreeCPU:
        if self.available:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self.available:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        parents: dict[int, int] = {}
        cpu: dict[int, float] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text()
                fields = stat[stat.rindex(")") + 2 :].split()
                parents[int(entry.name)] = int(fields[1])
                cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / _TICK
        me = os.getpid()
        for pid in cpu:
            ancestor, hops = parents.get(pid, 0), 0
            while ancestor not in (0, 1, me) and hops < 64:
                ancestor, hops = parents.get(ancestor, 0), hops + 1
            if ancestor == me and pid != me:
                role = self.seen.get(pid, ("", 0.0))[0] or _role(pid)
                self.seen[pid] = (role, cpu[pid])

    def total(self, role: str | None = None) -> float:
        return sum(seconds for name, seconds in self.seen.values() if role is None or name == role)


def _role(pid: int) -> str:
    with contextlib.suppress(OSError):
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        if "dask_scheduler" in command or "dask scheduler" in command:
            return "scheduler"
        if "dask_worker" in command or "dask worker" in command:
            return "worker"
    return "audit"


# -- one mode ----------------------------------------------------------------------------------------


@dataclass
class ModeResult:
    mode: str
    ok: bool
    wall: float = 0.0
    exit_code: int | None = None
    records: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    requests_per_url: float = 0.0
    max_in_flight_per_host: int = 0
    cpu_seconds: float = 0.0
    cpu_scheduler_seconds: float = 0.0
    cpu_rusage_children: float = 0.0
    cpu_ms_per_url: float = 0.0
    store_bytes: int | None = None
    store_rows: int | None = None
    store_kind: str = "SQLite"
    stderr_tail: str = ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def dask_cluster(env: dict[str, str], workdir: Path, workers: int = 2) -> Iterator[str]:
    """A ``dask scheduler`` and ``workers`` single-threaded ``dask worker`` processes, stopped after."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    python = [sys.executable, "-m"]
    log = (workdir / "dask.log").open("wb")
    started = [
        subprocess.Popen(
            [*python, "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            env=env,
            stdout=log,
            stderr=log,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline or started[0].poll() is not None:
                raise RuntimeError("the dask scheduler did not start (see dask.log)")
            time.sleep(0.2)
        for _ in range(workers):
            worker = [address, "--no-nanny", "--nthreads", "64", "--no-dashboard", "--local-directory", str(workdir)]
            started.append(
                subprocess.Popen([*python, "distributed.cli.dask_worker", *worker], env=env, stdout=log, stderr=log)
            )
        from distributed import Client

        with Client(address, timeout=60) as client:  # type: ignore[no-untyped-call, unused-ignore]
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for process in reversed(started):
            _stop(process)
        log.close()


def fresh_postgres(dsn: str, name: str) -> Iterator[str]:
    """A database of its own for one mode, if ``psycopg`` can create it; else the DSN as given."""
    try:
        import psycopg  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        yield dsn
        return
    parts = urlsplit(dsn)
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path="/" + name))
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_size(dsn: str) -> tuple[int | None, int | None]:
    """The checks table's size on disk (heap, TOAST and indexes) and its rows."""
    try:
        import psycopg
    except ImportError:
        return None, None
    with psycopg.connect(dsn) as db:
        row = db.execute("SELECT pg_total_relation_size('checks'), (SELECT count(*) FROM checks)").fetchone()
    return (int(row[0]), int(row[1])) if row is not None else (None, None)


def sqlite_size(path: Path) -> tuple[int, int | None]:
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    rows = None
    with contextlib.suppress(sqlite3.Error), contextlib.closing(sqlite3.connect(path)) as db:
        rows = int(db.execute("SELECT count(*) FROM checks").fetchone()[0])
    return size, rows


def run_mode(mode: str, web: FakeWeb, urls_file: Path, count: int, store: str | None, workdir: Path) -> ModeResult:
    """Run the CLI once in ``mode``; measure it."""
    env = dict(os.environ)
    source = str(Path(citecheck.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (source, env.get("PYTHONPATH")) if p)
    env.setdefault("DASK_DISTRIBUTED__WORKER__DAEMON", "False")
    out_path, err_path = workdir / f"{mode}.jsonl", workdir / f"{mode}.stderr"
    sqlite_path = workdir / f"{mode}.sqlite3"
    result = ModeResult(mode, ok=False)
    web.reset_stats()
    with contextlib.ExitStack() as stack:
        try:
            if store is None:
                target = str(sqlite_path)
            elif store.startswith("postgres"):
                dsn = contextlib.contextmanager(fresh_postgres)(store, f"citecheck_bench_{mode}_{os.getpid()}")
                target = stack.enter_context(dsn)
            else:
                target = store
            cpu_before = _children_cpu()
            tree = stack.enter_context(TreeCPU())
            extra: list[str] = []
            if mode == "workers":
                extra = ["--workers", "2"]
            elif mode == "scheduler":
                extra = ["--scheduler", stack.enter_context(dask_cluster(env, workdir))]
            command = [sys.executable, "-m", "citecheck", "audit", str(urls_file), "--isolated"]
            command += ["--allow-network", "127.0.0.0/8", "--format", "jsonl", "--store", target]
            command += ["--max-age", "0", "--quiet", *extra]
            with out_path.open("wb") as out, err_path.open("wb") as err:
                started = time.perf_counter()
                code = subprocess.run(command, stdout=out, stderr=err, env=env, check=False).returncode
                result.wall = time.perf_counter() - started
            if target.startswith("postgres"):
                result.store_bytes, result.store_rows = postgres_size(target)
                result.store_kind = "PostgreSQL"
        except Exception as error:  # a mode that cannot even start is reported, not fatal
            result.stderr_tail = f"{type(error).__name__}: {error}"
            return result
    tree.sample()  # too late for exited processes; the poller kept their last figures
    result.exit_code = code
    result.cpu_seconds = tree.total()
    result.cpu_scheduler_seconds = tree.total("scheduler")
    result.cpu_rusage_children = _children_cpu() - cpu_before
    result.cpu_ms_per_url = 1000 * result.cpu_seconds / count
    result.requests = web.requests
    result.requests_per_url = web.requests / count
    result.max_in_flight_per_host = max(h.max_in_flight for h in web.hosts)
    verdicts: Counter[str] = Counter()
    with out_path.open(encoding="utf-8") as lines:
        for line in lines:
            with contextlib.suppress(ValueError, KeyError, TypeError):
                verdicts[json.loads(line)["verdict"]] += 1
    result.records = sum(verdicts.values())
    result.verdicts = dict(verdicts)
    result.ok = code in (0, 1) and result.records == count
    tail = err_path.read_text("utf-8", errors="replace").strip().splitlines()[-8:]
    result.stderr_tail = "\n".join(tail)
    if store is None and sqlite_path.exists():
        result.store_bytes, result.store_rows = sqlite_size(sqlite_path)
    return result


# -- the report ----------------------------------------------------------------------------------------


def report(results: list[ModeResult], count: int, hosts: int, latency: float) -> None:
    def say(text: str) -> None:
        print(text, file=sys.stderr)

    say(f"citecheck {citecheck.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    say(
        f"{count:,} URLs over {hosts} hosts, {latency * 1000:.0f} ms latency, "
        f"host_concurrency {HOST_CONCURRENCY.default}"
    )
    base = next((r for r in results if r.mode == "one" and r.ok), None)
    for r in results:
        say(f"\n== {r.mode}")
        if not r.ok:
            say(f"FAILED (exit {r.exit_code}, {r.records} records); stderr tail:")
            say("  " + r.stderr_tail.replace("\n", "\n  "))
            continue
        ratio = f" ({r.wall / base.wall:.2f}x one process)" if base is not None else ""
        say(f"wall               {r.wall:.2f} s{ratio}, {count / r.wall:,.0f} URLs/s")
        say(f"records            {r.records:,}  {dict(sorted(r.verdicts.items()))}")
        say(f"fake web requests  {r.requests:,} ({r.requests_per_url:.3f}/URL)")
        limit = "OK" if r.max_in_flight_per_host <= HOST_CONCURRENCY.default else "VIOLATION"
        say(f"max in flight/host {r.max_in_flight_per_host} (limit {HOST_CONCURRENCY.default}: {limit})")
        cpu_ratio = f" ({r.cpu_ms_per_url / base.cpu_ms_per_url:.2f}x one process)" if base else ""
        say(
            f"CPU                {r.cpu_seconds:.1f} s, {r.cpu_ms_per_url:.3f} ms/URL{cpu_ratio}; "
            f"scheduler {r.cpu_scheduler_seconds:.1f} s; RUSAGE_CHILDREN {r.cpu_rusage_children:.1f} s"
        )
        if r.store_bytes is not None and r.store_rows:
            say(
                f"{r.store_kind + ' store':<19}{r.store_bytes:,} bytes, {r.store_rows:,} rows, "
                f"{r.store_bytes / r.store_rows:.0f} B/row"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--urls", type=int, default=20_000, help="distinct URLs (default %(default)s)")
    parser.add_argument("--hosts", type=int, default=200, help="fake hosts (default %(default)s)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request (default %(default)s)")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated subset of " + ",".join(MODES))
    parser.add_argument("--store", default=os.environ.get("CITECHECK_BENCH_POSTGRES"), help="store DSN or path")
    parser.add_argument("--addresses", choices=("distinct", "shared"), default="distinct")
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--json", action="store_true", help="JSON on stdout")
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    if unknown := set(modes) - set(MODES):
        parser.error(f"unknown modes: {', '.join(sorted(unknown))}")
    addresses = None if args.addresses == "shared" else [f"127.0.{i // 254}.{1 + i % 254}" for i in range(args.hosts)]
    workdir = Path(tempfile.mkdtemp(prefix="bench-audit-"))
    try:
        with FakeWeb.threaded(args.hosts, fallback=article_site(args.latency), max_seen=0, addresses=addresses) as web:
            urls_file = workdir / "urls.txt"
            urls_file.write_text("".join(u + "\n" for u in cited_urls(web, args.urls, args.seed)), "utf-8")
            results = [run_mode(mode, web, urls_file, args.urls, args.store, workdir) for mode in modes]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report(results, args.urls, args.hosts, args.latency)
    if args.json:
        settings = {"urls": args.urls, "hosts": args.hosts, "latency": args.latency}
        json.dump({"settings": settings, "modes": [asdict(r) for r in results]}, sys.stdout, indent=1)
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
