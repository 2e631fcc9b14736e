#!/usr/bin/env python3
"""Benchmark :func:`citecheck.check.pages.read_page` against the old bs4 reader (issue #10).

Run from the repository root with the package installed::

    python benchmarks/bench_pages.py                 # the whole corpus, best of 5
    python benchmarks/bench_pages.py --repeats 3 --json > figures.json

A seeded generator builds the pages every checked URL may bring back: news articles of 20-150 KB
(a ``<head>`` full of meta/link/preload tags, inline scripts and styles, JSON-LD, scripts whose
strings hold ``<title>`` or ``</h1>``, comments; then a body with a navigation menu, an ``<h1>``
and many paragraphs), minimal pages and "not found" pages. Each reader is timed over the whole
corpus (best of N passes, rounds interleaved, GC paused) and the report gives microseconds per
page by kind for three readers: bs4 (the old reader), the full scanner (``fingerprint=True``, the
path of a page compared with its host's page for a made-up path) and the common path (no
fingerprint, every checked page), with the ratios to bs4. It also counts the pages where a
reader disagrees with bs4. Nothing here asserts on time: the script always exits 0 unless it is
misused.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from citecheck.check.pages import PageFacts, read_page

# tests/ is on mypy's path when it checks the project, not when it is given this file alone.
from pages_oracle import read_page_bs4  # type: ignore[import-not-found, unused-ignore]

_PROSE = (
    "the government said on tuesday that its new policy would cut emissions by half within a decade "
    "critics argue the plan lacks detail and funding while supporters point to early results from pilot "
    "regions where output rose sharply after local councils adopted the measures last year according to "
    "figures published by the national statistics office in a report seen by reporters élan über café "
    "naïve — “quoted” ‘words’ … 2024 €15m 38% Q&A"
)
WORDS = tuple(_PROSE.split())
SECTIONS = ("World", "Politics", "Business", "Tech", "Science", "Climate", "Sport", "Culture", "Opinion", "Travel")
BASE = "https://news.example/world/2024/05/policy-cuts-emissions"


@dataclass(frozen=True, slots=True)
class Page:
    kind: str
    body: str


def _sentence(rng: random.Random, low: int = 8, high: int = 30) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    text = " ".join(words)
    if rng.random() < 0.2:
        text = text.replace(" a ", ' a <a href="/x/{0}">link {0}</a> '.format(rng.randint(1, 999)), 1)
    if rng.random() < 0.1:
        text += " &amp; more&nbsp;text &#8217;s"
    return text[0].upper() + text[1:] + "."


def _head(rng: random.Random, title: str) -> str:
    parts = ['<!DOCTYPE html>\n<html lang="en" class="no-js">\n<head>\n<meta charset="utf-8">']
    parts.append('<meta name="viewport" content="width=device-width, initial-scale=1">')
    parts.append(f"<title>{title}</title>")
    for i in range(rng.randint(10, 40)):
        kind = rng.randrange(4)
        if kind == 0:
            parts.append(f'<meta property="og:tag{i}" content="{_sentence(rng, 3, 10)}">')
        elif kind == 1:
            parts.append(f'<link rel="preload" href="/static/font-{i}.woff2" as="font" crossorigin>')
        elif kind == 2:
            parts.append(f'<meta name="twitter:field{i}" content="value {i} &amp; more">')
        else:
            parts.append(f'<link rel="stylesheet" href="/static/css/app-{i}.css" media="all">')
    parts.append(f'<link rel="canonical" href="{BASE}">')
    parts.append("<!-- Google Tag Manager --><!-- <title>old</title> -->")
    for _ in range(rng.randint(2, 8)):
        body = "".join(
            f"window.__cfg{j} = {{url: '/a/{j}', html: '<div class=\"x\"><h1>Fake</h1></div>', t: '</title>'}};\n"
            for j in range(rng.randint(5, 60))
        )
        parts.append(f'<script type="text/javascript">\n{body}if (a < b && c > d) {{ x(); }}\n</script>')
    style = "".join(f".c{j}{{margin:{j}px;color:#{j:03x}}}\n" for j in range(rng.randint(50, 400)))
    parts.append(f"<style>\n{style}</style>")
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": title, "x": "</h2>"})
    parts.append(f'<script type="application/ld+json">{ld}</script>')
    parts.append("</head>")
    return "\n".join(parts)


def _nav(rng: random.Random) -> str:
    items = []
    for section in SECTIONS:
        subs = "".join(
            f'<li class="nav__sub"><a href="/{section.lower()}/{j}" data-link-name="nav:{j}">{section} {j}</a></li>'
            for j in range(rng.randint(3, 12))
        )
        items.append(f'<li class="nav__item"><a href="/{section.lower()}">{section}</a><ul>{subs}</ul></li>')
    svg = '<svg viewBox="0 0 10 10" aria-hidden="true"><title>Menu</title><path d="M0 0h10v10z"/></svg>'
    return f'<header class="site-header"><nav id="nav">{svg}<ul class="nav">{"".join(items)}</ul></nav></header>'


def article(rng: random.Random, size: int) -> Page:
    """A news article of about ``size`` characters."""
    title = _sentence(rng, 5, 12).rstrip(".") + " | Example News"
    parts = [_head(rng, title), '<body class="article">', '<noscript><iframe src="/gtm"></iframe></noscript>']
    parts.append(_nav(rng))
    parts.append(f'<main><article><h1 class="headline">{title.split(" | ")[0]}</h1>')
    parts.append(
        f'<p class="byline">By <a href="/by/x">A. Writer</a> &middot; <time>{rng.randint(1, 28)} May</time></p>'
    )
    length = sum(map(len, parts))
    while length < size:
        if rng.random() < 0.1:
            chunk = '<figure><img src="/i.jpg" alt="a &quot;photo&quot;"><figcaption>Photo</figcaption></figure>'
        elif rng.random() < 0.05:
            chunk = '<aside class="ad"><script>googletag.cmd.push(function(){ display("ad"); });</script></aside>'
        elif rng.random() < 0.05:
            chunk = f"<h2>{_sentence(rng, 3, 8)}</h2>"
        else:
            chunk = "<p>" + " ".join(_sentence(rng) for _ in range(rng.randint(1, 4))) + "</p>\n"
        parts.append(chunk)
        length += len(chunk)
    parts.append("</article></main><footer><p>&copy; Example News</p></footer></body></html>")
    return Page(f"article-{size // 1000}k", "\n".join(parts))


def minimal(rng: random.Random) -> Page:
    """A tiny page: a title, a line or two."""
    body = f"<html><head><title>Item {rng.randint(1, 9999)}</title></head><body><p>{_sentence(rng)}</p></body></html>"
    return Page("minimal", body)


def not_found(rng: random.Random) -> Page:
    """A soft 404 page of a few KB, with its own head and navigation."""
    head = _head(rng, "Page not found | Example News")
    body = f"{head}<body>{_nav(rng)}<main><h1>Sorry, we couldn't find that page</h1><p>{_sentence(rng)}</p></main>"
    return Page("not-found", body + "</body></html>")


def corpus(seed: int, count: int) -> list[Page]:
    """``count`` pages: mostly articles of 20-150 KB, some minimal and not-found pages."""
    rng = random.Random(seed)
    pages = []
    for i in range(count):
        roll = i % 10
        if roll < 7:
            pages.append(article(rng, rng.choice((20_000, 40_000, 60_000, 60_000, 80_000, 100_000, 150_000))))
        elif roll < 9:
            pages.append(not_found(rng))
        else:
            pages.append(minimal(rng))
    return pages


def read_fingerprinted(body: str, base_url: str) -> PageFacts:
    """The full scanner: every fact and the fingerprint."""
    return read_page(body, base_url, fingerprint=True)


def time_reader(reader: Callable[[str, str], PageFacts], pages: Sequence[Page]) -> dict[str, float]:
    """Seconds spent on each page (one pass), by page index."""
    out: dict[str, float] = {}
    gc_was = gc.isenabled()
    gc.disable()
    try:
        clock = time.perf_counter
        for index, page in enumerate(pages):
            start = clock()
            reader(page.body, BASE)
            out[str(index)] = clock() - start
    finally:
        if gc_was:
            gc.enable()
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Time both readers over the corpus and print microseconds per page by kind."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=60, help="pages in the corpus (default 60)")
    parser.add_argument("--repeats", type=int, default=5, help="timed passes, best kept (default 5)")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON on stdout")
    args = parser.parse_args(argv)
    if args.count < 1 or args.repeats < 1:
        parser.error("--count and --repeats must be at least 1")
    pages = corpus(args.seed, args.count)
    readers: dict[str, Callable[[str, str], PageFacts]] = {
        "bs4": read_page_bs4,
        "scanner": read_fingerprinted,
        "common": read_page,
    }
    best: dict[str, dict[str, float]] = {name: {} for name in readers}
    for _ in range(args.repeats):
        for name, reader in readers.items():
            for key, seconds in time_reader(reader, pages).items():
                best[name][key] = min(best[name].get(key, seconds), seconds)
    expected = [read_page_bs4(page.body, BASE) for page in pages]
    differ = {
        "scanner": [
            page.kind
            for page, facts in zip(pages, expected, strict=True)
            if read_fingerprinted(page.body, BASE) != facts
        ],
        "common": [
            page.kind
            for page, facts in zip(pages, expected, strict=True)
            if read_page(page.body, BASE) != replace(facts, fingerprint="")
        ],
    }
    kinds = sorted({page.kind for page in pages}, key=lambda k: (k[0], len(k), k))
    report = sys.stderr if args.json else sys.stdout
    print(
        f"Python {platform.python_version()} on {platform.machine()}, {len(pages)} pages, best of {args.repeats}",
        file=report,
    )
    print(
        f"{'kind':<14} {'pages':>5} {'avg KB':>7} {'bs4 µs':>9} {'scanner µs':>11} {'common µs':>10} "
        f"{'bs4/scanner':>12} {'bs4/common':>11}",
        file=report,
    )
    figures: dict[str, dict[str, float]] = {}
    for kind in [*kinds, "all"]:
        chosen = [i for i, page in enumerate(pages) if kind in ("all", page.kind)]
        size = sum(len(pages[i].body) for i in chosen) / len(chosen) / 1000
        old, full, common = (sum(best[name][str(i)] for i in chosen) / len(chosen) * 1e6 for name in readers)
        figures[kind] = {
            "pages": len(chosen),
            "avg_kb": size,
            "bs4_us": old,
            "scanner_us": full,
            "common_us": common,
            "ratio_scanner": old / full,
            "ratio_common": old / common,
        }
        print(
            f"{kind:<14} {len(chosen):>5} {size:>7.1f} {old:>9.0f} {full:>11.0f} {common:>10.0f} "
            f"{old / full:>11.0f}x {old / common:>10.0f}x",
            file=report,
        )
    for name, kinds_differ in differ.items():
        print(f"pages where {name} and bs4 disagree: {len(kinds_differ)} {sorted(set(kinds_differ))}", file=report)
    if args.json:
        json.dump({"figures": figures, "disagree": {k: len(v) for k, v in differ.items()}}, sys.stdout, indent=2)
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
