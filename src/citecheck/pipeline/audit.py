"""An audit: every distinct URL of some sources checked once, one record per URL as results arrive.

A source is a list of URLs (one a line), a CSV file with a ``url`` column, or article files and
directories. Each cited URL is cleaned and judged offline first (:class:`~citecheck.pipeline.judge.Judge`),
then the distinct cleaned URLs go through one :class:`~citecheck.pipeline.run.Run` of the session:
fresh stored results are reused (an interrupted audit resumes), the rest is checked with the
session's per-host limits and written to the store as it arrives.

A URL cited several times is checked once; its record carries where it was *first* seen (the
source, the line, and a CSV row's other columns).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from ..core.defaults import ARTICLE_SUFFIXES
from ..core.errors import CitecheckError, InputError
from ..core.evidence import OnlineResult
from ..core.links import Link, LinkKind
from ..core.results import FileResult, LinkResult
from ..core.verdicts import Reason, Verdict
from ..extract import extract_links, format_for_path
from ..fix.documents import Document, iter_article_paths, read_document
from .run import Run, Source
from .session import AsyncSession

__all__ = ["KINDS", "RESULT_FIELDS", "AuditInput", "Cited", "input_kind", "read_inputs", "run_audit"]

#: What a source can be; ``auto`` decides by the name (see :func:`input_kind`).
KINDS = ("auto", "urls", "csv", "articles")
#: The fields of every record, in order; a CSV source's other columns follow.
RESULT_FIELDS = ("url", "verdict", "reason", "http_status", "final_url", "checked_at", "cited", "source", "line")
#: A line of a URL list longer than this is not a URL (it is reported as invalid, shortened).
MAX_URL_CHARS = 65_536
_SHOWN_CHARS = 200

#: Names taken for articles without ``--input``: plain text is far more often a URL list.
_ARTICLE_SUFFIXES = tuple(s for s in ARTICLE_SUFFIXES if s not in (".txt", ".text"))


@dataclass(slots=True)
class Cited:
    """Where a URL was first cited: the text as written, its source and line, a CSV row's other columns."""

    cited: str
    source: str
    line: int
    columns: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class AuditInput:
    """What the sources cite: the distinct URLs to check, and what could not be checked at all."""

    #: The offline verdict of each distinct cleaned URL (first citation), keyed by the cleaned URL.
    links: dict[str, LinkResult] = field(default_factory=dict)
    first: dict[str, Cited] = field(default_factory=dict)
    #: Records of citations that are not http(s) URLs, or are excluded: nothing to check.
    unchecked: list[dict[str, Any]] = field(default_factory=list)
    #: A CSV source's other columns, in the order first seen (renamed where they clash with a field).
    columns: list[str] = field(default_factory=list)
    citations: int = 0
    #: Article files that could not be read (``path: why``); the others are audited.
    errors: list[str] = field(default_factory=list)


def input_kind(source: str) -> str:
    """``urls``, ``csv`` or ``articles`` for a source given without ``--input``.

    ``-`` and ``.txt`` (or any other) files are URL lists; ``.csv`` files are CSV; directories and
    Markdown or HTML files are articles.
    """
    if source == "-":
        return "urls"
    if Path(source).is_dir():
        return "articles"
    name = source.lower()
    if name.endswith(".csv"):
        return "csv"
    return "articles" if name.endswith(_ARTICLE_SUFFIXES) else "urls"


def record(url: str, cited: Cited, *, verdict: Verdict, reason: Reason | None = None) -> dict[str, Any]:
    """A record without network evidence (an invalid line, an excluded URL, a pending check)."""
    return {
        "url": url,
        "verdict": verdict.value,
        "reason": None if reason is None else reason.value,
        "http_status": None,
        "final_url": None,
        "checked_at": None,
        **_place(cited),
    }


def online_record(result: OnlineResult, cited: Cited) -> dict[str, Any]:
    """The record of a URL the network (or the store) answered for."""
    return {
        "url": result.url,
        "verdict": result.verdict.value,
        "reason": None if result.reason is None else result.reason.value,
        "http_status": result.http_status,
        "final_url": result.final_url,
        "checked_at": result.checked_at.isoformat(),
        **_place(cited),
    }


def _place(cited: Cited) -> dict[str, Any]:
    return {"cited": cited.cited, "source": cited.source, "line": cited.line, **cited.columns}


