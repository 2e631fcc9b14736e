"""The versioned JSON document (``--format json``), documented in ``docs/output-formats.md``.

Named ``json_format`` so that ``import json`` inside this package means the standard library.
"""

from __future__ import annotations

import json

from ..core.results import CheckReport

__all__ = ["render"]


def render(report: CheckReport, *, verbose: bool = False) -> str:
    """``report.to_dict()`` as indented JSON: the document always lists every link, so
    ``verbose`` changes nothing."""
    text = json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"
    # A lone surrogate becomes the JSON escape \udcxx: same value, but writable as UTF-8.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
