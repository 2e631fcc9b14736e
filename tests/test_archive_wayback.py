"""Wayback lookups against a mock archive: CDX shapes, availability's "unknown", politeness."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from pytest_httpx import HTTPXMock

from citecheck.archive.wayback import WaybackClient
from citecheck.core.snapshot import ArchiveError, SnapshotSource
from citecheck.net.exchange import retry_after_seconds
from helpers import FakeTime

WB = "https://wb.test"
AVAILABLE = "https://avail.test/wayback/available"
CDX = f"{WB}/cdx/search/cdx"
HEADER = ["timestamp", "original", "statuscode", "mimetype", "digest", "length"]

_T = TypeVar("_T")


@pytest.fixture
def fake() -> FakeTime:
    """A fake clock, and fresh limiters on it for the client under test."""
    return FakeTime()


def run(make: Callable[[WaybackClient], Awaitable[_T]], fake: FakeTime, **kw: Any) -> _T:
    async def go() -> _T:
        async with httpx.AsyncClient() as client:
            wb = WaybackClient(
                client, wayback_url=WB, availability_url=AVAILABLE, sleep=fake.sleep, limiters=fake.limiters, **kw
            )
            return await make(wb)

    return asyncio.run(go())


def query(request: httpx.Request) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(str(request.url)).query, keep_blank_values=True)


# -- URLs ------------------------------------------------------------------------------------


def test_memento_and_raw_urls(fake: FakeTime) -> None:
    wb = WaybackClient(httpx.AsyncClient(), wayback_url=WB + "/", limiters=fake.limiters)
    assert wb.memento_url("20240102030405", "https://example.org/a?b=1") == (
        f"{WB}/web/20240102030405/https://example.org/a?b=1"
    )
    assert wb.raw_url("20240102030405", "https://example.org/") == f"{WB}/web/20240102030405id_/https://example.org/"


def test_limiters_are_the_shared_endpoint_ones_at_the_documented_pace(fake: FakeTime) -> None:
    WaybackClient(httpx.AsyncClient(), limiters=fake.limiters)
    assert fake.limiters["ia:cdx"].interval == pytest.approx(60 / 24)
    assert fake.limiters["ia:availability"].interval == pytest.approx(1.0)


# -- CDX -------------------------------------------------------------------------------------


def test_cdx_query_parameters_exactly(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(json=[])
    run(
        lambda wb: wb.cdx(
            "https://example.org/page",
            from_=datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC),
            to=datetime(2021, 6, 7, 8, 9, 10, tzinfo=UTC),
            limit=50,
            filters=["statuscode:200", "!mimetype:warc/revisit"],
        ),
        fake,
    )
    (request,) = httpx_mock.get_requests()
    assert request.method == "GET"
    assert str(request.url).startswith(CDX + "?")
    assert query(request) == [
        ("url", "https://example.org/page"),
        ("output", "json"),
        ("fl", "timestamp,original,statuscode,mimetype,digest,length"),
        ("from", "20200102030405"),
        ("to", "20210607080910"),
        ("limit", "50"),
        ("filter", "statuscode:200"),
        ("filter", "!mimetype:warc/revisit"),
    ]


def test_cdx_without_dates_sends_no_from_or_to(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(json=[])
    run(lambda wb: wb.cdx("https://example.org/"), fake)
    names = [name for name, _ in query(httpx_mock.get_requests()[0])]
    assert names == ["url", "output", "fl", "limit"]


def test_cdx_normal_rows(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(
        json=[
            HEADER,
            ["20200102030405", "http://example.org:80/", "200", "text/html", "AAAA", "1234"],
            ["20210102030405", "https://example.org/", "301", "text/html", "BBBB", "321"],
        ]
    )
    snaps = run(lambda wb: wb.cdx("https://example.org/"), fake)
    assert [s.timestamp for s in snaps] == ["20200102030405", "20210102030405"]
    first = snaps[0]
    assert first.archive == "ia"
    assert first.source is SnapshotSource.CDX
    assert first.original_url == first.lookup_url == "https://example.org/"
    assert first.memento_url == f"{WB}/web/20200102030405/http://example.org:80/"
    assert first.raw_url == f"{WB}/web/20200102030405id_/http://example.org:80/"
    assert first.captured_at == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert (first.status, first.mimetype, first.digest) == (200, "text/html", "AAAA")
    assert first.is_good
    assert snaps[1].status == 301
    assert not snaps[1].is_good


@pytest.mark.parametrize("body", [b"[]", b"", b"  \n"])
def test_cdx_empty_answers_mean_no_captures(httpx_mock: HTTPXMock, fake: FakeTime, body: bytes) -> None:
    httpx_mock.add_response(content=body)
    assert run(lambda wb: wb.cdx("https://example.org/"), fake) == []


def test_cdx_header_only(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(json=[HEADER])
    assert run(lambda wb: wb.cdx("https://example.org/"), fake) == []


def test_cdx_revisits_and_warc_records_have_unknown_status(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(
        json=[
            HEADER,
            ["20200102030405", "https://example.org/", "-", "warc/revisit", "AAAA", "500"],
            ["20200102030406", "https://example.org/", "-", "-", "-", "-"],
        ]
    )
    snaps = run(lambda wb: wb.cdx("https://example.org/"), fake)
    assert [(s.status, s.mimetype, s.digest) for s in snaps] == [(None, "warc/revisit", "AAAA"), (None, None, None)]
    assert not any(s.is_good for s in snaps)


def test_cdx_extra_reordered_and_missing_columns(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(
        json=[
            ["urlkey", "original", "timestamp", "statuscode", "mimetype", "digest", "length", "dupecount"],
            ["org,example)/", "https://example.org/", "20200102030405", "200", "text/html", "D", "1", "0"],
            ["org,example)/", "https://example.org/", "20200102030406", "404"],  # short row
            ["org,example)/", "https://example.org/"],  # no timestamp: skipped
            ["org,example)/", "https://example.org/", "notatime", "200"],  # bad timestamp: skipped
            "not a row",
        ]
    )
    snaps = run(lambda wb: wb.cdx("https://example.org/"), fake)
    assert [(s.timestamp, s.status, s.mimetype) for s in snaps] == [
        ("20200102030405", 200, "text/html"),
        ("20200102030406", 404, None),
    ]


def test_cdx_stops_at_the_resume_key(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(
        json=[
            HEADER,
            ["20200102030405", "https://example.org/", "200", "text/html", "A", "1"],
            [],
            ["org%2Cexample%29%2F+20200102030405%21"],
        ]
    )
    snaps = run(lambda wb: wb.cdx("https://example.org/"), fake)
    assert len(snaps) == 1


@pytest.mark.parametrize(
    "body",
    [b"<html>Wayback is down</html>", b'{"not": "a list"}', b'[{"timestamp": 1}]', b'[["urlkey", "length"]]', b"\xff"],
)
def test_cdx_unusable_answers_are_archive_errors(httpx_mock: HTTPXMock, fake: FakeTime, body: bytes) -> None:
    httpx_mock.add_response(content=body)
    with pytest.raises(ArchiveError):
        run(lambda wb: wb.cdx("https://example.org/"), fake)


def test_cdx_http_error_is_an_archive_error(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(status_code=403, text="Blocked Site Error")
    with pytest.raises(ArchiveError, match="HTTP 403"):
        run(lambda wb: wb.cdx("https://example.org/"), fake)


def test_cdx_429_waits_out_retry_after_then_succeeds(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "30"})
    httpx_mock.add_response(json=[HEADER, ["20200102030405", "https://example.org/", "200", "text/html", "A", "1"]])
    start = fake.now
    snaps = run(lambda wb: wb.cdx("https://example.org/"), fake)
    assert len(snaps) == 1
    assert len(httpx_mock.get_requests()) == 2
    # Jitter (< 1 s) then the limiter's wait for the rest of the embargo: 30 s in all.
    assert fake.now - start == pytest.approx(30)
    assert max(fake.sleeps) > 29


def test_cdx_503_without_retry_after_uses_the_default_embargo(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(status_code=503)
    httpx_mock.add_response(json=[])
    start = fake.now
    assert run(lambda wb: wb.cdx("https://example.org/"), fake) == []
    assert fake.now - start == pytest.approx(60)


def test_cdx_stays_busy_bounded_retries(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "1"}, is_reusable=True)
    with pytest.raises(ArchiveError, match="HTTP 429"):
        run(lambda wb: wb.cdx("https://example.org/"), fake, retries=2)
    assert len(httpx_mock.get_requests()) == 3


def test_cdx_huge_retry_after_is_not_waited_for(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "86400"})
    with pytest.raises(ArchiveError):
        run(lambda wb: wb.cdx("https://example.org/"), fake)
    assert len(httpx_mock.get_requests()) == 1
    assert sum(fake.sleeps) < 1
    assert fake.limiters["ia:cdx"].next_start >= fake.now + 86000  # the embargo is still recorded


def test_cdx_transport_errors_are_retried_then_reported(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_exception(httpx.ConnectTimeout("slow"))
    httpx_mock.add_exception(httpx.ConnectTimeout("slow"))
    httpx_mock.add_exception(httpx.ConnectTimeout("slow"))
    with pytest.raises(ArchiveError, match="ConnectTimeout"):
        run(lambda wb: wb.cdx("https://example.org/"), fake)
    assert len(httpx_mock.get_requests()) == 3


def test_cdx_response_size_is_bounded(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(
        json=[HEADER] + [["20200102030405", "https://example.org/", "200", "text/html", "A", "1"]] * 10
    )
    with pytest.raises(ArchiveError, match="more than 100 bytes"):
        run(lambda wb: wb.cdx("https://example.org/"), fake, max_response_bytes=100)


def test_cdx_concurrent_identical_lookups_share_one_request(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(json=[HEADER, ["20200102030405", "https://example.org/", "200", "text/html", "A", "1"]])

    async def go(wb: WaybackClient) -> list[Any]:
        return list(
            await asyncio.gather(*(wb.cdx("https://example.org/", filters=["statuscode:200"]) for _ in range(5)))
        )

    results = run(go, fake)
    assert len(httpx_mock.get_requests()) == 1
    assert all(len(r) == 1 for r in results)
    assert results[0] is not results[1]  # each caller gets its own list


def test_cdx_different_lookups_are_not_merged_and_later_calls_ask_again(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(json=[], is_reusable=True)

    async def go(wb: WaybackClient) -> None:
        await asyncio.gather(wb.cdx("https://example.org/a"), wb.cdx("https://example.org/b"))
        await wb.cdx("https://example.org/a")

    run(go, fake)
    assert len(httpx_mock.get_requests()) == 3
    # Paced by the CDX limiter: 24 a minute is one start every 2.5 s.
    assert fake.sleeps == [pytest.approx(2.5), pytest.approx(2.5)]


def test_dedupe_survives_one_caller_being_cancelled(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(json=[])

    async def go(wb: WaybackClient) -> list[Any]:
        first = asyncio.ensure_future(wb.cdx("https://example.org/"))
        second = asyncio.ensure_future(wb.cdx("https://example.org/"))
        await asyncio.sleep(0)
        first.cancel()
        return await second

    assert run(go, fake) == []
    assert len(httpx_mock.get_requests()) == 1


# -- availability ----------------------------------------------------------------------------


def test_available_hit(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(
        json={
            "url": "example.org",
            "archived_snapshots": {
                "closest": {
                    "available": True,
                    "url": "http://web.archive.org/web/20130919044612/http://example.org/",
                    "timestamp": "20130919044612",
                    "status": "200",
                }
            },
        }
    )
    snap = run(lambda wb: wb.available("https://example.org/", at=datetime(2013, 9, 1, tzinfo=UTC)), fake)
    (request,) = httpx_mock.get_requests()
    assert str(request.url).startswith(AVAILABLE + "?")
    assert query(request) == [("url", "https://example.org/"), ("timestamp", "20130901000000")]
    assert snap is not None
    assert snap.source is SnapshotSource.AVAILABILITY
    assert snap.status == 200
    assert snap.captured_at == datetime(2013, 9, 19, 4, 46, 12, tzinfo=UTC)
    # Rebuilt on the configured endpoint, from the captured URL the answer embeds.
    assert snap.memento_url == f"{WB}/web/20130919044612/http://example.org/"
    assert snap.raw_url == f"{WB}/web/20130919044612id_/http://example.org/"
    assert snap.original_url == snap.lookup_url == "https://example.org/"


def test_available_without_a_date_sends_only_the_url(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(json={"archived_snapshots": {}})
    run(lambda wb: wb.available("https://example.org/"), fake)
    assert query(httpx_mock.get_requests()[0]) == [("url", "https://example.org/")]


@pytest.mark.parametrize(
    "answer",
    [
        {"archived_snapshots": {}},
        {"url": "example.org", "archived_snapshots": {}, "timestamp": "199402152345"},
        {"archived_snapshots": {"closest": {"available": False}}},
        {},
    ],
)
def test_available_empty_means_unknown(httpx_mock: HTTPXMock, fake: FakeTime, answer: dict[str, Any]) -> None:
    httpx_mock.add_response(json=answer)
    assert run(lambda wb: wb.available("https://example.org/"), fake) is None


@pytest.mark.parametrize(
    "body",
    [
        b"<html>oops</html>",
        b"[]",
        json.dumps({"archived_snapshots": "yes"}).encode(),
        json.dumps({"archived_snapshots": {"closest": "yes"}}).encode(),
        json.dumps({"archived_snapshots": {"closest": {"available": True, "url": "x"}}}).encode(),
        json.dumps({"archived_snapshots": {"closest": {"available": True, "timestamp": "nope"}}}).encode(),
    ],
)
def test_available_malformed_is_an_archive_error(httpx_mock: HTTPXMock, fake: FakeTime, body: bytes) -> None:
    httpx_mock.add_response(content=body)
    with pytest.raises(ArchiveError):
        run(lambda wb: wb.available("https://example.org/"), fake)


def test_available_missing_status_and_url(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(
        json={"archived_snapshots": {"closest": {"available": True, "timestamp": "20200102030405"}}}
    )
    snap = run(lambda wb: wb.available("https://example.org/x"), fake)
    assert snap is not None
    assert snap.status is None
    assert snap.memento_url == f"{WB}/web/20200102030405/https://example.org/x"


def test_available_is_paced_at_one_a_second_and_deduplicated(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(json={"archived_snapshots": {}}, is_reusable=True)

    async def go(wb: WaybackClient) -> None:
        await asyncio.gather(*(wb.available("https://example.org/") for _ in range(3)))
        await asyncio.gather(wb.available("https://example.org/a"), wb.available("https://example.org/b"))

    run(go, fake)
    assert len(httpx_mock.get_requests()) == 3
    assert fake.sleeps == [pytest.approx(1.0), pytest.approx(1.0)]


# -- Retry-After -----------------------------------------------------------------------------


def test_retry_after_forms() -> None:
    now = datetime(2024, 1, 1, 0, 0, 0, tzinfo=UTC)
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("-5") == 0
    assert retry_after_seconds("Mon, 01 Jan 2024 00:01:00 GMT", now=now) == 60
    assert retry_after_seconds("Sun, 31 Dec 2023 00:00:00 GMT", now=now) == 0
    assert retry_after_seconds("soon") is None


# -- a busy URL's whole history ----------------------------------------------------------------


def _history_answer(request: httpx.Request) -> httpx.Response:
    """A URL captured every day from 2001 to 2024: limit=N is the oldest N rows, limit=-N the
    newest, collapse=timestamp:6 the first capture of each month (as the CDX server answers)."""
    params = dict(query(request))
    days = [datetime(2001, 1, 1, tzinfo=UTC).toordinal() + n for n in range(8766)]
    stamps = [datetime.fromordinal(day).strftime("%Y%m%d") + "120000" for day in days]
    if params.get("collapse") == "timestamp:6":
        stamps = [stamp for i, stamp in enumerate(stamps) if i == 0 or stamps[i - 1][:6] != stamp[:6]]
    limit = int(params["limit"])
    stamps = stamps[:limit] if limit >= 0 else stamps[limit:]
    rows = [[stamp, "https://example.org/", "200", "text/html", f"D{stamp}", "1"] for stamp in stamps]
    return httpx.Response(200, json=[HEADER, *rows])


def test_a_busy_urls_history_covers_every_year_not_only_the_oldest_rows(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_callback(_history_answer, is_reusable=True)
    found = run(lambda wb: wb.cdx_history("https://example.org/", filters=["statuscode:200"]), fake)
    asked = [dict(query(request)) for request in httpx_mock.get_requests()]
    assert sorted((a["limit"], a.get("collapse", "")) for a in asked) == [
        ("-1000", ""),
        ("1000", ""),
        ("1000", "timestamp:6"),
    ]
    assert all(a["filter"] == "statuscode:200" for a in asked)
    months = {snapshot.timestamp[:6] for snapshot in found}
    assert len(months) == 24 * 12  # every month of every year
    assert found[-1].timestamp.startswith("20241231")  # the newest day too
    assert found[0].timestamp.startswith("20010101")
    stamps = [snapshot.timestamp for snapshot in found]
    assert stamps == sorted(set(stamps))  # merged without repeats, oldest first


def test_a_quiet_urls_history_is_one_query(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    rows = [["20200101000000", "https://example.org/", "200", "text/html", "D", "1"]]
    httpx_mock.add_response(json=[HEADER, *rows])
    found = run(lambda wb: wb.cdx_history("https://example.org/"), fake)
    assert [snapshot.timestamp for snapshot in found] == ["20200101000000"]
    assert len(httpx_mock.get_requests()) == 1
