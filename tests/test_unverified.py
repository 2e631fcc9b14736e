"""``unverified``: a page that cannot be told from the site's page for a made-up path (issue #11).

A single-page app serves one shell for every path, so matching that page is no evidence of a
dead link: every format reports it as a warning, nothing fails on it unless asked, and the
store neither reuses it as trouble nor counts it towards "dead, confirmed".
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from citecheck import Config, Session
from citecheck.cli import main
from citecheck.core.defaults import check_verdicts
from citecheck.core.errors import ConfigError
from citecheck.core.evidence import OnlineResult
from citecheck.core.links import Link, LinkKind, Syntax
from citecheck.core.results import CheckReport, FileResult, LinkResult
from citecheck.core.values import VERDICT_NAMES
from citecheck.core.verdicts import DEFAULT_FAIL_ON, DESCRIPTIONS, FINDINGS, Reason, Verdict
from citecheck.net.limits import reset_limiters
from citecheck.report import render
from citecheck.server.app import ServiceSettings, _overall, create_app
from fakeweb import FakeWeb, ok, status

URL = "https://app.example/news/2024/story"
SHELL = "<html><head><title>Daily Example</title></head><body><div id='root'></div></body></html>"
DETAIL = "an app that renders in the browser serves one page for every path: open the link to see"


def unverified_link(path: str = "post.md") -> LinkResult:
    link = Link(url=URL, raw=URL, start=0, end=len(URL), line=2, column=4, kind=LinkKind.BARE, syntax=Syntax.PLAIN)
    online = OnlineResult(
        url=URL, verdict=Verdict.UNVERIFIED, reason=Reason.SAME_AS_MISSING_PAGE, http_status=200, detail=DETAIL
    )
    return LinkResult(
        path=path,
        link=link,
        verdict=Verdict.UNVERIFIED,
        reason=Reason.SAME_AS_MISSING_PAGE,
        cleaned=URL,
        online=online,
    )


def report(**kwargs: object) -> CheckReport:
    return CheckReport(files=(FileResult(path="post.md", links=(unverified_link(),)),), **kwargs)  # type: ignore[arg-type]


def test_a_finding_that_fails_nothing_by_default() -> None:
    assert Verdict.UNVERIFIED in FINDINGS
    assert Verdict.UNVERIFIED not in DEFAULT_FAIL_ON
    assert "unverified" in VERDICT_NAMES
    assert check_verdicts(["broken", "unverified"]) == ("broken", "unverified")
    with pytest.raises(ConfigError):
        check_verdicts(["unverifed"])
    assert report().exit_code() == 0
    assert report(fail_on=frozenset({Verdict.UNVERIFIED})).exit_code() == 1
    assert "could not be verified" in DESCRIPTIONS[Reason.SAME_AS_MISSING_PAGE]
    assert unverified_link().message.startswith("link could not be verified")


def test_every_format_reports_it_as_a_warning() -> None:
    text = render(report(), "text")
    assert "same_as_missing_page" in text
    assert URL in text

    document = json.loads(render(report(), "json"))
    (entry,) = document["links"]
    assert (entry["verdict"], entry["reason"]) == ("unverified", "same_as_missing_page")
    assert (document["summary"]["unverified"], document["summary"]["findings"]) == (1, 1)

    github = render(report(), "github")
    assert github.startswith("::warning ")
    assert "title=citecheck%3A Could not be verified::" in github

    sarif = json.loads(render(report(), "sarif"))
    (run,) = sarif["runs"]
    (result,) = run["results"]
    assert (result["ruleId"], result["level"]) == ("same_as_missing_page", "warning")
    (rule,) = run["tool"]["driver"]["rules"]
    assert (rule["defaultConfiguration"]["level"], rule["shortDescription"]["text"]) == (
        "warning",
        "Could not be verified",
    )

    junit = ET.fromstring(render(report(), "junit").encode("utf-8"))
    (failure,) = junit.iter("failure")
    assert failure.get("type") == "same_as_missing_page"


def test_the_service_warns_and_fails_only_when_told() -> None:
    links = (unverified_link(),)
    assert _overall(links, DEFAULT_FAIL_ON) == "warn"
    assert _overall(links, DEFAULT_FAIL_ON | {Verdict.UNVERIFIED}) == "fail"


@pytest.fixture
def spa() -> Iterator[FakeWeb]:
    """Host 0 answers the same app shell for every path; host 1 is a plain site with real 404s."""
    reset_limiters()
    with FakeWeb.threaded(hosts=2) as server:
        server.fallback(ok(SHELL), host=0)
        server.route("/story", ok("<html><title>A story</title><body>words</body></html>"), host=1)
        server.fallback(status(404), host=1)
        yield server
    reset_limiters()


def test_the_service_answers_warn_for_an_app_shell(tmp_path: Path, spa: FakeWeb) -> None:
    config = Config(allow_networks=("127.0.0.0/8",), store=str(tmp_path / "store.sqlite3"), retries=0, timeout=5.0)
    auth = {"Authorization": "Bearer token"}
    with TestClient(create_app(config, ServiceSettings(token="token"))) as client:
        urls = [spa.url(0, "/news/story"), spa.url(0, "/"), spa.url(1, "/story")]
        answer = client.post("/v1/check", json={"urls": urls}, headers=auth).json()
        assert answer["verdict"] == "warn"
        assert [link["verdict"] for link in answer["links"]] == ["unverified", "unverified", "ok"]
        requests = spa.hosts[0].requests
        again = client.post("/v1/check", json={"urls": urls[:2]}, headers=auth).json()
        assert [link["online"]["from_cache"] for link in again["links"]] == [True, True]
        assert spa.hosts[0].requests == requests


def test_the_pipeline_lets_unverified_win_over_cleaning(tmp_path: Path, spa: FakeWeb) -> None:
    with Session(Config(allow_networks=("127.0.0.0/8",), store="", retries=0, timeout=5.0)) as session:
        checked = session.check_urls([spa.url(0, "/a?utm_source=x"), spa.url(1, "/gone")])
    assert [(r.verdict, r.reason) for r in checked.links] == [
        (Verdict.UNVERIFIED, Reason.SAME_AS_MISSING_PAGE),
        (Verdict.BROKEN, Reason.HTTP_404),
    ]


def test_the_cli_exits_0_unless_fail_on_names_it(
    tmp_path: Path, spa: FakeWeb, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "citecheck.toml").write_text('allow_networks = ["127.0.0.0/8"]\nretries = 0\nstore = ""\n', "utf-8")
    (tmp_path / "post.md").write_text(f"See [the story]({spa.url(0, '/news/story')}).\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "post.md"]) == 0
    assert "same_as_missing_page" in capsys.readouterr().out
    assert main(["check", "post.md", "--fail-on", "broken,unverified"]) == 1
