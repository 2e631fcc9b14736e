"""The check store: schema and migrations, reuse, history, dead-link judgement, concurrency."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from citecheck.core.errors import CitecheckError, ConfigError
from citecheck.store import (
    MIGRATIONS,
    BaseStore,
    DeadJudgement,
    Store,
    StoreBusyError,
    StoredCheck,
    default_store_path,
    open_store,
)
from citecheck.store.sqlite import FILENAME

URL = "https://example.org/article"
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
WORKER = Path(__file__).with_name("store_worker.py")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def check(at: datetime, verdict: str = "ok", url: str = URL, **data: object) -> StoredCheck:
    return StoredCheck(
        url=url,
        checked_at=at,
        verdict=verdict,
        reason="http_404" if verdict == "broken" else None,
        http_status=404 if verdict == "broken" else 200,
        data=dict(data),
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(store_location: str, clock: Clock) -> Iterator[BaseStore]:
    """A new store of each backend (the tests taking it run against SQLite and PostgreSQL)."""
    with open_store(store_location, clock=clock) as opened:
        yield opened


def rows(path: Path) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT url, checked_at, verdict, data FROM checks ORDER BY id").fetchall()


# --- schema and migrations ----------------------------------------------------------------


def test_new_store_has_current_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "store.sqlite3"  # parent directories are created
    with Store.open(path) as store:
        assert store.path == path
        assert store.schema_version == len(MIGRATIONS)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    indexes = conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'checks'").fetchall()
    assert indexes == [("checks_url_checked_at",)]
    columns = [row[0] for row in conn.execute("SELECT name FROM pragma_index_info('checks_url_checked_at')")]
    assert columns == ["url", "checked_at"]
    conn.close()


def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    with Store.open(path) as store:
        store.record(check(T0))
    with Store.open(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.history(URL) == [check(T0)]


def test_empty_version_0_database_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    sqlite3.connect(path).close()  # an empty SQLite file (user_version 0); also a 0-byte file
    assert path.exists()
    with Store.open(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        store.record(check(T0))
        assert store.history(URL) == [check(T0)]


def test_version_1_database_is_migrated_to_a_new_version(tmp_path: Path) -> None:
    """What the web-archive issue will do: migration 2 adds a table; the old rows survive."""
    path = tmp_path / "store.sqlite3"
    # A version 1 store made by hand, as an older citecheck left it.
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0] if isinstance(MIGRATIONS[0], str) else "")
    conn.execute(
        "INSERT INTO checks (url, checked_at, verdict, data) VALUES (?, ?, ?, ?)",
        (URL, "2024-05-01T09:00:00.000000+00:00", "ok", '{"hops": []}'),
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()

    extra = """
        CREATE TABLE notes (
            id INTEGER PRIMARY KEY, url TEXT NOT NULL, noted_at TEXT NOT NULL, note TEXT NOT NULL
        );
        CREATE INDEX notes_url_noted_at ON notes (url, noted_at);
    """

    def backfill(conn: sqlite3.Connection) -> None:  # a migration may also be a function
        conn.execute("ALTER TABLE checks ADD COLUMN source TEXT NOT NULL DEFAULT 'web'")

    with Store.open(path, migrations=(*MIGRATIONS, extra, backfill)) as store:
        assert store.schema_version == len(MIGRATIONS) + 2
        assert store.history(URL) == [StoredCheck(url=URL, checked_at=T0, verdict="ok", data={"hops": []})]
    conn = sqlite3.connect(path)
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables >= {"checks", "snapshots", "captures", "drift", "notes"}
    assert conn.execute("SELECT source FROM checks").fetchall() == [("web",)]
    conn.close()


def test_failed_migration_leaves_the_old_version(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    Store.open(path).close()
    broken = "CREATE TABLE notes (id INTEGER PRIMARY KEY); CREATE TABLE notes (id INTEGER PRIMARY KEY);"
    with pytest.raises(ConfigError, match="already exists"):
        Store.open(path, migrations=(*MIGRATIONS, broken))
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'notes'").fetchall() == []
    conn.close()


def test_newer_schema_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 7")
    conn.close()
    known = len(MIGRATIONS)
    with pytest.raises(ConfigError, match=rf"schema version 7, but this citecheck knows only up to version {known}"):
        Store.open(path)


def test_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.close()
    with pytest.raises(ConfigError, match=r"not a citecheck store \(it holds photos\)"):
        Store.open(path)


@pytest.mark.parametrize(
    "content",
    [
        b"this is not a database at all, just some text that happens to be here\n" * 20,
        b"SQLite format 3\x00" + b"\xff" * 200,
    ],
)
def test_corrupt_file_is_a_config_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "store.sqlite3"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=r"store.sqlite3 is not a usable citecheck store .*move it away"):
        Store.open(path)
    assert path.read_bytes() == content  # never overwritten


def test_unusable_paths_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot open the citecheck store"):
        Store.open(tmp_path)  # a directory
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="cannot create the directory"):
        Store.open(blocker / "sub" / "store.sqlite3")


def test_memory_store(clock: Clock) -> None:
    with Store.open(":memory:", clock=clock) as store:
        assert store.path is None
        assert store.schema_version == len(MIGRATIONS)
        store.record(check(T0))
        assert store.latest(URL, max_age=timedelta(hours=1)) == check(T0)


# --- default location ---------------------------------------------------------------------


def test_default_path_follows_xdg_cache_home_when_called(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "one"))
    assert default_store_path() == tmp_path / "one" / "citecheck" / FILENAME
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "two"))  # after import: still honoured
    assert default_store_path() == tmp_path / "two" / "citecheck" / FILENAME
    with Store.open() as store:
        assert store.path == tmp_path / "two" / "citecheck" / FILENAME
    assert (tmp_path / "two" / "citecheck" / FILENAME).is_file()


def test_importing_the_store_touches_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "HOME": str(tmp_path)}
    subprocess.run([sys.executable, "-c", "import citecheck.store"], env=env, check=True)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("linux", {"HOME": "/home/ada"}, Path("/home/ada/.cache/citecheck")),
        ("linux", {"HOME": "/home/ada", "XDG_CACHE_HOME": "/tmp/c"}, Path("/tmp/c/citecheck")),
        ("linux", {"HOME": "/home/ada", "XDG_CACHE_HOME": "relative"}, Path("/home/ada/.cache/citecheck")),
        ("darwin", {"HOME": "/Users/ada"}, Path("/Users/ada/Library/Caches/citecheck")),
        (
            "win32",
            {"LOCALAPPDATA": r"C:\Users\ada\AppData\Local"},
            Path(r"C:\Users\ada\AppData\Local") / "citecheck" / "Cache",
        ),
    ],
)
def test_default_path_per_platform(platform: str, env: dict[str, str], expected: Path) -> None:
    assert default_store_path(env, platform) == expected / FILENAME


# --- records ------------------------------------------------------------------------------


def test_record_round_trips_exactly(store: BaseStore) -> None:
    eastern = timezone(timedelta(hours=-5))
    record = StoredCheck(
        url=URL,
        checked_at=datetime(2024, 5, 1, 4, 0, 0, 123456, tzinfo=eastern),
        verdict="redirected",
        reason="moved_permanently",
        http_status=301,
        final_url="https://example.org/new",
        data={
            "hops": [{"url": URL, "status": 301}, {"url": "https://example.org/new", "status": 200}],
            "timings": {"total": 0.25},
            "canonical": None,
            "title": "Ünïcödé ✓",
        },
    )
    assert record.checked_at == datetime(2024, 5, 1, 9, 0, 0, 123456, tzinfo=UTC)
    assert record.checked_at.tzinfo is UTC
    store.record(record)
    (back,) = store.history(URL)
    assert back == record
    assert back.checked_at.tzinfo is UTC
    assert back.checked_at.microsecond == 123456
    assert store._read("SELECT checked_at FROM checks", ()) == [("2024-05-01T09:00:00.123456+00:00",)]


def test_to_dict_is_json_ready_and_reversible() -> None:
    record = check(T0 + timedelta(microseconds=1), "broken", hops=["a", "b"])
    as_dict = record.to_dict()
    assert as_dict == {
        "url": URL,
        "checked_at": "2024-05-01T09:00:00.000001+00:00",
        "verdict": "broken",
        "reason": "http_404",
        "http_status": 404,
        "final_url": None,
        "data": {"hops": ["a", "b"]},
    }
    assert StoredCheck.from_dict(json.loads(json.dumps(as_dict))) == record
    assert hash(record) == hash(check(T0 + timedelta(microseconds=1), "broken"))  # data is not hashed


def test_naive_times_are_refused(store: BaseStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        StoredCheck(url=URL, checked_at=datetime(2024, 5, 1), verdict="ok")
    naive = Store.open(":memory:", clock=lambda: datetime(2024, 5, 1))
    with pytest.raises(ValueError, match="clock"):
        naive.latest(URL, max_age=timedelta(1))
    naive.close()


def test_data_that_is_not_json_is_refused_before_writing(store: BaseStore) -> None:
    with pytest.raises(TypeError, match="not JSON-able"):
        store.record_many([check(T0), check(T0, when=T0)])
    with pytest.raises(TypeError, match="not JSON-able"):
        store.record(check(T0, ratio=float("nan")))
    assert store.history(URL) == []  # record_many is all or nothing


def test_latest_honours_max_age(store: BaseStore, clock: Clock) -> None:
    assert store.latest(URL, max_age=timedelta(days=1)) is None
    store.record(check(T0 - timedelta(hours=30), "broken"))
    store.record(check(T0 - timedelta(hours=2)))
    store.record(check(T0 - timedelta(hours=5), url="https://example.org/other"))
    assert store.latest(URL, max_age=timedelta(days=2)) == check(T0 - timedelta(hours=2))
    assert store.latest(URL, max_age=timedelta(hours=2, seconds=1)) == check(T0 - timedelta(hours=2))
    assert store.latest(URL, max_age=timedelta(hours=2)) is None  # exactly max_age old: too old
    clock.now = T0 + timedelta(days=1)
    assert store.latest(URL, max_age=timedelta(hours=12)) is None
    assert store.latest(URL, max_age=timedelta(days=2)) == check(T0 - timedelta(hours=2))
    with pytest.raises(ValueError, match="negative"):
        store.latest(URL, max_age=timedelta(-1))


def test_history_is_newest_first_and_limited(store: BaseStore) -> None:
    checks = [check(T0 + timedelta(hours=h), "ok" if h % 2 else "broken", n=h) for h in range(10)]
    store.record_many(reversed(checks))  # insertion order does not matter, time does
    store.record(check(T0, url="https://example.org/other"))
    assert store.history(URL) == checks[::-1]
    assert store.history(URL, limit=3) == checks[:-4:-1]
    assert store.history("https://example.org/never") == []
    with pytest.raises(ValueError, match="at least 1"):
        store.history(URL, limit=0)


def test_same_instant_later_insert_wins(store: BaseStore) -> None:
    store.record(check(T0, "broken", n=1))
    store.record(check(T0, "ok", n=2))
    assert [c.data["n"] for c in store.history(URL)] == [2, 1]
    assert store.judgement(URL).state == "alive"


# --- judgement ----------------------------------------------------------------------------


def judge(store: BaseStore, *steps: tuple[float, str]) -> DeadJudgement:
    """Record checks at (days after T0, verdict) and judge the URL."""
    store.record_many(check(T0 + timedelta(days=days), verdict) for days, verdict in steps)
    return store.judgement(URL)


def test_never_checked_is_unknown(store: BaseStore) -> None:
    assert store.judgement(URL) == DeadJudgement(state="unknown")
    assert store.judgement(URL).label == "unknown"


def test_alive(store: BaseStore) -> None:
    assert judge(store, (0, "broken"), (1, "ok")) == DeadJudgement(state="alive")


def test_failing_once(store: BaseStore) -> None:
    judgement = judge(store, (0, "ok"), (1, "broken"))
    assert judgement == DeadJudgement(
        state="failing", first_failure=T0 + timedelta(days=1), failures=1, span=timedelta(0)
    )
    assert judgement.label == "dead, first seen 2024-05-02"
    assert not judgement.is_dead


def test_three_failures_within_a_day_are_still_failing(store: BaseStore) -> None:
    judgement = judge(store, (0, "broken"), (0.4, "broken"), (0.9, "broken"))
    assert (judgement.state, judgement.failures, judgement.first_failure) == ("failing", 3, T0)
    assert judgement.span == timedelta(days=0.9)


def test_three_failures_over_four_days_are_dead(store: BaseStore) -> None:
    judgement = judge(store, (-5, "ok"), (0, "broken"), (2, "broken"), (4, "broken"))
    assert judgement == DeadJudgement(state="dead", first_failure=T0, failures=3, span=timedelta(days=4))
    assert judgement.is_dead
    assert judgement.label == "dead, confirmed"


def test_two_failures_over_a_week_are_not_enough(store: BaseStore) -> None:
    assert judge(store, (0, "broken"), (7, "broken")).state == "failing"


def test_a_success_resets_the_streak(store: BaseStore) -> None:
    judgement = judge(store, (0, "broken"), (2, "broken"), (4, "broken"), (5, "ok"), (6, "broken"))
    assert judgement == DeadJudgement(
        state="failing", first_failure=T0 + timedelta(days=6), failures=1, span=timedelta(0)
    )
    store.record_many(check(T0 + timedelta(days=d), "broken") for d in (8, 10))
    assert store.judgement(URL).is_dead


def test_more_failures_never_undo_a_confirmed_death(store: BaseStore) -> None:
    """Judged over the whole streak: three quick reruns after days of failure stay dead."""
    judgement = judge(store, (0, "broken"), (2, "broken"), (4, "broken"), (9, "broken"), (9.001, "broken"))
    assert (judgement.state, judgement.failures, judgement.first_failure) == ("dead", 5, T0)


def test_inconclusive_checks_neither_extend_nor_end_a_streak(store: BaseStore) -> None:
    assert judge(store, (0, "unreachable"), (1, "blocked")).state == "unknown"
    judgement = judge(store, (2, "broken"), (3, "unreachable"), (4, "broken"), (5, "blocked"), (6, "broken"))
    assert (judgement.state, judgement.failures, judgement.first_failure) == ("dead", 3, T0 + timedelta(days=2))


def test_unverified_checks_neither_extend_nor_end_a_streak(store: BaseStore) -> None:
    """A page that looks like the site's page for a missing path is no failure, and no sign of life."""
    assert judge(store, (0, "unverified")).state == "unknown"
    judgement = judge(store, (1, "broken"), (2, "unverified"), (3, "broken"), (4, "unverified"), (5, "broken"))
    assert (judgement.state, judgement.failures, judgement.first_failure) == ("dead", 3, T0 + timedelta(days=1))


