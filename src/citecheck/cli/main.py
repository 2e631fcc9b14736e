"""The ``citecheck`` command: a thin adapter that parses arguments, calls the API, prints.

It imports only what the chosen subcommand needs, so ``citecheck clean`` in a pre-commit hook
starts in tens of milliseconds and never loads the network stack.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .._version import __version__
from ..core import defaults as d
from ..core.errors import CitecheckError, ConfigError, InputError, UsageError
from .options import about, add_config_options, add_network_options, add_store_options, check_config, number, progress

if TYPE_CHECKING:
    from ..clean.cleaner import Cleaner, CleanResult
    from ..core.config import Config
    from ..fix.documents import Document

__all__ = ["main"]

#: JSON output of ``clean`` is versioned so programs can rely on it.
CLEAN_SCHEMA_VERSION = 1
#: A stdin line longer than this is not a URL: it is passed through untouched, in pieces.
MAX_LINE_BYTES = 1 << 20

_DESCRIPTION = """\
citecheck keeps citations honest: it cleans tracking parameters and redirect
wrappers out of cited URLs, checks where they lead and whether they are alive,
and finds web-archive snapshots to cite.

examples:
  citecheck check article.md                 # every link: cleaning + network checks
  citecheck check --offline --fix content/   # rewrite dirty links, nothing else
  citecheck check --format github content/   # annotations in CI (also json, sarif, junit)
  citecheck clean 'https://example.com/a?utm_source=x&id=7'
  citecheck archive https://example.org/report
  citecheck audit --format csv citations.csv # every distinct URL of a list, once
  citecheck serve                            # the service CMSes call (needs CITECHECK_TOKEN)
