"""Network results reach the store in batches, and none is lost on a flush, a close or a cancel."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from citecheck import AsyncSession, Config
from citecheck.core.errors import StoreBusyError
from citecheck.core.evidence import OnlineResult
from citecheck.core.verdicts import Reason, Verdict
from citecheck.fix.documents import Document
from citecheck.pipeline import Source, recorder
from citecheck.pipeline.recorder import Recorder
from citecheck.store import AsyncStore, BaseStore, Store

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def result(index: int, verdict: Verdict = Verdict.OK) -> OnlineResult:
    broken = verdict is Verdict.BROKEN
    return OnlineResult(
        url=f"https://site{index % 7}.example/doc/{index}",
        verdict=verdict,
        reason=Reason.HTTP_404 if broken else None,
        http_status=404 if broken else 200,
        checked_at=T0,
    )


def _count(store: BaseStore) -> int:
    # Every URL of these tests is distinct: one history entry per row recorded.
    return sum(len(store.history(result(index).url)) for index in range(400))


class Transactions:
    """Counts the write transactions (``BEGIN IMMEDIATE``) a store's connection runs."""

    def __init__(self, store: AsyncStore) -> None:
        self.count = 0
        assert isinstance(store.store, Store)  # SQLite's trace callback counts them
        store.store._conn.set_trace_callback(self._seen)

    def _seen(self, statement: str) -> None:
        if statement.startswith("BEGIN IMMEDIATE"):
            self.count += 1


def run(
    scenario: Callable[[AsyncStore, list[str]], Coroutine[Any, Any, None]],
) -> None:
    async def main() -> None:
        notes: list[str] = []
        async with await AsyncStore.open(":memory:") as store:
            await scenario(store, notes)

    asyncio.run(main())


def make(store: AsyncStore, notes: list[str], *, spacing: float = 0.0, max_batch: int | None = None) -> Recorder:
    return Recorder(
        store, dead_after_checks=3, dead_after_days=3.0, note=notes.append, spacing=spacing, max_batch=max_batch
    )


def test_results_added_together_are_written_in_one_transaction() -> None:
    async def scenario(store: AsyncStore, notes: list[str]) -> None:
        transactions = Transactions(store)
        recording = make(store, notes)
        mark = recording.add([result(index) for index in range(300)])
        await recording.flush(mark)
        assert (recording.writes, transactions.count) == (1, 1)
        assert await store.call(_count) == 300
        assert recording.pending == 0

    run(scenario)


def test_results_arriving_during_a_write_go_together_in_the_next_one() -> None:
    async def scenario(store: AsyncStore, notes: list[str]) -> None:
        transactions = Transactions(store)
        recording = make(store, notes)
        gate = threading.Event()
        busy = asyncio.ensure_future(store.call(lambda _: gate.wait(10)))  # the store's thread is busy
        recording.add([result(0)])
        for index in range(1, 100):
            await asyncio.sleep(0)  # each result in a tick of its own, while the first write waits
            recording.add([result(index)])
        gate.set()
        await busy
        await recording.flush()
        assert (recording.writes, transactions.count) == (2, 2)
        assert await store.call(_count) == 100

    run(scenario)


def test_a_stream_of_results_is_written_at_most_once_per_spacing() -> None:
    async def scenario(store: AsyncStore, notes: list[str]) -> None:
        recording = make(store, notes, spacing=0.2)
        for index in range(50):
            recording.add([result(index)])
            await asyncio.sleep(0.01)
        await recording.flush()
        # ~0.5 s of arrivals: the first at once, then one write per 0.2 s, then the flush.
        assert recording.writes <= 5
        assert await store.call(_count) == 50

    run(scenario)


def test_max_batch_bounds_a_transaction() -> None:
    async def scenario(store: AsyncStore, notes: list[str]) -> None:
        recording = make(store, notes, max_batch=100)
        recording.add([result(index) for index in range(250)])
        await recording.flush()
        assert recording.writes == 3
        assert await store.call(_count) == 250

    run(scenario)


def test_a_flush_writes_at_once_whatever_the_spacing() -> None:
    async def scenario(store: AsyncStore, notes: list[str]) -> None:
        recording = make(store, notes, spacing=60.0)
        recording.add([result(0)])
        await asyncio.sleep(0.05)  # the first write goes at once
        recording.add([result(1)])  # the next one would wait a minute...
        await asyncio.wait_for(recording.flush(), 5.0)  # ...but a flush does not
        assert await store.call(_count) == 2

    run(scenario)


def test_a_cancelled_flush_loses_nothing_and_closing_writes_the_rest() -> None:
    async def scenario(store: AsyncStore, notes: list[str]) -> None:
        recording = make(store, notes, spacing=60.0)
        recording.add([result(index) for index in range(10)])
        waiting = asyncio.ensure_future(recording.flush())
        await asyncio.sleep(0)
        waiting.cancel()
        recording.add([result(index) for index in range(10, 20)])  # would wait a minute for the spacing
        await asyncio.wait_for(recording.aclose(), 5.0)
        assert recording.pending == 0
        assert await store.call(_count) == 20

    run(scenario)


