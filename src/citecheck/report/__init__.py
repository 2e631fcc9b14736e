"""Rendering a :class:`~citecheck.core.results.CheckReport` in each output format.

Pure functions from a report to a string: no printing, no clock, no environment, so the
command decides where output goes and the tests can compare output byte for byte. Problems
are findings (``LinkResult.is_finding``) and files that could not be handled; ok, skipped and
fixed links appear only where a format lists every link (JSON, JUnit, text with ``verbose``).

>>> from citecheck.core.results import CheckReport
>>> render(CheckReport(), "text")
'No files checked.\\n'
"""

from __future__ import annotations

from typing import TextIO

from ..core.results import CheckReport
from . import github, json_format, junit, sarif, text

__all__ = ["FORMATS", "render", "write"]

#: The names ``--format`` accepts, in the order ``--help`` lists them.
FORMATS = ("text", "json", "github", "sarif", "junit")


def write(report: CheckReport, format: str, out: TextIO, *, verbose: bool = False, color: bool = False) -> None:
    """:func:`render` straight to ``out``; JSON and SARIF are written link by link, so their
    memory does not grow with the number of links (200,000 links took 825 MB as one string)."""
    if format == "json":
        json_format.write(report, out, verbose=verbose)
    elif format == "sarif":
        sarif.write(report, out, verbose=verbose)
    else:
        out.write(render(report, format, verbose=verbose, color=color))


def render(report: CheckReport, format: str, *, verbose: bool = False, color: bool = False) -> str:
    """``report`` in ``format``; ``verbose`` lists every link (text), ``color`` adds ANSI (text)."""
    if format == "text":
        return text.render(report, verbose=verbose, color=color)
    if format == "json":
        return json_format.render(report, verbose=verbose)
    if format == "github":
        return github.render(report, verbose=verbose)
    if format == "sarif":
        return sarif.render(report, verbose=verbose)
    if format == "junit":
        return junit.render(report, verbose=verbose)
    raise ValueError(f"unknown report format {format!r}; choose one of {', '.join(FORMATS)}")
