#!/usr/bin/env python3
"""Benchmark :meth:`citecheck.check.AsyncLinkChecker.check_many` against a local fake web, and lychee.

Run from the repository root with the package installed::

    python benchmarks/bench_check.py                       # 5,000 article URLs over 50 hosts, 100 ms latency
    python benchmarks/bench_check.py --scale               # 5,000, 20,000 and 50,000 URLs over 500 hosts
    python benchmarks/bench_check.py --workload pdf        # the old workload: every URL a tiny PDF
    python benchmarks/bench_check.py --no-lychee --urls 2000 --timeout-run 120
    python benchmarks/bench_check.py --json > figures.json  # report on stderr, JSON on stdout

A ``FakeWeb`` (``tests/fakeweb.py``) listens on ``--hosts`` sockets, each a "host" on its own
loopback address (127.0.0.1, 127.0.0.2, ...; ``--addresses shared`` puts them all on 127.0.0.1),
and answers after ``--latency-ms`` of simulated network time. The default workload (``html``)
makes every host a news site: each cited URL is an article path (``/2019/04/some-slug-123``)
that answers a 20-60 KB HTML page (a ``<head>`` with title, meta tags, canonical link, styles
and scripts, then paragraphs), except 5 % that answer 404 (an HTML "not found" page) and 5 %
that answer 301 to another article of the same host. Any other path, such as the checker's
soft-404 probe, gets a real 404. ``--workload pdf`` answers every path with a tiny
``200 application/pdf`` instead. Every URL is distinct, on a seeded-random host by default
(``--order``), and fed to ``check_many`` lazily, from a generator. The checker runs with the
default ``NetworkOptions``, except ``allow_networks=("127.0.0.0/8",)`` (the fake hosts are
loopback addresses) and whatever ``--concurrency``, ``--host-concurrency`` or ``--timeout``
sets explicitly. The server runs in a child process by default (``--server thread``: a thread).

If ``lychee`` is on PATH (or given with ``--lychee PATH``), it checks the same URLs (from a
temporary text file, with its defaults plus ``--no-progress`` and JSON output) against the same
server right after citecheck (server counters reset in between), and the two are shown side by
side. ``--scale`` runs 5,000, 20,000 and 50,000 URLs over 500 hosts, for the memory question;
``--timeout-run S`` cuts each run off after S seconds.

For each size the report gives, all measured in the same run:

* wall time against the ideal schedule for the checker's limits, counting every cited URL and
  every redirect hop as one request of ``latency``:
  ``latency * max(max over hosts ceil(requests_on_host / host_limit),
  ceil(requests / global_limit), longest chain)``, and the ratio wall / ideal (target: 1.5x);
* server requests per URL and per URL-and-hop (target: at most 1.05), connections;
* URLs per second and the CPU time of this process per URL (target: under 1 ms);
* the largest number of requests the server saw in flight at once, per host (max over hosts)
  and over all hosts, against the limits: OK or VIOLATION;
* memory: ``ru_maxrss``, RSS and GC-tracked objects right after the last result, and optionally
  (``--trace``) the ``tracemalloc`` peak and what is still allocated at the end;
* verdicts by kind of URL against the expected ones (200 -> ok, 404 -> broken, 301 -> redirected);
* lychee's wall time, requests, in-flight maxima, CPU and peak RSS, and citecheck / lychee.

Nothing here asserts on time or limits: the script always exits 0 unless it is misused.
See ``benchmarks/README.md`` and ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import html
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
import shutil
import subprocess
import sys
import tempfile
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
from citecheck.cli.process import tune_collector

# tests/ is on mypy's path when it checks the project, not when it is given this file alone.
from fakeweb import FakeWeb, Handler, Request, Response, ok  # type: ignore[import-not-found, unused-ignore]

# ---------------------------------------------------------------------------------------------
# The workloads: realistic HTML articles (default) or tiny PDFs
# ---------------------------------------------------------------------------------------------

#: The body of every answer of the ``pdf`` workload (a GET reads it whole and keeps the connection).
PDF_BODY = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PDF_TYPE = "application/pdf"
HTML_TYPE = "text/html; charset=utf-8"
MB = 1024 * 1024

#: What each kind of cited URL answers in the ``html`` workload, and the verdict a checker owes it.
KINDS: dict[str, str] = {"page": "articles (200)", "gone": "gone (404)", "moved": "moved (301 to an article)"}
EXPECTED_VERDICT: dict[str, str] = {"page": "ok", "gone": "broken", "moved": "redirected", "pdf": "ok"}
#: Per cent of the cited URLs that answer 404, and per cent that answer 301.
GONE_PERCENT = 5
MOVED_PERCENT = 5
#: Distinct page bodies built per server (a URL picks one by its number and the seed).
VARIANTS = 32
SITE_NAME = "The Example Courier"

_MASK = (1 << 64) - 1


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_SLUG_WORDS = _words(
    "city council budget vote river flood school board museum opens new bridge plan rail line "
    "election results mayor race housing prices rise climate report warns farmers drought "
    "hospital staff strike court ruling appeal ferry service port expansion library funding "
    "wildfire season tourism record storm damage power grid upgrade water supply research team "
    "discovers ancient fossil festival returns market trade deal energy prices fall jobs data "
    "transport strike police inquiry university fees ocean heat coral reef survey film awards"
)
_TEXT_WORDS = _words(
    "the a of and to in that for on with as was at by from has have said will it its an be "
    "this are were which after more than about two years their new people been also over last "
    "week first local officials council government report according would could residents "
    "plan project million percent year city state public told statement spokesperson data "
    "since while during before under between most many some other such into where when "
    "community share funding increase decision meeting months expected minister department "
    "analysis survey evidence changes number including however further cost impact region"
)


def _mix(n: int, seed: int) -> int:
    """A 64-bit hash of ``(n, seed)`` (splitmix64): the same in the parent and the server child."""
    z = (n * 0x9E3779B97F4A7C15 + seed * 0xD1B54A32D192ED03 + 0x632BE59BD9B4E019) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def kind_of(n: int, seed: int) -> str:
    """``page`` (200), ``gone`` (404) or ``moved`` (301) for cited URL number ``n``."""
    r = _mix(n, seed) % 100
    if r < GONE_PERCENT:
        return "gone"
    if r < GONE_PERCENT + MOVED_PERCENT:
        return "moved"
    return "page"


def _slug_words(n: int, seed: int) -> list[str]:
    h = _mix(n, seed ^ 0x5EED)
    count = 3 + h % 4
    h >>= 2
    words = []
    for _ in range(count):
        words.append(_SLUG_WORDS[h % len(_SLUG_WORDS)])
        h //= len(_SLUG_WORDS)
    return words


def article_path(n: int, seed: int) -> str:
    """Where cited URL number ``n`` lives: ``/2019/04/council-budget-vote-123``."""
    h = _mix(n, seed ^ 0xDA7E)
    return f"/{2012 + h % 13}/{1 + (h >> 8) % 12:02d}/{'-'.join(_slug_words(n, seed))}-{n}"


def moved_path(n: int, seed: int) -> str:
    """Where a ``moved`` article now lives (its 301 points here; it answers 200)."""
    return f"/story/{n}/{'-'.join(_slug_words(n, seed))}"


def article_title(n: int, seed: int) -> str:
    return " ".join(_slug_words(n, seed)).capitalize()


def url_number(url: str, workload: str) -> int:
    """The number a generated URL was made from (``.../slug-123`` or ``/doc/123.pdf``)."""
    if workload == "pdf":
        return int(url.rsplit("/", 1)[1].split(".", 1)[0])
    return int(url.rsplit("-", 1)[1])


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_TEXT_WORDS) for _ in range(rng.randint(10, 28))]
    return " ".join(words).capitalize() + "."


def _prose(rng: random.Random, size: int) -> str:
    """Paragraphs of made-up news prose, about ``size`` characters."""
    parts: list[str] = []
    length = 0
    while length < size:
        paragraph = " ".join(_sentence(rng) for _ in range(rng.randint(2, 6)))
        if rng.random() < 0.15:
            href = f"/{rng.randint(2012, 2024)}/{rng.randint(1, 12):02d}/related-{rng.randint(1, 99999)}"
            paragraph += f' <a href="{href}">Read more</a>.'
        parts.append(f"<p>{paragraph}</p>\n")
        length += len(parts[-1])
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class _Variant:
    """One page layout: everything but the per-URL title, canonical link and heading."""

    head: bytes  # after the per-URL <title>/canonical: meta tags, styles, scripts, </head>, page top
    body: bytes  # after the per-URL <h1>: byline, paragraphs, footer, </html>


def _variant(v: int, seed: int) -> _Variant:
    rng = random.Random(_mix(v, seed ^ 0xB0D1))
    target = 20_000 + rng.randrange(40_000)  # 20-60 KB of HTML
    css = "\n".join(
        f".c{v}-{i} {{ margin: {rng.randint(0, 24)}px {rng.randint(0, 24)}px; color: #{rng.randrange(16**6):06x}; "
        f"font: {rng.randint(12, 22)}px/1.{rng.randint(2, 8)} Georgia, serif; }}"
        for i in range(rng.randint(20, 60))
    )
    script = "".join(
        f"window.dataLayer.push({{event:'view',slot:{i},id:'{rng.randrange(16**8):08x}',ts:{rng.randrange(10**9)}}});\n"
        for i in range(rng.randint(20, 80))
    )
    published = f"20{rng.randint(12, 24)}-0{rng.randint(1, 9)}-1{v % 10}T08:00:00Z"
    head = (
        f'<meta name="description" content="{_sentence(rng)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta property="og:type" content="article">\n'
        f'<meta property="og:site_name" content="{SITE_NAME}">\n'
        '<meta name="twitter:card" content="summary_large_image">\n'
        f'<meta name="author" content="Staff Reporter {v}">\n'
        f'<meta property="article:published_time" content="{published}">\n'
        f'<link rel="stylesheet" href="/static/css/site.{v:02d}.css">\n'
        f'<link rel="preload" as="font" href="/static/fonts/serif.{v:02d}.woff2" crossorigin>\n'
        f'<link rel="icon" href="/favicon.ico">\n'
        f"<style>\n{css}\n</style>\n"
        '<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",'
        f'"publisher":{{"@type":"Organization","name":"{SITE_NAME}"}}}}</script>\n'
        f"<script>window.dataLayer = window.dataLayer || [];\n{script}</script>\n"
        f'<script src="/static/js/app.{v:02d}.js" defer></script>\n'
        '</head>\n<body class="article">\n<header><nav>'
        + "".join(f'<a href="/section/{w}">{w.capitalize()}</a> ' for w in rng.sample(_SLUG_WORDS, 10))
        + "</nav></header>\n<main><article>\n"
    )
    top = len(head) + 600
    tail_start = f'<p class="byline">By Staff Reporter {v} &middot; {rng.randint(2, 12)} min read</p>\n'
    related = "".join(
        f'<li><a href="/{rng.randint(2012, 2024)}/{rng.randint(1, 12):02d}/related-{rng.randint(1, 99999)}">'
        f"{' '.join(rng.sample(_SLUG_WORDS, 4)).capitalize()}</a></li>"
        for _ in range(8)
    )
    ending = (
        f"</article>\n<aside><h2>Related</h2><ul>{related}</ul></aside></main>\n"
        f"<footer><p>&copy; {SITE_NAME}</p></footer>\n"
        f"<script>document.querySelectorAll('a').forEach(function(a){{a.rel='noopener';}});</script>\n"
        "</body>\n</html>\n"
    )
    prose = _prose(rng, max(1000, target - top - len(tail_start) - len(ending)))
    return _Variant(head.encode(), (tail_start + prose + ending).encode())


def _not_found_page() -> bytes:
    rng = random.Random(404)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Page not found | {SITE_NAME}</title>\n"
        '<meta name="robots" content="noindex">\n<link rel="stylesheet" href="/static/css/site.00.css">\n'
        "</head>\n<body><header><nav>"
        + "".join(f'<a href="/section/{w}">{w.capitalize()}</a> ' for w in rng.sample(_SLUG_WORDS, 10))
        + "</nav></header>\n<main><h1>Page not found</h1>\n<p>Sorry, we could not find that page. "
        'It may have been moved or deleted. Try the <a href="/search">search</a>.</p></main>\n'
        f"<footer><p>&copy; {SITE_NAME}</p></footer>\n</body>\n</html>\n"
    ).encode()


class ArticleSite:
    """The fake web's catch-all for the ``html`` workload: every host is a news site.

    ``article_path(n)`` answers by ``kind_of(n)``: a 20-60 KB article (200), the site's "not
    found" page (404), or a 301 to ``moved_path(n)`` on the same host, which is an article (200).
    Any other path (the checker's soft-404 probe, ``/robots.txt``, ...) gets the 404 page. Page
    bodies are built once (``VARIANTS`` layouts); a request only formats its title, canonical
    link and heading around them.
    """

    def __init__(self, seed: int, variants: int = VARIANTS) -> None:
        self.seed = seed
        self._variants = [_variant(v, seed) for v in range(variants)]
        self._not_found = _not_found_page()
        self._moved_body = b"<html><body><p>Moved Permanently</p></body></html>\n"

    def page(self, n: int, canonical: str) -> bytes:
        variant = self._variants[(_mix(n, self.seed) >> 16) % len(self._variants)]
        title = html.escape(article_title(n, self.seed))
        top = (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
            f"<title>{title} | {SITE_NAME}</title>\n"
            f'<link rel="canonical" href="{canonical}">\n'
            f'<meta property="og:title" content="{title}">\n<meta property="og:url" content="{canonical}">\n'
        ).encode()
        return b"".join((top, variant.head, f"<h1>{title}</h1>\n".encode(), variant.body))

    async def __call__(self, request: Request) -> Response:
        path = request.path
        n: int | None = None
        if path.startswith("/story/"):
            with contextlib.suppress(ValueError, IndexError):
                n = int(path.split("/", 3)[2])
            if n is not None and path == moved_path(n, self.seed):
                return self._html(200, self.page(n, request.web.url(request.host, path)))
        else:
            with contextlib.suppress(ValueError):
                n = int(path.rsplit("-", 1)[-1])
            if n is not None and n >= 0 and path == article_path(n, self.seed):
                kind = kind_of(n, self.seed)
                if kind == "page":
                    return self._html(200, self.page(n, request.web.url(request.host, path)))
                if kind == "moved":
                    location = request.web.url(request.host, moved_path(n, self.seed))
                    return Response(301, [("Location", location), ("Content-Type", HTML_TYPE)], self._moved_body)
        return self._html(404, self._not_found)

    @staticmethod
    def _html(code: int, body: bytes) -> Response:
        return Response(code, [("Content-Type", HTML_TYPE), ("Cache-Control", "max-age=300")], body)


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


def host_addresses(hosts: int, mode: str) -> list[str] | None:
    """``distinct``: host i listens on its own loopback address (127.0.0.1, 127.0.0.2, ...).

    Every host on 127.0.0.1 (``shared``) is enough for citecheck, which keys hosts by name and
    port, but lychee keys its per-host limits by name only and would see one host. On Linux the
    whole of 127/8 is loopback; elsewhere use ``--addresses shared``.
    """
    if mode == "shared":
        return None
    return [f"127.0.{i // 254}.{1 + i % 254}" for i in range(hosts)]


class Server(Protocol):
    @property
    def ports(self) -> list[int]: ...

    @property
    def origins(self) -> list[str]: ...

    def stats(self) -> ServerStats: ...

    def reset(self) -> None: ...


def make_handler(workload: str, seed: int) -> Handler:
    """The catch-all of every host: the news sites of the ``html`` workload, or one tiny PDF."""
    if workload == "html":
        return ArticleSite(seed)
    return ok(PDF_BODY, PDF_TYPE)


def _make_web(
    hosts: int, latency: float, workload: str = "pdf", seed: int = 0, addresses: list[str] | None = None
) -> FakeWeb:
    # max_seen=0: the server keeps no request log, so its memory does not grow with the run.
    handler = make_handler(workload, seed)
    return FakeWeb(hosts, fallback=handler, latency=latency, max_seen=0, addresses=addresses)


class ThreadServer:
    """``FakeWeb.threaded``: same process, own event loop, shares the GIL with the checker."""

    def __init__(self, web: FakeWeb) -> None:
        self._web = web

    @property
    def ports(self) -> list[int]:
        return list(self._web.ports)

    @property
    def origins(self) -> list[str]:
        return [f"{address}:{port}" for address, port in zip(self._web.addresses, self._web.ports, strict=True)]

    def stats(self) -> ServerStats:
        return ServerStats.from_summary(self._web.summary())

    def reset(self) -> None:
        self._web.reset_stats()  # between runs: nothing is in flight


@contextlib.contextmanager
def thread_server(
    hosts: int, latency: float, workload: str = "pdf", seed: int = 0, addresses: list[str] | None = None
) -> Iterator[ThreadServer]:
    handler = make_handler(workload, seed)
    with FakeWeb.threaded(
        hosts, fallback=handler, latency=latency, max_seen=0, backlog=4096, addresses=addresses
    ) as web:
        yield ThreadServer(web)


def _child_main(
    conn: multiprocessing.connection.Connection,
    hosts: int,
    latency: float,
    workload: str = "pdf",
    seed: int = 0,
    addresses: list[str] | None = None,
) -> None:
    """Child process: send the ports, serve until told to stop; answer ``stats`` and ``reset``."""

    async def serve() -> None:
        async with _make_web(hosts, latency, workload, seed, addresses) as web:
            conn.send(web.ports)
            loop = asyncio.get_running_loop()
            while True:
                command = await loop.run_in_executor(None, conn.recv)
                if command == "stats":
                    conn.send(web.summary())
                elif command == "reset":
                    web.reset_stats()
                    conn.send(True)
                else:
                    return

    asyncio.run(serve())


class ProcessServer:
    """A ``FakeWeb`` in a child process, driven over a pipe."""

    def __init__(self, conn: multiprocessing.connection.Connection, ports: list[int], addresses: list[str]) -> None:
        self._conn = conn
        self._ports = ports
        self._addresses = addresses

    @property
    def ports(self) -> list[int]:
        return self._ports

    @property
    def origins(self) -> list[str]:
        return [f"{address}:{port}" for address, port in zip(self._addresses, self._ports, strict=True)]

    def stats(self) -> ServerStats:
        self._conn.send("stats")
        summary: dict[str, Any] = self._conn.recv()
        return ServerStats.from_summary(summary)

    def reset(self) -> None:
        self._conn.send("reset")
        self._conn.recv()


@contextlib.contextmanager
def process_server(
    hosts: int, latency: float, workload: str = "pdf", seed: int = 0, addresses: list[str] | None = None
) -> Iterator[ProcessServer]:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(
        target=_child_main, args=(child, hosts, latency, workload, seed, addresses), name="fakeweb", daemon=True
    )
    process.start()
    try:
        if not parent.poll(60):
            raise RuntimeError("the FakeWeb child process did not start in time")
        ports: list[int] = parent.recv()
        yield ProcessServer(parent, ports, addresses or ["127.0.0.1"] * hosts)
    finally:
        with contextlib.suppress(OSError, BrokenPipeError):
            parent.send("stop")
        process.join(15)
        if process.is_alive():
            process.kill()
            process.join(5)
        parent.close()


@contextlib.contextmanager
def start_server(
    kind: str, hosts: int, latency: float, workload: str, seed: int, addresses: list[str] | None
) -> Iterator[Server]:
    if kind == "thread":
        with thread_server(hosts, latency, workload, seed, addresses) as server:
            yield server
    else:
        with process_server(hosts, latency, workload, seed, addresses) as process:
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


def generate_urls(origins: Sequence[str], count: int, order: str, seed: int, workload: str = "pdf") -> Iterator[str]:
    """The URLs, lazily, each distinct: ``http://ADDRESS:PORT`` + ``/2019/04/slug-{i}`` or ``/doc/{i}.pdf``."""
    for i, host in enumerate(host_sequence(count, len(origins), order, seed)):
        if workload == "pdf":
            yield f"http://{origins[host]}/doc/{i}.pdf"
        else:
            yield f"http://{origins[host]}{article_path(i, seed)}"


def kind_of_url(n: int, workload: str, seed: int) -> str:
    return "pdf" if workload == "pdf" else kind_of(n, seed)


@dataclass(frozen=True, slots=True)
class Plan:
    """What a size asks of a checker that does exactly what is needed (no probes, no retries)."""

    #: Requests per host: one per cited URL, one more per redirect hop.
    per_host: list[int]
    kinds: dict[str, int]
    #: Redirects a checker must follow (one per ``moved`` URL).
    hops: int
    #: The longest chain, in requests (2 when some URL redirects).
    chain: int


def make_plan(count: int, hosts: int, order: str, seed: int, workload: str) -> Plan:
    per_host = [0] * hosts
    kinds: Counter[str] = Counter()
    for i, host in enumerate(host_sequence(count, hosts, order, seed)):
        kind = kind_of_url(i, workload, seed)
        kinds[kind] += 1
        per_host[host] += 2 if kind == "moved" else 1
    hops = kinds["moved"]
    return Plan(per_host, dict(kinds.most_common()), hops, 2 if hops else 1)


def ideal_seconds(
    per_host: Sequence[int], latency: float, concurrency: int, host_concurrency: int, chain: int = 1
) -> float:
    """The best any scheduler can do when every request takes exactly ``latency``."""
    rounds_host = max((math.ceil(n / host_concurrency) for n in per_host), default=0)
    rounds_global = math.ceil(sum(per_host) / concurrency)
    return latency * max(rounds_host, rounds_global, chain if per_host else 0)


#: lychee 0.24's documented defaults: requests in flight in all and per host, and the spacing.
LYCHEE_CONCURRENCY = 128
LYCHEE_HOST_CONCURRENCY = 10
LYCHEE_HOST_INTERVAL = 0.05


def lychee_floor_seconds(per_host: Sequence[int], latency: float, chain: int) -> float:
    """The best lychee can do under its own default limits (its per-host spacing included)."""
    host = max(
        (
            max(math.ceil(n / LYCHEE_HOST_CONCURRENCY) * latency, (n - 1) * LYCHEE_HOST_INTERVAL + latency)
            for n in per_host
            if n
        ),
        default=0.0,
    )
    return max(host, math.ceil(sum(per_host) / LYCHEE_CONCURRENCY) * latency, chain * latency)


# ---------------------------------------------------------------------------------------------
# One run
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class LycheeFigures:
    """lychee over the same URLs against the same server, right after citecheck."""

    binary: str
    version: str
    command: list[str] = field(default_factory=list)
    exit_code: int | None = None
    timed_out: bool = False
    error: str | None = None
    wall_seconds: float = 0.0
    #: wall / citecheck's ideal (the same schedule bound as citecheck's row, for comparison).
    ratio_to_ideal: float = 0.0
    #: The best lychee can do under its own default limits (10 per host, 50 ms spacing, 128 in all).
    floor_seconds: float = 0.0
    cpu_seconds: float = 0.0
    cpu_ms_per_url: float = 0.0
    maxrss_mb: float = 0.0
    server_requests: int = 0
    server_connections: int = 0
    server_errors: int = 0
    requests_per_url: float = 0.0
    requests_per_url_hop: float = 0.0
    max_in_flight_host: int = 0
    max_in_flight_global: int = 0
    #: lychee's own counters from its JSON report (total, successful, errors, redirects, ...).
    stats: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class RunFigures:
    workload: str
    urls: int
    hosts: int
    order: str
    latency_ms: float
    concurrency: int
    host_concurrency: int
    #: NetworkOptions given explicitly (besides allow_networks); empty means the defaults.
    overrides: dict[str, Any] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)
    redirect_hops: int = 0
    wall_seconds: float = 0.0
    timed_out: bool = False
    ideal_seconds: float = 0.0
    ratio_to_ideal: float = 0.0
    urls_per_second: float = 0.0
    cpu_seconds: float = 0.0
    cpu_ms_per_url: float = 0.0
    first_result_seconds: float = 0.0
    server_requests: int = 0
    requests_per_url: float = 0.0
    #: server requests / (URLs + redirect hops): 1.00 when nothing is fetched twice or extra.
    requests_per_url_hop: float = 0.0
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
    #: kind of URL -> verdict -> count (expected: page ok, gone broken, moved redirected, pdf ok).
    verdicts_by_kind: dict[str, dict[str, int]] = field(default_factory=dict)
    as_expected: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    lychee: LycheeFigures | None = None


