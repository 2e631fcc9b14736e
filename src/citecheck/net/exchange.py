"""One HTTP exchange, bounded: a status, headers and at most the first bytes of the body.

A link check never needs a whole page: the start of an HTML document is enough to see its
title, a meta refresh or a canonical link. So bodies are read raw and decompressed by us with
an output limit (a gzip bomb stops at the limit, not at a gigabyte), and the caller wraps each
exchange in a deadline so dripping bodies end too.
"""

from __future__ import annotations

import email.utils
import zlib
from collections.abc import Mapping
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from .body import BodyTooLarge, bounded_chunks

__all__ = ["DEFAULT_MAX_BODY", "PEEK_BYTES", "DirectSender", "Exchange", "exchange", "retry_after_seconds"]

#: Bytes of (decompressed) body kept for analysis.
DEFAULT_MAX_BODY = 256 * 1024
#: Bytes read of an answer that is not a page: enough to finish a small body (so the connection
#: goes back to the pool), too few to download a large document a verdict does not need.
PEEK_BYTES = 16 * 1024
#: Raw bytes read at most, whatever the encoding (protects against endless streams).
_MAX_RAW = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class Exchange:
    """What one request got back."""

    method: str
    url: str
    status: int
    headers: dict[str, str]
    body: bytes = b""
    #: True when the body was longer than what was kept.
    truncated: bool = False

    @property
    def location(self) -> str | None:
        return self.headers.get("location")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @property
    def is_html(self) -> bool:
        return self.content_type in ("text/html", "application/xhtml+xml") or (
            not self.content_type and self.body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))
        )

    def text(self) -> str:
        """The kept body as text (charset from the header, else UTF-8), never raising."""
        charset = "utf-8"
        for part in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip("\"' ")
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


class _Decoder:
    """Decompress with a hard cap on output size (gzip, deflate; identity passes through)."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.limit = limit
        self.out = bytearray()
        self.overflow = False
        encoding = encoding.strip().lower()
        self._zlib: zlib._Decompress | None = None
        if encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()
        self._deflate_retry = encoding == "deflate"
        self._failed = False

    def feed(self, chunk: bytes) -> None:
        room = self.limit - len(self.out)
        if room <= 0:
            self.overflow = True
            return
        if self._zlib is None:
            self.out += chunk[:room]
            self.overflow = self.overflow or len(chunk) > room
            return
        if self._failed:
            return
        try:
            data = self._zlib.decompress(chunk, room)
        except zlib.error:
            if self._deflate_retry:
                # Some servers send raw deflate without the zlib header.
                self._deflate_retry = False
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                self.feed(chunk)
                return
            self._failed = True
            return
        self._deflate_retry = False
        self.out += data
        if self._zlib.unconsumed_tail:
            self.overflow = True


class DirectSender:
    """Send straight to a transport, with fixed headers and timeouts: what a checker's own client would do.

    ``httpx.AsyncClient.send`` costs about a third of a millisecond per request in bookkeeping a
    link check does not use (auth flows, event hooks, redirect history, merging a cookie jar
    that grows with every site of the run). The transport stays the one the client was built
    on, so the address guard and pytest-httpx's mocking apply exactly as through the client.
    Cookies are not kept between requests.
    """

    def __init__(self, transport: httpx.AsyncBaseTransport, *, headers: Mapping[str, str], timeout: float) -> None:
        self.transport = transport
        self._headers = httpx.Headers(headers)
        self._extensions = {"timeout": httpx.Timeout(timeout).as_dict()}

    async def send(self, method: str, url: str, headers: Mapping[str, str] | None = None) -> httpx.Response:
        merged = self._headers
        if headers:
            merged = self._headers.copy()
            merged.update(headers)
        request = httpx.Request(method, url, headers=merged, extensions=dict(self._extensions))
        response = await self.transport.handle_async_request(request)
        response.request = request
        return response


async def exchange(
    client: httpx.AsyncClient | DirectSender,
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    max_body: int = DEFAULT_MAX_BODY,
) -> Exchange:
    """Send one request without following redirects and keep at most ``max_body`` body bytes.

    Only a page is read that far (its title, refresh, canonical link and "not found" wording
    are in its first bytes); any other answer (a PDF, an image, a redirect's body) only up to
    :data:`PEEK_BYTES`, which a small body fits in whole, so its connection is kept for reuse.
    HEAD reads no body. Network errors propagate as httpx exceptions for the caller to classify.
    """
    if isinstance(client, DirectSender):
        response = await client.send(method, url, headers)
    else:
        request = client.build_request(method, url, headers=headers)
        response = await client.send(request, follow_redirects=False, stream=True)
    try:
        kept = {k.lower(): v for k, v in response.headers.items()}
        if method == "HEAD" or response.status_code in (204, 304):
            await response.aread()  # empty: reading it lets the pool keep the connection alive
            return Exchange(method=method, url=url, status=response.status_code, headers=kept)
        limit = max_body if _is_page(kept, response.status_code) else min(max_body, PEEK_BYTES)
        endless = False
        if response.is_stream_consumed:
            # A transport that answered with the body already in memory, and decoded
            # (httpx.MockTransport with content=...): nothing left to stream or to decompress.
            decoder = _Decoder("", limit)
            decoder.feed(response.content)
        else:
            decoder = _Decoder(kept.get("content-encoding", ""), limit)
            try:
                async with aclosing(bounded_chunks(response, _MAX_RAW, raw=True)) as chunks:
                    async for chunk in chunks:
                        decoder.feed(chunk)
                        if decoder.overflow:
                            break
            except BodyTooLarge:
                endless = True
        return Exchange(
            method=method,
            url=url,
            status=response.status_code,
            headers=kept,
            body=bytes(decoder.out),
            truncated=decoder.overflow or endless,
        )
    finally:
        await response.aclose()


def _is_page(headers: dict[str, str], status: int) -> bool:
    """Whether an answer's body may hold what a verdict reads: HTML, or no type to tell."""
    if 300 <= status < 400:
        return False
    content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return content_type in ("", "text/html", "application/xhtml+xml")


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date); None if absent/bad.

    One reading for every client of the project: link checks and archive APIs alike.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
