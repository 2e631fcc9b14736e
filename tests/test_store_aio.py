"""The store for async callers: same answers as the Store, computed off the event loop, in order."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from citecheck.core.errors import ConfigError
from citecheck.store import MIGRATIONS, AsyncStore, DeadJudgement, Store, StoreBusyError, StoredCheck, open_store
from citecheck.store.aio import THREAD_NAME

URL = "https://example.org/article"
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def check(at: datetime, verdict: str = "ok", url: str = URL, **data: object) -> StoredCheck:
    return StoredCheck(
        url=url, checked_at=at, verdict=verdict, http_status=404 if verdict == "broken" else 200, data=data
    )


def test_every_method_answers_as_the_store_does(store_backend: str, store_location: str) -> None:
    async def go() -> None:
        async with await AsyncStore.open(store_location, clock=lambda: T0 + timedelta(days=5)) as store:
            assert store.path == (Path(store_location) if store_backend == "sqlite" else None)
            assert await store.schema_version() == len(MIGRATIONS)
            await store.record(check(T0, "broken"))
            await store.record_many(check(T0 + timedelta(days=d), "broken") for d in (2, 4))  # a generator
            assert await store.latest(URL, max_age=timedelta(days=2)) == check(T0 + timedelta(days=4), "broken")
            assert [c.checked_at for c in await store.history(URL, limit=2)] == [
                T0 + timedelta(days=4),
                T0 + timedelta(days=2),
            ]
            assert await store.judgement(URL) == DeadJudgement(
                state="dead", first_failure=T0, failures=3, span=timedelta(days=4)
            )
            assert (await store.judgement(URL, min_checks=4)).state == "failing"
            assert await store.prune(timedelta(days=2)) == 2
            pending = {"archive": "ia", "job_id": "spn2-1", "job_status": "pending"}
            await store.record_snapshot(lookup_url=URL, original_url=URL, snapshot=pending)
            assert await store.latest_snapshot(URL, max_age=timedelta(1), negative_max_age=timedelta(1)) == (
                True,
                pending,
            )
            assert await store.pending_snapshots(limit=5) == [pending]
            with pytest.raises(ValueError, match="at least 1"):  # errors come back to the caller
                await store.history(URL, limit=0)

    asyncio.run(go())
    with open_store(store_location) as plain:  # the same database, through the Store
        assert len(plain.history(URL)) == 1


def test_calls_run_in_one_worker_thread_not_on_the_loop() -> None:
    seen: list[threading.Thread] = []

    def clock() -> datetime:  # the store asks its clock from inside latest()
        seen.append(threading.current_thread())
        return T0

    async def go() -> threading.Thread:
        async with await AsyncStore.open(":memory:", clock=clock) as store:
            await asyncio.gather(*(store.latest(URL, max_age=timedelta(1)) for _ in range(20)))
            seen.append(await store.call(lambda _: threading.current_thread()))
        return threading.current_thread()

    loop_thread = asyncio.run(go())
    assert len(seen) == 21
    assert len(set(seen)) == 1
    assert seen[0] is not loop_thread
    assert seen[0].name.startswith(THREAD_NAME)


def test_the_loop_keeps_running_while_the_store_waits_for_a_lock(tmp_path: Path) -> None:
    """A write waiting on another process's lock (busy timeout, retries) must not stall other tasks."""
    path = tmp_path / "store.sqlite3"
    Store.open(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")

    async def go() -> tuple[int, float]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        async with await AsyncStore.open(path, timeout=0.3, attempts=2) as store:
            started = time.monotonic()
            with pytest.raises(StoreBusyError, match="locked"):
                await store.record(check(T0))
            waited = time.monotonic() - started
        ticker.cancel()
        return ticks, waited

    try:
        ticks, waited = asyncio.run(go())
    finally:
        holder.close()
    assert waited >= 0.5  # two attempts of 0.3 s each
    assert ticks >= 10  # a blocked loop would have ticked at most once


def test_many_tasks_at_once_lose_nothing_and_keep_their_order(store_location: str) -> None:
    tasks, writes = 50, 20

    async def writer(store: AsyncStore, n: int) -> None:
        for i in range(writes):
            await store.record(check(T0 + timedelta(seconds=i), url=f"{URL}/{n}", i=i))
            if i % 5 == 0:
                assert len(await store.history(f"{URL}/{n}", limit=1000)) == i + 1  # own writes are seen

    async def go() -> tuple[list[int], list[int]]:
        async with await AsyncStore.open(store_location) as store:
            await asyncio.gather(*(writer(store, n) for n in range(tasks)))
            counts = [len(await store.history(f"{URL}/{n}", limit=1000)) for n in range(tasks)]
            # Calls run in the order they were made: the same instant, so the later insert is first.
            await asyncio.gather(*(store.record(check(T0, url=URL, i=i)) for i in range(100)))
            order = [c.data["i"] for c in await store.history(URL, limit=1000)]
        return counts, order

    counts, order = asyncio.run(go())
    assert counts == [writes] * tasks
    assert order == list(range(99, -1, -1))


def test_aclose_waits_for_the_calls_made_then_refuses_more(store_location: str) -> None:
    async def go() -> AsyncStore:
        store = AsyncStore(open_store(store_location))
        writes = [asyncio.ensure_future(store.record(check(T0, i=i))) for i in range(10)]
        await asyncio.sleep(0)  # the writes are queued in the worker
        await store.aclose()
        await asyncio.gather(*writes)
        assert store.closed
        await store.aclose()  # harmless
        with pytest.raises(RuntimeError, match="closed"):
            await store.history(URL)
        return store

    store = asyncio.run(go())
    with pytest.raises((sqlite3.ProgrammingError, RuntimeError)):  # the wrapped store is closed too
        store.store.history(URL)
    with open_store(store_location) as plain:
        assert len(plain.history(URL)) == 10
    deadline = time.monotonic() + 5
    while any(t.name.startswith(THREAD_NAME) for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not any(t.name.startswith(THREAD_NAME) for t in threading.enumerate())


def test_open_reports_an_unusable_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot open the citecheck store"):
        asyncio.run(AsyncStore.open(tmp_path))  # a directory
