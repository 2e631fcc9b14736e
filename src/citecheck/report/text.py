"""The report for people: ruff-like ``path:line:col: code message`` blocks and a summary.

Every string from an article (paths, URLs) goes through :func:`escape_controls`, so a URL with
a newline or an escape sequence cannot forge lines or recolour the terminal.
"""

from __future__ import annotations

from ..core.results import CheckReport, FileResult, LinkResult
from ._common import code, escape_controls, headline, level, summary_lines

__all__ = ["render"]

_RESET = "\x1b[0m"
_STYLES = {"bold": "\x1b[1m", "error": "\x1b[31m", "warning": "\x1b[33m", "note": "\x1b[36m", "good": "\x1b[32m"}


class _Painter:
    """Applies ANSI styles only when colour was asked for, so plain output stays plain."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, style: str) -> str:
        return f"{_STYLES[style]}{text}{_RESET}" if self.color else text


def _where(result: LinkResult) -> str:
    return f"{escape_controls(result.path)}:{result.link.line}:{result.link.column}"


def _finding(result: LinkResult, paint: _Painter) -> list[str]:
    label = paint(code(result), level(result))
    lines = [f"{paint(_where(result), 'bold')}: {label} {escape_controls(headline(result))}"]
    lines.append(f"  {escape_controls(result.link.url)}")
    if result.cleaned != result.link.url:
        lines.append(f"  -> {paint(escape_controls(result.cleaned), 'good')}")
    return lines


def _other(result: LinkResult, paint: _Painter) -> list[str]:
    """A link that is not a problem, shown with ``verbose``: ok, skipped or already fixed."""
    label = "fixed" if result.fixed else result.verdict.value
    if result.reason is not None:
        label += f" ({result.reason.value})"
    lines = [f"{paint(_where(result), 'bold')}: {paint(label, 'note')} {escape_controls(result.link.url)}"]
    if result.fixed:
        lines.append(f"  -> {paint(escape_controls(result.cleaned), 'good')}")
    return lines


def _drifted(result: LinkResult, paint: _Painter) -> list[str]:
    """A cited page whose main text has changed: the similarity, and the snapshot to compare with."""
    drift = result.drift
    assert drift is not None
    similarity = "unknown" if drift.similarity is None else f"{drift.similarity:.2f}"
    label = paint("drift-changed", "warning")
    lines = [f"{paint(_where(result), 'bold')}: {label} page changed since the snapshot (similarity {similarity})"]
    lines.append(f"  {escape_controls(result.link.url)}")
    if drift.snapshot:
        lines.append(f"  compare with {escape_controls(drift.snapshot)}")
    return lines


def _file_error(file: FileResult, paint: _Painter) -> str:
    message = escape_controls(file.error or "")
    return f"{paint(escape_controls(file.path), 'bold')}: {paint('error', 'error')}: {message}"


def render(report: CheckReport, *, verbose: bool = False, color: bool = False) -> str:
    """The text report: problems (all links with ``verbose``), notices, then the summary."""
    paint = _Painter(color)
    lines: list[str] = []
    for file in report.files:
        if file.error is not None:
            lines.append(_file_error(file, paint))
        for result in file.links:
            if result.is_finding:
                lines.extend(_finding(result, paint))
            elif verbose:
                lines.extend(_other(result, paint))
            if result.drifted:
                lines.extend(_drifted(result, paint))
    lines.extend(f"notice: {escape_controls(notice)}" for notice in report.notices)
    if lines:
        lines.append("")
    lines.extend(paint(line, "bold") for line in summary_lines(report))
    return "\n".join(lines) + "\n"
