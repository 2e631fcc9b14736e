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

from ._version import __version__
from .errors import CitecheckError, InputError

if TYPE_CHECKING:
    from .clean import Cleaner, CleanResult

__all__ = ["main"]

#: JSON output of ``clean`` is versioned so programs can rely on it.
CLEAN_SCHEMA_VERSION = 1
#: A stdin line longer than this is not a URL: it is passed through untouched, in pieces.
MAX_LINE_BYTES = 1 << 20
#: Article files larger than this are refused rather than read into memory.
MAX_FILE_BYTES = 64 << 20

_DESCRIPTION = """\
citecheck keeps citations honest: it cleans tracking parameters and redirect
wrappers out of cited URLs (offline), and checks and archives them.

examples:
  citecheck clean 'https://example.com/a?utm_source=x&id=7'
  citecheck clean --explain 'https://www.google.com/url?q=https://example.org/'
  citecheck clean --file article.md          # every link in a file, with positions
  some-command | citecheck clean             # one URL per input line
"""


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="citecheck",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"citecheck {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    clean = commands.add_parser(
        "clean",
        help="remove tracking parameters and unwrap redirect wrappers (offline)",
        description=(
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
    _add_rule_options(clean)
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
    from .clean import Cleaner
    from .rules import RuleSet, load_rules

    rules = RuleSet() if args.no_builtin_rules else RuleSet.builtin()
    for path in args.rules:
        rules = rules.merge(load_rules(path))
    if args.clearurls:
        import warnings

        from .clearurls import load_clearurls

        for path in args.clearurls:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                rules = rules.merge(load_clearurls(path))
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
        lines.append(f"  unwrapped from {wrapper.wrapper}  [{wrapper.rule}]")
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
    from .clean import CleanResult

    for body, ending, whole in _read_lines(sys.stdin.buffer):
        if whole:
            yield {"ending": ending}, cleaner.explain(body)
        else:
            yield {"ending": ending}, CleanResult(original=body, cleaned=body, is_http=False)


def _read_article(path: str) -> str:
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"{path}: file is {size} bytes, more than the {MAX_FILE_BYTES} this command reads")
        data = file.read_bytes()
    except IsADirectoryError as exc:
        raise InputError(f"{path}: is a directory") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{path}: looks like a binary file, not an article")
    for encoding in ("utf-8-sig", "utf-16"):
        if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(f"{path}: not UTF-8 (or UTF-16 with a BOM) text; convert it first")


def _from_files(cleaner: Cleaner, articles: Sequence[tuple[str, str]]) -> Iterator[tuple[dict[str, Any], CleanResult]]:
    from .extract import find_links_in_text

    for path, text in articles:
        for link in find_links_in_text(text):
            yield {"path": path, "line": link.line, "column": link.column}, cleaner.explain(link.url)


def _clean_command(args: argparse.Namespace, out: TextIO) -> int:
    cleaner = _cleaner(args)
    urls = [u for u in args.urls if u != "-"]
    use_stdin = not args.files and (not args.urls or "-" in args.urls)
    if args.files:
        # Read every file before printing, so an unreadable one fails before partial output.
        articles = [(path, _read_article(path)) for path in args.files]
        total, changed = _emit_results(_from_files(cleaner, articles), args, out)
        files = "file" if len(articles) == 1 else "files"
        print(f"citecheck: {total} links in {len(articles)} {files}, {changed} can be cleaned", file=sys.stderr)
    if urls:
        _emit_results(_from_arguments(cleaner, urls), args, out)
    if use_stdin:
        if sys.stdin is None:
            raise InputError("no URL given and no standard input to read")
        if sys.stdin.isatty():
            print("citecheck: reading URLs from the terminal, one per line (Ctrl-D to end)", file=sys.stderr)
        _emit_results(_from_stdin(cleaner), args, out)
    return 0


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
        return _clean_command(args, out)
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
