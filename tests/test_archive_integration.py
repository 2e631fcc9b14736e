"""The archive stage against fake archives on 127.0.0.1: real sockets, real rate limiters.

Host 0 of a :class:`FakeWeb` plays the Internet Archive (CDX, availability, Save Page Now 2 and
raw ``id_`` captures), host 1 a Memento archive (TimeMaps). The tests read the server's request
log to check that the archiver is polite: one query per URL however many callers ask, the pace
and Retry-After honoured, a bounded number of requests, keys sent and never logged.

Most tests use fast limiters (10 ms apart) so they take no time; the pacing tests use slow
ones on purpose and measure the spacing between arrivals with ``time.monotonic``. Each archiver
gets its own limiters (its ``limiters=`` seam), so no test inherits another's pace or embargo.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gzip
import hashlib
import io
import itertools
import json
import logging
import socket
import time
import traceback
from collections.abc import Coroutine, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs

import pytest

from citecheck.archive.archiver import ArchiveSettings, AsyncArchiver, payload_digest
from citecheck.archive.memento import MementoArchive
from citecheck.archive.save import SaveCredentials
from citecheck.archive.wayback import archive_request
from citecheck.cli.archive import archive_command
from citecheck.core.snapshot import ArchiveError, JobStatus, SaveErrorClass, Snapshot, SnapshotSource
from citecheck.net.limits import Limiters, RateLimiter, reset_limiters
from citecheck.net.retry import RetryPolicy, never
from citecheck.store.sqlite import Store
from fakeweb import (
    FakeWeb,
    Handler,
    Request,
    Response,
    empty_reply,
    fail_first,
    ok,
    redirect,
    service_unavailable,
    status,
)

_T = TypeVar("_T")

#: Requests a minute for limiters that should not slow a test down: 10 ms apart.
FAST = 6000.0
AT = datetime(2024, 6, 1, tzinfo=UTC)
HEADER = ["timestamp", "original", "statuscode", "mimetype", "digest", "length"]
JSON = "application/json"
LINK_FORMAT = "application/link-format"
MEMENTO = "fake-memento"


async def _no_jitter(_: float) -> None:
    """Replaces the archiver's jitter and poll sleeps; the limiters keep their real clock."""


def run(coroutine: Coroutine[Any, Any, _T]) -> _T:
    return asyncio.run(coroutine)


def sha1_base32(data: bytes) -> str:
    """The CDX digest form, computed here independently of the code under test."""
    return base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def timed(handler: Handler, arrivals: list[float]) -> Handler:
    """``handler``, recording when each request arrived (``time.monotonic``)."""

    async def wrapper(request: Request) -> Response:
        arrivals.append(time.monotonic())
        return await handler(request)

    return wrapper


def _answer(code: int, body: str | bytes, content_type: str, headers: list[tuple[str, str]] | None = None) -> Response:
    data = body.encode() if isinstance(body, str) else body
    return Response(code, [("Content-Type", content_type), *(headers or [])], data)


