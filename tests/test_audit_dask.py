"""``citecheck audit --scheduler/--workers``: an audit on a real Dask cluster (scheduler and worker processes).

Most tests share one cluster started as ``dask scheduler`` + ``dask worker`` subprocesses on
127.0.0.1 (module fixture); the politeness test starts a local cluster through ``--workers 2``,
and the fault tests start their own so that killing a worker disturbs nothing else. Every
request goes to a FakeWeb on 127.0.0.1: nothing touches the internet.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("distributed")

from distributed import Client

from citecheck.cli.main import main
from citecheck.pipeline import cluster as engine
from citecheck.pipeline.audit import Cited
from citecheck.pipeline.cluster import ShardSummary, local_cluster, stored_records
from citecheck.pipeline.shards import Shard, make_shards, shard_size_for
from citecheck.store import open_store
from fakeweb import FakeWeb, delay, ok, status

PAGE = "<html><head><title>A report</title></head><body><p>The report itself, at length.</p></body></html>"
BASE = ["audit", "--isolated", "--allow-network", "127.0.0.0/8", "--retries", "0", "--method", "get"]
SRC = Path(__file__).resolve().parent.parent / "src"
ENV = {**os.environ, "PYTHONPATH": str(SRC)}


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def audit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([*BASE, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _wait(condition: Any, what: str, seconds: float = 60.0) -> None:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def _address(info: Path) -> str | None:
    try:
        return str(json.loads(info.read_text("utf-8"))["address"])
    except (OSError, ValueError, KeyError):
        return None  # not written yet, or not whole yet


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a ``dask scheduler`` with two ``dask worker`` processes (one thread each)."""
    here = tmp_path_factory.mktemp("dask")
    info = here / "scheduler.json"
    dask = [sys.executable, "-m", "dask"]
    common = {"cwd": here, "env": ENV, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler_command = [*dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"]
    scheduler_command += ["--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(info)]
    worker_command = [*dask, "worker", "--scheduler-file", str(info), "--nworkers", "2", "--nthreads", "1"]
    worker_command += ["--no-dashboard", "--host", "127.0.0.1"]
    procs = [subprocess.Popen(scheduler_command, **common)]  # type: ignore[call-overload]
    try:
        _wait(lambda: _address(info) is not None, "the scheduler file")
        procs.append(subprocess.Popen(worker_command, **common))  # type: ignore[call-overload]
        address = str(_address(info))
        with Client(address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for proc in reversed(procs):  # the workers first: without their scheduler they linger
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    with FakeWeb.threaded(hosts=3) as server:
        server.route("/a", ok(PAGE))
        server.route("/b", ok(PAGE))
        server.route("/gone", status(404))
        yield server


def rows(store: Path | str, urls: list[str]) -> dict[str, Any]:
    with open_store(store) as opened:
        return opened.latest_many(urls, max_age=timedelta(days=1))


# -- shards ----------------------------------------------------------------------------------------


def test_every_host_is_wholly_in_one_shard_and_big_shards_come_first() -> None:
    urls = [f"http://big.example:{8000 + n % 2}/{n}" for n in range(9)]  # two origins (ports)
    urls += [f"https://h{n}.example/x" for n in range(7)] + ["https://h0.example/y", "https://h0.example/x"]
    shards = make_shards(urls, target=3)
    seen = [url for shard in shards for url in shard.urls]
    assert sorted(seen) == sorted(set(urls))  # every URL once, the repeated one kept once
    owner: dict[str, int] = {}
    for shard in shards:
        for url in shard.urls:
            host = url.split("/")[2]
            assert owner.setdefault(host, shard.index) == shard.index
    assert [len(shard) for shard in shards] == sorted((len(shard) for shard in shards), reverse=True)
    assert (len(shards[0]), len(shards[1])) == (5, 4)  # hosts over the target are shards alone
    assert all(len(shard) <= 3 for shard in shards[2:])  # small hosts are packed up to it
    assert [shard.index for shard in shards] == list(range(len(shards)))
    assert make_shards(urls, target=3) == shards  # deterministic
    assert make_shards([], target=3) == []
    with pytest.raises(ValueError, match="at least 1"):
        make_shards(urls, target=0)


def test_the_shard_size_gives_each_worker_a_few_shards() -> None:
    assert shard_size_for(48, 2) == 6
    assert shard_size_for(10**7, 64) == 2000
    assert shard_size_for(0, 2) == shard_size_for(5, 0) == 1


def test_a_shard_without_results_reports_its_urls_pending() -> None:
    shard = Shard(index=0, hosts=("https://a.org",), urls=("https://a.org/1", "https://a.org/2"))
    first = {url: Cited(url, "list.txt", n) for n, url in enumerate(shard.urls, start=1)}
    records = list(stored_records(shard, first, {}, None))
    assert [(r["url"], r["verdict"], r["line"]) for r in records] == [
        ("https://a.org/1", "pending", 1),
        ("https://a.org/2", "pending", 2),
    ]
    summary = ShardSummary(index=0, urls=2, checked=0, reused=0)
    assert [r["verdict"] for r in stored_records(shard, first, {}, summary)] == ["pending", "pending"]


def test_results_come_from_the_store_or_from_the_summary_when_unrecorded() -> None:
    from datetime import UTC, datetime

    from citecheck.core.evidence import OnlineResult
    from citecheck.core.verdicts import Reason, Verdict
    from citecheck.store.checks import stored_check

    shard = Shard(index=0, hosts=("https://a.org",), urls=("https://a.org/1", "https://a.org/2", "https://a.org/3"))
    first = {url: Cited(url, "list.txt", n) for n, url in enumerate(shard.urls, start=1)}
    when = datetime(2026, 1, 2, tzinfo=UTC)
    stored = OnlineResult(url="https://a.org/1", verdict=Verdict.OK, http_status=200, checked_at=when)
    down = OnlineResult(url="https://a.org/2", verdict=Verdict.UNREACHABLE, reason=Reason.OFFLINE, checked_at=when)
    summary = ShardSummary(index=0, urls=3, checked=2, reused=0, unrecorded=(down.to_dict(),))
    records = list(stored_records(shard, first, {stored.url: stored_check(stored)}, summary))
    assert [(r["verdict"], r["reason"], r["http_status"]) for r in records] == [
        ("ok", None, 200),
        ("unreachable", "offline", None),
        ("pending", None, None),  # neither stored nor handed back
    ]
    assert records[0]["checked_at"] == when.isoformat()


def test_the_store_of_a_distributed_audit_is_shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from citecheck.core.config import Config
    from citecheck.core.errors import UsageError

    location = "postgresql://auditor@db.example/citecheck"
    assert engine.shared_store(Config(store=location), local=False) == (Config(store=location), [])
    monkeypatch.chdir(tmp_path)
    config, notices = engine.shared_store(Config(store="results.sqlite3"), local=True)
    assert (config.store, notices) == (str(tmp_path / "results.sqlite3"), [])  # absolute: workers start elsewhere
    config, notices = engine.shared_store(Config(store="results.sqlite3"), local=False)
    assert "every worker must open this same file" in notices[0]
    config, _ = engine.shared_store(Config(), local=True)  # the default location, made explicit
    assert config.store is not None
    assert Path(config.store).is_absolute()
    for unusable in ("", ":memory:"):
        with pytest.raises(UsageError):
            engine.shared_store(Config(store=unusable), local=True)


def test_a_worker_remembers_for_a_while_that_its_network_works(monkeypatch: pytest.MonkeyPatch) -> None:
    """A shard of dead domains only is not taken for an offline machine when another shard of
    the same worker saw names resolve and hosts answer a moment ago."""
    import asyncio

    from citecheck.check import AsyncLinkChecker

    monkeypatch.setattr(engine, "_seen", {})
    clock = [1000.0]
    monkeypatch.setattr(engine, "_clock", lambda: clock[0])

    async def facts() -> tuple[bool, bool]:
        async with AsyncLinkChecker() as fresh:
            engine._recall(fresh)
            return fresh.dns_works, fresh.hosts_answered

    async def witness() -> None:
        async with AsyncLinkChecker() as earlier:
            earlier.dns_works = True
            earlier.network.hosts_answered = True
            engine._learn(earlier)

    assert asyncio.run(facts()) == (False, False)  # nothing seen yet: the run learns by itself
    asyncio.run(witness())
    clock[0] += engine.NETWORK_MEMORY - 1
    assert asyncio.run(facts()) == (True, True)
    clock[0] += 2
    assert asyncio.run(facts()) == (False, False)  # too long ago


# -- the distributed audit -------------------------------------------------------------------------


def test_politeness_holds_across_two_workers(
    tmp_path: Path, store_location: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Four hosts of twelve slow URLs on a local cluster of two workers: never more than
    host_concurrency requests in flight at one host, and every URL fetched once (the results
    in an SQLite file, and in PostgreSQL)."""
    with FakeWeb.threaded(hosts=4) as web:
        paths = [f"/p{n}" for n in range(12)]
        for path in paths:
            web.route(path, delay(0.2, ok(PAGE)))
        urls = tmp_path / "urls.txt"
        urls.write_text("".join(f"{web.url(h, p)}\n" for p in paths for h in range(4)), "utf-8")
        store = store_location
        code, out, err = audit(
            capsys, "--workers", "2", "--host-concurrency", "2", "--store", store, "--format", "jsonl", str(urls)
        )
        assert code == 0, err
        records = jsonl(out)
        assert len(records) == 48
        assert {record["verdict"] for record in records} == {"ok"}
        for host in web.hosts:
            assert host.max_in_flight <= 2, host
            fetched = [seen.path for seen in host.seen if seen.path in paths]
            assert sorted(fetched) == sorted(paths)  # each URL once
        assert web.max_in_flight > 2  # the two workers did run at once
        assert len(rows(store, [r["url"] for r in records])) == 48
        assert "audited 48 URLs (48 citations, 0 fresh results reused" in err


def test_a_url_list_with_garbage_lines_through_the_cluster(
    scheduler: str, tmp_path: Path, web: FakeWeb, capsys: pytest.CaptureFixture[str]
) -> None:
    urls = tmp_path / "urls.txt"
    lines = [web.url(0, "/a"), "not a url at all", web.url(1, "/gone"), "ftp://example.org/x", web.url(2, "/b")]
    urls.write_text("# export\n" + "\n".join(lines) + "\n", "utf-8")
    store = tmp_path / "store.sqlite3"
    code, out, err = audit(capsys, "--scheduler", scheduler, "--store", str(store), "--format", "jsonl", str(urls))
    assert code == 1, err
    by_line = {record["line"]: record for record in jsonl(out)}
    assert {n: r["verdict"] for n, r in by_line.items()} == {2: "ok", 3: "invalid", 4: "broken", 5: "invalid", 6: "ok"}
    assert (by_line[4]["reason"], by_line[4]["http_status"]) == ("http_404", 404)
    assert by_line[2]["checked_at"].startswith("20")
    assert "every worker must open this same file" in err  # an SQLite store under --scheduler
    assert "audited 5 URLs (5 citations" in err


def test_a_csv_carries_its_columns_through_the_cluster(
    scheduler: str, tmp_path: Path, web: FakeWeb, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "citations.csv"
    with table.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["article_id", "URL", "verdict"])
        writer.writerow(["17", web.url(0, "/a"), "looked fine"])
        writer.writerow(["18", web.url(1, "/gone"), ""])
        writer.writerow(["19", web.url(0, "/a") + "?utm_source=x", ""])  # the same URL once cleaned
    store = tmp_path / "store.sqlite3"
    code, out, _ = audit(capsys, "--scheduler", scheduler, "--store", str(store), "--format", "csv", str(table))
    assert code == 1
    found = {row["url"]: row for row in csv.DictReader(out.splitlines())}
    assert set(found) == {web.url(0, "/a"), web.url(1, "/gone")}
    first = found[web.url(0, "/a")]
    assert (first["article_id"], first["input_verdict"], first["verdict"], first["line"]) == (
        "17",
        "looked fine",
        "ok",
        "2",
    )
    assert found[web.url(1, "/gone")]["verdict"] == "broken"


def test_articles_through_the_cluster(
    scheduler: str, tmp_path: Path, web: FakeWeb, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "content"
    site.mkdir()
    (site / "one.md").write_text(f"See [it]({web.url(0, '/a')}) and <mailto:x@example.org>.\n<{web.url(1, '/gone')}>\n")
    (site / "two.html").write_text(f'<a href="{web.url(2, "/b")}">b</a>')
    store = tmp_path / "store.sqlite3"
    code, out, _ = audit(capsys, "--scheduler", scheduler, "--store", str(store), "--format", "json", str(site))
    assert code == 1
    document = json.loads(out)
    verdicts = {record["url"]: record["verdict"] for record in document["results"]}
    assert verdicts == {web.url(0, "/a"): "ok", web.url(1, "/gone"): "broken", web.url(2, "/b"): "ok"}
    assert document["summary"]["verdicts"] == {"broken": 1, "ok": 2}


def test_a_rerun_resumes_from_the_store_without_a_request(
    scheduler: str, tmp_path: Path, store_location: str, web: FakeWeb, capsys: pytest.CaptureFixture[str]
) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text("".join(f"{web.url(h, p)}\n" for h in range(3) for p in ("/a", "/b", "/gone")), "utf-8")
    args = ("--scheduler", scheduler, "--store", store_location, "--format", "jsonl")
    code, first, err = audit(capsys, *args, str(urls))
    assert code == 1, err
    assert "0 fresh results reused" in err
    web.reset_stats()
    code, again, err = audit(capsys, *args, str(urls))
    assert code == 1
    assert web.requests == 0
    assert "9 fresh results reused" in err
    answers = sorted((r["url"], r["verdict"], r["checked_at"]) for r in jsonl(first))
    assert sorted((r["url"], r["verdict"], r["checked_at"]) for r in jsonl(again)) == answers
    urls.write_text(urls.read_text("utf-8") + f"{web.url(1, '/a')}?page=2\n", "utf-8")
    code, _, err = audit(capsys, *args, str(urls))
    cited = {"/a", "/b", "/gone", "/a?page=2"}  # not the soft-404 probes of a host
    assert [seen.path for host in web.hosts for seen in host.seen if seen.path in cited] == ["/a?page=2"]
    assert "9 fresh results reused" in err


def test_bad_input_stops_before_the_cluster(
    tmp_path: Path, web: FakeWeb, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_cluster(**_: object) -> None:
        raise AssertionError("no cluster should be started")

    monkeypatch.setattr(engine, "connect", no_cluster)
    table = tmp_path / "links.csv"
    table.write_text(f"id,link\n1,{web.url(0, '/a')}\n", "utf-8")
    code, out, err = audit(capsys, "--workers", "2", "--store", str(tmp_path / "s.sqlite3"), str(table))
    assert (code, out) == (2, "")
    assert "has no 'url' column" in err
    code, _, err = audit(capsys, "--workers", "2", "--store", str(tmp_path / "s.sqlite3"), str(tmp_path / "nope.txt"))
    assert code == 2
    assert "cannot be read" in err
    assert web.requests == 0


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--workers", "2", "--no-store"], "needs a result store"),
        (["--workers", "2", "--store", ":memory:"], "cannot use an in-memory result store"),
        (["--workers", "0"], "--workers: must be a whole number from 1 to 256"),
        (["--workers", "many"], "--workers: must be a whole number"),
        (["--workers", "100000"], "from 1 to 256"),
        (["--scheduler", "localhost:8786"], "expected an address like tcp://HOST:PORT"),
        (["--scheduler", "tcp://"], "expected an address like tcp://HOST:PORT"),
        (["--scheduler", "tcp://127.0.0.1:1", "--workers", "2"], "not allowed with argument"),
    ],
)
def test_unusable_flags_exit_2(
    flags: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text("https://example.org/\n", "utf-8")
    try:
        code, _, err = audit(capsys, *flags, str(urls))
    except SystemExit as exc:  # argparse's own refusal
        code, err = int(exc.code or 0), capsys.readouterr().err
    assert code == 2
    assert message in err


def test_an_unreachable_scheduler_is_an_error_within_a_bound(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(engine, "CONNECT_TIMEOUT", 2.0)
    urls = tmp_path / "urls.txt"
    urls.write_text("https://example.org/\n", "utf-8")
    started = time.monotonic()
    code, _, err = audit(capsys, "--scheduler", f"tcp://127.0.0.1:{port}", "--store", str(tmp_path / "s"), str(urls))
    assert code == 2
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in err
    assert "Traceback" not in err
    assert time.monotonic() - started < 60  # bounded (generously: this is no timing test)


# -- faults ----------------------------------------------------------------------------------------


@pytest.fixture
def own_cluster(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Client, str]]:
    """A local cluster of two worker processes under nannies (which restart a killed worker)."""
    monkeypatch.setenv("PYTHONPATH", str(SRC))
    with (
        local_cluster(2) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        yield client, cluster.scheduler_address


def _kill_a_busy_worker(client: Client, web: FakeWeb) -> int:
    """SIGKILL a worker process while it runs a shard (some requests are in flight)."""
    pids = client.run(os.getpid)
    busy: list[str] = []

    def running() -> bool:
        busy[:] = [worker for worker, keys in client.processing().items() if keys]
        return bool(busy) and web.in_flight > 0

    _wait(running, "a shard in flight")
    os.kill(pids[busy[0]], signal.SIGKILL)
    return int(pids[busy[0]])


def _start_audit(address: str, urls: Path, store: Path | str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "citecheck", *BASE, "--host-concurrency", "2", "--scheduler", address]
    command += ["--store", str(store), "--format", "jsonl", str(urls)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)


def _slow_urls(web: FakeWeb, tmp_path: Path) -> tuple[Path, list[str]]:
    paths = [f"/s{n}" for n in range(10)]
    for path in paths:
        web.route(path, delay(0.3, ok(PAGE)))
    listed = [web.url(h, p) for h in range(len(web.hosts)) for p in paths]
    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join(listed) + "\n", "utf-8")
    return urls, listed


def test_a_worker_killed_mid_run_loses_nothing(
    own_cluster: tuple[Client, str], tmp_path: Path, store_location: str
) -> None:
    client, address = own_cluster
    with FakeWeb.threaded(hosts=4) as web:
        urls, listed = _slow_urls(web, tmp_path)
        store = store_location
        proc = _start_audit(address, urls, store)
        try:
            killed = _kill_a_busy_worker(client, web)
            out, err = proc.communicate(timeout=180)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, err
    assert killed not in client.run(os.getpid).values()  # the worker did die (its nanny started another)
    records = jsonl(out)
    assert sorted(record["url"] for record in records) == sorted(listed)
    assert {record["verdict"] for record in records} == {"ok"}
    assert set(rows(store, listed)) == set(listed)  # every result in the store


def test_a_shard_that_fails_for_good_is_reported_pending_with_exit_2(tmp_path: Path) -> None:
    """With no failure allowed, the killed worker's shard is lost: its URLs are pending, exit 2,
    and a rerun resumes it."""
    import dask

    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        local_cluster(2) as cluster,
        Client(cluster, set_as_default=False) as client,
        FakeWeb.threaded(hosts=4) as web,
    ):
        urls, listed = _slow_urls(web, tmp_path)
        store = tmp_path / "store.sqlite3"
        proc = _start_audit(cluster.scheduler_address, urls, store)
        try:
            _kill_a_busy_worker(client, web)
            out, err = proc.communicate(timeout=180)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 2, err
        records = jsonl(out)
        assert sorted(record["url"] for record in records) == sorted(listed)
        pending = [record["url"] for record in records if record["verdict"] == "pending"]
        assert pending
        assert "failed: KilledWorker" in err
        assert "rerun to resume" in err
        web.reset_stats()
        rerun = _start_audit(cluster.scheduler_address, urls, store)
        out, err = rerun.communicate(timeout=180)
        assert rerun.returncode == 0, err
        assert {record["verdict"] for record in jsonl(out)} == {"ok"}
        done_before = {record["url"] for record in records} - set(pending)
        fetched = {web.url(h, seen.path) for h, host in enumerate(web.hosts) for seen in host.seen}
        assert fetched & set(pending)
        assert not fetched & done_before  # only what was left is fetched again


def test_a_resumed_audit_sends_the_workers_only_what_is_left(scheduler: str, tmp_path: Path, web: FakeWeb) -> None:
    """Results the store holds are the client's to write: no shard goes out for them."""
    import asyncio

    from citecheck import Config
    from citecheck.pipeline import AsyncSession
    from citecheck.pipeline.audit import read_inputs

    urls = tmp_path / "urls.txt"
    urls.write_text("".join(f"{web.url(h, p)}\n" for h in range(3) for p in ("/a", "/gone")), "utf-8")
    config = Config(store=str(tmp_path / "store.sqlite3"), allow_networks=("127.0.0.0/8",), retries=0)

    async def read() -> Any:
        async with AsyncSession(config) as session:
            return read_inputs(session, [str(urls)], stdin=None)

    found = asyncio.run(read())
    first: list[dict[str, Any]] = []
    again: list[dict[str, Any]] = []
    with Client(scheduler, set_as_default=False) as client:
        done = engine.audit_on_cluster(client, config, found, first.append, workers=2)
        assert (done.shards >= 1, done.checked, done.reused) == (True, 6, 0)
        urls.write_text(urls.read_text("utf-8") + f"{web.url(0, '/b')}\n", "utf-8")
        found = asyncio.run(read())
        resumed = engine.audit_on_cluster(client, config, found, again.append, workers=2)
    assert (resumed.shards, resumed.checked, resumed.reused) == (1, 1, 6)
    assert sorted(r["url"] for r in again) == sorted([*(r["url"] for r in first), web.url(0, "/b")])
    assert again[-1]["url"] == web.url(0, "/b")  # the stored ones are written first


def test_progress_counts_shards_on_a_terminal(
    scheduler: str, tmp_path: Path, web: FakeWeb, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpers import Terminal

    urls = tmp_path / "urls.txt"
    urls.write_text("".join(f"{web.url(h, '/a')}\n" for h in range(3)), "utf-8")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    store = str(tmp_path / "store.sqlite3")
    assert main([*BASE, "--scheduler", scheduler, "--store", store, "--format", "jsonl", str(urls)]) == 0
    assert "\rchecking links: 3/3" in terminal.getvalue()


def test_a_worker_runs_several_shards_at_once_within_the_host_limits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One worker, three hosts (three shards): the shards share the worker's session and run
    together, so the worker keeps more than one host busy, each within its limit."""
    with FakeWeb.threaded(hosts=3) as web:
        paths = [f"/q{n}" for n in range(8)]
        for path in paths:
            web.route(path, delay(0.3, ok(PAGE)))
        urls = tmp_path / "urls.txt"
        urls.write_text("".join(f"{web.url(h, p)}\n" for h in range(3) for p in paths), "utf-8")
        store = str(tmp_path / "store.sqlite3")
        code, out, err = audit(
            capsys, "--workers", "1", "--host-concurrency", "2", "--store", store, "--format", "jsonl", str(urls)
        )
        assert code == 0, err
        assert len(jsonl(out)) == 24
        assert all(host.max_in_flight <= 2 for host in web.hosts)
        assert web.max_in_flight > 2  # several hosts' shards at once on the one worker


def test_archive_rates_are_shared_out_among_the_workers() -> None:
    from dataclasses import replace as copy

    from citecheck import Config

    config = Config()
    config = config.merged(archive=copy(config.archive, save_per_minute=12.0))
    shared = engine._archive_rates_shared(config, 4)
    assert shared.archive.cdx_per_minute == config.archive.cdx_per_minute / 4
    assert shared.archive.timemap_per_minute == config.archive.timemap_per_minute / 4
    assert shared.archive.availability_per_second == config.archive.availability_per_second / 4
    assert shared.archive.verify_per_minute == config.archive.verify_per_minute / 4
    assert shared.archive.save_per_minute == 3.0
    assert engine._archive_rates_shared(config, 1) is config
    assert engine.shards_at_once(Config()) == 64
    assert engine.shards_at_once(Config(concurrency=8, host_concurrency=4)) == 2


def test_a_worker_session_that_failed_is_replaced_for_the_next_shard(tmp_path: Path, web: FakeWeb) -> None:
    """A store that cannot be opened fails the shard (Dask retries it); the retry gets a fresh
    session and, the store now usable, records everything."""
    from citecheck import Config
    from citecheck.core.errors import ConfigError

    blocker = tmp_path / "not-a-directory"
    blocker.write_text("", "utf-8")
    store = blocker / "store.sqlite3"
    config = Config(store=str(store), allow_networks=("127.0.0.0/8",), retries=0)
    urls = [web.url(0, "/a"), web.url(1, "/b")]
    sessions = engine.WorkerSessions()
    try:
        with pytest.raises(ConfigError, match="cannot create the directory"):
            sessions.run(config, urls, 0, {}, archive=False, drift=False)
        blocker.unlink()
        summary = sessions.run(config, urls, 0, {}, archive=False, drift=False)
    finally:
        sessions.close()
    assert (summary.checked, summary.unrecorded) == (2, ())
    assert set(rows(store, urls)) == set(urls)


def test_a_later_audit_on_the_same_workers_checks_again_when_asked_to(
    scheduler: str, tmp_path: Path, web: FakeWeb, capsys: pytest.CaptureFixture[str]
) -> None:
    """Workers live on between audits: only the store (within max_age) decides what is reused,
    never what a worker still remembers from an earlier audit."""
    urls = tmp_path / "urls.txt"
    urls.write_text("".join(f"{web.url(h, '/a')}\n" for h in range(3)), "utf-8")
    args = ("--scheduler", scheduler, "--store", str(tmp_path / "store.sqlite3"), "--max-age", "0")
    assert audit(capsys, *args, str(urls))[0] == 0
    web.reset_stats()
    code, _, err = audit(capsys, *args, str(urls))
    assert code == 0, err
    assert sum(1 for host in web.hosts for seen in host.seen if seen.path == "/a") == 3
