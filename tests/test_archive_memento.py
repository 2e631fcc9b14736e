"""The Memento client against pytest-httpx archives, on a fake clock (no test waits)."""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import TypeVar

import httpx
import pytest
from pytest_httpx import HTTPXMock

from citecheck.archive.memento import (
    MementoArchive,
    MementoClient,
    http_date,
    parse_http_date,
    wayback_raw_url,
)
from citecheck.core.snapshot import ArchiveError, Snapshot, SnapshotSource
from citecheck.net.exchange import retry_after_seconds
from citecheck.net.limits import RateLimiter

T = TypeVar("T")

LINK_FORMAT = {"content-type": "application/link-format"}
IA = MementoArchive("ia", "https://web.archive.org/web/timemap/link/", "https://web.archive.org/web/")
TODAY = MementoArchive("archive.today", "https://archive.today/timemap/link/", "https://archive.today/timegate/")
URL = "http://example.com/a,b"
TODAY_GATE = f"https://archive.today/timegate/{URL}"
IA_GATE = f"https://web.archive.org/web/{URL}"


class FakeTime:
    """A clock that only moves when something sleeps; records who slept how long."""

    def __init__(self) -> None:
        self.now = 0.0
        self.limiter_waits: list[float] = []
        self.jitters: list[float] = []

    def clock(self) -> float:
        return self.now

    async def limiter_sleep(self, seconds: float) -> None:
        self.limiter_waits.append(seconds)
        self.now += seconds

    async def jitter_sleep(self, seconds: float) -> None:
        self.jitters.append(seconds)
        self.now += seconds


class FixedRandom(random.Random):
    """Jitter is always half its range, so waits are predictable."""

    def uniform(self, a: float, b: float) -> float:
        return (a + b) / 2


class Harness:
    def __init__(self) -> None:
        self.time = FakeTime()
        self.limiters: dict[str, RateLimiter] = {}
        self.limiter_requests: list[tuple[str, float]] = []

    def limiter(self, endpoint: str, per_minute: float) -> RateLimiter:
        self.limiter_requests.append((endpoint, per_minute))
        if endpoint not in self.limiters:
            self.limiters[endpoint] = RateLimiter(per_minute, clock=self.time.clock, sleep=self.time.limiter_sleep)
        return self.limiters[endpoint]

    def run(self, work: Callable[[MementoClient], Awaitable[T]], **options: int) -> T:
        async def go() -> T:
            async with httpx.AsyncClient() as http:
                client = MementoClient(
                    http,
                    sleep=self.time.jitter_sleep,
                    limiters=self.limiter,
                    rng=FixedRandom(),
                    **options,
                )
                return await work(client)

        return asyncio.run(go())


@pytest.fixture
def harness() -> Harness:
    return Harness()


def memento_line(base: str, moment: datetime, rel: str = "memento") -> str:
    stamp = moment.strftime("%Y%m%d%H%M%S")
    return f'<{base}{stamp}/{URL}>; rel="{rel}"; datetime="{format_datetime(moment, usegmt=True)}",'


D1 = datetime(1996, 12, 20, 15, 3, 28, tzinfo=UTC)
D2 = datetime(2005, 1, 1, tzinfo=UTC)
D3 = datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC)
D4 = datetime(2025, 6, 1, 12, tzinfo=UTC)

WAYBACK_PAGE = "\n".join(
    [
        f'<{URL}>; rel="original",',
        f'<{IA.timemap}{URL}>; rel="self"; type="application/link-format"; from="{http_date(D1)}",',
        '<https://web.archive.org>; rel="timegate",',
        memento_line("https://web.archive.org/web/", D1, "first memento"),
        memento_line("https://web.archive.org/web/", D2),
        memento_line("https://web.archive.org/web/", D3, "last memento"),
    ]
)


# -- TimeMaps -------------------------------------------------------------------------------


def test_single_page_timemap(httpx_mock: HTTPXMock, harness: Harness) -> None:
    httpx_mock.add_response(url=IA.timemap + URL, text=WAYBACK_PAGE, headers=LINK_FORMAT)
    snapshots = harness.run(lambda client: client.timemap(IA, URL))
    assert [s.captured_at for s in snapshots] == [D1, D2, D3]
    first = snapshots[0]
    assert first == Snapshot(
        original_url=URL,
        lookup_url=URL,
        archive="ia",
        memento_url=f"https://web.archive.org/web/19961220150328/{URL}",
        raw_url=f"https://web.archive.org/web/19961220150328id_/{URL}",
        captured_at=D1,
        status=None,
        source=SnapshotSource.TIMEMAP,
        learned_at=first.learned_at,
    )
    assert first.captured_at.tzinfo is UTC
    assert harness.limiter_requests == [("timemap:ia", 24)]


