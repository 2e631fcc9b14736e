"""``citecheck audit``: the command-line adapter over :mod:`citecheck.pipeline.audit`.

Records are written as they are known (``jsonl`` and ``csv`` one line each, ``json`` one array
member each), so the output costs no memory per URL; the summary goes to stderr.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from ..core.errors import UsageError
from ..core.verdicts import FINDINGS
from .options import add_config_options, add_network_options, check_config, progress

if TYPE_CHECKING:
    from ..core.config import Config
    from ..pipeline import AsyncSession
    from ..pipeline.audit import AuditInput

__all__ = ["AUDIT_SCHEMA_VERSION", "add_audit_parser", "audit_command"]

#: Version of the ``--format json`` document (and of the record fields) of this command.
AUDIT_SCHEMA_VERSION = 1

_FORMATS = ("text", "json", "jsonl", "csv")
_KINDS = ("auto", "urls", "csv", "articles")

Subcommand = Callable[[Any, str, str, str], argparse.ArgumentParser]


def add_audit_parser(commands: Any, subcommand: Subcommand) -> None:
    """Register ``audit`` with the main parser (``subcommand`` makes a subcommand's parser)."""
    audit = subcommand(
        commands,
        "audit",
        "check every distinct URL of URL lists, CSV files or articles; one record per URL",
        (
            "Check every distinct URL cited by the sources, once each (cleaned first), and write every "
            "result to the result store. SOURCE is a file of URLs (one a line; '-' reads stdin), a CSV "
            "file with a 'url' column (the other columns are carried into the records), or article files "
            "and directories. Rerun against the same store, an audit reuses every fresh result (within "
            "max_age): an interrupted audit resumes where it stopped. Exit codes as for check."
        ),
    )
    audit.add_argument("sources", nargs="+", metavar="SOURCE", help="URL lists, CSV files, articles or directories")
    audit.add_argument(
        "--input",
        choices=_KINDS,
        default="auto",
        help="what the sources are (default auto: .csv is CSV, directories, Markdown and HTML are "
        "articles, anything else a URL list)",
    )
    audit.add_argument(
        "--format",
        dest="audit_format",
        choices=_FORMATS,
        default="text",
        help="text (findings only, default), or one record per URL: json, jsonl or csv",
    )
    audit.add_argument("--exit-zero", action="store_true", default=None, help="exit 0 even if findings remain")
    add_config_options(audit, "use this configuration file (default: found upward)")
    audit.add_argument("--exclude", action="append", metavar="GLOB", help="also skip paths matching GLOB (repeatable)")
    audit.add_argument("--ignore-url", action="append", metavar="REGEX", help="skip cited URLs matching REGEX")
    audit.add_argument("--fallback-encoding", metavar="NAME", help="decode non-UTF-8 articles with this encoding")
    audit.add_argument(
        "--access-date-column",
        metavar="NAME",
        help="the CSV column holding when each URL was read, for --archive (default: one named "
        "access_date, accessdate, accessed, retrieved...)",
    )
    network = audit.add_argument_group("network")
    add_network_options(network)
    network.add_argument(
        "--archive",
        action="store_true",
        default=None,
        help="also find each URL's web-archive snapshot, for the date it was read (snapshot_* fields)",
    )
    network.add_argument(
        "--drift",
        action="store_true",
        default=None,
        help="also compare each live page's main text with its snapshot's (drift fields; implies --archive; "
        "needs citecheck[drift])",
    )
    cluster = audit.add_argument_group("distributed (needs the extra: pip install 'citecheck[distributed]')")
    where = cluster.add_mutually_exclusive_group()
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the audit on the Dask cluster of this scheduler (tcp://HOST:PORT); every worker "
        "must reach the result store",
    )
    where.add_argument("--workers", metavar="N", help="run the audit on a local Dask cluster of N worker processes")
    # What check_config reads that audit does not offer: left to the configuration file.
    audit.set_defaults(
        format=None,
        offline=None,
        fix_redirects=None,
        archive_links=None,
        rules=[],
        clearurls=[],
        no_builtin_rules=False,
    )


class _Writer:
    """Writes records in one format as they come, and counts verdicts for the summary."""

    def __init__(self, out: TextIO, format: str, fields: list[str]) -> None:
        self.out = out
        self.format = format
        self.verdicts: Counter[str] = Counter()
        self.drift: Counter[str] = Counter()
        self.snapshots = 0
        self.fields = fields
        self._csv = csv.writer(out, lineterminator="\n") if format == "csv" else None
        self._first = True
        if self._csv is not None:
            self._csv.writerow(self.fields)
        elif format == "json":
            out.write(f'{{\n  "schema_version": {AUDIT_SCHEMA_VERSION},\n  "results": [')

    def __call__(self, record: dict[str, Any]) -> None:
        self.verdicts[record["verdict"]] += 1
        self.snapshots += record.get("snapshot_url") is not None
        if record.get("drift") is not None:
            self.drift[record["drift"]] += 1
        if self.format == "jsonl":
            self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
        elif self._csv is not None:
            self._csv.writerow(["" if record.get(f) is None else record.get(f) for f in self.fields])
        elif self.format == "json":
            self.out.write(("\n    " if self._first else ",\n    ") + json.dumps(record, ensure_ascii=False))
            self._first = False
        else:
            if record["verdict"] in _FINDING_WORDS:
                reason = f"  ({record['reason']})" if record["reason"] else ""
                self.out.write(f"{record['verdict']:<12} {record['url']}{reason}\n")
            if record.get("drift") == "changed":
                similarity = record.get("drift_similarity")
                shown = "" if similarity is None else f" (similarity {similarity:.2f})"
                self.out.write(f"{'drifted':<12} {record['url']}{shown}: compare with {record['snapshot_url']}\n")

    def close(self, summary: dict[str, Any]) -> None:
        if self.format == "json":
            self.out.write(("\n  " if not self._first else "") + "],\n")
            self.out.write(f'  "summary": {json.dumps(summary, ensure_ascii=False)}\n}}\n')
        self.out.flush()


_FINDING_WORDS = frozenset(v.value for v in FINDINGS)


def audit_command(args: argparse.Namespace, out: TextIO) -> int:
    if args.sources.count("-") > 1:
        raise UsageError("'-' (stdin) can be given once")
    config = check_config(args)
    cluster = _cluster_flags(args)
    show = progress(args)
    asked = _Asked(drift=bool(config.drift), archive=bool(config.lookup_snapshots) or bool(config.drift))
    try:
        return _audit(args, config, out, cluster, show, asked)
    except KeyboardInterrupt:
        if show is not None:
            sys.stderr.write("\r\033[K")
        if config.store != "":
            print(
                "citecheck: interrupted; the results received so far are in the store: run the same command "
                "again to resume",
                file=sys.stderr,
            )
        raise


def _audit(
    args: argparse.Namespace,
    config: Config,
    out: TextIO,
    cluster: tuple[str | None, int | None] | None,
    show: Callable[[int, int], None] | None,
    asked: _Asked,
) -> int:
    import asyncio

    from ..pipeline import AsyncSession
    from ..pipeline.audit import run_audit

    if cluster is not None:
        return _audit_on_cluster(args, config, out, cluster, show, asked)

    async def go() -> tuple[AuditInput, _Writer, tuple[str, ...], int]:
        async with AsyncSession(config) as session:
            found = _read(session, args)
            writer = _Writer(out, args.audit_format, _fields(found, asked))
            run = await run_audit(session, found, writer, progress=show, archive=asked.archive, drift=asked.drift)
            reused = sum(result.from_cache for result in run.online.values())
            return found, writer, session.notices, reused

    found, writer, notices, reused = asyncio.run(go())
    return _finish(found, writer, notices, reused, config, show, asked)


@dataclass(frozen=True, slots=True)
class _Asked:
    """What an audit adds to each record: the snapshot (``--archive``), the drift (``--drift``)."""

    archive: bool
    drift: bool


def _fields(found: AuditInput, asked: _Asked) -> list[str]:
    from ..pipeline.audit import record_fields

    return [*record_fields(archive=asked.archive, drift=asked.drift), *found.columns]


def _read(session: AsyncSession, args: argparse.Namespace) -> AuditInput:
    """The sources, judged offline; what could not be read is said on stderr."""
    from ..pipeline.audit import read_inputs

    found = read_inputs(
        session, args.sources, kind=args.input, stdin=sys.stdin, access_date_column=args.access_date_column
    )
    for error in found.errors:
        print(f"citecheck: error: {error}", file=sys.stderr)
    if found.bad_date_count:
        print(
            f"citecheck: {found.bad_date_count} access date(s) could not be read, so those URLs count as "
            f"read now: {'; '.join(found.bad_dates)}",
            file=sys.stderr,
        )
    return found


def _finish(
    found: AuditInput,
    writer: _Writer,
    notices: Sequence[str],
    reused: int,
    config: Config,
    show: Callable[[int, int], None] | None,
    asked: _Asked,
    *,
    failed: Sequence[str] = (),
) -> int:
    """The summary (stderr, and the end of a JSON document) and the exit code."""
    fail_on = {v.value for v in config.fail_verdicts}
    if show is not None:
        sys.stderr.write("\r\033[K")
    counts = dict(sorted(writer.verdicts.items()))
    summary: dict[str, Any] = {
        "urls": sum(counts.values()),
        "citations": found.citations,
        "reused": reused,
        "verdicts": counts,
    }
    if asked.archive:
        summary["snapshots"] = writer.snapshots
    if asked.drift:
        summary["drift"] = dict(sorted(writer.drift.items()))
    writer.close(summary)
    for notice in notices:
        print(f"citecheck: {notice}", file=sys.stderr)
    for failure in failed:
        print(f"citecheck: error: {failure}; its URLs are reported pending (rerun to resume)", file=sys.stderr)
    shown = ", ".join(f"{verdict} {count}" for verdict, count in counts.items()) or "nothing to check"
    if asked.archive:
        shown += f"; {writer.snapshots} with a snapshot"
    if asked.drift:
        shown += f"; drift: {', '.join(f'{v} {n}' for v, n in summary['drift'].items()) or 'none compared'}"
    print(
        f"citecheck: audited {summary['urls']} URLs ({found.citations} citations, {reused} fresh results "
        f"reused from the store): {shown}",
        file=sys.stderr,
    )
    if found.errors or failed:
        return 2
    if config.exit_zero:
        return 0
    failing = fail_on & _FINDING_WORDS
    return 1 if any(writer.verdicts[v] for v in failing) or writer.drift["changed"] else 0


_SCHEMES = ("tcp://", "tls://", "ws://", "wss://", "ucx://")


def _cluster_flags(args: argparse.Namespace) -> tuple[str | None, int | None] | None:
    """``(scheduler, workers)`` when the audit is to run on a cluster, checked; None for one process."""
    from ..pipeline.cluster import MAX_WORKERS

    scheduler, workers = args.scheduler, args.workers
    if scheduler is None and workers is None:
        return None
    if scheduler is not None:
        scheduler = scheduler.strip()
        host = scheduler.partition("://")[2]
        if not scheduler.startswith(_SCHEMES) or not host or host.startswith(":"):
            raise UsageError(f"--scheduler: expected an address like tcp://HOST:PORT, not {args.scheduler!r}")
        return scheduler, None
    try:
        count = int(workers)
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_WORKERS:
        raise UsageError(f"--workers: must be a whole number from 1 to {MAX_WORKERS}, not {workers!r}")
    return None, count


def _audit_on_cluster(
    args: argparse.Namespace,
    config: Config,
    out: TextIO,
    cluster: tuple[str | None, int | None],
    show: Callable[[int, int], None] | None,
    asked: _Asked,
) -> int:
    """``audit --scheduler`` / ``--workers``: read here, check on the cluster, read results back from the store."""
    import asyncio

    from ..pipeline import AsyncSession
    from ..pipeline.cluster import audit_on_cluster, connect, shards_at_once, shared_store

    scheduler, workers = cluster
    if asked.drift:  # said here, once, rather than by every shard on the workers
        from ..drift.maintext import require_extractor

        require_extractor()
    config, notices = shared_store(config, local=workers is not None)
    for notice in notices:
        print(f"citecheck: {notice}", file=sys.stderr)

    async def read() -> AuditInput:
        async with AsyncSession(config) as session:
            return _read(session, args)

    found = asyncio.run(read())  # bad input stops the audit before any cluster is started
    writer = _Writer(out, args.audit_format, _fields(found, asked))
    with connect(scheduler=scheduler, workers=workers, threads=shards_at_once(config)) as (client, count):
        if not count:
            print(
                f"citecheck: no Dask worker is connected to {scheduler} yet: the shards wait for one", file=sys.stderr
            )
        audit = audit_on_cluster(
            client, config, found, writer, workers=count, progress=show, archive=asked.archive, drift=asked.drift
        )
    return _finish(found, writer, audit.notices, audit.reused, config, show, asked, failed=audit.failed)