class FakeArchives:
    """The Internet Archive (host 0) and a Memento archive (host 1) on one :class:`FakeWeb`.

    ``captures[url]`` are CDX rows (without the header), ``timemaps[url]`` TimeMap bodies,
    ``raw[path]`` the bodies of raw captures (with extra headers). ``cdx`` and ``timemap``
    are the handlers in use, so a test can wrap them (``timed``, ``fail_first``).
    """

    def __init__(self, web: FakeWeb) -> None:
        self.web = web
        self.captures: dict[str, list[list[str]]] = {}
        self.timemaps: dict[str, str] = {}
        self.raw: dict[str, tuple[bytes, list[tuple[str, str]]]] = {}
        self.cdx: Handler = self.cdx_answer
        self.timemap: Handler = self.timemap_answer
        web.fallback(self.internet_archive, host=0)
        web.fallback(self.memento_archive, host=1)

    # -- what the archives hold -------------------------------------------------------------

    def capture(self, url: str, timestamp: str, body: bytes, *, digest: str | None = None) -> str:
        """A 200 capture of ``url`` in the CDX index, its raw bytes served; returns the raw path."""
        row = [timestamp, url, "200", "text/html", digest or sha1_base32(body), str(len(body))]
        self.captures.setdefault(url, []).append(row)
        path = f"/web/{timestamp}id_/{url}"
        self.raw[path] = (body, [])
        return path

    def memento_capture(self, url: str, timestamp: str, when: str) -> None:
        self.timemaps[url] = (
            f'<{url}>; rel="original",\n<{self.web.url(1, f"/m/{timestamp}/{url}")}>; '
            f'rel="memento"; datetime="{when}"\n'
        )

    # -- handlers ---------------------------------------------------------------------------

    async def cdx_answer(self, request: Request) -> Response:
        url = parse_qs(request.query)["url"][0]
        rows = self.captures.get(url, [])
        return _answer(200, json.dumps([HEADER, *rows]) if rows else "[]", JSON)

    async def timemap_answer(self, request: Request) -> Response:
        url = request.target.removeprefix("/timemap/link/")
        if url not in self.timemaps:
            return _answer(404, "no captures", "text/plain")
        return _answer(200, self.timemaps[url], LINK_FORMAT)

    async def internet_archive(self, request: Request) -> Response:
        if request.path == "/cdx/search/cdx":
            return await self.cdx(request)
        if request.path == "/wayback/available":
            url = parse_qs(request.query)["url"][0]
            rows = self.captures.get(url)
            if not rows:
                return _answer(200, json.dumps({"url": url, "archived_snapshots": {}}), JSON)
            ts = rows[-1][0]
            closest = {
                "available": True,
                "status": "200",
                "timestamp": ts,
                "url": f"http://web.archive.org/web/{ts}/{url}",
            }
            return _answer(200, json.dumps({"url": url, "archived_snapshots": {"closest": closest}}), JSON)
        if request.target in self.raw:
            body, headers = self.raw[request.target]
            return _answer(200, body, "text/html", headers)
        return _answer(404, "not archived", "text/plain")

    async def memento_archive(self, request: Request) -> Response:
        if request.path.startswith("/timemap/"):
            return await self.timemap(request)
        return _answer(404, "no such memento", "text/plain")

    # -- the request log --------------------------------------------------------------------

    def requests_to(self, host: int, prefix: str) -> list[str]:
        return [seen.path for seen in self.web.hosts[host].seen if seen.path.startswith(prefix)]


# Named apart from what they register as, so the archive test modules that import them
# (test_archive_dates, test_archive_save_policy) take the same fixtures without shadowing them.
@pytest.fixture(name="web")
def web_fixture() -> Iterator[FakeWeb]:
    """Two fake hosts: 0 plays the archives, 1 the live web."""
    with FakeWeb.threaded(hosts=2) as server:
        yield server


@pytest.fixture(name="archives")
def archives_fixture(web: FakeWeb) -> FakeArchives:
    return FakeArchives(web)


def settings(web: FakeWeb, *, memento: bool = True, **overrides: Any) -> ArchiveSettings:
    values: dict[str, Any] = {
        "wayback_url": web.url(0, "/").rstrip("/"),
        "availability_url": web.url(0, "/wayback/available"),
        "memento": (MementoArchive(name=MEMENTO, timemap=web.url(1, "/timemap/link/")),) if memento else (),
        "cdx_per_minute": FAST,
        "timemap_per_minute": FAST,
        "availability_per_second": FAST / 60,
        "save_per_minute": FAST,
        "verify_per_minute": FAST,
        "timeout": 10.0,
    }
    values.update(overrides)
    return ArchiveSettings(**values)


def fast_limiters() -> Limiters:
    """Fresh limiters; Save Page Now's status polls (no setting: one a second) made fast too."""
    return Limiters(pace={"ia:save-status": FAST})


def archiver(
    web: FakeWeb, *, store: Store | None = None, limiters: Limiters | None = None, **overrides: Any
) -> AsyncArchiver:
    """Call inside the event loop that uses it (the client binds to it)."""
    return AsyncArchiver(
        settings(web, **overrides), store=store, sleep=_no_jitter, limiters=limiters or fast_limiters()
    )


# -- one query per URL ------------------------------------------------------------------------


