"""Self-tests of the fake web: every behaviour, seen through a real httpx client and real sockets.

Why: the network checks and the benchmark trust these behaviours blindly, so each one is pinned
here (status, headers, bytes on the wire, timing, concurrency counts, clean shutdown).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import gzip
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest

from fakeweb import (
    METADATA_URL,
    PRIVATE_URL,
    SOFT_404_TITLES,
    FakeWeb,
    Handler,
    Request,
    Response,
    canonical,
    close_mid_headers,
    cloudflare_challenge,
    delay,
    drip,
    echo,
    empty_reply,
    fail_first,
    garbage_status_line,
    gzip_bomb,
    hang,
    head_refused,
    header_without_colon,
    http09_body,
    huge,
    legal_block,
    linkedin_999,
    meta_refresh,
    not_found,
    ok,
    redirect,
    redirect_chain,
    redirect_loop,
    redirect_to_host,
    redirect_to_metadata,
    redirect_to_private,
    service_unavailable,
    soft_404,
    status,
    too_many_requests,
    unauthorized,
    wrong_content_length,
)

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run one async test body; no asyncio pytest plugin is installed, and none is needed."""
    return asyncio.run(coro)


@pytest.fixture(scope="module")
def web() -> Iterator[FakeWeb]:
    """One threaded server for the plain request/response tests: starting one per test is waste."""
    with FakeWeb.threaded(hosts=3) as server:
        yield server


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(follow_redirects=False, timeout=5.0) as c:
        yield c


def _served(web: FakeWeb, handler: Handler, path: str, host: int = 0) -> str:
    """Route ``handler`` at ``path`` and return its URL (paths are unique per test)."""
    web.route(path, handler, host)
    return web.url(host, path)


# --------------------------------------------------------------------------------------------
# Addresses, routing, plain answers
# --------------------------------------------------------------------------------------------


def test_hosts_have_distinct_ports_and_urls(web: FakeWeb) -> None:
    assert len(set(web.ports)) == 3
    assert all(p > 0 for p in web.ports)
    assert web.url(2, "/a?b=1") == f"http://127.0.0.1:{web.ports[2]}/a?b=1"
    assert web.url(1, "x") == f"http://127.0.0.1:{web.ports[1]}/x"
    with pytest.raises(IndexError):
        web.url(3)


def test_hosts_on_their_own_loopback_addresses(client: httpx.Client) -> None:
    with pytest.raises(ValueError, match="2 addresses for 3 hosts"):
        FakeWeb(3, addresses=["127.0.0.1", "127.0.0.2"])
    addresses = ["127.0.0.1", "127.0.0.2"]
    with FakeWeb.threaded(2, routes={"/": ok("home")}, addresses=addresses) as web:
        assert web.addresses == addresses
        assert web.url(1, "/") == f"http://127.0.0.2:{web.ports[1]}/"
        assert [client.get(web.url(i)).text for i in range(2)] == ["home", "home"]
        assert [h.requests for h in web.hosts] == [1, 1]
        with pytest.raises(httpx.ConnectError):  # host 1 listens on 127.0.0.2 only
            client.get(f"http://127.0.0.1:{web.ports[1]}/")


def test_url_before_start_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        FakeWeb().url()


def test_ok_and_status(web: FakeWeb, client: httpx.Client) -> None:
    r = client.get(_served(web, ok("<p>hi</p>"), "/t/ok"))
    assert (r.status_code, r.text, r.headers["content-type"]) == (200, "<p>hi</p>", "text/html; charset=utf-8")
    assert r.headers["content-length"] == "9"

    r = client.get(_served(web, ok(b"{}", "application/json"), "/t/json"))
    assert (r.status_code, r.headers["content-type"], r.content) == (200, "application/json", b"{}")

    r = client.get(_served(web, status(410, "gone", {"X-Why": "deleted"}), "/t/410"))
    assert (r.status_code, r.text, r.headers["x-why"], r.reason_phrase) == (410, "gone", "deleted", "Gone")

    r = client.get(_served(web, status(204), "/t/204"))
    assert (r.status_code, r.content) == (204, b"")


