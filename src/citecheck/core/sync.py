"""An event loop in a background thread: what lets async cores have plain synchronous twins.

The sync facades (``LinkChecker``, ``Archiver``) run their async object on this loop, so
they work from scripts, from Jupyter and from inside a running event loop alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable
from typing import TypeVar

__all__ = ["LoopThread"]

_T = TypeVar("_T")


class LoopThread:
    """One private event loop, run forever in a daemon thread until :meth:`close`."""

    def __init__(self, name: str, owner: str = "object") -> None:
        self.name = name
        self.owner = owner
        self.closed = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, awaitable: Awaitable[_T]) -> _T:
        """Run ``awaitable`` on the loop and wait for its result (from any thread)."""
        if self.closed:
            if asyncio.iscoroutine(awaitable):
                awaitable.close()  # never started: no "was never awaited" warning
            raise RuntimeError(f"this {self.owner} is closed: use it inside its `with` block, or before close()")

        async def wrapper() -> _T:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wrapper(), self._loop).result()

    def close(self, final: Awaitable[object] | None = None) -> None:
        """Run ``final`` (e.g. the async object's ``aclose()``), then stop the loop and the thread."""
        if self.closed:
            if asyncio.iscoroutine(final):
                final.close()  # closing twice: the final step already ran the first time
            return
        if final is not None:
            with contextlib.suppress(RuntimeError):
                self.run(final)
        self.closed = True
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
