"""What only the PostgreSQL backend has: its schema history, its URL, its server going away."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg
import pytest

from citecheck.core.errors import ConfigError, StoreBusyError, StoreError
from citecheck.store import MIGRATIONS, PG_MIGRATIONS, StoredCheck, open_store
from citecheck.store.postgres import PostgresStore, redact
from citecheck.store.sqlite import Store

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def _check(url: str = "https://example.org/") -> StoredCheck:
    return StoredCheck(url=url, checked_at=T0, verdict="ok", http_status=200)


def _with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:{password}@{host}"))


def test_both_backends_have_the_same_schema_history() -> None:
    # Append a migration to one, and this fails until the other has it too.
    assert len(PG_MIGRATIONS) == len(MIGRATIONS)


def test_the_location_chooses_the_backend(postgres_dsn: str) -> None:
    with open_store(postgres_dsn) as store:
        assert isinstance(store, PostgresStore)
        assert store.schema_version == len(PG_MIGRATIONS)
        assert store.path is None
    with open_store(postgres_dsn.replace("postgresql://", "postgres://", 1)) as store:
        assert isinstance(store, PostgresStore)
    with open_store(":memory:") as memory:
        assert isinstance(memory, Store)


def test_reopening_keeps_the_data_and_does_not_migrate_again(postgres_dsn: str) -> None:
    with open_store(postgres_dsn) as store:
        store.record(_check())
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE citecheck_probe (x int)")  # a migration would not touch it
    with open_store(postgres_dsn) as store:
        assert store.history("https://example.org/") == [_check()]
        assert store.schema_version == len(PG_MIGRATIONS)


def test_processes_opening_a_new_database_at_once_migrate_it_once(postgres_dsn: str) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def open_and_write(n: int) -> None:
        start.wait()
        try:
            with open_store(postgres_dsn) as store:
                store.record(_check(f"https://example.org/{n}"))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_and_write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with psycopg.connect(postgres_dsn) as conn:
        assert conn.execute("SELECT version FROM citecheck_schema").fetchall() == [(len(PG_MIGRATIONS),)]
        assert conn.execute("SELECT COUNT(*) FROM checks").fetchone() == (8,)


def test_a_newer_schema_is_refused_clearly(postgres_dsn: str) -> None:
    open_store(postgres_dsn).close()
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute("UPDATE citecheck_schema SET version = version + 1")
    with pytest.raises(ConfigError, match="written by a newer citecheck") as raised:
        open_store(postgres_dsn)
    assert f"has schema version {len(PG_MIGRATIONS) + 1}" in str(raised.value)


def test_a_failed_migration_leaves_the_old_version(postgres_dsn: str) -> None:
    open_store(postgres_dsn).close()
    with pytest.raises(ConfigError, match="syntax error"):
        open_store(postgres_dsn, migrations=(*PG_MIGRATIONS, "CREATE TABLE extra (x int); NOT SQL"))
    with psycopg.connect(postgres_dsn) as conn:
        assert conn.execute("SELECT to_regclass('extra')").fetchone() == (None,)
        assert conn.execute("SELECT version FROM citecheck_schema").fetchone() == (len(PG_MIGRATIONS),)
    with open_store(postgres_dsn, migrations=(*PG_MIGRATIONS, "CREATE TABLE extra (x int)")) as store:
        assert store.schema_version == len(PG_MIGRATIONS) + 1


def test_a_database_that_is_not_a_store_is_refused(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE checks (id int)")
    with pytest.raises(ConfigError, match="not a citecheck store"):
        open_store(postgres_dsn)


def test_an_unreachable_server_is_a_config_error_without_the_password(postgres_dsn: str) -> None:
    parts = urlsplit(postgres_dsn)
    closed = urlunsplit(parts._replace(netloc=f"cite:hunter2@127.0.0.1:{_closed_port()}"))
    with pytest.raises(ConfigError, match="cannot open the citecheck store") as raised:
        open_store(closed)
    assert "hunter2" not in str(raised.value)
    assert "cite:***@" in str(raised.value)


def test_a_refused_login_is_a_config_error_without_the_password(postgres_dsn: str) -> None:
    parts = urlsplit(postgres_dsn)
    wrong = urlunsplit(parts._replace(path="/no_such_database_here"))
    wrong = _with_password(wrong, "sw0rdfish")
    with pytest.raises(ConfigError, match="no_such_database_here") as raised:
        open_store(wrong)
    assert "sw0rdfish" not in str(raised.value)


def test_a_lost_connection_is_a_store_error_and_the_next_call_reconnects(postgres_dsn: str) -> None:
    with open_store(postgres_dsn) as store:
        assert isinstance(store, PostgresStore)
        store.record(_check())
        (pid,) = store._read("SELECT pg_backend_pid()", ())[0]
        with psycopg.connect(postgres_dsn, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(StoreError, match="lost the connection to the citecheck store"):
            store.record(_check("https://example.org/2"))
        store.record(_check("https://example.org/3"))  # a new connection
        assert [c.url for c in store.history("https://example.org/3")] == ["https://example.org/3"]


def test_a_statement_that_hangs_is_cut_off_and_the_store_stays_usable(
    postgres_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server stuck mid-query costs a bounded time (statement_timeout), then a clear StoreError."""
    import citecheck.store.postgres as backend

    monkeypatch.setattr(backend, "STATEMENT_TIMEOUT", 0.2)
    with open_store(postgres_dsn) as store:
        with pytest.raises(StoreError, match="took too long to answer"):
            store._read("SELECT pg_sleep(5)", ())
        store.record(_check())
        assert len(store.history(_check().url)) == 1
    # Set in the URL's options, the server's own limit wins over ours.
    with open_store(postgres_dsn) as store:
        assert store._read("SHOW statement_timeout", ()) == [("200ms",)]
    parts = urlsplit(postgres_dsn)
    query = dict(parse_qsl(parts.query))
    query["options"] = f"{query.get('options', '')} -c statement_timeout=7s".strip()
    with open_store(urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))) as store:
        assert store._read("SHOW statement_timeout", ()) == [("7s",)]
        assert store._read("SELECT count(*) FROM checks", ()) == [(1,)]  # the test's own schema still