@dataclass(slots=True)
class Tally:
    """What ``check_many`` gave back so far (kept up to date, so a cut-off run still has it)."""

    urls: int
    workload: str
    seed: int
    verdicts: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[tuple[str, str]] = field(default_factory=Counter)
    # One byte per URL (not a set of strings) so the bookkeeping barely shows in the memory figures.
    delivered: bytearray = field(default_factory=bytearray)
    first_result: float = 0.0

    def __post_init__(self) -> None:
        self.delivered = bytearray(self.urls)


async def drive(
    checker: AsyncLinkChecker, urls: Iterator[str], tally: Tally, figures: RunFigures, started: float
) -> None:
    """Consume ``check_many``, counting verdicts by kind of URL."""
    async for result in checker.check_many(urls):
        if not tally.first_result:
            tally.first_result = time.perf_counter() - started
        verdict = result.verdict.value
        tally.verdicts[verdict] += 1
        n = url_number(result.url, tally.workload)
        tally.delivered[n] = 1
        kind = kind_of_url(n, tally.workload, tally.seed)
        tally.by_kind[kind, verdict] += 1
        if verdict != EXPECTED_VERDICT[kind] and len(figures.problems) < 10:
            figures.problems.append(_problem(result, kind))


def _problem(result: OnlineResult, kind: str) -> dict[str, Any]:
    return {
        "url": result.url,
        "kind": kind,
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
    wall: float
    timed_out: bool
    held_mb: float | None
    rss_end_mb: float
    live_objects: int


async def check_all(
    options: NetworkOptions,
    urls: Iterator[str],
    tally: Tally,
    figures: RunFigures,
    trace: bool,
    limit: float | None,
) -> Outcome:
    """Run ``check_many`` over ``urls`` (at most ``limit`` s); measure what the checker holds at the end."""
    timed_out = False
    async with AsyncLinkChecker(options) as checker:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(limit):
                await drive(checker, urls, tally, figures, started)
        except TimeoutError:
            timed_out = True
        wall = time.perf_counter() - started
        # What the checker still holds once every result is out (before it is closed).
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] / MB if trace else None
        rss = rss_mb()
        live = len(gc.get_objects())
    return Outcome(wall, timed_out, held, rss, live)