def test_routes_per_host_catch_all_and_query_precedence(client: httpx.Client) -> None:
    with FakeWeb.threaded(hosts=2, routes={"/shared": ok("both")}, fallback=ok("anything")) as web:
        web.route("/only0", ok("zero"), host=0)
        web.route("/q", ok("bare path"))
        web.route("/q?v=2", ok("exact target"))
        web.fallback(not_found(), host=1)

        assert client.get(web.url(0, "/shared")).text == "both"
        assert client.get(web.url(1, "/shared")).text == "both"
        assert client.get(web.url(0, "/only0")).text == "zero"
        assert client.get(web.url(1, "/only0")).status_code == 404
        assert client.get(web.url(0, "/random/path")).text == "anything"
        assert client.get(web.url(0, "/q?v=1")).text == "bare path"
        assert client.get(web.url(0, "/q?v=2")).text == "exact target"


def test_echo_sees_method_headers_and_body(web: FakeWeb, client: httpx.Client) -> None:
    url = _served(web, echo(), "/t/echo")
    r = client.post(url + "?a=1", content=b"12345", headers={"User-Agent": "citecheck-test"})
    data = r.json()
    assert (data["method"], data["path"], data["query"], data["body_length"]) == ("POST", "/t/echo", "a=1", 5)
    assert data["headers"]["user-agent"] == "citecheck-test"


# --------------------------------------------------------------------------------------------
# Redirects
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("location", ["/target", "../up/there", "http://example.com/abs", "//127.0.0.1/x"])
def test_redirect_location_is_verbatim(web: FakeWeb, client: httpx.Client, code: int, location: str) -> None:
    r = client.get(_served(web, redirect(location, code), f"/t/redirect/{code}"))
    assert (r.status_code, r.headers["location"]) == (code, location)


def test_redirect_rejects_non_redirect_codes() -> None:
    with pytest.raises(ValueError, match="not a redirect"):
        redirect("/x", 200)


def test_redirect_chain_and_loop(web: FakeWeb, client: httpx.Client) -> None:
    web.routes(redirect_chain(["/c/1", "/c/2", "/c/3", "/c/end"], 301), host=1)
    web.route("/c/end", ok("arrived"), host=1)
    hops = []
    url = web.url(1, "/c/1")
    for _ in range(5):
        r = client.get(url)
        if not r.is_redirect:
            break
        hops.append(r.headers["location"])
        url = str(r.url.join(r.headers["location"]))
    assert (hops, r.text) == (["/c/2", "/c/3", "/c/end"], "arrived")

    web.routes(redirect_loop(["/l/a", "/l/b"]), host=1)
    assert client.get(web.url(1, "/l/a")).headers["location"] == "/l/b"
    assert client.get(web.url(1, "/l/b")).headers["location"] == "/l/a"
    with pytest.raises(httpx.TooManyRedirects):
        client.get(web.url(1, "/l/a"), follow_redirects=True)


def test_redirect_to_another_host(web: FakeWeb, client: httpx.Client) -> None:
    web.route("/t/away", redirect_to_host(2, "/landing", 308), host=0)
    web.route("/landing", ok("other host"), host=2)
    r = client.get(web.url(0, "/t/away"))
    assert (r.status_code, r.headers["location"]) == (308, web.url(2, "/landing"))
    assert client.get(r.headers["location"]).text == "other host"


def test_ssrf_redirect_targets_are_only_named(web: FakeWeb, client: httpx.Client) -> None:
    r = client.get(_served(web, redirect_to_metadata(), "/t/meta"))
    assert (r.status_code, r.headers["location"]) == (302, METADATA_URL)
    assert METADATA_URL == "http://169.254.169.254/latest"
    r = client.get(_served(web, redirect_to_private(301), "/t/private"))
    assert (r.status_code, r.headers["location"]) == (301, PRIVATE_URL)
    assert PRIVATE_URL == "http://10.0.0.1/"


