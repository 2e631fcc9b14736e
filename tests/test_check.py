"""The orchestrator: verdicts per link, fixes that touch only URL spans, runs over files."""

from __future__ import annotations

import codecs
import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from citecheck.core.config import Config
from citecheck.core.links import Link, LinkKind
from citecheck.core.results import Reason, Verdict
from citecheck.fix.documents import Document
from citecheck.pipeline import Checker, check_text, unified_diff


def _link(url: str) -> Link:
    return Link(url=url, raw=url, start=0, end=len(url), line=1, column=1, kind=LinkKind.BARE)


@pytest.mark.parametrize(
    ("url", "verdict", "reason", "cleaned"),
    [
        ("https://example.com/a?id=1", Verdict.OK, Reason.NOT_CHECKED, "https://example.com/a?id=1"),
        ("HTTPS://Example.com:443", Verdict.OK, Reason.NOT_CHECKED, "https://example.com/"),
        (
            "https://example.com/a?utm_source=x&id=1",
            Verdict.FIXABLE,
            Reason.TRACKING_PARAMS,
            "https://example.com/a?id=1",
        ),
        (
            "https://www.google.com/url?q=https%3A%2F%2Fexample.org%2F",
            Verdict.FIXABLE,
            Reason.REDIRECT_WRAPPER,
            "https://example.org/",
        ),
        ("https://exa mple.com/", Verdict.INVALID, Reason.INVALID_URL, "https://exa mple.com/"),
        ("http://[::1/x", Verdict.INVALID, Reason.INVALID_URL, "http://[::1/x"),
        ("https://-a.example/", Verdict.INVALID, Reason.INVALID_URL, "https://-a.example/"),
        ("https://a-.example/x?utm_source=y", Verdict.INVALID, Reason.INVALID_URL, "https://a-.example/x?utm_source=y"),
        ("https://)/", Verdict.INVALID, Reason.INVALID_URL, "https://)/"),
        ("mailto:someone@example.com", Verdict.SKIPPED, Reason.UNSUPPORTED_SCHEME, "mailto:someone@example.com"),
        ("doi:10.1000/182", Verdict.SKIPPED, Reason.UNSUPPORTED_SCHEME, "doi:10.1000/182"),
        ("/relative/path", Verdict.SKIPPED, Reason.UNSUPPORTED_SCHEME, "/relative/path"),
    ],
)
def test_offline_verdicts(url: str, verdict: Verdict, reason: Reason | None, cleaned: str) -> None:
    result = Checker().judge(_link(url), path="a.txt")
    assert (result.verdict, result.reason, result.cleaned) == (verdict, reason, cleaned)
    assert result.is_finding == (verdict in (Verdict.FIXABLE, Verdict.INVALID))


def test_ignore_urls_skip_matching_links() -> None:
    checker = Checker(Config(ignore_urls=(r"^https://intranet\.example\.org/",)))
    result = checker.judge(_link("https://intranet.example.org/?utm_source=x"), path="a.txt")
    assert (result.verdict, result.reason) == (Verdict.SKIPPED, Reason.EXCLUDED)


def test_messages_say_what_to_cite() -> None:
    result = Checker().judge(_link("https://example.com/a?utm_source=x&fbclid=y"), path="a.txt")
    assert result.message == "link carries tracking parameters (utm_source, fbclid); cite https://example.com/a"
    wrapped = Checker().judge(_link("https://www.google.com/url?q=https%3A%2F%2Fexample.org%2F"), path="a.txt")
    assert wrapped.message == "link is wrapped in a redirect (google-url); cite https://example.org/"


def test_check_text_and_fix_touch_only_url_spans() -> None:
    text = "Intro (see https://example.com/a?utm_source=x&id=7), then https://example.org/ok.\r\nEnd\r\n"
    result = check_text(text, path="note.txt")
    assert [r.verdict for r in result.links] == [Verdict.FIXABLE, Verdict.OK]
    fixed_text, fixed = Checker.fixed_text(text, result)
    assert fixed_text == "Intro (see https://example.com/a?id=7), then https://example.org/ok.\r\nEnd\r\n"
    assert [r.fixed for r in fixed.links] == [True, False]
    again = check_text(fixed_text, path="note.txt")
    assert Checker.fixed_text(fixed_text, again)[0] == fixed_text


def test_an_impossible_host_is_invalid_when_linked_and_prose_when_bare() -> None:
    text = "[report](https://-a.example/r) and <https://a..b/> but https://-c.example/ is prose.\n"
    result = check_text(text, format="markdown", path="post.md")
    assert [(r.link.url, r.verdict) for r in result.links] == [
        ("https://-a.example/r", Verdict.INVALID),
        ("https://a..b/", Verdict.INVALID),
    ]
    assert check_text("see https://-c.example/ and https://a..b/.", path="note.txt").links == ()


