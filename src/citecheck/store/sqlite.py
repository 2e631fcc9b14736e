"""Remember what the network checks found, so a rerun is cheap and a dead link is told apart.

A check costs seconds and a remote server's patience; its result is worth keeping. Every check
is appended to a small SQLite database (one row per check, never updated), which answers three
questions:

* :meth:`Store.latest`: is there a result young enough to reuse instead of fetching again?
* :meth:`Store.history`: what did the last checks of this URL say?
* :meth:`Store.judgement`: is the URL *dead, confirmed* (it failed several times over several
  days), *dead, first seen DATE* (it is failing, not yet for long), alive, or unknown?

The store knows nothing of the checker's result classes: :mod:`citecheck.store.checks`
converts them to and from :class:`~citecheck.store.records.StoredCheck`, a plain record whose
``data`` holds the full evidence as JSON.

>>> from datetime import UTC, datetime, timedelta
>>> with Store.open(":memory:", clock=lambda: datetime(2024, 5, 4, tzinfo=UTC)) as store:
...     store.record(StoredCheck(url="https://example.org/", checked_at=datetime(2024, 5, 3, tzinfo=UTC),
...                              verdict="ok", http_status=200))
...     store.latest("https://example.org/", max_age=timedelta(days=2)).http_status
...     store.judgement("https://example.org/").label
200
'alive'

Design notes:

* **Location.** :func:`default_store_path` is the user's cache directory, computed when called
  (never at import: tests and callers change the environment). ``":memory:"`` is accepted.
* **Schema.** Versioned, migrated on open inside one ``BEGIN IMMEDIATE`` transaction: see
  :mod:`citecheck.store.schema`.
* **Concurrency.** WAL mode (readers never block the writer, nor it them), a busy timeout, and
  writes in ``BEGIN IMMEDIATE`` transactions (which take the write lock up front, so a write
  never fails half-way on lock upgrade) retried a bounded number of times on ``database is
  locked``. Each process opens its own :class:`Store`; a :class:`Store` owns one connection and
  serialises its use with a lock, so threads may share it (or open their own). Every use of the
  connection goes through :meth:`Store._transact` or :meth:`Store._read`, which take the lock:
  one ``sqlite3`` connection has one transaction at a time, so two threads beginning theirs on
  it at once would fail with "cannot start a transaction within a transaction".
* **Async callers** must not run these calls (and their sleeping retries) on the event loop:
  :class:`citecheck.store.aio.AsyncStore` runs them in a worker thread.
* **Time.** Stored as fixed-width ISO 8601 UTC text (see :mod:`citecheck.store.records`). The
  clock is injectable.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import random
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from ..core.errors import ConfigError, StoreBusyError, StoreError
from . import schema
from .captures import CaptureLists
from .records import (
    FAILURE_VERDICTS,
    INCONCLUSIVE_VERDICTS,
    DeadJudgement,
    StoredCheck,
    decode_time,
    encode_time,
    to_utc,
    utc_now,
)
from .schema import Migration

__all__ = ["ATTEMPTS", "FILENAME", "Store", "default_store_path"]

#: File name of the store inside the cache directory.
FILENAME = "citecheck.sqlite3"

#: How many times a write (or the opening) is attempted when SQLite reports the database locked
#: despite the busy timeout (it can, e.g. while another connection recovers the WAL).
ATTEMPTS = 5

_T = TypeVar("_T")


def default_store_path(env: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    """Where the store lives by default: the user's cache directory, per platform convention.

    ``$XDG_CACHE_HOME/citecheck`` (if set to an absolute path), else ``~/Library/Caches/citecheck``
    on macOS, ``%LOCALAPPDATA%\\citecheck\\Cache`` on Windows, ``~/.cache/citecheck`` elsewhere.
    Computed on every call from ``env`` (default ``os.environ``) and ``platform`` (default
    ``sys.platform``), never at import, so a changed environment is honoured.
    """
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform

    def home() -> Path:
        return Path(env["HOME"]) if env.get("HOME") else Path.home()

    if platform == "win32":
        local = env.get("LOCALAPPDATA") or str(home() / "AppData" / "Local")
        return Path(local) / "citecheck" / "Cache" / FILENAME
    xdg = env.get("XDG_CACHE_HOME", "")
    if xdg and os.path.isabs(xdg):  # the XDG spec says to ignore relative paths
        return Path(xdg) / "citecheck" / FILENAME
    if platform == "darwin":
        return home() / "Library" / "Caches" / "citecheck" / FILENAME
    return home() / ".cache" / "citecheck" / FILENAME


def _is_busy(error: sqlite3.OperationalError) -> bool:
    message = str(error).lower()
    return "locked" in message or "busy" in message


def _retrying(action: Callable[[], _T], *, attempts: int) -> _T:
    """Run ``action``, again after a short random pause if SQLite says the database is busy."""
    for attempt in range(attempts):
        try:
            return action()
        except sqlite3.OperationalError as error:
            if not _is_busy(error):
                raise
            if attempt == attempts - 1:
                raise StoreBusyError(
                    f"the citecheck store stayed locked by another process ({error}); try again later"
                ) from error
            time.sleep(random.uniform(0.01, 0.05) * 2**attempt)
    raise AssertionError("unreachable")  # pragma: no cover


#: The ``checks`` table's columns are named and ordered as :class:`StoredCheck`'s fields.
_FIELDS = tuple(field.name for field in dataclasses.fields(StoredCheck))
_COLUMNS = ", ".join(_FIELDS)
_Row = tuple[str, str, str, str | None, int | None, str | None, str]


def _to_row(check: StoredCheck) -> _Row:
    if not isinstance(check.data, dict):
        raise TypeError(f"StoredCheck.data must be a dict, got {type(check.data).__name__}")
    try:
        data = json.dumps(check.data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TypeError(f"StoredCheck.data for {check.url} is not JSON-able: {error}") from error
    return (
        check.url,
        encode_time(check.checked_at),
        check.verdict,
        check.reason,
        check.http_status,
        check.final_url,
        data,
    )


def _from_row(row: Sequence[Any]) -> StoredCheck:
    record = dict(zip(_FIELDS, row, strict=True))
    record["checked_at"], record["data"] = decode_time(record["checked_at"]), json.loads(record["data"])
    return StoredCheck(**record)


_INSERT = f"INSERT INTO checks ({_COLUMNS}) VALUES ({', '.join('?' * len(_FIELDS))})"


def _judging(
    min_checks: int, min_span: timedelta, failures: Collection[str], inconclusive: Collection[str]
) -> tuple[list[str], list[str]]:
    """The verdict lists of a judgement, sorted (one SQL text each), after checking its limits."""
    if min_checks < 1:
        raise ValueError(f"min_checks must be at least 1, got {min_checks}")
    if min_span < timedelta(0):
        raise ValueError(f"min_span must not be negative, got {min_span}")
    return sorted(failures), sorted(inconclusive)


def _judge(
    conn: sqlite3.Connection,
    url: str,
    min_checks: int,
    min_span: timedelta,
    failing: Sequence[str],
    neutral: Sequence[str],
) -> DeadJudgement:
    """:meth:`Store.judgement` inside the caller's transaction."""
    success = conn.execute(
        "SELECT checked_at, id FROM checks WHERE url = ? "
        f"AND verdict NOT IN ({_placeholders(failing)}) AND verdict NOT IN ({_placeholders(neutral)}) "
        "ORDER BY checked_at DESC, id DESC LIMIT 1",
        (url, *failing, *neutral),
    ).fetchone()
    after, parameters = "", [url, *failing]
    if success is not None:
        after = "AND (checked_at, id) > (?, ?)"
        parameters += success
    count, first, last = conn.execute(
        "SELECT COUNT(*), MIN(checked_at), MAX(checked_at) FROM checks "
        f"WHERE url = ? AND verdict IN ({_placeholders(failing)}) {after}",
        parameters,
    ).fetchone()
    if count == 0 or first is None or last is None:
        return DeadJudgement(state="unknown" if success is None else "alive")
    first_failure = decode_time(first)
    span = decode_time(last) - first_failure
    dead = count >= min_checks and span >= min_span
    return DeadJudgement(state="dead" if dead else "failing", first_failure=first_failure, failures=count, span=span)