def test_a_store_blocked_by_a_lock_reports_busy(postgres_dsn: str) -> None:
    open_store(postgres_dsn).close()
    with psycopg.connect(postgres_dsn) as holder:
        holder.execute("LOCK TABLE checks IN ACCESS EXCLUSIVE MODE")
        with open_store(postgres_dsn, timeout=0.05, attempts=2) as store, pytest.raises(StoreBusyError, match="busy"):
            store.record(_check())


def test_passwords_are_hidden_in_both_places_a_url_holds_them() -> None:
    assert redact("postgresql://a:b@h/d") == "postgresql://a:***@h/d"
    assert redact("postgres://h/d?password=b&x=1") == "postgres://h/d?password=***&x=1"
    assert redact("postgresql://a@h:5/d") == "postgresql://a@h:5/d"


def test_without_psycopg_a_postgresql_store_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from citecheck.store import open_store\n"
        "from citecheck.core.errors import ConfigError\n"
        "try:\n    open_store('postgresql://localhost/x')\n"
        "except ConfigError as error:\n    print(error)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "pip install 'citecheck[postgres]'" in out


def test_importing_the_store_does_not_import_psycopg() -> None:
    code = "import sys, citecheck.store, citecheck.pipeline.session; print('psycopg' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


def test_prune_and_judgement_agree_with_sqlite(postgres_dsn: str) -> None:
    """The same history, judged and pruned by both: the same answers (the SQL is shared)."""
    now = T0 + timedelta(days=10)
    history = [
        StoredCheck(url="https://example.org/", checked_at=T0 + timedelta(days=d), verdict=v)
        for d, v in ((0, "ok"), (1, "broken"), (2, "blocked"), (3, "broken"), (5, "broken"), (5, "broken"))
    ]
    answers = []
    for location in (":memory:", postgres_dsn):
        with open_store(location, clock=lambda: now) as store:
            store.record_many(history)
            answers.append((store.judgement("https://example.org/"), store.prune(timedelta(days=6))))
    assert answers[0] == answers[1]


def test_the_cli_reports_an_unreachable_store_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], postgres_dsn: str
) -> None:
    from citecheck.cli.main import main

    article = tmp_path / "post.md"
    article.write_text(f"[a](http://127.0.0.1:{_closed_port()}/)\n", "utf-8")  # nothing leaves this machine
    closed = f"postgresql://cite:hunter2@127.0.0.1:{_closed_port()}/cites"
    code = main(["check", "--isolated", "--allow-network", "127.0.0.0/8", "--store", closed, str(article)])
    err = capsys.readouterr().err
    assert code == 2
    assert "cannot open the citecheck store postgresql://cite:***@127.0.0.1:" in err
    assert "hunter2" not in err
    assert "Traceback" not in err


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
