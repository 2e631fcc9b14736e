"""Verdicts of the network checker, one behaviour at a time, with pytest-httpx (no sockets)."""

from __future__ import annotations

import asyncio
import gzip
import re
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from citecheck.check import AsyncLinkChecker, Hop, LinkChecker, NetworkOptions, OnlineResult
from citecheck.check.hosts import round_robin
from citecheck.check.pages import PageFacts
from citecheck.check.verdict import SoftEvidence, judge_final, needs_soft_404_check, offline
from citecheck.core.results import Reason, Verdict
from citecheck.net.exchange import Exchange, exchange
from citecheck.net.guard import NameNotFound

pytestmark = pytest.mark.httpx_mock(assert_all_responses_were_requested=False, can_send_already_matched_responses=True)

HTML = {"content-type": "text/html; charset=utf-8"}
PDF = {"content-type": "application/pdf"}
PROBE = re.compile(r".*-citecheck-probe$")


class FakeSleep:
    """Records waits instead of sleeping, so retry tests take no time."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def web(httpx_mock: HTTPXMock) -> HTTPXMock:
    return httpx_mock


def _page(title: str, body: str = "") -> bytes:
    return f"<html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>".encode()


def run_check(url: str, sleep: FakeSleep | None = None, **options: Any) -> OnlineResult:
    async def go() -> OnlineResult:
        opts = NetworkOptions(**{"retries": 2, "backoff": 0.01, **options})
        async with AsyncLinkChecker(opts, sleep=sleep or FakeSleep()) as checker:
            checker.dns_works = True
            return await checker.check(url)

    return asyncio.run(go())


def probe_404(web: HTTPXMock) -> None:
    web.add_response(url=PROBE, status_code=404)


def test_ok_non_html_needs_one_get(web: HTTPXMock) -> None:
    web.add_response(method="GET", url="https://docs.example/report.pdf", headers=PDF, content=b"%PDF" * 100_000)
    result = run_check("https://docs.example/report.pdf")
    assert (result.verdict, result.reason, result.http_status) == (Verdict.OK, None, 200)
    assert [r.method for r in web.get_requests()] == ["GET"]
    assert result.final_url == "https://docs.example/report.pdf"
    assert result.content_type == "application/pdf"
    assert result.attempts == 1


def test_head_mode_needs_only_head_for_non_html(web: HTTPXMock) -> None:
    web.add_response(method="HEAD", url="https://docs.example/report.pdf", headers=PDF)
    result = run_check("https://docs.example/report.pdf", method="head")
    assert (result.verdict, result.reason, result.http_status) == (Verdict.OK, None, 200)
    assert [r.method for r in web.get_requests()] == ["HEAD"]
    assert result.final_url == "https://docs.example/report.pdf"
    assert result.content_type == "application/pdf"
    assert result.attempts == 1


@pytest.mark.parametrize("method", ["get", "head"])
def test_html_is_read_with_get_and_canonical_recorded(web: HTTPXMock, method: str) -> None:
    probe_404(web)
    if method == "head":
        web.add_response(method="HEAD", url="https://news.example/a", headers=HTML)
    body = b'<html><head><title>Storm</title><link rel="canonical" href="/story/a"></head><body>x</body></html>'
    web.add_response(method="GET", url="https://news.example/a", headers=HTML, content=body)
    result = run_check("https://news.example/a", method=method)
    assert result.verdict is Verdict.OK
    assert result.canonical == "https://news.example/story/a"
    asked = [r.method for r in web.get_requests() if r.url == "https://news.example/a"]
    assert asked == (["HEAD", "GET"] if method == "head" else ["GET"])


@pytest.mark.parametrize("head_status", [403, 404, 405, 500])
def test_head_refused_but_get_works(web: HTTPXMock, head_status: int) -> None:
    probe_404(web)
    web.add_response(method="HEAD", url="https://picky.example/p", status_code=head_status)
    web.add_response(method="GET", url="https://picky.example/p", headers=HTML, content=_page("Article"))
    result = run_check("https://picky.example/p", method="head")
    assert result.verdict is Verdict.OK, result


@pytest.mark.parametrize(("status", "reason"), [(404, Reason.HTTP_404), (410, Reason.HTTP_410)])
def test_not_found_and_gone_are_broken(web: HTTPXMock, status: int, reason: Reason) -> None:
    web.add_response(url="https://gone.example/x", status_code=status)
    result = run_check("https://gone.example/x")
    assert (result.verdict, result.reason, result.http_status) == (Verdict.BROKEN, reason, status)


def test_permanent_chain_suggests_the_cleaned_final_url(web: HTTPXMock) -> None:
    probe_404(web)
    web.add_response(url="http://old.example/a", status_code=301, headers={"location": "https://old.example/a"})
    web.add_response(
        url="https://old.example/a", status_code=308, headers={"location": "https://new.example/a?utm_source=redirect"}
    )
    web.add_response(method="GET", url="https://new.example/a?utm_source=redirect", headers=PDF)
    result = run_check("http://old.example/a")
    assert (result.verdict, result.reason) == (Verdict.REDIRECTED, Reason.PERMANENT_REDIRECT)
    assert [(h.url, h.status) for h in result.redirects] == [
        ("http://old.example/a", 301),
        ("https://old.example/a", 308),
    ]
    assert result.final_url == "https://new.example/a?utm_source=redirect"
    assert result.suggested == "https://new.example/a"


def test_temporary_redirect_suggests_nothing(web: HTTPXMock) -> None:
    probe_404(web)
    web.add_response(url="https://t.example/now", status_code=302, headers={"location": "/later"})
    web.add_response(method="GET", url="https://t.example/later", headers=PDF)
    result = run_check("https://t.example/now")
    assert (result.verdict, result.reason, result.suggested) == (Verdict.REDIRECTED, Reason.TEMPORARY_REDIRECT, None)


def test_redirect_loop_and_too_many_redirects(web: HTTPXMock) -> None:
    web.add_response(url="https://loop.example/a", status_code=301, headers={"location": "/b"})
    web.add_response(url="https://loop.example/b", status_code=301, headers={"location": "/a"})
    loop = run_check("https://loop.example/a")
    assert loop.reason is Reason.REDIRECT_LOOP
    # Servers answered, so the result says where the chain went round: back to the start.
    assert loop.final_url == "https://loop.example/a"
    for i in range(12):
        web.add_response(url=f"https://far.example/{i}", status_code=302, headers={"location": f"/{i + 1}"})
    result = run_check("https://far.example/0")
    assert (result.verdict, result.reason) == (Verdict.BROKEN, Reason.TOO_MANY_REDIRECTS)
    assert len(result.redirects) == 11
    assert result.final_url == "https://far.example/11"


def test_meta_refresh_is_followed_as_a_redirect(web: HTTPXMock) -> None:
    probe_404(web)
    refresh = b'<html><head><meta http-equiv="refresh" content="0; url=/new-home"></head></html>'
    web.add_response(method="GET", url="https://m.example/old", headers=HTML, content=refresh)
    web.add_response(method="GET", url="https://m.example/new-home", headers=PDF)
    result = run_check("https://m.example/old")
    assert result.verdict is Verdict.REDIRECTED
    assert result.redirects[0].kind == "meta-refresh"
    assert result.final_url == "https://m.example/new-home"


def test_slow_meta_refresh_is_not_a_redirect(web: HTTPXMock) -> None:
    probe_404(web)
    refresh = b'<html><head><title>Live</title><meta http-equiv="refresh" content="300"></head></html>'
    web.add_response(method="GET", url="https://m.example/live", headers=HTML, content=refresh)
    assert run_check("https://m.example/live").verdict is Verdict.OK


@pytest.mark.parametrize(
    "title", ["Page not found | Example News", "404 Not Found", "Seite nicht gefunden", "Страница не найдена"]
)
def test_soft_404_by_title(web: HTTPXMock, title: str) -> None:
    probe_404(web)
    web.add_response(url="https://soft.example/story", headers=HTML, content=_page(title))
    result = run_check("https://soft.example/story")
    assert (result.verdict, result.reason) == (Verdict.BROKEN, Reason.SOFT_404)
    assert result.detail


def test_headline_that_mentions_not_found_is_not_a_soft_404(web: HTTPXMock) -> None:
    probe_404(web)
    web.add_response(url="https://soft.example/s2", headers=HTML, content=_page("Missing hiker not found after storm"))
    assert run_check("https://soft.example/s2").verdict is Verdict.OK


def test_soft_404_by_redirect_to_site_root(web: HTTPXMock) -> None:
    probe_404(web)
    web.add_response(
        url="https://r.example/2019/old-story", status_code=301, headers={"location": "https://r.example/"}
    )
    web.add_response(url="https://r.example/", headers=HTML, content=_page("Home"))
    result = run_check("https://r.example/2019/old-story")
    assert (result.verdict, result.reason) == (Verdict.BROKEN, Reason.SOFT_404)


def test_matching_the_hosts_page_for_a_made_up_path_is_unverified(web: HTTPXMock) -> None:
    # The host answers 200 with the same generic page for anything, including a random path.
    generic = _page("Example Mag", "<p>We could not find that.</p>")
    web.add_response(url=PROBE, headers=HTML, content=generic)
    web.add_response(url="https://any.example/lost", headers=HTML, content=generic)
    web.add_response(url="https://any.example/real", headers=HTML, content=_page("A story", "<p>" + "text " * 200))
    lost = run_check("https://any.example/lost")
    assert (lost.verdict, lost.reason) == (Verdict.UNVERIFIED, Reason.SAME_AS_MISSING_PAGE)
    assert run_check("https://any.example/real").verdict is Verdict.OK


def test_landing_where_a_made_up_path_lands(web: HTTPXMock) -> None:
    """A deep link the server sends where it sends unknown paths is dead; the home page is not."""
    gate = "https://gate.example/welcome"
    web.add_response(url=PROBE, status_code=302, headers={"location": gate}, is_reusable=True)
    for path in ("/", "/2020/story"):
        web.add_response(url=f"https://gate.example{path}", status_code=302, headers={"location": gate})
    web.add_response(url=gate, headers=HTML, content=_page("Welcome"), is_reusable=True)
    home, deep = run_check("https://gate.example/"), run_check("https://gate.example/2020/story")
    assert (home.verdict, home.reason) == (Verdict.UNVERIFIED, Reason.SAME_AS_MISSING_PAGE)
    assert (deep.verdict, deep.reason) == (Verdict.BROKEN, Reason.SOFT_404)
    assert deep.detail == f"lands where a made-up path on this site lands: {gate}"


@pytest.mark.parametrize(
    ("status", "headers", "content", "reason"),
    [
        (403, {"cf-mitigated": "challenge"}, _page("Just a moment..."), Reason.BOT_CHALLENGE),
        (503, {}, _page("Just a moment..."), Reason.BOT_CHALLENGE),
        (999, {}, b"", Reason.HTTP_999),
        (401, {}, b"", Reason.HTTP_401),
        (403, {}, b"", Reason.HTTP_403),
        (451, {}, b"", Reason.HTTP_451),
        (418, {}, b"", Reason.HTTP_4XX),
    ],
)
def test_walls_are_blocked_not_broken(
    web: HTTPXMock, status: int, headers: dict[str, str], content: bytes, reason: Reason
) -> None:
    web.add_response(url="https://wall.example/a", status_code=status, headers={**HTML, **headers}, content=content)
    result = run_check("https://wall.example/a", retries=0)
    assert result.verdict in (Verdict.BLOCKED, Verdict.UNREACHABLE)
    if reason is not Reason.BOT_CHALLENGE or status != 503:
        assert (result.verdict, result.reason) == (Verdict.BLOCKED, reason)


def test_rate_limit_honours_retry_after_then_gives_up(web: HTTPXMock) -> None:
    web.add_response(url="https://busy.example/a", status_code=429, headers={"retry-after": "7"})
    sleep = FakeSleep()
    result = run_check("https://busy.example/a", sleep=sleep, retries=2)
    assert (result.verdict, result.reason, result.http_status) == (Verdict.BLOCKED, Reason.RATE_LIMITED, 429)
    assert result.attempts == 3
    assert 7.0 in sleep.waits


def test_retry_after_beyond_the_cap_stops_retrying(web: HTTPXMock) -> None:
    web.add_response(url="https://busy.example/b", status_code=429, headers={"retry-after": "3600"})
    result = run_check("https://busy.example/b", retry_after_cap=30)
    assert result.attempts == 1
    assert result.reason is Reason.RATE_LIMITED


def test_transient_5xx_is_retried_until_it_works(web: HTTPXMock) -> None:
    probe_404(web)
    web.add_response(url="https://flaky.example/a", status_code=503, is_reusable=False)
    web.add_response(method="GET", url="https://flaky.example/a", headers=PDF)
    result = run_check("https://flaky.example/a")
    assert result.verdict is Verdict.OK
    assert result.attempts == 2


def test_persistent_5xx_is_unreachable(web: HTTPXMock) -> None:
    web.add_response(url="https://down.example/a", status_code=500)
    result = run_check("https://down.example/a")
    assert (result.verdict, result.reason, result.attempts) == (Verdict.UNREACHABLE, Reason.HTTP_5XX, 3)


@pytest.mark.parametrize(
    ("exception", "reason"),
    [
        (httpx.ReadTimeout("slow"), Reason.TIMEOUT),
        (httpx.ConnectTimeout("slow"), Reason.TIMEOUT),
        (httpx.ConnectError("refused"), Reason.CONNECTION_ERROR),
        (httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"), Reason.TLS_ERROR),
        (httpx.RemoteProtocolError("garbage"), Reason.PROTOCOL_ERROR),
    ],
)
def test_network_failures_are_unreachable(web: HTTPXMock, exception: Exception, reason: Reason) -> None:
    web.add_exception(exception, url="https://net.example/a")
    result = run_check("https://net.example/a")
    assert (result.verdict, result.reason, result.attempts) == (Verdict.UNREACHABLE, reason, 3)


def test_nxdomain_is_broken_only_once_dns_is_seen_to_work(web: HTTPXMock) -> None:
    web.add_exception(
        NameNotFound("nope.example", socket.gaierror(socket.EAI_NONAME, "Name or service not known")),
        url="https://nope.example/a",
    )
    web.add_response(method="GET", url="https://fine.example/doc.pdf", headers=PDF)

    async def go() -> tuple[list[OnlineResult], list[OnlineResult], str | None]:
        async with AsyncLinkChecker(NetworkOptions(retries=0)) as alone:
            lone = [r async for r in alone.check_many(["https://nope.example/a", "https://nope.example/a"])]
        async with AsyncLinkChecker(NetworkOptions(retries=0)) as mixed:
            both = [r async for r in mixed.check_many(["https://nope.example/a", "https://fine.example/doc.pdf"])]
        return lone, both, mixed.offline_notice()

    lone, both, notice = asyncio.run(go())
    # One result per URL asked for; the two share one check.
    assert [(r.verdict, r.reason) for r in lone] == [(Verdict.UNREACHABLE, Reason.OFFLINE)] * 2
    assert {(r.url, r.verdict) for r in both} == {
        ("https://nope.example/a", Verdict.BROKEN),
        ("https://fine.example/doc.pdf", Verdict.OK),
    }
    assert notice is None


def test_offline_machine_is_said_once_and_nothing_is_dead(web: HTTPXMock) -> None:
    for host in ("a", "b", "c"):
        web.add_exception(
            NameNotFound(f"{host}.example", socket.gaierror(socket.EAI_NONAME, "no")), url=f"https://{host}.example/x"
        )

    async def go() -> tuple[list[OnlineResult], str | None]:
        async with AsyncLinkChecker(NetworkOptions(retries=0)) as checker:
            results = [r async for r in checker.check_many([f"https://{h}.example/x" for h in "abc"])]
            return results, checker.offline_notice()

    results, notice = asyncio.run(go())
    assert {r.verdict for r in results} == {Verdict.UNREACHABLE}
    assert notice is not None
    assert "offline" in notice


def test_private_addresses_are_never_fetched(web: HTTPXMock) -> None:
    for url in ("http://127.0.0.1/", "http://2130706433/", "http://[::1]/", "http://10.0.0.1/admin"):
        result = run_check(url)
        assert (result.verdict, result.reason) == (Verdict.SKIPPED, Reason.PRIVATE_ADDRESS), url
    web.add_response(
        url="https://public.example/a", status_code=302, headers={"location": "http://169.254.169.254/latest"}
    )
    result = run_check("https://public.example/a")
    assert (result.verdict, result.reason) == (Verdict.SKIPPED, Reason.PRIVATE_ADDRESS)
    assert "169.254.169.254" in (result.detail or "")
    assert [str(r.url) for r in web.get_requests()] == ["https://public.example/a"]


def test_the_same_url_is_checked_once(web: HTTPXMock) -> None:
    web.add_response(method="GET", url="https://once.example/doc.pdf", headers=PDF)

    async def go() -> list[OnlineResult]:
        async with AsyncLinkChecker() as checker:
            return await asyncio.gather(*(checker.check("https://once.example/doc.pdf") for _ in range(5)))

    results = asyncio.run(go())
    assert {r.verdict for r in results} == {Verdict.OK}
    assert len(web.get_requests()) == 1


def test_skipped_urls_without_a_request(web: HTTPXMock) -> None:
    assert run_check("mailto:a@example.com").reason is Reason.UNSUPPORTED_SCHEME
    assert run_check("https://exa mple.com/").reason is Reason.INVALID_URL
    assert web.get_requests() == []


def test_result_to_dict_is_json_ready(web: HTTPXMock) -> None:
    web.add_response(method="GET", url="https://docs.example/r.pdf", headers=PDF)
    data = run_check("https://docs.example/r.pdf").to_dict()
    assert data["verdict"] == "ok"
    assert data["checked_at"].endswith("+00:00")
    assert data["redirects"] == []


def test_sync_facade_works_inside_a_running_loop(web: HTTPXMock) -> None:
    web.add_response(method="GET", url="https://sync.example/a.pdf", headers=PDF)

    async def inside() -> OnlineResult:
        with LinkChecker() as checker:
            return checker.check("https://sync.example/a.pdf")

    assert asyncio.run(inside()).verdict is Verdict.OK


def test_user_agent_names_citecheck(web: HTTPXMock) -> None:
    web.add_response(method="GET", url="https://ua.example/a.pdf", headers=PDF)
    run_check("https://ua.example/a.pdf")
    assert web.get_requests()[0].headers["user-agent"].startswith("citecheck/")


def test_gzip_bomb_decoding_stops_at_the_limit() -> None:
    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024))

    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(bomb), 16384):
            sent.append(start)
            yield bomb[start : start + 16384]

    def serve(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-encoding": "gzip", "content-type": "text/html"}, content=chunks())

    async def fetch() -> Exchange:
        async with httpx.AsyncClient(transport=httpx.MockTransport(serve)) as client:
            return await exchange(client, "GET", "https://bomb.example/", max_body=64 * 1024)

    answer = asyncio.run(fetch())
    assert len(answer.body) == 64 * 1024  # 50 MB unpacked would have been read; the limit held
    assert answer.truncated
    assert len(sent) * 16384 < len(bomb)  # and reading stopped there, long before the end


# -- the verdict table alone: no network, just a final answer and its evidence ------------------


def _final(status: int, url: str = "https://v.example/a", **headers: str) -> Exchange:
    return Exchange(method="GET", url=url, status=status, headers={"content-type": "text/html", **headers})


@pytest.mark.parametrize(
    ("status", "verdict", "reason"),
    [
        (200, Verdict.OK, None),
        (404, Verdict.BROKEN, Reason.HTTP_404),
        (410, Verdict.BROKEN, Reason.HTTP_410),
        (401, Verdict.BLOCKED, Reason.HTTP_401),
        (403, Verdict.BLOCKED, Reason.HTTP_403),
        (451, Verdict.BLOCKED, Reason.HTTP_451),
        (999, Verdict.BLOCKED, Reason.HTTP_999),
        (418, Verdict.BLOCKED, Reason.HTTP_4XX),
        (502, Verdict.UNREACHABLE, Reason.HTTP_5XX),
        (304, Verdict.UNREACHABLE, Reason.PROTOCOL_ERROR),
    ],
)
def test_verdict_table_by_status(status: int, verdict: Verdict, reason: Reason | None) -> None:
    result = judge_final("https://v.example/a", [], _final(status), None, clean=str)
    assert (result.verdict, result.reason, result.http_status) == (verdict, reason, status)
    assert (result.final_url, result.content_type, result.redirects) == ("https://v.example/a", "text/html", ())


@pytest.mark.parametrize("status", [200, 401, 403, 429, 503])
def test_verdict_table_bot_walls(status: int) -> None:
    by_header = _final(status, **{"cf-mitigated": "challenge"})
    by_title = _final(status)
    facts = PageFacts(title="Just a moment...", canonical="https://v.example/c")
    for final, page in ((by_header, None), (by_title, facts)):
        assert not needs_soft_404_check(final, page)
        result = judge_final("https://v.example/a", [], final, page, clean=str, soft_404=SoftEvidence("ignored"))
        assert (result.verdict, result.reason) == (Verdict.BLOCKED, Reason.BOT_CHALLENGE)
    assert judge_final("https://v.example/a", [], by_title, facts, clean=str).canonical == "https://v.example/c"


def test_verdict_table_soft_404_and_redirects() -> None:
    assert needs_soft_404_check(_final(200), None)
    assert not needs_soft_404_check(_final(404), None)
    soft = judge_final("https://v.example/a", [], _final(200), None, clean=str, soft_404=SoftEvidence("the page says"))
    assert (soft.verdict, soft.reason, soft.detail) == (Verdict.BROKEN, Reason.SOFT_404, "the page says")
    # Only matching the page for a made-up path (an app shell matches for every path): not dead.
    shell = SoftEvidence("same page", conclusive=False)
    unsure = judge_final("https://v.example/a", [], _final(200), None, clean=str, soft_404=shell)
    assert (unsure.verdict, unsure.reason) == (Verdict.UNVERIFIED, Reason.SAME_AS_MISSING_PAGE)
    assert unsure.detail == "same page"

    def hop(status: int) -> Hop:
        return Hop(url="https://v.example/old", status=status, method="GET", location="https://v.example/a")

    end = _final(200, url="https://v.example/a?utm_source=x")
    permanent = judge_final("https://v.example/old", [hop(301), hop(308)], end, None, clean=lambda u: u.split("?")[0])
    assert (permanent.reason, permanent.suggested) == (Reason.PERMANENT_REDIRECT, "https://v.example/a")
    assert len(permanent.redirects) == 2
    # A suggestion that is the cited URL itself is no suggestion.
    same = judge_final("https://v.example/a", [hop(301)], end, None, clean=lambda u: "https://v.example/a")
    assert (same.verdict, same.suggested) == (Verdict.REDIRECTED, None)
    temporary = judge_final("https://v.example/old", [hop(301), hop(302)], end, None, clean=str)
    assert (temporary.reason, temporary.suggested) == (Reason.TEMPORARY_REDIRECT, None)


def test_offline_turns_nxdomain_into_unreachable() -> None:
    nxdomain = OnlineResult(url="https://nope.example/", verdict=Verdict.BROKEN, reason=Reason.DNS_NXDOMAIN)
    result = offline(nxdomain)
    assert (result.verdict, result.reason, result.url) == (Verdict.UNREACHABLE, Reason.OFFLINE, nxdomain.url)


def test_round_robin_starts_hosts_in_turn_within_the_global_limit() -> None:
    urls = [f"https://{host}.example/{i}" for host in "aab" for i in range(3)]  # grouped by host
    started: list[str] = []
    in_flight = [0, 0]  # now, most

    async def run(url: str) -> str:
        started.append(url)
        in_flight[0] += 1
        in_flight[1] = max(in_flight)
        await asyncio.sleep(0)
        in_flight[0] -= 1
        return url

    async def go() -> list[str]:
        batches = round_robin(urls, run, concurrency=3, host_concurrency=2)
        return [url async for batch in batches for url in batch]

    finished = asyncio.run(go())
    assert sorted(finished) == sorted(urls)
    # The second host starts before the first host's second URL, though the input is grouped.
    assert [url.split("/")[2] for url in started[:2]] == ["a.example", "b.example"]
    assert in_flight[1] <= 3
