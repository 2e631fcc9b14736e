"""A separate process for the store's concurrency tests (run as a script by ``test_store.py``).

Real processes, not threads, because what must hold is the database's locking between
processes, each with its own connection (an SQLite file's, or a PostgreSQL server's: DB is
a path or a ``postgresql://`` URL). Every worker opens its store, prints ``ready``, then
waits for a "go" file so that all of them start writing at the same moment.

    python store_worker.py write DB GO WORKER COUNT   # COUNT records, some in batches
    python store_worker.py read DB GO TARGET          # read until TARGET rows exist

Each prints one JSON line with what it saw when done.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from citecheck.store import BaseStore, StoredCheck, open_store


def make_check(worker: int, index: int) -> StoredCheck:
    """The record a writer writes: its content says who wrote it, so the test can verify it."""
    return StoredCheck(
        url=f"https://example.org/w{worker}/{index % 10}",
        checked_at=datetime.now(UTC),
        verdict="broken" if index % 3 == 0 else "ok",
        reason="http_404" if index % 3 == 0 else None,
        http_status=404 if index % 3 == 0 else 200,
        final_url=None,
        data={"worker": worker, "index": index, "hops": [f"https://example.org/hop/{index}"], "note": "é" * index},
    )


def _wait_for(go: Path) -> None:
    deadline = time.monotonic() + 30
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go file after 30 s")
        time.sleep(0.001)


def write(store: BaseStore, worker: int, count: int) -> dict[str, int]:
    """Mostly single records (one transaction each: the most contention), some batches."""
    index = 0
    while index < count:
        if index % 50 == 0 and index + 5 <= count:
            store.record_many(make_check(worker, index + k) for k in range(5))
            index += 5
        else:
            store.record(make_check(worker, index))
            index += 1
    return {"worker": worker, "written": index}


def read(store: BaseStore, target: int) -> dict[str, int]:
    """Read while the writers write: counts never go down and every row read is whole."""
    reads, last, deadline = 0, 0, time.monotonic() + 60
    while last < target and time.monotonic() < deadline:
        ((count,),) = store._read("SELECT COUNT(*) FROM checks", ())
        if count < last:
            raise SystemExit(f"row count went down: {last} -> {count}")
        last = count
        for worker in range(4):
            for check in store.history(f"https://example.org/w{worker}/0", limit=20):
                expected = make_check(check.data["worker"], check.data["index"])
                if (check.url, check.verdict, check.http_status) != (
                    expected.url,
                    expected.verdict,
                    expected.http_status,
                ):
                    raise SystemExit(f"torn row: {check}")
                if check.data["hops"] != expected.data["hops"] or check.data["note"] != expected.data["note"]:
                    raise SystemExit(f"torn data: {check}")
            store.judgement(f"https://example.org/w{worker}/0")
            reads += 1
    return {"reads": reads, "last_count": last}


def main(argv: list[str]) -> int:
    mode, database, go = argv[0], argv[1], Path(argv[2])
    with open_store(database) as store:
        print("ready", flush=True)
        _wait_for(go)
        if mode == "write":
            print(json.dumps(write(store, int(argv[3]), int(argv[4]))), flush=True)
        else:
            print(json.dumps(read(store, int(argv[3]))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