def network_options(args: argparse.Namespace) -> tuple[NetworkOptions, dict[str, Any]]:
    """The defaults, loopback allowed, and only what the command line set explicitly."""
    overrides: dict[str, Any] = {
        name: getattr(args, name)
        for name in ("concurrency", "host_concurrency", "timeout")
        if getattr(args, name) is not None
    }
    return NetworkOptions(allow_networks=("127.0.0.0/8",), **overrides), overrides


def run_one(
    args: argparse.Namespace, count: int, trace: bool, profile: cProfile.Profile | None, lychee: str | None
) -> RunFigures:
    latency = args.latency_ms / 1000.0
    options, overrides = network_options(args)
    figures = RunFigures(
        workload=args.workload,
        urls=count,
        hosts=args.hosts,
        order=args.order,
        latency_ms=args.latency_ms,
        concurrency=options.concurrency,
        host_concurrency=options.host_concurrency,
        overrides=overrides,
    )
    plan = make_plan(count, args.hosts, args.order, args.seed, args.workload)
    figures.kinds = plan.kinds
    figures.redirect_hops = plan.hops
    figures.ideal_seconds = ideal_seconds(
        plan.per_host, latency, options.concurrency, options.host_concurrency, plan.chain
    )
    tally = Tally(count, args.workload, args.seed)
    addresses = host_addresses(args.hosts, args.addresses)
    with start_server(args.server, args.hosts, latency, args.workload, args.seed, addresses) as server:
        urls = generate_urls(server.origins, count, args.order, args.seed, args.workload)
        gc.collect()
        if trace:
            tracemalloc.start()
            tracemalloc.reset_peak()
        cpu_before = time.process_time()
        if profile is not None:
            profile.enable()
        try:
            outcome = asyncio.run(check_all(options, urls, tally, figures, trace, args.timeout_run))
        finally:
            if profile is not None:
                profile.disable()
            cpu = time.process_time() - cpu_before
            if trace:
                figures.tracemalloc_peak_mb = tracemalloc.get_traced_memory()[1] / MB
                tracemalloc.stop()
        stats = server.stats()
        if lychee is not None:
            figures.lychee = run_lychee(lychee, server, plan, args, count, figures.ideal_seconds)
    wall = outcome.wall
    figures.wall_seconds = wall
    figures.timed_out = outcome.timed_out
    figures.trace = "same" if trace else "off"
    figures.tracemalloc_retained_mb = outcome.held_mb
    figures.rss_end_mb = outcome.rss_end_mb
    figures.live_objects_end = outcome.live_objects
    figures.ratio_to_ideal = wall / figures.ideal_seconds if figures.ideal_seconds else 0.0
    figures.urls_per_second = count / wall if wall else 0.0
    figures.first_result_seconds = tally.first_result
    figures.cpu_seconds = cpu
    figures.cpu_ms_per_url = cpu * 1000 / count if count else 0.0
    figures.server_requests = stats.requests
    figures.requests_per_url = stats.requests / count
    figures.requests_per_url_hop = stats.requests / (count + plan.hops)
    figures.server_connections = stats.connections
    figures.server_errors = stats.errors
    figures.max_in_flight_host = max(stats.host_max_in_flight, default=0)
    figures.max_in_flight_global = stats.max_in_flight
    figures.limits_held = (
        figures.max_in_flight_host <= options.host_concurrency and figures.max_in_flight_global <= options.concurrency
    )
    figures.maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    figures.results = sum(tally.verdicts.values())
    figures.distinct_results = sum(tally.delivered)
    figures.verdicts = dict(tally.verdicts.most_common())
    by_kind: dict[str, dict[str, int]] = {}
    for (kind, verdict), n in sorted(tally.by_kind.items()):
        by_kind.setdefault(kind, {})[verdict] = n
    figures.verdicts_by_kind = by_kind
    figures.as_expected = sum(n for (kind, verdict), n in tally.by_kind.items() if verdict == EXPECTED_VERDICT[kind])
    return figures


