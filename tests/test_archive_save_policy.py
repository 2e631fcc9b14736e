"""``citecheck archive --save``: save only where it helps, report what was captured (#12 points 2, 3).

Against fake archives on 127.0.0.1 (host 0: the Internet Archive with CDX and Save Page Now 2,
host 1: a Memento archive and the cited pages).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from citecheck.archive.save import SaveClient
from citecheck.cli.archive import archive_command
from citecheck.net.limits import reset_limiters
from fakeweb import FakeWeb, Request, Response, ok
from test_archive_integration import FAST, JSON, FakeArchives, _answer, archives_fixture, web_fixture

__all__ = ["archives_fixture", "web_fixture"]  # the shared fixtures, used by pytest by name

ACCESS = "2024-06-01"


class FakeSaves:
    """Save Page Now 2 on host 0: every job succeeds at the first poll, captured at ``timestamp``."""

    def __init__(self, web: FakeWeb, *, timestamp: str = "20240601120000", error: str | None = None) -> None:
        self.submitted: list[dict[str, list[str]]] = []
        self.timestamp, self.error = timestamp, error
        self.urls: dict[str, str] = {}
        web.route("/save", self.submit, host=0)
        self._web = web

    async def submit(self, request: Request) -> Response:
        form = parse_qs(request.body.decode())
        self.submitted.append(form)
        job = f"spn2-{len(self.submitted)}"
        self.urls[job] = form["url"][0]

        async def poll(_: Request) -> Response:
            if self.error:
                return _answer(200, json.dumps({"status": "error", "status_ext": self.error}), JSON)
            done = {"status": "success", "timestamp": self.timestamp, "original_url": self.urls[job]}
            return _answer(200, json.dumps(done), JSON)

        self._web.route(f"/save/status/{job}", poll, host=0)
        return _answer(200, json.dumps({"url": form["url"][0], "job_id": job}), JSON)


@pytest.fixture
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Save Page Now's first status poll at once instead of after five seconds."""
    original = SaveClient.__init__

    def init(self: SaveClient, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.poll_interval = 0.01

    monkeypatch.setattr(SaveClient, "__init__", init)


def _command(
    web: FakeWeb,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *targets: str,
    output: str = "json",
    extra: str = "",
    store: Path | None = None,
) -> str:
    monkeypatch.setenv("CITECHECK_WAYBACK_URL", web.url(0, "/").rstrip("/"))
    monkeypatch.setenv("CITECHECK_IA_ACCESS_KEY", "a")
    monkeypatch.setenv("CITECHECK_IA_SECRET_KEY", "s")
    config = tmp_path / "citecheck.toml"
    config.write_text(f"[archive]\ncdx_per_minute = {FAST}\nsave_per_minute = {FAST}\n{extra}", "utf-8")
    args = argparse.Namespace(
        targets=list(targets),
        save=True,
        access_date=ACCESS,
        format=output,
        store=None if store is None else str(store),
        no_store=store is None,
        config=str(config),
        isolated=False,
    )
    reset_limiters()
    out = io.StringIO()
    assert archive_command(args, out) == 0
    return out.getvalue()


def test_a_capture_that_succeeds_is_the_snapshot_reported(
    web: FakeWeb, archives: FakeArchives, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fast_polls: None
) -> None:
    saves = FakeSaves(web)
    url = "https://example.org/new"
    document = json.loads(_command(web, tmp_path, monkeypatch, url))
    (entry,) = document["snapshots"]
    assert entry["save"]["job_status"] == "success"
    assert entry["snapshot"] is not None
    assert entry["snapshot"]["url"] == web.url(0, f"/web/20240601120000/{url}")
    assert entry["record"]["source"] == "save"
    assert entry["save_skipped"] is None
    assert document["summary"] == {"urls": 1, "found": 1, "saves_requested": 1, "saves_skipped": 0}
    assert len(saves.submitted) == 1
    # The lookup and the decision to save shared one CDX query (no store: kept in memory).
    assert len(archives.requests_to(0, "/cdx/search/cdx")) == 1
    text = _command(web, tmp_path, monkeypatch, url, output="text")
    assert f"-> {web.url(0, f'/web/20240601120000/{url}')}" in text
    assert "capture requested: success" in text


def test_no_capture_is_requested_when_a_recent_one_exists(
    web: FakeWeb, archives: FakeArchives, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fast_polls: None
) -> None:
    saves = FakeSaves(web)
    recent, old = "https://example.org/recent", "https://example.org/old"
    archives.capture(recent, "20240520000000", b"x")  # 12 days before the access date
    archives.capture(old, "20240101000000", b"x")  # five months before
    document = json.loads(_command(web, tmp_path, monkeypatch, recent, old))
    first, second = document["snapshots"]
    assert first["save"] is None
    assert "ia has a capture from 2024-05-20 00:00 UTC, within 30d of the access date" in first["save_skipped"]
    assert first["snapshot"]["timestamp"].startswith("2024-05-20")
    assert second["save_skipped"] is None
    assert second["save"]["job_status"] == "success"
    assert [form["url"] for form in saves.submitted] == [[old]]
    assert saves.submitted[0]["if_not_archived_within"] == ["30d"]
    text = _command(web, tmp_path, monkeypatch, recent, output="text")
    assert "capture not requested: ia has a capture from 2024-05-20" in text
    assert "Captures requested: 0; not needed: 1." in text


def test_if_not_archived_within_is_read_from_the_configuration(
    web: FakeWeb, archives: FakeArchives, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fast_polls: None
) -> None:
    saves = FakeSaves(web)
    url = "https://example.org/weekly"
    archives.capture(url, "20240520000000", b"x")  # 12 days before
    document = json.loads(_command(web, tmp_path, monkeypatch, url, extra='if_not_archived_within = "7d"\n'))
    (entry,) = document["snapshots"]
    assert entry["save"]["job_status"] == "success"  # 12 days is not within 7
    assert saves.submitted[0]["if_not_archived_within"] == ["7d"]
    # The new capture (12 hours after the access date) is nearer than the one 12 days before.
    assert entry["snapshot"]["timestamp"].startswith("2024-06-01T12:00")
    document = json.loads(_command(web, tmp_path, monkeypatch, url, extra='if_not_archived_within = "14d"\n'))
    assert document["snapshots"][0]["save"] is None
    assert len(saves.submitted) == 1


def test_failed_saves_keep_their_class_and_report_no_snapshot(
    web: FakeWeb, archives: FakeArchives, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fast_polls: None
) -> None:
    FakeSaves(web, error="error:not-found")
    (entry,) = json.loads(_command(web, tmp_path, monkeypatch, "https://example.org/gone"))["snapshots"]
    assert entry["save"]["job_status"] == "error"
    assert entry["save"]["error_class"] == "permanent"
    assert entry["snapshot"] is None


def test_fix_archive_links_cites_the_capture_just_made(
    web: FakeWeb, archives: FakeArchives, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fast_polls: None
) -> None:
    FakeSaves(web)
    page = web.url(1, "/cited")
    web.route("/cited", ok("<p>cited</p>", "text/html"), host=1)
    store = tmp_path / "store.sqlite3"
    document = json.loads(_command(web, tmp_path, monkeypatch, page, store=store))
    assert document["snapshots"][0]["save"]["job_status"] == "success"
    article = tmp_path / "post.md"
    article.write_text(f"[cited]({page})\n", "utf-8")
    os.utime(article, (1_717_200_000, 1_717_200_000))  # 2024-06-01 00:00 UTC, the access date
    done = subprocess.run(
        [
            sys.executable, "-m", "citecheck", "check", "--config", str(tmp_path / "citecheck.toml"),
            "--archive", "--fix", "--archive-links", "--allow-network", "127.0.0.0/8",
            "--store", str(store), str(article),
        ],
        capture_output=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "CITECHECK_WAYBACK_URL": web.url(0, "/").rstrip("/")},
    )  # fmt: skip
    assert b"Traceback" not in done.stderr, done.stderr
    # The CDX index does not list the new capture yet; the store knows it was made.
    assert f"([archived](<{web.url(0, f'/web/20240601120000/{page}')}>))" in article.read_text("utf-8")
