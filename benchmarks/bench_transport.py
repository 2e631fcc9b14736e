#!/usr/bin/env python3
"""Which HTTP stack to check links on: the same raw GETs through each candidate, in one run.

Run from the repository root with the package installed::

    python benchmarks/bench_transport.py                        # 5,000 GETs, 50 hosts, 200 in flight
    python benchmarks/bench_transport.py --urls 20000 --hosts 500 --in-flight 400

A ``FakeWeb`` (``tests/fakeweb.py``) in a child process answers every path of ``--hosts`` ports
of 127.0.0.1 with a 30 KB HTML page after ``--latency-ms``. Each stack sends one GET per URL,
reads the body and releases the connection; at most ``--in-flight`` requests run at once and at
most ``--per-host`` per host (the checker's own limits, applied the same way to every stack).
The stacks, all behind the private-address guard where the project offers one:

* ``httpx-shared``: one ``httpx.AsyncClient`` on httpx's own pool (``SafeAsyncTransport``),
  sized to hold a connection per slot, the way the checker used it before;
* ``httpx-per-host``: one small httpx pool per host (``SafeAsyncTransport`` each);
* ``aiohttp``: one ``httpx.AsyncClient`` on aiohttp's pool (``GuardedAiohttpTransport``), the
  default stack now;
* ``aiohttp-raw``: aiohttp's own client with no httpx layer (a floor, not a candidate: the
  project keeps httpx as its client API).

Printed per stack: wall time and its ratio to the ideal schedule, CPU milliseconds per request
(this process), connections the server saw. A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import multiprocessing.connection
import resource
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import aiohttp
import httpx

from citecheck.net.aiotransport import GuardedAiohttpTransport
from citecheck.net.guard import AddressPolicy, safe_transport

# tests/ is on mypy's path when it checks the project, not when it is given this file alone.
from fakeweb import FakeWeb, ok  # type: ignore[import-not-found, unused-ignore]

LOOPBACK = AddressPolicy.from_strings(allow_networks=["127.0.0.0/8"])
PAGE = b"<!doctype html><html><head><title>An article</title></head><body>" + b"<p>words " * 3000 + b"</body></html>"

Fetch = Callable[[str], Awaitable[int]]


def _child(conn: multiprocessing.connection.Connection, hosts: int, latency: float) -> None:
    async def serve() -> None:
        async with FakeWeb(hosts, fallback=ok(PAGE), latency=latency, max_seen=0) as web:
            conn.send(web.ports)
            loop = asyncio.get_running_loop()
            while await loop.run_in_executor(None, conn.recv) == "stats":
                conn.send(web.summary())

    asyncio.run(serve())


@contextlib.contextmanager
def server(hosts: int, latency: float) -> Iterator[tuple[list[int], multiprocessing.connection.Connection]]:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_child, args=(child, hosts, latency), daemon=True)
    process.start()
    try:
        if not parent.poll(30):
            raise RuntimeError("the fake web did not start")
        yield parent.recv(), parent
    finally:
        with contextlib.suppress(OSError):
            parent.send("stop")
        process.join(10)
        if process.is_alive():
            process.kill()


def connections(conn: multiprocessing.connection.Connection) -> int:
    conn.send("stats")
    summary: dict[str, Any] = conn.recv()
    return sum(int(host["connections"]) for host in summary["hosts"])


async def _read(client: httpx.AsyncClient, url: str) -> int:
    async with client.stream("GET", url) as response:
        async for _ in response.aiter_raw():
            pass
        return response.status_code


@contextlib.asynccontextmanager
async def httpx_shared(ports: Sequence[int], in_flight: int, per_host: int) -> AsyncIterator[Fetch]:
    limits = httpx.Limits(max_connections=in_flight * 8, max_keepalive_connections=in_flight * 8)
    async with httpx.AsyncClient(transport=safe_transport(LOOPBACK, limits=limits), trust_env=False) as client:
        yield lambda url: _read(client, url)


@contextlib.asynccontextmanager
async def httpx_per_host(ports: Sequence[int], in_flight: int, per_host: int) -> AsyncIterator[Fetch]:
    limits = httpx.Limits(max_connections=per_host, max_keepalive_connections=per_host)
    clients = {
        port: httpx.AsyncClient(transport=safe_transport(LOOPBACK, limits=limits), trust_env=False) for port in ports
    }
    try:
        yield lambda url: _read(clients[int(url.split(":")[2].split("/")[0])], url)
    finally:
        for client in clients.values():
            await client.aclose()


@contextlib.asynccontextmanager
async def aiohttp_under_httpx(ports: Sequence[int], in_flight: int, per_host: int) -> AsyncIterator[Fetch]:
    async with httpx.AsyncClient(transport=GuardedAiohttpTransport(LOOPBACK), trust_env=False) as client:
        yield lambda url: _read(client, url)


@contextlib.asynccontextmanager
async def aiohttp_transport_direct(ports: Sequence[int], in_flight: int, per_host: int) -> AsyncIterator[Fetch]:
    transport = GuardedAiohttpTransport(LOOPBACK)
    headers = httpx.Headers({"User-Agent": "bench", "Accept": "*/*", "Accept-Encoding": "gzip, deflate"})

    async def fetch(url: str) -> int:
        request = httpx.Request("GET", url, headers=headers)
        response = await transport.handle_async_request(request)
        try:
            async for _ in response.aiter_raw():
                pass
            return response.status_code
        finally:
            await response.aclose()

    async with transport:
        yield fetch


@contextlib.asynccontextmanager
async def aiohttp_raw(ports: Sequence[int], in_flight: int, per_host: int) -> AsyncIterator[Fetch]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), auto_decompress=False) as session:

        async def fetch(url: str) -> int:
            async with session.get(url) as response:
                async for _ in response.content.iter_any():
                    pass
                return response.status

        yield fetch


STACKS: dict[str, Callable[[Sequence[int], int, int], contextlib.AbstractAsyncContextManager[Fetch]]] = {
    "httpx-shared": httpx_shared,
    "httpx-per-host": httpx_per_host,
    "aiohttp": aiohttp_under_httpx,
    "aiohttp-direct": aiohttp_transport_direct,
    "aiohttp-raw": aiohttp_raw,
}


async def drive(fetch: Fetch, urls: Sequence[str], in_flight: int, per_host: int) -> int:
    """Send every URL with at most ``in_flight`` at once and ``per_host`` per host; count non-200s."""
    overall = asyncio.Semaphore(in_flight)
    hosts: dict[str, asyncio.Semaphore] = {}
    failures = 0

    async def one(url: str) -> None:
        nonlocal failures
        host = url.split("/")[2]
        gate = hosts.setdefault(host, asyncio.Semaphore(per_host))
        async with overall, gate:
            try:
                if await fetch(url) != 200:
                    failures += 1
            except (httpx.HTTPError, aiohttp.ClientError, OSError):
                failures += 1

    # Interleaved by host, as the checker's round robin feeds them.
    await asyncio.gather(*(one(url) for url in urls))
    return failures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--urls", type=int, default=5000)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--in-flight", type=int, default=200)
    parser.add_argument("--per-host", type=int, default=4)
    parser.add_argument("--stacks", default=",".join(STACKS), help="comma-separated, from: " + ", ".join(STACKS))
    args = parser.parse_args(argv)
    latency = args.latency_ms / 1000
    per_host_urls = -(-args.urls // args.hosts)
    ideal = latency * max(-(-per_host_urls // args.per_host), -(-args.urls // args.in_flight))
    print(f"{args.urls:,} GETs of a {len(PAGE) // 1024} KB page, {args.hosts} hosts, {args.latency_ms:g} ms,")
    print(f"{args.in_flight} in flight, {args.per_host} per host; ideal {ideal:.2f} s")
    print(f"{'stack':<16}{'wall s':>9}{'x ideal':>9}{'CPU ms/req':>12}{'conns':>8}{'failed':>8}")
    with server(args.hosts, latency) as (ports, conn):
        urls = [f"http://127.0.0.1:{ports[i % len(ports)]}/a/{i}" for i in range(args.urls)]
        for name in args.stacks.split(","):
            before = connections(conn)

            async def run(name: str = name) -> int:
                async with STACKS[name](ports, args.in_flight, args.per_host) as fetch:
                    return await drive(fetch, urls, args.in_flight, args.per_host)

            cpu = resource.getrusage(resource.RUSAGE_SELF)
            started = time.perf_counter()
            failed = asyncio.run(run())
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_SELF)
            cpu_ms = (after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime) * 1000 / args.urls
            opened = connections(conn) - before
            print(f"{name:<16}{wall:>9.2f}{wall / ideal:>9.2f}{cpu_ms:>12.2f}{opened:>8}{failed:>8}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
