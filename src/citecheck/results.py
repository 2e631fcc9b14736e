"""What a check found, as values: one result per link, per file, and for the whole run.

These are the data every output format renders (``citecheck.report``) and the JSON schema
(``docs/output-formats.md``) documents. A failing link is data, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .clean import RemovedParam, Unwrapped
from .extract.model import Link

__all__ = ["SCHEMA_VERSION", "CheckReport", "FileResult", "LinkResult", "Reason", "Verdict"]

#: Version of the JSON document (``--format json``); bumped only on incompatible changes.
SCHEMA_VERSION = 1


class Verdict(StrEnum):
    """One word a person understands. Offline checks use the first four."""

    OK = "ok"  # nothing to report
    FIXABLE = "fixable"  # the cited URL should be replaced by a cleaner one (``--fix`` does it)
    INVALID = "invalid"  # an http(s) URL that cannot be parsed: a person must look
    SKIPPED = "skipped"  # not checked (another scheme, excluded by configuration, private address)
    REDIRECTED = "redirected"  # alive, but the server sends readers elsewhere
    BROKEN = "broken"  # dead, on strong evidence only (404, 410, NXDOMAIN, soft 404, loops)
    BLOCKED = "blocked"  # a bot wall, a login or a rate limit: the link may be fine, a person should look
    UNREACHABLE = "unreachable"  # timeouts, refused connections, TLS errors, 5xx after retries
    PENDING = "pending"  # the service's deadline came first: the check goes on in the background


class Reason(StrEnum):
    """The precise code behind a verdict; also the stable rule id in SARIF and JUnit."""

    TRACKING_PARAMS = "tracking_params"
    REDIRECT_WRAPPER = "redirect_wrapper"
    INVALID_URL = "invalid_url"
    UNSUPPORTED_SCHEME = "unsupported_scheme"
    EXCLUDED = "excluded"
    # Online checks.
    PERMANENT_REDIRECT = "permanent_redirect"
    TEMPORARY_REDIRECT = "temporary_redirect"
    HTTP_404 = "http_404"
    HTTP_410 = "http_410"
    SOFT_404 = "soft_404"
    DNS_NXDOMAIN = "dns_nxdomain"
    REDIRECT_LOOP = "redirect_loop"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    BOT_CHALLENGE = "bot_challenge"
    RATE_LIMITED = "rate_limited"
    HTTP_401 = "http_401"
    HTTP_403 = "http_403"
    HTTP_451 = "http_451"
    HTTP_999 = "http_999"
    HTTP_4XX = "http_4xx"
    HTTP_5XX = "http_5xx"
    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection_error"
    TLS_ERROR = "tls_error"
    DNS_ERROR = "dns_error"
    PROTOCOL_ERROR = "protocol_error"
    PRIVATE_ADDRESS = "private_address"
    OFFLINE = "offline"


#: Verdicts shown as problems: something a person (or ``--fix``) should act on.
FINDINGS = frozenset({Verdict.FIXABLE, Verdict.INVALID, Verdict.BROKEN, Verdict.BLOCKED, Verdict.UNREACHABLE})
#: Verdicts that make ``citecheck check`` exit 1 by default (``--fail-on`` changes it).
DEFAULT_FAIL_ON = frozenset({Verdict.FIXABLE, Verdict.INVALID, Verdict.BROKEN})

_DESCRIPTIONS = {
    Reason.TRACKING_PARAMS: "carries tracking parameters",
    Reason.REDIRECT_WRAPPER: "is wrapped in a redirect",
    Reason.INVALID_URL: "is not a valid URL",
    Reason.UNSUPPORTED_SCHEME: "is not an http(s) URL",
    Reason.EXCLUDED: "is excluded by configuration",
    Reason.PERMANENT_REDIRECT: "redirects permanently",
    Reason.TEMPORARY_REDIRECT: "redirects temporarily",
    Reason.HTTP_404: "is not found (HTTP 404)",
    Reason.HTTP_410: "is gone (HTTP 410)",
    Reason.SOFT_404: "leads to a 'page not found' page",
    Reason.DNS_NXDOMAIN: "names a domain that does not exist",
    Reason.REDIRECT_LOOP: "redirects in a loop",
    Reason.TOO_MANY_REDIRECTS: "redirects too many times",
    Reason.BOT_CHALLENGE: "is behind a bot challenge",
    Reason.RATE_LIMITED: "was rate limited (HTTP 429)",
    Reason.HTTP_401: "needs a login (HTTP 401)",
    Reason.HTTP_403: "is forbidden to us (HTTP 403)",
    Reason.HTTP_451: "is unavailable for legal reasons (HTTP 451)",
    Reason.HTTP_999: "refused an automated request (HTTP 999)",
    Reason.HTTP_4XX: "answered with a client error",
    Reason.HTTP_5XX: "answered with a server error after retries",
    Reason.TIMEOUT: "timed out",
    Reason.CONNECTION_ERROR: "refused or dropped the connection",
    Reason.TLS_ERROR: "failed the TLS handshake",
    Reason.DNS_ERROR: "could not be resolved (DNS)",
    Reason.PROTOCOL_ERROR: "answered with a malformed response",
    Reason.PRIVATE_ADDRESS: "points to a private or local address (not fetched)",
    Reason.OFFLINE: "could not be checked: the network looks down",
}


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
    #: The network evidence (None when offline): an ``citecheck.online.OnlineResult``.
    online: Any = None
    #: The web-archive snapshot to cite (``check --archive``): a ``citecheck.archive.Snapshot``.
    snapshot: Any = None

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
        text = f"link {_DESCRIPTIONS[self.reason]}"
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
        """The entry of ``links`` in the JSON document (schema version 1)."""
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
            **_online_fields(self.online),
            "snapshot": None
            if self.snapshot is None
            else {
                "archive": self.snapshot.archive,
                "url": self.snapshot.memento_url,
                "timestamp": self.snapshot.captured_at.isoformat(),
                "status": self.snapshot.status,
            },
        }


def _online_fields(online: Any) -> dict[str, Any]:
    """The network evidence in the JSON link entry (nulls when the run was offline)."""
    if online is None:
        return {
            "http_status": None,
            "final_url": None,
            "redirects": [],
            "canonical": None,
            "suggested": None,
            "checked_at": None,
            "from_cache": False,
            "online": None,
        }
    data = online.to_dict()
    return {
        "http_status": data["http_status"],
        "final_url": data["final_url"],
        "redirects": data["redirects"],
        "canonical": data["canonical"],
        "suggested": data["suggested"],
        "checked_at": data["checked_at"],
        "from_cache": data["from_cache"],
        "online": data,
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
            "errors": len(self.errors),
        }

    def exit_code(self, *, exit_zero: bool = False) -> int:
        """Like ruff: 2 if a file could not be handled, 1 if findings remain, else 0."""
        if self.errors:
            return 2
        if exit_zero:
            return 0
        return 1 if any(r.is_finding and r.verdict in self.fail_on for r in self.links) else 0

    def to_dict(self) -> dict[str, Any]:
        """The ``--format json`` document."""
        return {
            "schema_version": SCHEMA_VERSION,
            "offline": self.offline,
            "links": [r.to_dict() for r in self.links],
            "files": [f.to_dict() for f in self.files],
            "summary": self.summary(),
            "notices": list(self.notices),
        }