# ---------------------------------------------------------------------------------------------
# lychee, side by side
# ---------------------------------------------------------------------------------------------


def find_lychee(given: str | None) -> str | None:
    """``--lychee PATH``, else ``lychee`` on PATH or next to this Python (a venv's bin), else None."""
    if given:
        return shutil.which(given) or (given if os.access(given, os.X_OK) else None)
    found = shutil.which("lychee")
    if found:
        return found
    beside = Path(sys.executable).with_name("lychee")
    return str(beside) if os.access(beside, os.X_OK) else None


def lychee_version(binary: str) -> str:
    try:
        done = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError) as error:
        return f"unknown ({error})"
    return done.stdout.strip().removeprefix("lychee ").strip() or "unknown"


def run_lychee(
    binary: str, server: Server, plan: Plan, args: argparse.Namespace, count: int, ideal: float
) -> LycheeFigures:
    """lychee with its defaults over the same URLs (a text file, one per line), server stats reset first.

    It runs in an empty temporary directory, so no ``lychee.toml`` or ``.lycheeignore`` is picked
    up; its cache is off unless ``--cache`` is given. Wall time is from the process start to its
    exit; CPU time is the child's own (``wait4``), peak RSS its ``VmHWM`` (see ``_wait``).
    """
    figures = LycheeFigures(binary=binary, version=lychee_version(binary))
    latency = args.latency_ms / 1000.0
    # lychee keys hosts by name without the port: with every fake host on 127.0.0.1 it sees one.
    per_host = plan.per_host if args.addresses == "distinct" else [sum(plan.per_host)]
    figures.floor_seconds = lychee_floor_seconds(per_host, latency, plan.chain)
    with tempfile.TemporaryDirectory(prefix="bench-lychee-") as tmp:
        listing = Path(tmp) / "urls.txt"
        with listing.open("w", encoding="utf-8") as out:
            for url in generate_urls(server.origins, count, args.order, args.seed, args.workload):
                out.write(url + "\n")
        report_path = Path(tmp) / "lychee.json"
        figures.command = [binary, "--no-progress", "--format", "json", "--output", str(report_path), str(listing)]
        server.reset()
        with open(Path(tmp) / "stdout", "wb") as stdout, open(Path(tmp) / "stderr", "wb") as stderr:
            started = time.perf_counter()
            try:
                process = subprocess.Popen(
                    figures.command, cwd=tmp, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr
                )
            except OSError as error:
                figures.error = f"could not start: {error}"
                return figures
            status, figures.maxrss_mb = _wait(process, args.timeout_run, figures)
            figures.wall_seconds = time.perf_counter() - started
        process.returncode = figures.exit_code = os.waitstatus_to_exitcode(status)
        stats = server.stats()
        try:
            report = json.loads(report_path.read_text(encoding="utf-8"))
            figures.stats = {k: v for k, v in report.items() if isinstance(v, int) and not isinstance(v, bool)}
        except (OSError, ValueError) as error:
            message = (Path(tmp) / "stderr").read_text(errors="replace").strip()[-300:]
            figures.error = f"no JSON report ({error}); exit {figures.exit_code}; stderr: {message}"
    figures.ratio_to_ideal = figures.wall_seconds / ideal if ideal else 0.0
    figures.cpu_ms_per_url = figures.cpu_seconds * 1000 / count
    figures.server_requests = stats.requests
    figures.server_connections = stats.connections
    figures.server_errors = stats.errors
    figures.requests_per_url = stats.requests / count
    figures.requests_per_url_hop = stats.requests / (count + plan.hops)
    figures.max_in_flight_host = max(stats.host_max_in_flight, default=0)
    figures.max_in_flight_global = stats.max_in_flight
    return figures


