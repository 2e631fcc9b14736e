"""The store's capture lists (schema migration 3): what each archive said it holds of a URL."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest

from citecheck.store import PG_MIGRATIONS, AsyncStore, CaptureList, Store, open_store
from citecheck.store.schema import MIGRATIONS

T0 = datetime(2024, 6, 1, tzinfo=UTC)


def _capture(stamp: str) -> dict[str, object]:
    return {
        "archive": "ia",
        "memento_url": f"https://wayback.test/web/{stamp}/https://example.org/",
        "status": 200,
        "captured_at": f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}T00:00:00+00:00",
        "source": "cdx",
    }


def _list(source: str, *stamps: str, fresh: timedelta = timedelta(days=7)) -> CaptureList:
    return CaptureList(
        lookup_url="https://example.org/",
        source=source,
        learned_at=T0,
        fresh_until=T0 + fresh,
        captures=tuple(_capture(s) for s in stamps),
        reported=len(stamps),
    )


def test_lists_are_kept_per_source_and_replaced_by_newer_answers(store_location: str) -> None:
    with open_store(store_location) as store:
        assert store.capture_lists("https://example.org/") == []
        store.record_captures([_list("cdx", "20150101"), _list("timemap:a", fresh=timedelta(days=1))])
        store.record_captures([_list("cdx", "20150101", "20200101")])
        lists = {entry.source: entry for entry in store.capture_lists("https://example.org/")}
    assert sorted(lists) == ["cdx", "timemap:a"]
    assert [c["memento_url"] for c in lists["cdx"].captures][-1].endswith("/20200101/https://example.org/")
    assert lists["timemap:a"].captures == ()  # a negative answer is a list too
    assert lists["timemap:a"].is_fresh(T0 + timedelta(hours=23))
    assert not lists["timemap:a"].is_fresh(T0 + timedelta(days=1))
    assert lists["cdx"].learned_at == T0


def test_added_captures_accumulate_sorted_and_bounded(store_location: str) -> None:
    with open_store(store_location) as store:
        for stamp in ("20240103", "20240101", "20240102", "20240101"):
            store.add_capture("https://example.org/", "save", _capture(stamp), learned_at=T0, fresh_until=T0, keep=2)
        (saves,) = store.capture_lists("https://example.org/")
    assert [c["captured_at"][:10] for c in saves.captures] == ["2024-01-02", "2024-01-03"]
    with pytest.raises(ValueError, match="keep"):
        Store.open(":memory:").add_capture("u", "save", {}, learned_at=T0, fresh_until=T0, keep=0)


def test_concurrent_additions_are_all_kept(store_location: str) -> None:
    path = store_location
    open_store(path).close()

    def add(day: int) -> None:
        with open_store(path) as store:  # a connection each, as separate processes would have
            store.add_capture(
                "https://example.org/", "save", _capture(f"202401{day:02d}"), learned_at=T0, fresh_until=T0, keep=100
            )

    threads = [threading.Thread(target=add, args=(day,)) for day in range(1, 21)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with open_store(path) as store:
        (saves,) = store.capture_lists("https://example.org/")
    assert len(saves.captures) == 20


def test_the_migration_keeps_old_snapshot_records(store_backend: str, store_location: str) -> None:
    path = store_location
    history = MIGRATIONS if store_backend == "sqlite" else PG_MIGRATIONS
    with open_store(path, migrations=history[:2]) as old:
        old.record_snapshot(lookup_url="https://example.org/", original_url="https://example.org/", snapshot=None)
        assert old.schema_version == 2
    with open_store(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        known, record = store.latest_snapshot(
            "https://example.org/", max_age=timedelta(days=3650), negative_max_age=timedelta(days=3650)
        )
        assert (known, record) == (True, None)  # the old row is still there and readable
        store.record_captures([_list("cdx", "20150101")])
        assert len(store.capture_lists("https://example.org/")) == 1


def test_lists_must_be_json_and_times_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CaptureList(lookup_url="u", source="cdx", learned_at=datetime(2024, 1, 1), fresh_until=T0)
    with Store.open(":memory:") as store, pytest.raises(TypeError, match="JSON"):
        store.record_captures(
            [CaptureList(lookup_url="u", source="cdx", learned_at=T0, fresh_until=T0, captures=({"x": object()},))]
        )


def test_the_async_store_offers_the_same_calls(store_location: str) -> None:
    async def go() -> list[CaptureList]:
        async with await AsyncStore.open(store_location) as store:
            await store.record_captures([_list("cdx", "20150101")])
            await store.add_capture(
                "https://example.org/", "save", _capture("20240101"), learned_at=T0, fresh_until=T0, keep=5
            )
            lists: list[CaptureList] = await store.capture_lists("https://example.org/")
            return lists

    assert [entry.source for entry in asyncio.run(go())] == ["cdx", "save"]
