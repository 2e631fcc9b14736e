"""The store's capture lists: what each archive said it holds of a URL (schema migration 3).

A mixin of :class:`~citecheck.store.sqlite.Store`, kept apart so each module stays readable; it
reaches the connection only through the store's ``_transact`` and ``_read``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from .dbapi import Connection
from .records import CaptureList, decode_time, encode_time

__all__ = ["CaptureLists"]

_T = TypeVar("_T")

#: One (URL, source) list written whole, replacing any before it (SQLite and PostgreSQL alike).
_UPSERT = (
    "INSERT INTO captures (lookup_url, source, learned_at, fresh_until, reported, captures)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (lookup_url, source) DO UPDATE SET"
    " learned_at = excluded.learned_at, fresh_until = excluded.fresh_until,"
    " reported = excluded.reported, captures = excluded.captures"
)


class CaptureLists:
    """:class:`~citecheck.store.sqlite.Store`'s calls on the ``captures`` table."""

    def _transact(
        self, work: Callable[[Connection], _T], *, write: bool = True, consistent: bool = False, key: str | None = None
    ) -> _T:
        raise NotImplementedError  # pragma: no cover (the store's)

    def _read(self, sql: str, parameters: Sequence[Any]) -> list[Any]:
        raise NotImplementedError  # pragma: no cover (the store's)

    def record_captures(self, lists: Iterable[CaptureList]) -> None:
        """Keep what each source said, replacing what it said before (one transaction for all).

        Several processes may record the same URL at once: the last write of a (URL, source)
        wins, and each write is a whole answer, so a reader never sees half of one.
        """
        rows = [_capture_row(entry) for entry in lists]
        if rows:
            self._transact(lambda conn: conn.executemany(_UPSERT, rows))

    def add_capture(
        self,
        lookup_url: str,
        source: str,
        capture: Mapping[str, Any],
        *,
        learned_at: datetime,
        fresh_until: datetime,
        keep: int,
    ) -> None:
        """Add one capture to a source's list (a save that succeeded), keeping the newest ``keep``.

        Read and written in one transaction that no other addition to the same list overlaps,
        so concurrent additions are all kept. The list stays sorted by ``captured_at`` and
        without duplicate memento URLs.
        """
        if keep < 1:
            raise ValueError(f"keep must be at least 1, got {keep}")

        def add(conn: Connection) -> None:
            row = conn.execute(
                "SELECT captures, reported FROM captures WHERE lookup_url = ? AND source = ?", (lookup_url, source)
            ).fetchone()
            known: list[dict[str, Any]] = [] if row is None else json.loads(row[0])
            merged = {item.get("memento_url"): item for item in [*known, dict(capture)]}
            kept = sorted(merged.values(), key=lambda item: str(item.get("captured_at")))[-keep:]
            entry = CaptureList(
                lookup_url=lookup_url,
                source=source,
                learned_at=learned_at,
                fresh_until=fresh_until,
                captures=tuple(kept),
                reported=len(merged),
            )
            conn.execute(
                _UPSERT,
                _capture_row(entry),
            )

        self._transact(add, key=f"captures {lookup_url} {source}")

    def capture_lists(self, lookup_url: str) -> list[CaptureList]:
        """Every source's list of captures of ``lookup_url``, fresh or not (the caller decides)."""
        rows = self._read(
            "SELECT lookup_url, source, learned_at, fresh_until, reported, captures FROM captures"
            " WHERE lookup_url = ? ORDER BY source",
            (lookup_url,),
        )
        return [
            CaptureList(
                lookup_url=url,
                source=source,
                learned_at=decode_time(learned),
                fresh_until=decode_time(fresh),
                reported=reported,
                captures=tuple(json.loads(captures)),
            )
            for url, source, learned, fresh, reported, captures in rows
        ]


def _capture_row(entry: CaptureList) -> tuple[str, str, str, str, int, str]:
    try:
        captures = json.dumps(list(entry.captures), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TypeError(f"the captures of {entry.lookup_url} are not JSON-able: {error}") from error
    return (
        entry.lookup_url,
        entry.source,
        encode_time(entry.learned_at),
        encode_time(entry.fresh_until),
        entry.reported,
        captures,
    )