def test_broken_results_come_back_labelled_to_whoever_added_them() -> None:
    async def scenario(store: AsyncStore, notes: list[str]) -> None:
        recording = make(store, notes)
        first: list[OnlineResult] = []
        second: list[OnlineResult] = []
        recording.add([result(0, Verdict.BROKEN), result(1)], first.append)
        recording.add([result(2, Verdict.BROKEN)], second.append)
        await recording.flush()
        assert [(r.url, r.history) for r in first] == [(result(0).url, "dead, first seen 2024-05-01")]
        assert [r.url for r in second] == [result(2).url]

    run(scenario)


def test_a_busy_store_is_noted_and_nothing_waits_for_ever(monkeypatch: pytest.MonkeyPatch) -> None:
    def busy(store: Store, results: object, **options: object) -> dict[str, OnlineResult]:
        raise StoreBusyError("locked")

    monkeypatch.setattr(recorder, "remember_results", busy)

    async def scenario(store: AsyncStore, notes: list[str]) -> None:
        recording = make(store, notes)
        recording.add([result(0)])
        await asyncio.wait_for(recording.flush(), 5.0)
        assert notes == ["some results were not remembered: locked"]

    run(scenario)


def test_a_failing_write_is_raised_by_the_flush(monkeypatch: pytest.MonkeyPatch) -> None:
    def bug(store: Store, results: object, **options: object) -> dict[str, OnlineResult]:
        raise KeyError("bug")

    monkeypatch.setattr(recorder, "remember_results", bug)

    async def scenario(store: AsyncStore, notes: list[str]) -> None:
        recording = make(store, notes)
        recording.add([result(0)])
        with pytest.raises(KeyError):
            await asyncio.wait_for(recording.flush(), 5.0)

    run(scenario)


# -- through a session ------------------------------------------------------------------------------


def stored_urls(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [url for (url,) in conn.execute("SELECT url FROM checks ORDER BY url")]


def source(urls: list[str]) -> Source:
    return Source(Document(path="urls.txt", text="".join(f"{url}\n" for url in urls)), "text", datetime.now(UTC))


def pdf() -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "application/pdf"}, stream=httpx.ByteStream(b"%PDF-1.4"))


def test_a_session_writes_results_answered_together_in_a_few_transactions(tmp_path: Path) -> None:
    urls = [f"https://site{index % 20}.example/doc/{index}.pdf" for index in range(300)]

    async def scenario() -> None:
        config = Config(store=str(tmp_path / "store.sqlite3"), retries=0, concurrency=64, host_concurrency=16)
        async with AsyncSession(config, transport=httpx.MockTransport(lambda request: pdf())) as session:
            run = session.start([source(urls)])
            assert await run.wait(30.0)
            assert session.recorder is not None
            assert session.recorder.pending == 0  # done means written
            assert session.recorder.writes <= 30

    asyncio.run(scenario())
    assert stored_urls(tmp_path / "store.sqlite3") == sorted(urls)


def test_closing_after_a_deadline_writes_every_result_that_arrived(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recorder, "SPACING", 60.0)  # after the first write, nothing more until a flush
    early = [f"https://early{index}.example/a.pdf" for index in range(5)]
    late = [f"https://late{index}.example/b.pdf" for index in range(5)]
    never = "https://never.example/c.pdf"

    async def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host.startswith("late"):
            await asyncio.sleep(0.3)
        elif request.url.host.startswith("never"):
            await asyncio.sleep(3600)
        return pdf()

    async def scenario() -> None:
        config = Config(store=str(tmp_path / "store.sqlite3"), retries=0, timeout=600.0)
        async with AsyncSession(config, transport=httpx.MockTransport(answer)) as session:
            run = session.start([source([*early, *late, never])])
            assert not await run.wait(1.5)
            assert run.pending == [never]
            assert session.recorder is not None
            assert session.recorder.pending >= len(late)  # arrived, waiting for the spacing
        # Closing cancelled the last check and wrote everything that had arrived.

    asyncio.run(scenario())
    assert stored_urls(tmp_path / "store.sqlite3") == sorted([*early, *late])


def test_nothing_is_recorded_when_no_host_answered(tmp_path: Path) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async def scenario() -> None:
        config = Config(store=str(tmp_path / "store.sqlite3"), retries=0)
        async with AsyncSession(config, transport=httpx.MockTransport(refuse)) as session:
            run = session.start([source([f"https://down{index}.example/" for index in range(3)])])
            assert await run.wait(30.0)
            assert session.notices  # the network looks down...

    asyncio.run(scenario())
    assert stored_urls(tmp_path / "store.sqlite3") == []  # ...so the links' history says nothing
