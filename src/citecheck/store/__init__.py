"""The store: facts the network stages learned (checks, snapshots), remembered with their age.

:func:`open_store` opens one: :class:`Store`, the SQLite database (:mod:`.sqlite`, the
embedded default), or a PostgreSQL database for a ``postgresql://`` URL (:mod:`.postgres`,
imported only then: psycopg is an optional extra). Both are a :class:`BaseStore`
(:mod:`.base`, the shared queries). :class:`AsyncStore` is either for async callers, run in a
worker thread (:mod:`.aio`); :mod:`.records` holds the plain records it answers with,
:mod:`.schema` and :mod:`.pgschema` the migrations, and :mod:`.checks` converts the check
stage's results to and from stored rows.
"""

from ..core.errors import StoreBusyError
from .aio import AsyncStore
from .base import BaseStore
from .checks import remember_results, reusable_results
from .opening import is_postgres_url, open_store
from .pgschema import PG_MIGRATIONS
from .records import FAILURE_VERDICTS, INCONCLUSIVE_VERDICTS, CaptureList, DeadJudgement, StoredCheck
from .schema import MIGRATIONS, Migration
from .sqlite import Store, default_store_path

__all__ = [
    "FAILURE_VERDICTS",
    "INCONCLUSIVE_VERDICTS",
    "MIGRATIONS",
    "PG_MIGRATIONS",
    "AsyncStore",
    "BaseStore",
    "CaptureList",
    "DeadJudgement",
    "Migration",
    "Store",
    "StoreBusyError",
    "StoredCheck",
    "default_store_path",
    "is_postgres_url",
    "open_store",
    "remember_results",
    "reusable_results",
]
