"""The output formats: golden files for one shared report, and the rules each format must keep.

Set ``CITECHECK_UPDATE_GOLDENS=1`` to rewrite the golden files after an intended change, then
review the diff.
"""

from __future__ import annotations

import io
import json
import os
import re
import tracemalloc
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from citecheck import __version__
from citecheck.clean.cleaner import RemovedParam, Unwrapped
from citecheck.core.evidence import Hop, OnlineResult
from citecheck.core.links import Link, LinkKind, Syntax
from citecheck.core.results import CheckReport, FileResult, LinkResult, Reason, Verdict
from citecheck.core.snapshot import Snapshot, SnapshotSource
from citecheck.extract import encode_url
from citecheck.report import FORMATS, render, write
from citecheck.report.github import escape_data, escape_property
from citecheck.report.junit import xml_safe
from citecheck.report.sarif import artifact_uri

GOLDEN = Path(__file__).parent / "golden" / "report"
UPDATE = os.environ.get("CITECHECK_UPDATE_GOLDENS") == "1"

ODD_PATH = "docs/notes, draft: 100% ü.md"


def make_link(
    url: str,
    *,
    line: int = 1,
    column: int = 1,
    raw: str | None = None,
    start: int = 0,
    kind: LinkKind = LinkKind.BARE,
    syntax: Syntax = Syntax.PLAIN,
) -> Link:
    raw = url if raw is None else raw
    return Link(url=url, raw=raw, start=start, end=start + len(raw), line=line, column=column, kind=kind, syntax=syntax)


def make_result(
    path: str,
    url: str,
    verdict: Verdict = Verdict.OK,
    reason: Reason | None = None,
    *,
    cleaned: str | None = None,
    removed: tuple[RemovedParam, ...] = (),
    wrappers: tuple[Unwrapped, ...] = (),
    fixed: bool = False,
    **link: Any,
) -> LinkResult:
    return LinkResult(
        path=path,
        link=make_link(url, **link),
        verdict=verdict,
        reason=reason,
        cleaned=url if cleaned is None else cleaned,
        removed=removed,
        wrappers=wrappers,
        fixed=fixed,
    )


def tracking(path: str = "a.md", *, line: int = 3, column: int = 5, fixed: bool = False) -> LinkResult:
    return make_result(
        path,
        "https://example.com/a?id=7&utm_source=news",
        Verdict.FIXABLE,
        Reason.TRACKING_PARAMS,
        cleaned="https://example.com/a?id=7",
        removed=(RemovedParam(name="utm_source", value="news", rule="utm", location="query"),),
        line=line,
        column=column,
        kind=LinkKind.INLINE,
        syntax=Syntax.MARKDOWN_DESTINATION,
        fixed=fixed,
    )


def invalid(path: str = "a.md", url: str = "https://exa mple.com/") -> LinkResult:
    return make_result(path, url, Verdict.INVALID, Reason.INVALID_URL, line=9, column=1)


def skipped(path: str = "a.md") -> LinkResult:
    return make_result(path, "mailto:someone@example.com", Verdict.SKIPPED, Reason.UNSUPPORTED_SCHEME, line=11)


def ok(path: str = "a.md") -> LinkResult:
    return make_result(path, "https://example.net/ok", line=12, column=2)


def report_of(*results: LinkResult, errors: dict[str, str] | None = None, **kwargs: Any) -> CheckReport:
    """A report with one FileResult per distinct path, in first-seen order."""
    paths = list(dict.fromkeys(r.path for r in results))
    files = [FileResult(path=p, links=tuple(r for r in results if r.path == p)) for p in paths]
    files += [FileResult(path=p, error=e) for p, e in (errors or {}).items()]
    return CheckReport(files=tuple(files), **kwargs)