def test_meta_refresh_and_canonical(web: FakeWeb, client: httpx.Client) -> None:
    r = client.get(_served(web, meta_refresh("https://example.org/next", 3), "/t/refresh"))
    assert r.status_code == 200
    assert '<meta http-equiv="refresh" content="3; url=https://example.org/next">' in r.text
    r = client.get(_served(web, canonical("https://example.org/article?id=1&amp=x"), "/t/canonical"))
    assert '<link rel="canonical" href="https://example.org/article?id=1&amp;amp=x">' in r.text


# --------------------------------------------------------------------------------------------
# HEAD refusal, soft 404
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [405, 403, 404, 500])
def test_head_refused_but_get_works(web: FakeWeb, client: httpx.Client, code: int) -> None:
    url = _served(web, head_refused(code, ok("the page")), f"/t/head/{code}")
    head = client.head(url)
    get = client.get(url)
    assert (head.status_code, head.content) == (code, b"")
    assert (get.status_code, get.text) == (200, "the page")


def test_head_gets_headers_without_body(web: FakeWeb, client: httpx.Client) -> None:
    url = _served(web, ok("x" * 100), "/t/head-ok")
    r = client.head(url)
    assert (r.status_code, r.headers["content-length"], r.content) == (200, "100", b"")
    assert client.get(url).text == "x" * 100  # the connection is still in sync after HEAD


@pytest.mark.parametrize("lang", sorted(SOFT_404_TITLES))
def test_soft_404_titles(web: FakeWeb, client: httpx.Client, lang: str) -> None:
    r = client.get(_served(web, soft_404(lang), f"/t/soft/{lang}"))
    assert r.status_code == 200
    assert f"<title>{SOFT_404_TITLES[lang]}</title>" in r.text
    assert "charset=utf-8" in r.headers["content-type"]


def test_soft_404_catch_all_and_redirect_to_root(client: httpx.Client) -> None:
    with FakeWeb.threaded(hosts=2, routes={"/": ok("home")}) as web:
        web.fallback(soft_404(), host=0)
        web.fallback(redirect("/", 302), host=1)
        for path in ("/a-real-article", "/zq8x7-random-probe-4f1c"):
            r = client.get(web.url(0, path))
            assert (r.status_code, "<title>Page not found</title>" in r.text) == (200, True)
            r = client.get(web.url(1, path))
            assert (r.status_code, r.headers["location"]) == (302, "/")
        assert client.get(web.url(1, "/")).text == "home"


# --------------------------------------------------------------------------------------------
# Bot walls, rate limits, flaky routes
# --------------------------------------------------------------------------------------------


def test_bot_walls(web: FakeWeb, client: httpx.Client) -> None:
    r = client.get(_served(web, cloudflare_challenge(), "/t/cf"))
    assert (r.status_code, r.headers["cf-mitigated"]) == (403, "challenge")
    assert "<title>Just a moment...</title>" in r.text
    r = client.get(_served(web, linkedin_999(), "/t/999"))
    assert (r.status_code, r.reason_phrase) == (999, "Request denied")
    r = client.get(_served(web, unauthorized(), "/t/401"))
    assert (r.status_code, r.headers["www-authenticate"]) == (401, 'Basic realm="fakeweb"')
    assert client.get(_served(web, legal_block(), "/t/451")).status_code == 451


def test_retry_after_forms(web: FakeWeb, client: httpx.Client) -> None:
    r = client.get(_served(web, too_many_requests(120), "/t/429s"))
    assert (r.status_code, r.headers["retry-after"]) == (429, "120")

    when = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    r = client.get(_served(web, too_many_requests(when), "/t/429d"))
    assert r.headers["retry-after"] == "Tue, 06 May 2031 07:08:09 GMT"

    r = client.get(_served(web, too_many_requests(timedelta(seconds=30)), "/t/429td"))
    parsed = email.utils.parsedate_to_datetime(r.headers["retry-after"])
    assert 25 <= (parsed - datetime.now(UTC)).total_seconds() <= 31

    r = client.get(_served(web, service_unavailable(5), "/t/503"))
    assert (r.status_code, r.headers["retry-after"]) == (503, "5")
    assert "retry-after" not in client.get(_served(web, service_unavailable(), "/t/503n")).headers


