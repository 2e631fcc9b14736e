"""``citecheck check``, run as a real process: golden reports and fixes, exit codes, inputs, config.

Golden files live in ``tests/golden/check``: for each article fixture ``NAME.EXT`` there is
``NAME.report.txt`` (text report), ``NAME.report.json`` (JSON report) and ``NAME.fixed.EXT``
(the file after ``--fix``). Regenerate deliberately with
``CITECHECK_UPDATE_GOLDENS=1 pytest tests/test_cli_check.py`` and review every changed golden:
a golden is a claim that this output is right. Whatever the goldens say, the structural checks
here (only URL spans change, code blocks untouched, encoding, BOM and newlines kept, fixing is
idempotent) always run.
"""

from __future__ import annotations

import codecs
import difflib
import json
import os
import shutil
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

GOLDEN = Path(__file__).parent / "golden" / "check"
UPDATE = bool(os.environ.get("CITECHECK_UPDATE_GOLDENS"))

#: Fixture -> exit code of a plain run after ``--fix`` (1 where an invalid URL remains).
FIXTURES = {
    "markdown_tricky.md": 1,
    "markdown_crlf_bom.md": 0,
    "page.html": 0,
    "plain.txt": 0,
    "utf16.txt": 0,
    "clean.md": 0,
}

DIRTY = "https://news.example.com/story?id=7&utm_source=feed"
CLEAN = "https://news.example.com/story?id=7"


# -- helpers -----------------------------------------------------------------------------------


def run(
    *args: str, cwd: Path, stdin: bytes = b"", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ``citecheck check --offline ARGS`` the way a user or hook does; never a traceback.

    These tests pin the offline stage (cleaning); the network checks have their own tests.
    """
    done = subprocess.run(
        [sys.executable, "-m", "citecheck", "check", "--offline", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})},
    )
    assert b"Traceback" not in done.stderr, done.stderr.decode("utf-8", "replace")
    assert b"Traceback" not in done.stdout
    return done


def run_json(*args: str, cwd: Path, stdin: bytes = b"") -> tuple[int, dict[str, Any]]:
    done = run("--format", "json", *args, cwd=cwd, stdin=stdin)
    return done.returncode, json.loads(done.stdout)


def decode(data: bytes) -> tuple[str, bytes, str]:
    """(text, BOM, codec) of article bytes, decoded the way citecheck documents it (no newline translation)."""
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(codec), bom, codec
    return data.decode("utf-8"), b"", "utf-8"


def golden_names(fixture: str) -> tuple[str, str, str]:
    stem, _dot, ext = fixture.rpartition(".")
    return f"{stem}.report.txt", f"{stem}.report.json", f"{stem}.fixed.{ext}"


def compare_golden(name: str, actual: bytes) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_bytes(actual)
    assert path.exists(), f"missing golden {name}: run with CITECHECK_UPDATE_GOLDENS=1 and review it"
    expected = path.read_bytes()
    if actual != expected:
        diff = difflib.unified_diff(
            expected.decode("utf-8", "replace").splitlines(keepends=True),
            actual.decode("utf-8", "replace").splitlines(keepends=True),
            f"golden/{name}",
            "actual",
        )
        pytest.fail("output differs from golden:\n" + "".join(diff))


def changed_regions(old: str, new: str) -> list[tuple[int, int]]:
    """Spans of ``old`` (character offsets) that differ in ``new``; an insertion is an empty span."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [(i1, i2) for tag, i1, i2, _, _ in matcher.get_opcodes() if tag != "equal"]


def assert_only_url_spans_changed(old: str, new: str, links: list[dict[str, Any]]) -> None:
    """Every region that --fix changed lies inside the span of a link the report called fixable."""
    spans = [(link["start"], link["end"]) for link in links if link["verdict"] == "fixable"]
    for start, end in changed_regions(old, new):
        assert any(s <= start and end <= e for s, e in spans), (
            f"--fix changed {old[start:end]!r} at {start}..{end}, outside every fixable link span: "
            f"{old[max(0, start - 30) : end + 30]!r}"
        )


def assert_same_text_between_links(
    old: str, new: str, before: list[dict[str, Any]], after: list[dict[str, Any]]
) -> None:
    """Re-reading the fixed file finds the same links, each now meaning what was to be cited,
    with exactly the same text around them."""
    assert len(after) == len(before)
    old_pos = new_pos = 0
    for was, now in zip(before, after, strict=True):
        assert old[old_pos : was["start"]] == new[new_pos : now["start"]]
        if was["verdict"] == "fixable":
            assert now["url"] == was["cleaned"], (was["raw"], now["raw"])
        else:
            assert (now["url"], now["raw"]) == (was["url"], was["raw"])
        assert now["verdict"] != "fixable"
        old_pos, new_pos = was["end"], now["end"]
    assert old[old_pos:] == new[new_pos:]


@dataclass(frozen=True)
class GoldenRun:
    """Everything the golden tests need from one fixture, computed once per fixture."""

    original: bytes
    text_report: subprocess.CompletedProcess[bytes]
    json_report: subprocess.CompletedProcess[bytes]
    fix: subprocess.CompletedProcess[bytes]
    fixed: bytes
    refix_json: subprocess.CompletedProcess[bytes]
    refixed: bytes
    after: subprocess.CompletedProcess[bytes]


@pytest.fixture(scope="module")
def golden_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GoldenRun]:
    runs: dict[str, GoldenRun] = {}
    for fixture in FIXTURES:
        work = tmp_path_factory.mktemp(fixture.replace(".", "_"))
        shutil.copyfile(GOLDEN / fixture, work / fixture)
        target = work / fixture
        original = target.read_bytes()
        text_report = run("--isolated", fixture, cwd=work)
        json_report = run("--isolated", "--format", "json", fixture, cwd=work)
        fix = run("--isolated", "--fix", fixture, cwd=work)
        fixed = target.read_bytes()
        refix_json = run("--isolated", "--fix", "--format", "json", fixture, cwd=work)
        refixed = target.read_bytes()
        after = run("--isolated", fixture, cwd=work)
        runs[fixture] = GoldenRun(original, text_report, json_report, fix, fixed, refix_json, refixed, after)
    return runs


