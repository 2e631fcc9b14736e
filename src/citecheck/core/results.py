"""What a check found, as values: one result per link, per file, and for the whole run.

These are the data every output format renders (``citecheck.report``) and the JSON schema
(``docs/output-formats.md``) documents. A failing link is data, never an exception.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .cleaning import RemovedParam, Unwrapped
from .drift import Drift
from .evidence import OnlineResult
from .links import Link
from .snapshot import Snapshot
from .verdicts import DEFAULT_FAIL_ON, DESCRIPTIONS, FINDINGS, Reason, Verdict

__all__ = ["SCHEMA_VERSION", "CheckReport", "FileResult", "LinkResult", "Reason", "Verdict"]

#: Version of the JSON document (``--format json``); bumped only on incompatible changes.
SCHEMA_VERSION = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkResult:
    """The verdict on one link of one file, with the evidence."""

    path: str
    link: Link
    verdict: Verdict
    reason: Reason | None = None
    #: The URL to cite instead (equal to ``link.url`` when there is nothing to change).
    cleaned: str
    removed: tuple[RemovedParam, ...] = ()
    wrappers: tuple[Unwrapped, ...] = ()
    #: True once ``--fix`` has written ``cleaned`` into the file.
    fixed: bool = False
    #: The network evidence (None when offline): a ``citecheck.check.OnlineResult``.
    online: OnlineResult | None = None
    #: The web-archive snapshot to cite (``check --archive``): a ``citecheck.archive.Snapshot``.
    snapshot: Snapshot | None = None
    #: The live page compared with the snapshot (``check --drift``): a ``citecheck.core.drift.Drift``.
    drift: Drift | None = None

    @property
    def drifted(self) -> bool:
        """Whether the cited page's main text has changed since its snapshot: a finding of its own.

        The link itself may be fine (it answers 200): drift never makes a link dead.
        """
        return self.drift is not None and self.drift.changed

    @property
    def checked_online(self) -> bool:
        """Whether the network vouched for this verdict: offline, an ``ok`` means "nothing to clean"."""
        return self.online is not None

    @property
    def is_finding(self) -> bool:
        """Whether this link needs attention (and was not fixed)."""
        return self.verdict in FINDINGS and not self.fixed

    @property
    def problem(self) -> str:
        """What is wrong, without the remedy: for formats that show the cleaned URL apart."""
        if self.reason is None:
            return "ok"
        if self.reason is Reason.TRACKING_PARAMS:
            names = ", ".join(dict.fromkeys(r.name for r in self.removed))
            return f"link carries tracking parameters ({names})"
        if self.reason is Reason.REDIRECT_WRAPPER and self.wrappers:
            return f"link is wrapped in a redirect ({self.wrappers[0].rule})"
        text = f"link {DESCRIPTIONS[self.reason]}"
        online = self.online
        if online is not None and self.reason in (Reason.PERMANENT_REDIRECT, Reason.TEMPORARY_REDIRECT):
            text += f" to {online.final_url}"
        elif online is not None and self.verdict is not Verdict.OK:
            extra = [part for part in (online.history, online.detail) if part]
            if extra:
                text += f" ({'; '.join(extra)})"
        return text

    @property
    def message(self) -> str:
        """One sentence for people: what is wrong and what to cite instead."""
        if self.verdict is Verdict.FIXABLE:
            return f"{self.problem}; {'fixed to' if self.fixed else 'cite'} {self.cleaned}"
        return self.problem

    def to_dict(self) -> dict[str, Any]:
        """The entry of ``links`` in the JSON document (schema version 2).

        The network evidence lives only under ``online`` (null when offline): version 1 also
        copied seven of its fields to the top level, two places to keep in step for nothing.
        """
        link = self.link
        return {
            "path": self.path,
            "line": link.line,
            "column": link.column,
            "start": link.start,
            "end": link.end,
            "url": link.url,
            "raw": link.raw,
            "kind": link.kind.value,
            "syntax": link.syntax.value,
            "text": link.text,
            "element": link.element,
            "verdict": self.verdict.value,
            "reason": None if self.reason is None else self.reason.value,
            "message": self.message,
            "cleaned": self.cleaned,
            "removed": [r.name for r in self.removed],
            "removed_detail": [r.to_dict() for r in self.removed],
            "unwrapped_from": self.wrappers[0].wrapper if self.wrappers else None,
            "fixed": self.fixed,
            "online": None if self.online is None else self.online.to_dict(),
            "snapshot": None if self.snapshot is None else self.snapshot.summary(),
            "drift": None if self.drift is None else self.drift.to_dict(),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class FileResult:
    """Every link of one file, or why the file could not be checked."""

    path: str
    format: str = "text"
    links: tuple[LinkResult, ...] = ()
    #: A message when the file could not be read or written (then ``links`` is empty).
    error: str | None = None
    #: True when ``--fix`` rewrote the file.
    rewritten: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "format": self.format, "error": self.error, "rewritten": self.rewritten}


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckReport:
    """The whole run: what every output format renders."""

    files: tuple[FileResult, ...] = ()
    offline: bool = True
    #: Verdicts that make the run exit 1.
    fail_on: frozenset[Verdict] = DEFAULT_FAIL_ON
    #: The run's notices for people (e.g. "2 files skipped"), not tied to one link.
    notices: tuple[str, ...] = field(default=())

    @property
    def links(self) -> tuple[LinkResult, ...]:
        return tuple(link for file in self.files for link in file.links)

    @property
    def errors(self) -> tuple[FileResult, ...]:
        return tuple(file for file in self.files if file.error is not None)

    def summary(self) -> dict[str, int]:
        links = self.links
        counts = {verdict.value: 0 for verdict in Verdict}
        for result in links:
            counts[result.verdict.value] += 1
        return {
            "files": len(self.files),
            "links": len(links),
            **counts,
            "findings": sum(r.is_finding for r in links),
            "fixed": sum(r.fixed for r in links),
            "drifted": sum(r.drifted for r in links),
            "errors": len(self.errors),
        }

    def exit_code(self, *, exit_zero: bool = False) -> int:
        """Like ruff: 2 if a file could not be handled, 1 if findings remain (drift included), else 0."""
        if self.errors:
            return 2
        if exit_zero:
            return 0
        return 1 if any((r.is_finding and r.verdict in self.fail_on) or r.drifted for r in self.links) else 0

    def to_dict(self) -> dict[str, Any]:
        """The ``--format json`` document."""
        return {key: list(value) if isinstance(value, Iterator) else value for key, value in self.document_items()}

    def document_items(self) -> list[tuple[str, Any]]:
        """The JSON document's members in order; the long lists as iterators, so a writer can
        stream them one entry at a time (``report.json_format``)."""
        return [
            ("schema_version", SCHEMA_VERSION),
            ("offline", self.offline),
            ("links", (result.to_dict() for file in self.files for result in file.links)),
            ("files", (file.to_dict() for file in self.files)),
            ("summary", self.summary()),
            ("notices", list(self.notices)),
        ]
