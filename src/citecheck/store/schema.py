"""The store's schema and how an older database is brought up to date.

The schema is versioned with ``PRAGMA user_version``. :data:`MIGRATIONS` is an ordered list;
migration *n* brings version *n - 1* to *n* and runs inside the same ``BEGIN IMMEDIATE``
transaction as the version bump (the caller's), so a crash leaves the old version intact and
two processes never migrate twice. A database newer than this code is refused with a clear
message rather than misread, and so is an SQLite file that is not a citecheck store.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence

from ..core.errors import ConfigError

__all__ = ["MIGRATIONS", "Migration", "apply_migrations", "schema_version", "statements", "too_new"]

#: A migration: SQL statements (a script, split on complete statements) or a function given
#: the connection. It runs inside the migrating transaction and must not commit.
Migration = str | Callable[[sqlite3.Connection], None]

_V1_CHECKS = """
-- One row per check, appended and never updated. checked_at is fixed-width ISO 8601 UTC text
-- with microseconds, so text order is time order; id breaks ties (later insert wins).
CREATE TABLE checks (
    id          INTEGER PRIMARY KEY,
    url         TEXT    NOT NULL,
    checked_at  TEXT    NOT NULL,
    verdict     TEXT    NOT NULL,
    reason      TEXT,
    http_status INTEGER,
    final_url   TEXT,
    data        TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX checks_url_checked_at ON checks (url, checked_at);
"""

_V2_SNAPSHOTS = """
-- Web-archive snapshot records, appended: a found snapshot, a negative answer (archive NULL:
-- "no capture known", kept so reruns do not ask again too soon), or a requested capture whose
-- job is pending. data holds the full record as JSON (citecheck.archive.Snapshot.to_dict()).
CREATE TABLE snapshots (
    id INTEGER PRIMARY KEY,
    lookup_url TEXT NOT NULL,
    original_url TEXT NOT NULL,
    archive TEXT,
    memento_url TEXT,
    captured_at TEXT,
    status INTEGER,
    job_id TEXT,
    job_status TEXT,
    learned_at TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX snapshots_by_url ON snapshots (lookup_url, learned_at);
CREATE INDEX snapshots_pending ON snapshots (job_status) WHERE job_status = 'pending';
"""

_V3_CAPTURES = """
-- What each archive said it holds of a URL, one row per (lookup_url, source): source is 'cdx',
-- 'timemap:<archive name>' or 'save' (captures we requested that succeeded). captures is a JSON
-- list of compact capture records, oldest first, at most a bounded number (thinned evenly when
-- the archive reported more: reported counts them). An empty list is a negative answer. The
-- snapshot to cite is chosen from these when asked, for whatever access date is asked, so the
-- rows hold facts, never a choice. fresh_until: after it, the source is asked again.
CREATE TABLE captures (
    lookup_url TEXT NOT NULL,
    source TEXT NOT NULL,
    learned_at TEXT NOT NULL,
    fresh_until TEXT NOT NULL,
    reported INTEGER NOT NULL,
    captures TEXT NOT NULL,
    PRIMARY KEY (lookup_url, source)
) WITHOUT ROWID;
"""

_V4_DRIFT = """
-- Content drift comparisons, appended: the live page of url (as cited) against the snapshot at
-- memento_url (NULL: there was none). data holds the whole result (citecheck.core.drift.Drift).
CREATE TABLE drift (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    memento_url TEXT,
    verdict TEXT NOT NULL,
    similarity REAL,
    compared_at TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX drift_by_url ON drift (url, compared_at);
"""

#: The schema's history, oldest first: ``MIGRATIONS[n - 1]`` takes version ``n - 1`` to ``n``.
#: Append only; never edit a released migration (databases in the wild have already run it).
MIGRATIONS: tuple[Migration, ...] = (_V1_CHECKS, _V2_SNAPSHOTS, _V3_CAPTURES, _V4_DRIFT)


def statements(script: str) -> Iterator[str]:
    """Split a script into complete statements (``executescript`` would commit our transaction).

    >>> list(statements("CREATE TABLE a (t TEXT DEFAULT ';'); CREATE TABLE b (x)"))
    ["CREATE TABLE a (t TEXT DEFAULT ';');", ' CREATE TABLE b (x);']
    """
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            yield pending
            pending = ""
    if pending.strip(" \t\r\n;"):
        yield pending


def schema_version(conn: sqlite3.Connection) -> int:
    """The schema version the database says it has (``PRAGMA user_version``; 0 when new)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    assert isinstance(version, int)
    return version


def too_new(where: str, version: int, known: int, otherwise: str) -> str:
    """The message refusing a store written by a newer citecheck (either backend's)."""
    return (
        f"the citecheck store {where} has schema version {version}, but this citecheck "
        f"knows only up to version {known}: it was written by a newer citecheck. "
        f"Upgrade citecheck, or {otherwise} to start a new store"
    )


def apply_migrations(conn: sqlite3.Connection, migrations: Sequence[Migration], *, where: str) -> None:
    """Apply the missing ``migrations``, inside the caller's write transaction.

    The version is read again here, under the write lock: another process may have migrated
    while we waited for it. ``where`` names the database in error messages.
    """
    version = schema_version(conn)
    if version > len(migrations):
        raise ConfigError(too_new(where, version, len(migrations), "move the file away"))
    if version == 0:
        tables = conn.execute("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall()
        if tables:
            raise ConfigError(
                f"{where} is an SQLite database but not a citecheck store "
                f"(it holds {', '.join(sorted(name for (name,) in tables))}); choose another path"
            )
    for number, migration in enumerate(migrations[version:], start=version + 1):
        if isinstance(migration, str):
            for statement in statements(migration):
                conn.execute(statement)
        else:
            migration(conn)
        conn.execute(f"PRAGMA user_version = {number:d}")