def test_fail_first_counts_per_route(web: FakeWeb, client: httpx.Client) -> None:
    flaky = fail_first(2, ok("finally"), retry_after=1)
    web.route("/t/flaky/a", flaky)
    web.route("/t/flaky/b", flaky)
    codes_a = [client.get(web.url(0, "/t/flaky/a")).status_code for _ in range(4)]
    codes_b = [client.get(web.url(0, "/t/flaky/b")).status_code for _ in range(3)]
    assert codes_a == [503, 503, 200, 200]
    assert codes_b == [503, 503, 200]
    assert client.get(web.url(1, "/t/flaky/a")).status_code == 503  # another host, another route
    flaky.reset()
    r = client.get(web.url(0, "/t/flaky/a"))
    assert (r.status_code, r.headers["retry-after"]) == (503, "1")


# --------------------------------------------------------------------------------------------
# Slow, huge and hostile bodies
# --------------------------------------------------------------------------------------------


def test_delay_before_headers(web: FakeWeb) -> None:
    url = _served(web, delay(0.5, ok("late")), "/t/delay")
    with httpx.Client(timeout=httpx.Timeout(5.0, read=0.1)) as c, pytest.raises(httpx.ReadTimeout):
        c.get(url)
    start = time.monotonic()
    with httpx.Client(timeout=5.0) as c:
        assert c.get(url).text == "late"
    assert time.monotonic() - start >= 0.45


def test_drip_defeats_read_timeouts_but_not_a_deadline(web: FakeWeb) -> None:
    url = _served(web, drip(0.03, size=6), "/t/drip")
    start = time.monotonic()
    with httpx.Client(timeout=httpx.Timeout(5.0, read=0.2)) as c:
        r = c.get(url)
    elapsed = time.monotonic() - start
    assert (r.content, r.headers["content-length"]) == (b"......", "6")
    assert 0.15 <= elapsed < 2.0  # 6 bytes * 30 ms, each read well under the 200 ms read timeout

    endless = _served(web, drip(0.02, size=10_000), "/t/drip-long")
    start = time.monotonic()
    received = 0
    with httpx.Client(timeout=httpx.Timeout(5.0, read=0.2)) as c, c.stream("GET", endless) as r:
        assert r.headers["content-length"] == "10000"
        for chunk in r.iter_raw():
            received += len(chunk)
            if time.monotonic() - start > 0.25:  # the client's own deadline
                break
    assert 1 <= received < 100


def test_huge_body_is_streamed_not_buffered() -> None:
    async def main() -> tuple[int, int]:
        async with FakeWeb(routes={"/big": huge(50 * 1024 * 1024)}) as web, httpx.AsyncClient() as c:
            tracemalloc.start()
            try:
                total = 0
                async with c.stream("GET", web.url(0, "/big")) as r:
                    assert r.headers["content-length"] == str(50 * 1024 * 1024)
                    async for chunk in r.aiter_raw():
                        total += len(chunk)
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            return total, peak

    total, peak = run(main())
    assert total == 50 * 1024 * 1024
    assert peak < 8 * 1024 * 1024  # server and client together; the body is 50 MiB


def test_huge_body_chunked_and_abandoned(web: FakeWeb, client: httpx.Client) -> None:
    url = _served(web, huge(3 * 1024 * 1024, declare_length=False), "/t/huge-chunked")
    with client.stream("GET", url) as r:
        assert r.headers["transfer-encoding"] == "chunked"
        assert "content-length" not in r.headers
        first = next(r.iter_raw())
        assert first
        assert set(first) == {0}
    # The client hung up mid-body; the server must not care.
    assert client.get(_served(web, ok("still here"), "/t/after-huge")).text == "still here"
    assert web.errors == []