def test_archive_today_timemap_has_no_raw_url(httpx_mock: HTTPXMock, harness: Harness) -> None:
    body = "\n".join(
        [
            f'<{URL}>; rel="original",',
            f'<http://archive.md/timegate/{URL}>; rel="timegate",',
            memento_line("http://archive.md/", D2, "first last memento").rstrip(","),
        ]
    )
    httpx_mock.add_response(url=TODAY.timemap + URL, text=body, headers=LINK_FORMAT)
    [snapshot] = harness.run(lambda client: client.timemap(TODAY, URL))
    assert (snapshot.archive, snapshot.raw_url, snapshot.captured_at) == ("archive.today", None, D2)


def test_timemap_redirect_is_followed_and_relative_mementos_resolved(httpx_mock: HTTPXMock, harness: Harness) -> None:
    httpx_mock.add_response(
        url=TODAY.timemap + URL, status_code=302, headers={"location": f"https://archive.ph/timemap/link/{URL}"}
    )
    body = f'</20200101000000/{URL}>; rel="memento"; datetime="{http_date(D2)}"'
    httpx_mock.add_response(url=f"https://archive.ph/timemap/link/{URL}", text=body, headers=LINK_FORMAT)
    [snapshot] = harness.run(lambda client: client.timemap(TODAY, URL))
    assert snapshot.memento_url == f"https://archive.ph/20200101000000/{URL}"


def test_paged_by_rel_timemap_with_from(httpx_mock: HTTPXMock, harness: Harness) -> None:
    page2 = f"https://web.archive.org/web/timemap/link/2/{URL}"
    httpx_mock.add_response(
        url=IA.timemap + URL,
        headers=LINK_FORMAT,
        text="\n".join(
            [
                f'<{IA.timemap}{URL}>; rel="self"; type="application/link-format"; from="{http_date(D1)}",',
                f'<{page2}>; rel="timemap"; type="application/link-format"; from="{http_date(D3)}",',
                memento_line("https://web.archive.org/web/", D1),
                memento_line("https://web.archive.org/web/", D2),
            ]
        ),
    )
    httpx_mock.add_response(
        url=page2,
        headers=LINK_FORMAT,
        text="\n".join(
            [
                f'<{page2}>; rel="self"; type="application/link-format"; from="{http_date(D3)}",',
                # Back to the first page: must not be fetched again.
                f'<{IA.timemap}{URL}>; rel="timemap"; type="application/link-format"; from="{http_date(D1)}",',
                memento_line("https://web.archive.org/web/", D2),  # listed on both pages: once
                memento_line("https://web.archive.org/web/", D3),
            ]
        ),
    )
    snapshots = harness.run(lambda client: client.timemap(IA, URL))
    assert [s.captured_at for s in snapshots] == [D1, D2, D3]
    assert len(httpx_mock.get_requests()) == 2


def test_paged_by_rel_next(httpx_mock: HTTPXMock, harness: Harness) -> None:
    httpx_mock.add_response(
        url=TODAY.timemap + URL,
        headers=LINK_FORMAT,
        text=memento_line("http://archive.md/", D1) + '\n<?page=2>; rel="next"',
    )
    httpx_mock.add_response(
        url=TODAY.timemap + URL + "?page=2",
        headers=LINK_FORMAT,
        text=memento_line("http://archive.md/", D4) + f'\n<{TODAY.timemap}{URL}>; rel="prev"',
    )
    snapshots = harness.run(lambda client: client.timemap(TODAY, URL))
    assert [s.captured_at for s in snapshots] == [D1, D4]


def test_paging_loops_are_fetched_once(httpx_mock: HTTPXMock, harness: Harness) -> None:
    page_a = TODAY.timemap + URL
    page_b = page_a + "?page=b"
    httpx_mock.add_response(
        url=page_a,
        headers=LINK_FORMAT,
        text=f'<{page_b}>; rel="next", <{page_a}>; rel="timemap", ' + memento_line("http://archive.md/", D1),
    )
    httpx_mock.add_response(
        url=page_b,
        headers=LINK_FORMAT,
        text=f'<{page_a}>; rel="next", <{page_b}>; rel="timemap next", ' + memento_line("http://archive.md/", D2),
    )
    snapshots = harness.run(lambda client: client.timemap(TODAY, URL))
    assert [s.captured_at for s in snapshots] == [D1, D2]
    assert [str(r.url) for r in httpx_mock.get_requests()] == [page_a, page_b]


