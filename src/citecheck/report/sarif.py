"""SARIF 2.1.0 for code-scanning tools (GitHub code scanning, IDE viewers).

Only what the schema needs plus what viewers use: one run, a rule per reason that occurs (the
rule id is the stable ``Reason`` value), one result per finding with its region, a fix for
fixable links (spelled by the same ``encode_url`` that ``--fix`` uses), a ``content_drift``
warning per cited page that changed since its snapshot (``--drift``; the snapshot is the related
location), and file errors and run notices as tool execution notifications. Columns count code
points, as citecheck's do, so the run says ``columnKind: unicodeCodePoints`` (the SARIF
default would be UTF-16 code units).
"""

from __future__ import annotations

import io
import itertools
from pathlib import PurePath
from typing import Any, TextIO
from urllib.parse import quote

from .._version import __version__
from ..core.links import Link
from ..core.results import CheckReport, LinkResult, Reason, Verdict
from ..extract import encode_url
from ._common import code, level, rule_info, short_message
from .jsonstream import Lazy, Nested, write_json

__all__ = ["DRIFT_RULE", "SARIF_SCHEMA", "artifact_uri", "render", "write"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/citecheck/"

_REASON_ORDER = {reason.value: index for index, reason in enumerate(Reason)}
#: The rule of a drifted page: not a ``Reason`` (the link itself may be fine), listed after them.
DRIFT_RULE = "content_drift"


def artifact_uri(path: str) -> str:
    """A path as a SARIF URI: relative paths stay relative (forward slashes, percent-encoded)."""
    pure = PurePath(path)
    if pure.is_absolute():
        return pure.as_uri()
    return quote(pure.as_posix(), safe="/", errors="surrogateescape")


def _region(link: Link) -> dict[str, int]:
    """Where ``raw`` is written: columns are 1-based, ``endColumn`` is one past the end."""
    newlines = link.raw.count("\n")
    end_column = len(link.raw) - link.raw.rfind("\n") if newlines else link.column + len(link.raw)
    return {
        "startLine": link.line,
        "startColumn": link.column,
        "endLine": link.line + newlines,
        "endColumn": end_column,
    }


def _location(uri: str, region: dict[str, int] | None = None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
    if region is not None:
        physical["region"] = region
    return {"physicalLocation": physical}


def _result(result: LinkResult, rule_index: int) -> dict[str, Any]:
    uri = artifact_uri(result.path)
    region = _region(result.link)
    entry: dict[str, Any] = {
        "ruleId": code(result),
        "ruleIndex": rule_index,
        "level": level(result),
        "message": {"text": short_message(result)},
        "locations": [_location(uri, region)],
    }
    spelled = _spelling(result) if result.verdict is Verdict.FIXABLE else None
    if spelled is not None and spelled != result.link.raw:
        replacement = {"deletedRegion": region, "insertedContent": {"text": spelled}}
        change = {"artifactLocation": {"uri": uri}, "replacements": [replacement]}
        entry["fixes"] = [{"description": {"text": f"Cite {result.cleaned}"}, "artifactChanges": [change]}]
    return entry


def _drift_result(result: LinkResult, rule_index: int) -> dict[str, Any]:
    """A page changed since its snapshot: a warning at the link, the snapshot as related location."""
    drift = result.drift
    assert drift is not None
    similarity = "" if drift.similarity is None else f" (similarity {drift.similarity:.2f})"
    entry: dict[str, Any] = {
        "ruleId": DRIFT_RULE,
        "ruleIndex": rule_index,
        "level": "warning",
        "message": {"text": f"page changed since the snapshot{similarity}: {result.link.url}"},
        "locations": [_location(artifact_uri(result.path), _region(result.link))],
    }
    if drift.snapshot:
        entry["message"]["text"] += f"; compare with {drift.snapshot}"
        entry["relatedLocations"] = [
            {
                "id": 1,
                "physicalLocation": {"artifactLocation": {"uri": drift.snapshot}},
                "message": {"text": "snapshot"},
            }
        ]
    return entry


def _spelling(result: LinkResult) -> str | None:
    """Exactly what ``--fix`` would write, so a viewer applying the fix gets the same file."""
    try:
        return encode_url(result.link, result.cleaned)
    except ValueError:
        return None


def _rule(rule_id: str, default_level: str) -> dict[str, Any]:
    info = rule_info(rule_id)
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.split("_")),
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": info.description},
        "help": {"text": info.description},
        "defaultConfiguration": {"level": default_level},
    }


def render(report: CheckReport, *, verbose: bool = False) -> str:
    """:func:`write` into a string."""
    buffer = io.StringIO()
    write(report, buffer, verbose=verbose)
    return buffer.getvalue()


def write(report: CheckReport, out: TextIO, *, verbose: bool = False) -> None:
    """The SARIF log as indented JSON, one result at a time (memory does not grow with the
    number of findings). Fixed, ok and skipped links are not results."""
    findings = [r for r in report.links if r.is_finding]
    drifted = [r for r in report.links if r.drifted]
    levels: dict[str, str] = {}
    for result in findings:
        levels.setdefault(code(result), level(result))
    if drifted:
        levels[DRIFT_RULE] = "warning"
    rule_ids = sorted(levels, key=lambda rule_id: (_REASON_ORDER.get(rule_id, len(_REASON_ORDER)), rule_id))
    index = {rule_id: position for position, rule_id in enumerate(rule_ids)}

    notifications: list[dict[str, Any]] = [
        {"level": "error", "message": {"text": file.error}, "locations": [_location(artifact_uri(file.path))]}
        for file in report.errors
        if file.error is not None
    ]
    notifications += [{"level": "note", "message": {"text": notice}} for notice in report.notices]
    invocation: dict[str, Any] = {"executionSuccessful": not report.errors}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications

    run = Nested(
        {
            "tool": {
                "driver": {
                    "name": "citecheck",
                    "version": __version__,
                    "informationUri": INFORMATION_URI,
                    "rules": [_rule(rule_id, levels[rule_id]) for rule_id in rule_ids],
                }
            },
            "columnKind": "unicodeCodePoints",
            "invocations": [invocation],
            "results": Lazy(
                itertools.chain(
                    (_result(result, index[code(result)]) for result in findings),
                    (_drift_result(result, index[DRIFT_RULE]) for result in drifted),
                )
            ),
        }
    )
    write_json(out, Nested({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}))