# -- golden files ------------------------------------------------------------------------------


def test_every_fixture_has_its_goldens() -> None:
    expected = set(FIXTURES)
    for fixture in FIXTURES:
        expected.update(golden_names(fixture))
    assert {p.name for p in GOLDEN.iterdir()} == expected


@pytest.mark.parametrize("fixture", FIXTURES)
def test_text_report_matches_golden(golden_runs: dict[str, GoldenRun], fixture: str) -> None:
    done = golden_runs[fixture].text_report
    assert done.returncode == (0 if fixture == "clean.md" else 1)
    assert done.stderr == b""
    compare_golden(golden_names(fixture)[0], done.stdout)


@pytest.mark.parametrize("fixture", FIXTURES)
def test_json_report_matches_golden(golden_runs: dict[str, GoldenRun], fixture: str) -> None:
    got = golden_runs[fixture]
    assert got.json_report.returncode == got.text_report.returncode
    compare_golden(golden_names(fixture)[1], got.json_report.stdout)
    report = json.loads(got.json_report.stdout)
    assert report["schema_version"] == 2
    assert report["files"] == [
        {"path": fixture, "format": report["files"][0]["format"], "error": None, "rewritten": False}
    ]
    text, _, _ = decode(got.original)
    for link in report["links"]:
        assert text[link["start"] : link["end"]] == link["raw"]
        assert link["path"] == fixture
        assert not link["fixed"]


@pytest.mark.parametrize("fixture", FIXTURES)
def test_fix_matches_golden_and_changes_only_urls(golden_runs: dict[str, GoldenRun], fixture: str) -> None:
    got = golden_runs[fixture]
    compare_golden(golden_names(fixture)[2], got.fixed)
    old, old_bom, old_codec = decode(got.original)
    new, new_bom, new_codec = decode(got.fixed)
    assert (new_bom, new_codec) == (old_bom, old_codec)
    assert new.count("\r\n") == old.count("\r\n")
    assert new.count("\n") == old.count("\n")
    before = json.loads(got.json_report.stdout)["links"]
    after = json.loads(got.refix_json.stdout)["links"]
    assert_only_url_spans_changed(old, new, before)
    assert_same_text_between_links(old, new, before, after)
    fixable = sum(link["verdict"] == "fixable" for link in before)
    assert (got.fixed != got.original) == (fixable > 0)
    if fixable:
        assert f"Fixed {fixable} link".encode() in got.fix.stdout
    assert got.fix.returncode == FIXTURES[fixture]


