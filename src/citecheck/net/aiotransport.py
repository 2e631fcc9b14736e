"""The default HTTP stack: httpx's client API over aiohttp's connection pool, with the address guard.

Why: httpcore's pool walks every connection for every queued request, so its cost grows with
the number of hosts and connections a run keeps open; at a few hundred connections a link
check became CPU-bound inside the pool (see docs/performance.md). aiohttp's connector keeps a
table of idle connections per host, so a request costs the same at 10 connections or 2,000.
Callers keep httpx (``httpx.AsyncClient``, its ``Response``, pytest-httpx in tests): only the
transport under the client changes.

The guard holds as in :class:`~citecheck.net.guard.SafeAsyncTransport`:

* a host that is an address (in any spelling browsers accept) is checked before anything is
  sent, and the connection goes to that address;
* a name is resolved by :class:`_GuardedResolver` (our resolver, every address checked); the
  connector connects only to the addresses it returned, so there is no second lookup for DNS
  rebinding to race; aiohttp caches those (checked) answers for a few seconds;
* redirects are never followed here (the checker follows them hop by hop, each hop checked);
* no proxy, no environment, no cookie jar of the pool's own.

Errors come out as the httpx exceptions the rest of the project classifies (``ConnectError``,
``ConnectTimeout``, ``ReadTimeout``, ``RemoteProtocolError``, ...), and the guard's own
(:class:`~citecheck.net.guard.AddressRefused`, :class:`~citecheck.net.guard.NameNotFound`,
:class:`~citecheck.net.guard.NameNotResolved`) come out unchanged.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

import aiohttp
import httpcore
import httpx
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from ..core.errors import UsageError
from .guard import (
    AddressPolicy,
    AddressRefused,
    NameNotResolved,
    Resolver,
    SafeAsyncTransport,
    check_resolved,
    literal_address,
    resolve_checked,
    system_resolver,
)

__all__ = ["GuardedAiohttpTransport", "refuse_unguarded"]

#: Longest response header line and field accepted (aiohttp's default of 8 KiB refuses real
#: sites with big cookies; httpx accepted up to 64 KiB of headers).
_MAX_HEADER_LINE = 64 * 1024
#: How long a checked DNS answer is reused by the pool, in seconds.
_DNS_TTL = 10


class _Refused(OSError):
    """Carries a guard error through aiohttp's connector, which only lets OSErrors out of a resolver."""

    def __init__(self, error: httpx.TransportError) -> None:
        super().__init__(str(error))
        self.error = error


