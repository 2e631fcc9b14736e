"""Content drift comparisons in the store: what a run compared, and what a later run may reuse.

Every comparison is appended (unknown ones too, as a record of what was tried); only a definite
one (``same`` or ``changed``) against the same snapshot and young enough is reused, so a rerun
does not fetch the archive's capture and the live page again. An ``unknown`` is tried again.
"""

from __future__ import annotations

import json
from datetime import timedelta

from ..core.drift import Drift, DriftVerdict
from .base import BaseStore
from .records import encode_time

__all__ = ["latest_drift", "record_drift", "reusable_drift"]


def record_drift(store: BaseStore, url: str, drift: Drift) -> None:
    """Append one comparison of ``url`` (as cited)."""
    row = (
        url,
        drift.snapshot,
        drift.verdict.value,
        drift.similarity,
        encode_time(drift.compared_at),
        json.dumps(drift.to_dict(), ensure_ascii=False, sort_keys=True),
    )
    store._transact(  # the store's own write path: its lock, transaction and busy retries
        lambda conn: conn.execute(
            "INSERT INTO drift (url, memento_url, verdict, similarity, compared_at, data) VALUES (?, ?, ?, ?, ?, ?)",
            row,
        )
    )


def reusable_drift(store: BaseStore, url: str, memento_url: str, *, max_age: float) -> Drift | None:
    """The newest definite comparison of ``url`` with this snapshot, if younger than ``max_age`` seconds."""
    oldest = encode_time(store._now() - timedelta(seconds=max_age))
    return _newest(
        store, url, memento_url, "AND compared_at > ? AND verdict != ?", (oldest, DriftVerdict.UNKNOWN.value)
    )


def latest_drift(store: BaseStore, url: str, memento_url: str) -> Drift | None:
    """The newest comparison of ``url`` with this snapshot, whatever its verdict (``unknown`` too):
    what a run that compared it said, read back by a distributed audit's client."""
    return _newest(store, url, memento_url, "", ())


def _newest(store: BaseStore, url: str, memento_url: str, also: str, parameters: tuple[str, ...]) -> Drift | None:
    """The newest comparison of ``url`` with ``memento_url`` meeting the ``also`` conditions."""
    rows = store._read(
        f"SELECT data FROM drift WHERE url = ? AND memento_url = ? {also} ORDER BY compared_at DESC, id DESC LIMIT 1",
        (url, memento_url, *parameters),
    )
    return Drift.from_dict(json.loads(rows[0][0])) if rows else None
