"""Save Page Now 2 against a mock archive: submit, poll, classify, and keep the secret secret."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import httpx
import pytest
from pytest_httpx import HTTPXMock

import citecheck.archive.save as save
from citecheck.archive.save import SaveClient, SaveCredentials, classify
from citecheck.core.snapshot import ArchiveError, JobStatus, SaveErrorClass, Snapshot, SnapshotSource
from citecheck.net.limits import Limiters
from helpers import FakeTime

WB = "https://wb.test"
SAVE = f"{WB}/save"
JOB = "spn2-0123456789abcdef"
STATUS = f"{WB}/save/status/{JOB}"
SECRET = "s3cr3t-do-not-leak"
KEYS = SaveCredentials("access-abc", SECRET)
URL = "https://example.org/page"

_T = TypeVar("_T")


@pytest.fixture
def fake() -> FakeTime:
    """A fake clock, and fresh limiters on it for the client under test."""
    return FakeTime()


def run(
    make: Callable[[SaveClient], Awaitable[_T]],
    fake: FakeTime,
    credentials: SaveCredentials | None = KEYS,
    **kw: Any,
) -> _T:
    async def go() -> _T:
        async with httpx.AsyncClient() as client:
            spn = SaveClient(
                client,
                wayback_url=WB,
                credentials=credentials,
                sleep=fake.sleep,
                clock=fake.clock,
                limiters=fake.limiters,
                **kw,
            )
            return await make(spn)

    return asyncio.run(go())


def pending_snapshot() -> Snapshot:
    return Snapshot(
        original_url=URL,
        lookup_url=URL,
        archive="ia",
        memento_url=f"{WB}/web/{URL}",
        captured_at=datetime(2024, 1, 1, tzinfo=UTC),
        source=SnapshotSource.SAVE,
        job_id=JOB,
        job_status=JobStatus.PENDING,
    )


# -- credentials -----------------------------------------------------------------------------


def test_credentials_repr_and_str_hide_the_secret() -> None:
    assert SECRET not in repr(KEYS)
    assert SECRET not in str(KEYS)
    assert "access-abc" in repr(KEYS)
    assert KEYS.authorization() == f"LOW access-abc:{SECRET}"


def test_credentials_from_env() -> None:
    env = {save.ACCESS_KEY_ENV: " a ", save.SECRET_KEY_ENV: "b"}
    assert SaveCredentials.from_env(env) == SaveCredentials("a", "b")
    assert SaveCredentials.from_env({save.ACCESS_KEY_ENV: "a"}) is None
    assert SaveCredentials.from_env({save.ACCESS_KEY_ENV: "a", save.SECRET_KEY_ENV: ""}) is None
    assert SaveCredentials.from_env({}) is None


def test_credentials_from_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITECHECK_IA_ACCESS_KEY", "a")
    monkeypatch.setenv("CITECHECK_IA_SECRET_KEY", "b")
    assert SaveCredentials.from_env() == SaveCredentials("a", "b")


def test_no_credentials_is_a_clear_message_and_sends_nothing(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    with pytest.raises(ArchiveError) as caught:
        run(lambda spn: spn.save(URL), fake, credentials=None)
    assert str(caught.value) == (
        "saving needs Internet Archive keys: set CITECHECK_IA_ACCESS_KEY and CITECHECK_IA_SECRET_KEY"
    )
    assert httpx_mock.get_requests() == []
    assert fake.sleeps == []


def test_save_pace_with_and_without_keys(fake: FakeTime) -> None:
    SaveClient(httpx.AsyncClient(), credentials=KEYS, limiters=fake.limiters)
    assert fake.limiters["ia:save"].interval == pytest.approx(12)
    fake.limiters.clear()
    SaveClient(httpx.AsyncClient(), credentials=None, limiters=fake.limiters)
    assert fake.limiters["ia:save"].interval == pytest.approx(20)
    assert "anonymous" in repr(SaveClient(httpx.AsyncClient(), credentials=None, limiters=fake.limiters))


# -- submit ----------------------------------------------------------------------------------


def test_submit_sends_the_documented_request_and_records_a_pending_job(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(method="POST", url=SAVE, json={"url": URL, "job_id": JOB})
    before = datetime.now(UTC)
    snap = run(lambda spn: spn.submit(URL, if_not_archived_within="30d"), fake)
    (request,) = httpx_mock.get_requests()
    assert request.method == "POST"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Authorization"] == f"LOW access-abc:{SECRET}"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qsl(request.content.decode()) == [("url", URL), ("if_not_archived_within", "30d")]
    assert snap.job_id == JOB
    assert snap.job_status is JobStatus.PENDING
    assert snap.source is SnapshotSource.SAVE
    assert snap.archive == "ia"
    assert snap.memento_url == f"{WB}/web/{URL}"
    assert snap.raw_url is None
    assert snap.captured_at >= before
    assert snap.error_class is None


def test_submit_default_if_not_archived_within_is_always_sent(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(method="POST", url=SAVE, json={"url": URL, "job_id": JOB})
    run(lambda spn: spn.submit(URL), fake)
    assert ("if_not_archived_within", "1d") in parse_qsl(httpx_mock.get_requests()[0].content.decode())


@pytest.mark.parametrize(
    ("status_ext", "expected"),
    [
        ("error:too-many-daily-captures", SaveErrorClass.PER_URL_DAILY),
        ("error:user-session-limit", SaveErrorClass.RETRY_LATER),
        ("error:blocked-url", SaveErrorClass.PERMANENT),
        ("error:too-many-requests", SaveErrorClass.RATE_LIMITED),
    ],
)
def test_submit_error_answers_are_classified(
    httpx_mock: HTTPXMock, fake: FakeTime, status_ext: str, expected: SaveErrorClass
) -> None:
    httpx_mock.add_response(
        method="POST", url=SAVE, json={"status": "error", "status_ext": status_ext, "message": "no"}
    )
    snap = run(lambda spn: spn.save(URL), fake)
    assert len(httpx_mock.get_requests()) == 1  # no polling of a job that never started
    assert snap.job_status is JobStatus.ERROR
    assert snap.status_ext == status_ext
    assert snap.error_class is expected
    assert not snap.is_good


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, b'{"message": "You need to be logged in", "status": "error"}', SaveErrorClass.AUTH),
        (403, b"Forbidden", SaveErrorClass.AUTH),
        (400, b"bad", SaveErrorClass.PERMANENT),
        (500, b"oops", SaveErrorClass.RETRY_LATER),
        (200, b"<html>not json</html>", SaveErrorClass.RETRY_LATER),
        (200, b'{"url": "x"}', SaveErrorClass.RETRY_LATER),
    ],
)
def test_submit_http_failures_are_classified(
    httpx_mock: HTTPXMock, fake: FakeTime, status: int, body: bytes, expected: SaveErrorClass
) -> None:
    httpx_mock.add_response(method="POST", url=SAVE, status_code=status, content=body)
    snap = run(lambda spn: spn.submit(URL), fake)
    assert snap.job_status is JobStatus.ERROR
    assert snap.error_class is expected
    assert len(httpx_mock.get_requests()) == 1


def test_submit_429_defers_and_retries(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(method="POST", url=SAVE, status_code=429, headers={"Retry-After": "45"})
    httpx_mock.add_response(method="POST", url=SAVE, json={"url": URL, "job_id": JOB})
    start = fake.now
    snap = run(lambda spn: spn.submit(URL), fake)
    assert snap.job_status is JobStatus.PENDING
    assert len(httpx_mock.get_requests()) == 2
    assert fake.now - start == pytest.approx(45)


def test_submit_stays_rate_limited(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(method="POST", url=SAVE, status_code=429, headers={"Retry-After": "2"}, is_reusable=True)
    snap = run(lambda spn: spn.submit(URL), fake, retries=1)
    assert len(httpx_mock.get_requests()) == 2
    assert snap.error_class is SaveErrorClass.RATE_LIMITED


def test_submit_transport_error_is_not_retried(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("slow"), method="POST", url=SAVE)
    snap = run(lambda spn: spn.submit(URL), fake)
    assert len(httpx_mock.get_requests()) == 1
    assert snap.job_status is JobStatus.ERROR
    assert snap.error_class is SaveErrorClass.RETRY_LATER


# -- poll ------------------------------------------------------------------------------------


def test_save_submits_then_polls_until_success(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(method="POST", url=SAVE, json={"url": URL, "job_id": JOB})
    httpx_mock.add_response(method="GET", url=STATUS, json={"status": "pending", "job_id": JOB})
    httpx_mock.add_response(
        method="GET",
        url=STATUS,
        json={"status": "success", "job_id": JOB, "timestamp": "20240102030405", "original_url": URL},
    )
    snap = run(lambda spn: spn.save(URL), fake)
    assert snap.job_status is JobStatus.SUCCESS
    assert snap.job_id == JOB
    assert snap.captured_at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert snap.timestamp == "20240102030405"
    assert snap.memento_url == f"{WB}/web/20240102030405/{URL}"
    assert snap.raw_url == f"{WB}/web/20240102030405id_/{URL}"
    assert snap.status is None  # not documented in the status answer: a CDX lookup confirms it
    assert snap.error_class is None
    requests = httpx_mock.get_requests()
    assert [r.method for r in requests] == ["POST", "GET", "GET"]
    assert all(r.headers["Authorization"] == f"LOW access-abc:{SECRET}" for r in requests)


def test_poll_backs_off_between_polls(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(url=STATUS, json={"status": "pending"})
    httpx_mock.add_response(url=STATUS, json={"status": "pending"})
    httpx_mock.add_response(url=STATUS, json={"status": "success", "timestamp": "20240102030405"})
    snap = run(lambda spn: spn.poll(pending_snapshot()), fake, poll_interval=4)
    assert snap.job_status is JobStatus.SUCCESS
    assert snap.memento_url == f"{WB}/web/20240102030405/{URL}"  # original_url absent: the lookup URL
    poll_waits = [s for s in fake.sleeps if s > 2]
    assert poll_waits[0] == pytest.approx(4, rel=0.1)
    assert poll_waits[1] == pytest.approx(6, rel=0.1)
    assert poll_waits[2] == pytest.approx(9, rel=0.1)


def test_poll_still_pending_past_the_timeout_stays_pending(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(url=STATUS, json={"status": "pending"}, is_reusable=True)
    pending = pending_snapshot()
    start = fake.now
    snap = run(lambda spn: spn.poll(pending), fake, poll_interval=5, poll_timeout=60)
    assert snap == pending
    assert snap.job_status is JobStatus.PENDING
    assert fake.now - start <= 60
    assert 2 <= len(httpx_mock.get_requests()) <= 6


def test_poll_ends_even_if_the_clock_never_moves(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=STATUS, json={"status": "pending"}, is_reusable=True)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async def go() -> Snapshot:
        async with httpx.AsyncClient() as client:
            limiters = Limiters(pace={"ia:save-status": 6000}, clock=lambda: 0.0, sleep=sleep)
            spn = SaveClient(
                client,
                wayback_url=WB,
                credentials=KEYS,
                sleep=sleep,
                clock=lambda: 0.0,
                poll_timeout=30,
                limiters=limiters,
            )
            return await spn.poll(pending_snapshot())

    assert asyncio.run(go()).job_status is JobStatus.PENDING
    assert len(waits) < 20


@pytest.mark.parametrize(
    ("status_ext", "expected"),
    [
        ("error:not-found", SaveErrorClass.PERMANENT),
        ("error:soft-time-limit-exceeded", SaveErrorClass.RETRY_LATER),
        ("error:too-many-daily-captures", SaveErrorClass.PER_URL_DAILY),
        ("error:unauthorized", SaveErrorClass.PERMANENT),
        ("error:something-new", SaveErrorClass.PERMANENT),
        (None, SaveErrorClass.RETRY_LATER),
    ],
)
def test_poll_error_job(
    httpx_mock: HTTPXMock, fake: FakeTime, status_ext: str | None, expected: SaveErrorClass
) -> None:
    answer: dict[str, Any] = {"status": "error", "message": "capture failed"}
    if status_ext is not None:
        answer["status_ext"] = status_ext
    httpx_mock.add_response(url=STATUS, json=answer)
    snap = run(lambda spn: spn.poll(pending_snapshot()), fake)
    assert snap.job_status is JobStatus.ERROR
    assert snap.status_ext == status_ext
    assert snap.error_class is expected
    assert snap.job_id == JOB


def test_poll_unreachable_status_leaves_the_job_pending(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_exception(httpx.ConnectError("down"), url=STATUS, is_reusable=True)
    snap = run(lambda spn: spn.poll(pending_snapshot()), fake)
    assert snap.job_status is JobStatus.PENDING


def test_poll_busy_then_success(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(url=STATUS, status_code=503, headers={"Retry-After": "3"})
    httpx_mock.add_response(url=STATUS, json={"status": "success", "timestamp": "20240102030405"})
    snap = run(lambda spn: spn.poll(pending_snapshot()), fake)
    assert snap.job_status is JobStatus.SUCCESS


def test_poll_refused_keys_is_auth(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(url=STATUS, status_code=401)
    snap = run(lambda spn: spn.poll(pending_snapshot()), fake)
    assert snap.error_class is SaveErrorClass.AUTH


def test_poll_success_without_timestamp_stays_pending(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(url=STATUS, json={"status": "success"})
    snap = run(lambda spn: spn.poll(pending_snapshot()), fake, poll_interval=5, poll_timeout=6)
    assert snap.job_status is JobStatus.PENDING


def test_poll_leaves_non_pending_records_alone(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    done = Snapshot(
        original_url=URL,
        lookup_url=URL,
        archive="ia",
        memento_url=f"{WB}/web/20240102030405/{URL}",
        captured_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        source=SnapshotSource.CDX,
    )
    assert run(lambda spn: spn.poll(done), fake) is done
    assert httpx_mock.get_requests() == []


# -- classify --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status_ext", "http_status", "expected"),
    [
        ("error:user-session-limit", None, SaveErrorClass.RETRY_LATER),
        ("error:soft-time-limit-exceeded", None, SaveErrorClass.RETRY_LATER),
        ("error:browsing-timeout", None, SaveErrorClass.RETRY_LATER),
        ("error:no-browsers-available", None, SaveErrorClass.RETRY_LATER),
        ("error:celery", None, SaveErrorClass.RETRY_LATER),
        ("error:service-unavailable", None, SaveErrorClass.RETRY_LATER),
        ("error:proxy-error", None, SaveErrorClass.RETRY_LATER),
        ("error:capture-location-error", None, SaveErrorClass.RETRY_LATER),
        ("error:bad-gateway", None, SaveErrorClass.RETRY_LATER),
        ("error:gateway-timeout", None, SaveErrorClass.RETRY_LATER),
        ("error:job-failed", None, SaveErrorClass.RETRY_LATER),
        ("error:too-many-requests", None, SaveErrorClass.RATE_LIMITED),
        ("error:too-many-daily-captures", None, SaveErrorClass.PER_URL_DAILY),
        ("ERROR:Too-Many-Daily-Captures ", None, SaveErrorClass.PER_URL_DAILY),
        ("error:blocked-client-ip", None, SaveErrorClass.AUTH),
        ("error:not-found", None, SaveErrorClass.PERMANENT),
        ("error:blocked-url", None, SaveErrorClass.PERMANENT),
        ("error:blocked", None, SaveErrorClass.PERMANENT),
        ("error:invalid-url-syntax", None, SaveErrorClass.PERMANENT),
        ("error:no-access", None, SaveErrorClass.PERMANENT),
        ("error:unauthorized", None, SaveErrorClass.PERMANENT),
        ("error:too-many-redirects", None, SaveErrorClass.PERMANENT),
        ("error:who-knows", None, SaveErrorClass.PERMANENT),
        (None, 401, SaveErrorClass.AUTH),
        (None, 403, SaveErrorClass.AUTH),
        ("error:who-knows", 403, SaveErrorClass.AUTH),
        (None, 429, SaveErrorClass.RATE_LIMITED),
        (None, 400, SaveErrorClass.PERMANENT),
        (None, 502, SaveErrorClass.RETRY_LATER),
        (None, None, SaveErrorClass.RETRY_LATER),
        ("error:user-session-limit", 429, SaveErrorClass.RETRY_LATER),
    ],
)
def test_classify(status_ext: str | None, http_status: int | None, expected: SaveErrorClass) -> None:
    assert classify(status_ext, http_status) is expected


# -- the secret never leaks ------------------------------------------------------------------


def test_secret_never_in_reprs_errors_snapshots_or_logs(
    httpx_mock: HTTPXMock, fake: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    httpx_mock.add_response(method="POST", url=SAVE, json={"url": URL, "job_id": JOB})
    httpx_mock.add_response(url=STATUS, json={"status": "error", "status_ext": "error:not-found"})
    httpx_mock.add_response(method="POST", url=SAVE, status_code=401, json={"status": "error"})
    httpx_mock.add_exception(httpx.ConnectError("down"), method="POST", url=SAVE)

    async def go(spn: SaveClient) -> list[Any]:
        seen: list[Any] = [spn, await spn.save(URL), await spn.submit(URL), await spn.submit(URL)]
        return seen

    seen = run(go, fake)
    for thing in seen:
        assert SECRET not in repr(thing)
        assert SECRET not in str(thing)
        if isinstance(thing, Snapshot):
            assert SECRET not in str(thing.to_dict())
    assert SECRET not in caplog.text
    assert "submitted" in caplog.text  # logging did happen, without the secret
    # And a refused-keys error raised from the no-keys path names no secret either.
    with pytest.raises(ArchiveError) as caught:
        run(lambda spn: spn.submit(URL), fake, credentials=None)
    assert SECRET not in repr(caught.value)
