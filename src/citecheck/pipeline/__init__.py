"""The one pipeline: extract, clean, check, archive and fix, run for every edge.

:class:`AsyncSession` runs it; :class:`Session` is its synchronous twin. The CLI, the HTTP
service and the library are thin edges over these two; no other code runs the flow.
"""

from ..fix.rewrite import unified_diff
from .session import AsyncSession, Run, Source
from .sync import Session, check_text

#: The name of :class:`Session` before the pipeline had an async twin.
Checker = Session

__all__ = ["AsyncSession", "Checker", "Run", "Session", "Source", "check_text", "unified_diff"]
