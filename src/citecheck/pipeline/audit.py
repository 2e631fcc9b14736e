"""An audit: every distinct URL of some sources checked once, one record per URL as results arrive.

A source is a list of URLs (one a line), a CSV file with a ``url`` column, or article files and
directories. Each cited URL is cleaned and judged offline first (:class:`~citecheck.pipeline.judge.Judge`),
then the distinct cleaned URLs go through one :class:`~citecheck.pipeline.run.Run` of the session:
fresh stored results are reused (an interrupted audit resumes), the rest is checked with the
session's per-host limits and written to the store as it arrives.

A URL cited several times is checked once; its record carries where it was *first* seen (the
source, the line, and a CSV row's other columns).

With ``archive``, each URL's snapshot is chosen for the earliest date it was read: a CSV row's
access date column, an article's modification time, else now. With ``drift``, its live main
text is compared with that snapshot's. Those records are written once the snapshot (and the
comparison) is known, so they come after the network checks.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from ..core.defaults import ARTICLE_SUFFIXES
from ..core.drift import Drift
from ..core.errors import CitecheckError, InputError
from ..core.evidence import OnlineResult
from ..core.links import Link, LinkKind
from ..core.results import FileResult, LinkResult
from ..core.snapshot import Snapshot
from ..core.verdicts import Reason, Verdict
from ..extract import extract_links, format_for_path
from ..fix.documents import Document, iter_article_paths, modified_at, read_document
from .run import Run, Source
from .session import AsyncSession

__all__ = [
    "ACCESS_DATE_COLUMNS",
    "ARCHIVE_FIELDS",
    "DRIFT_FIELDS",
    "KINDS",
    "RESULT_FIELDS",
    "AuditInput",
    "Cited",
    "audit_documents",
    "input_kind",
    "parse_access_date",
    "read_inputs",
    "record_fields",
    "run_audit",
    "with_extras",
]

#: What a source can be; ``auto`` decides by the name (see :func:`input_kind`).
KINDS = ("auto", "urls", "csv", "articles")
#: The fields of every record, in order; a CSV source's other columns follow.
RESULT_FIELDS = ("url", "verdict", "reason", "http_status", "final_url", "checked_at", "cited", "source", "line")
#: Fields added with ``archive`` (the snapshot to cite) and with ``drift`` (the comparison with it).
ARCHIVE_FIELDS = ("snapshot_url", "snapshot_at", "snapshot_archive")
DRIFT_FIELDS = ("drift", "drift_similarity")
#: CSV columns taken for the access date without ``access_date_column`` (compared lower-cased,
#: ``-`` and spaces as ``_``): what citation templates and spreadsheets call it.
ACCESS_DATE_COLUMNS = ("access_date", "accessdate", "accessed", "accessed_at", "retrieved", "retrieved_at")
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
    #: When each distinct cleaned URL was first read (its earliest access date), where known.
    read_at: dict[str, datetime] = field(default_factory=dict)
    #: Access dates that could not be read (``source:line: value``; the URL is read "now").
    bad_dates: list[str] = field(default_factory=list)
    bad_date_count: int = 0


def parse_access_date(text: str) -> datetime | None:
    """An access date as written in a CSV cell, as an aware UTC time (None: not a date).

    ISO 8601 dates and times (a time without a zone is UTC) and the day-month-year and
    month-day-year spellings citation templates use (``7 December 2026``, ``December 7, 2026``).

    >>> parse_access_date("2019-01-01").isoformat()
    '2019-01-01T00:00:00+00:00'
    >>> parse_access_date("7 December 2026").date().isoformat()
    '2026-12-07'
    >>> parse_access_date("yesterday") is None
    True
    """
    value = text.strip()
    if not value or len(value) > 64:
        return None
    moment = _spelled_date(value)
    if moment is None:
        return None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (OverflowError, ValueError):  # a zone that pushes the year out of range
        return None


def _spelled_date(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        pass
    for spelling in ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(value, spelling)
        except ValueError:
            continue
    return None


def record_fields(*, archive: bool = False, drift: bool = False) -> tuple[str, ...]:
    """The fields of every record, in order, for an audit with or without snapshots and drift."""
    return (*RESULT_FIELDS, *(ARCHIVE_FIELDS if archive or drift else ()), *(DRIFT_FIELDS if drift else ()))


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
    line = record(result.url, cited, verdict=result.verdict, reason=result.reason)
    line.update(http_status=result.http_status, final_url=result.final_url, checked_at=result.checked_at.isoformat())
    return line


def _place(cited: Cited) -> dict[str, Any]:
    return {"cited": cited.cited, "source": cited.source, "line": cited.line, **cited.columns}


class _Reader:
    def __init__(self, session: AsyncSession, *, access_date_column: str | None = None) -> None:
        self.session = session
        self.found = AuditInput()
        self.access_date_column = access_date_column

    def add(self, url: str, cited: Cited, *, quiet_if_not_http: bool = False, read_at: datetime | None = None) -> None:
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
            if read_at is not None:  # the earliest reading is the one to preserve
                earliest = found.read_at.get(judged.cleaned)
                found.read_at[judged.cleaned] = read_at if earliest is None else min(earliest, read_at)
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
            dated = self._date_column(name, names)
            carried = [(i, _column_name(n)) for i, n in enumerate(names) if i != at and n]
            for _, column in carried:
                if column not in self.found.columns:
                    self.found.columns.append(column)
            for row in rows:
                text = row[at].strip() if at < len(row) else ""
                if not text:
                    continue
                columns = {column: row[i] if i < len(row) else "" for i, column in carried}
                read_at = None
                if dated is not None and dated < len(row) and row[dated].strip():
                    read_at = parse_access_date(row[dated])
                    if read_at is None:
                        self._bad_date(f"{name}:{rows.line_num}: {row[dated].strip()[:_SHOWN_CHARS]!r}")
                self.add(text, Cited(text, name, rows.line_num, columns), read_at=read_at)
        except csv.Error as exc:
            raise InputError(f"{name}: line {rows.line_num}: not valid CSV: {exc}") from exc

    def _date_column(self, name: str, names: list[str]) -> int | None:
        """The index of the access date column: the one asked for (it must exist), else a usual name."""
        normal = [n.lower().replace("-", "_").replace(" ", "_") for n in names]
        if self.access_date_column is not None:
            wanted = self.access_date_column.lower().replace("-", "_").replace(" ", "_")
            if wanted not in normal:
                shown = ", ".join(repr(n) for n in names)
                raise InputError(
                    f"{name}: the CSV file has no {self.access_date_column!r} column (its columns: {shown})"
                )
            return normal.index(wanted)
        return next((i for i, n in enumerate(normal) if n in ACCESS_DATE_COLUMNS), None)

    def _bad_date(self, where: str) -> None:
        self.found.bad_date_count += 1
        if len(self.found.bad_dates) < 5:
            self.found.bad_dates.append(where)

    def articles(self, target: str) -> None:
        config = self.session.config
        for path in iter_article_paths([target], exclude=config.all_excludes, suffixes=config.extensions):
            try:
                document = read_document(path, fallback_encoding=config.fallback_encoding)
            except CitecheckError as exc:
                self.found.errors.append(str(exc))
                continue
            read_at = modified_at(path)
            for link in extract_links(document.text, format_for_path(path)):
                self.add(link.url, Cited(link.url, path, link.line), quiet_if_not_http=True, read_at=read_at)


_ALL_FIELDS = frozenset((*RESULT_FIELDS, *ARCHIVE_FIELDS, *DRIFT_FIELDS))


def _column_name(name: str) -> str:
    """A CSV column's name in a record: as is, unless a record field has it (then ``input_NAME``)."""
    return f"input_{name}" if name in _ALL_FIELDS else name