@pytest.mark.parametrize("fixture", FIXTURES)
def test_fix_is_idempotent_and_leaves_a_clean_file(golden_runs: dict[str, GoldenRun], fixture: str) -> None:
    got = golden_runs[fixture]
    assert got.refixed == got.fixed
    report = json.loads(got.refix_json.stdout)
    assert report["summary"]["fixed"] == 0
    assert report["files"][0]["rewritten"] is False
    assert got.refix_json.returncode == FIXTURES[fixture]
    assert got.after.returncode == FIXTURES[fixture]
    remaining = [link["verdict"] for link in report["links"] if link["verdict"] not in ("ok", "skipped")]
    assert remaining == (["invalid"] if FIXTURES[fixture] else [])


def test_markdown_code_is_never_touched(golden_runs: dict[str, GoldenRun]) -> None:
    got = golden_runs["markdown_tricky.md"]
    old_lines = got.original.decode().splitlines()
    new_lines = got.fixed.decode().splitlines()
    code_lines = [i for i, line in enumerate(old_lines) if "code.example.com" in line]
    assert len(code_lines) == 3  # fenced, indented, code span
    for i in code_lines:
        assert new_lines[i] == old_lines[i]
    reported = json.loads(got.json_report.stdout)["links"]
    assert not [link for link in reported if "code.example.com" in link["url"]]
    # The mailto link, the relative link and the invalid URL stay as written.
    fixed = got.fixed.decode()
    for kept in ("mailto:editor@example.com?subject=tides", "(appendix.md)", "https://[not-an-ip/page"):
        assert kept in fixed


def test_html_fix_keeps_entities_and_leaves_non_citations(golden_runs: dict[str, GoldenRun]) -> None:
    got = golden_runs["page.html"]
    old = got.original.decode()
    new = got.fixed.decode()
    assert 'HREF="https://dq.example.com/a?id=1&amp;page=2"' in new
    assert "href='https://sq.example.com/b?keep=yes'" in new
    assert "href=https://uq.example.com/c>" in new
    assert 'href="https://ml.example.com/d?ref_id=7"' in new
    assert 'href="https://report.example.org/annual?year=2023"' in new
    for untouched in ("canonical", "style.example.com", "script.example.com", "comment.example.com"):
        [old_line] = [line for line in old.splitlines() if untouched in line]
        assert old_line in new.splitlines()


def test_crlf_bom_and_utf16_survive_the_fix(golden_runs: dict[str, GoldenRun]) -> None:
    crlf = golden_runs["markdown_crlf_bom.md"]
    assert crlf.original.startswith(codecs.BOM_UTF8)
    assert crlf.fixed.startswith(codecs.BOM_UTF8)
    assert not crlf.fixed[3:].startswith(codecs.BOM_UTF8)
    assert crlf.fixed.count(b"\n") == crlf.fixed.count(b"\r\n") == crlf.original.count(b"\r\n")
    utf16 = golden_runs["utf16.txt"]
    assert utf16.original.startswith(codecs.BOM_UTF16_LE)
    assert utf16.fixed.startswith(codecs.BOM_UTF16_LE)
    text = utf16.fixed[2:].decode("utf-16-le")
    assert "https://almanac.example.org/tides?day=12." in text
    assert "https://météo.example.fr/prévisions)" in text
    assert text.count("\r\n") == text.count("\n") == 5


