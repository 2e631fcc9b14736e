#!/usr/bin/env python3
"""CPU per URL of the offline part of the flow: read, extract, clean, judge, store, report.

Run from the repository root with the package installed::

    python benchmarks/bench_flow.py                       # 10,000 URLs over 200 hosts, best of 3
    python benchmarks/bench_flow.py --urls 20000 --hosts 500
    python benchmarks/bench_flow.py --profile 25          # also cProfile the whole flow, top 25 by own time
    python benchmarks/bench_flow.py --json > figures.json # report on stderr, JSON on stdout

Issue #10 wants the whole flow under 1 ms of CPU per URL. The network fetch is the check
stage's business (``bench_check.py``); this script times everything around it. A seeded article
(Markdown: list items, inline links, bare URLs and reference definitions; a third of the links
carry tracking parameters, some sit in redirect wrappers, some are cited twice) goes through
the pipeline's own functions, one stage at a time, each timed with ``time.process_time`` (the
CPU of every thread of this process) as the best of ``--repeats`` passes:

====================  =============================================================================
stage                 what runs
====================  =============================================================================
read                  ``read_document``: the file's bytes decoded (a temporary file)
extract               ``extract_links`` of the Markdown
clean                 ``Cleaner.explain`` of every link, a new cleaner each pass (its host cache cold)
judge                 ``Judge.document`` (extract + clean + verdicts) minus extract and clean
store recall          ``reusable_results`` of the run's URLs on a store holding them all
store record          ``remember_results`` of every result, in batches as the session's recorder
merge                 ``Run.results()``: the network's verdicts folded into the offline ones
report json/text      ``render`` of the run's report
fix                   ``fixed_text``: the article with every fixable link rewritten
====================  =============================================================================

Then the whole flow once through ``AsyncSession`` (``start``, ``wait``, ``results``, JSON), its
checks answered at once by an ``httpx.MockTransport`` (``200 application/pdf``, so one request
per URL and no page to read): "session, fake network" includes the checker's own CPU, which
is not this script's concern but shows what is left for it.

Nothing here asserts on time: the script exits 0 whatever the figures are.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx

from citecheck import AsyncSession, Config
from citecheck.clean.cleaner import Cleaner
from citecheck.core.evidence import OnlineResult
from citecheck.core.results import CheckReport, FileResult
from citecheck.core.verdicts import Verdict
from citecheck.extract import extract_links
from citecheck.fix.documents import read_document
from citecheck.fix.rewrite import fixed_text
from citecheck.pipeline import Run, Source
from citecheck.pipeline.judge import Judge, online_urls
from citecheck.report import render
from citecheck.store import AsyncStore, remember_results, reusable_results

_T = TypeVar("_T")

TRACKERS = ("utm_source=news", "utm_medium=email", "utm_campaign=spring", "fbclid=IwAR0x", "gclid=Cj0K", "mc_eid=9f")
WORDS = [
    "the",
    "report",
    "said",
    "that",
    "a",
    "study",
    "of",
    "many",
    "sources",
    "found",
    "some",
    "evidence",
    "for",
    "this",
    "claim",
]


def article(urls: int, hosts: int, seed: int) -> str:
    """A Markdown article citing ``urls`` distinct URLs over ``hosts`` hosts (seeded)."""
    rng = random.Random(seed)
    names = [
        f"{'www.' if index % 3 else ''}site{index}.example.{('com', 'org', 'net')[index % 3]}" for index in range(hosts)
    ]
    lines = ["# A long article", ""]
    definitions = []
    cited: list[str] = []
    for index in range(urls):
        host = names[min(hosts - 1, int(rng.paretovariate(1.2)) - 1)] if rng.random() < 0.5 else rng.choice(names)
        url = f"https://{host}/{rng.choice(WORDS)}/{index}-{rng.choice(WORDS)}"
        if rng.random() < 0.4:
            url += f"?id={index}&page={rng.randrange(9)}"
        if rng.random() < 0.33:
            url += ("&" if "?" in url else "?") + "&".join(rng.sample(TRACKERS, rng.randrange(1, 4)))
        if rng.random() < 0.03:
            url = "https://www.google.com/url?q=" + url.replace("&", "%26").replace("?", "%3F") + "&sa=D"
        cited.append(url)
        prose = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(4, 14)))
        kind = rng.random()
        if kind < 0.5:
            lines.append(f"- {prose.capitalize()} ([source]({url})).")
        elif kind < 0.75:
            lines.append(f"{prose.capitalize()}: {url} and more.")
        else:
            lines.append(f"{prose.capitalize()} [ref {index}][r{index}].")
            definitions.append(f"[r{index}]: {url}")
        if rng.random() < 0.05 and cited:
            lines.append(f"Again, see [the same source]({rng.choice(cited)}).")
    return "\n".join([*lines, "", *definitions, ""])


def explain_all(cleaner: Cleaner, urls: list[str]) -> int:
    """Clean every URL with one cleaner (as a judge does); how many it changed."""
    return sum(cleaner.explain(url).changed for url in urls)


def finished_run(judge: Judge, source: Source, offline: FileResult, online: dict[str, OnlineResult]) -> Run:
    """A run whose every check is in, made without a loop or a network (its session is offline)."""
    session = AsyncSession(Config(offline=True, store=""), cleaner=judge.cleaner)
    run = Run(session, [source], [offline], archive=False, on_result=None)
    run.urls = list(online)
    run.online.update(online)
    return run


def best(passes: int, work: Callable[[], _T]) -> tuple[float, _T]:
    """The least CPU seconds ``work`` took over ``passes`` runs, and its last value."""
    times = []
    value: Any = None
    for _ in range(passes):
        start = time.process_time()
        value = work()
        times.append(time.process_time() - start)
    return min(times), value


def pdf(request: httpx.Request) -> httpx.Response:
    """Every URL a PDF, answered at once."""
    return httpx.Response(200, headers={"content-type": "application/pdf"}, stream=httpx.ByteStream(b"%PDF-1.4"))


def fake_online(url: str, index: int) -> OnlineResult:
    """What the network might have said: mostly ok, one in twenty broken."""
    if index % 20 == 0:
        return OnlineResult(url=url, verdict=Verdict.BROKEN, http_status=404)
    return OnlineResult(url=url, verdict=Verdict.OK, http_status=200, content_type="application/pdf")


async def store_stages(path: Path, results: list[OnlineResult], passes: int) -> dict[str, float]:
    """CPU of recording ``results`` (batches of 1,000, as the recorder) and of recalling them."""
    urls = [result.url for result in results]
    record, recall = [], []
    for attempt in range(passes):
        async with await AsyncStore.open(path.with_suffix(f".{attempt}.sqlite3")) as store:
            start = time.process_time()
            for first in range(0, len(results), 1000):
                await store.call(
                    remember_results, results[first : first + 1000], dead_after_checks=3, dead_after_days=3
                )
            record.append(time.process_time() - start)
            start = time.process_time()
            found = await store.call(reusable_results, urls, max_age=86400.0)
            recall.append(time.process_time() - start)
            assert len(found) == len(urls)
    return {"store record": min(record), "store recall": min(recall)}


async def whole_flow(path: Path, source: Source, profile: cProfile.Profile | None) -> tuple[float, float, int]:
    """CPU and wall seconds of one session run over ``source`` (fake network), and its links."""
    config = Config(store=str(path), concurrency=64, host_concurrency=16, retries=0)
    start, wall = time.process_time(), time.perf_counter()
    if profile is not None:
        profile.enable()
    async with AsyncSession(config, transport=httpx.MockTransport(pdf)) as session:
        run = session.start([source])
        await run.wait()
        files = run.results()
        render(CheckReport(files=tuple(files), fail_on=session.fail_on), "json")
    if profile is not None:
        profile.disable()
    return time.process_time() - start, time.perf_counter() - wall, len(files[0].links)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--urls", type=int, default=10_000, help="distinct URLs in the article (default 10000)")
    parser.add_argument("--hosts", type=int, default=200, help="hosts they are spread over (default 200)")
    parser.add_argument("--repeats", type=int, default=3, help="passes per stage, best kept (default 3)")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--no-session", action="store_true", help="skip the whole flow through a session")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile the session run, top N")
    parser.add_argument("--json", action="store_true", help="figures as JSON on stdout, report on stderr")
    args = parser.parse_args(argv)
    out = sys.stderr if args.json else sys.stdout
    text = article(args.urls, args.hosts, args.seed)
    config = Config()
    judge = Judge(config)
    rules = judge.cleaner.rules
    stages: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="citecheck-bench-flow-") as tmp:
        file = Path(tmp) / "article.md"
        file.write_text(text, "utf-8")
        stages["read"], document = best(args.repeats, lambda: read_document(file))
        stages["extract"], links = best(args.repeats, lambda: extract_links(document.text, "markdown"))
        stages["clean"], _ = best(args.repeats, lambda: explain_all(Cleaner(rules), [link.url for link in links]))
        judged, offline = best(args.repeats, lambda: Judge(config, cleaner=Cleaner(rules)).document(document))
        stages["judge"] = max(0.0, judged - stages["extract"] - stages["clean"])
        urls = online_urls([offline])
        results = [fake_online(url, index) for index, url in enumerate(urls)]
        stages.update(asyncio.run(store_stages(Path(tmp) / "store", results, args.repeats)))
        online = {result.url: result for result in results}
        source = Source(document, "markdown", datetime.now(UTC))

        stages["merge"], files = best(args.repeats, finished_run(judge, source, offline, online).results)
        report = CheckReport(files=tuple(files))
        stages["report json"], _ = best(args.repeats, lambda: render(report, "json"))
        stages["report text"], _ = best(args.repeats, lambda: render(report, "text"))
        stages["fix"], _ = best(args.repeats, lambda: fixed_text(document.text, files[0]))
        session_figures: dict[str, float] = {}
        profile = cProfile.Profile() if args.profile else None
        if not args.no_session:
            cpu, wall, count = asyncio.run(whole_flow(Path(tmp) / "session.sqlite3", source, profile))
            session_figures = {"cpu_s": cpu, "wall_s": wall, "links": count}
    per = 1000.0 / len(urls)
    total = sum(stages.values())
    print(
        f"flow: {len(links):,} links, {len(urls):,} distinct URLs to check over {args.hosts} hosts "
        f"({len(text) / 1e6:.1f} MB of Markdown); best of {args.repeats}, CPU ms per distinct URL",
        file=out,
    )
    for name, seconds in stages.items():
        print(f"  {name:<14} {seconds * per:8.4f} ms/URL   ({seconds:7.3f} s)", file=out)
    print(f"  {'total':<14} {total * per:8.4f} ms/URL   ({total:7.3f} s)   target: under 1 ms/URL", file=out)
    if session_figures:
        print(
            f"  session, fake network: {session_figures['cpu_s'] * per:.4f} ms/URL CPU "
            f"(wall {session_figures['wall_s']:.2f} s; includes the checker)",
            file=out,
        )
    if profile is not None:
        stream = io.StringIO()
        pstats.Stats(profile, stream=stream).sort_stats("tottime").print_stats(args.profile)
        print(stream.getvalue(), file=out)
    if args.json:
        figures = {
            "links": len(links),
            "urls": len(urls),
            "hosts": args.hosts,
            "ms_per_url": {name: seconds * per for name, seconds in stages.items()},
            "total_ms_per_url": total * per,
            "session": session_figures,
        }
        print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
