"""Rewriting an article: only the characters of each fixable URL change, everything else is copied.

The edits are computed from a :class:`~citecheck.core.results.FileResult` (the verdicts) and the
text the links were extracted from, so the same function serves files, stdin and the service.
"""

from __future__ import annotations

import difflib
from dataclasses import replace

from ..core.links import Link, LinkKind
from ..core.results import FileResult, LinkResult
from ..core.verdicts import Verdict
from ..extract import encode_url
from .archivelinks import archive_insertion

__all__ = ["fixed_text", "unified_diff"]


def fixed_text(text: str, result: FileResult, *, archive_links: bool = False) -> tuple[str, FileResult]:
    """``text`` with every fixable link rewritten, and the result with ``fixed`` set.

    Only the characters of each URL change, each written in the syntax it was found in;
    everything between the spans is copied as is. With ``archive_links``, links that carry a
    snapshot also get an archive link next to them (see :mod:`citecheck.fix.archivelinks`).
    """
    edits: list[tuple[int, int, str]] = []
    links: list[LinkResult] = []
    position = 0
    for index, item in enumerate(result.links):
        link = item.link
        if link.start < position:
            links.append(item)
            continue
        raw = _spelling(item) if not _continues_on_next_line(text, link) else None
        if raw is not None:
            edits.append((link.start, link.end, raw))
            item = replace(item, fixed=True)
        position = link.end
        if archive_links and item.snapshot is not None:
            following = result.links[index + 1].link.start if index + 1 < len(result.links) else len(text)
            insertion = archive_insertion(text, link, item.snapshot, format=result.format)
            if insertion is not None and insertion[0] <= following:
                edits.append((insertion[0], insertion[0], insertion[1]))
                position = insertion[0]
        links.append(item)
    pieces: list[str] = []
    cursor = 0
    for start, end, replacement in edits:
        pieces += [text[cursor:start], replacement]
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces), replace(result, links=tuple(links))


def _spelling(item: LinkResult) -> str | None:
    """What to write for a fixable link; None when the new URL cannot be written there.

    ``encode_url`` refuses a URL that would not be found again in the link's place (a bare
    link whose new URL has no valid host): such a link is reported, not rewritten, as SARIF
    offers no fix for it.
    """
    if item.verdict is not Verdict.FIXABLE:
        return None
    try:
        return encode_url(item.link, item.cleaned)
    except ValueError:
        return None


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


def unified_diff(path: str, old: str, new: str) -> str:
    """A unified diff of one file's change, as ``--diff`` prints it."""
    relative = not path.startswith(("/", "\\")) and path != "-"
    before, after = (f"a/{path}", f"b/{path}") if relative else (path, path)
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), before, after)
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
