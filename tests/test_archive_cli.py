"""``citecheck archive`` end to end, against a fake Wayback CDX server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fakeweb import FakeWeb, ok

HEADER = ["timestamp", "original", "statuscode", "mimetype", "digest", "length"]


def _cdx(*rows: list[str]) -> str:
    return json.dumps([HEADER, *rows])


def run(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run(
        [sys.executable, "-m", "citecheck", "archive", "--isolated", *args],
        capture_output=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, **env},
    )
    assert b"Traceback" not in done.stderr, done.stderr
    return done


def test_archive_urls_and_files(tmp_path: Path) -> None:
    rows = _cdx(
        ["20230101000000", "https://example.org/a", "200", "text/html", "D1", "1"],
        ["20240101000000", "https://example.org/a", "200", "text/html", "D2", "1"],
    )
    with FakeWeb.threaded(hosts=1) as web:
        web.route("/cdx/search/cdx", ok(rows, "application/json"))
        env = {"CITECHECK_WAYBACK_URL": web.url(0, "/").rstrip("/")}
        store = str(tmp_path / "store.sqlite3")
        done = run(
            "--format", "json", "--access-date", "2023-06-01", "--store", store,
            "https://example.org/a?utm_source=x", cwd=tmp_path, env=env,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        doc = json.loads(done.stdout)
        assert doc["schema_version"] == 1
        (entry,) = doc["snapshots"]
        assert entry["snapshot"]["timestamp"].startswith("2023-01-01")
        assert entry["snapshot"]["url"].endswith("/web/20230101000000/https://example.org/a")
        assert entry["record"]["lookup_url"] == "https://example.org/a"
        requests = web.hosts[0].requests
        # A file: its links, with the file's modification time as the access date; the store
        # answers the repeated URL without asking the archive again.
        article = tmp_path / "post.md"
        article.write_text("[a](https://example.org/a?utm_source=x)\n", "utf-8")
        os.utime(article, (1_700_000_000, 1_700_000_000))  # 2023-11-14
        text = run("--store", store, "--access-date", "2023-06-01", str(article), cwd=tmp_path, env=env)
        assert "post.md:1: https://example.org/a?utm_source=x" in text.stdout.decode()
        assert "/web/20230101000000/" in text.stdout.decode()
        assert web.hosts[0].requests == requests
        # Saving without keys: a clear message, exit 2, nothing sent.
        refused = run("--save", "--no-store", "https://example.org/a", cwd=tmp_path, env=env)
        assert refused.returncode == 2
        assert b"CITECHECK_IA_ACCESS_KEY" in refused.stderr
        assert web.hosts[0].requests == requests


def test_archive_rejects_what_is_neither_file_nor_url(tmp_path: Path) -> None:
    done = run("--no-store", "not-a-url", cwd=tmp_path, env={})
    assert done.returncode == 2
    assert b"neither a file nor an http(s) URL" in done.stderr


def test_check_archive_adds_a_snapshot_to_each_link(tmp_path: Path) -> None:
    with FakeWeb.threaded(hosts=2) as web:
        page = web.url(1, "/doc.pdf")
        web.route("/doc.pdf", ok("pdf", "application/pdf"), host=1)
        web.route(
            "/cdx/search/cdx",
            ok(_cdx(["20230101000000", page, "200", "application/pdf", "D", "1"]), "application/json"),
        )
        article = tmp_path / "post.md"
        article.write_text(f"[doc]({page})\n", "utf-8")
        done = subprocess.run(
            [
                sys.executable, "-m", "citecheck", "check", "--isolated", "--archive", "--format", "json",
                "--allow-network", "127.0.0.0/8", "--store", str(tmp_path / "s.sqlite3"), str(article),
            ],
            capture_output=True,
            timeout=120,
            cwd=tmp_path,
            env={**os.environ, "CITECHECK_WAYBACK_URL": web.url(0, "/").rstrip("/")},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        (link,) = json.loads(done.stdout)["links"]
        assert link["verdict"] == "ok"
        assert link["snapshot"]["archive"] == "ia"
        assert link["snapshot"]["url"].endswith(f"/web/20230101000000/{page}")