def test_paging_is_bounded_by_max_pages(httpx_mock: HTTPXMock, harness: Harness) -> None:
    def endless(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "0"))
        moment = D1 + timedelta(days=page)
        body = memento_line("http://archive.md/", moment) + f'\n<{TODAY.timemap}{URL}?page={page + 1}>; rel="next"'
        return httpx.Response(200, text=body, headers=LINK_FORMAT)

    httpx_mock.add_callback(endless, url=re.compile(re.escape(TODAY.timemap) + ".*"), is_reusable=True)
    snapshots = harness.run(lambda client: client.timemap(TODAY, URL, max_pages=3))
    assert len(snapshots) == 3
    assert len(httpx_mock.get_requests()) == 3


@pytest.mark.parametrize("body", ["", "\n"])
def test_empty_timemap_is_no_captures(httpx_mock: HTTPXMock, harness: Harness, body: str) -> None:
    httpx_mock.add_response(url=TODAY.timemap + URL, text=body, headers=LINK_FORMAT)
    assert harness.run(lambda client: client.timemap(TODAY, URL)) == []


def test_404_is_no_captures(httpx_mock: HTTPXMock, harness: Harness) -> None:
    httpx_mock.add_response(url=TODAY.timemap + URL, status_code=404, text="<html>No mementos</html>")
    assert harness.run(lambda client: client.timemap(TODAY, URL)) == []


@pytest.mark.parametrize("status", [500, 403, 400])
def test_other_statuses_are_archive_errors(httpx_mock: HTTPXMock, harness: Harness, status: int) -> None:
    httpx_mock.add_response(url=TODAY.timemap + URL, status_code=status)
    with pytest.raises(ArchiveError, match=f"answered {status}"):
        harness.run(lambda client: client.timemap(TODAY, URL))
    assert len(httpx_mock.get_requests()) == 1  # not retried: only 429/503 mean "later"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("<!DOCTYPE html><html><body>Sorry, <b>no</b></body></html>", "text/html; charset=utf-8"),
        ("<!DOCTYPE html>\n<html>\n", "application/link-format"),
        ('{"error": "bad"}', "application/json"),
    ],
)
def test_unparseable_timemap_is_an_archive_error(
    httpx_mock: HTTPXMock, harness: Harness, body: str, content_type: str
) -> None:
    httpx_mock.add_response(url=TODAY.timemap + URL, text=body, headers={"content-type": content_type})
    with pytest.raises(ArchiveError, match=r"archive\.today"):
        harness.run(lambda client: client.timemap(TODAY, URL))


def test_html_page_that_looks_like_links_is_not_a_timemap(httpx_mock: HTTPXMock, harness: Harness) -> None:
    httpx_mock.add_response(
        url=TODAY.timemap + URL, text="<p>Hello</p>\n, <br>, <hr>", headers={"content-type": "text/html"}
    )
    with pytest.raises(ArchiveError, match="HTML page"):
        harness.run(lambda client: client.timemap(TODAY, URL))


def test_malformed_items_are_skipped_and_undated_mementos_dropped(httpx_mock: HTTPXMock, harness: Harness) -> None:
    body = "\n".join(
        [
            memento_line("http://archive.md/", D1),
            '<http://archive.md/x>; rel="memento"; datetime="not a date",',
            '<http://archive.md/y>; rel="memento",',
            '<http://archive.md/z>; rel="memento" datetime="Tue, 01 Jan 2013 00:00:00 GMT",',
            "this line is garbage,",
            memento_line("http://archive.md/", D2).rstrip(","),
        ]
    )
    httpx_mock.add_response(url=TODAY.timemap + URL, text=body, headers=LINK_FORMAT)
    snapshots = harness.run(lambda client: client.timemap(TODAY, URL))
    assert [s.captured_at for s in snapshots] == [D1, D2]


def test_status_and_type_params_are_kept_when_given(httpx_mock: HTTPXMock, harness: Harness) -> None:
    body = f'<http://archive.md/1>; rel="memento"; datetime="{http_date(D1)}"; status="200"; type="text/html"'
    httpx_mock.add_response(url=TODAY.timemap + URL, text=body, headers=LINK_FORMAT)
    [snapshot] = harness.run(lambda client: client.timemap(TODAY, URL))
    assert (snapshot.status, snapshot.mimetype) == (200, "text/html")