# -- exit codes --------------------------------------------------------------------------------


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def test_exit_codes_clean_findings_and_exit_zero(tmp_path: Path) -> None:
    write(tmp_path / "clean.md", f"Fine: <{CLEAN}>\n")
    write(tmp_path / "dirty.md", f"Dirty: <{DIRTY}>\n")
    assert run("--isolated", "clean.md", cwd=tmp_path).returncode == 0
    assert run("--isolated", "dirty.md", cwd=tmp_path).returncode == 1
    done = run("--isolated", "--exit-zero", "dirty.md", cwd=tmp_path)
    assert done.returncode == 0
    assert b"tracking_params" in done.stdout
    # --exit-zero never hides an error.
    assert run("--isolated", "--exit-zero", "dirty.md", "missing.md", cwd=tmp_path).returncode == 2


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--no-such-option", "a.md"], id="unknown-option"),
        pytest.param(["--fix", "--diff", "a.md"], id="fix-and-diff"),
        pytest.param(["--format", "yaml", "a.md"], id="unknown-format"),
        pytest.param(["--fallback-encoding", "no-such-codec", "a.md"], id="unknown-encoding"),
        pytest.param(["-", "a.md"], id="stdin-with-paths"),
    ],
)
def test_usage_errors_exit_2_and_write_nothing(tmp_path: Path, args: list[str]) -> None:
    original = f"[a]({DIRTY})\n"
    write(tmp_path / "a.md", original)
    done = run("--isolated", *args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == b""
    assert b"error" in done.stderr
    assert (tmp_path / "a.md").read_text() == original


def test_unreadable_inputs_exit_2_and_are_not_modified(tmp_path: Path) -> None:
    write(tmp_path / "binary.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00" + DIRTY.encode())
    latin = write(tmp_path / "latin.txt", f"Caf\xe9 au lait: {DIRTY}\n".encode("cp1252"))
    os.mkfifo(tmp_path / "pipe.md")
    write(tmp_path / "ok.md", f"<{DIRTY}>\n")
    before = {p.name: p.read_bytes() for p in (tmp_path / "binary.md", latin)}
    names = ("missing.md", "binary.md", "latin.txt", "pipe.md")
    done = run("--isolated", "--fix", *names, "ok.md", cwd=tmp_path)
    assert done.returncode == 2
    out = done.stdout.decode()
    assert "missing.md: error:" in out
    assert "No such file" in out
    assert "binary.md: error:" in out
    assert "binary" in out
    assert "latin.txt: error:" in out
    assert "--fallback-encoding" in out
    assert "pipe.md: error:" in out
    assert "not a regular file" in out
    # The good file is still fixed: one bad file does not stop the run.
    assert (tmp_path / "ok.md").read_text() == f"<{CLEAN}>\n"
    assert {p.name: p.read_bytes() for p in (tmp_path / "binary.md", latin)} == before
    _, report = run_json("--isolated", *names, cwd=tmp_path)
    assert report["summary"]["errors"] == 4
    assert all(f["error"] for f in report["files"])
    # With the encoding named, the file is read and fixed in that encoding.
    done = run("--isolated", "--fix", "--fallback-encoding", "cp1252", "latin.txt", cwd=tmp_path)
    assert done.returncode == 0
    assert latin.read_bytes() == f"Caf\xe9 au lait: {CLEAN}\n".encode("cp1252")


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root reads any file")
def test_permission_denied_is_an_error(tmp_path: Path) -> None:
    secret = write(tmp_path / "secret.md", f"<{DIRTY}>\n")
    secret.chmod(0)
    try:
        done = run("--isolated", "secret.md", cwd=tmp_path)
    finally:
        secret.chmod(0o644)
    assert done.returncode == 2
    assert b"secret.md: error:" in done.stdout


def test_file_error_names_the_path_once(tmp_path: Path) -> None:
    done = run("--isolated", "missing.md", cwd=tmp_path)
    assert done.stdout.decode().splitlines()[0] == "missing.md: error: cannot read: No such file or directory"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param("bad.toml", "format = [", "not valid TOML", id="toml-syntax"),
        pytest.param("bad.toml", 'formatt = "json"\n', "unknown key", id="unknown-key"),
        pytest.param("bad.toml", 'format = "yaml"\n', "'format' must be one of", id="bad-format"),
        pytest.param("bad.toml", "ignore-urls = ['(']\n", "bad regular expression", id="bad-regex"),
        pytest.param("bad.toml", "timeout = 0\n", "must be a number", id="bad-timeout"),
    ],
)
def test_bad_config_file_exits_2(tmp_path: Path, name: str, content: str, message: str) -> None:
    write(tmp_path / name, content)
    write(tmp_path / "a.md", f"<{DIRTY}>\n")
    done = run("--config", name, "--exit-zero", "--fix", "a.md", cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr.decode()
    assert name in done.stderr.decode()
    assert (tmp_path / "a.md").read_text() == f"<{DIRTY}>\n"


def test_bad_config_found_upward_exits_2_unless_isolated(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.citecheck]\nno-such-key = 1\n")
    write(tmp_path / "sub" / "a.md", f"<{CLEAN}>\n")
    assert run("a.md", cwd=tmp_path / "sub").returncode == 2
    assert run("--isolated", "a.md", cwd=tmp_path / "sub").returncode == 0
    assert run("--config", str(tmp_path / "missing.toml"), "a.md", cwd=tmp_path / "sub").returncode == 2


@pytest.mark.parametrize(
    ("flag", "content"),
    [
        pytest.param("--rules", '{"bad": ', id="rules-not-json"),
        pytest.param("--rules", '{"rules": [{"id": 3}]}', id="rules-bad-entry"),
        pytest.param("--clearurls", "[1, 2]", id="clearurls-bad"),
        pytest.param("--rules", None, id="rules-missing"),
    ],
)
def test_bad_rules_file_exits_2(tmp_path: Path, flag: str, content: str | None) -> None:
    if content is not None:
        write(tmp_path / "rules.json", content)
    write(tmp_path / "a.md", f"<{DIRTY}>\n")
    done = run("--isolated", flag, "rules.json", "--exit-zero", "a.md", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(b"citecheck: error: ")
    assert b"rules.json" in done.stderr
    assert done.stdout == b""


def test_no_builtin_rules_finds_nothing_to_fix(tmp_path: Path) -> None:
    write(tmp_path / "a.md", f"<{DIRTY}>\n")
    assert run("--isolated", "--no-builtin-rules", "a.md", cwd=tmp_path).returncode == 0


# -- --diff ------------------------------------------------------------------------------------


def test_diff_prints_a_unified_diff_and_writes_nothing(tmp_path: Path) -> None:
    original = f"# Post\r\n\r\nSee [the story]({DIRTY}).\r\n"
    write(tmp_path / "post.md", original)
    write(tmp_path / "clean.md", f"[ok]({CLEAN})\n")
    done = run("--isolated", "--diff", "post.md", "clean.md", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.decode().replace("\r", "") == (
        "--- a/post.md\n"
        "+++ b/post.md\n"
        "@@ -1,3 +1,3 @@\n"
        " # Post\n"
        " \n"
        f"-See [the story]({DIRTY}).\n"
        f"+See [the story]({CLEAN}).\n"
    )
    assert (tmp_path / "post.md").read_bytes() == original.encode()
    assert b"Found 1 problem" in done.stderr
    clean = run("--isolated", "--diff", "clean.md", cwd=tmp_path)
    assert (clean.returncode, clean.stdout) == (0, b"")
    assert run("--isolated", "--diff", "--exit-zero", "post.md", cwd=tmp_path).returncode == 0


# -- stdin -------------------------------------------------------------------------------------

STDIN_MD = f"Code `{DIRTY}` stays.\r\nSee [story]({DIRTY}).\r\n".encode()
STDIN_MD_FIXED = f"Code `{DIRTY}` stays.\r\nSee [story]({CLEAN}).\r\n".encode()


def test_stdin_with_markdown_filename(tmp_path: Path) -> None:
    code, report = run_json("--isolated", "-", "--stdin-filename", "post.md", cwd=tmp_path, stdin=STDIN_MD)
    assert code == 1
    assert [(link["path"], link["line"], link["kind"]) for link in report["links"]] == [("post.md", 2, "inline")]
    assert report["files"][0]["format"] == "markdown"
    # Without a Markdown name, the code span is prose and its URL is a finding too.
    code, report = run_json("--isolated", "-", cwd=tmp_path, stdin=STDIN_MD)
    assert code == 1
    assert len(report["links"]) == 2


def test_stdin_fix_writes_fixed_text_to_stdout_and_report_to_stderr(tmp_path: Path) -> None:
    done = run("--isolated", "--fix", "-", "--stdin-filename", "post.md", cwd=tmp_path, stdin=STDIN_MD)
    assert done.returncode == 0
    assert done.stdout == STDIN_MD_FIXED
    assert b"Fixed 1 link" in done.stderr
    done = run("--isolated", "--fix", "--format", "json", "-", "--stdin-filename", "p.md", cwd=tmp_path, stdin=STDIN_MD)
    assert done.stdout == STDIN_MD_FIXED
    assert json.loads(done.stderr)["summary"]["fixed"] == 1
    bom = codecs.BOM_UTF8 + STDIN_MD
    done = run("--isolated", "--fix", "-", "--stdin-filename", "post.md", cwd=tmp_path, stdin=bom)
    assert done.stdout == codecs.BOM_UTF8 + STDIN_MD_FIXED
    assert list(tmp_path.iterdir()) == []


def test_stdin_diff(tmp_path: Path) -> None:
    done = run("--isolated", "--diff", "-", "--stdin-filename", "post.md", cwd=tmp_path, stdin=STDIN_MD)
    assert done.returncode == 1
    assert f"+See [story]({CLEAN}).".encode() in done.stdout
    assert f"-See [story]({DIRTY}).".encode() in done.stdout


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"\x7fELF\x02\x01\x01\x00\x00\x00", b"binary", id="binary"),
        pytest.param(b"caf\xe9 " + DIRTY.encode(), b"not valid UTF-8", id="latin1"),
    ],
)
def test_stdin_that_is_not_text_exits_2(tmp_path: Path, data: bytes, message: bytes) -> None:
    for extra in ([], ["--fix"]):
        done = run("--isolated", *extra, "-", cwd=tmp_path, stdin=data)
        assert done.returncode == 2
        assert done.stdout == b""
        assert done.stderr.startswith(b"citecheck: error: ")
        assert message in done.stderr


