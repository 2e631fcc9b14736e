"""Test helpers shared by several test modules (imported as ``helpers``, like ``fakeweb``)."""

from __future__ import annotations

import asyncio
import io

from citecheck.core.links import Link
from citecheck.net.limits import Limiters


def assert_positions(text: str, links: list[Link]) -> None:
    """Every link's slice is its raw text; line/column agree with a naive count; sorted, disjoint."""
    last_end = -1
    for link in links:
        assert text[link.start : link.end] == link.raw
        before = text[: link.start]
        assert link.line == before.count("\n") + 1
        assert link.column == len(before.split("\n")[-1]) + 1
        assert link.start >= last_end
        last_end = link.end


def replace_span(text: str, link: Link, raw: str) -> str:
    """``text`` with the link's span replaced by ``raw`` (what --fix does to one link)."""
    return text[: link.start] + raw + text[link.end :]


class FakeTime:
    """A clock that only moves when something sleeps on it, recording every sleep.

    ``limiters`` hands out rate limiters on this clock: pass it as a client's ``limiters=``.
    """

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.limiters = Limiters(clock=self.clock, sleep=self.sleep)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class Terminal(io.StringIO):
    """A standard error that says it is a terminal (what the progress counter waits for)."""

    def isatty(self) -> bool:
        return True
