"""A fake web for integration tests and benchmarks: a real HTTP/1.1 server on 127.0.0.1.

Why a real server: transport mocks (``pytest-httpx``) never touch a socket, so they cannot
exercise what a URL checker gets wrong in the wild -- connection pools and per-host limits,
read timeouts against a dripping body, a gzip bomb, bytes that are not HTTP at all, a
redirect to the cloud metadata address. ``FakeWeb`` listens on several random free ports of
127.0.0.1 at once; each port stands for one "host", so cross-host redirects and per-host
concurrency limits can be tested without DNS.

The server is stdlib ``asyncio`` only (``asyncio.start_server`` plus a minimal parser: request
line, headers, a ``Content-Length`` body; keep-alive and ``Connection: close``). It runs in
the current event loop (``async with FakeWeb(...) as web``) or in a background thread with its
own loop (``with FakeWeb.threaded(...) as web``) for sync tests and for benchmarks.

Behaviours are small handler constructors (``ok``, ``redirect``, ``soft_404``, ``drip``,
``gzip_bomb``, ...). A handler is ``async (Request) -> Response``; compose them freely
(``delay(2, head_refused(405, ok("hi")))``). Routes match the exact request target first
(``/a?b=1``), then the bare path (``/a``), then the host's catch-all (``fallback``).

>>> import httpx
>>> with FakeWeb.threaded(hosts=2, routes={"/": ok("home")}) as web:
...     web.route("/old", redirect("/new", 301), host=0)
...     web.fallback(soft_404("de"), host=1)
...     moved = httpx.get(web.url(0, "/old"))
...     soft = httpx.get(web.url(1, "/anything/at/all"))
...     (moved.status_code, moved.headers["location"], soft.status_code, web.hosts[0].requests)
(301, '/new', 200, 1)
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import functools
import html
import http
import inspect
import itertools
import json
import math
import threading
import zlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Final, NamedTuple, Self

__all__ = [
    "METADATA_URL",
    "PRIVATE_URL",
    "SOFT_404_TITLES",
    "FailFirst",
    "FakeWeb",
    "Handler",
    "HostStats",
    "Request",
    "Response",
    "Seen",
    "canonical",
    "close_mid_headers",
    "cloudflare_challenge",
    "delay",
    "drip",
    "echo",
    "empty_reply",
    "fail_first",
    "garbage_status_line",
    "gzip_bomb",
    "hang",
    "head_refused",
    "header_without_colon",
    "http09_body",
    "huge",
    "legal_block",
    "linkedin_999",
    "meta_refresh",
    "not_found",
    "ok",
    "redirect",
    "redirect_chain",
    "redirect_loop",
    "redirect_to_host",
    "redirect_to_metadata",
    "redirect_to_private",
    "service_unavailable",
    "soft_404",
    "status",
    "too_many_requests",
    "unauthorized",
    "wrong_content_length",
]

#: Where SSRF tests point redirects: the cloud instance-metadata endpoint (never fetched here).
METADATA_URL: Final = "http://169.254.169.254/latest"
#: A private (RFC 1918) address for SSRF tests (never fetched here).
PRIVATE_URL: Final = "http://10.0.0.1/"

#: ``<title>`` of soft-404 pages by language, for checkers that recognise "not found" text.
SOFT_404_TITLES: Final[Mapping[str, str]] = {
    "en": "Page not found",
    "de": "Seite nicht gefunden",
    "es": "Página no encontrada",
    "fr": "Page introuvable",
    "ru": "Страница не найдена",
    "ja": "ページが見つかりません",
}

_HTML: Final = "text/html; charset=utf-8"
_TEXT: Final = "text/plain; charset=utf-8"
_MAX_HEAD: Final = 64 * 1024  # request line + headers; more gets 431
_MAX_BODY: Final = 16 * 1024 * 1024  # request bodies are read whole; more gets 413
_EXTRA_REASONS: Final[Mapping[int, str]] = {999: "Request denied"}
_STATUSES: Final = frozenset(int(s) for s in http.HTTPStatus)


# --------------------------------------------------------------------------------------------
# Requests and responses
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    """One parsed request, as a handler sees it.

    ``headers`` has lower-cased names (repeated headers joined with ``", "``) because every
    lookup in a test is case-insensitive anyway. ``host`` is the index of the fake host (port)
    that received it and ``web`` the server, so handlers can build cross-host URLs lazily.
    """

    method: str
    target: str
    path: str
    query: str
    version: str
    headers: dict[str, str]
    body: bytes
    host: int
    web: FakeWeb


@dataclass(slots=True)
class Response:
    """What a handler returns; the server turns it into bytes.

    * ``body`` is ``bytes`` or an async iterator of chunks. Streams are written chunk by chunk
      with back-pressure (never buffered), as ``Transfer-Encoding: chunked`` unless the
      handler set ``Content-Length`` itself.
    * ``Content-Length`` is added for ``bytes`` bodies unless already present, so a handler can
      lie about it on purpose.
    * HEAD gets the same headers and no body; 1xx/204/304 never get a body.
    * ``raw`` bypasses all of that: the bytes are written verbatim and the connection closed
      (malformed-response tests). ``close`` ends the connection after this response.
    """

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | AsyncIterator[bytes] = b""
    reason: str | None = None
    raw: bytes | None = None
    close: bool = False


#: A behaviour: an async function from a request to a response.
Handler = Callable[[Request], Awaitable[Response]]

HeadersLike = Mapping[str, str] | Iterable[tuple[str, str]]


def _header_list(headers: HeadersLike) -> list[tuple[str, str]]:
    """Accept a dict or pairs: dicts read well in tests, pairs allow repeated headers."""
    if isinstance(headers, Mapping):
        return [(str(k), str(v)) for k, v in headers.items()]
    return [(str(k), str(v)) for k, v in headers]


def _has(headers: Iterable[tuple[str, str]], name: str) -> bool:
    lowered = name.lower()
    return any(k.lower() == lowered for k, _ in headers)


def _bytes(body: str | bytes) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else body


def _page(title: str, body: str = "", head: str = "") -> str:
    """A minimal HTML document; soft-404 and bot-wall detectors look at ``<title>``."""
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>{head}</head>\n<body>{body}</body></html>\n"
    )


# --------------------------------------------------------------------------------------------
# Plain answers
# --------------------------------------------------------------------------------------------


def ok(body: str | bytes = "OK", content_type: str = _HTML, headers: HeadersLike = ()) -> Handler:
    """200 with a fixed body: the healthy page every other behaviour is compared against."""
    return status(200, body, headers, content_type=content_type)


def status(code: int, body: str | bytes = "", headers: HeadersLike = (), *, content_type: str = _TEXT) -> Handler:
    """Any status with a fixed body and extra headers (999, 410, 418, ... all allowed)."""
    data = _bytes(body)
    extra = _header_list(headers)
    if not _has(extra, "content-type"):
        extra.append(("Content-Type", content_type))

    async def handler(request: Request) -> Response:
        return Response(code, list(extra), data)

    return handler


def not_found(body: str = "Not Found") -> Handler:
    """A hard 404: the default catch-all, and what soft 404s pretend not to be."""
    return status(404, body)


def echo() -> Handler:
    """200 with the request as JSON, to assert what the client sent (User-Agent, Range, ...)."""

    async def handler(request: Request) -> Response:
        payload = {
            "method": request.method,
            "target": request.target,
            "path": request.path,
            "query": request.query,
            "headers": request.headers,
            "host": request.host,
            "body_length": len(request.body),
        }
        return Response(200, [("Content-Type", "application/json")], json.dumps(payload).encode())

    return handler


# --------------------------------------------------------------------------------------------
# Redirects
# --------------------------------------------------------------------------------------------

_REDIRECT_CODES: Final = frozenset({300, 301, 302, 303, 307, 308})


def redirect(location: str, code: int = 302, headers: HeadersLike = ()) -> Handler:
    """A 3xx with ``Location`` exactly as given: absolute, relative (``../x``), ``//host/x``.

    The value is not normalised on purpose -- resolving it is the client's job under test.
    """
    if code not in _REDIRECT_CODES:
        raise ValueError(f"not a redirect status: {code}")
    extra = _header_list(headers)

    async def handler(request: Request) -> Response:
        return Response(code, [("Location", location), *extra, ("Content-Type", _TEXT)], b"")

    return handler


def redirect_to_host(host: int, path: str = "/", code: int = 302) -> Handler:
    """Redirect to another fake host (port); resolved per request, so usable before start."""
    if code not in _REDIRECT_CODES:
        raise ValueError(f"not a redirect status: {code}")

    async def handler(request: Request) -> Response:
        return Response(code, [("Location", request.web.url(host, path)), ("Content-Type", _TEXT)])

    return handler


def redirect_to_metadata(code: int = 302) -> Handler:
    """Redirect to the instance-metadata address (SSRF tests; only the Location is served)."""
    return redirect(METADATA_URL, code)


def redirect_to_private(code: int = 302) -> Handler:
    """Redirect to a private 10/8 address (SSRF tests; only the Location is served)."""
    return redirect(PRIVATE_URL, code)


def redirect_chain(paths: Sequence[str], code: int = 302) -> dict[str, Handler]:
    """Routes ``paths[0] -> paths[1] -> ... -> paths[-1]``; route the last path yourself.

    Returned as a route mapping so a test writes ``web.routes(redirect_chain([...]))``.
    """
    return {src: redirect(dst, code) for src, dst in itertools.pairwise(paths)}


def redirect_loop(paths: Sequence[str], code: int = 302) -> dict[str, Handler]:
    """Routes that redirect in a circle (``a -> b -> a``); a single path redirects to itself."""
    if not paths:
        raise ValueError("a loop needs at least one path")
    return {src: redirect(dst, code) for src, dst in zip(paths, [*paths[1:], paths[0]], strict=True)}


def meta_refresh(target: str, delay: int = 0) -> Handler:
    """200 HTML whose ``<meta http-equiv="refresh">`` sends browsers on to ``target``."""
    head = f'<meta http-equiv="refresh" content="{delay}; url={html.escape(target)}">'
    return ok(_page("Redirecting", f'<a href="{html.escape(target)}">continue</a>', head))


def canonical(href: str, body: str = "An article.") -> Handler:
    """200 HTML declaring ``<link rel="canonical" href=...>`` (the page's preferred URL)."""
    head = f'<link rel="canonical" href="{html.escape(href)}">'
    return ok(_page("Article", html.escape(body), head))


# --------------------------------------------------------------------------------------------
# HEAD refusal, soft 404, bot walls, rate limits, flaky routes
# --------------------------------------------------------------------------------------------


def head_refused(code: int = 405, get: Handler | None = None) -> Handler:
    """HEAD answers ``code`` (405/403/404/500 seen in the wild), other methods go to ``get``.

    Why: checkers try HEAD first and must fall back to GET instead of reporting a dead link.
    """
    inner = get if get is not None else ok()
    refused = status(code, "", [("Allow", "GET")] if code == 405 else ())

    async def handler(request: Request) -> Response:
        return await (refused if request.method == "HEAD" else inner)(request)

    return handler


def soft_404(lang: str = "en") -> Handler:
    """200 with a "not found" page (title in ``SOFT_404_TITLES[lang]``) for whatever path.

    As a catch-all it is the site that answers 200 for a random probe path too.
    """
    title = SOFT_404_TITLES[lang]

    async def handler(request: Request) -> Response:
        body = _page(title, f"<h1>{html.escape(title)}</h1><p>{html.escape(request.path)}</p>")
        return Response(200, [("Content-Type", _HTML)], body.encode("utf-8"))

    return handler


def cloudflare_challenge() -> Handler:
    """403 + ``cf-mitigated: challenge`` + "Just a moment..." -- a bot wall, not a dead link."""
    page = _page("Just a moment...", "<noscript>Enable JavaScript and cookies to continue</noscript>")
    return status(
        403,
        page,
        {"cf-mitigated": "challenge", "Server": "cloudflare", "Cache-Control": "no-store"},
        content_type=_HTML,
    )


def linkedin_999() -> Handler:
    """Status 999 (LinkedIn's answer to non-browsers): outside the registered codes on purpose."""
    return status(999, _page("Request denied"), content_type=_HTML)


def unauthorized() -> Handler:
    """401 with a Basic challenge: the page exists but needs a login."""
    return status(401, "Unauthorized", {"WWW-Authenticate": 'Basic realm="fakeweb"'})


def legal_block() -> Handler:
    """451 Unavailable For Legal Reasons (geo-blocking, court orders)."""
    return status(451, "Unavailable For Legal Reasons")


RetryAfter = int | float | datetime | timedelta | str


def _retry_after_value(value: RetryAfter) -> str:
    """Seconds stay seconds; a datetime (naive = UTC) or a timedelta from now becomes an HTTP-date."""
    if isinstance(value, str):
        return value
    if isinstance(value, timedelta):
        value = datetime.now(UTC) + value
    if isinstance(value, datetime):
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return email.utils.format_datetime(aware, usegmt=True)
    return str(math.ceil(value))


def too_many_requests(retry_after: RetryAfter | None = 60) -> Handler:
    """429 with ``Retry-After`` as seconds, HTTP-date (datetime/timedelta) or any raw string."""
    return _with_retry_after(429, "Too Many Requests", retry_after)


def service_unavailable(retry_after: RetryAfter | None = None) -> Handler:
    """503, optionally with ``Retry-After`` (same forms as ``too_many_requests``)."""
    return _with_retry_after(503, "Service Unavailable", retry_after)


def _with_retry_after(code: int, body: str, retry_after: RetryAfter | None) -> Handler:
    async def handler(request: Request) -> Response:
        headers = [("Content-Type", _TEXT)]
        if retry_after is not None:  # rendered per request: a timedelta date stays in the future
            headers.append(("Retry-After", _retry_after_value(retry_after)))
        return Response(code, headers, body.encode())

    return handler


class FailFirst:
    """Fail the first ``k`` requests of each route with ``failure``, then delegate to ``then``.

    Counts are per (host, request path), so one instance can serve as a catch-all and every
    path still gets its own ``k`` failures -- what retry tests need. ``reset()`` starts over.
    """

    def __init__(self, k: int, then: Handler | None = None, failure: Handler | None = None) -> None:
        self.k = k
        self.then = then if then is not None else ok()
        self.failure = failure if failure is not None else service_unavailable()
        self.counts: dict[tuple[int, str], int] = {}

    async def __call__(self, request: Request) -> Response:
        key = (request.host, request.path)
        seen = self.counts.get(key, 0)
        self.counts[key] = seen + 1
        return await (self.failure if seen < self.k else self.then)(request)

    def reset(self) -> None:
        """Forget all counts."""
        self.counts.clear()


def fail_first(
    k: int, then: Handler | None = None, code: int = 503, retry_after: RetryAfter | None = None
) -> FailFirst:
    """``FailFirst`` whose failures are ``code`` (503 by default) with optional Retry-After."""
    failure = _with_retry_after(code, http.HTTPStatus(code).phrase if code in _STATUSES else "Error", retry_after)
    return FailFirst(k, then, failure)


# --------------------------------------------------------------------------------------------
# Slow, big and hostile bodies
# --------------------------------------------------------------------------------------------


def delay(seconds: float, then: Handler | None = None) -> Handler:
    """Wait ``seconds`` before the headers, then answer as ``then`` (read and total timeouts)."""
    inner = then if then is not None else ok()

    async def handler(request: Request) -> Response:
        await asyncio.sleep(seconds)
        return await inner(request)

    return handler


def hang() -> Handler:
    """Never answer: the connection stays open until the client gives up or the server stops."""

    async def handler(request: Request) -> Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")  # pragma: no cover

    return handler


def drip(interval: float, size: int = 1_000_000, byte: bytes = b".", content_type: str = _TEXT) -> Handler:
    """Headers at once, then one byte every ``interval`` seconds, ``size`` bytes in all.

    Defeats per-read timeouts (each read succeeds), so only a total deadline stops it.
    ``Content-Length`` is ``size``, so the client knows the body is incomplete.
    """
    if len(byte) != 1:
        raise ValueError("drip sends one byte at a time")

    async def body() -> AsyncIterator[bytes]:
        for _ in range(size):
            await asyncio.sleep(interval)
            yield byte

    async def handler(request: Request) -> Response:
        return Response(200, [("Content-Type", content_type), ("Content-Length", str(size))], body())

    return handler


_CHUNK: Final = bytes(64 * 1024)


def huge(
    size: int = 50 * 1024 * 1024, *, declare_length: bool = True, content_type: str = "application/octet-stream"
) -> Handler:
    """A ``size``-byte body of zeros streamed in 64 KiB chunks (never held in memory).

    ``declare_length=False`` sends it chunked, so a client cannot refuse it from the headers.
    """

    async def body() -> AsyncIterator[bytes]:
        left = size
        view = memoryview(_CHUNK)
        while left > 0:
            n = min(left, len(_CHUNK))
            yield bytes(view[:n]) if n < len(_CHUNK) else _CHUNK
            left -= n

    async def handler(request: Request) -> Response:
        headers = [("Content-Type", content_type)]
        if declare_length:
            headers.append(("Content-Length", str(size)))
        return Response(200, headers, body())

    return handler


_BOMB_BLOCK: Final = 1024 * 1024
# gzip member header: magic, deflate, no flags, mtime 0, XFL 2 (best compression), OS unknown.
_GZIP_HEADER: Final = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
_DEFLATE_EMPTY_FINAL_BLOCK: Final = b"\x03\x00"  # BFINAL=1, fixed Huffman, end-of-block


@functools.cache
def _bomb_segment() -> bytes:
    """Deflate of 1 MiB of zeros ending in a full flush (~1 KB).

    A full flush byte-aligns the stream and resets the window, so the same segment can be
    repeated N times and still be a valid deflate stream of N MiB -- no GB-sized compression.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(bytes(_BOMB_BLOCK)) + compressor.flush(zlib.Z_FULL_FLUSH)


@functools.cache
def _zeros_crc32(blocks: int) -> int:
    """CRC-32 of ``blocks`` MiB of zeros (for the gzip trailer; ~0.4 s per GiB, computed once)."""
    crc = 0
    zeros = bytes(_BOMB_BLOCK)
    for _ in range(blocks):
        crc = zlib.crc32(zeros, crc)
    return crc


def gzip_bomb(size: int = 1024**3, content_type: str = _HTML) -> Handler:
    """``Content-Encoding: gzip`` body that inflates to ``size`` bytes of zeros (rounded up to MiB).

    About 1 KB on the wire per MiB inflated (~1 MB for the default 1 GiB). The stream is a valid
    gzip member; its CRC trailer is computed lazily (off the event loop) only if a client reads
    that far, which a careful client never does.
    """
    blocks = max(1, math.ceil(size / _BOMB_BLOCK))
    segment = _bomb_segment()
    length = len(_GZIP_HEADER) + blocks * len(segment) + len(_DEFLATE_EMPTY_FINAL_BLOCK) + 8
    per_write = max(1, (64 * 1024) // len(segment))

    async def body() -> AsyncIterator[bytes]:
        yield _GZIP_HEADER
        left = blocks
        while left > 0:
            n = min(left, per_write)
            yield segment * n
            left -= n
        crc = await asyncio.to_thread(_zeros_crc32, blocks)
        inflated = (blocks * _BOMB_BLOCK) & 0xFFFFFFFF
        yield _DEFLATE_EMPTY_FINAL_BLOCK + crc.to_bytes(4, "little") + inflated.to_bytes(4, "little")

    async def handler(request: Request) -> Response:
        headers = [("Content-Type", content_type), ("Content-Encoding", "gzip"), ("Content-Length", str(length))]
        return Response(200, headers, body())

    return handler


def wrong_content_length(declared: int = 1000, body: bytes = b"short body") -> Handler:
    """``Content-Length: declared`` but ``body`` sent, then the connection closed.

    Declaring more than is sent makes clients see a truncated body (a protocol error).
    """

    async def handler(request: Request) -> Response:
        headers = [("Content-Type", _TEXT), ("Content-Length", str(declared))]
        return Response(200, headers, body, close=True)

    return handler


def _raw(data: bytes) -> Handler:
    async def handler(request: Request) -> Response:
        return Response(raw=data)

    return handler


def garbage_status_line() -> Handler:
    """A status line that is not HTTP (``SPAM SPAM SPAM``), then close."""
    return _raw(b"SPAM SPAM SPAM\r\nContent-Length: 2\r\n\r\nok")


def header_without_colon() -> Handler:
    """A valid status line followed by a header line with no colon, then close."""
    return _raw(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nThis header has no colon\r\n\r\nok")


def close_mid_headers() -> Handler:
    """The connection is closed in the middle of the header block."""
    return _raw(b"HTTP/1.1 200 OK\r\nContent-Type: text/ht")


def http09_body() -> Handler:
    """An HTTP/0.9-style answer: the bare body, no status line, no headers, then close."""
    return _raw(b"<html><body>HTTP/0.9 style: no status line, no headers</body></html>\n")


def empty_reply() -> Handler:
    """Close the connection without sending a single byte."""
    return _raw(b"")


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class Seen(NamedTuple):
    """One recorded request. ``path`` is the full request target (path plus ``?query``)."""

    method: str
    path: str
    headers: dict[str, str]


class HostStats:
    """Counters of one fake host (port); reset with ``FakeWeb.reset_stats``.

    ``max_in_flight`` is the largest number of requests this host was serving at the same time
    (from the end of the request head to the last byte of the response, latency included):
    the figure a benchmark compares with the client's per-host connection limit.
    ``connections`` counts accepted TCP connections, so tests can see keep-alive reuse.
    """

    __slots__ = ("address", "connections", "in_flight", "max_in_flight", "port", "requests", "seen")

    def __init__(self, max_seen: int) -> None:
        #: The loopback address this host listens on (``127.0.0.1`` unless ``FakeWeb(addresses=...)``).
        self.address = "127.0.0.1"
        self.port = 0
        self.requests = 0
        self.connections = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.seen: deque[Seen] = deque(maxlen=max_seen)

    def __repr__(self) -> str:
        return (
            f"HostStats(port={self.port}, requests={self.requests}, connections={self.connections}, "
            f"max_in_flight={self.max_in_flight})"
        )


class _BadRequest(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _reason(code: int, given: str | None) -> str:
    if given is not None:
        return given
    if code in _STATUSES:
        return http.HTTPStatus(code).phrase
    return _EXTRA_REASONS.get(code, "Unknown")


class FakeWeb:
    """An HTTP/1.1 server on ``hosts`` random ports of 127.0.0.1, one route table per port.

    Args:
        hosts: how many ports ("hosts") to listen on.
        routes: path -> handler for every host (add more, per host, with ``route``).
        fallback: catch-all for paths without a route (default: ``not_found()``).
        latency: seconds added before every response (benchmarks: simulated network).
        host_latency: per-host override of ``latency``.
        max_seen: how many ``Seen`` entries each host keeps (oldest dropped).
        backlog: listen backlog; large so bursts of thousands of connects are not dropped.
        shutdown_timeout: upper bound on waiting for connections during ``stop``.
        addresses: optional, one loopback address per host to listen on instead of 127.0.0.1
            (e.g. ``127.0.0.2``, ... on Linux, where all of 127/8 is loopback), for clients that
            key their per-host limits by address rather than by address and port.

    Stats (``hosts[i]``, ``requests``, ``max_in_flight``, ``errors``) are plain attributes
    updated on the server loop; reading them from another thread is fine.
    """

    def __init__(
        self,
        hosts: int = 1,
        *,
        routes: Mapping[str, Handler] | None = None,
        fallback: Handler | None = None,
        latency: float = 0.0,
        host_latency: Mapping[int, float] | None = None,
        max_seen: int = 1000,
        backlog: int = 4096,
        shutdown_timeout: float = 5.0,
        addresses: Sequence[str] | None = None,
    ) -> None:
        if hosts < 1:
            raise ValueError("at least one host")
        if addresses is not None and len(addresses) != hosts:
            raise ValueError(f"{len(addresses)} addresses for {hosts} hosts")
        self._routes: list[dict[str, Handler]] = [dict(routes or {}) for _ in range(hosts)]
        default = fallback if fallback is not None else not_found()
        self._fallbacks: list[Handler] = [default] * hosts
        self._latency: list[float] = [latency] * hosts
        for index, seconds in (host_latency or {}).items():
            self._latency[index] = seconds
        self.hosts: list[HostStats] = [HostStats(max_seen) for _ in range(hosts)]
        for stats, address in zip(self.hosts, addresses or (), strict=False):
            stats.address = address
        self.requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        #: Exceptions raised by handlers (answered as 500); tests can assert it stays empty.
        self.errors: list[BaseException] = []
        self._backlog = backlog
        self._shutdown_timeout = shutdown_timeout
        self._servers: list[asyncio.Server] = []
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self._closing = False
        self._started = False

    # -- configuration ------------------------------------------------------------------------

    def _indices(self, host: int | None) -> range:
        if host is None:
            return range(len(self.hosts))
        if not 0 <= host < len(self.hosts):
            raise IndexError(f"no host {host} (have {len(self.hosts)})")
        return range(host, host + 1)

    def route(self, path: str, handler: Handler, host: int | None = None) -> None:
        """Serve ``path`` (exact target ``/a?b=1`` or bare path ``/a``) on one host or all."""
        for index in self._indices(host):
            self._routes[index][path] = handler

    def routes(self, mapping: Mapping[str, Handler], host: int | None = None) -> None:
        """``route`` for each item (e.g. the result of ``redirect_chain``)."""
        for path, handler in mapping.items():
            self.route(path, handler, host)

    def fallback(self, handler: Handler, host: int | None = None) -> None:
        """Set the catch-all of one host or all ("everything 404", "everything soft 404")."""
        for index in self._indices(host):
            self._fallbacks[index] = handler

    def set_latency(self, seconds: float, host: int | None = None) -> None:
        """Change the latency added before every response of one host or all."""
        for index in self._indices(host):
            self._latency[index] = seconds

    # -- addresses and stats ------------------------------------------------------------------

    @property
    def ports(self) -> list[int]:
        """The listening port of each host, in host order."""
        return [stats.port for stats in self.hosts]

    @property
    def addresses(self) -> list[str]:
        """The address each host listens on, in host order (all ``127.0.0.1`` by default)."""
        return [stats.address for stats in self.hosts]

    def url(self, host: int = 0, path: str = "/") -> str:
        """``http://127.0.0.1:PORT/path`` for a host (its own address if ``addresses`` was given).

        ``path`` may carry a query string.
        """
        if not self._started:
            raise RuntimeError("FakeWeb is not running: ports are chosen at start")
        (index,) = self._indices(host)
        if not path.startswith("/"):
            path = "/" + path
        return f"http://{self.hosts[index].address}:{self.hosts[index].port}{path}"

    def reset_stats(self) -> None:
        """Zero the counters and forget seen requests (in-flight counts stay: they are live)."""
        for stats in self.hosts:
            stats.requests = 0
            stats.connections = 0
            stats.max_in_flight = stats.in_flight
            stats.seen.clear()
        self.requests = 0
        self.max_in_flight = self.in_flight
        self.errors.clear()

    def summary(self) -> dict[str, object]:
        """A JSON-able snapshot of the stats, for benchmark reports."""
        return {
            "requests": self.requests,
            "max_in_flight": self.max_in_flight,
            "hosts": [
                {"port": s.port, "requests": s.requests, "connections": s.connections, "max_in_flight": s.max_in_flight}
                for s in self.hosts
            ],
            "errors": len(self.errors),
        }

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind every host to a random free port of 127.0.0.1 and start serving."""
        if self._started:
            raise RuntimeError("already started")
        try:
            for index in range(len(self.hosts)):
                server = await asyncio.start_server(
                    functools.partial(self._serve, index),
                    host=self.hosts[index].address,
                    port=0,
                    backlog=self._backlog,
                    limit=_MAX_HEAD,
                )
                self._servers.append(server)
                self.hosts[index].port = server.sockets[0].getsockname()[1]
        except BaseException:
            await self.stop()
            raise
        self._started = True

    async def stop(self) -> None:
        """Stop listening, abort open connections, wait (bounded) for their tasks to end."""
        self._closing = True
        for server in self._servers:
            server.close()
        # Let connections accepted just before close() reach _serve and see _closing.
        for _ in range(3):
            await asyncio.sleep(0)
        tasks = list(self._connections)
        for task, writer in list(self._connections.items()):
            writer.transport.abort()
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=self._shutdown_timeout)
        for server in self._servers:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.wait_closed(), self._shutdown_timeout)
        self._servers.clear()
        self._started = False

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @classmethod
    @contextlib.contextmanager
    def threaded(
        cls,
        hosts: int = 1,
        *,
        routes: Mapping[str, Handler] | None = None,
        fallback: Handler | None = None,
        latency: float = 0.0,
        host_latency: Mapping[int, float] | None = None,
        max_seen: int = 1000,
        backlog: int = 4096,
        shutdown_timeout: float = 5.0,
        start_timeout: float = 10.0,
        addresses: Sequence[str] | None = None,
    ) -> Iterator[FakeWeb]:
        """Run a ``FakeWeb`` on its own event loop in a daemon thread (sync tests, benchmarks).

        The server never shares a loop with the client, so a benchmark measures the client,
        and a sync test needs no event loop at all. Exiting stops the server and joins the
        thread, raising ``RuntimeError`` if that takes longer than ``shutdown_timeout`` + 5 s.
        """
        web = cls(
            hosts,
            routes=routes,
            fallback=fallback,
            latency=latency,
            host_latency=host_latency,
            max_seen=max_seen,
            backlog=backlog,
            shutdown_timeout=shutdown_timeout,
            addresses=addresses,
        )
        ready = threading.Event()
        failures: list[BaseException] = []
        control: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

        async def main() -> None:
            stop = asyncio.Event()
            try:
                await web.start()
            except BaseException as error:  # reported to the caller's thread
                failures.append(error)
                ready.set()
                return
            control.append((asyncio.get_running_loop(), stop))
            ready.set()
            try:
                await stop.wait()
            finally:
                await web.stop()

        thread = threading.Thread(target=asyncio.run, args=(main(),), name="fakeweb", daemon=True)
        thread.start()
        if not ready.wait(start_timeout):
            raise RuntimeError("FakeWeb thread did not start in time")
        if failures:
            thread.join(start_timeout)
            raise failures[0]
        try:
            yield web
        finally:
            loop, stop = control[0]
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(stop.set)
            thread.join(shutdown_timeout + 5.0)
            if thread.is_alive():
                raise RuntimeError("FakeWeb thread did not stop in time")

    # -- serving ------------------------------------------------------------------------------

    async def _serve(self, host: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One connection: requests in a loop while keep-alive lasts."""
        if self._closing:
            writer.transport.abort()
            return
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        self.hosts[host].connections += 1
        try:
            while await self._exchange(host, reader, writer):
                pass
            writer.close()
            # Keep the task (and so its entry) until the bytes are out; stop() can abort it.
            await asyncio.wait_for(writer.wait_closed(), self._shutdown_timeout)
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError, OSError):
            writer.transport.abort()
        except asyncio.CancelledError:
            # Only stop() cancels a connection task, and nothing awaits it but stop()'s bounded
            # wait; re-raising would make Python 3.11's StreamReaderProtocol log an error.
            writer.transport.abort()
        except Exception as error:  # a server bug: keep it visible, never kill the loop
            self.errors.append(error)
            writer.transport.abort()
        finally:
            self._connections.pop(task, None)

    async def _read_request(self, host: int, reader: asyncio.StreamReader) -> Request | None:
        """Parse one request; ``None`` on a clean EOF between requests."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as error:
            if error.partial.strip():
                raise _BadRequest(400, "truncated request head") from None
            return None
        except asyncio.LimitOverrunError:
            raise _BadRequest(431, "request head too large") from None
        lines = head.decode("latin-1").lstrip("\r\n").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _BadRequest(400, f"bad request line {lines[0]!r}")
        method, target, version = parts
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, colon, value = line.partition(":")
            if not colon or not name or name != name.strip():
                raise _BadRequest(400, f"bad header line {line!r}")
            key = name.lower()
            value = value.strip()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        if "chunked" in headers.get("transfer-encoding", "").lower():
            raise _BadRequest(501, "chunked request bodies are not supported")
        body = b""
        if "content-length" in headers:
            try:
                length = int(headers["content-length"])
            except ValueError:
                raise _BadRequest(400, "bad Content-Length") from None
            if length < 0:
                raise _BadRequest(400, "bad Content-Length")
            if length > _MAX_BODY:
                raise _BadRequest(413, "request body too large")
            body = await reader.readexactly(length)
        path, _, query = target.partition("?")
        return Request(method, target, path, query, version, headers, body, host, self)

    async def _exchange(self, host: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Read one request, answer it; return whether the connection stays open."""
        try:
            request = await self._read_request(host, reader)
        except _BadRequest as error:
            message = str(error).encode()
            head = f"HTTP/1.1 {error.code} {_reason(error.code, None)}\r\nContent-Length: {len(message)}\r\n"
            writer.write(head.encode() + b"Connection: close\r\n\r\n" + message)
            await writer.drain()
            return False
        if request is None:
            return False
        stats = self.hosts[host]
        stats.requests += 1
        self.requests += 1
        stats.seen.append(Seen(request.method, request.target, request.headers))
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self._latency[host] > 0:
                await asyncio.sleep(self._latency[host])
            routes = self._routes[host]
            handler = routes.get(request.target) or routes.get(request.path) or self._fallbacks[host]
            try:
                response = await handler(request)
            except Exception as error:  # a broken handler is a test bug: answer 500, record it
                self.errors.append(error)
                response = Response(500, [("Content-Type", _TEXT)], f"handler failed: {error!r}".encode(), close=True)
            return await self._send(request, response, writer)
        finally:
            stats.in_flight -= 1
            self.in_flight -= 1

    async def _send(self, request: Request, response: Response, writer: asyncio.StreamWriter) -> bool:
        """Write a response with back-pressure; return whether keep-alive continues."""
        body = response.body
        try:
            if response.raw is not None:
                writer.write(response.raw)
                await writer.drain()
                return False
            connection = request.headers.get("connection", "").lower()
            # HTTP/1.0 closes unless asked to keep alive; HTTP/1.1 keeps alive unless asked to close.
            persistent = "keep-alive" in connection if request.version == "HTTP/1.0" else "close" not in connection
            keep_alive = persistent and not response.close
            headers = list(response.headers)
            bodiless = response.status < 200 or response.status in (204, 304)
            has_length = _has(headers, "content-length")
            chunked = any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in headers)
            if isinstance(body, bytes):
                if not has_length and not chunked and not bodiless:
                    headers.append(("Content-Length", str(len(body))))
            elif not has_length and not chunked and not bodiless:
                headers.append(("Transfer-Encoding", "chunked"))
                chunked = True
            if not keep_alive:
                headers.append(("Connection", "close"))
            elif request.version == "HTTP/1.0":
                headers.append(("Connection", "keep-alive"))
            lines = [f"HTTP/1.1 {response.status} {_reason(response.status, response.reason)}"]
            lines.extend(f"{name}: {value}" for name, value in headers)
            head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
            send_body = request.method != "HEAD" and not bodiless
            if isinstance(body, bytes):
                writer.write(head + body if send_body else head)
                await writer.drain()
                return keep_alive
            writer.write(head)
            await writer.drain()
            if send_body:
                async for chunk in body:
                    if writer.is_closing():
                        raise ConnectionResetError("client went away")
                    if chunked:
                        if chunk:
                            writer.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
                    else:
                        writer.write(chunk)
                    await writer.drain()
                if chunked:
                    writer.write(b"0\r\n\r\n")
                    await writer.drain()
            return keep_alive
        finally:
            if inspect.isasyncgen(body):
                await body.aclose()
