"""Settings of a process that citecheck owns (the console script), not of a library's host.

A check run allocates many short-lived objects per link (requests, answers, coroutines); with
Python's default collector thresholds the cyclic garbage collector then takes about a tenth of
the CPU of a large run (measured with benchmarks/bench_check.py). A library must not change
its host's collector, so only the command line does.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence

from .main import main

__all__ = ["console_main", "tune_collector"]

#: Young objects allocated before a collection, and how often the older generations follow.
COLLECTOR_THRESHOLDS = (10_000, 20, 50)


def tune_collector() -> None:
    """Collect less often, and never scan what start-up loaded (rules, modules) again.

    Left alone when someone already raised the thresholds (an embedding program's choice wins).
    """
    if gc.get_threshold()[0] >= COLLECTOR_THRESHOLDS[0]:
        return
    gc.freeze()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)


def console_main(argv: Sequence[str] | None = None) -> int:
    """The ``citecheck`` console script and ``python -m citecheck``: :func:`main` in a tuned process."""
    tune_collector()
    return main(argv)