def test_oversized_page_is_refused(httpx_mock: HTTPXMock, harness: Harness) -> None:
    httpx_mock.add_response(url=TODAY.timemap + URL, text=WAYBACK_PAGE, headers=LINK_FORMAT)
    with pytest.raises(ArchiveError, match="byte limit"):
        harness.run(lambda client: client.timemap(TODAY, URL), max_page_bytes=100)


def test_429_defers_the_endpoint_then_retries(httpx_mock: HTTPXMock, harness: Harness) -> None:
    httpx_mock.add_response(url=IA.timemap + URL, status_code=429, headers={"retry-after": "120"})
    httpx_mock.add_response(url=IA.timemap + URL, text=WAYBACK_PAGE, headers=LINK_FORMAT)
    snapshots = harness.run(lambda client: client.timemap(IA, URL))
    assert len(snapshots) == 3
    assert harness.time.jitters == [0.5]
    # The limiter held the retry until Retry-After had passed (less the jitter already slept).
    assert harness.time.limiter_waits == [pytest.approx(119.5)]
    assert harness.time.now == pytest.approx(120)


def test_503_without_retry_after_waits_the_default(httpx_mock: HTTPXMock, harness: Harness) -> None:
    httpx_mock.add_response(url=IA.timemap + URL, status_code=503)
    httpx_mock.add_response(url=IA.timemap + URL, text=WAYBACK_PAGE, headers=LINK_FORMAT)
    harness.run(lambda client: client.timemap(IA, URL))
    assert harness.time.now == pytest.approx(60)


def test_retries_are_bounded(httpx_mock: HTTPXMock, harness: Harness) -> None:
    for _ in range(3):
        httpx_mock.add_response(url=IA.timemap + URL, status_code=429, headers={"retry-after": "5"})
    with pytest.raises(ArchiveError, match=r"429.*after 3 attempts"):
        harness.run(lambda client: client.timemap(IA, URL), retries=2)
    assert len(httpx_mock.get_requests()) == 3
    assert harness.time.jitters == [0.5, 1.0]


def test_network_failures_are_retried_then_reported(httpx_mock: HTTPXMock, harness: Harness) -> None:
    httpx_mock.add_exception(httpx.ConnectError("refused"), url=IA.timemap + URL)
    httpx_mock.add_response(url=IA.timemap + URL, text=WAYBACK_PAGE, headers=LINK_FORMAT)
    assert len(harness.run(lambda client: client.timemap(IA, URL))) == 3

    httpx_mock.add_exception(httpx.ReadTimeout("slow"), url=TODAY.timemap + URL)
    with pytest.raises(ArchiveError, match="could not be fetched"):
        harness.run(lambda client: client.timemap(TODAY, URL), retries=0)


def test_unfetchable_urls_are_archive_errors_without_retry(harness: Harness) -> None:
    with pytest.raises(ArchiveError, match="could not be fetched"):
        harness.run(lambda client: client.timemap(TODAY, "http://exa mple.com/\x00"))
    broken = MementoArchive("broken", "ftp://archive.example/timemap/")
    with pytest.raises(ArchiveError, match="could not be fetched"):
        harness.run(lambda client: client.timemap(broken, URL))
    assert harness.time.jitters == []


def test_concurrent_identical_lookups_go_out_once(httpx_mock: HTTPXMock, harness: Harness) -> None:
    httpx_mock.add_response(url=IA.timemap + URL, text=WAYBACK_PAGE, headers=LINK_FORMAT)

    async def twice(client: MementoClient) -> tuple[list[Snapshot], list[Snapshot]]:
        first, second = await asyncio.gather(client.timemap(IA, URL), client.timemap(IA, URL))
        return first, second

    first, second = harness.run(twice)
    assert first == second
    assert first is not second  # each caller may modify its own list
    assert len(httpx_mock.get_requests()) == 1