class _Reader:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.found = AuditInput()

    def add(self, url: str, cited: Cited, *, quiet_if_not_http: bool = False) -> None:
        """Judge one cited URL offline and keep it (first citation wins) or record why not."""
        found = self.found
        found.citations += 1
        if len(url) > MAX_URL_CHARS:
            cited.cited = url[:_SHOWN_CHARS] + "..."
            found.unchecked.append(record(cited.cited, cited, verdict=Verdict.INVALID, reason=Reason.INVALID_URL))
            return
        link = Link(url=url, raw=url, start=0, end=len(url), line=cited.line, column=1, kind=LinkKind.BARE)
        judged = self.session.judge.link(link, path=cited.source)
        if judged.verdict in (Verdict.OK, Verdict.FIXABLE):
            if judged.cleaned not in found.links:
                found.links[judged.cleaned] = judged
                found.first[judged.cleaned] = cited
            return
        if judged.reason is Reason.UNSUPPORTED_SCHEME:
            if quiet_if_not_http:  # mailto: and the like in an article: not a citation to audit
                found.citations -= 1
                return
            judged = LinkResult(
                path=cited.source, link=link, verdict=Verdict.INVALID, reason=Reason.INVALID_URL, cleaned=url
            )
        found.unchecked.append(record(url, cited, verdict=judged.verdict, reason=judged.reason))

    def url_list(self, name: str, stream: TextIO) -> None:
        for number, line in enumerate(stream, start=1):
            text = line.strip()
            if text and not text.startswith("#"):
                self.add(text, Cited(text, name, number))

    def csv_file(self, name: str, stream: TextIO) -> None:
        rows = csv.reader(stream)
        try:
            header = next(rows, None)
            if header is None:
                raise InputError(f"{name}: the CSV file is empty (it needs a header with a 'url' column)")
            names = [column.strip() for column in header]
            lowered = [column.lower() for column in names]
            if "url" not in lowered:
                shown = ", ".join(repr(n) for n in names) or "none"
                raise InputError(f"{name}: the CSV file has no 'url' column (its columns: {shown})")
            at = lowered.index("url")
            carried = [(i, _column_name(n)) for i, n in enumerate(names) if i != at and n]
            for _, column in carried:
                if column not in self.found.columns:
                    self.found.columns.append(column)
            for row in rows:
                text = row[at].strip() if at < len(row) else ""
                if not text:
                    continue
                columns = {column: row[i] if i < len(row) else "" for i, column in carried}
                self.add(text, Cited(text, name, rows.line_num, columns))
        except csv.Error as exc:
            raise InputError(f"{name}: line {rows.line_num}: not valid CSV: {exc}") from exc

    def articles(self, target: str) -> None:
        config = self.session.config
        for path in iter_article_paths([target], exclude=config.all_excludes, suffixes=config.extensions):
            try:
                document = read_document(path, fallback_encoding=config.fallback_encoding)
            except CitecheckError as exc:
                self.found.errors.append(str(exc))
                continue
            for link in extract_links(document.text, format_for_path(path)):
                self.add(link.url, Cited(link.url, path, link.line), quiet_if_not_http=True)


def _column_name(name: str) -> str:
    """A CSV column's name in a record: as is, unless a record field has it (then ``input_NAME``)."""
    return f"input_{name}" if name in RESULT_FIELDS else name


def read_inputs(session: AsyncSession, sources: list[str], *, kind: str = "auto", stdin: TextIO | None) -> AuditInput:
    """Read every source (``-``: ``stdin``) and judge what it cites; raise InputError on bad input."""
    reader = _Reader(session)
    for source in sources:
        what = input_kind(source) if kind == "auto" else kind
        if what == "articles":
            if not Path(source).exists():
                raise InputError(f"{source}: no such file or directory")
            reader.articles(source)
            continue
        if source == "-":
            if stdin is None:
                raise InputError("-: there is no standard input to read")
            _read(reader, what, "-", stdin)
            continue
        try:
            with open(source, encoding="utf-8-sig", errors="replace", newline="") as stream:
                _read(reader, what, source, stream)
        except OSError as exc:
            raise InputError(f"{source}: cannot be read: {exc.strerror or exc}") from exc
    return reader.found


def _read(reader: _Reader, kind: str, name: str, stream: TextIO) -> None:
    if kind == "csv":
        reader.csv_file(name, stream)
    else:
        reader.url_list(name, stream)


async def run_audit(
    session: AsyncSession,
    found: AuditInput,
    emit: Callable[[dict[str, Any]], None],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Run:
    """Check every distinct URL of ``found``, calling ``emit`` with each record as it is known.

    The records of what cannot be checked come first; then one per URL in the order answers
    arrive (stored fresh results first). Returns the finished run.
    """
    for unchecked in found.unchecked:
        emit(unchecked)
    emitted: set[str] = set()
    run: Run | None = None

    def arrived(result: OnlineResult) -> None:
        cited = found.first.get(result.url)
        if cited is not None and result.url not in emitted:
            emitted.add(result.url)
            emit(online_record(result, cited))
        if progress is not None and run is not None:
            progress(len(run.online), len(run.urls))

    files = [FileResult(path="<audit>", format="text", links=tuple(found.links.values()))]
    source = Source(Document(path="<audit>", text=""), "text", datetime.now(UTC))
    run = session.start_judged([source], files, archive=False, drift=False, on_result=arrived)
    await run.wait()
    for item in run.results()[0].links:  # offline, or a check that never answered
        if item.cleaned not in emitted:
            emitted.add(item.cleaned)
            cited = found.first[item.cleaned]
            if item.online is not None:
                emit(online_record(item.online, cited))
            else:
                emit(record(item.cleaned, cited, verdict=item.verdict, reason=item.reason))
    return run
