"""Settings of a process that citecheck owns (the console script), not of a library's host.

A check run allocates many short-lived objects per link (requests, answers, coroutines); with
Python's default collector thresholds the cyclic garbage collector then takes about a tenth of
the CPU of a large run (measured with benchmarks/bench_check.py). A library must not change
its host's collector, so only the command line does.

Likewise the open-file limit: a run over thousands of hosts keeps hundreds of requests in flight
and idle connections to reuse, more than the soft limit many systems start a shell with (1,024,
or 256 on macOS). The command raises its soft limit towards the hard one.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence

try:
    import resource
except ImportError:  # pragma: no cover - Windows has no such limit to raise
    resource = None  # type: ignore[assignment]

from .main import main

__all__ = ["OPEN_FILES_WANTED", "console_main", "raise_open_file_limit", "tune_collector"]

#: Open files the command asks for, when the hard limit allows (sockets in flight and idle).
OPEN_FILES_WANTED = 16_384

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


def raise_open_file_limit() -> None:
    """Raise the soft limit on open files to :data:`OPEN_FILES_WANTED`, or the hard limit if lower."""
    if resource is None:  # pragma: no cover
        return
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = OPEN_FILES_WANTED if hard == resource.RLIM_INFINITY else min(OPEN_FILES_WANTED, hard)
        if soft != resource.RLIM_INFINITY and soft < wanted:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (OSError, ValueError):  # not allowed here: the run still works, with fewer sockets
        return


def console_main(argv: Sequence[str] | None = None) -> int:
    """The ``citecheck`` console script and ``python -m citecheck``: :func:`main` in a tuned process."""
    tune_collector()
    raise_open_file_limit()
    return main(argv)