def sample_report() -> CheckReport:
    """Every kind of result, with paths and URLs that need escaping in some format."""
    wrapped = "https://www.google.com/url?q=https%3A%2F%2Fexample.org%2F%3Fq%3D%22%3Cb%3E%22%26x%3D1&sa=D"
    wrapper = make_result(
        ODD_PATH,
        wrapped,
        Verdict.FIXABLE,
        Reason.REDIRECT_WRAPPER,
        cleaned='https://example.org/?q="<b>"&x=1',
        wrappers=(Unwrapped(wrapper=wrapped, rule="google-url"),),
        raw=wrapped.replace("&", "&amp;"),
        line=5,
        column=10,
        start=80,
        kind=LinkKind.ATTRIBUTE,
        syntax=Syntax.HTML_DOUBLE,
    )
    weird = "https://exa\tmple.com/\x1b[31m%\n::error::forged,\x7f\u202e"
    first = FileResult(
        path=ODD_PATH,
        format="markdown",
        links=(
            tracking(ODD_PATH),
            wrapper,
            invalid(ODD_PATH, weird),
            skipped(ODD_PATH),
            ok(ODD_PATH),
        ),
    )
    second = FileResult(
        path="site/index.html",
        format="html",
        links=(tracking("site/index.html", line=2, column=14, fixed=True), ok("site/index.html")),
        rewritten=True,
    )
    broken = FileResult(path="broken:file.md", error="cannot decode as UTF-8 (byte 0xff at offset 12)")
    empty = FileResult(path="empty.txt")
    return CheckReport(files=(first, second, broken, empty), notices=("1 file skipped: slides.pdf",))


# -- golden files -----------------------------------------------------------------------------

GOLDEN_CASES = [
    ("text", False, "sample.txt"),
    ("text", True, "sample-verbose.txt"),
    ("json", False, "sample.json"),
    ("github", False, "sample.github.txt"),
    ("sarif", False, "sample.sarif"),
    ("junit", False, "sample.junit.xml"),
]


@pytest.mark.parametrize(("fmt", "verbose", "name"), GOLDEN_CASES)
def test_golden(fmt: str, verbose: bool, name: str) -> None:
    output = render(sample_report(), fmt, verbose=verbose)
    assert output == render(sample_report(), fmt, verbose=verbose)  # deterministic
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(output.encode("utf-8"))
    assert path.read_bytes().decode("utf-8") == output