def test_failure_is_shared_by_concurrent_callers_and_not_remembered(httpx_mock: HTTPXMock, harness: Harness) -> None:
    httpx_mock.add_response(url=IA.timemap + URL, status_code=500)
    httpx_mock.add_response(url=IA.timemap + URL, text=WAYBACK_PAGE, headers=LINK_FORMAT)

    async def go(client: MementoClient) -> list[Snapshot]:
        results = await asyncio.gather(client.timemap(IA, URL), client.timemap(IA, URL), return_exceptions=True)
        assert all(isinstance(result, ArchiveError) for result in results)
        return await client.timemap(IA, URL)  # finished lookups are not cached

    assert len(harness.run(go)) == 3
    assert len(httpx_mock.get_requests()) == 2


# -- TimeGates ------------------------------------------------------------------------------


def test_timegate_302_with_link_header(httpx_mock: HTTPXMock, harness: Harness) -> None:
    memento = f"https://archive.md/20200101000000/{URL}"
    httpx_mock.add_response(
        url=TODAY_GATE,
        status_code=302,
        headers={
            "location": memento,
            "vary": "accept-datetime",
            "link": f'<{URL}>; rel="original", <{memento}>; rel="memento"; datetime="{http_date(D4)}"',
        },
    )
    snapshot = harness.run(lambda client: client.timegate(TODAY, URL, datetime(2025, 6, 2)))
    assert snapshot is not None
    assert (snapshot.memento_url, snapshot.captured_at, snapshot.source) == (memento, D4, SnapshotSource.TIMEGATE)
    [request] = httpx_mock.get_requests()
    assert request.headers["accept-datetime"] == "Mon, 02 Jun 2025 00:00:00 GMT"
    assert harness.limiter_requests == [("timegate:archive.today", 24)]


def test_timegate_302_then_memento_datetime_on_the_target(httpx_mock: HTTPXMock, harness: Harness) -> None:
    rough = f"https://web.archive.org/web/20250602000000/{URL}"
    exact = f"https://web.archive.org/web/20250601120000/{URL}"
    httpx_mock.add_response(url=IA_GATE, status_code=302, headers={"location": rough})
    httpx_mock.add_response(url=rough, status_code=302, headers={"location": exact})
    httpx_mock.add_response(url=exact, headers={"memento-datetime": http_date(D4)}, text="<html>page</html>")
    snapshot = harness.run(lambda client: client.timegate(IA, URL, datetime(2025, 6, 2, tzinfo=UTC)))
    assert snapshot is not None
    assert (snapshot.memento_url, snapshot.captured_at) == (exact, D4)
    assert snapshot.raw_url == f"https://web.archive.org/web/20250601120000id_/{URL}"


def test_timegate_falls_back_to_the_timestamp_in_the_url(httpx_mock: HTTPXMock, harness: Harness) -> None:
    memento = f"https://archive.md/20200101000000/{URL}"
    httpx_mock.add_response(url=TODAY_GATE, status_code=302, headers={"location": memento})
    httpx_mock.add_response(url=memento, text="no memento headers here")
    snapshot = harness.run(lambda client: client.timegate(TODAY, URL, D4))
    assert snapshot is not None
    assert snapshot.captured_at == datetime(2020, 1, 1, tzinfo=UTC)


def test_timegate_200_style(httpx_mock: HTTPXMock, harness: Harness) -> None:
    httpx_mock.add_response(
        url=TODAY_GATE,
        headers={"memento-datetime": http_date(D2), "content-location": "/20050101000000/http://example.com/a,b"},
    )
    snapshot = harness.run(lambda client: client.timegate(TODAY, URL, D4))
    assert snapshot is not None
    assert snapshot.memento_url == f"https://archive.today/20050101000000/{URL}"
    assert snapshot.captured_at == D2


@pytest.mark.parametrize("status", [404, 406])
def test_timegate_without_captures_is_none(httpx_mock: HTTPXMock, harness: Harness, status: int) -> None:
    httpx_mock.add_response(url=TODAY_GATE, status_code=status)
    assert harness.run(lambda client: client.timegate(TODAY, URL, D4)) is None


def test_timegate_unusable_answers_are_archive_errors(httpx_mock: HTTPXMock, harness: Harness) -> None:
    httpx_mock.add_response(url=TODAY_GATE, status_code=500)
    with pytest.raises(ArchiveError, match="answered 500"):
        harness.run(lambda client: client.timegate(TODAY, URL, D4))

    httpx_mock.add_response(url=TODAY_GATE, status_code=302, headers={"location": "https://archive.md/x"})
    httpx_mock.add_response(url="https://archive.md/x", status_code=404)
    with pytest.raises(ArchiveError, match="no capture time"):
        harness.run(lambda client: client.timegate(TODAY, URL, D4))

    no_gate = MementoArchive("nogate", "https://nogate.example/timemap/")
    with pytest.raises(ArchiveError, match="no TimeGate"):
        harness.run(lambda client: client.timegate(no_gate, URL, D4))