"""


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="citecheck",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"citecheck {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    clean = _subcommand(
        commands,
        "clean",
        "remove tracking parameters and unwrap redirect wrappers (offline)",
        (
            "Print the cleaned form of each URL: tracking parameters removed, redirect wrappers "
            "opened, everything else kept exactly as written. Reads one URL per line from stdin "
            "when no URL is given or URL is '-'. Strings that are not http(s) URLs are printed unchanged."
        ),
    )
    clean.add_argument("urls", nargs="*", metavar="URL", help="URLs to clean ('-' or none: read stdin)")
    clean.add_argument(
        "--file",
        dest="files",
        action="append",
        default=[],
        metavar="PATH",
        help="clean every link found in this article file and report its position (repeatable)",
    )
    clean.add_argument("--explain", action="store_true", help="show what was removed and by which rule")
    clean.add_argument(
        "--format",
        choices=("text", "json", "jsonl"),
        default="text",
        help="text (default), json (one document), or jsonl (one object per URL, streamed)",
    )
    clean.add_argument("--only-changed", action="store_true", help="with --file: list only links that change")
    clean.add_argument("--fallback-encoding", metavar="NAME", help="with --file: decode non-UTF-8 files with this")
    _add_rule_options(clean)

    check = _subcommand(
        commands,
        "check",
        "report what is wrong with the links in article files; --fix rewrites them",
        (
            "Find every cited link in article files (Markdown, HTML, plain text; directories are "
            "walked) and report, per link, what should change. Offline, links are judged by "
            "cleaning: tracking parameters and redirect wrappers are findings that --fix rewrites, "
            "changing nothing in the file but the URLs. Exit codes: 0 nothing to report (or all "
            "fixed), 1 findings remain, 2 usage, configuration or input error."
        ),
    )
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or directories; '-' reads stdin (default: .)")
    check.add_argument("--offline", action="store_true", default=None, help="clean only: no network requests")
    check.add_argument("--fix", action="store_true", help="rewrite fixable links in place (atomically)")
    check.add_argument(
        "--diff", action="store_true", help="print a unified diff of what --fix would change; write nothing"
    )
    check.add_argument("--format", choices=d.OUTPUT_FORMATS, help=f"output format (default {d.FORMAT.default})")
    check.add_argument("--exit-zero", action="store_true", default=None, help="exit 0 even if findings remain")
    check.add_argument("--verbose", "-v", action="store_true", help="also list links that are fine or skipped")
    add_config_options(check, "use this configuration file (default: found upward)")
    check.add_argument("--stdin-filename", metavar="NAME", help="with '-': the name that decides the format")
    check.add_argument("--exclude", action="append", metavar="GLOB", help="also skip paths matching GLOB (repeatable)")
    check.add_argument("--ignore-url", action="append", metavar="REGEX", help="skip cited URLs matching REGEX")
    check.add_argument("--fallback-encoding", metavar="NAME", help="decode non-UTF-8 files with this encoding")
    _add_rule_options(check)
    network = check.add_argument_group("network (ignored with --offline)")
    add_network_options(network)
    network.add_argument(
        "--fix-redirects", action="store_true", default=None, help="--fix also follows permanent redirects"
    )
    network.add_argument(
        "--archive", action="store_true", default=None, help="also find each link's web-archive snapshot"
    )
    network.add_argument(
        "--archive-links", action="store_true", default=None, help="--fix also adds an archive link to each link"
    )
    network.add_argument(
        "--drift",
        action="store_true",
        default=None,
        help="also compare each live page's main text with its snapshot's (implies --archive; needs citecheck[drift])",
    )

    archive = _subcommand(
        commands,
        "archive",
        "find (and with --save, request) web-archive snapshots of URLs or of the links in files",
        (
            "For each URL, or each link in the given files, find the snapshot to cite: the latest good "
            "capture at or before the access date (a file's modification time, --access-date, or now), "
            "else the earliest after it, from the Internet Archive and the Memento archives configured in "
            "the [archive] table. The archives' lists of captures are remembered in the result store."
        ),
    )
    archive.add_argument("targets", nargs="+", metavar="URL|PATH", help="URLs, article files or directories")
    archive.add_argument(
        "--save",
        action="store_true",
        help="also request a capture where none exists within archive.if_not_archived_within (default 30 days) "
        "of the access date (Save Page Now; needs keys)",
    )
    archive.add_argument(
        "--verify", action="store_true", help="fetch each found snapshot's raw capture and record its digest"
    )
    archive.add_argument("--access-date", metavar="YYYY-MM-DD", help="when the citations were read (UTC)")
    archive.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    add_store_options(archive)
    add_config_options(archive)

    from .audit import add_audit_parser

    add_audit_parser(commands, _subcommand)

    serve = _subcommand(
        commands,
        "serve",
        "run the HTTP service CMSes call before publishing (pip install 'citecheck[server]')",
        (
            "Serve POST /v1/clean, POST /v1/check, GET /v1/jobs/{id}, GET /healthz and GET /openapi.json. "
            "Every /v1 route needs 'Authorization: Bearer $CITECHECK_TOKEN'. Settings come from the same "
            "configuration file as the CLI (network keys, allow_networks, store) and its [serve] table."
        ),
    )
    serve.add_argument(
        "--host", default=d.SERVE_HOST.default, help=f"address to listen on (default {d.SERVE_HOST.default})"
    )
    serve.add_argument("--port", metavar="PORT", help=about(d.SERVE_PORT, "port"))
    add_config_options(serve)
    serve.add_argument("--no-auth", action="store_true", help="serve without a token (local development only)")
    serve.add_argument("--store", metavar="PATH", help="result store (default: the configuration's, else the cache)")
    return parser


def _subcommand(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, summary: str, description: str
) -> argparse.ArgumentParser:
    """A subcommand's parser, remembered in its namespace so a later usage error shows its usage."""
    parser = commands.add_parser(name, help=summary, description=description)
    parser.set_defaults(command_parser=parser)
    return parser


def _add_rule_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("rules")
    group.add_argument(
        "--rules", action="append", default=[], metavar="FILE", help="extra rules file in citecheck's format"
    )
    group.add_argument(
        "--clearurls", action="append", default=[], metavar="FILE", help="extra rules in ClearURLs format"
    )
    group.add_argument("--no-builtin-rules", action="store_true", help="use only the rules files given")


def _cleaner(args: argparse.Namespace) -> Cleaner:
    import warnings

    from ..clean.cleaner import Cleaner
    from ..clean.load import load_rule_set

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rules = load_rule_set(builtin=not args.no_builtin_rules, rules=args.rules, clearurls=args.clearurls)
    for warning in caught:
        print(f"citecheck: warning: {warning.message}", file=sys.stderr)
    return Cleaner(rules)


def _read_lines(stream: Any) -> Iterator[tuple[str, str, bool]]:
    """Yield (content, line ending, is_whole_line) from a binary stream in bounded pieces.

    A line longer than MAX_LINE_BYTES comes out in several pieces marked as not whole: the
    caller passes those through untouched, so nothing is lost and memory stays bounded.
    """
    continuing = False
    while True:
        chunk: bytes = stream.readline(MAX_LINE_BYTES)
        if not chunk:
            return
        text = chunk.decode("utf-8", errors="surrogateescape")
        complete = chunk.endswith(b"\n")
        if continuing or (not complete and len(chunk) >= MAX_LINE_BYTES):
            yield text, "", False
            continuing = not complete
            continue
        body = text.rstrip("\r\n")
        yield body, text[len(body) :] or "\n", True


