"""The one pipeline: every edge (library, CLI files and stdin, service) gets the same flow.

Real servers on 127.0.0.1 stand in for the web and for the Wayback CDX API.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from citecheck import AsyncSession, Config, Session, Verdict
from citecheck.cli import main
from citecheck.core.evidence import OnlineResult
from citecheck.core.settings import ArchiveSettings
from citecheck.fix.documents import Document
from citecheck.net.limits import reset_limiters
from citecheck.pipeline import Source
from fakeweb import FakeWeb, Handler, Request, Response, delay, ok, status

PDF = "application/pdf"


def recording(handler: Handler, seen: list[str]) -> Handler:
    """``handler``, remembering the query string of each request."""

    async def wrapper(request: Request) -> Response:
        seen.append(request.query)
        return await handler(request)

    return wrapper


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    reset_limiters()
    with FakeWeb.threaded(hosts=1) as server:
        server.route("/ok.pdf", ok("pdf", PDF))
        server.route("/gone", status(404))
        server.route("/slow.pdf", delay(1.0, ok("pdf", PDF)))
        yield server
    reset_limiters()


def cdx(web: FakeWeb, seen: list[str]) -> ArchiveSettings:
    """A fake Wayback whose CDX knows one capture of /ok.pdf; returns the [archive] settings."""
    rows = [
        ["timestamp", "original", "statuscode", "mimetype", "digest", "length"],
        ["20230101000000", web.url(0, "/ok.pdf"), "200", PDF, "D", "1"],
    ]
    web.route("/cdx/search/cdx", recording(ok(json.dumps(rows), "application/json"), seen))
    return ArchiveSettings(wayback_url=web.url(0, "/").rstrip("/"), cdx_per_minute=6000)


def in_project(tmp_path: Path, archive: ArchiveSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Work in a project whose citecheck.toml reaches the local servers and the fake archive."""
    settings = 'allow_networks = ["127.0.0.0/8"]\nretries = 0\nstore = ""\n'
    table = f'[archive]\nwayback_url = "{archive.wayback_url}"\ncdx_per_minute = 6000\n'
    (tmp_path / "citecheck.toml").write_text(settings + table, "utf-8")
    monkeypatch.chdir(tmp_path)


def config(tmp_path: Path, **overrides: Any) -> Config:
    base: dict[str, Any] = {
        "allow_networks": ("127.0.0.0/8",),
        "store": str(tmp_path / "store.sqlite3"),
        "retries": 0,
        "timeout": 5.0,
    }
    return Config(**{**base, **overrides})


def test_a_deadline_leaves_slow_links_pending_and_the_run_finishes_in_the_background(
    tmp_path: Path, web: FakeWeb
) -> None:
    arrived: list[OnlineResult] = []
    text = f"{web.url(0, '/ok.pdf')} and {web.url(0, '/slow.pdf')}\n"

    async def scenario() -> None:
        async with AsyncSession(config(tmp_path)) as session:
            source = Source(Document(path="a.txt", text=text), "text", session_now())
            run = await session.check_sources([source], deadline=0.5, on_result=arrived.append)
            (early,) = run.results()
            assert [r.verdict for r in early.links] == [Verdict.OK, Verdict.PENDING]
            assert not run.done
            assert await run.wait(5.0)
            (late,) = run.results()
            assert [r.verdict for r in late.links] == [Verdict.OK, Verdict.OK]

    asyncio.run(scenario())
    assert sorted(r.url for r in arrived) == sorted(text.split()[::2])


def session_now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def test_results_are_recorded_and_reused_by_the_next_session(tmp_path: Path, web: FakeWeb) -> None:
    article = tmp_path / "a.md"
    article.write_text(f"[x]({web.url(0, '/ok.pdf')}) [y]({web.url(0, '/gone')})\n", "utf-8")
    with Session(config(tmp_path)) as session:
        first = session.check_file(str(article))
    with Session(config(tmp_path)) as session:
        second = session.check_file(str(article))
    assert [r.verdict for r in first.links] == [Verdict.OK, Verdict.BROKEN]
    assert [r.verdict for r in second.links] == [Verdict.OK, Verdict.BROKEN]
    assert [bool(r.online and r.online.from_cache) for r in first.links] == [False, False]
    # The first run recorded both (labelling the broken one with its history); the second reuses them.
    broken = first.links[1].online
    assert broken is not None
    assert broken.history is not None
    assert broken.history.startswith("dead, first seen")
    assert [bool(r.online and r.online.from_cache) for r in second.links] == [True, True]


