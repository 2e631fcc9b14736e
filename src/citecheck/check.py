"""The one place the flow runs: extract the links of a document, judge each, and fix.

The CLI, the pre-commit hook and (later) the HTTP service are thin adapters over
:class:`Checker`: they read inputs, call it, and render its :class:`CheckReport`. Offline (the
only mode built so far) a link is judged by cleaning: a link the cleaner would change is
``fixable``; an http(s) URL that does not parse is ``invalid``; other schemes are ``skipped``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import replace

from .clean import Cleaner
from .config import Config
from .documents import Document, iter_article_paths, read_document, write_document
from .errors import CitecheckError
from .extract import encode_url, extract_links, format_for_path
from .extract.model import Link, LinkKind
from .results import CheckReport, FileResult, LinkResult, Reason, Verdict
from .rules import RuleSet, load_rules
from .urls import split_url

__all__ = ["Checker", "check_text", "unified_diff"]

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


class Checker:
    """A configured check run: rules compiled once, then any number of documents."""

    def __init__(self, config: Config | None = None, *, rules: RuleSet | None = None) -> None:
        self.config = config or Config()
        self.cleaner = Cleaner(rules if rules is not None else rules_for(self.config))
        self._ignore = [re.compile(p) for p in self.config.ignore_urls]

    # -- judging -------------------------------------------------------------------------------

    def judge(self, link: Link, *, path: str) -> LinkResult:
        """The offline verdict on one link."""
        url = link.url
        scheme = _SCHEME.match(url)
        if scheme is None or scheme.group(1).lower() not in ("http", "https"):
            return LinkResult(
                path=path, link=link, verdict=Verdict.SKIPPED, reason=Reason.UNSUPPORTED_SCHEME, cleaned=url
            )
        if any(p.search(url) for p in self._ignore):
            return LinkResult(path=path, link=link, verdict=Verdict.SKIPPED, reason=Reason.EXCLUDED, cleaned=url)
        if split_url(url.strip()) is None:
            return LinkResult(path=path, link=link, verdict=Verdict.INVALID, reason=Reason.INVALID_URL, cleaned=url)
        result = self.cleaner.explain(url)
        if result.wrappers:
            reason: Reason | None = Reason.REDIRECT_WRAPPER
        elif result.removed:
            reason = Reason.TRACKING_PARAMS
        else:
            # Only normalisation would change (host case, default port, trailing '/'): the same
            # resource, so not worth a finding or a rewrite.
            return LinkResult(path=path, link=link, verdict=Verdict.OK, cleaned=result.cleaned)
        return LinkResult(
            path=path,
            link=link,
            verdict=Verdict.FIXABLE,
            reason=reason,
            cleaned=result.cleaned,
            removed=result.removed,
            wrappers=result.wrappers,
        )

    def check_document(self, document: Document, *, format: str | None = None) -> FileResult:
        """Extract and judge every link of a decoded document (nothing is written)."""
        fmt = format or format_for_path(document.path)
        links = extract_links(document.text, fmt)
        results = tuple(self.judge(link, path=document.path) for link in links)
        return FileResult(path=document.path, format=fmt, links=results)

    # -- fixing --------------------------------------------------------------------------------

    @staticmethod
    def fixed_text(text: str, result: FileResult) -> tuple[str, FileResult]:
        """``text`` with every fixable link rewritten, and the result with ``fixed`` set.

        Only the characters of each URL change, each written in the syntax it was found in;
        everything between the spans is copied as is.
        """
        pieces: list[str] = []
        links: list[LinkResult] = []
        position = 0
        for item in result.links:
            link = item.link
            if item.verdict is not Verdict.FIXABLE or link.start < position or _continues_on_next_line(text, link):
                links.append(item)
                continue
            pieces.append(text[position : link.start])
            pieces.append(encode_url(link, item.cleaned))
            position = link.end
            links.append(replace(item, fixed=True))
        pieces.append(text[position:])
        return "".join(pieces), replace(result, links=tuple(links))

    # -- files ---------------------------------------------------------------------------------

    def check_paths(self, paths: Sequence[str], *, fix: bool = False) -> tuple[CheckReport, dict[str, tuple[str, str]]]:
        """Check files and directories; with ``fix``, rewrite files atomically.

        Returns the report and, for every file whose text would change, ``(old, new)`` text
        (what ``--diff`` shows). A file that cannot be read or written becomes a FileResult
        with ``error`` set; the run goes on with the others.
        """
        files: list[FileResult] = []
        changes: dict[str, tuple[str, str]] = {}
        config = self.config
        for path in iter_article_paths(paths, exclude=config.all_excludes, suffixes=config.extensions):
            try:
                document = read_document(path, fallback_encoding=config.fallback_encoding)
                result = self.check_document(document)
                new_text, fixed = self.fixed_text(document.text, result)
                if new_text != document.text:
                    changes[path] = (document.text, new_text)
                    if fix:
                        write_document(path, document.with_text(new_text))
                        result = replace(fixed, rewritten=True)
            except CitecheckError as exc:
                message = str(exc)
                # Errors name their file for the CLI; in a report the path is shown apart.
                message = message[len(path) + 2 :] if message.startswith(f"{path}: ") else message
                result = FileResult(path=path, format=format_for_path(path), error=message)
            files.append(result)
        return CheckReport(files=tuple(files), offline=config.offline), changes


def _continues_on_next_line(text: str, link: Link) -> bool:
    """A bare URL cut by a line break right after a separator (``...?a=1&`` + newline + ``b=2``).

    Extraction reports only the first line's part; rewriting it would glue the next line onto a
    different URL, so such a link is reported but left for a person to fix.
    """
    return (
        link.kind is LinkKind.BARE
        and link.raw[-1:] in ("&", "?", "=", ";")
        and text[link.end : link.end + 1] in ("\n", "\r")
    )


def rules_for(config: Config) -> RuleSet:
    """The rule set a configuration asks for: built-in rules, then its files in order."""
    rules = RuleSet.builtin() if config.builtin_rules else RuleSet()
    for path in config.rules:
        rules = rules.merge(load_rules(path))
    if config.clearurls:
        from .clearurls import load_clearurls

        for path in config.clearurls:
            rules = rules.merge(load_clearurls(path))
    return rules


def check_text(text: str, *, format: str = "text", path: str = "<text>", config: Config | None = None) -> FileResult:
    """Check the links of an article given as a string (``format``: text, markdown or html).

    >>> result = check_text("See https://example.com/a?utm_source=x&id=7.", path="note.txt")
    >>> [(r.verdict.value, r.reason.value if r.reason else None, r.cleaned) for r in result.links]
    [('fixable', 'tracking_params', 'https://example.com/a?id=7')]
    """
    return Checker(config).check_document(Document(path=path, text=text), format=format)


def unified_diff(path: str, old: str, new: str) -> str:
    """A unified diff of one file's change, as ``--diff`` prints it."""
    relative = not path.startswith(("/", "\\")) and path != "-"
    before, after = (f"a/{path}", f"b/{path}") if relative else (path, path)
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), before, after)
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