def test_concurrent_identical_timegate_lookups_go_out_once(httpx_mock: HTTPXMock, harness: Harness) -> None:
    memento = f"https://archive.md/20200101000000/{URL}"
    httpx_mock.add_response(
        url=TODAY_GATE,
        status_code=302,
        headers={"location": memento, "link": f'<{memento}>; rel="memento"; datetime="{http_date(D2)}"'},
    )

    async def go(client: MementoClient) -> tuple[Snapshot | None, Snapshot | None]:
        # The same instant, once naive (meaning UTC) and once aware: one lookup.
        naive, aware = datetime(2025, 1, 1), datetime(2025, 1, 1, tzinfo=UTC)
        first, second = await asyncio.gather(client.timegate(TODAY, URL, naive), client.timegate(TODAY, URL, aware))
        return first, second

    first, second = harness.run(go)
    assert first is not None
    assert first == second
    assert len(httpx_mock.get_requests()) == 1


# -- helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("memento", "raw"),
    [
        (f"https://web.archive.org/web/20200102030405/{URL}", f"https://web.archive.org/web/20200102030405id_/{URL}"),
        (f"http://web.archive.org/web/2020im_/{URL}", f"http://web.archive.org/web/2020id_/{URL}"),
        (
            "https://webarchive.example/col/web/20200102030405/https://x/web/1/",
            "https://webarchive.example/col/web/20200102030405id_/https://x/web/1/",
        ),
        (
            f"https://wayback.example/wayback/web/20200102030405/{URL}",
            f"https://wayback.example/wayback/web/20200102030405id_/{URL}",
        ),
        (f"https://archive.ph/20200102030405/{URL}", None),
        ("https://web.archive.org/web/*/http://example.com/", None),
    ],
)
def test_wayback_raw_url(memento: str, raw: str | None) -> None:
    assert wayback_raw_url(memento) == raw


def test_http_dates() -> None:
    assert http_date(datetime(2000, 1, 1)) == "Sat, 01 Jan 2000 00:00:00 GMT"
    assert parse_http_date("Sat, 01 Jan 2000 00:00:00 GMT") == datetime(2000, 1, 1, tzinfo=UTC)
    assert parse_http_date("Sat, 01 Jan 2000 01:00:00 +0100") == datetime(2000, 1, 1, tzinfo=UTC)
    assert parse_http_date("Saturday, 01-Jan-00 00:00:00 GMT") == datetime(2000, 1, 1, tzinfo=UTC)
    assert parse_http_date("yesterday") is None
    assert parse_http_date("") is None


def test_retry_after_forms() -> None:
    assert retry_after_seconds(None) is None
    assert retry_after_seconds(" 30 ") == 30.0
    assert retry_after_seconds("soon") is None
    later = datetime.now(UTC) + timedelta(seconds=100)
    assert 90 < (retry_after_seconds(http_date(later)) or 0) <= 100
    assert retry_after_seconds("Sat, 01 Jan 2000 00:00:00 GMT") == 0.0


def test_urls_an_archive_names_that_cannot_be_urls_are_skipped_not_a_crash(
    httpx_mock: HTTPXMock, harness: Harness
) -> None:
    """``http://[::1/`` makes urljoin raise ValueError: from a hostile archive it is its error."""
    body = "\n".join(
        [
            f'<http://[::1/>; rel="memento"; datetime="{http_date(D1)}",',
            '<http://[::1/page2>; rel="next",',
            memento_line("https://web.archive.org/web/", D2).rstrip(","),
        ]
    )
    httpx_mock.add_response(url=IA.timemap + URL, text=body, headers=LINK_FORMAT)
    snapshots = harness.run(lambda client: client.timemap(IA, URL))
    assert [s.captured_at for s in snapshots] == [D2]

    # A 200-style TimeGate naming such a memento in Content-Location (a Location would already
    # fail inside httpx, which prepares the redirect it does not follow).
    headers = {"content-location": "http://[::1/", "memento-datetime": http_date(D2)}
    httpx_mock.add_response(url=TODAY_GATE, status_code=200, headers=headers)
    with pytest.raises(ArchiveError, match="not a URL"):
        harness.run(lambda client: client.timegate(TODAY, URL, D4))
