"""What every store backend shares: the SQL of checks and snapshots, and the interface.

:class:`BaseStore` holds the queries, written once in the SQL that SQLite and PostgreSQL both
speak (``?`` placeholders, which the PostgreSQL backend translates); a backend supplies the
connection: :meth:`BaseStore._transact` and :meth:`BaseStore._read` are the only ways to it, so
locking, retries and error messages live in one place per backend. The backends are
:class:`citecheck.store.sqlite.Store` (the embedded default) and
:class:`citecheck.store.postgres.PostgresStore`; :func:`citecheck.store.opening.open_store`
picks one from the location.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from .captures import CaptureLists
from .dbapi import Connection
from .records import (
    FAILURE_VERDICTS,
    INCONCLUSIVE_VERDICTS,
    DeadJudgement,
    StoredCheck,
    decode_time,
    encode_time,
    to_utc,
)

__all__ = ["BaseStore"]

_T = TypeVar("_T")


#: The ``checks`` table's columns are named and ordered as :class:`StoredCheck`'s fields.
_FIELDS = tuple(field.name for field in dataclasses.fields(StoredCheck))
_COLUMNS = ", ".join(_FIELDS)
_Row = tuple[str, str, str, str | None, int | None, str | None, str]


def _to_row(check: StoredCheck) -> _Row:
    if not isinstance(check.data, dict):
        raise TypeError(f"StoredCheck.data must be a dict, got {type(check.data).__name__}")
    try:
        data = json.dumps(check.data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TypeError(f"StoredCheck.data for {check.url} is not JSON-able: {error}") from error
    return (
        check.url,
        encode_time(check.checked_at),
        check.verdict,
        check.reason,
        check.http_status,
        check.final_url,
        data,
    )


def _from_row(row: Sequence[Any]) -> StoredCheck:
    record = dict(zip(_FIELDS, row, strict=True))
    record["checked_at"], record["data"] = decode_time(record["checked_at"]), json.loads(record["data"])
    return StoredCheck(**record)


_INSERT = f"INSERT INTO checks ({_COLUMNS}) VALUES ({', '.join('?' * len(_FIELDS))})"


def _judging(
    min_checks: int, min_span: timedelta, failures: Collection[str], inconclusive: Collection[str]
) -> tuple[list[str], list[str]]:
    """The verdict lists of a judgement, sorted (one SQL text each), after checking its limits."""
    if min_checks < 1:
        raise ValueError(f"min_checks must be at least 1, got {min_checks}")
    if min_span < timedelta(0):
        raise ValueError(f"min_span must not be negative, got {min_span}")
    return sorted(failures), sorted(inconclusive)


def _judge(
    conn: Connection,
    url: str,
    min_checks: int,
    min_span: timedelta,
    failing: Sequence[str],
    neutral: Sequence[str],
) -> DeadJudgement:
    """:meth:`Store.judgement` inside the caller's transaction."""
    success = conn.execute(
        "SELECT checked_at, id FROM checks WHERE url = ? "
        f"AND verdict NOT IN ({_placeholders(failing)}) AND verdict NOT IN ({_placeholders(neutral)}) "
        "ORDER BY checked_at DESC, id DESC LIMIT 1",
        (url, *failing, *neutral),
    ).fetchone()
    after, parameters = "", [url, *failing]
    if success is not None:
        after = "AND (checked_at, id) > (?, ?)"
        parameters += success
    count, first, last = conn.execute(
        "SELECT COUNT(*), MIN(checked_at), MAX(checked_at) FROM checks "
        f"WHERE url = ? AND verdict IN ({_placeholders(failing)}) {after}",
        parameters,
    ).fetchone()
    if count == 0 or first is None or last is None:
        return DeadJudgement(state="unknown" if success is None else "alive")
    first_failure = decode_time(first)
    span = decode_time(last) - first_failure
    dead = count >= min_checks and span >= min_span
    return DeadJudgement(state="dead" if dead else "failing", first_failure=first_failure, failures=count, span=span)


#: URLs asked for in one query (SQLite allows 32,766 parameters; small chunks keep each read short).
_URLS_PER_QUERY = 500


def _placeholders(values: Collection[str]) -> str:
    return ", ".join("?" * len(values))


