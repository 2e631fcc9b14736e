"""The synchronous face of the checker, for scripts, notebooks and code inside a running loop."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Unpack

from ..core.evidence import OnlineResult
from ..core.sync import LoopThread
from .arguments import CheckerArguments
from .checker import AsyncLinkChecker
from .options import NetworkOptions

__all__ = ["LinkChecker"]


class LinkChecker:
    """The synchronous face of :class:`AsyncLinkChecker`, usable inside a running event loop too.

    It runs its own event loop in a background thread, so it works from plain scripts, from
    Jupyter and from async frameworks alike. Close it (or use ``with``) to stop the thread.
    The keyword arguments are :class:`AsyncLinkChecker`'s; ``sleep`` runs on that thread's loop.
    """

    def __init__(self, options: NetworkOptions | None = None, **arguments: Unpack[CheckerArguments]) -> None:
        self._thread = LoopThread("citecheck-net", owner="LinkChecker")

        async def make() -> AsyncLinkChecker:
            # Made on the thread's loop, where every later call runs.
            return AsyncLinkChecker(options, **arguments)

        self._checker = self._thread.run(make())
        self._run = self._thread.run

    def check(self, url: str) -> OnlineResult:
        return self._run(self._checker.check(url))

    def check_many(self, urls: Iterable[str], *, ordered: bool = False) -> Iterator[OnlineResult]:
        """Results in completion order, or in input order with ``ordered`` (the batch runs concurrently)."""

        async def collect() -> list[OnlineResult]:
            return [result async for result in self._checker.check_many(urls, ordered=ordered)]

        yield from self._run(collect())

    def offline_notice(self) -> str | None:
        return self._checker.offline_notice()

    def close(self) -> None:
        self._thread.close(self._checker.aclose())

    def __enter__(self) -> LinkChecker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
