"""The checker at its edges: wrong types, use after close, input order, stale answers, hop failures."""

from __future__ import annotations

import asyncio
import socket
import time

import httpx
import pytest

from citecheck.check import AsyncLinkChecker, LinkChecker, NetworkOptions
from citecheck.core.verdicts import Reason, Verdict
from fakeweb import FakeWeb, delay, ok, redirect, status

LOCAL = ("127.0.0.0/8",)


def _pdf(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=b"%PDF", headers={"content-type": "application/pdf"})


def test_a_url_that_is_not_a_string_is_a_type_error_as_in_clean_url() -> None:
    with LinkChecker(transport=httpx.MockTransport(_pdf)) as checker:
        with pytest.raises(TypeError, match="str, not int"):
            checker.check(123)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="str, not bytes"):
            list(checker.check_many([b"https://example.com/"]))  # type: ignore[list-item]


def test_a_checker_used_after_its_with_block_says_so() -> None:
    with LinkChecker(transport=httpx.MockTransport(_pdf)) as checker:
        assert checker.check("https://example.com/a.pdf").verdict is Verdict.OK
    with pytest.raises(RuntimeError, match="this LinkChecker is closed"):
        checker.check("https://example.com/a.pdf")
    checker.close()  # closing twice is harmless


def test_check_many_can_keep_input_order() -> None:
    async def go() -> tuple[list[str], list[str], list[str]]:
        async with FakeWeb(hosts=2) as web:
            web.route("/slow", delay(0.3, ok("x", "application/pdf")))
            web.route("/fast", ok("x", "application/pdf"))
            urls = [web.url(0, "/slow"), web.url(1, "/fast"), web.url(0, "/fast"), web.url(0, "/slow")]
            options = NetworkOptions(allow_networks=LOCAL, probe_soft_404=False)
            async with AsyncLinkChecker(options) as checker:
                unordered = [r.url async for r in checker.check_many(urls)]
            async with AsyncLinkChecker(options) as checker:
                ordered = [r.url async for r in checker.check_many(urls, ordered=True)]
            return urls, unordered, ordered

    urls, unordered, ordered = asyncio.run(go())
    assert ordered == urls  # a repeated URL comes back at each of its places
    assert unordered != urls  # the slow one finished last without the option
    assert sorted(unordered) == sorted(urls)


def test_a_long_lived_checker_checks_again_once_an_answer_is_old() -> None:
    calls: list[str] = []

    def serve(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return _pdf(request)

    async def go() -> None:
        options = NetworkOptions(remember_for=0.05)
        async with AsyncLinkChecker(options, transport=httpx.MockTransport(serve)) as checker:
            await checker.check("https://example.com/a.pdf")
            await checker.check("https://example.com/a.pdf")
            assert len(calls) == 1  # young: reused
            time.sleep(0.06)
            await checker.check("https://example.com/a.pdf")
            assert len(calls) == 2  # old: checked again

    asyncio.run(go())


def test_a_failing_redirect_target_is_reported_for_the_cited_url_with_where_it_failed() -> None:
    async def go() -> tuple[str, object, str | None]:
        async with FakeWeb() as web:
            web.route("/moved", redirect("/gone-wrong", 301))
            web.route("/gone-wrong", status(503, "busy"))
            cited = web.url(0, "/moved")
            options = NetworkOptions(allow_networks=LOCAL, retries=0, probe_soft_404=False)
            async with AsyncLinkChecker(options) as checker:
                result = await checker.check(cited)
            assert result.url == cited
            return result.url, result.reason, result.final_url

    _, reason, final_url = asyncio.run(go())
    assert reason is Reason.HTTP_5XX
    assert final_url is not None
    assert final_url.endswith("/gone-wrong")


def test_a_redirect_to_a_closed_port_is_unreachable_with_the_chain_and_where_it_failed() -> None:
    """#14: such a link came back ok, or without saying where it failed."""

    async def go() -> tuple[object, object, str | None, int, str]:
        with socket.socket() as probe:  # a port nothing listens on once closed
            probe.bind(("127.0.0.1", 0))
            closed = probe.getsockname()[1]
        target = f"http://127.0.0.1:{closed}/x"
        async with FakeWeb() as web:
            web.route("/moved", status(302, headers=[("Location", target)]))
            options = NetworkOptions(allow_networks=LOCAL, retries=1, backoff=0.01, probe_soft_404=False)
            async with AsyncLinkChecker(options) as checker:
                result = await checker.check(web.url(0, "/moved"))
        return result.verdict, result.reason, result.final_url, len(result.redirects), target

    verdict, reason, final_url, hops, target = asyncio.run(go())
    assert (verdict, reason) == (Verdict.UNREACHABLE, Reason.CONNECTION_ERROR)
    assert final_url == target
    assert hops == 1


def test_time_queued_behind_the_host_limit_is_not_a_timeout() -> None:
    """#14: 2,000 URLs of one healthy host came back partly `timeout`: the per-attempt clock
    ran while each waited for its turn. Each request now has its timeout from when it is sent."""

    async def go() -> list[tuple[Verdict, Reason | None]]:
        async with FakeWeb() as web:
            web.fallback(delay(0.2, ok("<html><body><p>fine</p></body></html>")))
            urls = [web.url(0, f"/page-{i}") for i in range(16)]
            options = NetworkOptions(
                allow_networks=LOCAL, retries=0, timeout=1.0, host_concurrency=2, probe_soft_404=False
            )
            async with AsyncLinkChecker(options) as checker:
                # All at once, as the service asks them (check_many would feed them by host).
                results = await asyncio.gather(*(checker.check(url) for url in urls))
        return [(r.verdict, r.reason) for r in results]

    # 16 requests, 2 at a time, 0.2 s each: the last waits 1.4 s, more than its 1 s timeout.
    assert set(asyncio.run(go())) == {(Verdict.OK, None)}
