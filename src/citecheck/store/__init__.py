"""The store: facts the network stages learned (checks, snapshots), remembered with their age.

:class:`Store` is the SQLite database (:mod:`.sqlite`), :class:`AsyncStore` the same for
async callers, run in a worker thread (:mod:`.aio`); :mod:`.records` holds the plain records
it answers with, :mod:`.schema` the migrations, and :mod:`.checks` converts the check stage's
results to and from stored rows.
"""

from ..core.errors import StoreBusyError
from .aio import AsyncStore
from .checks import remember_results, reusable_results
from .records import FAILURE_VERDICTS, INCONCLUSIVE_VERDICTS, CaptureList, DeadJudgement, StoredCheck
from .schema import MIGRATIONS, Migration
from .sqlite import Store, default_store_path

__all__ = [
    "FAILURE_VERDICTS",
    "INCONCLUSIVE_VERDICTS",
    "MIGRATIONS",
    "AsyncStore",
    "CaptureList",
    "DeadJudgement",
    "Migration",
    "Store",
    "StoreBusyError",
    "StoredCheck",
    "default_store_path",
    "remember_results",
    "reusable_results",
]