def test_gzip_bomb_headers_and_ratio(web: FakeWeb, client: httpx.Client) -> None:
    url = _served(web, gzip_bomb(), "/t/bomb")
    with client.stream("GET", url) as r:
        assert (r.headers["content-encoding"], r.status_code) == ("gzip", 200)
        wire = int(r.headers["content-length"])
        assert 500_000 < wire < 2_000_000  # ~1 MB on the wire for 1 GiB inflated
        raw = b""
        for chunk in r.iter_raw(4096):
            raw += chunk
            if len(raw) >= 4096:
                break
    inflated = zlib.decompressobj(31).decompress(raw[:4096], 64 * 1024 * 1024)
    assert len(inflated) >= 1024 * 1024  # 4 KB already inflate to megabytes
    assert set(inflated) == {0}


def test_small_gzip_bomb_is_valid_gzip(web: FakeWeb, client: httpx.Client) -> None:
    url = _served(web, gzip_bomb(3 * 1024 * 1024), "/t/bomb-small")
    with client.stream("GET", url) as r:
        wire = b"".join(r.iter_raw())
    assert len(wire) == int(r.headers["content-length"])
    assert gzip.decompress(wire) == bytes(3 * 1024 * 1024)  # CRC and size trailer check out


def test_wrong_content_length(web: FakeWeb, client: httpx.Client) -> None:
    with pytest.raises(httpx.RemoteProtocolError, match="expected 1000"):
        client.get(_served(web, wrong_content_length(1000, b"short"), "/t/wrong-length"))


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        (garbage_status_line(), "illegal status line"),
        (header_without_colon(), "illegal header line"),
        (close_mid_headers(), "disconnected"),
        (http09_body(), "disconnected"),
        (empty_reply(), "disconnected"),
    ],
    ids=["garbage-status", "header-no-colon", "closed-mid-headers", "http09", "empty"],
)
def test_malformed_responses(web: FakeWeb, client: httpx.Client, handler: Handler, message: str) -> None:
    url = _served(web, handler, f"/t/malformed/{message.replace(' ', '-')}/{id(handler)}")
    with pytest.raises(httpx.RemoteProtocolError, match=message):
        client.get(url)


# --------------------------------------------------------------------------------------------
# Protocol details
# --------------------------------------------------------------------------------------------


