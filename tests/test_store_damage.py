"""A damaged store or a row this version cannot read never ends in a traceback (#14 point 7).

A damaged file is a clear message and exit 2 (move it away, a new one is started); a row with
a reason from a newer citecheck or invalid JSON is skipped with a notice, and its link checked
again.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from citecheck.core.errors import StoreError
from citecheck.store import Store, open_store
from citecheck.store.dbapi import Connection
from citecheck.store.records import StoredCheck
from fakeweb import FakeWeb, ok

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _check(url: str, reason: str | None = None) -> StoredCheck:
    online = {"url": url, "verdict": "ok", "reason": reason}
    return StoredCheck(url=url, checked_at=NOW, verdict="ok", reason=reason, data={"online": online})


def test_unreadable_rows_are_skipped_and_counted(store_location: str) -> None:
    path = store_location
    with open_store(path, clock=lambda: NOW + timedelta(minutes=1)) as store:
        store.record_many([_check("https://a.example/"), _check("https://b.example/"), _check("https://c.example/")])

        def damage(conn: Connection) -> None:  # as a newer citecheck, or a disk, might leave them
            conn.execute("UPDATE checks SET data = '{not json' WHERE url = 'https://a.example/'")
            conn.execute("UPDATE checks SET checked_at = 'yesterday' WHERE url = 'https://b.example/'")

        store._transact(damage)
    with open_store(path, clock=lambda: NOW + timedelta(minutes=1)) as store:
        found = store.latest_many(
            ["https://a.example/", "https://b.example/", "https://c.example/"], max_age=timedelta(days=9999)
        )
        assert list(found) == ["https://c.example/"]
        assert store.latest("https://a.example/", max_age=timedelta(days=9999)) is None
        assert store.history("https://a.example/") == []
        assert store.unreadable_rows >= 2


def test_a_damaged_file_is_a_store_error_that_says_what_to_do(tmp_path: Path) -> None:
    path = _damaged_store(tmp_path)
    with pytest.raises(StoreError, match="not a usable citecheck store"), Store.open(path) as store:
        store.latest_many([f"https://h{i}.example/" for i in range(500)], max_age=timedelta(days=9999))


def _damaged_store(tmp_path: Path) -> Path:
    """A store whose later pages are overwritten: opening works, reading its rows does not."""
    path = tmp_path / "damaged.sqlite3"
    with Store.open(path, clock=lambda: NOW) as store:
        store.record_many(_check(f"https://h{i}.example/" + "x" * 200) for i in range(2000))
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = 4096
    for start in range(page * 3, len(data) - page, page * 2):
        data[start : start + page] = b"\xa5" * page
    path.write_bytes(bytes(data))
    return path


_CHECK = (sys.executable, "-m", "citecheck", "check")


def _run_check(store: Path, article: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*_CHECK, "--store", str(store), "--allow-network", "127.0.0.0/8", str(article)],
        capture_output=True,
        timeout=120,
    )


def test_the_cli_says_so_and_exits_2_on_a_damaged_store(tmp_path: Path) -> None:
    article = tmp_path / "a.md"
    # Cite many stored URLs, so that reading their results crosses the damaged pages.
    article.write_text("".join(f"See https://h{i}.example/{'x' * 200} here.\n" for i in range(400)), encoding="utf-8")
    done = _run_check(_damaged_store(tmp_path), article)
    assert b"Traceback" not in done.stderr, done.stderr.decode()
    assert done.returncode == 2
    assert b"not a usable citecheck store" in done.stderr


def test_the_cli_checks_again_what_the_store_cannot_read(tmp_path: Path) -> None:
    async def go() -> tuple[subprocess.CompletedProcess[bytes], subprocess.CompletedProcess[bytes], int]:
        async with FakeWeb() as web:
            web.route("/a", ok("<html><body><p>a</p></body></html>"))
            web.route("/b", ok("<html><body><p>b</p></body></html>"))
            article = tmp_path / "a.md"
            article.write_text(f"See {web.url(0, '/a')} and {web.url(0, '/b')}.\n", encoding="utf-8")
            store = tmp_path / "s.sqlite3"
            first = await asyncio.to_thread(_run_check, store, article)
            with sqlite3.connect(store) as conn:
                rows = conn.execute("SELECT id, data FROM checks").fetchall()
                online = json.loads(rows[0][1])
                online["online"]["reason"] = "a_reason_from_the_future"
                conn.execute("UPDATE checks SET data = ? WHERE id = ?", (json.dumps(online), rows[0][0]))
                conn.execute("UPDATE checks SET data = '{not json' WHERE id = ?", (rows[1][0],))
            web.reset_stats()
            second = await asyncio.to_thread(_run_check, store, article)
            return first, second, web.requests

    first, second, requests = asyncio.run(go())
    assert first.returncode == 0, first.stderr.decode()
    assert b"Traceback" not in second.stderr, second.stderr.decode()
    assert second.returncode == 0
    assert b"could not be read" in second.stdout + second.stderr
    assert requests >= 2  # both links were checked again
