"""Bounded body reads: no server, friendly or not, makes us hold more bytes than we chose.

Every reader of the project counts what it takes from a streamed :class:`httpx.Response` here:
the archive clients (which refuse an answer over their limit, never truncate it silently), the
archiver's digest of a raw capture, and :func:`citecheck.net.exchange.exchange` (which keeps
the start of a page and stops).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import httpx

__all__ = ["BodyTooLarge", "bounded_chunks", "check_announced_length", "read_bounded"]


class BodyTooLarge(Exception):
    """A body longer than ``limit`` bytes; ``announced`` when its Content-Length said so up front."""

    def __init__(self, limit: int, announced: int | None = None) -> None:
        size = f"{announced} bytes" if announced is not None else f"more than {limit} bytes"
        super().__init__(f"the body is {size}, over the {limit}-byte limit")
        self.limit = limit
        self.announced = announced


def check_announced_length(response: httpx.Response, limit: int) -> None:
    """Refuse before reading a body whose Content-Length is over ``limit``."""
    announced = response.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > limit:
        raise BodyTooLarge(limit, int(announced))


async def bounded_chunks(response: httpx.Response, limit: int, *, raw: bool = False) -> AsyncGenerator[bytes, None]:
    """The body's chunks as they arrive, raising :class:`BodyTooLarge` before passing byte ``limit + 1``.

    ``raw`` yields the bytes as sent (content encoding kept, transfer encoding removed);
    otherwise httpx decodes them. Nothing is checked up front: see :func:`check_announced_length`.
    """
    size = 0
    chunks = response.aiter_raw() if raw else response.aiter_bytes()
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        yield chunk


async def read_bounded(response: httpx.Response, limit: int) -> bytes:
    """The whole (decoded) body, or :class:`BodyTooLarge` when it is, or says it is, over ``limit``."""
    check_announced_length(response, limit)
    return b"".join([chunk async for chunk in bounded_chunks(response, limit)])