#: URLs asked for in one query (SQLite allows 32,766 parameters; small chunks keep each read short).
_URLS_PER_QUERY = 500


def _placeholders(values: Collection[str]) -> str:
    return ", ".join("?" * len(values))


class Store(CaptureLists):
    """The check history in one SQLite file (or in memory). Open with :meth:`open`.

    A store owns one connection and a lock around it, so threads may share it; every process
    opens its own. Writes are atomic and safe against other processes writing the same file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        timeout: float = 10.0,
        attempts: int = ATTEMPTS,
        migrations: Sequence[Migration] | None = None,
    ) -> None:
        """Open (creating if needed) and migrate the store; see :meth:`open`."""
        if attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {attempts}")
        self._clock = clock
        self._attempts = attempts
        self._lock = threading.RLock()
        #: Rows skipped because this version cannot read them (see ``_decoded``).
        self.unreadable_rows = 0
        if path is not None and os.fspath(path) == ":memory:":
            self._path: Path | None = None
            target = ":memory:"
        else:
            self._path = Path(path).expanduser() if path is not None else default_store_path()
            target = str(self._path)
            try:
                self._path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise ConfigError(
                    f"cannot create the directory of the citecheck store {self._path}: {error.strerror or error}"
                ) from error
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves (BEGIN IMMEDIATE for writes).
            self._conn = sqlite3.connect(target, timeout=timeout, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as error:
            raise ConfigError(f"cannot open the citecheck store {target}: {error}") from error
        wanted = schema.MIGRATIONS if migrations is None else tuple(migrations)
        try:
            with self._lock:
                _retrying(lambda: self._setup(wanted), attempts=attempts)
        except sqlite3.DatabaseError as error:
            self._conn.close()
            raise ConfigError(self._explain(error)) from error
        except BaseException:
            self._conn.close()
            raise

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        timeout: float = 10.0,
        attempts: int = ATTEMPTS,
        migrations: Sequence[Migration] | None = None,
    ) -> Self:
        """Open the store at ``path`` (default :func:`default_store_path`; ``":memory:"`` for tests).

        Creates the file and its directories, switches to WAL and brings the schema up to date.
        ``clock`` gives "now" (timezone-aware) for :meth:`latest` and :meth:`prune`; ``timeout``
        is how long, in seconds, to wait for other processes' locks before retrying, and
        ``attempts`` how many times a locked write is tried before :class:`StoreBusyError`.
        ``migrations`` replaces :data:`~citecheck.store.schema.MIGRATIONS` (to test an upgrade to a future schema).
        Raises :class:`~citecheck.core.errors.ConfigError` if the path cannot be used, is not a
        citecheck store, or was written by a newer citecheck.
        """
        return cls(path, clock=clock, timeout=timeout, attempts=attempts, migrations=migrations)

    @property
    def _where(self) -> str:
        return str(self._path) if self._path is not None else ":memory:"

    def _explain(self, error: sqlite3.DatabaseError) -> str:
        message = str(error)
        if "not a database" in message or "malformed" in message:
            return (
                f"{self._where} is not a usable citecheck store ({message}); "
                "move it away or delete it, and citecheck will start a new one"
            )
        return f"cannot open the citecheck store {self._where}: {message}"

    def _setup(self, migrations: Sequence[Migration]) -> None:
        """Switch to WAL and migrate: on every open, since another version may have run since."""
        conn = self._conn
        if self._path is not None:
            conn.execute("PRAGMA journal_mode = WAL")
        # Safe with WAL: a power cut may lose the last checks, never corrupt the file. It is a cache.
        conn.execute("PRAGMA synchronous = NORMAL")
        if schema.schema_version(conn) == len(migrations):
            return
        self._in_transaction(
            "BEGIN IMMEDIATE", lambda conn: schema.apply_migrations(conn, migrations, where=self._where)
        )

    @property
    def path(self) -> Path | None:
        """The database file, or None for an in-memory store."""
        return self._path

    @property
    def schema_version(self) -> int:
        """The schema version of the open database (``PRAGMA user_version``)."""
        with self._lock:
            return schema.schema_version(self._conn)

    def close(self) -> None:
        """Close the connection; closing twice is harmless."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def _now(self) -> datetime:
        return to_utc(self._clock(), "the store's clock")

    # -- the only ways to the connection ---------------------------------------------------------

    def _in_transaction(self, begin: str, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``work`` in one transaction, rolled back if anything (the commit too) fails.

        The caller holds the lock. A failed COMMIT is rolled back as well, so that a retry does
        not find the transaction still open.
        """
        conn = self._conn
        conn.execute(begin)
        try:
            result = work(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return result

    def _transact(self, work: Callable[[sqlite3.Connection], _T], *, begin: str = "BEGIN IMMEDIATE") -> _T:
        """Run ``work`` in a transaction under the lock, retried while the database is busy."""
        with self._lock, self._damage_explained():
            return _retrying(lambda: self._in_transaction(begin, work), attempts=self._attempts)

    def _read(self, sql: str, parameters: Sequence[Any]) -> list[Any]:
        """One query outside any explicit transaction, under the lock, retried while busy."""
        with self._lock, self._damage_explained():
            return _retrying(lambda: self._conn.execute(sql, parameters).fetchall(), attempts=self._attempts)

    @contextlib.contextmanager
    def _damage_explained(self) -> Iterator[None]:
        """A damaged file (``database disk image is malformed``) as a :class:`StoreError` that
        says what to do, never a traceback; our own mistakes (bad SQL, constraints) stay loud."""
        try:
            yield
        except (sqlite3.ProgrammingError, sqlite3.IntegrityError):
            raise
        except sqlite3.DatabaseError as error:
            raise StoreError(self._explain(error)) from error

    def _decoded(self, rows: Iterable[Sequence[Any]]) -> Iterator[StoredCheck]:
        """The rows that can be read; one this version cannot (bad JSON, a damaged field) is
        skipped and counted in :attr:`unreadable_rows`, so one bad row never costs a run."""
        for row in rows:
            try:
                yield _from_row(row)
            except (ValueError, TypeError, KeyError):
                self.unreadable_rows += 1

    # -- checks ----------------------------------------------------------------------------------

    def _write(self, rows: Sequence[_Row]) -> None:
        self._transact(lambda conn: conn.executemany(_INSERT, rows))

    def record(self, check: StoredCheck) -> None:
        """Append one check to the history of its URL."""
        self._write([_to_row(check)])

    def record_many(self, checks: Iterable[StoredCheck]) -> None:
        """Append several checks in one transaction: all are kept, or (on error) none."""
        rows = [_to_row(check) for check in checks]  # validated before the write lock is taken
        if rows:
            self._write(rows)

    def latest(self, url: str, *, max_age: timedelta) -> StoredCheck | None:
        """The newest check of ``url`` younger than ``max_age``, if any: reuse it instead of fetching."""
        if max_age < timedelta(0):
            raise ValueError(f"max_age must not be negative, got {max_age}")
        cutoff = encode_time(self._now() - max_age)
        rows = self._read(
            f"SELECT {_COLUMNS} FROM checks WHERE url = ? AND checked_at > ? ORDER BY checked_at DESC, id DESC LIMIT 1",
            (url, cutoff),
        )
        return next(self._decoded(rows), None)

    def latest_many(self, urls: Sequence[str], *, max_age: timedelta) -> dict[str, StoredCheck]:
        """:meth:`latest` of many URLs at once, by URL (absent: none young enough).

        One query per few hundred URLs instead of one each: an article's links cost the store
        (and the thread that runs it) one round trip.
        """
        if max_age < timedelta(0):
            raise ValueError(f"max_age must not be negative, got {max_age}")
        cutoff = encode_time(self._now() - max_age)
        found: dict[str, StoredCheck] = {}
        distinct = list(dict.fromkeys(urls))
        for start in range(0, len(distinct), _URLS_PER_QUERY):
            chunk = distinct[start : start + _URLS_PER_QUERY]
            rows = self._read(
                f"SELECT {_COLUMNS} FROM checks WHERE url IN ({_placeholders(chunk)}) AND checked_at > ? "
                "ORDER BY checked_at DESC, id DESC",
                (*chunk, cutoff),
            )
            for row in rows:
                if row[0] not in found:  # newest first: the first readable row of a URL wins
                    decoded = next(self._decoded([row]), None)
                    if decoded is not None:
                        found[row[0]] = decoded
        return found

    def history(self, url: str, *, limit: int = 100) -> list[StoredCheck]:
        """The last ``limit`` checks of ``url``, newest first."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        rows = self._read(
            f"SELECT {_COLUMNS} FROM checks WHERE url = ? ORDER BY checked_at DESC, id DESC LIMIT ?",
            (url, limit),
        )
        return list(self._decoded(rows))

    def judgement(
        self,
        url: str,
        *,
        min_checks: int = 3,
        min_span: timedelta = timedelta(days=3),
        failures: Collection[str] = FAILURE_VERDICTS,
        inconclusive: Collection[str] = INCONCLUSIVE_VERDICTS,
    ) -> DeadJudgement:
        """Whether ``url`` is dead: confirmed, failing since a date, alive or unknown.

        The current failure streak is the run of ``failures`` verdicts since the last check that
        succeeded (any verdict neither a failure nor ``inconclusive``); inconclusive checks
        (a bot wall, our network down) neither extend nor end it. The URL is ``dead`` once the
        streak holds at least ``min_checks`` failures spanning at least ``min_span`` from the
        first to the last: one bad day is not death. Judging the whole streak (not only its last
        ``min_checks``) means more failures never un-confirm a death.
        """
        failing, neutral = _judging(min_checks, min_span, failures, inconclusive)
        # One read transaction: both queries see the same snapshot.
        return self._transact(lambda conn: _judge(conn, url, min_checks, min_span, failing, neutral), begin="BEGIN")

    def record_judged(
        self,
        checks: Iterable[StoredCheck],
        urls: Iterable[str],
        *,
        min_checks: int = 3,
        min_span: timedelta = timedelta(days=3),
    ) -> dict[str, DeadJudgement]:
        """Append ``checks`` and judge ``urls`` (as :meth:`judgement` does) in one write transaction.

        What a batch of fresh results needs, for the price of one commit instead of one per
        check and one per judgement; the judgements see the checks just written.
        """
        failing, neutral = _judging(min_checks, min_span, FAILURE_VERDICTS, INCONCLUSIVE_VERDICTS)
        rows = [_to_row(check) for check in checks]  # validated before the write lock is taken
        wanted = list(dict.fromkeys(urls))
        if not rows and not wanted:
            return {}

        def write(conn: sqlite3.Connection) -> dict[str, DeadJudgement]:
            if rows:
                conn.executemany(_INSERT, rows)
            return {url: _judge(conn, url, min_checks, min_span, failing, neutral) for url in wanted}

        return self._transact(write)

    def prune(self, older_than: timedelta) -> int:
        """Delete checks older than ``older_than``, but keep the newest check of every URL.

        Keeps the store bounded while :meth:`judgement` keeps some memory of every URL (a streak
        that began before the cutoff is then judged from its recent part). Returns the number of
        checks deleted.
        """
        if older_than < timedelta(0):
            raise ValueError(f"older_than must not be negative, got {older_than}")
        cutoff = encode_time(self._now() - older_than)

        def delete(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "DELETE FROM checks WHERE checked_at < ? AND EXISTS (SELECT 1 FROM checks AS newer "
                "WHERE newer.url = checks.url AND (newer.checked_at, newer.id) > (checks.checked_at, checks.id))",
                (cutoff,),
            )
            return cursor.rowcount

        return self._transact(delete)

    # -- snapshots -------------------------------------------------------------------------------

    def record_snapshot(
        self, *, lookup_url: str, original_url: str, snapshot: dict[str, Any] | None, learned_at: datetime | None = None
    ) -> None:
        """Append a snapshot record (``Snapshot.to_dict()``), or a negative answer when None."""
        when = encode_time(to_utc(learned_at or self._now(), "learned_at"))
        data = snapshot or {"lookup_url": lookup_url, "original_url": original_url, "negative": True}
        row = (
            lookup_url,
            original_url,
            None if snapshot is None else snapshot.get("archive"),
            None if snapshot is None else snapshot.get("memento_url"),
            None if snapshot is None else snapshot.get("captured_at"),
            None if snapshot is None else snapshot.get("status"),
            None if snapshot is None else snapshot.get("job_id"),
            None if snapshot is None else snapshot.get("job_status"),
            when,
            json.dumps(data, ensure_ascii=False, sort_keys=True),
        )
        self._transact(
            lambda conn: conn.execute(
                "INSERT INTO snapshots (lookup_url, original_url, archive, memento_url, captured_at, status,"
                " job_id, job_status, learned_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
        )

    def latest_snapshot(
        self, lookup_url: str, *, max_age: timedelta, negative_max_age: timedelta
    ) -> tuple[bool, dict[str, Any] | None]:
        """``(known, record)``: the newest answer young enough to reuse.

        ``(True, None)`` is a negative answer still fresh (``negative_max_age``); ``(False,
        None)`` means ask the archives again.
        """
        oldest = encode_time(self._now() - max(max_age, negative_max_age))
        rows = self._read(
            "SELECT archive, learned_at, data FROM snapshots WHERE lookup_url = ? AND learned_at > ?"
            " ORDER BY learned_at DESC, id DESC LIMIT 1",
            (lookup_url, oldest),
        )
        if not rows:
            return False, None
        archive, learned, data = rows[0]
        age = self._now() - decode_time(learned)
        if archive is None:
            return (age <= negative_max_age), None
        return (age <= max_age), json.loads(data) if age <= max_age else None

    def pending_snapshots(self, limit: int = 100) -> list[dict[str, Any]]:
        """Requested captures whose job was still pending when last polled (re-poll them)."""
        rows = self._read(
            "SELECT data FROM snapshots s WHERE job_status = 'pending' AND NOT EXISTS ("
            " SELECT 1 FROM snapshots t WHERE t.job_id = s.job_id AND t.id > s.id) ORDER BY id LIMIT ?",
            (limit,),
        )
        return [json.loads(row[0]) for row in rows]