def _raw_exchange(port: int, data: bytes) -> bytes:
    """Send bytes, read until the server closes: what a client without httpx would see."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_keep_alive_and_connection_close() -> None:
    with FakeWeb.threaded(routes={"/": ok("x")}) as web:
        with httpx.Client() as c:
            for _ in range(5):
                assert c.get(web.url()).status_code == 200
        assert web.hosts[0].connections == 1
        web.reset_stats()
        with httpx.Client() as c:
            for _ in range(3):
                r = c.get(web.url(), headers={"Connection": "close"})
                assert r.headers["connection"] == "close"
        assert (web.hosts[0].connections, web.hosts[0].requests) == (3, 3)


def test_pipelined_requests_http10_and_bad_requests() -> None:
    with FakeWeb.threaded(routes={"/a": ok("A"), "/b": ok("B")}) as web:
        port = web.ports[0]
        two = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        answer = _raw_exchange(port, two)
        assert answer.count(b"HTTP/1.1 200 OK") == 2
        assert answer.endswith(b"B")

        answer = _raw_exchange(port, b"GET /a HTTP/1.0\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"Connection: close" in answer

        assert _raw_exchange(port, b"NONSENSE\r\n\r\n").startswith(b"HTTP/1.1 400 Bad Request")
        assert _raw_exchange(port, b"GET /a HTTP/1.1\r\nNoColon\r\n\r\n").startswith(b"HTTP/1.1 400 ")
        assert web.hosts[0].requests == 3


def test_handler_errors_answer_500_and_are_recorded() -> None:
    async def broken(request: Request) -> Response:
        raise ValueError("oops")

    with FakeWeb.threaded(routes={"/broken": broken}) as web, httpx.Client() as c:
        r = c.get(web.url(0, "/broken"))
        assert r.status_code == 500
        assert [type(e) for e in web.errors] == [ValueError]


# --------------------------------------------------------------------------------------------
# Instrumentation and load
# --------------------------------------------------------------------------------------------


async def _fire(web: FakeWeb, n: int, limit: asyncio.Semaphore | None = None, host: int = 0) -> list[int]:
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=100)) as c:

        async def one(i: int) -> int:
            async with limit if limit is not None else contextlib.nullcontext():
                return (await c.get(web.url(host, f"/p/{i}"))).status_code

        return list(await asyncio.gather(*(one(i) for i in range(n))))


def test_max_concurrency_is_observed() -> None:
    async def main() -> None:
        async with FakeWeb(hosts=2, latency=0.05, fallback=ok("x")) as web:
            assert await _fire(web, 20) == [200] * 20
            assert (web.hosts[0].max_in_flight, web.max_in_flight, web.hosts[0].requests) == (20, 20, 20)
            assert web.hosts[1].max_in_flight == 0

            web.reset_stats()
            assert (web.hosts[0].max_in_flight, web.hosts[0].requests, web.requests) == (0, 0, 0)
            assert await _fire(web, 20, asyncio.Semaphore(4)) == [200] * 20
            assert web.hosts[0].max_in_flight == 4

            web.reset_stats()
            await asyncio.gather(_fire(web, 6, host=0), _fire(web, 5, host=1))
            assert (web.hosts[0].max_in_flight, web.hosts[1].max_in_flight, web.max_in_flight) == (6, 5, 11)

    run(main())


def test_seen_requests_are_recorded_and_bounded() -> None:
    with FakeWeb.threaded(max_seen=3, fallback=ok()) as web, httpx.Client() as c:
        for i in range(5):
            c.request("HEAD" if i % 2 else "GET", web.url(0, f"/s/{i}?q={i}"), headers={"X-N": str(i)})
        seen = list(web.hosts[0].seen)
        assert [(s.method, s.path, s.headers["x-n"]) for s in seen] == [
            ("GET", "/s/2?q=2", "2"),
            ("HEAD", "/s/3?q=3", "3"),
            ("GET", "/s/4?q=4", "4"),
        ]
        assert web.hosts[0].requests == 5
        web.reset_stats()
        assert (list(web.hosts[0].seen), web.hosts[0].requests) == ([], 0)


def test_latency_per_host() -> None:
    async def main() -> tuple[float, float]:
        async with FakeWeb(hosts=2, fallback=ok(), host_latency={1: 0.2}) as web, httpx.AsyncClient() as c:
            start = time.monotonic()
            await c.get(web.url(0, "/"))
            fast = time.monotonic() - start
            start = time.monotonic()
            await c.get(web.url(1, "/"))
            return fast, time.monotonic() - start

    fast, slow = run(main())
    assert fast < 0.15 <= slow


async def _keep_alive_worker(port: int, paths: list[str]) -> list[int]:
    """A bare keep-alive HTTP/1.1 client: one connection, requests one after another.

    Why not httpx here: its connection pool costs milliseconds of CPU per request once
    thousands are queued, which would measure httpx instead of the server.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    codes = []
    try:
        for path in paths:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: fake\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            codes.append(int(head.split(b" ", 2)[1]))
            length = next(int(line[15:]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:"))
            await reader.readexactly(length)
    finally:
        writer.close()
        await writer.wait_closed()
    return codes


def test_load_thousands_of_requests_over_many_ports() -> None:
    hosts, connections, per_connection, latency = 20, 10, 25, 0.02
    total = hosts * connections * per_connection
    with FakeWeb.threaded(hosts=hosts, latency=latency, fallback=ok("x"), max_seen=50) as web:

        async def main() -> list[int]:
            jobs = [
                _keep_alive_worker(port, [f"/item/{c}/{i}" for i in range(per_connection)])
                for port in web.ports
                for c in range(connections)
            ]
            return [code for codes in await asyncio.gather(*jobs) for code in codes]

        start = time.monotonic()
        codes = run(main())
        elapsed = time.monotonic() - start
        assert codes == [200] * total
        assert web.requests == total
        assert all(h.requests == total // hosts and h.max_in_flight == connections for h in web.hosts)
        assert all(h.connections == connections and len(h.seen) == 50 for h in web.hosts)
        assert web.max_in_flight > connections  # the hosts really were served in parallel
        assert web.errors == []
    # 25 sequential round trips of 20 ms per connection: ~0.5 s normally, ~8 s under `python -X dev`.
    assert elapsed < 15


def test_load_through_httpx_respects_a_per_host_limit() -> None:
    hosts, per_host, limit = 5, 40, 4
    with FakeWeb.threaded(hosts=hosts, latency=0.02, fallback=ok("x")) as web:

        async def main() -> list[int]:
            limits = [asyncio.Semaphore(limit) for _ in range(hosts)]
            async with httpx.AsyncClient(limits=httpx.Limits(max_connections=hosts * limit)) as c:

                async def one(i: int) -> int:
                    async with limits[i % hosts]:
                        return (await c.get(web.url(i % hosts, f"/item/{i}"))).status_code

                return list(await asyncio.gather(*(one(i) for i in range(hosts * per_host))))

        assert run(main()) == [200] * (hosts * per_host)
        assert [h.max_in_flight for h in web.hosts] == [limit] * hosts
        assert web.max_in_flight > limit


# --------------------------------------------------------------------------------------------
# Lifecycle
# --------------------------------------------------------------------------------------------


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_threaded_shutdown_is_bounded_with_requests_in_progress() -> None:
    errors: list[BaseException] = []

    def call(url: str) -> None:
        try:
            with httpx.Client(timeout=30) as c, c.stream("GET", url) as r:
                for _ in r.iter_raw():
                    pass
        except httpx.HTTPError as error:
            errors.append(error)

    threads_before = set(threading.enumerate())
    with FakeWeb.threaded(routes={"/hang": hang(), "/drip": drip(0.05, size=10_000)}) as web:
        port = web.ports[0]
        clients = [threading.Thread(target=call, args=(web.url(0, p),)) for p in ("/hang", "/drip")]
        for t in clients:
            t.start()
        deadline = time.monotonic() + 5
        while web.in_flight < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert web.in_flight == 2
        start = time.monotonic()
    assert time.monotonic() - start < 2
    for t in clients:
        t.join(5)
    assert len(errors) == 2  # both clients saw the connection drop instead of hanging
    assert _refused(port)
    assert not [t for t in set(threading.enumerate()) - threads_before if t.is_alive()]


def test_async_shutdown_leaves_no_tasks() -> None:
    async def main() -> tuple[int, int]:
        web = FakeWeb(hosts=2, routes={"/hang": hang(), "/": ok()})
        async with web, httpx.AsyncClient(timeout=30) as c:
            assert (await c.get(web.url(1, "/"))).status_code == 200
            pending = asyncio.create_task(c.get(web.url(0, "/hang")))
            while web.in_flight < 1:
                await asyncio.sleep(0.01)
        with pytest.raises(httpx.HTTPError):
            await asyncio.wait_for(pending, 2)
        leftovers = asyncio.all_tasks() - {asyncio.current_task()}
        return len(leftovers), web.ports[0]

    leftovers, port = run(main())
    assert leftovers == 0
    assert _refused(port)


def test_threaded_start_failure_is_raised() -> None:
    with pytest.raises(ValueError, match="at least one host"), FakeWeb.threaded(hosts=0):
        pass


def test_handlers_compose(web: FakeWeb, client: httpx.Client) -> None:
    composed: Callable[[Request], Awaitable[Response]] = delay(0.01, head_refused(403, fail_first(1, ok("ok"))))
    url = _served(web, composed, "/t/composed")
    assert client.head(url).status_code == 403
    assert [client.get(url).status_code for _ in range(2)] == [503, 200]
