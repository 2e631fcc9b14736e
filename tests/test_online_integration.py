"""The network checker against a real HTTP server on 127.0.0.1 (several ports = several hosts)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from citecheck.check import AsyncLinkChecker, NetworkOptions, OnlineResult
from citecheck.core.results import Reason, Verdict
from fakeweb import (
    FakeWeb,
    Handler,
    canonical,
    close_mid_headers,
    cloudflare_challenge,
    delay,
    drip,
    fail_first,
    garbage_status_line,
    gzip_bomb,
    head_refused,
    huge,
    linkedin_999,
    meta_refresh,
    ok,
    redirect_loop,
    redirect_to_host,
    redirect_to_metadata,
    redirect_to_private,
    soft_404,
    status,
    too_many_requests,
)

LOCAL = ("127.0.0.0/8",)
PDF = "application/pdf"


def options(**overrides: Any) -> NetworkOptions:
    return NetworkOptions(**{"allow_networks": LOCAL, "retries": 1, "backoff": 0.01, "timeout": 5.0, **overrides})


def check_all(
    setup: Callable[[FakeWeb], list[str]], hosts: int = 2, **overrides: Any
) -> tuple[list[OnlineResult], FakeWeb]:
    async def go() -> tuple[list[OnlineResult], FakeWeb]:
        async with FakeWeb(hosts=hosts) as web:
            urls = setup(web)
            async with AsyncLinkChecker(options(**overrides)) as checker:
                found = {r.url: r async for r in checker.check_many(urls)}
            return [found[u] for u in urls], web

    return asyncio.run(go())


def one(handler: Handler, path: str = "/a", **overrides: Any) -> OnlineResult:
    def setup(web: FakeWeb) -> list[str]:
        web.route(path, handler)
        return [web.url(0, path)]

    (result,), _ = check_all(setup, **overrides)
    return result


def test_private_addresses_are_refused_without_opt_in() -> None:
    async def go() -> tuple[OnlineResult, int]:
        async with FakeWeb() as web:
            web.route("/a", ok("x", PDF))
            async with AsyncLinkChecker(NetworkOptions(retries=0)) as checker:
                result = await checker.check(web.url(0, "/a"))
            return result, web.hosts[0].requests

    result, requests = asyncio.run(go())
    assert (result.verdict, result.reason) == (Verdict.SKIPPED, Reason.PRIVATE_ADDRESS)
    assert requests == 0


@pytest.mark.parametrize("handler", [redirect_to_metadata(), redirect_to_private()])
def test_redirect_to_a_private_address_is_not_followed(handler: Handler) -> None:
    result = one(handler)
    assert (result.verdict, result.reason) == (Verdict.SKIPPED, Reason.PRIVATE_ADDRESS)
    assert result.redirects
    assert result.redirects[0].status == 302


def test_cross_host_permanent_chain() -> None:
    target: list[str] = []

    def setup(web: FakeWeb) -> list[str]:
        web.route("/old", redirect_to_host(1, "/moved?utm_source=redir", 301), host=0)
        web.route("/moved", ok("pdf", PDF), host=1)
        target.append(web.url(1, "/moved"))
        return [web.url(0, "/old")]

    (result,), _ = check_all(setup)
    assert (result.verdict, result.reason) == (Verdict.REDIRECTED, Reason.PERMANENT_REDIRECT)
    assert result.suggested == target[0]


@pytest.mark.parametrize("method", ["get", "head"])
def test_loop_and_head_refusal_and_meta_refresh_and_canonical(method: str) -> None:
    def setup(web: FakeWeb) -> list[str]:
        web.routes(redirect_loop(["/l1", "/l2", "/l3"]))
        web.route("/picky", head_refused(405, ok("<title>Story</title>fine")))
        web.route("/refresh", meta_refresh("/target", 0))
        web.route("/target", ok("pdf", PDF))
        web.route("/canon", canonical("https://canonical.example/story"))
        return [web.url(0, p) for p in ("/l1", "/picky", "/refresh", "/canon")]

    (loop, picky, refresh, canon), _ = check_all(setup, method=method)
    assert (loop.verdict, loop.reason) == (Verdict.BROKEN, Reason.REDIRECT_LOOP)
    assert picky.verdict is Verdict.OK
    assert refresh.verdict is Verdict.REDIRECTED
    assert refresh.redirects[-1].kind == "meta-refresh"
    assert canon.canonical == "https://canonical.example/story"


@pytest.mark.parametrize(("method", "expected"), [("get", 1), ("head", 2)])
def test_one_request_per_page_by_default(method: str, expected: int) -> None:
    """A page costs one GET (plus its host's one soft-404 probe); HEAD first costs two."""

    def setup(web: FakeWeb) -> list[str]:
        web.route("/story", ok("<html><head><title>Storm</title></head><body>text</body></html>"))
        web.route("/report.pdf", ok(b"%PDF-1.7 " * 50_000, PDF))  # 450 KB: only its start is read
        web.fallback(status(404))
        return [web.url(0, "/story"), web.url(1, "/report.pdf")]

    (story, report), web = check_all(setup, method=method)
    assert (story.verdict, report.verdict) == (Verdict.OK, Verdict.OK)
    assert web.hosts[0].requests == expected + 1  # the page, and the probe of a made-up path
    assert web.hosts[1].requests == 1  # a document needs no reading either way


def test_soft_404s_by_title_and_by_catch_all() -> None:
    def setup(web: FakeWeb) -> list[str]:
        web.route("/gone", soft_404("de"), host=0)
        web.fallback(ok("<html><title>Example Mag</title><body>generic</body></html>"), host=1)
        web.route("/story", ok("<html><title>A real story</title><body>" + "words " * 300 + "</body></html>"), host=1)
        return [web.url(0, "/gone"), web.url(1, "/missing-article"), web.url(1, "/story")]

    (by_title, by_probe, real), _ = check_all(setup)
    assert (by_title.verdict, by_title.reason) == (Verdict.BROKEN, Reason.SOFT_404)
    # One page for every path, made-up ones included: nothing says the cited one is gone.
    assert (by_probe.verdict, by_probe.reason) == (Verdict.UNVERIFIED, Reason.SAME_AS_MISSING_PAGE)
    assert real.verdict is Verdict.OK


SHELL = (
    '<!doctype html><html><head><title>Daily Example</title><script src="/app.js"></script></head>'
    '<body><div id="root"></div><noscript>You need to enable JavaScript to run this app.</noscript></body></html>'
)


def test_single_page_apps_are_unverified_never_broken() -> None:
    """An app shell served for every path hides which paths exist: a person must look, no dead link."""

    def setup(web: FakeWeb) -> list[str]:
        web.fallback(ok(SHELL), host=0)  # the same 200 shell for every path, the probe's included
        web.fallback(soft_404(), host=1)  # 200 pages titled "Page not found"
        web.route("/2019/old-story", redirect_to_host(2, "/"), host=2)
        web.route("/", ok("<html><title>Home</title><body>front page</body></html>"), host=2)
        web.route("/story", ok("<html><title>A real story</title><body>words</body></html>"), host=3)
        web.fallback(status(404), host=3)
        return [
            web.url(0, "/news/2024/05/story"),
            web.url(0, "/"),
            web.url(1, "/gone"),
            web.url(2, "/2019/old-story"),
            web.url(3, "/story"),
            web.url(3, "/missing"),
        ]

    (deep, home, says_gone, to_root, real, missing), web = check_all(setup, hosts=4)
    for app in (deep, home):
        assert (app.verdict, app.reason, app.http_status) == (Verdict.UNVERIFIED, Reason.SAME_AS_MISSING_PAGE, 200)
        assert app.detail
    assert (says_gone.verdict, says_gone.reason) == (Verdict.BROKEN, Reason.SOFT_404)
    assert (to_root.verdict, to_root.reason) == (Verdict.BROKEN, Reason.SOFT_404)
    assert "site root" in (to_root.detail or "")
    assert (real.verdict, real.reason) == (Verdict.OK, None)
    assert (missing.verdict, missing.reason) == (Verdict.BROKEN, Reason.HTTP_404)
    assert web.hosts[0].requests == 3  # two pages and one probe of a made-up path


def test_walls() -> None:
    def setup(web: FakeWeb) -> list[str]:
        web.route("/cf", cloudflare_challenge())
        web.route("/li", linkedin_999())
        web.route("/404", status(404))
        return [web.url(0, p) for p in ("/cf", "/li", "/404")]

    (cf, li, missing), _ = check_all(setup)
    assert (cf.verdict, cf.reason) == (Verdict.BLOCKED, Reason.BOT_CHALLENGE)
    assert (li.verdict, li.reason) == (Verdict.BLOCKED, Reason.HTTP_999)
    assert (missing.verdict, missing.reason) == (Verdict.BROKEN, Reason.HTTP_404)


def test_retry_after_and_transient_failures() -> None:
    def setup(web: FakeWeb) -> list[str]:
        web.route("/busy", too_many_requests(1))
        web.route("/flaky", fail_first(1, ok("pdf", PDF), 503))
        return [web.url(0, "/busy"), web.url(0, "/flaky")]

    started = time.monotonic()
    (busy, flaky), _ = check_all(setup, retries=1)
    assert (busy.verdict, busy.reason, busy.attempts) == (Verdict.BLOCKED, Reason.RATE_LIMITED, 2)
    assert (flaky.verdict, flaky.attempts) == (Verdict.OK, 2)
    assert time.monotonic() - started >= 0.9  # Retry-After: 1 was honoured


def test_slow_dripping_huge_and_bombs_are_bounded() -> None:
    def setup(web: FakeWeb) -> list[str]:
        web.route("/slow", delay(3, ok("late", PDF)))
        web.route("/drip", drip(0.2, 10_000, content_type="text/html"))
        web.route("/huge", huge(50 * 1024 * 1024))
        web.route("/bomb", gzip_bomb())
        return [web.url(0, p) for p in ("/slow", "/drip", "/huge", "/bomb")]

    started = time.monotonic()
    (slow, dripping, big, bomb), _ = check_all(setup, timeout=1.0, retries=0)
    assert (slow.verdict, slow.reason) == (Verdict.UNREACHABLE, Reason.TIMEOUT)
    assert (dripping.verdict, dripping.reason) == (Verdict.UNREACHABLE, Reason.TIMEOUT)
    assert big.verdict is Verdict.OK
    assert bomb.verdict in (Verdict.OK, Verdict.BROKEN)  # judged from the capped start of the page
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("handler", [garbage_status_line(), close_mid_headers()])
def test_malformed_responses_are_unreachable(handler: Handler) -> None:
    result = one(handler, retries=0)
    assert (result.verdict, result.reason) == (Verdict.UNREACHABLE, Reason.PROTOCOL_ERROR)


def test_per_host_limit_is_never_exceeded() -> None:
    def setup(web: FakeWeb) -> list[str]:
        web.fallback(delay(0.05, ok("pdf", PDF)))
        return [web.url(h, f"/doc/{i}.pdf") for h in range(3) for i in range(20)]

    results, web = check_all(setup, hosts=3, host_concurrency=2, concurrency=5)
    assert {r.verdict for r in results} == {Verdict.OK}
    assert max(host.max_in_flight for host in web.hosts) <= 2
    assert web.max_in_flight <= 5


def test_cli_checks_online_with_an_allowed_network(tmp_path: Path, store_location: str) -> None:
    """With an SQLite file and a PostgreSQL database alike as ``--store``."""
    with FakeWeb.threaded(hosts=2) as web:
        web.route("/ok.pdf", ok("pdf", PDF), host=0)
        web.route("/gone", status(404), host=0)
        web.route("/old", redirect_to_host(1, "/new.pdf", 301), host=0)
        web.route("/new.pdf", ok("pdf", PDF), host=1)
        article = tmp_path / "post.md"
        article.write_text(
            f"[a]({web.url(0, '/ok.pdf')}) [b]({web.url(0, '/gone')}) [c]({web.url(0, '/old')}?utm_source=x)\n",
            "utf-8",
        )
        command = [sys.executable, "-m", "citecheck", "check", "--isolated", "--format", "json"]
        base = [*command, "--allow-network", "127.0.0.0/8", "--store", store_location]
        done = subprocess.run([*base, str(article)], capture_output=True, timeout=120, cwd=tmp_path)
        assert done.returncode == 1, done.stderr
        links = json.loads(done.stdout)["links"]
        assert [(link["verdict"], link["reason"]) for link in links] == [
            ("ok", None),
            ("broken", "http_404"),
            ("fixable", "tracking_params"),
        ]
        assert links[1]["online"]["history"] == "dead, first seen " + links[1]["online"]["checked_at"][:10]
        assert links[2]["online"]["final_url"] == web.url(1, "/new.pdf")
        assert links[2]["online"]["suggested"] == web.url(1, "/new.pdf")
        requests = sum(host.requests for host in web.hosts)
        # The second run reuses the stored answers: no new request for ok or broken links.
        again = subprocess.run([*base, str(article)], capture_output=True, timeout=120, cwd=tmp_path)
        assert [link["online"]["from_cache"] for link in json.loads(again.stdout)["links"]] == [True, True, True]
        assert sum(host.requests for host in web.hosts) == requests
        # Without the opt-in, nothing local is fetched.
        refused = subprocess.run([*command, "--no-store", str(article)], capture_output=True, timeout=120, cwd=tmp_path)
        assert {link["reason"] for link in json.loads(refused.stdout)["links"]} == {"private_address"}
        assert sum(host.requests for host in web.hosts) == requests
        # --fix-redirects rewrites the permanently redirected link to where it leads.
        fixed = subprocess.run(
            [*base, "--no-store", "--fix", "--fix-redirects", str(article)],
            capture_output=True,
            timeout=120,
            cwd=tmp_path,
            env={**os.environ},
        )
        assert fixed.returncode == 1  # the 404 remains
        assert f"[c]({web.url(1, '/new.pdf')})" in article.read_text("utf-8")


def test_cli_exits_1_for_a_known_failure_next_to_an_unreachable_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A link that cannot be reached says nothing about one known dead: the run still fails."""
    import socket

    from citecheck.cli.main import main

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{probe.getsockname()[1]}/nothing-listens"
    with FakeWeb.threaded(hosts=1) as web:
        web.route("/gone", status(404))
        (tmp_path / "dead.md").write_text(f"<{refused}> and <{web.url(0, '/gone')}>\n", "utf-8")
        (tmp_path / "down.md").write_text(f"<{refused}>\n", "utf-8")
        base = ["check", "--isolated", "--no-store", "--allow-network", "127.0.0.0/8", "--format", "json"]

        def run(*args: str) -> tuple[int, list[str]]:
            code = main([*base, *args])
            return code, [link["verdict"] for link in json.loads(capsys.readouterr().out)["links"]]

        assert run(str(tmp_path / "dead.md")) == (1, ["unreachable", "broken"])
        assert run(str(tmp_path / "down.md")) == (0, ["unreachable"])
        assert run("--fail-on", "unreachable", str(tmp_path / "down.md")) == (1, ["unreachable"])


def test_check_file_from_the_library(tmp_path: Path) -> None:
    from citecheck import Config, Session

    with FakeWeb.threaded(hosts=1) as web:
        web.route("/doc.pdf", ok("pdf", PDF))
        web.route("/gone", status(404))
        article = tmp_path / "a.md"
        article.write_text(f"[x]({web.url(0, '/doc.pdf')}?fbclid=1) and <{web.url(0, '/gone')}>\n", "utf-8")
        config = Config(allow_networks=("127.0.0.0/8",), retries=0, store="")
        with Session(config) as session:
            result = session.check_file(str(article))
    assert [(r.verdict, r.reason) for r in result.links] == [
        (Verdict.FIXABLE, Reason.TRACKING_PARAMS),
        (Verdict.BROKEN, Reason.HTTP_404),
    ]
    online = result.links[0].online
    assert online is not None
    assert online.verdict is Verdict.OK


def test_no_host_answering_is_said_plainly() -> None:
    async def go() -> tuple[list[OnlineResult], str | None]:
        async with FakeWeb(hosts=3) as web:
            ports = [web.url(h, "/") for h in range(3)]
        # The server is gone: every port refuses connections.
        async with AsyncLinkChecker(options(retries=0)) as checker:
            results = [r async for r in checker.check_many(ports)]
            return results, checker.offline_notice()

    results, notice = asyncio.run(go())
    assert {r.verdict for r in results} == {Verdict.UNREACHABLE}
    assert notice is not None
    assert "No host answered" in notice


def test_hosts_idna_refuses_and_unparsable_locations_are_verdicts_not_crashes() -> None:
    """One cited site must not end the run: an invalid A-label reached directly, through a
    redirect or a meta refresh, or a Location urljoin cannot parse, is that link's verdict."""
    bad_hosts = ["http://xn--zz.example/", "http://\u2603\u2603.example/"]

    def setup(web: FakeWeb) -> list[str]:
        web.routes(
            {
                "/to-bad-label": status(302, headers=[("Location", "http://xn--zz.example/")]),
                "/to-bad-ipv6": status(302, headers=[("Location", "http://[::1/")]),
                "/refresh-bad-label": meta_refresh("http://xn--zz.example/"),
                "/fine": ok("<html><body><p>fine</p></body></html>"),
            }
        )
        paths = ["/to-bad-label", "/to-bad-ipv6", "/refresh-bad-label", "/fine"]
        return [web.url(0, p) for p in paths] + bad_hosts

    results, _ = check_all(setup, hosts=1)
    found = {(r.verdict, r.reason) for r in results[:3]}
    assert found == {(Verdict.SKIPPED, Reason.INVALID_URL)}
    assert results[0].final_url == "http://xn--zz.example/"
    assert (results[3].verdict, results[4].verdict, results[5].verdict) == (
        Verdict.OK,
        Verdict.INVALID,
        Verdict.INVALID,
    )
    assert all(r.reason is Reason.INVALID_URL for r in results[4:])
