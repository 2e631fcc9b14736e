"""A result never claims a check that did not happen (issue #11, point 2).

``check_text`` checks online only when its config says so, and says plainly when it did not;
the pipeline's folding functions find results by the URL as cited as well as by the cleaned one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from citecheck import Config, Reason, Verdict, check_text
from citecheck.core.evidence import OnlineResult
from citecheck.core.snapshot import Snapshot, SnapshotSource
from citecheck.fix.documents import Document
from citecheck.net.limits import reset_limiters
from citecheck.pipeline.judge import Judge, with_online, with_pending, with_snapshots
from fakeweb import FakeWeb, ok, status

DIRTY = "https://example.com/a?utm_source=x&id=7"
CLEAN = "https://example.com/a?id=7"


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    reset_limiters()
    with FakeWeb.threaded(hosts=1) as server:
        server.route("/alive", ok("<title>A page</title>"))
        server.route("/gone", status(404))
        yield server
    reset_limiters()


def online_config(**overrides: object) -> Config:
    base: dict[str, object] = {"allow_networks": ("127.0.0.0/8",), "store": "", "retries": 0, "timeout": 5.0}
    return Config(**{**base, **overrides})  # type: ignore[arg-type]


@pytest.mark.parametrize("config", [None, Config(offline=True)])
def test_an_offline_check_text_says_the_link_was_not_checked(config: Config | None) -> None:
    (item,) = check_text("See https://example.com/page.", config=config).links
    assert (item.verdict, item.reason, item.online, item.checked_online) == (
        Verdict.OK,
        Reason.NOT_CHECKED,
        None,
        False,
    )
    assert "not checked" in item.message
    assert item.to_dict()["reason"] == "not_checked"


def test_an_online_config_checks_through_the_pipeline(web: FakeWeb) -> None:
    alive, gone = web.url(0, "/alive"), web.url(0, "/gone")
    result = check_text(f"{alive} and {gone}", config=online_config())
    found = [(r.verdict, r.reason, r.checked_online) for r in result.links]
    assert found == [(Verdict.OK, None, True), (Verdict.BROKEN, Reason.HTTP_404, True)]
    assert web.hosts[0].requests >= 2


def test_an_offline_config_makes_no_request(web: FakeWeb) -> None:
    result = check_text(web.url(0, "/gone"), config=online_config(offline=True))
    assert [(r.verdict, r.reason) for r in result.links] == [(Verdict.OK, Reason.NOT_CHECKED)]
    assert web.hosts[0].requests == 0


def online(url: str, verdict: Verdict = Verdict.BROKEN, reason: Reason | None = Reason.HTTP_404) -> OnlineResult:
    return OnlineResult(url=url, verdict=verdict, reason=reason, http_status=404)


@pytest.mark.parametrize("key", [DIRTY, CLEAN])
def test_with_online_accepts_the_cited_or_the_cleaned_url(key: str) -> None:
    result = Judge(Config()).document(Document(path="a.txt", text=DIRTY))
    (item,) = with_online(result, {key: online(key)}, fix_redirects=False).links
    assert (item.verdict, item.reason, item.checked_online) == (Verdict.BROKEN, Reason.HTTP_404, True)


def test_with_online_prefers_the_cleaned_url_when_both_are_given() -> None:
    result = Judge(Config()).document(Document(path="a.txt", text=DIRTY))
    both = {CLEAN: online(CLEAN), DIRTY: online(DIRTY, Verdict.OK, None)}
    (item,) = with_online(result, both, fix_redirects=False).links
    assert item.online is not None
    assert item.online.url == CLEAN


def test_an_ok_link_checked_online_loses_the_not_checked_reason() -> None:
    result = Judge(Config()).document(Document(path="a.txt", text=CLEAN))
    (item,) = with_online(result, {CLEAN: online(CLEAN, Verdict.OK, None)}, fix_redirects=False).links
    assert (item.verdict, item.reason, item.checked_online) == (Verdict.OK, None, True)


@pytest.mark.parametrize("key", [DIRTY, CLEAN])
def test_with_pending_accepts_the_cited_or_the_cleaned_url(key: str) -> None:
    result = Judge(Config()).document(Document(path="a.txt", text=DIRTY))
    (item,) = with_pending(result, [key]).links
    assert (item.verdict, item.reason) == (Verdict.PENDING, None)


@pytest.mark.parametrize("key", [DIRTY, CLEAN])
def test_with_snapshots_accepts_the_cited_or_the_cleaned_url(key: str) -> None:
    result = Judge(Config()).document(Document(path="a.txt", text=DIRTY))
    snapshot = Snapshot(
        original_url=DIRTY,
        lookup_url=CLEAN,
        archive="ia",
        memento_url=f"https://web.archive.org/web/20230101000000/{CLEAN}",
        captured_at=datetime(2023, 1, 1, tzinfo=UTC),
        source=SnapshotSource.CDX,
    )
    (item,) = with_snapshots(result, {key: snapshot}).links
    assert item.snapshot == snapshot
    (other,) = with_snapshots(result, {"https://example.org/": snapshot}).links
    assert other.snapshot is None
