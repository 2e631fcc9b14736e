"""The store: facts the network stages learned (checks, snapshots), remembered with their age."""

from .sqlite import (
    FAILURE_VERDICTS,
    INCONCLUSIVE_VERDICTS,
    MIGRATIONS,
    DeadJudgement,
    Migration,
    Store,
    StoreBusyError,
    StoredCheck,
    default_store_path,
)

__all__ = [
    "FAILURE_VERDICTS",
    "INCONCLUSIVE_VERDICTS",
    "MIGRATIONS",
    "DeadJudgement",
    "Migration",
    "Store",
    "StoreBusyError",
    "StoredCheck",
    "default_store_path",
]
