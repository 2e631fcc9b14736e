"""The store's schema in PostgreSQL: the same numbered history as :mod:`.schema`, in its dialect.

:data:`PG_MIGRATIONS` parallels :data:`~citecheck.store.schema.MIGRATIONS` step for step (the
same tables, columns and indexes; a test keeps the two the same length), so a version number
means the same schema in both. The version is the one row of ``citecheck_schema``. Migrations
run in one transaction holding a transaction-level advisory lock, so processes opening a new
database at once migrate it once; a database newer than this code is refused, as in SQLite.

Dialect: identity columns for SQLite's ``INTEGER PRIMARY KEY``, ``DOUBLE PRECISION`` for
``REAL``, and ``COLLATE "C"`` on text, so text compares and sorts bytewise as in SQLite
(fixed-width ISO times compare as times whatever the database's locale).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..core.errors import ConfigError
from .dbapi import Connection
from .schema import too_new

__all__ = ["PG_MIGRATIONS", "PgMigration", "apply_pg_migrations", "pg_schema_version"]

#: A migration: one SQL script (PostgreSQL runs it whole), or a function given the connection.
#: It runs inside the migrating transaction and must not commit.
PgMigration = str | Callable[[Connection], None]

#: The advisory lock that serialises migrations (two int4 keys: "citecheck", "schema").
MIGRATION_LOCK = (0x63697465, 0x736368)

#: The tables a citecheck store holds: finding one without our version row means a foreign database.
TABLES = ("checks", "snapshots", "captures", "drift")

_V1_CHECKS = """
CREATE TABLE checks (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url         TEXT COLLATE "C" NOT NULL,
    checked_at  TEXT COLLATE "C" NOT NULL,
    verdict     TEXT COLLATE "C" NOT NULL,
    reason      TEXT COLLATE "C",
    http_status INTEGER,
    final_url   TEXT COLLATE "C",
    data        TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX checks_url_checked_at ON checks (url, checked_at);
"""

_V2_SNAPSHOTS = """
CREATE TABLE snapshots (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lookup_url TEXT COLLATE "C" NOT NULL,
    original_url TEXT COLLATE "C" NOT NULL,
    archive TEXT COLLATE "C",
    memento_url TEXT COLLATE "C",
    captured_at TEXT COLLATE "C",
    status INTEGER,
    job_id TEXT COLLATE "C",
    job_status TEXT COLLATE "C",
    learned_at TEXT COLLATE "C" NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX snapshots_by_url ON snapshots (lookup_url, learned_at);
CREATE INDEX snapshots_pending ON snapshots (job_status) WHERE job_status = 'pending';
"""

_V3_CAPTURES = """
CREATE TABLE captures (
    lookup_url TEXT COLLATE "C" NOT NULL,
    source TEXT COLLATE "C" NOT NULL,
    learned_at TEXT COLLATE "C" NOT NULL,
    fresh_until TEXT COLLATE "C" NOT NULL,
    reported INTEGER NOT NULL,
    captures TEXT NOT NULL,
    PRIMARY KEY (lookup_url, source)
);
"""

_V4_DRIFT = """
CREATE TABLE drift (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url TEXT COLLATE "C" NOT NULL,
    memento_url TEXT COLLATE "C",
    verdict TEXT COLLATE "C" NOT NULL,
    similarity DOUBLE PRECISION,
    compared_at TEXT COLLATE "C" NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX drift_by_url ON drift (url, compared_at);
"""

#: ``PG_MIGRATIONS[n - 1]`` takes version ``n - 1`` to ``n``, as ``MIGRATIONS[n - 1]`` does in
#: SQLite. Append only, and always together with :data:`~citecheck.store.schema.MIGRATIONS`.
PG_MIGRATIONS: tuple[PgMigration, ...] = (_V1_CHECKS, _V2_SNAPSHOTS, _V3_CAPTURES, _V4_DRIFT)

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS citecheck_schema (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    version INTEGER NOT NULL
)
"""


def pg_schema_version(conn: Connection) -> int:
    """The schema version of the database's current schema (0 when it holds no store yet)."""
    # The catalog by a query, not to_regclass(): that may answer from a cache still saying "no
    # such table" after another process, which we waited for, created it.
    (exists,) = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables"
        " WHERE schemaname = current_schema() AND tablename = 'citecheck_schema')"
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT version FROM citecheck_schema").fetchone()
    return 0 if row is None else int(row[0])


def apply_pg_migrations(conn: Connection, migrations: Sequence[PgMigration], *, where: str) -> None:
    """Apply the missing ``migrations`` inside the caller's transaction, under the migration lock.

    The version is read again once the lock is held: another process may have migrated while
    we waited for it. ``where`` names the database (password hidden) in error messages.
    """
    conn.execute("SELECT pg_advisory_xact_lock(?, ?)", MIGRATION_LOCK)
    version = pg_schema_version(conn)
    if version > len(migrations):
        raise ConfigError(too_new(where, version, len(migrations), "use another database"))
    if version == 0:
        found = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            f" AND table_name IN ({', '.join('?' * len(TABLES))}) ORDER BY table_name",
            TABLES,
        ).fetchall()
        if found:
            raise ConfigError(
                f"{where} holds tables named {', '.join(name for (name,) in found)} but is not a citecheck "
                "store (no citecheck_schema table); choose another database or schema"
            )
        conn.execute(_VERSION_TABLE)
    for number, migration in enumerate(migrations[version:], start=version + 1):
        if isinstance(migration, str):
            conn.execute(migration)
        else:
            migration(conn)
        conn.execute(
            "INSERT INTO citecheck_schema (version) VALUES (?)"
            " ON CONFLICT (singleton) DO UPDATE SET version = excluded.version",
            (number,),
        )