def _describe(result: CleanResult) -> list[str]:
    lines: list[str] = []
    for wrapper in result.wrappers:
        lines.append(f"  unwrapped from {wrapper.wrapper} to {wrapper.target}  [{wrapper.rule}]")
    for removed in result.removed:
        shown = removed.name if removed.value is None else f"{removed.name}={removed.value}"
        where = "" if removed.location == "query" else f" ({removed.location})"
        lines.append(f"  removed {shown}{where}  [{removed.rule}]")
    if not result.is_http:
        lines.append("  not an http(s) URL: left unchanged")
    elif not result.changed:
        lines.append("  already clean")
    return lines


def _emit_results(
    results: Iterable[tuple[dict[str, Any], CleanResult]], args: argparse.Namespace, out: TextIO
) -> tuple[int, int]:
    """Print results in the chosen format; return (how many, how many changed)."""
    total = changed = 0
    collected: list[dict[str, Any]] = []
    for extra, result in results:
        total += 1
        changed += result.changed
        if args.format == "text":
            where = f"{extra['path']}:{extra['line']}:{extra['column']}: " if "path" in extra else ""
            if where and args.only_changed and not result.changed:
                continue
            if where:
                out.write(f"{where}{result.original}\n  -> {result.cleaned}\n")
            else:
                out.write(result.cleaned + extra.get("ending", "\n"))
            if args.explain:
                out.write("".join(line + "\n" for line in _describe(result)))
        else:
            record = {**{k: v for k, v in extra.items() if k != "ending"}, **result.to_dict()}
            if args.format == "jsonl":
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            elif not (args.only_changed and not result.changed):
                collected.append(record)
        if args.format == "jsonl":
            out.flush()
    if args.format == "json":
        doc = {"schema_version": CLEAN_SCHEMA_VERSION, "urls": collected, "summary": {"changed": changed}}
        out.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    return total, changed


def _from_arguments(cleaner: Cleaner, urls: Sequence[str]) -> Iterator[tuple[dict[str, Any], CleanResult]]:
    for url in urls:
        yield {}, cleaner.explain(url)


def _from_stdin(cleaner: Cleaner) -> Iterator[tuple[dict[str, Any], CleanResult]]:
    from ..clean.cleaner import CleanResult

    for body, ending, whole in _read_lines(sys.stdin.buffer):
        if whole:
            yield {"ending": ending}, cleaner.explain(body)
        else:
            yield {"ending": ending}, CleanResult(original=body, cleaned=body, is_http=False)


def _from_files(cleaner: Cleaner, documents: Sequence[Document]) -> Iterator[tuple[dict[str, Any], CleanResult]]:
    from ..extract import extract_links, format_for_path

    for document in documents:
        for link in extract_links(document.text, format_for_path(document.path)):
            yield {"path": document.path, "line": link.line, "column": link.column}, cleaner.explain(link.url)


def _clean_command(args: argparse.Namespace, out: TextIO) -> int:
    cleaner = _cleaner(args)
    urls = [u for u in args.urls if u != "-"]
    use_stdin = not args.files and (not args.urls or "-" in args.urls)
    if args.files:
        from ..fix.documents import read_document

        # Read every file before printing, so an unreadable one fails before partial output.
        documents = [read_document(path, fallback_encoding=args.fallback_encoding) for path in args.files]
        total, changed = _emit_results(_from_files(cleaner, documents), args, out)
        files = "file" if len(documents) == 1 else "files"
        print(f"citecheck: {total} links in {len(documents)} {files}, {changed} can be cleaned", file=sys.stderr)
    if urls:
        _emit_results(_from_arguments(cleaner, urls), args, out)
    if use_stdin:
        if sys.stdin is None:
            raise InputError("no URL given and no standard input to read")
        if sys.stdin.isatty():
            print("citecheck: reading URLs from the terminal, one per line (Ctrl-D to end)", file=sys.stderr)
        _emit_results(_from_stdin(cleaner), args, out)
    return 0