def test_judgement_thresholds_are_parameters(store: BaseStore) -> None:
    judge(store, (0, "broken"), (1, "http_410"))
    assert store.judgement(URL).state == "alive"  # an unknown verdict is a sign of life by default
    custom = store.judgement(URL, min_checks=2, min_span=timedelta(days=1), failures={"broken", "http_410"})
    assert (custom.state, custom.failures) == ("dead", 2)
    with pytest.raises(ValueError, match="min_checks"):
        store.judgement(URL, min_checks=0)


def test_judgement_is_per_url(store: BaseStore) -> None:
    judge(store, (0, "broken"), (2, "broken"), (4, "broken"))
    store.record(check(T0 + timedelta(days=5), url="https://example.org/other"))
    assert store.judgement(URL).is_dead
    assert store.judgement("https://example.org/other").state == "alive"


# --- prune --------------------------------------------------------------------------------


def test_prune_deletes_old_checks_but_keeps_the_newest_per_url(store: BaseStore, clock: Clock) -> None:
    other, gone = "https://example.org/other", "https://example.org/gone"
    store.record_many(check(T0 - timedelta(days=d), "ok", n=d) for d in (1, 10, 20, 30))
    store.record_many(check(T0 - timedelta(days=d), "broken", url=other) for d in (40, 50))
    store.record(check(T0 - timedelta(days=60), url=gone))
    assert store.prune(timedelta(days=15)) == 3  # URL: 20 and 30 days; other: 50 days
    assert [c.data["n"] for c in store.history(URL)] == [1, 10]
    assert store.history(other) == [check(T0 - timedelta(days=40), "broken", url=other)]
    assert len(store.history(gone)) == 1
    assert store.prune(timedelta(days=15)) == 0
    clock.now = T0 + timedelta(days=100)
    assert store.prune(timedelta(0)) == 1  # only URL still had two checks
    assert [len(store.history(u)) for u in (URL, other, gone)] == [1, 1, 1]


