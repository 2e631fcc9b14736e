"""The keyword arguments of :class:`~citecheck.check.checker.AsyncLinkChecker`, as one type.

:class:`~citecheck.check.sync.LinkChecker` takes them as ``**arguments`` and passes them on,
so its signature does not repeat the list and a misspelt name is still a type error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypedDict

import httpx

from ..clean.cleaner import Cleaner

__all__ = ["CheckerArguments"]


class CheckerArguments(TypedDict, total=False):
    """What a checker may be given besides its options; each one is described by the checker."""

    client: httpx.AsyncClient | None
    transport: httpx.AsyncBaseTransport | None
    cleaner: Cleaner | None
    clock: Callable[[], datetime] | None
    sleep: Callable[[float], Awaitable[None]] | None
    remember: bool
    allow_unguarded: bool