# -- directories -------------------------------------------------------------------------------


def test_directory_walk_excludes_and_suffixes(tmp_path: Path) -> None:
    line = f"<{DIRTY}>\n"
    for name in (
        "a.md",
        "sub/b.html",
        "sub/deeper/c.TXT",
        "drafts/d.md",
        "sub/drafts/e.md",
        ".git/f.md",
        "node_modules/pkg/g.md",
        "notes.rst",
        "data.json",
        "image.png",
    ):
        write(tmp_path / name, f'<a href="{DIRTY}">x</a>\n' if name.endswith(".html") else line)
    code, report = run_json("--isolated", "--exclude", "drafts", cwd=tmp_path)
    assert code == 1
    assert [f["path"] for f in report["files"]] == ["a.md", "sub/b.html", "sub/deeper/c.TXT"]
    code, report = run_json("--isolated", ".", cwd=tmp_path)
    assert [f["path"] for f in report["files"]] == [
        "a.md",
        "drafts/d.md",
        "sub/b.html",
        "sub/deeper/c.TXT",
        "sub/drafts/e.md",
    ]
    code, report = run_json("--isolated", "sub", "--exclude", "*.html", cwd=tmp_path)
    assert [f["path"] for f in report["files"]] == ["sub/deeper/c.TXT", "sub/drafts/e.md"]
    # A file named explicitly is read whatever its suffix and whatever the excludes.
    code, report = run_json("--isolated", "--exclude", "drafts", "notes.rst", "drafts/d.md", cwd=tmp_path)
    assert [(f["path"], f["format"], f["error"]) for f in report["files"]] == [
        ("notes.rst", "text", None),
        ("drafts/d.md", "markdown", None),
    ]
    assert report["summary"]["fixable"] == 2


