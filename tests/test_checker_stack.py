"""The checker's HTTP stack: extra headers, and no silent loss of the address guard with a caller's client."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from citecheck.check import AsyncLinkChecker, LinkChecker, NetworkOptions
from citecheck.core.config import load_config
from citecheck.core.errors import ConfigError, UsageError
from citecheck.core.verdicts import Verdict
from citecheck.net.aiotransport import GuardedAiohttpTransport
from citecheck.net.guard import AddressPolicy, safe_transport
from fakeweb import FakeWeb, ok

LOCAL = ("127.0.0.0/8",)


# -- headers ---------------------------------------------------------------------------------


def test_headers_reach_the_server_and_win_over_citecheck_s_own() -> None:
    async def go() -> dict[str, str]:
        async with FakeWeb(routes={"/a": ok("x", "application/pdf")}) as web:
            options = NetworkOptions(
                allow_networks=LOCAL, headers=(("Accept-Language", "de"), ("User-Agent", "NewsroomBot/2"))
            )
            async with AsyncLinkChecker(options) as checker:
                result = await checker.check(web.url(0, "/a"))
            assert result.verdict is Verdict.OK
            (seen,) = web.hosts[0].seen
            return {k.lower(): v for k, v in seen.headers.items()}

    headers = asyncio.run(go())
    assert headers["accept-language"] == "de"
    assert headers["user-agent"] == "NewsroomBot/2"
    assert headers["accept"] == "*/*"
    assert headers["accept-encoding"] == "gzip, deflate"  # what exchange() decodes, whatever is installed


def test_headers_from_the_configuration_file(tmp_path: Path) -> None:
    config = tmp_path / "citecheck.toml"
    config.write_text('headers = { Accept-Language = "en-GB", "X-Archive" = " yes " }\n')
    assert load_config(config).headers == (("Accept-Language", "en-GB"), ("X-Archive", "yes"))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('headers = { "Bad Name" = "x" }', "not a header name"),
        ('headers = { Host = "evil.example" }', "set by citecheck itself"),
        ('headers = { Content-Length = "0" }', "set by citecheck itself"),
        ('headers = { Accept-Encoding = "br" }', "set by citecheck itself"),
        ('headers = { X-A = "one\\r\\nX-B: two" }', "line break"),
        ("headers = { X-A = 1 }", "string values"),
        ('headers = ["X-A: 1"]', "table of header names"),
    ],
)
def test_bad_headers_in_the_file_are_refused_clearly(tmp_path: Path, line: str, message: str) -> None:
    config = tmp_path / "citecheck.toml"
    config.write_text(line + "\n")
    with pytest.raises(ConfigError, match=message):
        load_config(config)


def _citecheck(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "citecheck", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_header_flag_is_sent_by_the_cli() -> None:
    with FakeWeb.threaded(routes={"/a": ok("x", "application/pdf")}) as web:
        done = _citecheck(
            "check",
            "-",
            "--isolated",
            "--no-store",
            "--allow-network",
            "127.0.0.0/8",
            "--header",
            "X-Citecheck-Test: yes please",
            "--header",
            "Accept-Language:fr",
            stdin=f"See {web.url(0, '/a')} for details.\n",
        )
        assert done.returncode == 0, done.stderr
        (seen,) = web.hosts[0].seen
    headers = {k.lower(): v for k, v in seen.headers.items()}
    assert headers["x-citecheck-test"] == "yes please"
    assert headers["accept-language"] == "fr"


@pytest.mark.parametrize("flag", ["no colon here", "Bad Name: x", "Host: evil.example"])
def test_bad_header_flag_is_a_usage_error(flag: str) -> None:
    done = _citecheck("check", "-", "--isolated", "--header", flag, stdin="https://example.com/\n")
    assert done.returncode == 2
    assert "--header" in done.stderr


# -- a caller's own client or transport ---------------------------------------------------------


def test_a_plain_client_is_refused_rather_than_silently_unguarded() -> None:
    async def go() -> None:
        async with httpx.AsyncClient() as client:
            with pytest.raises(UsageError, match="not checked against private addresses"):
                AsyncLinkChecker(client=client)

    asyncio.run(go())


def test_a_plain_transport_is_refused() -> None:
    with pytest.raises(UsageError, match="does not check addresses"):
        AsyncLinkChecker(transport=httpx.AsyncHTTPTransport())
    with pytest.raises(UsageError, match="does not check addresses"):
        LinkChecker(transport=httpx.AsyncHTTPTransport())


def test_a_client_with_a_proxy_mount_is_refused() -> None:
    async def go() -> None:
        guarded = GuardedAiohttpTransport(AddressPolicy())
        mounts: dict[str, httpx.AsyncBaseTransport] = {"http://intranet": httpx.AsyncHTTPTransport()}
        async with httpx.AsyncClient(transport=guarded, mounts=mounts) as client:
            with pytest.raises(UsageError):
                AsyncLinkChecker(client=client)

    asyncio.run(go())


def test_guarded_and_networkless_stacks_are_accepted() -> None:
    async def go() -> None:
        for transport in (
            GuardedAiohttpTransport(AddressPolicy()),
            safe_transport(AddressPolicy()),
            httpx.MockTransport(lambda request: httpx.Response(200)),
        ):
            async with httpx.AsyncClient(transport=transport) as client:
                await AsyncLinkChecker(client=client).aclose()
            await AsyncLinkChecker(transport=transport).aclose()

    asyncio.run(go())


def test_explicit_opt_out_or_allow_private_accepts_any_client() -> None:
    async def go() -> None:
        async with httpx.AsyncClient() as client:
            await AsyncLinkChecker(client=client, allow_unguarded=True).aclose()
            await AsyncLinkChecker(NetworkOptions(allow_private=True), client=client).aclose()

    asyncio.run(go())


def test_a_guarded_client_of_the_caller_still_refuses_private_addresses() -> None:
    async def go() -> tuple[Verdict, int]:
        async with FakeWeb(routes={"/a": ok("x")}) as web:
            transport = GuardedAiohttpTransport(AddressPolicy())
            async with httpx.AsyncClient(transport=transport) as client, AsyncLinkChecker(client=client) as checker:
                # A name, so the pre-check on literal addresses cannot be what refuses it.
                result = await checker.check(f"http://localhost:{web.ports[0]}/a")
            return result.verdict, web.hosts[0].requests

    verdict, requests = asyncio.run(go())
    assert verdict is Verdict.SKIPPED
    assert requests == 0
