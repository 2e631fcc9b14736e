"""The archive stage from Python: settings and the environment, errors, lookup_many, aware dates (#12)."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from pytest_httpx import HTTPXMock

from citecheck import CitecheckError
from citecheck.archive import ArchiveError, Archiver, AsyncArchiver
from citecheck.archive.archiver import ArchiveSettings
from citecheck.core.errors import ConfigError
from citecheck.net.limits import Limiters

pytestmark = pytest.mark.httpx_mock(assert_all_responses_were_requested=False, can_send_already_matched_responses=True)

WAYBACK = "https://wayback.test"
CDX = re.compile(r"https://wayback\.test/cdx/search/cdx\?.*")
HEADER = ["timestamp", "original", "statuscode", "mimetype", "digest", "length"]
KEYS = {"CITECHECK_IA_ACCESS_KEY": "access", "CITECHECK_IA_SECRET_KEY": "secret"}


async def _no_sleep(_: float) -> None:
    return None


def test_settings_from_env_read_the_keys_and_endpoints_like_the_cli() -> None:
    env = {**KEYS, "CITECHECK_WAYBACK_URL": "http://127.0.0.1:8080/"}
    settings = ArchiveSettings.from_env(env, cdx_per_minute=12)
    assert settings.credentials is not None
    assert settings.credentials.access_key == "access"
    assert settings.wayback_url == "http://127.0.0.1:8080"
    assert settings.cdx_per_minute == 12
    assert settings == ArchiveSettings.from_table({"cdx_per_minute": 12}, env=env)
    assert ArchiveSettings.from_env({}).credentials is None


def test_an_archiver_without_settings_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)

    async def go() -> ArchiveSettings:
        async with AsyncArchiver(limiters=Limiters()) as archiver:
            return archiver.settings

    settings = asyncio.run(go())
    assert settings.credentials is not None
    assert settings.credentials.secret_key == "secret"


def test_archive_error_is_a_citecheck_error() -> None:
    assert issubclass(ArchiveError, CitecheckError)
    assert ArchiveError("x").exit_code == 2


def test_a_naive_access_date_is_refused_clearly() -> None:
    async def go() -> None:
        async with AsyncArchiver(ArchiveSettings(wayback_url=WAYBACK), limiters=Limiters()) as archiver:
            await archiver.lookup("https://example.org/a", at=datetime(2024, 5, 1))

    with pytest.raises(ValueError, match="timezone-aware"):
        asyncio.run(go())
    with Archiver(ArchiveSettings(wayback_url=WAYBACK), limiters=Limiters()) as archiver:
        with pytest.raises(ValueError, match="timezone-aware"):
            archiver.lookup_many(["https://example.org/a"], at=datetime(2024, 5, 1))
        with pytest.raises(TypeError, match="datetime"):
            archiver.lookup("https://example.org/a", at="2024-05-01")  # type: ignore[arg-type]


def test_lookup_many_on_both_archivers(httpx_mock: HTTPXMock) -> None:
    def rows(url: str) -> bytes:
        if url.endswith("/none"):
            return b"[]"
        return json.dumps([HEADER, ["20240101000000", url, "200", "text/html", "D", "1"]]).encode()

    httpx_mock.add_callback(lambda request: httpx.Response(200, content=rows(request.url.params["url"])), url=CDX)
    urls = ["https://example.org/a", "https://example.org/none", "https://example.org/b"]
    at = datetime(2024, 6, 1, 2, tzinfo=timezone(timedelta(hours=2)))  # any zone: it is an instant

    async def go() -> list[str | None]:
        async with AsyncArchiver(
            ArchiveSettings(wayback_url=WAYBACK), sleep=_no_sleep, limiters=Limiters()
        ) as archiver:
            return [None if s is None else s.timestamp for s in await archiver.lookup_many(urls, at=at)]

    assert asyncio.run(go()) == ["20240101000000", None, "20240101000000"]
    with Archiver(ArchiveSettings(wayback_url=WAYBACK), sleep=_no_sleep, limiters=Limiters()) as archiver:
        found = archiver.lookup_many(urls, at=at.astimezone(UTC))
    assert [None if s is None else s.lookup_url for s in found] == [urls[0], None, urls[2]]


def test_if_not_archived_within_is_a_duration_setting() -> None:
    assert ArchiveSettings().if_not_archived_within == timedelta(days=30)
    assert ArchiveSettings.from_table({"if_not_archived_within": "12h"}, env={}).if_not_archived_within == timedelta(
        hours=12
    )
    assert ArchiveSettings.from_table({"if_not_archived_within": "1w 2d"}, env={}).if_not_archived_within == timedelta(
        days=9
    )
    assert ArchiveSettings.from_table({"if_not_archived_within": 3600}, env={}).if_not_archived_within == timedelta(
        hours=1
    )
    for wrong in ("soon", "30x", "-1d", -5, True, "d"):
        with pytest.raises(ConfigError, match="if_not_archived_within"):
            ArchiveSettings.from_table({"if_not_archived_within": wrong}, env={})


@pytest.mark.parametrize("text", ["30d", "1d 12h", "1h 30m", "45s", "2d 3h 4m 5s"])
def test_durations_read_back_as_written(text: str) -> None:
    from citecheck.core.values import format_duration, parse_duration

    assert format_duration(parse_duration(text, "x")) == text


def test_a_pipeline_source_needs_an_aware_access_date() -> None:
    from citecheck.fix.documents import Document
    from citecheck.pipeline.session import Source

    with pytest.raises(ValueError, match="timezone-aware"):
        Source(Document(path="a.txt", text=""), "text", datetime(2024, 5, 1))
    assert Source(Document(path="a.txt", text=""), "text", datetime(2024, 5, 1, tzinfo=UTC)).read_at.year == 2024