# --- concurrency --------------------------------------------------------------------------


def test_threads_can_share_one_store(store: BaseStore) -> None:
    def work(n: int) -> None:
        for i in range(50):
            store.record(check(T0 + timedelta(seconds=i), url=f"https://example.org/t{n}", i=i))
            store.history(f"https://example.org/t{n}", limit=5)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [len(store.history(f"https://example.org/t{n}", limit=1000)) for n in range(4)] == [50] * 4


def test_threads_sharing_one_store_write_checks_and_snapshots_at_once(store_location: str) -> None:
    """Every write and explicit read transaction takes the store's lock.

    One connection has one transaction at a time: a method that began its own without the lock
    (``record_snapshot`` once did) failed with "cannot start a transaction within a transaction"
    as soon as another thread was inside one.
    """
    writes, workers = 200, 2
    errors: list[BaseException] = []
    with open_store(store_location) as store:
        start = threading.Barrier(3 * workers)

        def run(action: Callable[[int], object], n: int) -> None:
            start.wait()
            try:
                for i in range(writes):
                    action(n * writes + i)
            except BaseException as error:  # reported below, with the others
                errors.append(error)

        def snapshot(i: int) -> None:
            url = f"https://example.org/s/{i}"
            store.record_snapshot(lookup_url=url, original_url=url, snapshot=None if i % 2 else {"archive": "ia"})

        def record(i: int) -> None:
            store.record(check(T0 + timedelta(seconds=i), "broken" if i % 2 else "ok", url=f"{URL}/{i % 10}", i=i))

        def read(i: int) -> None:  # judgement is a read transaction of two queries
            store.judgement(f"{URL}/{i % 10}")
            store.latest_snapshot(f"https://example.org/s/{i}", max_age=timedelta(1), negative_max_age=timedelta(1))
            if i % 20 == 0:
                store.pending_snapshots()
                assert store.prune(timedelta(days=36500)) == 0  # a write transaction that deletes nothing

        threads = [
            threading.Thread(target=run, args=(action, n))
            for n in range(workers)
            for action in (snapshot, record, read)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads)
        assert errors == []
        stored = [c.data["i"] for n in range(10) for c in store.history(f"{URL}/{n}", limit=10_000)]
        assert sorted(stored) == list(range(workers * writes))
        urls = [url for (url,) in store._read("SELECT lookup_url FROM snapshots", ())]
    assert sorted(urls) == sorted(f"https://example.org/s/{i}" for i in range(workers * writes))