def test_concurrent_lookups_of_one_url_ask_each_archive_once(web: FakeWeb, archives: FakeArchives) -> None:
    url = "https://example.org/popular"
    archives.capture(url, "20240501000000", b"<p>popular</p>")
    archives.memento_capture(url, "20240401000000", "Mon, 01 Apr 2024 00:00:00 GMT")

    async def go() -> list[Snapshot | None]:
        async with archiver(web) as a:
            return list(await asyncio.gather(*(a.lookup(url, at=AT) for _ in range(10))))

    found = run(go())
    assert len(found) == 10
    assert all(s is not None and s.archive == "ia" and s.timestamp == "20240501000000" for s in found)
    assert len(archives.requests_to(0, "/cdx/search/cdx")) == 1
    assert archives.requests_to(1, "/timemap/") == [f"/timemap/link/{url}"]
    assert web.errors == []


def test_availability_answers_are_rebuilt_on_the_configured_endpoint(web: FakeWeb, archives: FakeArchives) -> None:
    url = "https://example.org/avail"
    archives.capture(url, "20240301000000", b"x")

    async def go() -> tuple[Snapshot | None, Snapshot | None]:
        async with archiver(web) as a:
            return await a.wayback.available(url, at=AT), await a.wayback.available("https://example.org/none")

    found, unknown = run(go())
    assert found is not None
    assert found.source is SnapshotSource.AVAILABILITY
    assert found.memento_url == f"{web.url(0, '/web/20240301000000/')}{url}"
    assert unknown is None  # an empty answer is "unknown", and the archiver never relies on it


# -- Retry-After, 503 and the pace --------------------------------------------------------------


def test_retry_after_is_waited_out_before_asking_again(web: FakeWeb, archives: FakeArchives) -> None:
    url = "https://example.org/busy"
    archives.capture(url, "20240501000000", b"busy")
    arrivals: list[float] = []
    archives.cdx = timed(fail_first(1, archives.cdx_answer, code=429, retry_after=1), arrivals)

    async def go() -> Snapshot | None:
        async with archiver(web, memento=False) as a:
            return await a.lookup(url, at=AT)

    found = run(go())
    assert found is not None
    assert found.timestamp == "20240501000000"
    assert len(arrivals) == 2
    assert arrivals[1] - arrivals[0] >= 1.0  # the jitter is off: this wait is the limiter's


def test_503_without_retry_after_embargoes_the_endpoint_for_a_minute(web: FakeWeb, archives: FakeArchives) -> None:
    archives.cdx = service_unavailable()  # no Retry-After: the 60 s default applies

    limiters = fast_limiters()

    async def go() -> tuple[float, int, int]:
        async with archiver(web, memento=False, limiters=limiters) as a:
            first = asyncio.create_task(a.lookup("https://example.org/one", at=AT))
            limiter = limiters["ia:cdx"]
            deadline = time.monotonic() + 5
            while limiter.next_start - time.monotonic() < 50 and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            embargo = limiter.next_start - time.monotonic()
            asked = len(archives.requests_to(0, "/cdx/"))
            # Another URL during the embargo: it waits too, nothing reaches the archive.
            second = asyncio.create_task(a.lookup("https://example.org/two", at=AT))
            await asyncio.sleep(0.3)
            asked_later = len(archives.requests_to(0, "/cdx/"))
            # Stop waiting out the minute: cancel the callers and the shared lookups they await.
            others = asyncio.all_tasks() - {asyncio.current_task()}
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)
            assert first.cancelled()
            assert second.cancelled()
            return embargo, asked, asked_later

    embargo, asked, asked_later = run(go())
    assert embargo >= 59
    assert asked == 1
    assert asked_later == 1


def test_requests_are_spaced_at_the_configured_pace(web: FakeWeb, archives: FakeArchives) -> None:
    arrivals: list[float] = []
    archives.cdx = timed(archives.cdx_answer, arrivals)
    urls = [f"https://example.org/paced/{n}" for n in range(3)]
    for url in urls:
        archives.capture(url, "20240501000000", url.encode())

    async def go() -> list[Snapshot | None]:
        async with archiver(web, memento=False, cdx_per_minute=120) as a:  # one every 0.5 s
            return list(await asyncio.gather(*(a.lookup(url, at=AT) for url in urls)))

    assert all(s is not None for s in run(go()))
    assert len(arrivals) == 3
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert all(gap >= 0.45 for gap in gaps), gaps