def test_golden_cases_cover_every_format() -> None:
    assert {fmt for fmt, _, _ in GOLDEN_CASES} == set(FORMATS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_ends_with_one_newline_and_renders_empty_report(fmt: str) -> None:
    for report in (CheckReport(), sample_report()):
        output = render(report, fmt)
        assert output.endswith("\n")
        assert not output.endswith("\n\n")
        output.encode("utf-8")  # always writable


def test_unknown_format() -> None:
    assert FORMATS == ("text", "json", "github", "sarif", "junit")
    with pytest.raises(ValueError, match="unknown report format 'xml'"):
        render(CheckReport(), "xml")


# -- text -------------------------------------------------------------------------------------


def summary(report: CheckReport) -> str:
    return render(report, "text").rstrip("\n").split("\n")[-1]


def test_text_summary_wording() -> None:
    assert render(CheckReport(), "text") == "No files checked.\n"
    assert summary(CheckReport(files=(FileResult(path="a.md"),))) == "No links found in 1 file."
    assert summary(report_of(ok(), ok("b.md"))) == "All 2 links in 2 files are clean."
    assert summary(report_of(ok())) == "The 1 link in 1 file is clean."
    assert summary(report_of(ok(), skipped())) == "The 1 checked link in 1 file is clean; 1 skipped."
    assert summary(report_of(ok(), ok(), skipped(), skipped())) == "All 2 checked links in 1 file are clean; 2 skipped."
    assert summary(report_of(skipped())) == "No links checked in 1 file; 1 skipped."
    assert summary(report_of(tracking(), ok())) == "Found 1 problem in 1 file (1 fixable with --fix); 2 links checked."
    assert summary(report_of(tracking(), invalid(), tracking("b.md"), skipped())) == (
        "Found 3 problems in 2 files (2 fixable with --fix); 3 links checked, 1 skipped."
    )
    assert summary(report_of(invalid())) == "Found 1 problem in 1 file; 1 link checked."
    assert summary(report_of(ok(), errors={"x.md": "unreadable"})) == (
        "Found 1 problem in 1 file (1 file could not be checked); 1 link checked."
    )


def test_text_fixed_links() -> None:
    output = render(report_of(tracking(fixed=True), tracking("b.md", fixed=True), ok()), "text")
    assert output == "Fixed 2 links in 2 files.\nAll 3 links in 2 files are clean.\n"
    output = render(report_of(tracking(fixed=True), invalid()), "text")
    assert output.endswith("\nFixed 1 link in 1 file.\nFound 1 problem in 1 file; 2 links checked.\n")


def test_text_problem_block() -> None:
    output = render(report_of(tracking(), invalid(), ok()), "text")
    assert output == (
        "a.md:3:5: tracking_params link carries tracking parameters (utm_source)\n"
        "  https://example.com/a?id=7&utm_source=news\n"
        "  -> https://example.com/a?id=7\n"
        "a.md:9:1: invalid_url link is not a valid URL\n"
        "  https://exa mple.com/\n"
        "\n"
        "Found 2 problems in 1 file (1 fixable with --fix); 3 links checked.\n"
    )


def test_text_verbose_lists_every_link() -> None:
    report = report_of(tracking(fixed=True), skipped(), ok())
    assert render(report, "text") == "Fixed 1 link in 1 file.\nAll 2 checked links in 1 file are clean; 1 skipped.\n"
    lines = render(report, "text", verbose=True).splitlines()
    assert lines[:4] == [
        "a.md:3:5: fixed (tracking_params) https://example.com/a?id=7&utm_source=news",
        "  -> https://example.com/a?id=7",
        "a.md:11:1: skipped (unsupported_scheme) mailto:someone@example.com",
        "a.md:12:2: ok https://example.net/ok",
    ]


def test_text_cannot_be_forged_by_control_characters() -> None:
    output = render(sample_report(), "text", verbose=True)
    assert "\x1b" not in output
    assert "\u202e" not in output
    assert "\t" not in output
    assert "\\x1b[31m%\\n::error::forged,\\x7f\\u202e" in output
    # Every line is a location line, an indented URL line, a notice, a summary or blank.
    for line in output.splitlines():
        assert re.match(r"(\S.*:\d+:\d+: |  |notice: |[A-Z]|$|broken:file\.md: error: )", line), line


def test_text_color_only_when_asked() -> None:
    plain = render(sample_report(), "text")
    colored = render(sample_report(), "text", color=True)
    assert "\x1b[" not in plain
    assert "\x1b[33mtracking_params\x1b[0m" in colored
    assert "\x1b[31minvalid_url\x1b[0m" in colored
    assert re.sub(r"\x1b\[\d+m", "", colored) == plain


# -- json -------------------------------------------------------------------------------------


def test_json_is_the_versioned_document() -> None:
    report = sample_report()
    output = render(report, "json")
    assert json.loads(output) == report.to_dict()
    assert output == json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"
    assert "ü" in output  # not \u00fc
    document = json.loads(output)
    assert list(document) == ["schema_version", "offline", "links", "files", "summary", "notices"]
    assert document["schema_version"] == 2


def test_json_link_entry_keeps_the_network_evidence_only_under_online() -> None:
    """Schema 2: ``online`` carries the evidence (null offline); ``snapshot`` is the summary."""
    moment = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    evidence = OnlineResult(
        url="https://old.example/a",
        verdict=Verdict.REDIRECTED,
        reason=Reason.PERMANENT_REDIRECT,
        http_status=200,
        final_url="https://new.example/a",
        redirects=(Hop(url="https://old.example/a", status=301, method="HEAD", location="https://new.example/a"),),
        suggested="https://new.example/a",
        checked_at=moment,
        from_cache=True,
    )
    snapshot = Snapshot(
        original_url="https://old.example/a",
        lookup_url="https://old.example/a",
        archive="ia",
        memento_url="https://web.archive.org/web/20240101000000/https://old.example/a",
        captured_at=datetime(2024, 1, 1, tzinfo=UTC),
        status=200,
        source=SnapshotSource.CDX,
    )
    online = replace(
        make_result("a.md", "https://old.example/a", Verdict.REDIRECTED, Reason.PERMANENT_REDIRECT),
        online=evidence,
        snapshot=snapshot,
    )
    entry, offline = CheckReport(files=(FileResult(path="a.md", links=(online, ok())),)).to_dict()["links"]
    flattened = {"http_status", "final_url", "redirects", "canonical", "suggested", "checked_at", "from_cache"}
    assert not flattened & (entry.keys() | offline.keys())
    assert entry["online"] == evidence.to_dict()
    assert (entry["online"]["final_url"], entry["online"]["from_cache"]) == ("https://new.example/a", True)
    assert entry["snapshot"] == {
        "archive": "ia",
        "url": "https://web.archive.org/web/20240101000000/https://old.example/a",
        "timestamp": "2024-01-01T00:00:00+00:00",
        "status": 200,
    }
    assert entry["snapshot"] == snapshot.summary()
    assert (offline["online"], offline["snapshot"]) == (None, None)


def test_json_lone_surrogate_round_trips() -> None:
    report = report_of(invalid(url="https://x.example/\udcff"))
    output = render(report, "json")
    output.encode("utf-8")
    assert json.loads(output) == report.to_dict()


# -- github -----------------------------------------------------------------------------------


def test_github_escaping_rules() -> None:
    assert escape_data("100% a:b,c\r\nd") == "100%25 a:b,c%0D%0Ad"
    assert escape_property("100% a:b,c\r\nd") == "100%25 a%3Ab%2Cc%0D%0Ad"
    assert escape_data("%0A") == "%250A"  # escaping is not undone by the runner's unescaping


def _unescape(text: str, *, prop: bool) -> str:
    """The runner's unescaping (ActionCommand.cs): the inverse of escape_data/escape_property."""
    pairs = [("%0D", "\r"), ("%0A", "\n")] + ([("%3A", ":"), ("%2C", ",")] if prop else [])
    for escaped, char in pairs:
        text = text.replace(escaped, char)
    return text.replace("%25", "%")


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    match = re.fullmatch(r"::(\w+)(?: ([^:]*))?::(.*)", line)
    assert match, line
    props = dict(part.split("=", 1) for part in (match.group(2) or "").split(",") if part)
    return (
        match.group(1),
        {k: _unescape(v, prop=True) for k, v in props.items()},
        _unescape(match.group(3), prop=False),
    )


def test_github_one_annotation_per_problem() -> None:
    report = sample_report()
    lines = render(report, "github").splitlines()
    commands = [parse_command(line) for line in lines if line.startswith("::")]
    assert [name for name, _, _ in commands] == ["warning", "warning", "error", "error", "notice"]
    (_, first, message), _, (_, third, forged), (_, error, error_message), _ = commands
    assert first == {"file": ODD_PATH, "line": "3", "col": "5", "title": "citecheck: Tracking parameters"}
    assert message == "link carries tracking parameters (utm_source); cite https://example.com/a?id=7"
    assert third["title"] == "citecheck: Invalid URL"
    assert forged == "link is not a valid URL: " + report.files[0].links[2].link.url
    assert error == {"file": "broken:file.md", "title": "citecheck: file error"}
    assert error_message == report.files[2].error
    # The summary is a plain log line, not an annotation.
    assert lines[-1] == (
        "Found 4 problems in 2 files (2 fixable with --fix, 1 file could not be checked); 6 links checked, 1 skipped."
    )


def test_github_clean_run_has_no_annotations() -> None:
    assert render(report_of(ok()), "github") == "The 1 link in 1 file is clean.\n"


# -- sarif ------------------------------------------------------------------------------------

# Properties the SARIF 2.1.0 schema requires and allows, for the objects citecheck writes.
SARIF_OBJECTS: dict[str, tuple[set[str], set[str]]] = {
    "log": ({"version", "runs"}, {"$schema", "version", "runs"}),
    "run": ({"tool"}, {"tool", "columnKind", "invocations", "results"}),
    "tool": ({"driver"}, {"driver"}),
    "driver": ({"name"}, {"name", "version", "informationUri", "rules"}),
    "rule": ({"id"}, {"id", "name", "shortDescription", "fullDescription", "help", "defaultConfiguration"}),
    "invocation": ({"executionSuccessful"}, {"executionSuccessful", "toolExecutionNotifications"}),
    "notification": ({"message"}, {"level", "message", "locations"}),
    "result": ({"message"}, {"ruleId", "ruleIndex", "level", "message", "locations", "fixes", "relatedLocations"}),
    "location": (set(), {"id", "physicalLocation", "message"}),
    "physical": ({"artifactLocation"}, {"artifactLocation", "region"}),
    "artifact": ({"uri"}, {"uri"}),
    "region": ({"startLine"}, {"startLine", "startColumn", "endLine", "endColumn"}),
    "message": ({"text"}, {"text"}),
    "fix": ({"artifactChanges"}, {"description", "artifactChanges"}),
    "change": ({"artifactLocation", "replacements"}, {"artifactLocation", "replacements"}),
    "replacement": ({"deletedRegion"}, {"deletedRegion", "insertedContent"}),
}


def check(kind: str, value: Any) -> None:
    required, allowed = SARIF_OBJECTS[kind]
    assert isinstance(value, dict), (kind, value)
    assert required <= value.keys(), (kind, value)
    assert value.keys() <= allowed, (kind, value)


def check_location(location: Any) -> None:
    check("location", location)
    physical = location["physicalLocation"]
    check("physical", physical)
    check("artifact", physical["artifactLocation"])
    assert re.fullmatch(r"[A-Za-z0-9._~/%-]+|file:///.*", physical["artifactLocation"]["uri"])
    if "region" in physical:
        check_region(physical["region"])


def check_region(region: Any) -> None:
    check("region", region)
    assert all(isinstance(v, int) and v >= 1 for v in region.values())
    assert (region["endLine"], region["endColumn"]) > (region["startLine"], region["startColumn"])


def check_sarif(log: Any) -> None:
    check("log", log)
    assert log["version"] == "2.1.0"
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    (run,) = log["runs"]
    check("run", run)
    assert run["columnKind"] == "unicodeCodePoints"
    check("tool", run["tool"])
    driver = run["tool"]["driver"]
    check("driver", driver)
    assert driver["name"] == "citecheck"
    assert driver["version"] == __version__
    ids = [rule["id"] for rule in driver["rules"]]
    assert len(ids) == len(set(ids))
    for rule in driver["rules"]:
        check("rule", rule)
        for key in ("shortDescription", "fullDescription", "help"):
            check("message", rule[key])
        assert rule["defaultConfiguration"]["level"] in {"note", "warning", "error"}
    for invocation in run["invocations"]:
        check("invocation", invocation)
        for note in invocation.get("toolExecutionNotifications", []):
            check("notification", note)
            check("message", note["message"])
            for location in note.get("locations", []):
                check_location(location)
    for result in run["results"]:
        check("result", result)
        check("message", result["message"])
        assert ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in {"warning", "error"}
        for location in result["locations"]:
            check_location(location)
        for fix in result.get("fixes", []):
            check("fix", fix)
            assert fix["artifactChanges"]
            for change in fix["artifactChanges"]:
                check("change", change)
                check("artifact", change["artifactLocation"])
                assert change["replacements"]
                for replacement in change["replacements"]:
                    check("replacement", replacement)
                    check_region(replacement["deletedRegion"])


def test_sarif_structure() -> None:
    report = sample_report()
    log = json.loads(render(report, "sarif"))
    check_sarif(log)
    check_sarif(json.loads(render(CheckReport(), "sarif")))
    run = log["runs"][0]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == [
        "tracking_params",
        "redirect_wrapper",
        "invalid_url",
    ]
    assert [(r["ruleId"], r["level"]) for r in run["results"]] == [
        ("tracking_params", "warning"),
        ("redirect_wrapper", "warning"),
        ("invalid_url", "error"),
    ]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert [(n["level"], n["message"]["text"]) for n in notes] == [
        ("error", "cannot decode as UTF-8 (byte 0xff at offset 12)"),
        ("note", "1 file skipped: slides.pdf"),
    ]
    assert notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken%3Afile.md"


def test_sarif_rule_ids_are_stable_and_ordered_by_reason() -> None:
    log = json.loads(render(report_of(invalid(), tracking()), "sarif"))
    run = log["runs"][0]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == ["tracking_params", "invalid_url"]
    assert [(r["ruleId"], r["ruleIndex"]) for r in run["results"]] == [("invalid_url", 1), ("tracking_params", 0)]
    assert json.loads(render(report_of(ok()), "sarif"))["runs"][0]["invocations"] == [{"executionSuccessful": True}]


def test_sarif_region_and_uri() -> None:
    log = json.loads(render(sample_report(), "sarif"))
    first = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert first["artifactLocation"]["uri"] == "docs/notes%2C%20draft%3A%20100%25%20%C3%BC.md"
    url = "https://example.com/a?id=7&utm_source=news"
    assert first["region"] == {"startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 5 + len(url)}
    # A raw spelling across lines ends on a later line.
    result = make_result(
        "a.md", "https://x.example/a", Verdict.INVALID, Reason.INVALID_URL, raw="https://x.\nexample/a"
    )
    region = json.loads(render(report_of(result), "sarif"))["runs"][0]["results"][0]["locations"][0]
    assert region["physicalLocation"]["region"] == {"startLine": 1, "startColumn": 1, "endLine": 2, "endColumn": 10}


def test_artifact_uri() -> None:
    assert artifact_uri("a/b c.md") == "a/b%20c.md"
    assert artifact_uri("./x:y.md") == "x%3Ay.md"
    assert artifact_uri("/tmp/ü.md") == "file:///tmp/%C3%BC.md"


def apply_fix(text: str, replacement: dict[str, Any]) -> str:
    """What a SARIF viewer does with a replacement (code point columns, one-past-end)."""
    region = replacement["deletedRegion"]
    lines = text.split("\n")

    def offset(line: int, column: int) -> int:
        return sum(len(previous) + 1 for previous in lines[: line - 1]) + column - 1

    start = offset(region["startLine"], region["startColumn"])
    end = offset(region["endLine"], region["endColumn"])
    inserted: str = replacement["insertedContent"]["text"]
    return text[:start] + inserted + text[end:]


def test_sarif_fix_replaces_exactly_the_url() -> None:
    text = 'intro ü\n<p><a href="https://ex.example/?a=1&amp;utm_source=x">ü</a> see</p>\n'
    raw = "https://ex.example/?a=1&amp;utm_source=x"
    start = text.index(raw)
    result = make_result(
        "page.html",
        raw.replace("&amp;", "&"),
        Verdict.FIXABLE,
        Reason.TRACKING_PARAMS,
        cleaned="https://ex.example/?a=1&b=2",
        raw=raw,
        start=start,
        line=2,
        column=start - text.index("\n"),
        kind=LinkKind.ATTRIBUTE,
        syntax=Syntax.HTML_DOUBLE,
    )
    (fix,) = json.loads(render(report_of(result), "sarif"))["runs"][0]["results"][0]["fixes"]
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "page.html"}
    (replacement,) = change["replacements"]
    fixed = apply_fix(text, replacement)
    assert fixed == text[:start] + "https://ex.example/?a=1&amp;b=2" + text[start + len(raw) :]


def test_sarif_fix_is_what_fix_writes() -> None:
    result = make_result(
        "a.md",
        "https://x.example/?utm_source=1",
        Verdict.FIXABLE,
        Reason.TRACKING_PARAMS,
        cleaned="https://x.example/a b(c",
        syntax=Syntax.MARKDOWN_DESTINATION,
    )
    (entry,) = json.loads(render(report_of(result), "sarif"))["runs"][0]["results"]
    (change,) = entry["fixes"][0]["artifactChanges"]
    assert change["replacements"][0]["insertedContent"]["text"] == encode_url(result.link, result.cleaned)
    assert entry["level"] == "warning"


def test_sarif_no_fix_when_the_url_cannot_be_written_there() -> None:
    # A bare URL can only be rewritten as another http(s) URL.
    result = make_result(
        "a.txt", "https://x.example/?utm_source=1", Verdict.FIXABLE, Reason.TRACKING_PARAMS, cleaned="mailto:x"
    )
    (entry,) = json.loads(render(report_of(result), "sarif"))["runs"][0]["results"]
    assert "fixes" not in entry


# -- junit ------------------------------------------------------------------------------------


def test_junit_counts_and_cases() -> None:
    output = render(sample_report(), "junit")
    root = ET.fromstring(output.encode("utf-8"))
    assert root.tag == "testsuites"
    assert list(root.attrib) == ["name", "tests", "failures", "errors", "skipped", "time"]
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [ODD_PATH, "site/index.html", "broken:file.md", "empty.txt"]
    for suite in suites:
        cases = suite.findall("testcase")
        assert int(suite.get("tests", "")) == len(cases)
        assert int(suite.get("failures", "")) == sum(c.find("failure") is not None for c in cases)
        assert int(suite.get("errors", "")) == sum(c.find("error") is not None for c in cases)
        assert int(suite.get("skipped", "")) == sum(c.find("skipped") is not None for c in cases)
        assert all(c.get("classname") == suite.get("name") for c in cases)
    for key in ("tests", "failures", "errors", "skipped"):
        assert int(root.get(key, "")) == sum(int(s.get(key, "")) for s in suites)
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("8", "3", "1", "1")
    failures = suites[0].findall("testcase/failure")
    assert [f.get("type") for f in failures] == ["tracking_params", "redirect_wrapper", "invalid_url"]
    assert suites[0].findall("testcase")[0].get("name") == "3:5 https://example.com/a?id=7&utm_source=news"
    assert suites[2].find("testcase/error") is not None


def test_junit_replaces_characters_xml_cannot_hold() -> None:
    url = "https://x.example/\x00\x1b\ud800\ufffe<&\"'\n"
    root = ET.fromstring(render(report_of(invalid(url=url)), "junit").encode("utf-8"))
    name = root.find("testsuite/testcase")
    assert name is not None
    assert name.get("name") == "9:1 https://x.example/\\x00\\x1b\\ud800\\ufffe<&\"'\n"
    assert xml_safe("ok\t\n\r é 😀") == "ok\t\n\r é 😀"


def test_junit_empty_report() -> None:
    output = render(CheckReport(), "junit")
    assert output == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<testsuites name="citecheck" tests="0" failures="0" errors="0" skipped="0" time="0" />\n'
    )


