"""The ``citecheck`` command, run as a real process the way users and hooks run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DIRTY = "https://example.com/a?utm_source=x&id=7&utm_medium=y"


def run(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "citecheck", *args],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=60,
        env=env,
        cwd=cwd,
    )


def test_version() -> None:
    from citecheck import __version__

    done = run("--version")
    assert done.returncode == 0
    assert done.stdout.decode().strip() == f"citecheck {__version__}"


def test_help_names_the_commands() -> None:
    done = run("--help")
    assert done.returncode == 0
    assert b"clean" in done.stdout
    done = run("clean", "--help")
    assert done.returncode == 0
    for flag in (b"--explain", b"--format", b"--rules", b"--clearurls", b"--file"):
        assert flag in done.stdout


def test_no_command_prints_help_and_exits_2() -> None:
    done = run()
    assert done.returncode == 2
    assert b"usage" in done.stdout


def test_bad_option_is_a_usage_error() -> None:
    done = run("clean", "--no-such-flag")
    assert done.returncode == 2
    assert b"usage" in done.stderr


def test_clean_arguments_one_per_line() -> None:
    done = run("clean", DIRTY, "mailto:a@example.com", "https://www.youtube.com/watch?v=x&si=1")
    assert done.returncode == 0
    assert done.stdout.decode().splitlines() == [
        "https://example.com/a?id=7",
        "mailto:a@example.com",
        "https://www.youtube.com/watch?v=x",
    ]


def test_clean_stdin_keeps_alignment_and_line_endings() -> None:
    stdin = b"https://a.example/?fbclid=1\r\n\nnot a url\nhttps://b.example/?gclid=2"
    done = run("clean", stdin=stdin)
    assert done.returncode == 0
    assert done.stdout == b"https://a.example/\r\n\nnot a url\nhttps://b.example/\n"
    assert run("clean", "-", stdin=stdin).stdout == done.stdout


def test_clean_stdin_passes_bytes_it_cannot_decode_through() -> None:
    stdin = b"caf\xe9 \xff\nhttps://a.example/?fbclid=1\n"
    done = run("clean", stdin=stdin)
    assert done.returncode == 0
    assert done.stdout == b"caf\xe9 \xff\nhttps://a.example/\n"


def test_clean_stdin_with_a_huge_line_is_bounded_and_lossless() -> None:
    huge = b"x" * (3 * 1024 * 1024)
    stdin = huge + b"\nhttps://a.example/?fbclid=1\n"
    done = run("clean", stdin=stdin)
    assert done.returncode == 0
    assert done.stdout == huge + b"\nhttps://a.example/\n"
    assert done.stdout.endswith(b"https://a.example/\n")


def test_explain_text() -> None:
    done = run("clean", "--explain", "https://www.google.com/url?q=https%3A%2F%2Fexample.org%2F%3Ffbclid%3D1")
    text = done.stdout.decode()
    assert text.splitlines()[0] == "https://example.org/"
    assert "unwrapped from https://www.google.com/url?" in text
    assert "[google-url]" in text
    assert "removed fbclid=1  [facebook-click]" in text


def test_json_document() -> None:
    done = run("clean", "--format", "json", DIRTY, "https://example.com/clean")
    doc = json.loads(done.stdout)
    assert doc["schema_version"] == 1
    assert doc["summary"] == {"changed": 1}
    first = doc["urls"][0]
    assert first["original"] == DIRTY
    assert first["cleaned"] == "https://example.com/a?id=7"
    assert [r["name"] for r in first["removed"]] == ["utm_source", "utm_medium"]
    assert {r["rule"] for r in first["removed"]} == {"utm"}


def test_jsonl_streams_one_object_per_line() -> None:
    done = run("clean", "--format", "jsonl", stdin=b"https://a.example/?utm_source=1\nhttps://b.example/\n")
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["cleaned"] for r in records] == ["https://a.example/", "https://b.example/"]


def test_file_mode_reports_positions(tmp_path: Path) -> None:
    article = tmp_path / "story.md"
    article.write_text(
        "# A story\n\nSee (https://example.com/a?utm_source=x&id=7), and https://example.org/b.\n",
        encoding="utf-8",
    )
    done = run("clean", "--file", str(article))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    assert lines[0] == f"{article}:3:6: https://example.com/a?utm_source=x&id=7"
    assert lines[1] == "  -> https://example.com/a?id=7"
    assert lines[2] == f"{article}:3:52: https://example.org/b"
    assert done.stderr.decode().strip() == "citecheck: 2 links in 1 file, 1 can be cleaned"
    only = run("clean", "--file", str(article), "--only-changed", "--format", "json")
    doc = json.loads(only.stdout)
    assert [u["line"] for u in doc["urls"]] == [3]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x01\x02binary", b"binary"),
        (b"caf\xe9 https://a.example/", b"not valid UTF-8"),
    ],
)
def test_file_mode_refuses_unreadable_files(tmp_path: Path, content: bytes, message: bytes) -> None:
    path = tmp_path / "in.txt"
    path.write_bytes(content)
    done = run("clean", "--file", str(path))
    assert done.returncode == 2
    assert message in done.stderr
    assert b"Traceback" not in done.stderr


def test_file_mode_reads_utf16_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "in.txt"
    path.write_bytes("see https://a.example/?fbclid=1 now".encode("utf-16"))
    done = run("clean", "--file", str(path))
    assert done.returncode == 0
    assert b"-> https://a.example/" in done.stdout


def test_missing_file_and_directory_are_clear_errors(tmp_path: Path) -> None:
    done = run("clean", "--file", str(tmp_path / "nope.md"))
    assert done.returncode == 2
    assert b"cannot read" in done.stderr
    done = run("clean", "--file", str(tmp_path))
    assert done.returncode == 2
    assert b"directory" in done.stderr


def test_extra_rules_and_errors(tmp_path: Path) -> None:
    rules = tmp_path / "extra.json"
    rules.write_text(json.dumps({"citecheck_rules": 1, "remove": [{"id": "house", "params": ["campaign"]}]}))
    done = run("clean", "--rules", str(rules), "https://a.example/?campaign=x&utm_source=y")
    assert done.stdout.decode().strip() == "https://a.example/"
    done = run("clean", "--no-builtin-rules", "--rules", str(rules), "https://a.example/?campaign=x&utm_source=y")
    assert done.stdout.decode().strip() == "https://a.example/?utm_source=y"
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    done = run("clean", "--rules", str(bad), DIRTY)
    assert done.returncode == 2
    assert b"bad.json" in done.stderr
    assert b"Traceback" not in done.stderr


def test_broken_pipe_is_quiet() -> None:
    script = (
        f"{sys.executable} -c \"print('https://a.example/?utm_source=1\\n' * 200000, end='')\""
        f" | {sys.executable} -m citecheck clean | head -n 1"
    )
    done = subprocess.run(script, shell=True, capture_output=True, timeout=120)
    assert done.stdout == b"https://a.example/\n"
    assert b"Traceback" not in done.stderr


def test_clean_does_not_import_the_network_stack() -> None:
    script = (
        "import sys\n"
        "from citecheck.cli import main\n"
        "main(['clean', 'https://www.amazon.de/dp/B0?tag=x', 'https://example.com/?utm_source=1'])\n"
        "heavy = sorted(m for m in ('httpx', 'bs4', 'httpcore', 'anyio', 'sqlite3') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr


FIXTURES = Path(__file__).parent / "fixtures" / "clearurls"


def test_clearurls_file_merges_and_warnings_are_plain() -> None:
    done = run("clean", "--clearurls", str(FIXTURES / "js_only.json"), "https://a.example/?utm_source=1&x=2")
    assert done.returncode == 0
    assert done.stdout.decode().strip() == "https://a.example/?x=2"
    stderr = done.stderr.decode()
    assert stderr.startswith("citecheck: warning: ")
    assert "Traceback" not in stderr
    assert "cli.py" not in stderr
    done = run("clean", "--clearurls", str(FIXTURES / "not_clearurls.json"), "https://a.example/")
    assert done.returncode == 2
    assert b"not_clearurls.json" in done.stderr
