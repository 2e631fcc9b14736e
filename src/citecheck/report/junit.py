"""JUnit XML for CI systems that show test reports: a suite per file, a test case per link.

Built with ElementTree so quoting is right; characters XML 1.0 cannot carry at all (most
controls, lone surrogates) are spelled as ``\\xNN`` / ``\\uNNNN`` first, because an XML
parser rejects the whole file for one such character. ``time="0"`` is written because some
readers require the attribute; citecheck does not time links, and the output must not vary.
Run notices have no standard place at the ``testsuites`` level and are left out.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..core.results import CheckReport, FileResult, LinkResult, Verdict
from ._common import code

__all__ = ["render", "xml_safe"]

# Everything outside XML 1.0's Char production.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escape(match: re.Match[str]) -> str:
    point = ord(match.group(0))
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}"


def xml_safe(text: str) -> str:
    r"""``text`` with characters XML 1.0 forbids spelled as escapes.

    >>> xml_safe("a\x00b\ud800")
    'a\\x00b\\ud800'
    """
    return _NOT_XML.sub(_escape, text)


def _element(parent: ET.Element, tag: str, attributes: dict[str, str], text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag, {key: xml_safe(value) for key, value in attributes.items()})
    if text is not None:
        element.text = xml_safe(text)
    return element


def _counts(tests: int, failures: int, errors: int, skipped: int) -> dict[str, str]:
    return {"tests": str(tests), "failures": str(failures), "errors": str(errors), "skipped": str(skipped)}


def _testcase(suite: ET.Element, result: LinkResult) -> None:
    link = result.link
    case = _element(suite, "testcase", {"classname": result.path, "name": f"{link.line}:{link.column} {link.url}"})
    if result.is_finding:
        details = f"{result.path}:{link.line}:{link.column}: {link.url}"
        if result.cleaned != link.url:
            details += f"\n-> {result.cleaned}"
        _element(case, "failure", {"message": result.message, "type": code(result)}, details)
    elif result.verdict is Verdict.SKIPPED:
        _element(case, "skipped", {"message": result.message})
    elif result.fixed:
        _element(case, "system-out", {}, f"fixed: {link.url}\n-> {result.cleaned}")


def _testsuite(root: ET.Element, file: FileResult) -> tuple[int, int, int, int]:
    links = file.links
    failures = sum(r.is_finding for r in links)
    skipped = sum(r.verdict is Verdict.SKIPPED for r in links)
    errors = int(file.error is not None)
    tests = len(links) + errors
    suite = _element(root, "testsuite", {"name": file.path, **_counts(tests, failures, errors, skipped), "time": "0"})
    if file.error is not None:
        case = _element(suite, "testcase", {"classname": file.path, "name": "file"})
        _element(case, "error", {"message": file.error, "type": "file_error"}, file.error)
    for result in links:
        _testcase(suite, result)
    return tests, failures, errors, skipped


def render(report: CheckReport, *, verbose: bool = False) -> str:
    """The JUnit document: every link is a test case (a finding fails, a skipped link skips)."""
    root = ET.Element("testsuites", {"name": "citecheck"})
    totals = [0, 0, 0, 0]
    for file in report.files:
        for position, count in enumerate(_testsuite(root, file)):
            totals[position] += count
    # Totals go first in the attribute order, ahead of the suites that were counted.
    root.attrib = {"name": "citecheck", **_counts(*totals), "time": "0"}
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
