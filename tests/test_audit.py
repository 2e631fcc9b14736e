"""``citecheck audit``: URL lists, CSV files and articles in; one record per distinct URL out.

Every test runs against a real server on 127.0.0.1 (FakeWeb): nothing touches the internet.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from citecheck.cli.main import main
from citecheck.pipeline.audit import RESULT_FIELDS, input_kind
from fakeweb import FakeWeb, delay, ok, status
from helpers import Terminal

PAGE = "<html><head><title>A report</title></head><body><p>The report itself, at length.</p></body></html>"
BASE = ["audit", "--isolated", "--allow-network", "127.0.0.0/8", "--retries", "0"]


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    with FakeWeb.threaded(hosts=1) as server:
        server.route("/a", ok(PAGE))
        server.route("/b", ok(PAGE))
        server.route("/gone", status(404))
        yield server


def audit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([*BASE, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def hits(web: FakeWeb, path: str) -> int:
    return sum(seen.path == path for seen in web.hosts[0].seen)


def test_a_url_list_reports_garbage_lines_as_invalid_and_checks_the_rest(
    tmp_path: Path, web: FakeWeb, capsys: pytest.CaptureFixture[str]
) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text(
        f"# cited in the 2024 report\n{web.url(0, '/a')}\n\nnot a url at all\nftp://example.org/x\n"
        f"   {web.url(0, '/gone')}   \n",
        "utf-8",
    )
    code, out, err = audit(capsys, "--no-store", "--format", "jsonl", str(urls))
    records = jsonl(out)
    assert code == 1  # invalid and broken are findings by default
    by_line = {record["line"]: record for record in records}
    assert set(by_line) == {2, 4, 5, 6}  # the comment and the blank line are no citations
    assert (by_line[4]["verdict"], by_line[4]["reason"], by_line[4]["url"]) == (
        "invalid",
        "invalid_url",
        "not a url at all",
    )
    assert by_line[5]["verdict"] == "invalid"
    assert (by_line[2]["verdict"], by_line[2]["http_status"]) == ("ok", 200)
    assert (by_line[6]["verdict"], by_line[6]["reason"], by_line[6]["url"]) == (
        "broken",
        "http_404",
        web.url(0, "/gone"),
    )
    assert all(record["source"] == str(urls) for record in records)
    assert "audited 4 URLs (4 citations" in err
    assert "broken 1, invalid 2, ok 1" in err


def test_a_url_cited_twice_is_checked_once_and_cleaned_first(
    tmp_path: Path, web: FakeWeb, capsys: pytest.CaptureFixture[str]
) -> None:
    once = tmp_path / "once.txt"
    once.write_text(f"{web.url(0, '/a')}\n", "utf-8")
    audit(capsys, "--no-store", str(once))
    single = hits(web, "/a")
    web.reset_stats()
    thrice = tmp_path / "thrice.txt"
    thrice.write_text(f"{web.url(0, '/a')}?utm_source=feed\n{web.url(0, '/a')}\n{web.url(0, '/a')}\n", "utf-8")
    code, out, err = audit(capsys, "--no-store", "--format", "jsonl", str(thrice))
    assert code == 0
    (record,) = jsonl(out)
    assert hits(web, "/a") == single
    assert hits(web, "/a?utm_source=feed") == 0  # the tracker is never sent
    # The record is of the cleaned URL, carrying its first citation as written.
    assert (record["url"], record["cited"], record["line"]) == (
        web.url(0, "/a"),
        f"{web.url(0, '/a')}?utm_source=feed",
        1,
    )
    assert "audited 1 URLs (3 citations" in err


def test_a_csv_carries_its_other_columns_into_the_records(
    tmp_path: Path, web: FakeWeb, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "citations.csv"
    with table.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["article_id", "URL", "accessed", "verdict"])
        writer.writerow(["17", web.url(0, "/a"), "2024-03-01", "looked fine"])
        writer.writerow(["18", web.url(0, "/gone"), "2024-03-02", ""])
        writer.writerow(["19", web.url(0, "/a"), "2025-01-01", ""])  # cited again: the first row wins
        writer.writerow(["20", "", "", ""])  # no URL: not a citation
    code, out, _ = audit(capsys, "--no-store", "--format", "jsonl", str(table))
    assert code == 1
    records = {record["url"]: record for record in jsonl(out)}
    assert set(records) == {web.url(0, "/a"), web.url(0, "/gone")}
    first = records[web.url(0, "/a")]
    assert (first["article_id"], first["accessed"], first["line"]) == ("17", "2024-03-01", 2)
    # A column named like a record field keeps its value under another name.
    assert (first["verdict"], first["input_verdict"]) == ("ok", "looked fine")
    assert records[web.url(0, "/gone")]["article_id"] == "18"


def test_a_csv_without_a_url_column_is_refused_with_exit_2(
    tmp_path: Path, web: FakeWeb, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "links.csv"
    table.write_text(f"id,link\n1,{web.url(0, '/a')}\n", "utf-8")
    code, out, err = audit(capsys, "--no-store", "--format", "jsonl", str(table))
    assert code == 2
    assert out == ""
    assert "has no 'url' column" in err
    assert "'id', 'link'" in err
    assert web.requests == 0


def test_articles_and_directories_are_audited_by_their_links(
    tmp_path: Path, web: FakeWeb, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "content"
    site.mkdir()
    (site / "one.md").write_text(
        f"See [the report]({web.url(0, '/a')}) and <mailto:editor@example.org>.\n\nGone: <{web.url(0, '/gone')}>\n",
        "utf-8",
    )
    (site / "two.html").write_text(f'<p><a href="{web.url(0, "/b")}">b</a> <a href="{web.url(0, "/a")}">a</a></p>')
    code, out, _ = audit(capsys, "--no-store", "--format", "jsonl", str(site))
    assert code == 1
    records = {record["url"]: record for record in jsonl(out)}
    assert set(records) == {web.url(0, "/a"), web.url(0, "/b"), web.url(0, "/gone")}  # mailto: is not audited
    assert (records[web.url(0, "/a")]["source"], records[web.url(0, "/a")]["line"]) == (str(site / "one.md"), 1)
    assert (records[web.url(0, "/gone")]["line"], records[web.url(0, "/gone")]["verdict"]) == (3, "broken")
    assert records[web.url(0, "/b")]["source"] == str(site / "two.html")


def test_csv_and_json_outputs_carry_the_documented_fields(
    tmp_path: Path, web: FakeWeb, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "in.csv"
    table.write_text(f"url,article\n{web.url(0, '/a')},x\nnonsense,y\n", "utf-8")
    code, out, _ = audit(capsys, "--no-store", "--format", "csv", str(table))
    assert code == 1
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == [*RESULT_FIELDS, "article"]
    assert {(row["verdict"], row["article"]) for row in rows} == {("ok", "x"), ("invalid", "y")}
    fine = next(row for row in rows if row["verdict"] == "ok")
    assert (fine["http_status"], fine["final_url"], fine["reason"]) == ("200", web.url(0, "/a"), "")
    assert fine["checked_at"].startswith("20")

    code, out, _ = audit(capsys, "--no-store", "--format", "json", str(table))
    document = json.loads(out)
    assert document["schema_version"] == 1
    assert {record["verdict"] for record in document["results"]} == {"ok", "invalid"}
    assert all(set(RESULT_FIELDS) <= set(record) for record in document["results"])
    assert document["summary"]["verdicts"] == {"invalid": 1, "ok": 1}

    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing yet\n", "utf-8")
    code, out, _ = audit(capsys, "--no-store", "--format", "json", str(empty))
    assert (code, json.loads(out)["results"]) == (0, [])


def test_a_rerun_against_the_same_store_sends_no_request(
    tmp_path: Path, web: FakeWeb, capsys: pytest.CaptureFixture[str], store_location: str
) -> None:
    """Against an SQLite file and a PostgreSQL database alike (``--store postgresql://...``)."""
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{web.url(0, '/a')}\n{web.url(0, '/b')}\n{web.url(0, '/gone')}\n", "utf-8")
    store = store_location
    code, first, err = audit(capsys, "--store", store, "--format", "jsonl", str(urls))
    assert code == 1
    assert web.requests > 0
    assert "0 fresh results reused" in err
    web.reset_stats()
    code, again, err = audit(capsys, "--store", store, "--format", "jsonl", str(urls))
    assert code == 1
    assert web.requests == 0
    assert "3 fresh results reused" in err
    assert _answers(again) == _answers(first)  # the stored results, as they were
    # An extended list checks only what is new: the audit resumes where it stopped.
    urls.write_text(urls.read_text("utf-8") + f"{web.url(0, '/a')}?fresh=1\n", "utf-8")
    audit(capsys, "--store", store, str(urls))
    assert hits(web, "/a?fresh=1") > 0
    assert hits(web, "/a") == hits(web, "/b") == hits(web, "/gone") == 0


def _answers(text: str) -> list[tuple[str, str, str]]:
    return sorted((r["url"], r["verdict"], r["checked_at"]) for r in jsonl(text))


def test_exit_codes_follow_fail_on_and_exit_zero(
    tmp_path: Path, web: FakeWeb, capsys: pytest.CaptureFixture[str]
) -> None:
    fine = tmp_path / "fine.txt"
    fine.write_text(f"{web.url(0, '/a')}\n", "utf-8")
    dead = tmp_path / "dead.txt"
    dead.write_text(f"{web.url(0, '/gone')}\n", "utf-8")
    garbage = tmp_path / "garbage.txt"
    garbage.write_text("no url here\n", "utf-8")
    assert audit(capsys, "--no-store", str(fine))[0] == 0
    code, out, _ = audit(capsys, "--no-store", str(dead))
    assert code == 1
    assert "broken" in out
    assert web.url(0, "/gone") in out
    assert audit(capsys, "--no-store", "--exit-zero", str(dead))[0] == 0
    assert audit(capsys, "--no-store", "--fail-on", "broken", str(garbage))[0] == 0
    assert audit(capsys, "--no-store", "--fail-on", "broken", str(garbage), str(dead))[0] == 1
    code, _, err = audit(capsys, "--no-store", str(tmp_path / "missing.txt"))
    assert code == 2
    assert "cannot be read" in err
    code, _, err = audit(capsys, "--no-store", "--fail-on", "nonsense", str(fine))
    assert code == 2
    assert "--fail-on" in err


def test_stdin_in_a_subprocess(tmp_path: Path, web: FakeWeb) -> None:
    source = Path(__file__).resolve().parent.parent / "src"
    env = {**os.environ, "PYTHONPATH": str(source)}
    done = subprocess.run(
        [sys.executable, "-m", "citecheck", *BASE, "--no-store", "--format", "jsonl", "-"],
        input=f"{web.url(0, '/a')}\n{web.url(0, '/gone')}\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 1, done.stderr
    assert sorted(record["verdict"] for record in jsonl(done.stdout)) == ["broken", "ok"]
    assert all(record["source"] == "-" for record in jsonl(done.stdout))
    assert "\033" not in done.stderr  # no progress when stderr is not a terminal


@pytest.mark.parametrize(
    ("name", "kind"),
    [("-", "urls"), ("urls.txt", "urls"), ("list", "urls"), ("A.CSV", "csv"), ("post.md", "articles")],
)
def test_the_kind_of_a_source_follows_its_name(name: str, kind: str) -> None:
    assert input_kind(name) == kind


def test_an_interrupted_audit_resumes_where_it_stopped(tmp_path: Path, web: FakeWeb, store_location: str) -> None:
    """Ctrl-C while one URL is still being checked: what had arrived is in the store, and the
    rerun asks the network only for what was left."""
    import signal
    import time

    web.route("/slow", delay(60, ok(PAGE)))
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{web.url(0, '/a')}\n{web.url(0, '/b')}\n{web.url(0, '/slow')}\n", "utf-8")
    store = store_location
    command = [sys.executable, "-m", "citecheck", *BASE, "--store", store, "--timeout", "90", str(urls)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "src")}
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path, env=env)
    try:
        for _ in range(600):
            if web.in_flight and hits(web, "/a") and hits(web, "/b") and hits(web, "/slow"):
                break
            time.sleep(0.05)
        time.sleep(0.5)  # the answers for /a and /b reach the client
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert b"Traceback" not in err
    assert b"interrupted; the results received so far are in the store" in err
    web.route("/slow", ok(PAGE))
    web.reset_stats()
    done = subprocess.run([*command[:-1], "--format", "jsonl", str(urls)], capture_output=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert hits(web, "/a") == hits(web, "/b") == 0
    assert hits(web, "/slow") > 0
    assert b"2 fresh results reused" in done.stderr


def test_progress_is_counted_on_a_terminal_and_only_there(
    tmp_path: Path, web: FakeWeb, monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{web.url(0, '/a')}\n{web.url(0, '/b')}\n", "utf-8")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main([*BASE, "--no-store", "--format", "jsonl", str(urls)]) == 0
    shown = terminal.getvalue()
    assert "\rchecking links: 2/2" in shown
    assert "\r\033[K" in shown  # the counter is cleared before the summary
    quiet = Terminal()
    monkeypatch.setattr(sys, "stderr", quiet)
    assert main([*BASE, "--no-store", "--quiet", "--format", "jsonl", str(urls)]) == 0
    assert "checking links" not in quiet.getvalue()
