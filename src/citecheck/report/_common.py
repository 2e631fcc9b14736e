"""What every output format shares: which results are problems, how severe, and the wording.

Keyed by the *string* values of verdicts and reasons, so a new ``Verdict`` or ``Reason`` (the
network checks will add ``broken``, ``http_404`` and others) renders with sensible defaults
before anyone touches this table: an unknown verdict is a warning, an unknown reason gets a
title made from its id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from ..core.results import CheckReport, FileResult, LinkResult, Verdict

__all__ = [
    "Level",
    "Problem",
    "RuleInfo",
    "code",
    "escape_controls",
    "headline",
    "level",
    "plural",
    "problems",
    "rule_info",
    "short_message",
    "summary_lines",
]

Level = Literal["error", "warning", "note"]

#: Severity of a finding, by verdict. Verdicts not listed (yet) are warnings.
_LEVELS: dict[str, Level] = {
    "fixable": "warning",
    "invalid": "error",
    # Planned network verdicts, so they need no change here when they arrive.
    "redirected": "warning",
    "broken": "error",
    "blocked": "warning",
    "unreachable": "warning",
    "unverified": "warning",
}


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """What a reason means, for formats that describe their rules (SARIF, GitHub titles)."""

    title: str
    description: str


_RULES: dict[str, RuleInfo] = {
    "tracking_params": RuleInfo(
        "Tracking parameters",
        "The cited URL carries parameters that only track the reader (utm_source, fbclid, ...). "
        "Cite the URL without them; `citecheck check --fix` rewrites it.",
    ),
    "redirect_wrapper": RuleInfo(
        "Redirect wrapper",
        "The cited URL is a redirect wrapper (a search engine, mail or social network click "
        "tracker) around the real target. Cite the target; `citecheck check --fix` rewrites it.",
    ),
    "invalid_url": RuleInfo(
        "Invalid URL",
        "The cited http(s) URL cannot be parsed, so no reader can follow it. A person must correct it.",
    ),
    "unsupported_scheme": RuleInfo("Not an http(s) URL", "The link is not an http(s) URL and is not checked."),
    "excluded": RuleInfo("Excluded", "The link is excluded from checking by configuration."),
    "content_drift": RuleInfo(
        "Page changed since the snapshot",
        "The cited page's main text is no longer what its web-archive snapshot holds (content "
        "drift): the link works, but it may not say what was cited. Compare the two, and cite the "
        "snapshot (or another source) if the claim is gone.",
    ),
    "same_as_missing_page": RuleInfo(
        "Could not be verified",
        "The server answers the cited URL with the same page as a path that does not exist, and "
        'that page does not say "not found". Single-page apps do this for every path, real ones '
        "included, so the link may be fine: open it to see.",
    ),
}


def rule_info(reason: str) -> RuleInfo:
    """The title and description of a reason id, with a fallback for ids added later."""
    info = _RULES.get(reason)
    if info is None:
        title = reason.replace("_", " ").capitalize()
        info = RuleInfo(title, f"citecheck reported {title.lower()} for the cited URL.")
    return info


def level(result: LinkResult) -> Level:
    """How severe a finding is: errors need a person, warnings can usually be fixed."""
    return _LEVELS.get(result.verdict.value, "warning")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing to report: a finding on a link, or a file that could not be handled."""

    file: FileResult
    link: LinkResult | None = None


def problems(report: CheckReport) -> Iterator[Problem]:
    """Problems in report order: a file's error, or its findings (fixed links are not problems)."""
    for file in report.files:
        if file.error is not None:
            yield Problem(file)
        for result in file.links:
            if result.is_finding:
                yield Problem(file, result)


def code(result: LinkResult) -> str:
    """The stable id of a result: its reason, or its verdict when it has no reason."""
    return result.verdict.value if result.reason is None else result.reason.value


def headline(result: LinkResult) -> str:
    """The message without its remedy ("; cite URL"), for formats that show the URL apart."""
    return result.problem


def short_message(result: LinkResult) -> str:
    """One line for an annotation: the message, naming the URL when the message does not."""
    if result.verdict is Verdict.FIXABLE:
        return result.message
    return f"{result.message}: {result.link.url}"


def plural(count: int, noun: str) -> str:
    """``1 link``, ``2 links``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def summary_lines(report: CheckReport) -> list[str]:
    """The closing sentences every human-facing format ends with."""
    links = report.links
    found = [r for r in links if r.is_finding]
    fixed = [r for r in links if r.fixed]
    errors = report.errors
    skipped = sum(r.verdict is Verdict.SKIPPED for r in links)
    checked = len(links) - skipped
    lines: list[str] = []
    if fixed:
        fixed_files = len({r.path for r in fixed})
        lines.append(f"Fixed {plural(len(fixed), 'link')} in {plural(fixed_files, 'file')}.")
    counted = f"{plural(checked, 'link')} checked" + (f", {skipped} skipped" if skipped else "")
    if found or errors:
        total = len(found) + len(errors)
        files = len({r.path for r in found} | {f.path for f in errors})
        details = []
        fixable = sum(r.verdict is Verdict.FIXABLE for r in found)
        if fixable:
            details.append(f"{fixable} fixable with --fix")
        if errors:
            details.append(f"{plural(len(errors), 'file')} could not be checked")
        extra = f" ({', '.join(details)})" if details else ""
        lines.append(f"Found {plural(total, 'problem')} in {plural(files, 'file')}{extra}; {counted}.")
    elif not report.files:
        lines.append("No files checked.")
    elif not links:
        lines.append(f"No links found in {plural(len(report.files), 'file')}.")
    else:
        in_files = plural(len(report.files), "file")
        noun = "checked link" if skipped else "link"
        if checked == 0:
            sentence = f"No links checked in {in_files}"
        elif checked == 1:
            sentence = f"The 1 {noun} in {in_files} is clean"
        else:
            sentence = f"All {checked} {noun}s in {in_files} are clean"
        lines.append(sentence + (f"; {skipped} skipped." if skipped else "."))
    drifted = sum(r.drifted for r in links)
    if drifted:
        # Before the summary sentence, which stays the last line.
        pages = "cited page has" if drifted == 1 else "cited pages have"
        lines.insert(len(lines) - 1, f"{drifted} {pages} changed since the snapshot (content drift).")
    return lines


_CONTROL_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# C0 and C1 controls, DEL, bidirectional overrides and isolates (they can make a line read
# differently from what it is), line/paragraph separators and lone surrogates (unprintable).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape_one(match: re.Match[str]) -> str:
    char = match.group(0)
    escaped = _CONTROL_ESCAPES.get(char)
    if escaped is None:
        point = ord(char)
        escaped = f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}"
    return escaped


def escape_controls(text: str) -> str:
    r"""``text`` with characters that could garble a terminal or a log line spelled as escapes.

    >>> escape_controls("a\nb\x1b[31m")
    'a\\nb\\x1b[31m'
    """
    return _UNSAFE.sub(_escape_one, text)
