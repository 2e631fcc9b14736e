"""The store in PostgreSQL, through psycopg 3: one database shared by many workers and machines.

Selected by a ``postgresql://`` (or ``postgres://``) location; see
:func:`citecheck.store.opening.open_store`. The queries are :class:`~.base.BaseStore`'s, the
schema history :mod:`.pgschema`'s; this module is the connection: how a transaction begins,
what is retried, and what a failure is called.

* **Transactions.** Writes run in ``READ COMMITTED`` (appends never conflict); a write that
  reads what it writes on (``add_capture``) first takes a transaction-level advisory lock on its
  key, so such writes to the same list run one after another. Judgements read in one
  ``REPEATABLE READ`` snapshot, as in SQLite.
* **Retries.** A serialization failure, a deadlock or a lock wait beyond ``timeout`` is retried
  a bounded number of times, then :class:`~citecheck.core.errors.StoreBusyError`.
* **Failures.** A server that cannot be reached, refuses us or goes away is a
  :class:`~citecheck.core.errors.ConfigError` when opening and a
  :class:`~citecheck.core.errors.StoreError` afterwards (a later call reconnects), with a clear
  message and the password never shown.
"""

from __future__ import annotations

import contextlib
import functools
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Self, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import errors, pq

from ..core.errors import ConfigError, StoreBusyError, StoreError
from . import pgschema
from .base import BaseStore
from .dbapi import Connection, Cursor
from .records import utc_now
from .sqlite import ATTEMPTS

__all__ = ["PostgresStore", "redact"]

_T = TypeVar("_T")

#: Seconds to wait for the server to accept a connection, unless the URL says (``connect_timeout``).
CONNECT_TIMEOUT = 10

#: Seconds one statement may run before the server cancels it (unless the URL's ``options`` set
#: ``statement_timeout``): the store's statements take milliseconds, so a server that hangs
#: mid-query costs a run minutes at most, never forever. Generous for ``prune`` on a big table.
STATEMENT_TIMEOUT = 300.0
#: TCP keepalives (libpq's, unless the URL sets them): a server that vanished without closing the
#: connection (a crashed host, a dropped route) is noticed in about a minute, not hours.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}

#: Errors that say "try again": another transaction was in the way, not that anything is wrong.
_TRANSIENT = (errors.SerializationFailure, errors.DeadlockDetected, errors.LockNotAvailable)


def redact(url: str) -> str:
    """``url`` without its password (in the user part or a ``password`` parameter), for messages.

    >>> redact("postgresql://ann:s3cret@db.example:5432/cites?password=x&sslmode=require")
    'postgresql://ann:***@db.example:5432/cites?password=***&sslmode=require'
    """
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if parts.password is not None:
            user, _, host = netloc.rpartition("@")
            netloc = f"{user.partition(':')[0]}:***@{host}"
        query = parts.query
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(key == "password" for key, _ in pairs):
            query = urlencode([(k, "***" if k == "password" else v) for k, v in pairs], safe="*")
        return urlunsplit(parts._replace(netloc=netloc, query=query))
    except ValueError:
        return "the PostgreSQL store (its URL cannot be shown)"


@functools.lru_cache(maxsize=256)
def _dialect(sql: str) -> str:
    """The store's ``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled first).

    The store's SQL has no ``?`` or ``%`` inside string literals; scripts without parameters
    are passed untouched.
    """
    return sql.replace("%", "%%").replace("?", "%s")


