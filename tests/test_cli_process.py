"""The console script's process settings: fewer collections in a process citecheck owns, never in a host's."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator

import pytest

from citecheck.cli.process import (
    COLLECTOR_THRESHOLDS,
    OPEN_FILES_WANTED,
    console_main,
    raise_open_file_limit,
    tune_collector,
)


@pytest.fixture
def collector() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


@pytest.mark.usefixtures("collector")
def test_tune_collector_raises_the_thresholds_and_freezes_start_up_objects() -> None:
    gc.set_threshold(700, 10, 10)
    tune_collector()
    assert gc.get_threshold() == COLLECTOR_THRESHOLDS
    assert gc.get_freeze_count() > 0


@pytest.mark.usefixtures("collector")
def test_a_higher_threshold_chosen_by_the_host_is_kept() -> None:
    gc.set_threshold(50_000, 5, 5)
    tune_collector()
    assert gc.get_threshold() == (50_000, 5, 5)


@pytest.mark.usefixtures("collector")
def test_console_main_runs_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert console_main(["clean", "https://example.com/a?utm_source=x"]) == 0
    assert "https://example.com/a" in capsys.readouterr().out


def test_importing_the_library_leaves_the_collector_alone() -> None:
    def ask(imports: str) -> str:
        code = f"import gc{imports}; print(gc.get_threshold(), gc.get_freeze_count())"
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    assert ask(", citecheck, citecheck.check, citecheck.cli") == ask("")


def test_the_open_file_limit_is_raised_towards_the_hard_limit() -> None:
    resource = pytest.importorskip("resource")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        low = min(256, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))
        raise_open_file_limit()
        raised, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = OPEN_FILES_WANTED if hard == resource.RLIM_INFINITY else min(OPEN_FILES_WANTED, hard)
        assert raised == wanted
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