class _GuardedResolver(AbstractResolver):
    """aiohttp resolver that answers only with addresses the policy allows (all of them checked)."""

    def __init__(self, policy: AddressPolicy, resolver: Resolver, timeout: float | None) -> None:
        self._policy = policy
        self._resolver = resolver
        self._timeout = timeout

    async def resolve(self, host: str, port: int = 0, family: Any = 0) -> list[ResolveResult]:
        try:
            addresses = await resolve_checked(self._policy, self._resolver, host, port, self._timeout)
        except (AddressRefused, NameNotResolved) as exc:
            raise _Refused(exc) from exc
        except httpcore.ConnectTimeout as exc:
            raise _Refused(httpx.ConnectTimeout(str(exc))) from exc
        return [
            {
                "hostname": host,
                "host": str(address),
                "port": port,
                "family": socket.AF_INET6 if address.version == 6 else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
            for address in addresses
        ]

    async def close(self) -> None:
        return None


class _Body:
    """An aiohttp response body as httpcore's stream; closing it gives the connection back (or drops it)."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except aiohttp.ClientPayloadError as exc:
            raise httpcore.RemoteProtocolError(str(exc) or "the body ended early") from exc
        except TimeoutError as exc:
            raise httpcore.ReadTimeout(str(exc) or "reading the body timed out") from exc
        except aiohttp.ClientError as exc:
            raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        # An unfinished body closes the connection; a finished one returns it to the pool.
        self._response.release()


class _AiohttpPool:
    """What httpx's transport asks of httpcore's pool (a request in, a response out), done by aiohttp."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        resolver: Resolver,
        ssl_context: ssl.SSLContext | bool,
        limits: httpx.Limits,
        dns_timeout: float | None,
    ) -> None:
        self.policy = policy
        self._resolver = resolver
        self._ssl = ssl_context
        self._dns_timeout = dns_timeout
        self._limit = limits.max_connections or 0
        self._keepalive = limits.keepalive_expiry if limits.keepalive_expiry is not None else 5.0
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _open(self) -> aiohttp.ClientSession:
        """The pool, made on first use inside the running loop (aiohttp binds it to that loop)."""
        loop = asyncio.get_running_loop()
        if self._session is not None and not self._session.closed:
            if self._loop is not loop:
                raise RuntimeError("GuardedAiohttpTransport is bound to the event loop it was first used in")
            return self._session
        connector = aiohttp.TCPConnector(
            limit=self._limit,
            limit_per_host=0,
            ssl=self._ssl,
            resolver=_GuardedResolver(self.policy, self._resolver, self._dns_timeout),
            ttl_dns_cache=_DNS_TTL,
            keepalive_timeout=self._keepalive,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,  # the caller reads raw bytes and decompresses with a bound
            trust_env=False,
            timeout=aiohttp.ClientTimeout(total=None),
            max_line_size=_MAX_HEADER_LINE,
            max_field_size=_MAX_HEADER_LINE,
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
        )
        self._loop = loop
        return self._session

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        url = _target(request.url, self.policy)
        session = self._open()
        timeouts = request.extensions.get("timeout", {})
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=timeouts.get("connect"), sock_read=timeouts.get("read")
        )
        body = b"".join([part async for part in request.stream]) if isinstance(request.stream, AsyncIterable) else b""
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers]
        try:
            response = await session.request(
                request.method.decode("ascii"),
                url,
                headers=headers,
                data=body or None,
                allow_redirects=False,
                timeout=timeout,
            )
        except aiohttp.ClientConnectorDNSError as exc:
            if isinstance(exc.os_error, _Refused):
                raise exc.os_error.error from None
            raise NameNotResolved(url.host or "", exc.os_error) from exc
        except aiohttp.ConnectionTimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc) or "connecting timed out") from exc
        except TimeoutError as exc:
            raise httpcore.ReadTimeout(str(exc) or "waiting for the answer timed out") from exc
        except aiohttp.ClientConnectorError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        except aiohttp.ServerDisconnectedError as exc:
            raise httpcore.RemoteProtocolError(str(exc) or "the server closed the connection") from exc
        except aiohttp.ClientResponseError as exc:
            raise httpcore.RemoteProtocolError(exc.message or "not a valid HTTP answer") from exc
        except aiohttp.InvalidURL as exc:
            raise httpcore.ConnectError(f"cannot connect to {url.host!r}: {exc}") from exc
        except aiohttp.ClientOSError as exc:
            raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc
        except aiohttp.ClientError as exc:
            raise httpcore.RemoteProtocolError(str(exc) or type(exc).__name__) from exc
        version = response.version
        return httpcore.Response(
            status=response.status,
            headers=list(response.raw_headers),
            content=_Body(response),
            extensions={
                "http_version": f"HTTP/{version.major}.{version.minor}".encode() if version else b"HTTP/1.1",
                "reason_phrase": (response.reason or "").encode("latin-1", "replace"),
            },
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> _AiohttpPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class GuardedAiohttpTransport(httpx.AsyncHTTPTransport):
    """``httpx.AsyncHTTPTransport`` on aiohttp's pool, connecting only to addresses ``policy`` allows.

    Being an ``AsyncHTTPTransport`` keeps httpx's request and error mapping (and pytest-httpx,
    which mocks that class) working; like :class:`~citecheck.net.guard.SafeAsyncTransport` it
    installs its own pool as ``self._pool``, the one private httpx attribute used (checked).
    ``limits.max_connections`` bounds connections in use (None: no bound, the caller's own
    limits apply) and ``limits.keepalive_expiry`` how long an idle one is kept. ``resolver``
    is the seam for tests (default :func:`~citecheck.net.guard.system_resolver`).
    """

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        resolver: Resolver | None = None,
        verify: ssl.SSLContext | bool = True,
        limits: httpx.Limits | None = None,
        dns_timeout: float | None = 10.0,
    ) -> None:
        ssl_context = httpx.create_ssl_context(verify=verify) if verify is not False else False
        limits = limits or httpx.Limits(max_connections=None, keepalive_expiry=5.0)
        super().__init__(verify=ssl_context or False, trust_env=False, limits=httpx.Limits(max_connections=1))
        if not isinstance(getattr(self, "_pool", None), httpcore.AsyncConnectionPool):
            raise RuntimeError("httpx internals changed: cannot install the address-checking connection pool")
        self.policy = policy
        resolver = resolver or system_resolver
        pool = _AiohttpPool(policy, resolver=resolver, ssl_context=ssl_context, limits=limits, dns_timeout=dns_timeout)
        self._pool: Any = pool


def _target(url: httpcore.URL, policy: AddressPolicy) -> URL:
    """The URL aiohttp connects to: as httpx encoded it, with an address host checked and canonical.

    aiohttp never asks the resolver about a host that looks like an address, so literal
    addresses are checked here; a legacy spelling (``2130706433``) is sent to the address it
    means, keeping the Host header as written.
    """
    host = url.host.decode("ascii")
    address = literal_address(host)
    if address is not None:
        check_resolved(policy, host, [address])
        host = str(address)
    if ":" in host:
        host = f"[{host}]"
    scheme = url.scheme.decode("ascii")
    port = f":{url.port}" if url.port is not None else ""
    return URL(f"{scheme}://{host}{port}{url.target.decode('ascii')}", encoded=True)


def refuse_unguarded(*, client: httpx.AsyncClient | None, transport: httpx.AsyncBaseTransport | None) -> None:
    """Raise :class:`UsageError` if a caller's stack could connect to private addresses unchecked.

    A client is looked into (httpx keeps its transport and mounts in private attributes): when
    they cannot be seen, the client counts as unguarded, so a change in httpx fails closed.
    """
    if transport is not None and not _guarded(transport):
        raise UsageError(
            f"{type(transport).__name__} does not check addresses: links citing private or internal "
            "addresses would be fetched. Use citecheck's GuardedAiohttpTransport, or pass "
            "allow_unguarded=True if this stack is safe where it runs."
        )
    if client is None:
        return
    inner = getattr(client, "_transport", None)
    mounts = getattr(client, "_mounts", None)
    if inner is None or mounts is None or not _guarded(inner) or any(m is not None for m in mounts.values()):
        raise UsageError(
            "this httpx client's connections are not checked against private addresses: build it with "
            "transport=GuardedAiohttpTransport(policy), pass headers in the options instead of a client, "
            "or pass allow_unguarded=True if the client is safe where it runs."
        )


def _guarded(transport: httpx.AsyncBaseTransport) -> bool:
    """Whether every connection ``transport`` makes meets the address guard (or it makes none)."""
    return isinstance(transport, GuardedAiohttpTransport | SafeAsyncTransport | httpx.MockTransport)