def _check_command(args: argparse.Namespace, out: TextIO) -> int:
    from ..pipeline import Session, unified_diff
    from ..report import render, write as write_report

    config = check_config(args)
    if args.fix and args.diff:
        raise UsageError("--fix and --diff do not go together: --diff shows what --fix would do")
    paths = args.paths or ["."]
    if "-" in paths:
        if len(paths) > 1:
            raise UsageError("'-' (stdin) cannot be combined with other paths")
        return _check_stdin(args, config, out)
    with Session(config) as session:
        report, changes = session.check_paths(paths, fix=args.fix, progress=progress(args))
    if sys.stderr is not None and sys.stderr.isatty() and not args.quiet:
        sys.stderr.write("\r\033[K")
    if args.diff:
        for path, (old, new) in changes.items():
            out.write(unified_diff(path, old, new))
        out.flush()
        for file in report.errors:
            print(f"{file.path}: error: {file.error}", file=sys.stderr)
        summary = render(report, "text").splitlines()[-1:] if report.links or report.errors else []
        for line in summary:
            print(line, file=sys.stderr)
        if report.errors:
            return 2
        return 0 if config.exit_zero or not changes else 1
    write_report(report, config.format, out, verbose=args.verbose)
    return report.exit_code(exit_zero=config.exit_zero)


def _serve_command(args: argparse.Namespace) -> int:
    from ..core.config import load_config

    try:
        import uvicorn

        from ..server.app import ServiceSettings, create_app
    except ImportError as exc:
        raise ConfigError("the service needs its extra: pip install 'citecheck[server]'") from exc
    if args.config and args.isolated:
        raise UsageError("--config and --isolated contradict each other")
    port = number(d.SERVE_PORT, args.port)
    config = load_config(Path(args.config) if args.config else None, isolated=args.isolated)
    config = config.merged(store=args.store)
    token = config.serve.token  # CITECHECK_TOKEN, read with the configuration
    if token is None and not args.no_auth:
        raise ConfigError("set CITECHECK_TOKEN (the bearer token clients must send), or pass --no-auth")
    settings = ServiceSettings.from_serve(config.serve, token=None if args.no_auth else token)
    app = create_app(config, settings)
    # Access logs show method and path only: never headers, so never the token.
    uvicorn.run(app, host=args.host, port=d.SERVE_PORT.default if port is None else port, log_level="info")
    return 0


def _check_stdin(args: argparse.Namespace, config: Config, out: TextIO) -> int:
    """Check text from stdin; with --fix the fixed text goes to stdout and the report to stderr."""
    from ..core.results import CheckReport
    from ..extract import format_for_path
    from ..fix.documents import MAX_FILE_BYTES, decode_document
    from ..pipeline import Session, unified_diff
    from ..report import render, write as write_report

    name = args.stdin_filename or "-"
    data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1) if sys.stdin is not None else b""
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"{name}: standard input is larger than {MAX_FILE_BYTES} bytes")
    document = decode_document(data, path=name, fallback_encoding=config.fallback_encoding)
    with Session(config) as session:
        result = session.check_document(document, format=format_for_path(args.stdin_filename or ""))
        notices = session.notices
        new_text, fixed = session.fixed_text(document.text, result, archive_links=config.archive_links)
        fail_on = session.fail_on
    if args.fix:
        out.flush()
        sys.stdout.buffer.write(document.encode(new_text))
        sys.stdout.buffer.flush()
        report = CheckReport(files=(fixed,), offline=config.offline, notices=notices, fail_on=fail_on)
        sys.stderr.write(render(report, config.format, verbose=args.verbose))
    elif args.diff:
        out.write(unified_diff(name, document.text, new_text))
        return 0 if config.exit_zero or new_text == document.text else 1
    else:
        report = CheckReport(files=(result,), offline=config.offline, notices=notices, fail_on=fail_on)
        write_report(report, config.format, out, verbose=args.verbose)
    return report.exit_code(exit_zero=config.exit_zero)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``citecheck`` console script; returns the exit code."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    out = sys.stdout
    if hasattr(out, "reconfigure"):
        # Bytes that were not UTF-8 on stdin go back out exactly as they came.
        out.reconfigure(encoding="utf-8", errors="surrogateescape")
    try:
        if args.command == "check":
            return _check_command(args, out)
        if args.command == "serve":
            return _serve_command(args)
        if args.command == "archive":
            from .archive import archive_command

            return archive_command(args, out)
        if args.command == "audit":
            from .audit import audit_command

            return audit_command(args, out)
        return _clean_command(args, out)
    except UsageError as exc:
        getattr(args, "command_parser", parser).print_usage(sys.stderr)
        print(f"citecheck: error: {exc}", file=sys.stderr)
        return 2
    except CitecheckError as exc:
        print(f"citecheck: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): not an error of ours.
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