def test_check_urls_and_text_run_the_whole_flow(tmp_path: Path, web: FakeWeb) -> None:
    with Session(config(tmp_path, store="")) as session:
        by_urls = session.check_urls([web.url(0, "/gone"), web.url(0, "/ok.pdf?utm_source=x")])
        by_text = session.check_text(f"<p><a href='{web.url(0, '/gone')}'>x</a></p>", format="html")
    assert [(r.verdict, r.link.line) for r in by_urls.links] == [(Verdict.BROKEN, 1), (Verdict.FIXABLE, 2)]
    assert [r.verdict for r in by_text.links] == [Verdict.BROKEN]


def test_archive_lookups_skip_links_to_archive_copies(tmp_path: Path, web: FakeWeb) -> None:
    seen: list[str] = []
    archive = cdx(web, seen)
    copy = f"{archive.wayback_url}/web/20200101000000/https://example.org/"
    with Session(config(tmp_path, store="", archive=archive, lookup_snapshots=True)) as session:
        result = session.check_text(f"{web.url(0, '/ok.pdf')} {copy}\n")
    assert result.links[0].snapshot is not None
    assert result.links[0].snapshot.captured_at.year == 2023
    assert result.links[1].snapshot is None
    assert len(seen) == 1
    assert "ok.pdf" in seen[0]


def check_stdin(monkeypatch: pytest.MonkeyPatch, text: str, *args: str) -> tuple[int, str]:
    """Run ``citecheck check ARGS -`` on ``text`` as standard input; the exit code and stdout."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    out = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(out, encoding="utf-8"))
    code = main(["check", *args, "-"])
    sys.stdout.flush()
    return code, out.getvalue().decode("utf-8")


def test_stdin_honours_archive(tmp_path: Path, web: FakeWeb, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    in_project(tmp_path, cdx(web, seen), monkeypatch)
    code, out = check_stdin(monkeypatch, f"Read {web.url(0, '/ok.pdf')} today.\n", "--archive", "--format", "json")
    assert code == 0
    (link,) = json.loads(out)["links"]
    assert link["snapshot"]["url"].endswith(f"/web/20230101000000/{web.url(0, '/ok.pdf')}")
    assert len(seen) == 1


def test_stdin_fix_adds_archive_links(tmp_path: Path, web: FakeWeb, monkeypatch: pytest.MonkeyPatch) -> None:
    in_project(tmp_path, cdx(web, []), monkeypatch)
    text = f"Read [the report]({web.url(0, '/ok.pdf')}?utm_source=x) today.\n"
    code, fixed = check_stdin(monkeypatch, text, "--fix", "--archive-links", "--stdin-filename", "post.md")
    assert code == 0
    assert f"[the report]({web.url(0, '/ok.pdf')})" in fixed  # the tracker is gone...
    assert "/web/20230101000000/" in fixed  # ...and the snapshot to cite sits next to the link


def test_a_store_that_failed_to_open_is_tried_again_later_not_given_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long-lived session (the service, a Dask worker) must not run storeless for good
    because the store was down once: the failure is repeated at once for a while, then retried."""
    import citecheck.pipeline.session as sessions
    from citecheck.core.errors import ConfigError

    blocker = tmp_path / "not-a-directory"
    blocker.write_text("", "utf-8")
    config = Config(store=str(blocker / "store.sqlite3"))

    async def go() -> None:
        async with AsyncSession(config) as session:
            with pytest.raises(ConfigError, match="cannot create the directory"):
                await session.store()
            blocker.unlink()
            with pytest.raises(ConfigError, match="cannot create the directory"):
                await session.store()  # within STORE_RETRY_AFTER: the same failure, not asked again
            monkeypatch.setattr(sessions, "STORE_RETRY_AFTER", 0.0)
            store = await session.store()
            assert store is not None
            assert session.recorder is not None

    asyncio.run(go())
