"""``citecheck audit --archive/--drift``: each URL's snapshot for the date it was read, and drift.

A fake Wayback archive (host 0) and live web (host 1) on 127.0.0.1 (tests/drift_web.py).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from citecheck.cli.main import main
from citecheck.pipeline.audit import ARCHIVE_FIELDS, DRIFT_FIELDS, RESULT_FIELDS, parse_access_date
from drift_pages import REWRITTEN, page
from drift_web import Web, fake_archive

BASE = ["audit", "--isolated", "--allow-network", "127.0.0.0/8", "--retries", "0"]


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch) -> Iterator[Web]:
    with fake_archive() as made:
        monkeypatch.setenv("CITECHECK_WAYBACK_URL", made.archive)
        yield made


def audit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([*BASE, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def by_url(out: str) -> dict[str, dict[str, Any]]:
    return {record["url"]: record for record in map(json.loads, out.splitlines())}


def test_each_url_gets_the_snapshot_of_the_date_it_was_read(
    tmp_path: Path, web: Web, capsys: pytest.CaptureFixture[str]
) -> None:
    captures = {"20150601000000": page(), "20200601000000": page()}
    early = web.publish("/early", page(), captures)
    late = web.publish("/late", page(), captures)
    table = tmp_path / "citations.csv"
    # The same URL read twice: the earliest reading is the one to preserve.
    table.write_text(
        f"article,url,Access-Date\n1,{early},2019-01-01\n2,{late},2021-06-01\n3,{late},7 December 2026\n", "utf-8"
    )
    code, out, err = audit(capsys, "--archive", "--no-store", "--format", "jsonl", str(table))
    assert code == 0, err
    records = by_url(out)
    assert records[early]["snapshot_url"] == f"{web.archive}/web/20150601000000/{early}"
    assert records[early]["snapshot_at"].startswith("2015-06-01")
    assert records[early]["snapshot_archive"] == "ia"
    assert records[late]["snapshot_url"] == f"{web.archive}/web/20200601000000/{late}"
    assert records[late]["Access-Date"] == "2021-06-01"  # the first citation's columns are carried
    assert "drift" not in records[early]
    assert "2 with a snapshot" in err


def test_drift_fields_and_a_changed_page_exits_1(tmp_path: Path, web: Web, capsys: pytest.CaptureFixture[str]) -> None:
    same = web.publish("/same", page(template="b"), {"20210301000000": page()})
    rewritten = web.publish("/rewritten", page(REWRITTEN), {"20210301000000": page()})
    missing = web.publish("/never-archived", page(), {})
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{same}\n{rewritten}\n{missing}\n", "utf-8")
    code, out, err = audit(capsys, "--drift", "--no-store", "--format", "csv", str(urls))
    assert code == 1, err
    rows = {row["url"]: row for row in csv.DictReader(io.StringIO(out))}
    assert list(rows[same]) == [*RESULT_FIELDS, *ARCHIVE_FIELDS, *DRIFT_FIELDS]
    assert (rows[same]["drift"], rows[same]["drift_similarity"]) == ("same", "1.0")
    assert rows[rewritten]["drift"] == "changed"
    assert float(rows[rewritten]["drift_similarity"]) < 0.5
    assert rows[rewritten]["verdict"] == "ok"  # drift never makes a link dead
    assert rows[missing]["snapshot_url"] == ""
    assert rows[missing]["drift"] == "unknown"
    assert "drift: changed 1, same 1, unknown 1" in err
    code, text, _ = audit(capsys, "--drift", "--no-store", str(urls))
    assert code == 1
    assert f"drifted      {rewritten} (similarity 0.00): compare with {web.archive}/web/20210301000000/" in text
    assert same not in text
    assert audit(capsys, "--drift", "--no-store", "--exit-zero", str(urls))[0] == 0


def test_the_json_summary_counts_snapshots_and_drift(
    tmp_path: Path, web: Web, capsys: pytest.CaptureFixture[str]
) -> None:
    rewritten = web.publish("/rewritten", page(REWRITTEN), {"20210301000000": page()})
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{rewritten}\n", "utf-8")
    code, out, _ = audit(capsys, "--drift", "--no-store", "--format", "json", str(urls))
    assert code == 1
    document = json.loads(out)
    assert document["summary"]["snapshots"] == 1
    assert document["summary"]["drift"] == {"changed": 1}
    assert document["results"][0]["drift"] == "changed"


def test_articles_are_read_at_their_modification_time(
    tmp_path: Path, web: Web, capsys: pytest.CaptureFixture[str]
) -> None:
    import os
    from datetime import UTC, datetime

    cited = web.publish("/cited", page(), {"20150601000000": page(), "20200601000000": page()})
    article = tmp_path / "post.md"
    article.write_text(f"See [the report]({cited}).\n", "utf-8")
    written = datetime(2019, 1, 1, tzinfo=UTC).timestamp()
    os.utime(article, (written, written))
    code, out, err = audit(capsys, "--archive", "--no-store", "--format", "jsonl", str(article))
    assert code == 0, err
    assert by_url(out)[cited]["snapshot_url"] == f"{web.archive}/web/20150601000000/{cited}"


def test_unreadable_access_dates_are_named_and_the_url_still_audited(
    tmp_path: Path, web: Web, capsys: pytest.CaptureFixture[str]
) -> None:
    cited = web.publish("/cited", page(), {"20150601000000": page()})
    table = tmp_path / "citations.csv"
    table.write_text(f"url,accessed\n{cited},last Tuesday\n", "utf-8")
    code, out, err = audit(capsys, "--archive", "--no-store", "--format", "jsonl", str(table))
    assert code == 0, err
    assert by_url(out)[cited]["snapshot_url"] == f"{web.archive}/web/20150601000000/{cited}"
    assert "1 access date(s) could not be read" in err
    assert "citations.csv:2: 'last Tuesday'" in err


def test_an_access_date_column_asked_for_must_exist(
    tmp_path: Path, web: Web, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "citations.csv"
    table.write_text("url,when\nhttp://127.0.0.1:9/x,2019-01-01\n", "utf-8")
    code, _, err = audit(capsys, "--archive", "--no-store", "--access-date-column", "read_on", str(table))
    assert code == 2
    assert "has no 'read_on' column" in err
    # Named explicitly, an unusual column is used.
    cited = web.publish("/cited", page(), {"20150601000000": page(), "20200601000000": page()})
    table.write_text(f"url,when\n{cited},2016-01-01\n", "utf-8")
    code, out, err = audit(
        capsys, "--archive", "--no-store", "--access-date-column", "When", "--format", "jsonl", str(table)
    )
    assert code == 0, err
    assert by_url(out)[cited]["snapshot_url"].startswith(f"{web.archive}/web/20150601000000/")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-01-01", "2019-01-01T00:00:00+00:00"),
        ("2019-01-01T12:30:00Z", "2019-01-01T12:30:00+00:00"),
        ("2019-01-01T12:30:00+02:00", "2019-01-01T10:30:00+00:00"),
        ("December 7, 2026", "2026-12-07T00:00:00+00:00"),
        ("7 Dec 2026", "2026-12-07T00:00:00+00:00"),
        ("2026/12/07", "2026-12-07T00:00:00+00:00"),
        ("0001-01-01T00:00:00+05:00", None),
        ("", None),
        ("2019-13-01", None),
        ("x" * 100, None),
    ],
)
def test_access_dates_as_people_write_them(text: str, expected: str | None) -> None:
    parsed = parse_access_date(text)
    assert (None if parsed is None else parsed.isoformat()) == expected


def test_a_distributed_audit_carries_the_same_snapshot_and_drift_fields(
    tmp_path: Path, store_location: str, web: Web, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--workers 2``: workers look up and compare, the client reads both back from the store."""
    pytest.importorskip("distributed")
    captures = {"20150601000000": page(), "20200601000000": page()}
    early = web.publish("/early", page(), captures)
    rewritten = web.publish("/rewritten", page(REWRITTEN), {"20210301000000": page()})
    missing = web.publish("/never-archived", page(), {})
    table = tmp_path / "citations.csv"
    table.write_text(f"url,accessed\n{early},2019-01-01\n{rewritten},2022-01-01\n{missing},2022-01-01\n", "utf-8")
    args = ["--drift", "--store", store_location, "--format", "jsonl", str(table)]
    code, out, err = audit(capsys, "--workers", "2", *args)
    assert code == 1, err
    records = by_url(out)
    assert records[early]["snapshot_url"] == f"{web.archive}/web/20150601000000/{early}"
    assert (records[early]["drift"], records[early]["drift_similarity"]) == ("same", 1.0)
    assert records[rewritten]["drift"] == "changed"
    assert records[rewritten]["snapshot_url"] == f"{web.archive}/web/20210301000000/{rewritten}"
    assert (records[missing]["snapshot_url"], records[missing]["drift"]) == (None, "unknown")
    assert "drift: changed 1, same 1, unknown 1" in err
    assert len(web.raw_fetches) == 2  # each capture fetched once, by a worker; the client asks nothing
    # One process, same store: the same fields from what the workers stored (nothing fetched again).
    code, again, _ = audit(capsys, *args)
    assert code == 1
    assert {url: (r["snapshot_url"], r["drift"]) for url, r in by_url(again).items()} == {
        url: (r["snapshot_url"], r["drift"]) for url, r in records.items()
    }
    assert len(web.raw_fetches) == 2


def test_a_distributed_drift_audit_without_the_extra_stops_before_any_cluster(tmp_path: Path, web: Web) -> None:
    """Said once, by the command, rather than by every shard failing on the workers."""
    import os
    import subprocess
    import sys

    pytest.importorskip("distributed")
    blocker = tmp_path / "blocker" / "trafilatura"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('not installed here')\n", "utf-8")
    urls = tmp_path / "urls.txt"
    urls.write_text(web.web.url(1, "/x") + "\n", "utf-8")
    src = Path(__file__).resolve().parent.parent / "src"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(blocker.parent), str(src)))}
    command = [sys.executable, "-m", "citecheck", *BASE, "--drift", "--workers", "2", "--store"]
    command += [str(tmp_path / "s.sqlite3"), str(urls)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 2, done.stderr
    assert "pip install 'citecheck[drift]'" in done.stderr
    assert "Traceback" not in done.stderr
    assert web.web.requests == 0
