"""One way in to the store, whichever database keeps it: :func:`open_store`.

A ``postgresql://`` or ``postgres://`` URL selects PostgreSQL (psycopg 3, the optional
``citecheck[postgres]`` extra, imported only then); anything else is an SQLite file, as
always. Every caller (the pipeline, the audit, the HTTP service) opens the store here, so a
location given anywhere (``--store``, the ``store`` setting) means the same everywhere.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from ..core.errors import ConfigError
from ..core.setting import DATABASE_URL_SCHEMES
from .base import BaseStore
from .records import utc_now
from .sqlite import ATTEMPTS, Store

__all__ = ["POSTGRES_SCHEMES", "is_postgres_url", "open_store"]

#: URL schemes that select the PostgreSQL backend (libpq's two spellings).
POSTGRES_SCHEMES = DATABASE_URL_SCHEMES


def is_postgres_url(location: object) -> bool:
    """Whether ``location`` names a PostgreSQL database rather than an SQLite file.

    >>> is_postgres_url("postgresql://cite@db.example/cites"), is_postgres_url("cache/store.sqlite3")
    (True, False)
    """
    return isinstance(location, str) and location.lower().startswith(POSTGRES_SCHEMES)


def open_store(
    location: str | os.PathLike[str] | None = None,
    *,
    clock: Callable[[], datetime] = utc_now,
    timeout: float = 10.0,
    attempts: int = ATTEMPTS,
    migrations: Sequence[Any] | None = None,
) -> BaseStore:
    """Open the store at ``location``: a PostgreSQL URL, an SQLite path, ``":memory:"``, or
    None for the default SQLite file in the user's cache directory.

    The arguments mean what they mean to :meth:`Store.open <citecheck.store.sqlite.Store.open>`
    (``migrations`` in the backend's own dialect). Raises
    :class:`~citecheck.core.errors.ConfigError` when the store cannot be opened, and when a
    PostgreSQL URL is given but psycopg is not installed.
    """
    if is_postgres_url(location):
        assert isinstance(location, str)
        try:
            from .postgres import PostgresStore
        except ImportError as error:
            raise ConfigError(
                "a postgresql:// store needs psycopg 3, which is not installed: "
                f"pip install 'citecheck[postgres]' ({error})"
            ) from error
        return PostgresStore.open(location, clock=clock, timeout=timeout, attempts=attempts, migrations=migrations)
    return Store.open(location, clock=clock, timeout=timeout, attempts=attempts, migrations=migrations)
