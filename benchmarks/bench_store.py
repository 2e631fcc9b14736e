#!/usr/bin/env python3
"""Benchmark recording check results in the SQLite store: one transaction each, or in batches.

Run from the repository root with the package installed::

    python benchmarks/bench_store.py                    # 20,000 results, batches of 500
    python benchmarks/bench_store.py --count 5000 --batch 100
    python benchmarks/bench_store.py --json > figures.json

Two parts, both through the code the pipeline runs:

* **store**: ``remember_results`` through :class:`~citecheck.store.aio.AsyncStore` (its worker
  thread, as the pipeline calls it) on a store file in a temporary directory, first with one
  result per call (one transaction each: what a result arriving alone costs), then with
  ``--batch`` results per call. One result in ten is broken, so the dead-link judgement runs too.
  Prints wall and CPU time per result and the ratio one-at-a-time / batched.
* **pipeline**: an :class:`~citecheck.pipeline.session.AsyncSession` checks ``--pipeline-count``
  distinct URLs through an ``httpx.MockTransport`` that answers every request at once, and the
  script counts the store's write transactions and the rows written. The fewer transactions
  per row, the better the run batches.

Nothing here asserts on time: the script exits 0 whatever the figures are.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from citecheck import AsyncSession, Config
from citecheck.core.evidence import OnlineResult
from citecheck.core.verdicts import Reason, Verdict
from citecheck.fix.documents import Document
from citecheck.pipeline import Source
from citecheck.store import AsyncStore, Store, remember_results


def results(count: int, seed: int) -> list[OnlineResult]:
    """``count`` distinct results over 200 hosts, one in ten broken, checked a second apart."""
    rng = random.Random(seed)
    start = datetime(2024, 5, 1, tzinfo=UTC)
    made = []
    for index in range(count):
        broken = rng.random() < 0.1
        made.append(
            OnlineResult(
                url=f"https://site{rng.randrange(200)}.example/doc/{index}.pdf",
                verdict=Verdict.BROKEN if broken else Verdict.OK,
                reason=Reason.HTTP_404 if broken else None,
                http_status=404 if broken else 200,
                content_type="application/pdf",
                attempts=1,
                elapsed=0.1,
                checked_at=start + timedelta(seconds=index),
            )
        )
    return made


async def record(path: Path, items: list[OnlineResult], batch: int) -> dict[str, float]:
    """Record ``items`` ``batch`` at a time through the store's thread; wall and CPU seconds."""
    async with await AsyncStore.open(path) as store:
        wall, cpu = time.perf_counter(), time.process_time()
        for start in range(0, len(items), batch):
            await store.call(remember_results, items[start : start + batch], dead_after_checks=3, dead_after_days=3.0)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rows = sqlite3.connect(path).execute("SELECT COUNT(*) FROM checks").fetchone()[0]
    return {"wall_s": wall, "cpu_s": cpu, "rows": rows, "calls": -(-len(items) // batch)}


class Counting:
    """Counts the store's write transactions (``BEGIN IMMEDIATE``) while installed."""

    def __init__(self) -> None:
        self.writes = 0
        self._original: Callable[..., Any] = Store._in_transaction

    def __enter__(self) -> Counting:
        original = self._original

        def counted(store: Store, begin: str, work: Callable[[sqlite3.Connection], Any]) -> Any:
            if begin == "BEGIN IMMEDIATE":
                self.writes += 1
            return original(store, begin, work)

        setattr(Store, "_in_transaction", counted)  # noqa: B010 - a method swapped for the run
        return self

    def __exit__(self, *exc: object) -> None:
        setattr(Store, "_in_transaction", self._original)  # noqa: B010


def pdf(request: httpx.Request) -> httpx.Response:
    """Every URL is a PDF, answered at once: one request per URL and no page to read."""
    return httpx.Response(200, headers={"content-type": "application/pdf"}, stream=httpx.ByteStream(b"%PDF-1.4"))


async def pipeline(path: Path, count: int, latency: float) -> dict[str, float]:
    """Check ``count`` distinct URLs through a session (answers within ``latency`` s); writes and rows."""
    rng = random.Random(count)

    async def answer(request: httpx.Request) -> httpx.Response:
        if latency > 0:
            await asyncio.sleep(rng.uniform(0, latency))
        return pdf(request)

    text = "".join(f"https://site{index % 200}.example/doc/{index}.pdf\n" for index in range(count))
    config = Config(store=str(path), concurrency=64, host_concurrency=8)
    with Counting() as counting:
        wall = time.perf_counter()
        async with AsyncSession(config, transport=httpx.MockTransport(answer)) as session:
            source = Source(Document(path="urls.txt", text=text), "text", datetime.now(UTC))
            run = session.start([source])
            await run.wait()
            writes_at_completion = counting.writes
        wall = time.perf_counter() - wall
    rows = sqlite3.connect(path).execute("SELECT COUNT(*) FROM checks").fetchone()[0]
    # The store's opening (schema migration) is a write transaction too: not a recording.
    return {"wall_s": wall, "write_transactions": writes_at_completion - 1, "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=20_000, help="results to record (default 20000)")
    parser.add_argument("--batch", type=int, default=500, help="results per batched call (default 500)")
    parser.add_argument("--pipeline-count", type=int, default=5_000, help="URLs of the pipeline part (0: skip)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="pipeline answers within this, at random")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="figures as JSON on stdout, report on stderr")
    args = parser.parse_args(argv)
    out = sys.stderr if args.json else sys.stdout
    items = results(args.count, args.seed)
    figures: dict[str, Any] = {"count": args.count, "batch": args.batch}
    with tempfile.TemporaryDirectory(prefix="citecheck-bench-store-") as tmp:
        single = asyncio.run(record(Path(tmp) / "single.sqlite3", items, 1))
        batched = asyncio.run(record(Path(tmp) / "batched.sqlite3", items, args.batch))
        figures["one_at_a_time"], figures["batched"] = single, batched
        figures["ratio_wall"] = single["wall_s"] / batched["wall_s"]
        figures["ratio_cpu"] = single["cpu_s"] / batched["cpu_s"]
        print(f"store: {args.count:,} results, one in ten broken", file=out)
        for name, row in (("one at a time", single), (f"batches of {args.batch}", batched)):
            print(
                f"  {name:<16} {row['calls']:>7,} calls  wall {row['wall_s']:7.3f} s "
                f"({row['wall_s'] * 1e6 / args.count:6.1f} us/result)  CPU {row['cpu_s']:7.3f} s "
                f"({row['cpu_s'] * 1e6 / args.count:6.1f} us/result)  rows {row['rows']:,}",
                file=out,
            )
        print(
            f"  ratio one-at-a-time / batched: wall {figures['ratio_wall']:.1f}x, CPU {figures['ratio_cpu']:.1f}x",
            file=out,
        )
        if args.pipeline_count > 0:
            latency = args.latency_ms / 1000
            run = asyncio.run(pipeline(Path(tmp) / "pipeline.sqlite3", args.pipeline_count, latency))
            figures["pipeline"] = run
            per = run["rows"] / max(1, run["write_transactions"])
            print(
                f"pipeline: {args.pipeline_count:,} URLs answered within {args.latency_ms:g} ms: "
                f"{run['write_transactions']:,} write transactions for {run['rows']:,} rows "
                f"({per:.1f} rows each), wall {run['wall_s']:.2f} s",
                file=out,
            )
    if args.json:
        print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