class _Dialected:
    """A psycopg connection that speaks the store's SQL (see :class:`~.dbapi.Connection`)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Cursor:
        if not parameters:
            return self._conn.execute(sql.encode())  # bytes: no placeholders at all, a script may run
        return self._conn.execute(_dialect(sql).encode(), parameters)

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> None:
        with self._conn.cursor() as cursor:
            cursor.executemany(_dialect(sql).encode(), parameters)


class PostgresStore(BaseStore):
    """The check history in a PostgreSQL database. Open with :meth:`open`.

    Like the SQLite store: one connection and a lock around it, so threads may share it; every
    process opens its own, and any number of them may write at once.
    """

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], datetime] = utc_now,
        timeout: float = 10.0,
        attempts: int = ATTEMPTS,
        migrations: Sequence[pgschema.PgMigration] | None = None,
    ) -> None:
        """Connect and bring the schema up to date; see :meth:`open`."""
        if attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {attempts}")
        self._url, self._clock, self._attempts, self._timeout = url, clock, attempts, timeout
        self._lock = threading.RLock()
        self._closed = False
        self.unreadable_rows = 0
        self._password = urlsplit(url).password if "://" in url else None
        wanted = pgschema.PG_MIGRATIONS if migrations is None else tuple(migrations)
        try:
            self._conn = self._connect()
        except psycopg.Error as error:
            raise ConfigError(f"cannot open the citecheck store {self.where}: {self._message(error)}") from error
        try:
            with self._lock:
                self._retrying(lambda: self._setup(wanted))
        except psycopg.Error as error:
            self._conn.close()
            raise ConfigError(f"cannot open the citecheck store {self.where}: {self._message(error)}") from error
        except BaseException:
            self._conn.close()
            raise

    @classmethod
    def open(
        cls,
        url: str,
        *,
        clock: Callable[[], datetime] = utc_now,
        timeout: float = 10.0,
        attempts: int = ATTEMPTS,
        migrations: Sequence[pgschema.PgMigration] | None = None,
    ) -> Self:
        """Open the store in the database at ``url`` (``postgresql://user@host:port/db``).

        Creates the tables in the connection's current schema (the first of ``search_path``)
        if needed. ``timeout`` is how long, in seconds, one statement waits for another
        transaction's lock, ``attempts`` how many times a transaction is tried before
        :class:`StoreBusyError`; ``migrations`` replaces :data:`~.pgschema.PG_MIGRATIONS`.
        Raises :class:`~citecheck.core.errors.ConfigError` if the server cannot be reached or
        refuses us, the database is not a citecheck store, or a newer citecheck wrote it.
        """
        return cls(url, clock=clock, timeout=timeout, attempts=attempts, migrations=migrations)

    @property
    def where(self) -> str:
        """The URL, its password hidden."""
        return redact(self._url)

    def _message(self, error: BaseException) -> str:
        """The server's or libpq's words, on one line, with the password hidden (should it echo it)."""
        message = " ".join(str(error).split()) or type(error).__name__
        return message.replace(self._password, "***") if self._password else message

    def _connect(self) -> psycopg.Connection[Any]:
        options: dict[str, Any] = {"autocommit": True, "application_name": "citecheck"}
        given = psycopg.conninfo.conninfo_to_dict(self._url)
        if "connect_timeout" not in given:
            options["connect_timeout"] = CONNECT_TIMEOUT
        options.update((name, value) for name, value in KEEPALIVES.items() if name not in given)
        conn = psycopg.connect(self._url, **options)
        try:
            # A lock held longer than this is "busy", as SQLite's busy timeout: retried, then reported.
            conn.execute(b"SELECT set_config('lock_timeout', %s, false)", (f"{max(1, round(self._timeout * 1000))}ms",))
            if "statement_timeout" not in str(given.get("options", "")):
                conn.execute(
                    b"SELECT set_config('statement_timeout', %s, false)",
                    (f"{max(1, round(STATEMENT_TIMEOUT * 1000))}ms",),
                )
        except BaseException:
            conn.close()
            raise
        return conn

    def _setup(self, migrations: Sequence[pgschema.PgMigration]) -> None:
        if pgschema.pg_schema_version(_Dialected(self._conn)) == len(migrations):
            return
        self._in_transaction(
            "BEGIN", None, lambda conn: pgschema.apply_pg_migrations(conn, migrations, where=self.where)
        )

    @property
    def schema_version(self) -> int:
        """The schema version of the open database (the row of ``citecheck_schema``)."""
        return self._transact(pgschema.pg_schema_version, write=False)

    def close(self) -> None:
        """Close the connection; closing twice is harmless."""
        with self._lock:
            self._closed = True
            self._conn.close()

    # -- the only ways to the connection ---------------------------------------------------------

    def _in_transaction(self, begin: str, key: str | None, work: Callable[[Connection], _T]) -> _T:
        """Run ``work`` in one transaction, rolled back if anything (the commit too) fails."""
        conn = self._conn
        conn.execute(begin.encode())
        try:
            dialected = _Dialected(conn)
            if key is not None:
                dialected.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (key,))
            result = work(dialected)
            conn.execute(b"COMMIT")
        except BaseException:
            if not conn.closed and conn.info.transaction_status != pq.TransactionStatus.IDLE:
                with contextlib.suppress(psycopg.Error):
                    conn.execute(b"ROLLBACK")
            raise
        return result

    def _transact(
        self, work: Callable[[Connection], _T], *, write: bool = True, consistent: bool = False, key: str | None = None
    ) -> _T:
        """Run ``work`` in a transaction under the lock, retried while other transactions are in the way."""
        level = "REPEATABLE READ" if consistent or not write else "READ COMMITTED"
        begin = f"BEGIN ISOLATION LEVEL {level}{'' if write else ' READ ONLY'}"
        with self._lock, self._failures_explained():
            return self._retrying(lambda: self._in_transaction(begin, key, work))

    def _read(self, sql: str, parameters: Sequence[Any]) -> list[Any]:
        """One query in a transaction of its own, under the lock, retried while busy."""
        with self._lock, self._failures_explained():
            return self._retrying(lambda: _Dialected(self._conn).execute(sql, parameters).fetchall())

    def _retrying(self, action: Callable[[], _T]) -> _T:
        """Run ``action``, again after a short random pause if another transaction was in the way.

        A connection found broken (the server restarted since the last call) is opened again
        first: a long run survives a database restart between its writes.
        """
        if self._closed:
            raise RuntimeError(f"the citecheck store {self.where} is closed")
        for attempt in range(self._attempts):
            if self._conn.broken:
                self._conn.close()
                self._conn = self._connect()
            try:
                return action()
            except _TRANSIENT as error:
                if attempt == self._attempts - 1:
                    raise StoreBusyError(
                        f"the citecheck store {self.where} stayed busy with other transactions "
                        f"({self._message(error)}); try again later"
                    ) from error
                time.sleep(random.uniform(0.01, 0.05) * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    @contextlib.contextmanager
    def _failures_explained(self) -> Iterator[None]:
        """A server gone or refusing as a :class:`StoreError` saying so, never a traceback; our own
        mistakes (bad SQL, constraints, values the database cannot hold) stay loud."""
        try:
            yield
        except errors.QueryCanceled as error:
            raise StoreError(
                f"the citecheck store {self.where} took too long to answer ({self._message(error)}): "
                "the database server may be overloaded or stuck"
            ) from error
        except psycopg.OperationalError as error:
            raise StoreError(
                f"lost the connection to the citecheck store {self.where}: {self._message(error)}"
            ) from error
        except psycopg.InterfaceError as error:
            raise StoreError(
                f"the connection to the citecheck store {self.where} failed: {self._message(error)}"
            ) from error
