"""Content drift: main-text extractors measured on pages of our own making.

For each case of ``tests/drift_pages.py`` (one article, then the same text under changed
furniture or a new template, a small edit, a rewrite, another article) and each extractor, prints
the similarity (share of the cited main text's word 5-grams still in the live main text) and
whether the default threshold gets it right, then the time per page. Run from the repository root:

    python benchmarks/bench_drift.py [--repeats N] [--json]

It never fails on a figure: it exits 0 whatever it measures. It is not a test.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from citecheck.drift import DEFAULT_THRESHOLD, EXTRACTORS, containment, main_text
from drift_pages import CASES


def measure(extractor: str, repeats: int) -> dict[str, object]:
    """Similarity per case, whether the verdict is right, and the mean time to extract one page."""
    rows: dict[str, object] = {}
    right = 0
    pages = 0
    started = time.perf_counter()
    for _ in range(repeats):
        for case in CASES:
            cited, live = main_text(case.cited, extractor), main_text(case.live, extractor)
            pages += 2
            similarity = containment(cited, live)
            rows[case.name] = None if similarity is None else round(similarity, 3)
    elapsed = time.perf_counter() - started
    for case in CASES:
        value = rows[case.name]
        right += isinstance(value, float) and (value >= DEFAULT_THRESHOLD) == case.same
    return {"similarity": rows, "right": right, "cases": len(CASES), "ms_per_page": 1000 * elapsed / pages}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = {}
    for extractor in EXTRACTORS:
        try:
            main_text(CASES[0].cited, extractor)  # warm up: imports, caches
        except Exception as exc:
            print(f"{extractor}: not measured ({exc})", file=sys.stderr)
            continue
        figures[extractor] = measure(extractor, args.repeats)
    if args.json:
        print(json.dumps({"threshold": DEFAULT_THRESHOLD, "extractors": figures}, indent=2))
        return 0
    names = list(figures)
    print(f"similarity (same >= {DEFAULT_THRESHOLD}); expected verdict in brackets")
    print(f"{'case':<36}" + "".join(f"{n:>14}" for n in names))
    for case in CASES:
        cells = []
        for name in names:
            value = figures[name]["similarity"][case.name]  # type: ignore[index]
            cells.append("-" if value is None else f"{value:.3f}")
        expected = "same" if case.same else "changed"
        print(f"{case.name + ' [' + expected + ']':<36}" + "".join(f"{c:>14}" for c in cells))
    print(f"{'right verdicts':<36}" + "".join(f"{figures[n]['right']}/{figures[n]['cases']}".rjust(14) for n in names))
    print(f"{'ms per page':<36}" + "".join(f"{figures[n]['ms_per_page']:>14.2f}" for n in names))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
