"""The versioned JSON document (``--format json``), documented in ``docs/output-formats.md``.

Named ``json_format`` so that ``import json`` inside this package means the standard library.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import TextIO

from ..core.results import CheckReport
from .jsonstream import Lazy, Nested, write_json

__all__ = ["render", "write"]


def write(report: CheckReport, out: TextIO, *, verbose: bool = False) -> None:
    """``report.to_dict()`` as indented JSON, written link by link so that memory does not grow
    with the number of links; the document always lists every link, so ``verbose`` changes
    nothing."""
    items = report.document_items()
    write_json(out, Nested((key, Lazy(value) if isinstance(value, Iterator) else value) for key, value in items))


def render(report: CheckReport, *, verbose: bool = False) -> str:
    """:func:`write` into a string."""
    buffer = io.StringIO()
    write(report, buffer, verbose=verbose)
    return buffer.getvalue()
