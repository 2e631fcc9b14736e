"""The polite retry loop: one request to a rate-limited service, asked again while it is busy.

Every attempt waits for the endpoint's :class:`~citecheck.net.limits.RateLimiter`. A busy
answer (429/503) defers that limiter by its ``Retry-After`` (so every task using the endpoint
backs off, not only this one), then the attempt is repeated after a random jitter of up to
``2**attempt`` seconds (so tasks released by one embargo do not arrive together), a bounded
number of times. A Retry-After longer than the policy's cap is recorded but not waited for.
Transient network failures are retried the same way when the policy says so.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypedDict, Unpack

import httpx

from .body import read_bounded
from .exchange import retry_after_seconds
from .limits import RateLimiter

__all__ = [
    "BUSY",
    "MAX_RETRY_AFTER",
    "Reply",
    "RequestOptions",
    "RetryPolicy",
    "any_http_error",
    "is_transient",
    "never",
    "polite_request",
]

_log = logging.getLogger(__name__)

#: Statuses that mean "too busy, come back later" rather than "no".
BUSY = frozenset({429, 503})

#: A Retry-After longer than this is not waited out inside one run: the embargo is recorded on
#: the limiter and the busy answer returned (the next run tries again).
MAX_RETRY_AFTER = 300.0

Sleep = Callable[[float], Awaitable[None]]
#: Which failures of a request are worth another attempt.
RetryOn = Callable[[Exception], bool]


def is_transient(error: Exception) -> bool:
    """A network failure that may pass (timeouts, refused or dropped connections)."""
    return isinstance(error, httpx.TransportError) and not isinstance(error, httpx.UnsupportedProtocol)


def any_http_error(error: Exception) -> bool:
    """Every httpx failure of the exchange (not a malformed URL)."""
    return isinstance(error, httpx.HTTPError)


def never(error: Exception) -> bool:
    """No failure is retried: for requests that must not be sent twice (a capture request)."""
    return False


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How patiently one client asks: extra attempts, what is retried, the jitter's sleep and dice."""

    retries: int = 2
    retry_on: RetryOn = is_transient
    #: None: every Retry-After is waited out (through the limiter).
    max_retry_after: float | None = MAX_RETRY_AFTER
    sleep: Sleep = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random)

    def jitter(self, attempt: int) -> float:
        """Seconds to pause after failed attempt ``attempt`` (0-based)."""
        return self.rng.uniform(0.0, float(2**attempt))


@dataclass(frozen=True, slots=True)
class Reply:
    """A complete, bounded answer, read so the connection could be released."""

    status: int
    headers: httpx.Headers
    body: bytes
    #: The URL that answered (after redirects, when they were followed).
    url: str
    #: The charset the Content-Type names, if any.
    charset: str | None = None
    #: Requests sent to get it.
    attempts: int = 1


def _every_body(status: int) -> bool:
    return True


class RequestOptions(TypedDict, total=False):
    """What one request sends, and which answers' bodies are read (default: every one)."""

    params: Sequence[tuple[str, str]] | None
    data: Mapping[str, str] | None
    headers: Mapping[str, str] | None
    follow_redirects: bool
    read_body: Callable[[int], bool]


async def polite_request(
    client: httpx.AsyncClient,
    limiter: RateLimiter,
    method: str,
    url: str,
    *,
    policy: RetryPolicy,
    max_bytes: int,
    what: str = "",
    **request: Unpack[RequestOptions],
) -> Reply:
    """One request at the endpoint's pace, retried while busy or (per ``policy``) failing.

    Returns the first answer that is not busy, with its body when ``read_body(status)``, or
    the last busy answer when the attempts run out (the caller classifies it). Raises the last
    httpx error when the failure is not retried or the attempts run out, and
    :class:`~citecheck.net.body.BodyTooLarge` for a body over ``max_bytes``. ``what`` names the
    service in log lines.
    """
    params = request.get("params")
    query = httpx.QueryParams(list(params)) if params else None  # None: a URL's own query is sent as written
    read_body = request.get("read_body", _every_body)
    attempt = 0
    while True:
        try:
            async with (
                limiter.slot(),
                client.stream(
                    method,
                    url,
                    params=query,
                    data=request.get("data"),
                    headers=request.get("headers"),
                    follow_redirects=request.get("follow_redirects", False),
                ) as response,
            ):
                status = response.status_code
                busy = status in BUSY
                body = await read_bounded(response, max_bytes) if not busy and read_body(status) else b""
                reply = Reply(status, response.headers, body, str(response.url), response.charset_encoding, attempt + 1)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            if attempt >= policy.retries or not policy.retry_on(exc):
                raise
            failure = type(exc).__name__
        else:
            if not busy:
                return reply
            wait = retry_after_seconds(reply.headers.get("retry-after"))
            limiter.defer(wait)  # every request to this endpoint waits, not only this one
            too_long = policy.max_retry_after is not None and wait is not None and wait > policy.max_retry_after
            if attempt >= policy.retries or too_long:
                return reply
            failure = f"HTTP {status}"
        delay = policy.jitter(attempt)
        attempt += 1
        _log.info("%s: %s failed (%s); attempt %d in %.1f s", what or method, url, failure, attempt + 1, delay)
        await policy.sleep(delay)
