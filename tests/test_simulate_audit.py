"""``benchmarks/simulate_audit.py``: properties any honest projection of a sharded audit must have.

The simulation is a model, so these tests assert on its outputs, never on a measured time.
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import replace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

# benchmarks/ is on mypy's path when it checks the project, not when it is given this file alone.
from simulate_audit import (  # type: ignore[import-not-found, unused-ignore]
    Latency,
    Model,
    Projection,
    host_sizes,
    main,
    make_shards,
    project,
)

WORKERS = (1, 2, 3, 4, 8, 16, 32, 64)
# A small audit with the shape of a real one: a Zipf law over hosts, small shards.
SKEWED = Model(zipf=1.0, links_per_host=10, shard_urls=200, concurrency=32, seed=7)


def walls(rows: list[Projection]) -> list[float]:
    return [row.wall for row in rows]


@pytest.mark.parametrize(
    "model",
    [
        SKEWED,
        replace(SKEWED, zipf=0.5),
        replace(SKEWED, zipf=0.0, cpu_per_url=0.02),
        replace(SKEWED, host_interval=0.5, requests_per_url=1.0),
        replace(SKEWED, shards_per_worker=1),
    ],
)
def test_more_workers_never_make_it_slower_and_no_bound_is_beaten(model: Model) -> None:
    rows = project(20_000, WORKERS, model)
    for fewer, more in itertools.pairwise(rows):
        assert more.wall <= fewer.wall * (1 + 1e-9), (fewer, more)
    for row in rows:
        assert row.wall >= row.politeness_floor * (1 - 1e-9)
        assert row.wall >= row.cpu_bound * (1 - 1e-9)
        assert row.wall >= row.inflight_bound * (1 - 1e-9)
        assert row.wall_over_bound >= 1 - 1e-9
        bounds = {"politeness": row.politeness_floor, "cpu": row.cpu_bound, "in-flight": row.inflight_bound}
        assert bounds[row.dominant] == max(bounds.values())


def test_the_cpu_bound_is_total_cpu_over_total_cores() -> None:
    model = replace(SKEWED, cpu_per_url=0.001, cores_per_worker=2)
    (row,) = project(10_000, (3,), model)
    assert row.cores == 6
    assert row.cpu_bound == pytest.approx(10_000 * 0.001 / 6)


def test_with_one_host_extra_workers_do_not_help() -> None:
    model = replace(SKEWED, host_counts=(1,))
    rows = project(5_000, WORKERS, model)
    assert {row.hosts for row in rows} == {1}
    assert walls(rows) == pytest.approx([rows[0].wall] * len(rows))
    assert all(row.dominant == "politeness" for row in rows)
    # The single host's time is the whole audit: R requests on host_concurrency slots.
    latency = Latency(model)
    assert rows[0].wall == pytest.approx(latency.host_time(round(5_000 * model.requests_per_url)), rel=1e-6)


def test_uniform_tiny_hosts_scale_with_workers_until_a_bound_stops_them() -> None:
    # 10,000 hosts of one URL: no politeness to speak of; 8 in flight per worker binds first.
    model = Model(host_counts=(1,), links_per_host=1, concurrency=8, shard_urls=25, cpu_per_url=0.0001, seed=3)
    model = replace(model, host_counts=(1,) * 10_000)
    rows = project(10_000, (1, 2, 4, 8, 16), model)
    assert all(row.dominant == "in-flight" for row in rows)
    for row in rows:
        assert row.wall * row.workers == pytest.approx(rows[0].wall, rel=0.05)
    # Make the CPU dear: the CPU bound takes over, and the wall follows it, still ~1/workers.
    dear = replace(model, cpu_per_url=0.5)
    rows = project(10_000, (1, 2, 4, 8, 16), dear)
    assert all(row.dominant == "cpu" for row in rows)
    for row in rows:
        assert row.wall == pytest.approx(row.cpu_bound, rel=0.05)


def test_once_the_largest_host_is_the_floor_workers_stop_helping() -> None:
    rows = project(20_000, WORKERS, SKEWED)
    assert rows[-1].dominant == "politeness"
    assert rows[-1].wall == pytest.approx(rows[-1].politeness_floor, rel=0.05)
    assert rows[0].wall > rows[-1].wall


def test_hosts_are_never_split_and_every_link_is_in_one_shard() -> None:
    model = replace(SKEWED, shard_urls=300)
    sizes = host_sizes(50_000, model)
    assert sum(sizes) == 50_000
    assert sizes == sorted(sizes, reverse=True)
    shards = make_shards(sizes, model, Latency(model))
    assert sum(shard.urls for shard in shards) == 50_000
    assert sum(shard.hosts for shard in shards) == len(sizes)
    big = [size for size in sizes if size >= model.shard_urls]
    assert sorted((s.urls for s in shards if s.hosts == 1 and s.urls >= model.shard_urls), reverse=True) == big
    assert [s.politeness for s in shards] == sorted((s.politeness for s in shards), reverse=True)


def test_the_same_seed_gives_the_same_projection() -> None:
    assert project(20_000, (1, 4), SKEWED) == project(20_000, (1, 4), SKEWED)


def test_the_command_line_prints_a_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--links", "20000", "--workers", "1,4", "--shard-urls", "200"]) == 0
    out = capsys.readouterr().out
    assert "20,000 links" in out
    assert "dominant" in out
    assert main(["--links", "20000", "--workers", "2", "--json"]) == 0
    assert '"workers": 2' in capsys.readouterr().out
