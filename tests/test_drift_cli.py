"""``citecheck check --drift`` end to end: the JSON and text reports, the exit code, the missing extra."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from drift_pages import REWRITTEN, page
from drift_web import Web, fake_archive

pytest.importorskip("trafilatura")

SRC = Path(__file__).resolve().parent.parent / "src"


@pytest.fixture
def web() -> Iterator[Web]:
    with fake_archive() as made:
        yield made


def check(web: Web, tmp_path: Path, *args: str, pythonpath: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CITECHECK_WAYBACK_URL": web.archive,
        "PYTHONPATH": os.pathsep.join(p for p in (pythonpath, str(SRC), os.environ.get("PYTHONPATH", "")) if p),
    }
    done = subprocess.run(
        [
            sys.executable, "-m", "citecheck", "check", "--isolated", "--drift", "--no-store",
            "--allow-network", "127.0.0.0/8", *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    return done


def _article(tmp_path: Path, *urls: str) -> Path:
    article = tmp_path / "post.md"
    article.write_text("".join(f"- [cited]({url})\n" for url in urls), "utf-8")
    return article


def _same_and_rewritten(web: Web, tmp_path: Path) -> tuple[str, str, Path]:
    """A page whose text is as captured (its layout changed), one rewritten since, and an article citing both."""
    same = web.publish("/same", page(template="b"), {"20210301000000": page()})
    rewritten = web.publish("/rewritten", page(REWRITTEN), {"20210301000000": page()})
    return same, rewritten, _article(tmp_path, same, rewritten)


def test_changed_is_a_finding_listed_with_its_snapshot(web: Web, tmp_path: Path) -> None:
    same, rewritten, article = _same_and_rewritten(web, tmp_path)
    done = check(web, tmp_path, "--format", "json", str(article))
    assert done.returncode == 1, done.stderr
    doc = json.loads(done.stdout)
    drifts = {link["url"]: link["drift"] for link in doc["links"]}
    assert drifts[same]["verdict"] == "same"
    assert drifts[same]["similarity"] == 1.0
    assert drifts[rewritten]["verdict"] == "changed"
    assert drifts[rewritten]["snapshot"] == f"{web.archive}/web/20210301000000/{rewritten}"
    assert drifts[rewritten]["compared_at"].endswith("+00:00")
    assert {link["verdict"] for link in doc["links"]} == {"ok"}  # drift never makes a link dead
    assert doc["summary"]["drifted"] == 1
    text = check(web, tmp_path, str(article))
    assert text.returncode == 1
    assert "post.md:2:11: drift-changed page changed since the snapshot (similarity 0.00)" in text.stdout
    assert f"compare with {web.archive}/web/20210301000000/{rewritten}" in text.stdout
    assert "/same" not in text.stdout
    assert "1 cited page has changed since the snapshot (content drift)." in text.stdout


def test_same_and_unknown_exit_zero(web: Web, tmp_path: Path) -> None:
    same = web.publish("/same", page(), {"20210301000000": page()})
    missing = web.publish("/missing", page(), {})
    done = check(web, tmp_path, "--format", "json", str(_article(tmp_path, same, missing)))
    assert done.returncode == 0, done.stdout
    verdicts = [link["drift"]["verdict"] for link in json.loads(done.stdout)["links"]]
    assert verdicts == ["same", "unknown"]


def test_without_the_extra_drift_says_what_to_install(web: Web, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker" / "trafilatura"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('not installed here')\n", "utf-8")
    done = check(web, tmp_path, str(_article(tmp_path, web.web.url(1, "/x"))), pythonpath=str(blocker.parent))
    assert done.returncode == 2
    assert "pip install 'citecheck[drift]'" in done.stderr
    assert web.web.hosts[1].requests == 0  # refused before any request


def test_github_annotates_a_changed_page_as_a_warning(web: Web, tmp_path: Path) -> None:
    rewritten = web.publish("/rewritten", page(REWRITTEN), {"20210301000000": page()})
    done = check(web, tmp_path, "--format", "github", str(_article(tmp_path, rewritten)))
    assert done.returncode == 1
    (line,) = [line for line in done.stdout.splitlines() if "title=citecheck%3A content drift" in line]
    assert line.startswith("::warning file=")
    assert ",line=1,col=11,title=citecheck%3A content drift::page changed since the snapshot: " in line
    assert f"compare with {web.archive}/web/20210301000000/" in line


def test_sarif_lists_a_changed_page_as_a_content_drift_warning(web: Web, tmp_path: Path) -> None:
    from test_report import check_sarif

    _, rewritten, article = _same_and_rewritten(web, tmp_path)
    done = check(web, tmp_path, "--format", "sarif", str(article))
    assert done.returncode == 1, done.stderr
    log = json.loads(done.stdout)
    check_sarif(log)
    (run,) = log["runs"]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == ["content_drift"]
    assert run["tool"]["driver"]["rules"][0]["shortDescription"]["text"] == "Page changed since the snapshot"
    (result,) = run["results"]
    snapshot = f"{web.archive}/web/20210301000000/{rewritten}"
    assert (result["ruleId"], result["level"]) == ("content_drift", "warning")
    assert result["message"]["text"].endswith(f"{rewritten}; compare with {snapshot}")
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    assert result["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"] == snapshot