class BaseStore(CaptureLists):
    """The check history, whichever database keeps it. Open one with :func:`~citecheck.store.open_store`.

    A store owns one connection and a lock around it, so threads may share it; every process
    opens its own. Writes are atomic and safe against other processes writing the same store.
    """

    #: Rows skipped because this version cannot read them (see ``_decoded``).
    unreadable_rows: int
    _clock: Callable[[], datetime]

    # -- what a backend supplies -----------------------------------------------------------------

    def _transact(
        self, work: Callable[[Connection], _T], *, write: bool = True, consistent: bool = False, key: str | None = None
    ) -> _T:
        """Run ``work`` in one transaction, retried while the database is busy.

        ``write=False``: a read-only transaction whose queries all see one snapshot.
        ``consistent``: a write whose queries see one snapshot too (and its own writes).
        ``key``: writes with the same key run one after another (a read-modify-write).
        """
        raise NotImplementedError

    def _read(self, sql: str, parameters: Sequence[Any]) -> list[Any]:
        """One query outside any explicit transaction, retried while the database is busy."""
        raise NotImplementedError

    @property
    def where(self) -> str:
        """The store's location as messages show it (a file, ``:memory:``, a URL without password)."""
        raise NotImplementedError

    @property
    def path(self) -> Path | None:
        """The database file, or None for a store that is not a file (in memory, a server)."""
        return None

    @property
    def schema_version(self) -> int:
        """The schema version of the open database."""
        raise NotImplementedError

    def close(self) -> None:
        """Close the connection; closing twice is harmless."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def _now(self) -> datetime:
        return to_utc(self._clock(), "the store's clock")

    def _decoded(self, rows: Iterable[Sequence[Any]]) -> Iterator[StoredCheck]:
        """The rows that can be read; one this version cannot (bad JSON, a damaged field) is
        skipped and counted in :attr:`unreadable_rows`, so one bad row never costs a run."""
        for row in rows:
            try:
                yield _from_row(row)
            except (ValueError, TypeError, KeyError):
                self.unreadable_rows += 1

    # -- checks ----------------------------------------------------------------------------------

    def _write(self, rows: Sequence[_Row]) -> None:
        self._transact(lambda conn: conn.executemany(_INSERT, rows))

    def record(self, check: StoredCheck) -> None:
        """Append one check to the history of its URL."""
        self._write([_to_row(check)])

    def record_many(self, checks: Iterable[StoredCheck]) -> None:
        """Append several checks in one transaction: all are kept, or (on error) none."""
        rows = [_to_row(check) for check in checks]  # validated before the write lock is taken
        if rows:
            self._write(rows)

    def latest(self, url: str, *, max_age: timedelta) -> StoredCheck | None:
        """The newest check of ``url`` younger than ``max_age``, if any: reuse it instead of fetching."""
        if max_age < timedelta(0):
            raise ValueError(f"max_age must not be negative, got {max_age}")
        cutoff = encode_time(self._now() - max_age)
        rows = self._read(
            f"SELECT {_COLUMNS} FROM checks WHERE url = ? AND checked_at > ? ORDER BY checked_at DESC, id DESC LIMIT 1",
            (url, cutoff),
        )
        return next(self._decoded(rows), None)

    def latest_many(self, urls: Sequence[str], *, max_age: timedelta) -> dict[str, StoredCheck]:
        """:meth:`latest` of many URLs at once, by URL (absent: none young enough).

        One query per few hundred URLs instead of one each: an article's links cost the store
        (and the thread that runs it) one round trip.
        """
        if max_age < timedelta(0):
            raise ValueError(f"max_age must not be negative, got {max_age}")
        cutoff = encode_time(self._now() - max_age)
        found: dict[str, StoredCheck] = {}
        distinct = list(dict.fromkeys(urls))
        for start in range(0, len(distinct), _URLS_PER_QUERY):
            chunk = distinct[start : start + _URLS_PER_QUERY]
            rows = self._read(
                f"SELECT {_COLUMNS} FROM checks WHERE url IN ({_placeholders(chunk)}) AND checked_at > ? "
                "ORDER BY checked_at DESC, id DESC",
                (*chunk, cutoff),
            )
            for row in rows:
                if row[0] not in found:  # newest first: the first readable row of a URL wins
                    decoded = next(self._decoded([row]), None)
                    if decoded is not None:
                        found[row[0]] = decoded
        return found

    def history(self, url: str, *, limit: int = 100) -> list[StoredCheck]:
        """The last ``limit`` checks of ``url``, newest first."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        rows = self._read(
            f"SELECT {_COLUMNS} FROM checks WHERE url = ? ORDER BY checked_at DESC, id DESC LIMIT ?",
            (url, limit),
        )
        return list(self._decoded(rows))

    def judgement(
        self,
        url: str,
        *,
        min_checks: int = 3,
        min_span: timedelta = timedelta(days=3),
        failures: Collection[str] = FAILURE_VERDICTS,
        inconclusive: Collection[str] = INCONCLUSIVE_VERDICTS,
    ) -> DeadJudgement:
        """Whether ``url`` is dead: confirmed, failing since a date, alive or unknown.

        The current failure streak is the run of ``failures`` verdicts since the last check that
        succeeded (any verdict neither a failure nor ``inconclusive``); inconclusive checks
        (a bot wall, our network down) neither extend nor end it. The URL is ``dead`` once the
        streak holds at least ``min_checks`` failures spanning at least ``min_span`` from the
        first to the last: one bad day is not death. Judging the whole streak (not only its last
        ``min_checks``) means more failures never un-confirm a death.
        """
        failing, neutral = _judging(min_checks, min_span, failures, inconclusive)
        # One read transaction: both queries see the same snapshot.
        return self._transact(lambda conn: _judge(conn, url, min_checks, min_span, failing, neutral), write=False)

    def record_judged(
        self,
        checks: Iterable[StoredCheck],
        urls: Iterable[str],
        *,
        min_checks: int = 3,
        min_span: timedelta = timedelta(days=3),
    ) -> dict[str, DeadJudgement]:
        """Append ``checks`` and judge ``urls`` (as :meth:`judgement` does) in one write transaction.

        What a batch of fresh results needs, for the price of one commit instead of one per
        check and one per judgement; the judgements see the checks just written.
        """
        failing, neutral = _judging(min_checks, min_span, FAILURE_VERDICTS, INCONCLUSIVE_VERDICTS)
        rows = [_to_row(check) for check in checks]  # validated before the write lock is taken
        wanted = list(dict.fromkeys(urls))
        if not rows and not wanted:
            return {}

        def write(conn: Connection) -> dict[str, DeadJudgement]:
            if rows:
                conn.executemany(_INSERT, rows)
            return {url: _judge(conn, url, min_checks, min_span, failing, neutral) for url in wanted}

        return self._transact(write)

    def prune(self, older_than: timedelta) -> int:
        """Delete checks older than ``older_than``, but keep the newest check of every URL.

        Keeps the store bounded while :meth:`judgement` keeps some memory of every URL (a streak
        that began before the cutoff is then judged from its recent part). Returns the number of
        checks deleted.
        """
        if older_than < timedelta(0):
            raise ValueError(f"older_than must not be negative, got {older_than}")
        cutoff = encode_time(self._now() - older_than)

        def delete(conn: Connection) -> int:
            cursor = conn.execute(
                "DELETE FROM checks WHERE checked_at < ? AND EXISTS (SELECT 1 FROM checks AS newer "
                "WHERE newer.url = checks.url AND (newer.checked_at, newer.id) > (checks.checked_at, checks.id))",
                (cutoff,),
            )
            return cursor.rowcount

        return self._transact(delete)

    # -- snapshots -------------------------------------------------------------------------------

    def record_snapshot(
        self, *, lookup_url: str, original_url: str, snapshot: dict[str, Any] | None, learned_at: datetime | None = None
    ) -> None:
        """Append a snapshot record (``Snapshot.to_dict()``), or a negative answer when None."""
        when = encode_time(to_utc(learned_at or self._now(), "learned_at"))
        data = snapshot or {"lookup_url": lookup_url, "original_url": original_url, "negative": True}
        row = (
            lookup_url,
            original_url,
            None if snapshot is None else snapshot.get("archive"),
            None if snapshot is None else snapshot.get("memento_url"),
            None if snapshot is None else snapshot.get("captured_at"),
            None if snapshot is None else snapshot.get("status"),
            None if snapshot is None else snapshot.get("job_id"),
            None if snapshot is None else snapshot.get("job_status"),
            when,
            json.dumps(data, ensure_ascii=False, sort_keys=True),
        )
        self._transact(
            lambda conn: conn.execute(
                "INSERT INTO snapshots (lookup_url, original_url, archive, memento_url, captured_at, status,"
                " job_id, job_status, learned_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
        )

    def latest_snapshot(
        self, lookup_url: str, *, max_age: timedelta, negative_max_age: timedelta
    ) -> tuple[bool, dict[str, Any] | None]:
        """``(known, record)``: the newest answer young enough to reuse.

        ``(True, None)`` is a negative answer still fresh (``negative_max_age``); ``(False,
        None)`` means ask the archives again.
        """
        oldest = encode_time(self._now() - max(max_age, negative_max_age))
        rows = self._read(
            "SELECT archive, learned_at, data FROM snapshots WHERE lookup_url = ? AND learned_at > ?"
            " ORDER BY learned_at DESC, id DESC LIMIT 1",
            (lookup_url, oldest),
        )
        if not rows:
            return False, None
        archive, learned, data = rows[0]
        age = self._now() - decode_time(learned)
        if archive is None:
            return (age <= negative_max_age), None
        return (age <= max_age), json.loads(data) if age <= max_age else None

    def pending_snapshots(self, limit: int = 100) -> list[dict[str, Any]]:
        """Requested captures whose job was still pending when last polled (re-poll them)."""
        rows = self._read(
            "SELECT data FROM snapshots s WHERE job_status = 'pending' AND NOT EXISTS ("
            " SELECT 1 FROM snapshots t WHERE t.job_id = s.job_id AND t.id > s.id) ORDER BY id LIMIT ?",
            (limit,),
        )
        return [json.loads(row[0]) for row in rows]