def _vm_hwm_mb(pid: int) -> float:
    """``VmHWM`` of a live process in MB (0 when gone or not on Linux)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def _wait(process: subprocess.Popen[bytes], limit: float | None, figures: LycheeFigures) -> tuple[int, float]:
    """Reap the child (its own CPU time into ``figures``), killing it after ``limit`` seconds.

    Returns the wait status and the child's peak RSS. That is ``VmHWM``, read every few
    milliseconds while it runs: the ``ru_maxrss`` of a child on Linux also counts this
    process's memory, which the child's address space held between fork and exec.
    """
    deadline = None if limit is None else time.monotonic() + limit
    peak = 0.0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            figures.cpu_seconds = usage.ru_utime + usage.ru_stime
            return status, peak
        peak = max(peak, _vm_hwm_mb(process.pid))
        if deadline is not None and time.monotonic() > deadline and not figures.timed_out:
            figures.timed_out = True
            process.kill()
        time.sleep(0.005)


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def _met(good: bool) -> str:
    return "met" if good else "MISSED"


def report(f: RunFigures, args: argparse.Namespace, say: Callable[[str], None]) -> None:
    options = ", ".join(f"{k}={v}" for k, v in f.overrides.items()) or "defaults"
    say(
        f"\n== {f.workload}: {f.urls:,} URLs over {f.hosts} hosts ({f.order}), latency {f.latency_ms:g} ms | "
        f"citecheck NetworkOptions: {options} (concurrency {f.concurrency}, host_concurrency {f.host_concurrency})"
    )
    if f.workload == "html":
        kinds = ", ".join(f"{n:,} {KINDS.get(k, k)}" for k, n in sorted(f.kinds.items(), key=lambda kv: -kv[1]))
        say(f"  URLs: {kinds}; {f.redirect_hops:,} redirect hop(s) to follow")
    if f.timed_out:
        say(f"  TIMED OUT after {f.wall_seconds:.1f} s (--timeout-run): {f.results:,} of {f.urls:,} results")
    say(
        f"  wall {f.wall_seconds:.2f} s | ideal {f.ideal_seconds:.2f} s | "
        f"ratio wall/ideal {f.ratio_to_ideal:.2f}x (target <= 1.5x: {_met(f.ratio_to_ideal <= 1.5)}, "
        f"at most 2x: {_met(f.ratio_to_ideal <= 2.0)})"
    )
    say(
        f"  {f.urls_per_second:,.0f} URLs/s | first result after {f.first_result_seconds * 1000:.0f} ms | "
        f"CPU of this process {f.cpu_seconds:.2f} s ({f.cpu_ms_per_url:.2f} ms/URL"
        f"{', server thread included' if args.server == 'thread' else ''}; target < 1 ms: "
        f"{_met(f.cpu_ms_per_url < 1.0)})"
    )
    say(
        f"  server: {f.server_requests:,} requests, {f.requests_per_url:.3f}/URL, "
        f"{f.requests_per_url_hop:.3f}/(URL+hop) (target <= 1.05: {_met(f.requests_per_url_hop <= 1.05)}), "
        f"{f.server_connections:,} connections, {f.server_errors} handler errors"
    )
    verdict = "OK" if f.limits_held else "VIOLATION"
    say(
        f"  max in flight seen by the server: per host {f.max_in_flight_host} (limit {f.host_concurrency}), "
        f"global {f.max_in_flight_global} (limit {f.concurrency}) -> {verdict}"
    )
    say(
        f"  memory: ru_maxrss {f.maxrss_mb:.1f} MB (target < 200 MB: {_met(f.maxrss_mb < 200)}) | "
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
    all_expected = f.as_expected == f.urls and f.distinct_results == f.urls
    by_kind = "; ".join(
        f"{kind} ({EXPECTED_VERDICT[kind]} expected): " + ", ".join(f"{v} {n:,}" for v, n in verdicts.items())
        for kind, verdicts in f.verdicts_by_kind.items()
    )
    say(f"  verdicts: {by_kind or 'none'}")
    say(
        f"  {f.results:,} results for {f.distinct_results:,} distinct URLs, {f.as_expected:,} as expected -> "
        f"{'all as expected' if all_expected else 'NOT ALL AS EXPECTED'}"
    )
    for problem in f.problems:
        say(
            f"    [{problem['kind']}] {problem['verdict']}/{problem['reason']} {problem['url']} "
            f"{problem['detail'] or ''}".rstrip()
        )
    if f.lychee is not None:
        side_by_side(f, f.lychee, say)


def side_by_side(f: RunFigures, ly: LycheeFigures, say: Callable[[str], None]) -> None:
    say(f"\n  side by side with lychee {ly.version} (same URLs, same server, run right after citecheck):")
    if ly.error:
        say(f"    lychee: {ly.error}")
    if ly.timed_out:
        say("    lychee: TIMED OUT (--timeout-run), killed")
    counts = ly.stats
    lychee_results = (
        f"ok {counts.get('successful', 0):,}, errors {counts.get('errors', 0):,}, "
        f"redirects {counts.get('redirects', 0):,}, timeouts {counts.get('timeouts', 0):,}"
        if counts
        else "-"
    )
    rows: list[tuple[str, str, str]] = [
        ("wall s", f"{f.wall_seconds:.2f}", f"{ly.wall_seconds:.2f}"),
        ("x citecheck's ideal", f"{f.ratio_to_ideal:.2f}", f"{ly.ratio_to_ideal:.2f}"),
        ("own floor s (its limits)", f"{f.ideal_seconds:.2f}", f"{ly.floor_seconds:.2f}"),
        ("server requests", f"{f.server_requests:,}", f"{ly.server_requests:,}"),
        ("requests / URL", f"{f.requests_per_url:.3f}", f"{ly.requests_per_url:.3f}"),
        ("requests / (URL+hop)", f"{f.requests_per_url_hop:.3f}", f"{ly.requests_per_url_hop:.3f}"),
        ("connections", f"{f.server_connections:,}", f"{ly.server_connections:,}"),
        (
            "max in flight host/all",
            f"{f.max_in_flight_host} / {f.max_in_flight_global}",
            f"{ly.max_in_flight_host} / {ly.max_in_flight_global}",
        ),
        ("CPU ms / URL", f"{f.cpu_ms_per_url:.3f}", f"{ly.cpu_ms_per_url:.3f}"),
        ("peak RSS MB", f"{f.maxrss_mb:.1f}", f"{ly.maxrss_mb:.1f}"),
    ]
    say(f"    {'':<26} {'citecheck':>14} {'lychee':>14}")
    for name, mine, theirs in rows:
        say(f"    {name:<26} {mine:>14} {theirs:>14}")
    say(f"    lychee's results: {lychee_results} (exit {ly.exit_code})")
    if ly.wall_seconds > 0 and not ly.error:
        ratio = f.wall_seconds / ly.wall_seconds
        say(f"    citecheck / lychee wall: {ratio:.2f}x (target < 1, faster than lychee: {_met(ratio < 1.0)})")


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


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


#: ``--scale``: sizes and hosts for the memory question (is RSS flat with the number of URLs?).
SCALE_COUNTS = [5000, 20000, 50000]
SCALE_HOSTS = 500


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--workload",
        choices=("html", "pdf"),
        default="html",
        help="html: article pages with 5%% 404 and 5%% 301 (default); pdf: every URL a tiny 200 PDF",
    )
    parser.add_argument("--urls", type=positive_int, default=5000, help="URLs in one run (default 5000)")
    parser.add_argument("--counts", type=parse_counts, help="several sizes in one process, e.g. 5000,20000,50000")
    parser.add_argument(
        "--scale",
        action="store_true",
        help=f"shorthand for --counts {','.join(map(str, SCALE_COUNTS))} over {SCALE_HOSTS} hosts (unless --hosts)",
    )
    parser.add_argument(
        "--hosts", type=positive_int, help=f"fake hosts (ports) (default 50; {SCALE_HOSTS} with --scale)"
    )
    parser.add_argument(
        "--addresses",
        choices=("distinct", "shared"),
        default="distinct",
        help="each host on its own loopback address 127.0.0.N (default; Linux), or all on 127.0.0.1",
    )
    parser.add_argument("--latency-ms", type=float, default=100.0, help="server latency per request (default 100)")
    parser.add_argument("--concurrency", type=positive_int, help="citecheck's global limit (default: its default)")
    parser.add_argument(
        "--host-concurrency", type=positive_int, help="citecheck's per-host limit (default: its default)"
    )
    parser.add_argument("--timeout", type=positive_float, help="citecheck's per-URL timeout, s (default: its default)")
    parser.add_argument(
        "--timeout-run",
        type=positive_float,
        metavar="S",
        help="stop each citecheck (and lychee) run after S seconds and report what finished (default: no limit)",
    )
    parser.add_argument(
        "--order",
        choices=("random", "interleaved", "grouped"),
        default="random",
        help="which host each URL goes to: seeded random (default), i %% hosts, or all URLs of a host in a row",
    )
    parser.add_argument("--seed", type=int, default=20240607, help="seed of hosts, kinds, paths and page sizes")
    parser.add_argument(
        "--server",
        choices=("process", "thread"),
        default="process",
        help="run the fake web in a child process (default) or in a thread of this process",
    )
    parser.add_argument(
        "--trace",
        choices=("separate", "same", "off"),
        help="tracemalloc in a second, untimed pass per size (default for one size of --workload pdf), during "
        "the timed run (inflates its wall and CPU time about 3x), or not at all (default otherwise)",
    )
    parser.add_argument("--lychee", metavar="PATH", help="the lychee binary (default: lychee on PATH, if any)")
    parser.add_argument("--no-lychee", action="store_true", help="do not run lychee even if it is installed")
    parser.add_argument(
        "--collector",
        choices=("cli", "python"),
        default="cli",
        help="cli: the garbage-collector settings the citecheck command uses (default); python: Python's own",
    )
    parser.add_argument("--profile", type=int, metavar="N", default=0, help="cProfile the checker, show top N")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on stdout (report on stderr)")
    args = parser.parse_args(argv)
    if args.latency_ms < 0:
        parser.error("--latency-ms must not be negative")
    if args.scale and args.counts:
        parser.error("--scale and --counts are exclusive")
    if args.no_lychee and args.lychee:
        parser.error("--lychee and --no-lychee are exclusive")
    if args.hosts is None:
        args.hosts = SCALE_HOSTS if args.scale else 50
    args.sizes = SCALE_COUNTS if args.scale else (args.counts or [args.urls])
    if args.trace is None:
        args.trace = "separate" if len(args.sizes) == 1 and args.workload == "pdf" else "off"
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out: TextIO = sys.stderr if args.json else sys.stdout

    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    if args.collector == "cli":
        tune_collector()  # what the `citecheck` command does before it checks anything
    info = machine()
    lychee = None if args.no_lychee else find_lychee(args.lychee)
    if args.lychee and lychee is None:
        print(f"bench_check.py: error: --lychee {args.lychee}: not an executable", file=sys.stderr)
        return 2
    info["lychee"] = lychee_version(lychee) if lychee else None
    say(
        f"citecheck {info['citecheck']} | Python {info['python']} | {info['platform']} | {info['cpus']} CPUs | "
        f"httpx {info['httpx']}, httpcore {info['httpcore']}, sniffio {'yes' if info['sniffio_installed'] else 'no'}"
    )
    if lychee:
        lychee_note = f"lychee {info['lychee']} (defaults, --no-progress, JSON report)"
    else:
        lychee_note = "lychee: off (--no-lychee)" if args.no_lychee else "lychee: not found on PATH, skipped"
    collector = "the CLI's" if args.collector == "cli" else "Python's default"
    say(
        f"workload {args.workload}; server in a {args.server}; tracemalloc: {args.trace}; "
        f"GC thresholds {collector} {gc.get_threshold()}; {lychee_note}"
    )
    profile = cProfile.Profile() if args.profile else None
    runs: list[RunFigures] = []
    for count in args.sizes:
        figures = run_one(args, count, args.trace == "same", profile, lychee)
        if args.trace == "separate":
            traced = run_one(args, count, True, None, None)
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
            f"  {'URLs':>8} {'wall s':>8} {'x ideal':>8} {'URLs/s':>8} {'req/URL':>8} {'CPU ms':>7} "
            f"{'maxrss MB':>10} {'RSS end':>8} {'objects':>9} {'tm peak':>8} {'tm held':>8} {'lychee s':>9} "
            f"{'ly MB':>7}"
        )
        for f in runs:
            peak = "-" if f.tracemalloc_peak_mb is None else f"{f.tracemalloc_peak_mb:.1f}"
            held = "-" if f.tracemalloc_retained_mb is None else f"{f.tracemalloc_retained_mb:.1f}"
            ly_wall = "-" if f.lychee is None else f"{f.lychee.wall_seconds:.2f}"
            ly_rss = "-" if f.lychee is None else f"{f.lychee.maxrss_mb:.1f}"
            say(
                f"  {f.urls:>8,} {f.wall_seconds:>8.2f} {f.ratio_to_ideal:>8.2f} {f.urls_per_second:>8,.0f} "
                f"{f.requests_per_url:>8.3f} {f.cpu_ms_per_url:>7.3f} {f.maxrss_mb:>10.1f} {f.rss_end_mb:>8.1f} "
                f"{f.live_objects_end:>9,} {peak:>8} {held:>8} {ly_wall:>9} {ly_rss:>7}"
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