def test_a_fix_that_cannot_be_written_back_is_left_alone() -> None:
    text = "see https://example.com/a?utm_source=x now"
    result = check_text(text, path="note.txt")
    [item] = result.links
    odd = replace(result, links=(replace(item, cleaned="https://-a.example/"),))
    fixed_text, fixed = Checker.fixed_text(text, odd)
    assert fixed_text == text
    assert not fixed.links[0].fixed


def test_markdown_code_is_never_rewritten() -> None:
    text = (
        "Read [the report](https://example.com/r?utm_source=nl).\n\n"
        "```\ncurl 'https://example.com/r?utm_source=nl'\n```\n\n"
        "Inline `https://example.com/r?utm_source=nl` too.\n"
    )
    result = check_text(text, format="markdown", path="post.md")
    assert [(r.link.line, r.verdict) for r in result.links] == [(1, Verdict.FIXABLE)]
    fixed_text, _ = Checker.fixed_text(text, result)
    assert fixed_text == text.replace("(https://example.com/r?utm_source=nl)", "(https://example.com/r)")


def test_html_entities_are_written_back_escaped() -> None:
    text = '<p><a href="https://example.com/a?id=1&amp;utm_source=x&amp;b=2">x</a></p>\n'
    result = check_text(text, format="html", path="page.html")
    (link,) = result.links
    assert link.link.url == "https://example.com/a?id=1&utm_source=x&b=2"
    assert link.cleaned == "https://example.com/a?id=1&b=2"
    fixed_text, _ = Checker.fixed_text(text, result)
    assert fixed_text == '<p><a href="https://example.com/a?id=1&amp;b=2">x</a></p>\n'


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "a.md").write_bytes(codecs.BOM_UTF8 + b"# A\r\n\r\n[x](https://example.com/?fbclid=1)\r\n")
    (tmp_path / "posts" / "b.html").write_text('<a href="https://example.org/">ok</a>\n', "utf-8")
    (tmp_path / "notes.txt").write_text("https://example.net/?gclid=2 and mailto:a@example.com\n", "utf-8")
    (tmp_path / "broken.txt").write_bytes(b"\xff\xfe\x00\xd8")  # UTF-16 BOM, then a lone surrogate
    os.chmod(tmp_path / "posts" / "a.md", 0o600)
    return tmp_path


def test_check_paths_reports_and_fixes(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    checker = Checker(Config(offline=True))
    report, changes = checker.check_paths([str(root)])
    summary = report.summary()
    assert summary["files"] == 4
    assert summary["fixable"] == 2
    assert summary["errors"] == 1
    assert report.exit_code() == 2
    assert sorted(Path(p).name for p in changes) == ["a.md", "notes.txt"]
    before = (root / "posts" / "a.md").read_bytes()

    report, _ = checker.check_paths([str(root)], fix=True)
    assert report.summary()["fixed"] == 2
    assert (root / "posts" / "a.md").read_bytes() == before.replace(b"/?fbclid=1", b"/")
    assert stat.S_IMODE((root / "posts" / "a.md").stat().st_mode) == 0o600
    assert (root / "notes.txt").read_text("utf-8") == "https://example.net/ and mailto:a@example.com\n"
    assert (root / "broken.txt").read_bytes() == b"\xff\xfe\x00\xd8"

    report, changes = checker.check_paths([str(root)], fix=True)
    assert changes == {}
    assert report.summary()["fixed"] == 0


def test_unified_diff() -> None:
    diff = unified_diff("a.txt", "x https://e.com/?utm_source=1\n", "x https://e.com/\n")
    assert diff.splitlines()[:2] == ["--- a/a.txt", "+++ b/a.txt"]
    assert "-x https://e.com/?utm_source=1" in diff
    assert "+x https://e.com/" in diff
    assert unified_diff("a.txt", "no newline?utm", "no newline").endswith("\\ No newline at end of file\n")


def test_document_path_drives_format() -> None:
    checker = Checker()
    md = checker.judge_document(Document(path="a.md", text="`https://e.com/?utm_source=1`"))
    txt = checker.judge_document(Document(path="a.txt", text="`https://e.com/?utm_source=1`"))
    assert (md.format, len(md.links)) == ("markdown", 0)
    assert (txt.format, len(txt.links)) == ("text", 1)


def test_an_unusable_default_store_is_a_notice_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x", "utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    article = tmp_path / "a.md"
    article.write_text("[x](http://127.0.0.1/private)\n", "utf-8")
    report, _ = Checker(Config()).check_paths([str(article)])
    assert report.errors == ()
    assert any(n.startswith("results are not remembered") for n in report.notices)
    assert report.links[0].reason is Reason.PRIVATE_ADDRESS