# -- bounded work -------------------------------------------------------------------------------


def test_an_endless_timemap_stops_at_max_pages(
    web: FakeWeb, archives: FakeArchives, caplog: pytest.LogCaptureFixture
) -> None:
    url = "https://example.org/endless"

    async def page(request: Request) -> Response:
        # Every page lists one memento and links to the next page: the archive never says "done".
        number = int(request.path.split("/")[3]) if request.path.startswith("/timemap/page/") else 1
        memento = web.url(1, f"/m/202401{number:02d}000000/{url}")
        following = web.url(1, f"/timemap/page/{number + 1}/{url}")
        body = (
            f'<{url}>; rel="original",\n'
            f'<{memento}>; rel="memento"; datetime="{number:02d} Jan 2024 00:00:00 GMT",\n'
            f'<{following}>; rel="next"; type="application/link-format"\n'
        )
        return _answer(200, body, LINK_FORMAT)

    archives.timemap = page
    caplog.set_level(logging.WARNING, logger="citecheck")

    async def go() -> Snapshot | None:
        async with archiver(web) as a:
            return await a.lookup(url, at=AT)

    found = run(go())
    assert len(archives.requests_to(1, "/timemap/")) == 20  # MementoClient.timemap's max_pages
    assert len(archives.requests_to(0, "/cdx/")) == 1
    assert found is not None
    assert found.archive == MEMENTO
    assert "stopped after 20 pages" in caplog.text


# -- Save Page Now 2 ------------------------------------------------------------------------------


def _spn2(web: FakeWeb, job: str, statuses: list[dict[str, Any]]) -> list[Request]:
    """Route ``/save`` (answering ``job``) and its status (``statuses`` in turn, the last repeated)."""
    seen: list[Request] = []

    async def submit(request: Request) -> Response:
        seen.append(request)
        url = parse_qs(request.body.decode())["url"][0]
        return _answer(200, json.dumps({"url": url, "job_id": job}), JSON)

    answers = iter(statuses)
    last: dict[str, Any] = statuses[-1]

    async def poll(request: Request) -> Response:
        seen.append(request)
        return _answer(200, json.dumps(next(answers, last)), JSON)

    web.route("/save", submit, host=0)
    web.route(f"/save/status/{job}", poll, host=0)
    return seen


