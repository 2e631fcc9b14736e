"""Remember what the network checks found, so a rerun is cheap and a dead link is told apart.

A check costs seconds and a remote server's patience; its result is worth keeping. Every check
is appended to a small SQLite database (one row per check, never updated; the embedded
default: :mod:`citecheck.store.postgres` keeps the same in PostgreSQL, and the queries are
shared, in :mod:`citecheck.store.base`), which answers three questions:

* :meth:`Store.latest`: is there a result young enough to reuse instead of fetching again?
* :meth:`Store.history`: what did the last checks of this URL say?
* :meth:`Store.judgement`: is the URL *dead, confirmed* (it failed several times over several
  days), *dead, first seen DATE* (it is failing, not yet for long), alive, or unknown?

The store knows nothing of the checker's result classes: :mod:`citecheck.store.checks`
converts them to and from :class:`~citecheck.store.records.StoredCheck`, a plain record whose
``data`` holds the full evidence as JSON.

>>> from datetime import UTC, datetime, timedelta
>>> from citecheck.store.records import StoredCheck
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
import os
import random
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Self, TypeVar

from ..core.errors import ConfigError, StoreBusyError, StoreError
from . import schema
from .base import BaseStore
from .dbapi import Connection
from .records import utc_now
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


class Store(BaseStore):
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
    def where(self) -> str:
        """The database file, or ``:memory:``."""
        return str(self._path) if self._path is not None else ":memory:"

    def _explain(self, error: sqlite3.DatabaseError) -> str:
        message = str(error)
        if "not a database" in message or "malformed" in message:
            return (
                f"{self.where} is not a usable citecheck store ({message}); "
                "move it away or delete it, and citecheck will start a new one"
            )
        return f"cannot open the citecheck store {self.where}: {message}"

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
            "BEGIN IMMEDIATE", lambda conn: schema.apply_migrations(conn, migrations, where=self.where)
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

    def _transact(
        self, work: Callable[[Connection], _T], *, write: bool = True, consistent: bool = False, key: str | None = None
    ) -> _T:
        """Run ``work`` in a transaction under the lock, retried while the database is busy.

        A write takes the database's write lock up front (``BEGIN IMMEDIATE``), so SQLite's
        writes are serialised whatever ``key``; every SQLite transaction sees one snapshot.
        """
        begin = "BEGIN IMMEDIATE" if write else "BEGIN"
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
