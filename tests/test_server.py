"""The HTTP service: every route and error path, with Starlette's client and one real server."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from citecheck.core.config import Config
from citecheck.core.links import Link, LinkKind, Syntax
from citecheck.core.results import LinkResult
from citecheck.core.settings import ArchiveSettings
from citecheck.core.verdicts import DEFAULT_FAIL_ON, Verdict
from citecheck.server.app import OPENAPI, Service, ServiceSettings, _overall, create_app
from fakeweb import FakeWeb, cloudflare_challenge, delay, ok, redirect_to_metadata, status

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PDF = "application/pdf"


def client_for(tmp_path: Path, **settings: Any) -> TestClient:
    config = Config(allow_networks=("127.0.0.0/8",), store=str(tmp_path / "store.sqlite3"), retries=0, timeout=5.0)
    return TestClient(create_app(config, ServiceSettings(token=TOKEN, **settings)))


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    with FakeWeb.threaded(hosts=1) as server:
        server.route("/ok.pdf", ok("pdf", PDF))
        server.route("/gone", status(404))
        server.route("/slow.pdf", delay(1.5, ok("pdf", PDF)))
        server.route("/to-metadata", redirect_to_metadata())
        server.route("/wall", cloudflare_challenge())
        yield server


def test_health_and_openapi_need_no_token(tmp_path: Path) -> None:
    with client_for(tmp_path) as client:
        assert client.get("/healthz").json()["status"] == "ok"
        document = client.get("/openapi.json").json()
        assert document == OPENAPI
        routes = {route.path for route in client.app.routes}  # type: ignore[attr-defined]
        assert set(document["paths"]) == routes


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}])
def test_v1_routes_need_the_token(tmp_path: Path, headers: dict[str, str]) -> None:
    with client_for(tmp_path) as client:
        for method, path in (("POST", "/v1/clean"), ("POST", "/v1/check"), ("GET", "/v1/jobs/x")):
            response = client.request(method, path, json={"urls": []}, headers=headers)
            assert response.status_code == 401, path
            assert TOKEN not in response.text


def test_clean_content_and_urls(tmp_path: Path) -> None:
    content = "See [the report](https://example.com/r?utm_source=nl&id=7) and `https://x.example/?utm_source=1`.\n"
    with client_for(tmp_path) as client:
        answer = client.post("/v1/clean", json={"content": content, "format": "markdown"}, headers=AUTH).json()
        assert answer["content"] == content.replace("r?utm_source=nl&id=7", "r?id=7")
        assert answer["changes"] == [
            {"line": 1, "column": 18, "old": "https://example.com/r?utm_source=nl&id=7",
             "new": "https://example.com/r?id=7", "removed": ["utm_source"]}
        ]  # fmt: skip
        urls = client.post("/v1/clean", json={"urls": ["https://a.example/?fbclid=1"]}, headers=AUTH).json()
        assert urls["content"] is None
        assert urls["urls"] == [
            {"url": "https://a.example/?fbclid=1", "cleaned": "https://a.example/", "removed": ["fbclid"]}
        ]


@pytest.mark.parametrize(
    ("body", "status_code", "message"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (b'{"content": "x", "urls": []}', 400, "exactly one"),
        (b'{"content": "x", "format": "docx"}', 400, "'format'"),
        (b'{"urls": "https://a.example/"}', 400, "list of strings"),
        (b'{"urls": [], "deadline_ms": -1}', 400, "deadline_ms"),
        (b'{"urls": [], "fix": "yes"}', 400, "true or false"),
        (b'{"content": "' + b"x" * 12_000 + b'"}', 413, "larger than"),
        # Hostile JSON (#14): each of these answered 500 with a traceback.
        (b"[" * 1500 + b"]" * 1500, 400, "nested too deeply"),
        (b'{"urls": [], "deadline_ms": ' + b"9" * 5000 + b"}", 400, "not valid JSON"),
        (b'{"content": "a \\ud800 b"}', 400, "lone surrogate"),
        (b'{"urls": ["https://a.example/\\udfff"]}', 400, "lone surrogate"),
    ],
)
def test_bad_requests(tmp_path: Path, body: bytes, status_code: int, message: str) -> None:
    with client_for(tmp_path, max_body_bytes=10_000) as client:
        response = client.post("/v1/check", content=body, headers={**AUTH, "Content-Type": "application/json"})
        assert response.status_code == status_code
        assert message in response.json()["error"]


def test_check_verdicts_fix_and_store(tmp_path: Path, web: FakeWeb) -> None:
    good, gone = web.url(0, "/ok.pdf"), web.url(0, "/gone")
    with client_for(tmp_path) as client:
        passing = client.post("/v1/check", json={"urls": [good]}, headers=AUTH).json()
        assert passing["schema_version"] == 2
        assert passing["verdict"] == "pass"
        assert passing["job"] is None
        content = f"[a]({good}?utm_source=x) and [b]({gone})\n"
        answer = client.post(
            "/v1/check", json={"content": content, "format": "markdown", "fix": True}, headers=AUTH
        ).json()
        assert answer["verdict"] == "fail"
        assert [(link["verdict"], link["reason"]) for link in answer["links"]] == [
            ("fixable", "tracking_params"),
            ("broken", "http_404"),
        ]
        assert answer["content"] == f"[a]({good}) and [b]({gone})\n"
        requests = web.hosts[0].requests
        again = client.post("/v1/check", json={"content": content, "format": "markdown"}, headers=AUTH).json()
        assert [link["online"]["from_cache"] for link in again["links"]] == [True, True]
        assert web.hosts[0].requests == requests  # ten editors, one request per URL


def test_deadline_gives_a_job_that_completes_in_the_background(tmp_path: Path, web: FakeWeb) -> None:
    slow = web.url(0, "/slow.pdf")
    with client_for(tmp_path) as client:
        answer = client.post("/v1/check", json={"urls": [slow], "deadline_ms": 100}, headers=AUTH).json()
        assert answer["verdict"] == "incomplete"
        assert answer["links"][0]["verdict"] == "pending"
        job = answer["job"]
        assert job
        for _ in range(100):
            later = client.get(f"/v1/jobs/{job}", headers=AUTH).json()
            if later["verdict"] != "incomplete":
                break
            time.sleep(0.05)
        assert later["verdict"] == "pass"
        assert later["job"] is None
        # The background result landed in the store: asking again answers at once.
        quick = client.post("/v1/check", json={"urls": [slow], "deadline_ms": 0}, headers=AUTH).json()
        assert quick["verdict"] == "pass"
        assert client.get("/v1/jobs/nope", headers=AUTH).status_code == 404


def _verdicts(answer: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(link["verdict"], link["reason"]) for link in answer["links"]]


def test_a_known_failure_fails_while_other_links_are_pending(tmp_path: Path, web: FakeWeb) -> None:
    gone, slow = web.url(0, "/gone"), web.url(0, "/slow.pdf")
    with client_for(tmp_path) as client:
        # A 404 answered within the deadline, next to a link that misses it.
        answer = client.post("/v1/check", json={"urls": [gone, slow], "deadline_ms": 700}, headers=AUTH).json()
        assert _verdicts(answer) == [("broken", "http_404"), ("pending", None)]
        assert answer["verdict"] == "fail"
        job = answer["job"]
        assert job  # the slow link still finishes in the background and can be polled
        polled = client.get(f"/v1/jobs/{job}", headers=AUTH).json()
        assert polled["verdict"] == "fail"
        for _ in range(100):
            if polled["job"] is None:
                break
            time.sleep(0.05)
            polled = client.get(f"/v1/jobs/{job}", headers=AUTH).json()
        assert _verdicts(polled) == [("broken", "http_404"), ("ok", None)]
        assert polled["verdict"] == "fail"
        # A link the store already knows is dead fails at once, even with no time to wait.
        cold = web.url(0, "/slow.pdf?v=2")
        known = client.post("/v1/check", json={"urls": [cold, gone], "deadline_ms": 0}, headers=AUTH).json()
        assert _verdicts(known) == [("pending", None), ("broken", "http_404")]
        assert known["verdict"] == "fail"
        assert known["job"]


def test_only_pending_links_are_incomplete(tmp_path: Path, web: FakeWeb) -> None:
    slow = web.url(0, "/slow.pdf")
    with client_for(tmp_path) as client:
        answer = client.post("/v1/check", json={"urls": [slow], "deadline_ms": 100}, headers=AUTH).json()
        assert _verdicts(answer) == [("pending", None)]
        assert answer["verdict"] == "incomplete"
        assert answer["job"]


def test_fixable_blocked_and_unreachable_links_do_not_fail(tmp_path: Path, web: FakeWeb) -> None:
    """Only verdicts that fail make ``fail``; the service leaves fixable links to ``"fix": true``."""
    slow, wall = web.url(0, "/slow.pdf"), web.url(0, "/wall")
    tracked = web.url(0, "/ok.pdf?utm_source=x")
    refused = f"http://127.0.0.1:{_free_port()}/nothing-listens"
    with client_for(tmp_path) as client:
        answer = client.post("/v1/check", json={"urls": [wall, refused], "deadline_ms": 5000}, headers=AUTH).json()
        assert [link["verdict"] for link in answer["links"]] == ["blocked", "unreachable"]
        assert (answer["verdict"], answer["job"]) == ("warn", None)
        fixable = client.post("/v1/check", json={"urls": [tracked], "deadline_ms": 5000}, headers=AUTH).json()
        assert _verdicts(fixable) == [("fixable", "tracking_params")]
        assert fixable["verdict"] == "warn"
        mixed = client.post("/v1/check", json={"urls": [tracked, wall, slow], "deadline_ms": 700}, headers=AUTH).json()
        assert [link["verdict"] for link in mixed["links"]] == ["fixable", "blocked", "pending"]
        assert mixed["verdict"] == "incomplete"
        assert mixed["job"]
    # An operator who lists unreachable in fail_on gets fail for it, pending links or not.
    config = Config(
        allow_networks=("127.0.0.0/8",), store="", retries=0, timeout=5.0, fail_on=("broken", "unreachable")
    )
    with TestClient(create_app(config, ServiceSettings(token=TOKEN))) as client:
        strict = client.post("/v1/check", json={"urls": [refused, slow], "deadline_ms": 700}, headers=AUTH).json()
        assert [link["verdict"] for link in strict["links"]] == ["unreachable", "pending"]
        assert strict["verdict"] == "fail"


def _result(verdict: Verdict) -> LinkResult:
    url = f"https://example.com/{verdict.value}"
    link = Link(url=url, raw=url, start=0, end=len(url), line=1, column=1, kind=LinkKind.BARE, syntax=Syntax.PLAIN)
    return LinkResult(path="<urls>", link=link, verdict=verdict, cleaned=url)


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        ((), "pass"),
        ((Verdict.OK, Verdict.SKIPPED, Verdict.REDIRECTED), "pass"),
        ((Verdict.OK, Verdict.FIXABLE), "warn"),
        ((Verdict.BLOCKED, Verdict.UNREACHABLE), "warn"),
        ((Verdict.OK, Verdict.PENDING), "incomplete"),
        ((Verdict.FIXABLE, Verdict.BLOCKED, Verdict.PENDING), "incomplete"),
        ((Verdict.PENDING, Verdict.BROKEN), "fail"),
        ((Verdict.INVALID, Verdict.PENDING, Verdict.UNREACHABLE), "fail"),
        ((Verdict.BROKEN, Verdict.FIXABLE), "fail"),
    ],
)
def test_overall_verdict_precedence(verdicts: tuple[Verdict, ...], expected: str) -> None:
    """fail, then incomplete, then warn, then pass: a known failure is never hidden by a pending link."""
    links = tuple(_result(v) for v in verdicts)
    assert _overall(links, DEFAULT_FAIL_ON) == expected
    assert _overall(tuple(reversed(links)), DEFAULT_FAIL_ON) == expected


def test_overall_verdict_follows_fail_on() -> None:
    pending_and_unreachable = (_result(Verdict.PENDING), _result(Verdict.UNREACHABLE))
    assert _overall(pending_and_unreachable, DEFAULT_FAIL_ON) == "incomplete"
    assert _overall(pending_and_unreachable, frozenset({Verdict.UNREACHABLE})) == "fail"
    broken = (_result(Verdict.BROKEN), _result(Verdict.PENDING))
    assert _overall(broken, frozenset({Verdict.INVALID})) == "incomplete"


def test_private_targets_are_refused_even_via_redirects(tmp_path: Path, web: FakeWeb) -> None:
    with client_for(tmp_path) as client:
        answer = client.post("/v1/check", json={"urls": [web.url(0, "/to-metadata")]}, headers=AUTH).json()
        assert (answer["links"][0]["verdict"], answer["links"][0]["reason"]) == ("skipped", "private_address")
    # Without the operator's allow_networks, the local server itself is refused.
    config = Config(store="", retries=0)
    with TestClient(create_app(config, ServiceSettings(token=TOKEN))) as client:
        answer = client.post("/v1/check", json={"urls": [web.url(0, "/ok.pdf")]}, headers=AUTH).json()
        assert answer["links"][0]["reason"] == "private_address"


def test_a_full_queue_answers_503_with_retry_after(tmp_path: Path) -> None:
    with client_for(tmp_path, max_queue=0) as client:
        response = client.post("/v1/clean", json={"urls": []}, headers=AUTH)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"


def test_cors_only_for_configured_origins(tmp_path: Path) -> None:
    preflight = {"Origin": "https://cms.example", "Access-Control-Request-Method": "POST"}
    with client_for(tmp_path, cors_origins=("https://cms.example",)) as client:
        allowed = client.options("/v1/clean", headers=preflight)
        assert allowed.headers.get("access-control-allow-origin") == "https://cms.example"
        other = client.options("/v1/clean", headers={**preflight, "Origin": "https://evil.example"})
        assert other.headers.get("access-control-allow-origin") is None
    with client_for(tmp_path) as client:
        assert client.options("/v1/clean", headers=preflight).headers.get("access-control-allow-origin") is None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port, in a thread; yields its base URL."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_real_server_over_http(tmp_path: Path) -> None:
    app = create_app(Config(store=str(tmp_path / "s.sqlite3")), ServiceSettings(token=TOKEN))
    with serving(app) as base:
        assert httpx.get(f"{base}/healthz").json()["status"] == "ok"
        answer = httpx.post(f"{base}/v1/clean", json={"urls": ["https://a.example/?gclid=1"]}, headers=AUTH).json()
        assert answer["urls"][0]["cleaned"] == "https://a.example/"
        assert httpx.post(f"{base}/v1/clean", json={"urls": []}).status_code == 401


def test_check_with_archive_attaches_snapshots(tmp_path: Path, web: FakeWeb) -> None:
    import json as json_module

    from citecheck.net.limits import reset_limiters

    reset_limiters()
    good = web.url(0, "/ok.pdf")
    rows = [
        ["timestamp", "original", "statuscode", "mimetype", "digest", "length"],
        ["20230101000000", good, "200", PDF, "D", "1"],
    ]
    web.route("/cdx/search/cdx", ok(json_module.dumps(rows), "application/json"))
    archive = ArchiveSettings(wayback_url=web.url(0, "/").rstrip("/"), cdx_per_minute=6000)
    config = Config(allow_networks=("127.0.0.0/8",), store=str(tmp_path / "a.sqlite3"), retries=0, archive=archive)
    with TestClient(create_app(config, ServiceSettings(token=TOKEN))) as client:
        answer = client.post("/v1/check", json={"urls": [good], "archive": True}, headers=AUTH).json()
    (link,) = answer["links"]
    assert link["snapshot"]["archive"] == "ia"
    assert link["snapshot"]["url"].endswith(f"/web/20230101000000/{good}")


def test_a_request_with_too_many_links_gets_413_with_the_limit(tmp_path: Path) -> None:
    urls = [f"https://a{i}.example/" for i in range(30)]
    with client_for(tmp_path, max_urls=20) as client:
        for route in ("/v1/clean", "/v1/check"):
            response = client.post(route, json={"urls": urls}, headers=AUTH)
            assert response.status_code == 413
            assert "more than the 20" in response.json()["error"]


def test_a_slow_parse_is_refused_in_time_and_health_stays_answered(tmp_path: Path) -> None:
    """#14: hostile Markdown took 14 s in the event loop while /healthz waited.
    Reading links now runs on a worker thread, bounded by ``max_parse_ms``."""
    app = create_app(
        Config(store=str(tmp_path / "s.sqlite3")),
        ServiceSettings(token=TOKEN, max_parse_ms=300, max_body_bytes=2_000_000),
    )
    with serving(app) as base:
        hostile = {"content": "[](" * 100_000, "format": "markdown"}  # slow in link destinations
        answers: list[httpx.Response] = []
        poster = threading.Thread(
            target=lambda: answers.append(httpx.post(f"{base}/v1/clean", json=hostile, headers=AUTH, timeout=60))
        )
        poster.start()
        health_waits = []
        while poster.is_alive():
            started = time.monotonic()
            assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
            health_waits.append(time.monotonic() - started)
            time.sleep(0.05)
        poster.join()
        assert answers[0].status_code == 503
        assert "longer than 300 ms" in answers[0].json()["error"]
        assert health_waits
        assert max(health_waits) < 1.0, health_waits


def test_an_abandoned_job_stops_its_work(tmp_path: Path) -> None:
    """#14: work for jobs nobody can ask about any more (pushed out by ``max_jobs``) used to run
    on, holding the pool; it is cancelled, and what arrived before is still recorded."""

    async def go() -> tuple[bool, bool]:
        async with FakeWeb() as slow_web:
            slow_web.fallback(delay(30.0, ok("<html><body><p>slow</p></body></html>")))
            config = Config(store=str(tmp_path / "s.sqlite3"), allow_networks=("127.0.0.0/8",))
            service = Service(config, ServiceSettings(token=None, max_jobs=1))
            await service.startup()
            try:
                first = await service.check({"urls": [slow_web.url(0, "/a")], "deadline_ms": 50})
                abandoned = service.jobs[first["job"]].run
                second = await service.check({"urls": [slow_web.url(0, "/b")], "deadline_ms": 50})
                kept = service.jobs[second["job"]].run
                assert first["job"] not in service.jobs
                await asyncio.sleep(0.2)
                return abandoned.done, kept.done
            finally:
                await service.shutdown()

    assert asyncio.run(go()) == (True, False)  # /a's check was cancelled, /b's still runs