class _Sink(io.StringIO):
    """Counts what is written and keeps none of it."""

    def __init__(self) -> None:
        self.written = 0

    def write(self, text: str) -> int:
        self.written += len(text)
        return len(text)


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_json_and_sarif_are_written_without_memory_per_link(fmt: str) -> None:
    """#14: 200,000 links cost 825 MB as one JSON document (1.1 GB as SARIF). Written link by
    link, the peak of new allocations while writing stays far below the document's size."""
    links = tuple(
        LinkResult(
            path="a.md",
            link=Link(
                url=f"https://example.com/{i}?utm_source=x",
                raw=f"https://example.com/{i}?utm_source=x",
                start=i,
                end=i + 10,
                line=i + 1,
                column=1,
                kind=LinkKind.BARE,
                syntax=Syntax.PLAIN,
            ),
            verdict=Verdict.FIXABLE,
            reason=Reason.TRACKING_PARAMS,
            cleaned=f"https://example.com/{i}",
        )
        for i in range(4_000)
    )
    report = CheckReport(files=(FileResult(path="a.md", format="text", links=links),))
    sink = _Sink()
    tracemalloc.start()
    try:
        write(report, fmt, sink)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sink.written > 2_000_000  # the document itself is over 2 MB
    assert peak < 500_000, peak
    assert render(report, fmt) == _written(report, fmt)


def _written(report: CheckReport, fmt: str) -> str:
    buffer = io.StringIO()
    write(report, fmt, buffer)
    return buffer.getvalue()