def read_inputs(
    session: AsyncSession,
    sources: list[str],
    *,
    kind: str = "auto",
    stdin: TextIO | None,
    access_date_column: str | None = None,
) -> AuditInput:
    """Read every source (``-``: ``stdin``) and judge what it cites; raise InputError on bad input.

    ``access_date_column`` names a CSV file's access date column (default: the first with a name
    in :data:`ACCESS_DATE_COLUMNS`).
    """
    reader = _Reader(session, access_date_column=access_date_column)
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
    archive: bool = False,
    drift: bool = False,
) -> Run:
    """Check every distinct URL of ``found``, calling ``emit`` with each record as it is known.

    The records of what cannot be checked come first; then one per URL in the order answers
    arrive (stored fresh results first). With ``archive`` or ``drift`` a record waits for its
    snapshot (and comparison), so those come once the run is over. Returns the finished run.
    """
    for unchecked in found.unchecked:
        emit(unchecked)
    emitted: set[str] = set()
    run: Run | None = None
    later = archive or drift

    def arrived(result: OnlineResult) -> None:
        cited = found.first.get(result.url)
        if not later and cited is not None and result.url not in emitted:
            emitted.add(result.url)
            emit(online_record(result, cited))
        if progress is not None and run is not None:
            progress(len(run.online), len(run.urls))

    sources, files = audit_documents(found.links, found.read_at if later else None)
    run = session.start_judged(sources, files, archive=archive, drift=drift, on_result=arrived)
    await run.wait()
    for result in run.results():  # offline, a check that never answered, or waiting for a snapshot
        for item in result.links:
            if item.cleaned in emitted:
                continue
            emitted.add(item.cleaned)
            cited = found.first[item.cleaned]
            if item.online is not None:
                line = online_record(item.online, cited)
            else:
                line = record(item.cleaned, cited, verdict=item.verdict, reason=item.reason)
            emit(with_extras(line, item.snapshot, item.drift, archive=archive, drift=drift))
    return run


def audit_documents(
    links: Mapping[str, LinkResult], read_at: Mapping[str, datetime] | None, *, path: str = "<audit>"
) -> tuple[list[Source], list[FileResult]]:
    """The documents a run of ``links`` (by cleaned URL) reads: one, read now, or, with
    ``read_at``, one per access date, so each URL's snapshot is chosen for when it was read."""
    now = datetime.now(UTC)
    groups: dict[datetime, list[LinkResult]] = defaultdict(list)
    for cleaned, judged in links.items():
        groups[now if read_at is None else read_at.get(cleaned, now)].append(judged)
    sources, files = [], []
    for moment, grouped in groups.items():
        sources.append(Source(Document(path=path, text=""), "text", moment))
        files.append(FileResult(path=path, format="text", links=tuple(grouped)))
    return sources, files


def with_extras(
    line: dict[str, Any], snapshot: Snapshot | None, compared: Drift | None, *, archive: bool, drift: bool
) -> dict[str, Any]:
    """A record with the snapshot and drift fields its audit asked for (None where unknown)."""
    if not (archive or drift):
        return line
    extras: dict[str, Any] = {
        "snapshot_url": None if snapshot is None else snapshot.memento_url,
        "snapshot_at": None if snapshot is None else snapshot.captured_at.isoformat(),
        "snapshot_archive": None if snapshot is None else snapshot.archive,
    }
    if drift:
        extras["drift"] = None if compared is None else compared.verdict.value
        similarity = None if compared is None else compared.similarity
        extras["drift_similarity"] = None if similarity is None else round(similarity, 4)
    # The extras go before a CSV row's carried columns, as record_fields() orders them.
    place = {key: line.pop(key) for key in list(line) if key not in RESULT_FIELDS}
    return {**line, **extras, **place}
