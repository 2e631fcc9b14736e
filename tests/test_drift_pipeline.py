"""Content drift end to end through the session (the library call), against 127.0.0.1.

Host 0 of a :class:`FakeWeb` plays a Wayback archive (CDX rows and ``id_`` raw captures), host 1
the live web. Pages are made by ``drift_pages``: identical, same text under a new layout,
rewritten, earlier vs later capture, no capture, a live page that is not HTML.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from citecheck import Session
from citecheck.core.drift import Drift, DriftVerdict
from citecheck.drift import maintext
from citecheck.fix.documents import Document
from citecheck.pipeline.session import AsyncSession, Source
from citecheck.server.app import ServiceSettings, create_app
from citecheck.store import open_store
from citecheck.store.drifts import reusable_drift
from drift_pages import OTHER_ARTICLE, REWRITTEN, page
from drift_web import Web, fake_archive
from fakeweb import ok

pytest.importorskip("trafilatura")


@pytest.fixture
def web() -> Iterator[Web]:
    with fake_archive() as made:
        yield made


def _drifts(web: Web, urls: list[str], **overrides: object) -> dict[str, Drift | None]:
    with Session(web.config(**overrides)) as session:
        result = session.check_urls(urls)
    return {item.link.url: item.drift for item in result.links}


def test_each_kind_of_page_gets_its_verdict(web: Web) -> None:
    same = web.publish("/same", page(), {"20210301000000": page()})
    layout = web.publish("/layout", page(template="b"), {"20210301000000": page()})
    rewritten = web.publish("/rewritten", page(REWRITTEN), {"20210301000000": page()})
    missing = web.publish("/missing", page(), {})
    pdf = web.publish("/doc.pdf", "%PDF-1.4 not a page", {"20210301000000": page()}, live_type="application/pdf")
    drifts = _drifts(web, [same, layout, rewritten, missing, pdf])
    verdicts = {url: getattr(drift, "verdict", None) for url, drift in drifts.items()}
    assert verdicts == {
        same: DriftVerdict.SAME,
        layout: DriftVerdict.SAME,
        rewritten: DriftVerdict.CHANGED,
        missing: DriftVerdict.UNKNOWN,
        pdf: DriftVerdict.UNKNOWN,
    }
    changed = drifts[rewritten]
    assert changed is not None
    entry = changed.to_dict()
    assert entry["similarity"] < 0.5
    assert entry["snapshot"] == f"{web.archive}/web/20210301000000/{rewritten}"
    missing_drift, pdf_drift = drifts[missing], drifts[pdf]
    assert missing_drift is not None
    assert missing_drift.to_dict()["snapshot"] is None
    assert pdf_drift is not None
    assert "not HTML" in pdf_drift.detail
    # One raw-capture fetch per snapshot compared; none for a link with no capture.
    assert sorted(web.raw_fetches) == sorted(f"/web/20210301000000id_/{url}" for url in (same, layout, rewritten, pdf))


def test_the_access_date_picks_the_capture_compared_with(web: Web) -> None:
    """Captured before and after a rewrite: a citation read before it has drifted, one read after has not."""
    url = web.publish(
        "/story", page(REWRITTEN), {"20200101000000": page(), "20230101000000": page(REWRITTEN, template="b")}
    )
    document = Document(path="post.md", text=f"[story]({url})\n")
    for read_at, verdict, ts in (
        (datetime(2020, 2, 1, tzinfo=UTC), DriftVerdict.CHANGED, "20200101000000"),
        (datetime(2023, 2, 1, tzinfo=UTC), DriftVerdict.SAME, "20230101000000"),
    ):

        async def run(at: datetime = read_at) -> Drift | None:
            async with AsyncSession(web.config()) as session:
                checked = await session.check_sources([Source(document, "markdown", at)])
                return checked.results()[0].links[0].drift

        drift = asyncio.run(run())
        assert drift is not None
        assert drift.verdict is verdict
        assert drift.snapshot is not None
        assert ts in drift.snapshot


def test_a_broken_link_is_not_fetched_for_drift(web: Web) -> None:
    url = web.web.url(1, "/gone")
    web.captures[url] = ["20210301000000"]
    web.web.route(f"/web/20210301000000id_/{url}", ok(page()), host=0)
    drift = _drifts(web, [url])[url]
    assert drift is not None
    assert drift.verdict is DriftVerdict.UNKNOWN
    assert "broken" in drift.detail


def test_drift_off_leaves_links_without_it(web: Web) -> None:
    url = web.publish("/other", page(OTHER_ARTICLE), {"20210301000000": page()})
    assert _drifts(web, [url], drift=False) == {url: None}
    with Session(web.config(drift=False)) as session:
        result = session.check_urls([url], drift=True)
    assert result.links[0].drifted


def test_comparisons_are_remembered_and_reused(web: Web, store_location: str) -> None:
    url = web.publish("/kept", page(REWRITTEN), {"20210301000000": page()})
    store = store_location
    first = _drifts(web, [url], store=store)[url]
    assert first is not None
    assert first.verdict is DriftVerdict.CHANGED
    fetched = list(web.raw_fetches)
    again = _drifts(web, [url], store=store)[url]
    assert again is not None
    assert again.to_dict() == first.to_dict()  # from the store: the same result, compared_at included
    assert web.raw_fetches == fetched  # no second fetch of the capture
    with open_store(store) as opened:
        assert reusable_drift(opened, url, first.snapshot or "", max_age=3600) == again
        assert reusable_drift(opened, url, "https://archive.example/web/1/other", max_age=3600) is None
    # An unknown answer is recorded but not reused: it is tried again next time.
    missing = web.publish("/missing", page(), {})
    _drifts(web, [missing], store=store)
    with open_store(store) as opened:
        rows = opened._read("SELECT verdict FROM drift WHERE url = ?", (missing,))
    assert rows == [("unknown",)]


def test_the_service_compares_when_asked(web: Web) -> None:
    rewritten = web.publish("/rewritten", page(REWRITTEN), {"20210301000000": page()})
    same = web.publish("/same", page(template="c"), {"20210301000000": page()})
    auth = {"Authorization": "Bearer t"}
    with TestClient(create_app(web.config(drift=False), ServiceSettings(token="t"))) as client:
        plain = client.post("/v1/check", json={"urls": [rewritten]}, headers=auth).json()
        answer = client.post("/v1/check", json={"urls": [rewritten, same], "drift": True}, headers=auth).json()
        bad = client.post("/v1/check", json={"urls": [same], "drift": "yes"}, headers=auth)
        spec = client.get("/openapi.json").json()
    assert plain["links"][0]["drift"] is None
    assert plain["verdict"] == "pass"
    drifts = {link["url"]: link["drift"] for link in answer["links"]}
    assert drifts[rewritten]["verdict"] == "changed"
    assert drifts[same]["verdict"] == "same"
    assert answer["verdict"] == "warn"  # a finding, never a failure
    assert answer["summary"]["drifted"] == 1
    assert answer["job"] is None
    assert bad.status_code == 400
    body = spec["paths"]["/v1/check"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["drift"]["default"] is False


def test_the_service_without_the_extra_answers_501(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> None:
        raise maintext.ExtractorMissing("comparing content drift needs trafilatura: pip install 'citecheck[drift]'")

    monkeypatch.setattr(maintext, "_trafilatura", missing)
    url = web.publish("/x", page(), {"20210301000000": page()})
    with TestClient(create_app(web.config(drift=False), ServiceSettings(token="t"))) as client:
        answer = client.post("/v1/check", json={"urls": [url], "drift": True}, headers={"Authorization": "Bearer t"})
    assert answer.status_code == 501
    assert "citecheck[drift]" in answer.json()["error"]


def test_a_long_running_session_fetches_the_live_page_again_for_each_run(web: Web) -> None:
    """The service's session outlives its requests: a page edited between two runs is seen as edited."""
    url = web.publish("/edited", page(REWRITTEN), {"20210301000000": page()})

    async def twice() -> list[Drift | None]:
        async with AsyncSession(web.config(), long_running=True) as session:
            first = (await session.check_urls([url])).links[0].drift
            web.web.route("/edited", ok(page()), host=1)  # the publisher reverts the rewrite
            second = (await session.check_urls([url])).links[0].drift
        return [first, second]

    first, second = asyncio.run(twice())
    assert first is not None
    assert second is not None
    assert (first.verdict, second.verdict) == (DriftVerdict.CHANGED, DriftVerdict.SAME)