def test_a_long_lock_is_retried_then_reported(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    Store.open(path).close()
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    with Store.open(path, timeout=0.05) as store:
        assert store.history(URL) == []  # WAL: readers are not blocked by the writer
        started = time.monotonic()
        with pytest.raises(StoreBusyError, match="locked") as raised:
            store.record(check(T0))
        assert isinstance(raised.value, CitecheckError)
        assert time.monotonic() - started < 5

        # Released while the store is retrying: the write goes through.
        threading.Timer(0.2, lambda: holder.execute("COMMIT")).start()
        store.record(check(T0))
        assert store.history(URL) == [check(T0)]
    holder.close()


def test_attempts_bound_the_retries(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    Store.open(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        for attempts, least in ((1, 0.2), (3, 0.6)):
            with Store.open(path, timeout=0.2, attempts=attempts) as store:
                started = time.monotonic()
                with pytest.raises(StoreBusyError):
                    store.record(check(T0))
                assert least <= time.monotonic() - started < least + 2  # each attempt waits the busy timeout
    finally:
        holder.close()
    with pytest.raises(ValueError, match="attempts"):
        Store.open(path, attempts=0)


def _spawn(*args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_processes_writing_at_once_lose_nothing(tmp_path: Path, store_backend: str, store_location: str) -> None:
    """4 writer processes x 200 checks into one new store, all at once, and a reader meanwhile."""
    go = tmp_path / "go"
    path = str(tmp_path / "cache" / "store.sqlite3") if store_backend == "sqlite" else store_location
    workers, per_worker = 4, 200
    # No store exists yet: the processes race to create and migrate it too.
    writers = [_spawn("write", path, go, n, per_worker) for n in range(workers)]
    reader = _spawn("read", path, go, workers * per_worker)
    processes = [*writers, reader]
    try:
        for process in processes:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line == "ready\n", process.communicate(timeout=10)
        go.touch()
        outputs = [process.communicate(timeout=60) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
    results = [json.loads(out) for out, _ in outputs]
    assert [r["written"] for r in results[:workers]] == [per_worker] * workers
    assert results[-1]["last_count"] == workers * per_worker
    assert results[-1]["reads"] >= 1

    sys.path.insert(0, str(WORKER.parent))
    try:
        from store_worker import make_check
    finally:
        sys.path.remove(str(WORKER.parent))
    with open_store(path) as store:
        stored = store._read("SELECT url, checked_at, verdict, data FROM checks ORDER BY id", ())
    assert len(stored) == workers * per_worker
    seen = set()
    for url, _, verdict, data in stored:
        assert isinstance(data, str)
        fields = json.loads(data)
        expected = make_check(fields["worker"], fields["index"])
        assert (url, verdict, fields["hops"], fields["note"]) == (
            expected.url,
            expected.verdict,
            expected.data["hops"],
            expected.data["note"],
        )
        seen.add((fields["worker"], fields["index"]))
    assert seen == {(w, i) for w in range(workers) for i in range(per_worker)}
    with open_store(path) as store:
        assert len(store.history("https://example.org/w0/0", limit=1000)) == per_worker // 10


def test_snapshot_records_positive_negative_and_pending(store: BaseStore) -> None:
    snap = {
        "archive": "ia",
        "memento_url": "https://web.archive.org/web/20240101000000/https://example.org/",
        "captured_at": "2024-01-01T00:00:00+00:00",
        "status": 200,
        "job_id": None,
        "job_status": None,
    }
    assert store.latest_snapshot(URL, max_age=timedelta(days=7), negative_max_age=timedelta(days=1)) == (
        False,
        None,
    )
    store.record_snapshot(lookup_url=URL, original_url=URL + "?utm_source=x", snapshot=None)
    fresh_negative = store.latest_snapshot(URL, max_age=timedelta(days=7), negative_max_age=timedelta(days=1))
    assert fresh_negative == (True, None)
    store.record_snapshot(lookup_url=URL, original_url=URL, snapshot=snap)
    known, record = store.latest_snapshot(URL, max_age=timedelta(days=7), negative_max_age=timedelta(days=1))
    assert known
    assert record == snap
    pending = {**snap, "job_id": "spn2-abc", "job_status": "pending"}
    store.record_snapshot(lookup_url="https://other.example/", original_url="https://other.example/", snapshot=pending)
    assert [p["job_id"] for p in store.pending_snapshots()] == ["spn2-abc"]
    done = {**pending, "job_status": "success"}
    store.record_snapshot(lookup_url="https://other.example/", original_url="https://other.example/", snapshot=done)
    assert store.pending_snapshots() == []


def test_snapshot_records_from_several_processes_at_once(store_location: str) -> None:
    """A CMS service, a CLI run and a hook may record snapshots together: nothing is lost."""
    import subprocess
    import sys
    import textwrap

    path = store_location
    script = textwrap.dedent(
        """
        import sys
        from citecheck.store import open_store
        worker = int(sys.argv[1])
        with open_store(sys.argv[2]) as store:
            for i in range(100):
                url = f"https://example.org/w{worker}/{i}"
                snapshot = {"archive": "ia", "memento_url": "https://web.archive.org/web/2024/" + url,
                            "captured_at": "2024-01-01T00:00:00+00:00", "status": 200, "job_id": None,
                            "job_status": None, "worker": worker, "index": i}
                store.record_snapshot(lookup_url=url, original_url=url, snapshot=snapshot if i % 4 else None)
        """
    )
    workers = [
        subprocess.Popen([sys.executable, "-c", script, str(n), str(path)], stderr=subprocess.PIPE) for n in range(4)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
    with open_store(path) as store:
        assert store._read("SELECT COUNT(*) FROM snapshots", ()) == [(400,)]
        assert store._read("SELECT COUNT(*) FROM snapshots WHERE archive IS NULL", ()) == [(100,)]
        assert store._read("SELECT COUNT(DISTINCT lookup_url) FROM snapshots", ()) == [(400,)]


def test_latest_many_answers_like_latest_for_each_url(store_location: str) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2024, 5, 4, tzinfo=UTC)
    with open_store(store_location, clock=lambda: now) as store:
        urls = [f"https://example.org/{i}" for i in range(1200)]  # more than one query's worth
        for age_days, verdict in ((3, "broken"), (1, "ok")):
            store.record_many(
                StoredCheck(url=u, checked_at=now - timedelta(days=age_days), verdict=verdict) for u in urls[::2]
            )
        store.record(StoredCheck(url=urls[1], checked_at=now - timedelta(days=30), verdict="ok"))
        for max_age in (timedelta(days=2), timedelta(days=5), timedelta(days=60)):
            many = store.latest_many([*urls, urls[0]], max_age=max_age)
            expected = {u: c for u in urls if (c := store.latest(u, max_age=max_age)) is not None}
            assert many == expected
        assert store.latest_many(urls, max_age=timedelta(days=2))[urls[0]].verdict == "ok"