def test_save_page_now_submits_with_keys_and_polls_until_success(
    web: FakeWeb, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: ours, httpx's, httpcore's
    url = "https://example.org/new?utm_source=feed"
    seen = _spn2(
        web,
        "spn2-abc",
        [
            {"status": "pending"},
            {"status": "pending"},
            {"status": "success", "timestamp": "20240601120000", "original_url": "https://example.org/new"},
            {"status": "success", "timestamp": "20240601120000", "original_url": "https://example.org/new"},
        ],
    )
    keys = SaveCredentials(access_key="a", secret_key="s")

    async def go() -> Snapshot:
        async with archiver(web, credentials=keys) as a:
            a.saver.poll_interval = 0.01
            return await a.save(url)

    saved = run(go())
    assert saved.job_status is JobStatus.SUCCESS
    assert saved.job_id == "spn2-abc"
    assert saved.memento_url == web.url(0, "/web/20240601120000/https://example.org/new")
    assert saved.original_url == url
    submit, *polls = seen
    assert (submit.method, submit.path) == ("POST", "/save")
    form = parse_qs(submit.body.decode())
    assert form["url"] == ["https://example.org/new"]  # the cleaned URL
    assert form["if_not_archived_within"] == ["30d"]  # the setting's default
    assert [(p.method, p.path) for p in polls] == [("GET", "/save/status/spn2-abc")] * 3  # stops at success
    assert {r.headers["authorization"] for r in seen} == {"LOW a:s"}
    assert "submitted" in caplog.text  # there was logging, and none of it shows the keys
    assert "a:s" not in caplog.text
    assert "LOW" not in caplog.text


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_the_secret_key_never_reaches_logs_records_or_errors(web: FakeWeb, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "s3cr3t-SENTINEL-7q9"
    keys = SaveCredentials(access_key="access-x", secret_key=secret)
    # Job 1: submit refused once (429), then status 500, 503, then a classified error.
    job = '{"url": "https://example.org/leak", "job_id": "spn2-leak"}'
    web.route("/save", fail_first(1, status(200, job, content_type=JSON), code=429, retry_after=0), host=0)
    statuses = iter(
        [
            status(500, "oops"),
            service_unavailable(0),
            status(200, '{"status": "error", "status_ext": "error:too-many-daily-captures"}', content_type=JSON),
        ]
    )

    async def poll(request: Request) -> Response:
        return await next(statuses)(request)

    web.route("/save/status/spn2-leak", poll, host=0)
    texts: list[str] = []

    async def go() -> list[Snapshot]:
        results = []
        async with archiver(web, credentials=keys) as a:
            a.saver.poll_interval = 0.01
            texts.extend([repr(a.settings), repr(a.saver), repr(keys), str(keys)])
            results.append(await a.save("https://example.org/leak"))
        # Job 2: SPN hangs up without answering. Job 3: nothing listens at all.
        dropped = FakeWeb(1, fallback=empty_reply())
        async with dropped, archiver(dropped, memento=False, credentials=keys) as a:
            results.append(await a.save("https://example.org/dropped"))
        closed = f"http://127.0.0.1:{_closed_port()}"
        closed_settings = ArchiveSettings(wayback_url=closed, credentials=keys)
        async with AsyncArchiver(closed_settings, sleep=_no_jitter, limiters=fast_limiters()) as a:
            results.append(await a.save("https://example.org/closed"))
            # The shared request helper raises for an unreachable archive: what does the error say?
            with pytest.raises(ArchiveError) as raised:
                await archive_request(
                    a.client,
                    RateLimiter(FAST),
                    "POST",
                    f"{closed}/save",
                    what="Save Page Now",
                    policy=RetryPolicy(retry_on=never),
                    headers={"Authorization": keys.authorization()},
                )
            texts.append("".join(traceback.format_exception(raised.value)))
            texts.extend([str(raised.value), repr(raised.value), repr(raised.value.__context__)])
        return results

    leaked, dropped_job, closed_job = run(go())
    assert leaked.error_class is SaveErrorClass.PER_URL_DAILY
    assert dropped_job.job_status is JobStatus.ERROR
    assert closed_job.job_status is JobStatus.ERROR
    texts.extend(json.dumps(s.to_dict()) + repr(s) for s in (leaked, dropped_job, closed_job))
    texts.append(caplog.text)
    texts.extend("".join(traceback.format_exception(*record.exc_info)) for record in caplog.records if record.exc_info)
    assert "not submitted" in caplog.text  # the failures were logged...
    for text in texts:
        assert secret not in text  # ...and nothing anywhere shows the secret


# -- verification ---------------------------------------------------------------------------------


def test_verify_records_the_payload_digest_of_the_raw_capture(
    web: FakeWeb, archives: FakeArchives, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = "https://example.org/article"
    body = b"<html><body>The article as it was cited.</body></html>\n" * 50
    raw_path = archives.capture(url, "20240501000000", body)
    caplog.set_level(logging.INFO, logger="citecheck")

    async def go(store: Store) -> tuple[Snapshot, Snapshot]:
        async with archiver(web, store=store) as a:
            found = await a.lookup(url, at=AT)
            assert found is not None
            return found, await a.verify(replace(found, digest=None))

    with Store.open(tmp_path / "s.sqlite3") as store:
        found, verified = run(go(store))
        assert verified.digest == sha1_base32(body) == payload_digest(body)
        assert len(verified.digest) == 32
        assert found.digest == verified.digest  # the fake CDX told the truth
        # The verified record is what the store now answers.
        _, record = store.latest_snapshot(
            url, max_age=ArchiveSettings().max_age, negative_max_age=ArchiveSettings().negative_max_age
        )
        assert record is not None
        assert record["digest"] == sha1_base32(body)
    (fetch,) = [s for s in web.hosts[0].seen if s.path == raw_path]
    assert fetch.method == "GET"
    assert fetch.headers["accept-encoding"] == "identity"
    assert "WARNING" not in caplog.text


def test_verify_keeps_the_computed_digest_when_the_index_disagrees(
    web: FakeWeb, archives: FakeArchives, caplog: pytest.LogCaptureFixture
) -> None:
    url = "https://example.org/changed"
    body = b"what the archive serves today"
    wrong = sha1_base32(b"what the index says it holds")
    archives.capture(url, "20240501000000", body, digest=wrong)
    caplog.set_level(logging.WARNING, logger="citecheck")

    async def go() -> tuple[Snapshot, Snapshot]:
        async with archiver(web) as a:
            found = await a.lookup(url, at=AT)
            assert found is not None
            return found, await a.verify(found)

    found, verified = run(go())
    assert found.digest == wrong
    assert verified.digest == sha1_base32(body)
    assert wrong in caplog.text
    assert sha1_base32(body) in caplog.text


def test_verify_hashes_the_payload_as_served_without_decoding_it(web: FakeWeb, archives: FakeArchives) -> None:
    url = "https://example.org/gzipped"
    plain = b"<p>compressed at capture time</p>" * 100
    packed = gzip.compress(plain, mtime=0)
    path = archives.capture(url, "20240501000000", packed)
    archives.raw[path] = (packed, [("Content-Encoding", "gzip")])

    async def go() -> Snapshot:
        async with archiver(web) as a:
            found = await a.lookup(url, at=AT)
            assert found is not None
            return await a.verify(found)

    verified = run(go())
    assert verified.digest == sha1_base32(packed)  # the WARC payload: content encoding kept
    assert verified.digest != sha1_base32(plain)


def test_verify_uses_the_memento_url_when_there_is_no_raw_url(web: FakeWeb, archives: FakeArchives) -> None:
    url = "https://example.org/elsewhere"
    archives.memento_capture(url, "20240401000000", "Mon, 01 Apr 2024 00:00:00 GMT")
    body = b"<p>a replay page</p>"

    async def replay(request: Request) -> Response:
        return _answer(200, body, "text/html")

    web.route(f"/m/20240401000000/{url}", replay, host=1)

    async def go() -> Snapshot:
        async with archiver(web) as a:
            found = await a.lookup(url, at=AT)
            assert found is not None
            assert found.raw_url is None
            return await a.verify(found)

    verified = run(go())
    assert verified.archive == MEMENTO
    assert verified.digest == sha1_base32(body)


def test_verify_leaves_the_snapshot_unchanged_when_the_capture_cannot_be_read(
    web: FakeWeb, archives: FakeArchives
) -> None:
    urls = {name: f"https://example.org/{name}" for name in ("gone", "big", "slow", "refused", "busy")}
    for url in urls.values():
        archives.capture(url, "20240501000000", b"0123456789" * 10)
    del archives.raw[f"/web/20240501000000id_/{urls['gone']}"]  # 404

    async def slow(request: Request) -> Response:
        await asyncio.sleep(2)
        return _answer(200, b"late", "text/html")

    web.route(f"/web/20240501000000id_/{urls['slow']}", slow, host=0)
    web.route(f"/web/20240501000000id_/{urls['busy']}", service_unavailable(30), host=0)

    limiters = fast_limiters()

    async def go() -> dict[str, tuple[Snapshot, Snapshot]]:
        results: dict[str, tuple[Snapshot, Snapshot]] = {}
        async with archiver(web, timeout=0.3, limiters=limiters) as a:
            for name, url in urls.items():
                found = await a.lookup(url, at=AT)
                assert found is not None
                if name == "refused":
                    found = replace(found, raw_url=f"http://127.0.0.1:{_closed_port()}/web/x")
                results[name] = found, await a.verify(found, max_bytes=50 if name == "big" else 10_000)
        return results

    started = time.monotonic()
    results = run(go())
    assert time.monotonic() - started < 3  # the slow capture was given up after the 0.3 s read timeout
    for name, (found, verified) in results.items():
        assert verified is found, name
    # The 503 pushed the replay pace of the archive past its Retry-After.
    assert limiters["replay:ia"].next_start - time.monotonic() > 20


def test_verify_skips_captures_that_do_not_exist_yet(web: FakeWeb) -> None:
    pending = Snapshot(
        original_url="https://example.org/p",
        lookup_url="https://example.org/p",
        archive="ia",
        memento_url=web.url(0, "/web/https://example.org/p"),
        captured_at=AT,
        source=SnapshotSource.SAVE,
        job_id="spn2-p",
        job_status=JobStatus.PENDING,
    )

    async def go() -> Snapshot:
        async with archiver(web) as a:
            return await a.verify(pending)

    assert run(go()) is pending
    assert web.hosts[0].requests == 0


def test_archive_command_verify_flag(
    web: FakeWeb, archives: FakeArchives, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = "https://example.org/cli"
    body = b"<p>cited from the command line</p>"
    archives.capture(url, "20240501000000", body, digest="NOT" + "A" * 29)
    monkeypatch.setenv("CITECHECK_WAYBACK_URL", web.url(0, "/").rstrip("/"))
    config = tmp_path / "citecheck.toml"  # fast paces, so the configured 24 a minute does not slow the test
    config.write_text(f"[archive]\ncdx_per_minute = {FAST}\nverify_per_minute = {FAST}\n", "utf-8")

    def command(output: str, *, verify: bool | None) -> str:
        args = argparse.Namespace(
            targets=[url, "https://example.org/none"],
            save=False,
            access_date="2024-06-01",
            format=output,
            store=None,
            no_store=True,
            config=str(config),
            isolated=False,
        )
        if verify is not None:
            args.verify = verify  # the flag citecheck.cli's parser adds
        reset_limiters()  # the command uses the process-wide limiters: none left from another test
        out = io.StringIO()
        assert archive_command(args, out) == 0
        return out.getvalue()

    text = command("text", verify=True)
    assert f"verified: payload digest sha1:{sha1_base32(body)}" in text
    document = json.loads(command("json", verify=True))
    found, missing = document["snapshots"]
    assert found["verified"] is True
    assert found["record"]["digest"] == sha1_base32(body)
    assert missing["verified"] is None
    # Without the flag (or with a parser that does not know it) nothing is fetched or added.
    before = len(archives.requests_to(0, "/web/"))
    plain = json.loads(command("json", verify=None))
    assert "verified" not in plain["snapshots"][0]
    assert plain["snapshots"][0]["record"]["digest"] == "NOT" + "A" * 29
    assert "verified" not in command("text", verify=False)
    assert len(archives.requests_to(0, "/web/")) == before


def test_the_address_guard_covers_everything_but_the_configured_endpoints(
    web: FakeWeb, caplog: pytest.LogCaptureFixture
) -> None:
    """A capture that redirects to the cloud metadata address is refused before any connection."""
    web.route("/web/20200101000000id_/https://example.org/", redirect("http://169.254.169.254/latest/meta-data/"))
    web.route("/web/20200101000000id_/https://example.org/ok", ok("the capture", "text/html"))
    base = web.url(0, "/").rstrip("/")

    def capture(path: str) -> Snapshot:
        return Snapshot(
            original_url=f"https://example.org/{path}",
            lookup_url=f"https://example.org/{path}",
            archive="ia",
            memento_url=f"{base}/web/20200101000000/https://example.org/{path}",
            raw_url=f"{base}/web/20200101000000id_/https://example.org/{path}",
            captured_at=datetime(2020, 1, 1, tzinfo=UTC),
            status=200,
            source=SnapshotSource.CDX,
        )

    async def scenario() -> tuple[Snapshot, Snapshot]:
        async with archiver(web) as client:
            return await client.verify(capture("")), await client.verify(capture("ok"))

    with caplog.at_level(logging.INFO, logger="citecheck.archive.archiver"):
        refused, verified = run(scenario())
    assert refused.digest is None  # left unverified...
    assert "AddressRefused" in caplog.text  # ...because the guard refused the redirect's target
    assert verified.digest == sha1_base32(b"the capture")  # the configured endpoint itself is trusted
