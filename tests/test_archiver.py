"""The archive orchestrator: cleaned URL first, CDX plus Memento, choosing, remembering."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from citecheck.archive.archiver import ArchiveSettings, AsyncArchiver
from citecheck.archive.memento import MementoArchive
from citecheck.core.errors import ConfigError
from citecheck.core.snapshot import ArchiveError, SnapshotSource
from citecheck.net.limits import Limiters
from citecheck.store import BaseStore, open_store
from citecheck.store.sqlite import Store

pytestmark = pytest.mark.httpx_mock(assert_all_responses_were_requested=False, can_send_already_matched_responses=True)

WAYBACK = "https://wayback.test"
CDX = re.compile(r"https://wayback\.test/cdx/search/cdx\?.*")
HEADER = ["timestamp", "original", "statuscode", "mimetype", "digest", "length"]
AT = datetime(2024, 6, 1, tzinfo=UTC)


async def _no_sleep(_: float) -> None:
    return None


def _archiver(settings: ArchiveSettings, store: BaseStore | None = None) -> AsyncArchiver:
    """An archiver with its own limiters (none left over from another test) and no jitter."""
    return AsyncArchiver(settings, store=store, sleep=_no_sleep, limiters=Limiters())


def _rows(*rows: list[str]) -> bytes:
    return json.dumps([HEADER, *rows]).encode()


def _lookup(url: str, store: BaseStore | None = None, **settings: Any) -> Any:
    async def go() -> Any:
        async with _archiver(ArchiveSettings(wayback_url=WAYBACK, **settings), store) as archiver:
            return await archiver.lookup(url, at=AT)

    return asyncio.run(go())


def test_latest_good_capture_before_the_access_date(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=CDX,
        content=_rows(
            ["20240101000000", "https://example.org/a", "200", "text/html", "D1", "10"],
            ["20240501000000", "https://example.org/a", "200", "text/html", "D2", "10"],
            ["20240701000000", "https://example.org/a", "200", "text/html", "D3", "10"],
        ),
    )
    snapshot = _lookup("https://example.org/a?utm_source=x")
    assert snapshot is not None
    assert snapshot.timestamp == "20240501000000"
    assert snapshot.memento_url == f"{WAYBACK}/web/20240501000000/https://example.org/a"
    assert snapshot.raw_url == f"{WAYBACK}/web/20240501000000id_/https://example.org/a"
    assert snapshot.original_url == "https://example.org/a?utm_source=x"
    assert snapshot.lookup_url == "https://example.org/a"
    # The cleaned URL was asked first, and only it, since it had captures.
    (request,) = httpx_mock.get_requests()
    assert request.url.params["url"] == "https://example.org/a"


def test_as_cited_only_when_the_cleaned_url_has_nothing(httpx_mock: HTTPXMock) -> None:
    cited = "https://example.org/p?utm_source=feed"

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.params["url"] == cited:
            return httpx.Response(200, content=_rows(["20240301000000", cited, "200", "text/html", "D", "1"]))
        return httpx.Response(200, content=b"[]")

    httpx_mock.add_callback(answer, url=CDX)
    snapshot = _lookup(cited)
    assert snapshot is not None
    assert snapshot.lookup_url == cited
    assert [r.url.params["url"] for r in httpx_mock.get_requests()] == ["https://example.org/p", cited]


def test_never_a_redirect_or_error_capture(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=CDX,
        content=_rows(
            ["20240501000000", "https://example.org/r", "301", "text/html", "D", "1"],
            ["20240502000000", "https://example.org/r", "-", "warc/revisit", "D", "1"],
        ),
    )
    assert _lookup("https://example.org/r") is None


def test_memento_archive_captures_count_when_ia_has_none(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=CDX, content=b"[]")
    timemap = (
        '<https://example.org/m>; rel="original",\n'
        '<https://archive.test/20240401/https://example.org/m>; rel="memento";'
        ' datetime="Mon, 01 Apr 2024 00:00:00 GMT"\n'
    )
    httpx_mock.add_response(
        url="https://archive.test/timemap/link/https://example.org/m",
        content=timemap.encode(),
        headers={"content-type": "application/link-format"},
    )
    archive = MementoArchive(name="archive.test", timemap="https://archive.test/timemap/link/")
    snapshot = _lookup("https://example.org/m", memento=(archive,))
    assert snapshot is not None
    assert snapshot.archive == "archive.test"
    assert snapshot.source is SnapshotSource.TIMEMAP


def test_answers_are_remembered_negative_ones_too(httpx_mock: HTTPXMock, store_location: str) -> None:
    httpx_mock.add_response(
        url=CDX, content=_rows(["20240501000000", "https://example.org/s", "200", "text/html", "D", "1"])
    )
    with open_store(store_location) as store:
        first = _lookup("https://example.org/s", store=store)
        again = _lookup("https://example.org/s", store=store)
        assert first is not None
        assert again == first
        assert len(httpx_mock.get_requests()) == 1
    httpx_mock.reset()
    httpx_mock.add_response(url=CDX, content=b"[]")
    with open_store(store_location) as store:
        assert _lookup("https://example.org/none", store=store) is None
        assert _lookup("https://example.org/none", store=store) is None
        assert len(httpx_mock.get_requests()) == 1  # the fresh negative answer was reused


def test_an_archive_that_fails_is_not_a_negative_answer(httpx_mock: HTTPXMock, tmp_path: Path) -> None:
    httpx_mock.add_response(url=CDX, status_code=500)
    with Store.open(tmp_path / "f.sqlite3") as store:
        assert _lookup("https://example.org/f", store=store) is None
        known, _ = store.latest_snapshot(
            "https://example.org/f",
            max_age=ArchiveSettings().max_age,
            negative_max_age=ArchiveSettings().negative_max_age,
        )
        assert not known


def test_saving_without_keys_says_so_and_sends_nothing(httpx_mock: HTTPXMock) -> None:
    async def go() -> None:
        async with _archiver(ArchiveSettings(wayback_url=WAYBACK)) as archiver:
            await archiver.save("https://example.org/a")

    with pytest.raises(ArchiveError, match="CITECHECK_IA_ACCESS_KEY"):
        asyncio.run(go())
    assert httpx_mock.get_requests() == []


def test_settings_from_table_and_environment() -> None:
    settings = ArchiveSettings.from_table(
        {
            "wayback_url": "http://127.0.0.1:8080/",
            "prefer": ["archive.today", "ia"],
            "memento": [{"name": "archive.today", "timemap": "https://archive.today/timemap/link/"}],
            "cdx_per_minute": 12,
        },
        env={"CITECHECK_AVAILABILITY_URL": "http://127.0.0.1:9/avail", "CITECHECK_IA_ACCESS_KEY": "a"},
    )
    assert settings.wayback_url == "http://127.0.0.1:8080"
    assert settings.availability_url == "http://127.0.0.1:9/avail"
    assert settings.prefer == ("archive.today", "ia")
    assert settings.memento[0].name == "archive.today"
    assert settings.cdx_per_minute == 12.0
    assert settings.credentials is None  # only one of the two keys
    with pytest.raises(ConfigError, match="unknown keys"):
        ArchiveSettings.from_table({"wayback": "x"}, env={})
    with pytest.raises(ConfigError, match="http"):
        ArchiveSettings.from_table({"wayback_url": "ftp://x"}, env={})


def test_pending_jobs_are_polled_again_on_the_next_run(httpx_mock: HTTPXMock, tmp_path: Path) -> None:
    from citecheck.archive.save import SaveCredentials

    keys = SaveCredentials(access_key="a", secret_key="s")
    httpx_mock.add_response(
        url=f"{WAYBACK}/save", method="POST", json={"url": "https://example.org/j", "job_id": "spn2-1"}
    )
    httpx_mock.add_response(url=f"{WAYBACK}/save/status/spn2-1", json={"status": "pending"}, is_reusable=False)
    with Store.open(tmp_path / "j.sqlite3") as store:

        async def first() -> Any:
            settings = ArchiveSettings(wayback_url=WAYBACK, credentials=keys)
            async with _archiver(settings, store) as archiver:
                archiver.saver.poll_timeout = 0  # give up at once: the job stays pending
                return await archiver.save("https://example.org/j")

        pending = asyncio.run(first())
        assert pending.job_status is not None
        assert pending.job_status.value == "pending"
        assert [p["job_id"] for p in store.pending_snapshots()] == ["spn2-1"]
        httpx_mock.add_response(
            url=f"{WAYBACK}/save/status/spn2-1",
            json={"status": "success", "timestamp": "20240601000000", "original_url": "https://example.org/j"},
        )

        async def second() -> Any:
            settings = ArchiveSettings(wayback_url=WAYBACK, credentials=keys)
            async with _archiver(settings, store) as archiver:
                return await archiver.repoll_pending()

        (done,) = asyncio.run(second())
        assert done.job_status is not None
        assert done.job_status.value == "success"
        assert store.pending_snapshots() == []


def test_request_counts_for_a_batch_with_and_without_the_store(httpx_mock: HTTPXMock, tmp_path: Path) -> None:
    """The figures the archive docs quote: one CDX query per URL form asked, none when remembered."""
    found = [f"https://news.example/story/{i}" for i in range(10)]

    def answer(request: httpx.Request) -> httpx.Response:
        url = request.url.params["url"]
        if url in found:
            return httpx.Response(200, content=_rows(["20240101000000", url, "200", "text/html", "D", "1"]))
        return httpx.Response(200, content=b"[]")

    httpx_mock.add_callback(answer, url=CDX)
    batch = [u + "?utm_source=nl" for u in found]  # cleaned form has captures: 1 query each
    batch += [f"https://gone.example/{i}" for i in range(5)]  # already clean, nothing: 1 query each
    batch += [f"https://gone.example/t{i}?fbclid=x" for i in range(5)]  # cleaned, then as cited: 2 each

    async def run(store: Store | None) -> list[Any]:
        settings = ArchiveSettings(wayback_url=WAYBACK, cdx_per_minute=60_000)
        async with _archiver(settings, store) as archiver:
            return list(await asyncio.gather(*(archiver.lookup(u, at=AT) for u in batch)))

    with Store.open(tmp_path / "batch.sqlite3") as store:
        first = asyncio.run(run(store))
        cold = len(httpx_mock.get_requests())
        second = asyncio.run(run(store))
        warm = len(httpx_mock.get_requests()) - cold
    assert sum(s is not None for s in first) == 10
    assert [s and s.memento_url for s in second] == [s and s.memento_url for s in first]
    assert (cold, warm) == (25, 0)
    without_store = asyncio.run(run(None))
    assert sum(s is not None for s in without_store) == 10
    assert len(httpx_mock.get_requests()) - cold == 25


def test_window_limits_the_captures_chosen(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=CDX,
        content=_rows(
            ["20200101000000", "https://example.org/w", "200", "text/html", "D1", "1"],
            ["20240501000000", "https://example.org/w", "200", "text/html", "D2", "1"],
        ),
    )
    settings = ArchiveSettings.from_table({"not_after": "2021-01-01"}, env={})
    snapshot = _lookup("https://example.org/w", not_after=settings.not_after)
    assert snapshot is not None
    assert snapshot.timestamp == "20200101000000"


def test_recall_chooses_from_the_stored_lists_and_asks_no_archive(httpx_mock: HTTPXMock, tmp_path: Path) -> None:
    """What a distributed audit's client does: a worker learned the lists, the client reads them."""
    httpx_mock.add_response(
        url=CDX,
        content=_rows(
            ["20150101000000", "https://example.org/a", "200", "text/html", "D1", "10"],
            ["20200101000000", "https://example.org/a", "200", "text/html", "D2", "10"],
        ),
    )
    settings = ArchiveSettings(wayback_url=WAYBACK)

    async def go() -> tuple[Any, Any, Any, int, int]:
        with Store.open(tmp_path / "s.sqlite3") as store:
            async with _archiver(settings, store) as worker:
                await worker.lookup("https://example.org/a", at=AT)
            asked = len(httpx_mock.get_requests())
            async with _archiver(settings, store) as client:
                early = await client.recall("https://example.org/a", at=datetime(2019, 1, 1, tzinfo=UTC))
                late = await client.recall("https://example.org/a?utm_source=x", at=AT)
                unknown = await client.recall("https://example.org/never-looked-up", at=AT)
            return early, late, unknown, asked, len(httpx_mock.get_requests())

    early, late, unknown, asked, after = asyncio.run(go())
    assert early.timestamp == "20150101000000"
    assert late.timestamp == "20200101000000"
    assert late.original_url == "https://example.org/a?utm_source=x"  # as cited, looked up cleaned
    assert unknown is None
    assert after == asked  # recall sent nothing