def test_fix_over_a_directory_rewrites_only_article_files(tmp_path: Path) -> None:
    line = f"<{DIRTY}>\n"
    for name in ("a.md", "drafts/b.md", "notes.rst", ".git/c.md"):
        write(tmp_path / name, line)
    done = run("--isolated", "--fix", "--exclude", "drafts", cwd=tmp_path)
    assert done.returncode == 0
    assert (tmp_path / "a.md").read_text() == f"<{CLEAN}>\n"
    for untouched in ("drafts/b.md", "notes.rst", ".git/c.md"):
        assert (tmp_path / untouched).read_text() == line


def test_empty_directory_and_no_article_files(tmp_path: Path) -> None:
    write(tmp_path / "x.py", f"# {DIRTY}\n")
    done = run("--isolated", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout == b"No files checked.\n"


# -- configuration -----------------------------------------------------------------------------


def test_configuration_found_upward_and_overridden(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        '[project]\nname = "blog"\n\n[tool.citecheck]\nformat = "json"\nignore-urls = [\'^https://intranet\\.example\\.org/\']\n',
    )
    article = f"Inside https://intranet.example.org/memo?utm_source=x and {DIRTY} too.\n"
    write(tmp_path / "posts" / "2024" / "a.txt", article)
    cwd = tmp_path / "posts" / "2024"
    done = run("a.txt", cwd=cwd)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert [(link["verdict"], link["reason"]) for link in report["links"]] == [
        ("skipped", "excluded"),
        ("fixable", "tracking_params"),
    ]
    # Flags win over the file; --ignore-url adds to its patterns.
    done = run("--format", "text", "a.txt", cwd=cwd)
    assert done.stdout.startswith(b"a.txt:1:")
    assert b"1 link checked, 1 skipped" in done.stdout
    code, report = run_json("--ignore-url", "news", "a.txt", cwd=cwd)
    assert code == 0
    assert [link["reason"] for link in report["links"]] == ["excluded", "excluded"]
    # --isolated: no configuration at all.
    done = run("--isolated", "a.txt", cwd=cwd)
    assert done.stdout.startswith(b"a.txt:1:")
    assert b"Found 2 problems" in done.stdout
    # --config names the file explicitly, found from anywhere.
    write(tmp_path / "ci.toml", 'format = "github"\nexit-zero = true\n')
    done = run("--config", str(tmp_path / "ci.toml"), "a.txt", cwd=cwd)
    assert done.returncode == 0
    assert done.stdout.count(b"::warning ") == 2


def test_citecheck_toml_wins_over_pyproject_in_the_same_folder(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.citecheck]\nformat = "json"\n')
    write(tmp_path / "citecheck.toml", 'format = "github"\n')
    write(tmp_path / "a.md", f"<{DIRTY}>\n")
    assert run("a.md", cwd=tmp_path).stdout.startswith(b"::warning ")


# -- output formats ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def findings_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("formats")
    write(work / "post.md", f"See [a]({DIRTY}) and [b](https://exa mple.com/x) and [c](https://[oops/).\n")
    write(work / "page.html", f'<a href="{DIRTY}&amp;fbclid=2">x</a> <a href="mailto:a@example.com">m</a>\n')
    write(work / "bad.txt", b"\xff\xfe\x00")
    return work


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif", "junit"])
def test_every_format_is_parseable(findings_dir: Path, fmt: str) -> None:
    done = run("--isolated", "--format", fmt, "post.md", "page.html", "bad.txt", cwd=findings_dir)
    assert done.returncode == 2  # bad.txt cannot be read
    out = done.stdout.decode("utf-8")
    if fmt == "text":
        assert out.endswith("\n")
        assert "post.md:1:" in out
        assert "invalid_url" in out
    elif fmt == "json":
        report = json.loads(out)
        assert report["summary"]["errors"] == 1
        assert report["summary"]["findings"] >= 3
    elif fmt == "github":
        lines = out.splitlines()
        assert all(line.startswith("::") for line in lines[:-1])
        assert lines[-1].startswith("Found ")
        assert any(line.startswith("::error file=bad.txt") for line in lines)
    elif fmt == "sarif":
        log = json.loads(out)
        assert log["version"] == "2.1.0"
        results = log["runs"][0]["results"]
        assert {r["ruleId"] for r in results} >= {"tracking_params", "invalid_url"}
        assert log["runs"][0]["invocations"][0]["executionSuccessful"] is False
    else:
        root = ET.fromstring(done.stdout)
        assert root.tag == "testsuites"
        assert [s.get("name") for s in root.iter("testsuite")] == ["post.md", "page.html", "bad.txt"]
        assert root.find(".//failure[@type='tracking_params']") is not None


def test_verbose_lists_every_link(findings_dir: Path) -> None:
    done = run("--isolated", "--verbose", "page.html", cwd=findings_dir)
    assert b"skipped (unsupported_scheme) mailto:a@example.com" in done.stdout
    quiet = run("--isolated", "page.html", cwd=findings_dir)
    assert b"mailto:" not in quiet.stdout


# -- odd inputs --------------------------------------------------------------------------------


def test_empty_whitespace_and_huge_files(tmp_path: Path) -> None:
    write(tmp_path / "empty.md", "")
    write(tmp_path / "blank.txt", "  \n\t\r\n \n")
    filler = "the tide came in and went out again " * 30_000  # about 1 MB
    huge = f"{filler}{DIRTY} {filler}[x](https://b.example/p?fbclid=9) {filler}<{CLEAN}>"
    assert len(huge) > 1 << 20
    assert "\n" not in huge
    write(tmp_path / "huge.md", huge)
    done = run("--isolated", "empty.md", "blank.txt", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, b"No links found in 2 files.\n")
    code, report = run_json("--isolated", "huge.md", cwd=tmp_path)
    assert code == 1
    assert [(link["line"], link["verdict"]) for link in report["links"]] == [
        (1, "fixable"),
        (1, "fixable"),
        (1, "ok"),
    ]
    done = run("--isolated", "--fix", "huge.md", cwd=tmp_path)
    assert done.returncode == 0
    fixed = (tmp_path / "huge.md").read_text()
    assert fixed == f"{filler}{CLEAN} {filler}[x](https://b.example/p) {filler}<{CLEAN}>"
    # Empty stdin too.
    done = run("--isolated", "-", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, b"No links found in 1 file.\n")


def test_fix_keeps_mode_and_leaves_no_temp_files(tmp_path: Path) -> None:
    article = write(tmp_path / "a.md", f"[x]({DIRTY})\n")
    other = write(tmp_path / "b.txt", f"{DIRTY}\n")
    article.chmod(0o640)
    other.chmod(0o604)
    done = run("--isolated", "--fix", "a.md", "b.txt", cwd=tmp_path)
    assert done.returncode == 0
    assert article.read_text() == f"[x]({CLEAN})\n"
    assert other.read_text() == f"{CLEAN}\n"
    assert stat.S_IMODE(article.stat().st_mode) == 0o640
    assert stat.S_IMODE(other.stat().st_mode) == 0o604
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md", "b.txt"]


def test_a_url_split_after_a_separator_is_reported_but_not_rewritten(tmp_path: Path) -> None:
    # Rewriting the first line's part would glue "id=42" onto a different URL.
    original = "See https://split.example.com/t?utm_source=x&\nid=42 for details.\n"
    write(tmp_path / "split.txt", original)
    done = run("--isolated", "--fix", "split.txt", cwd=tmp_path)
    assert done.returncode == 1
    assert (tmp_path / "split.txt").read_text() == original


def test_diff_names_files_it_could_not_read(tmp_path: Path) -> None:
    done = run("--isolated", "--diff", "missing.md", cwd=tmp_path)
    assert done.returncode == 2
    assert b"missing.md" in done.stdout + done.stderr


def test_method_flag_takes_get_or_head_only(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("[x](https://example.org/?utm_source=1)\n", "utf-8")
    assert run("--method", "head", "a.md", cwd=tmp_path).returncode == 1  # the finding, no usage error
    refused = run("--method", "post", "a.md", cwd=tmp_path)
    assert refused.returncode == 2
    assert b"--method" in refused.stderr
    (tmp_path / "citecheck.toml").write_text('method = "post"\n', "utf-8")
    from_file = run("a.md", cwd=tmp_path)
    assert from_file.returncode == 2
    assert b"'method' must be one of get, head" in from_file.stderr
