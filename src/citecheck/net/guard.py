"""Refuse to fetch private addresses: the SSRF guard of the network checks.

A document can cite anything, including ``http://169.254.169.254/`` or a name whose DNS
answer is ``10.0.0.1``. The checker must not turn such a citation into a request into the
network it runs in. The rule is enforced where it cannot be dodged: on the address the
socket actually connects to.

* :class:`AddressPolicy` says which addresses are refused (private, loopback, link-local,
  CGNAT, reserved, multicast, documentation, ... in IPv4 and IPv6, and IPv4 addresses
  embedded in IPv6) and which networks the caller opted in to.
* :func:`literal_address` reads a URL host the way browsers do (WHATWG URL standard), so
  ``http://2130706433/``, ``http://0x7f.1/`` and ``http://[::ffff:7f00:1]/`` are all
  127.0.0.1.
* :func:`safe_transport` is an httpx transport whose TCP connects resolve the name
  themselves, check **every** address of the answer, and connect to a checked address
  (never to the name, so there is no second lookup for DNS rebinding to race). TLS still
  uses the URL's host name for SNI and certificate checks: httpcore passes the origin host
  as ``server_hostname`` to ``start_tls``, whatever address the TCP stream went to.
* :func:`check_url_host` is a cheap pre-check (no DNS) for hosts that are addresses.

Decisions:

* A name with any refused address is refused, even if another address is public: the
  outcome must not depend on answer order, and a public name resolving to a private
  address is the signature of rebinding or of an internal host.
* Proxies are out of scope: through a proxy we cannot see the address connected to, so
  :func:`safe_transport` refuses proxy settings. httpx clients ignore proxy environment
  variables when given an explicit transport, which is how this one is used.
* IPv6 zone ids (``fe80::1%eth0``) are accepted and ignored for the check (the scope does
  not change what the address is); they are kept for the connect.
* Asyncio only: resolution uses ``loop.getaddrinfo``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import re
import socket
import ssl
import time
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import TypedDict, Unpack
from urllib.parse import unquote

import httpcore
import httpx

__all__ = [
    "AddressPolicy",
    "AddressRefused",
    "NameNotFound",
    "NameNotResolved",
    "Resolver",
    "SafeAsyncTransport",
    "TransportOptions",
    "check_resolved",
    "check_url_host",
    "literal_address",
    "resolve_checked",
    "safe_transport",
    "system_resolver",
]

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

# What httpx accepts for ``verify`` and ``cert`` (httpx._types is private).
_Verify = ssl.SSLContext | str | bool
_Cert = str | tuple[str, str] | tuple[str, str, str]

#: ``async resolver(host, port) -> addresses`` (IP strings, best first). Raises socket.gaierror.
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

# Refused IPv4 ranges, first match wins (IANA special-purpose registry, RFC 6890 and later).
_V4_RANGES: tuple[tuple[IPv4Network, str], ...] = tuple(
    (IPv4Network(net), reason)
    for net, reason in (
        ("0.0.0.0/8", "unspecified"),  # "this network"; 0.0.0.0 reaches this host on Linux
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "cgnat"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),  # includes cloud metadata 169.254.169.254
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved"),  # IETF protocol assignments (DS-Lite, NAT64 discovery)
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "reserved"),  # deprecated 6to4 relay anycast
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmark"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("255.255.255.255/32", "broadcast"),
        ("240.0.0.0/4", "reserved"),
    )
)

# Refused IPv6 ranges, after the special cases handled in _classify_v6.
_V6_RANGES: tuple[tuple[IPv6Network, str], ...] = tuple(
    (IPv6Network(net), reason)
    for net, reason in (
        ("64:ff9b:1::/48", "private"),  # local-use NAT64 (RFC 8215)
        ("100::/64", "reserved"),  # discard-only
        ("2001::/23", "reserved"),  # IETF protocol assignments, Teredo, ORCHID
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),  # RFC 9637
        ("5f00::/16", "reserved"),  # SRv6 SIDs (RFC 9602)
        ("fc00::/7", "private"),  # unique-local
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    )
)
_V6_GLOBAL_UNICAST = IPv6Network("2000::/3")
_V6_MAPPED = IPv6Network("::ffff:0:0/96")
_V6_COMPATIBLE = IPv6Network("::/96")
_V6_NAT64 = IPv6Network("64:ff9b::/96")
_V6_6TO4 = IPv6Network("2002::/16")


def _classify_v4(address: IPv4Address) -> str | None:
    for network, reason in _V4_RANGES:
        if address in network:
            return reason
    return None


def _classify_v6(address: IPv6Address) -> str | None:
    if address == IPv6Address("::"):
        return "unspecified"
    if address == IPv6Address("::1"):
        return "loopback"
    # IPv4 embedded in IPv6: judged by the IPv4 address, which is where the packets go.
    if address in _V6_MAPPED:
        return _classify_v4(IPv4Address(int(address) & 0xFFFFFFFF))
    if address in _V6_COMPATIBLE:  # deprecated, never routed
        return _classify_v4(IPv4Address(int(address))) or "reserved"
    if address in _V6_NAT64:
        return _classify_v4(IPv4Address(int(address) & 0xFFFFFFFF))
    if address in _V6_6TO4:
        return _classify_v4(IPv4Address((int(address) >> 80) & 0xFFFFFFFF))
    for network, reason in _V6_RANGES:
        if address in network:
            return reason
    if address not in _V6_GLOBAL_UNICAST:  # the rest of the space is unallocated
        return "reserved"
    return None


def _unscoped(address: IPAddress) -> IPAddress:
    """The address without an IPv6 zone id, which does not change what it is."""
    if isinstance(address, IPv6Address) and address.scope_id is not None:
        return IPv6Address(int(address))
    return address


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses may be connected to. The default refuses every non-public address.

    ``allow_private`` opts in to everything (a checker run inside a trusted network);
    ``allow_networks`` opts in to just those networks (tests reach 127.0.0.0/8 while
    169.254.169.254 and 10.0.0.0/8 stay refused).
    """

    allow_private: bool = False
    allow_networks: tuple[IPNetwork, ...] = field(default=())

    def __post_init__(self) -> None:
        networks = tuple(self.allow_networks)  # accept any iterable, store a hashable tuple
        for network in networks:
            if not isinstance(network, IPv4Network | IPv6Network):
                raise TypeError(f"allow_networks takes ipaddress networks, not {network!r}")
        object.__setattr__(self, "allow_networks", networks)

    @classmethod
    def from_strings(cls, *, allow_private: bool = False, allow_networks: Iterable[str] = ()) -> AddressPolicy:
        """Build a policy from configuration text: CIDRs like ``127.0.0.0/8`` or single addresses."""
        networks: list[IPNetwork] = []
        for text in allow_networks:
            cidr = text.strip()
            try:
                networks.append(ipaddress.ip_network(cidr, strict=True))
            except ValueError as exc:
                hint = ""
                with contextlib.suppress(ValueError):  # host bits set: suggest the network
                    hint = f"; did you mean {ipaddress.ip_network(cidr, strict=False)}?"
                raise ValueError(f"allow_networks: {text!r} is not a network address ({exc}){hint}") from None
        return cls(allow_private=allow_private, allow_networks=tuple(networks))

    def trusting(self, urls: Iterable[str]) -> AddressPolicy:
        """This policy, plus the addresses the operator named in ``urls`` (configured endpoints).

        An endpoint given as an IP literal (a self-hosted pywb at ``http://127.0.0.1:8080``) or as
        ``localhost`` is allowed as written; one given by name must resolve to a public address,
        or be covered by ``allow_networks``, like any other target.
        """
        networks = list(self.allow_networks)
        for url in urls:
            host = url_host(url)
            if host is not None and host.lower().rstrip(".") == "localhost":
                networks += [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")]
                continue
            address = None if host is None else literal_address(host)
            if address is not None:
                networks.append(ipaddress.ip_network(_unscoped(address)))
        return AddressPolicy(allow_private=self.allow_private, allow_networks=tuple(dict.fromkeys(networks)))

    def refusal(self, address: IPAddress) -> str | None:
        """Why ``address`` is refused (a short reason such as ``"loopback"``), or None if allowed."""
        if self.allow_private:
            return None
        address = _unscoped(address)
        if self._allowed(address):
            return None
        if isinstance(address, IPv4Address):
            return _classify_v4(address)
        return _classify_v6(address)

    def _allowed(self, address: IPAddress) -> bool:
        candidates: list[IPAddress] = [address]
        if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)  # the same socket address, spelt as IPv6
        return any(candidate in network for candidate in candidates for network in self.allow_networks)


# --- Reading hosts ------------------------------------------------------------------------

_RADIX_DIGITS = {10: frozenset("0123456789"), 16: frozenset("0123456789abcdef"), 8: frozenset("01234567")}
# Full stops that IDNA (UTS 46) maps to '.', after NFKC has folded the fullwidth ones.
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


def _ipv4_number(part: str) -> int | None:
    """WHATWG "IPv4 number parser": decimal, ``0x`` hex or ``0`` octal; ``0x`` alone is 0."""
    if not part:
        return None
    radix = 10
    if len(part) >= 2 and part[0] == "0" and part[1] == "x":
        part, radix = part[2:], 16
    elif len(part) >= 2 and part[0] == "0":
        part, radix = part[1:], 8
    if not part:
        return 0
    if not set(part) <= _RADIX_DIGITS[radix]:
        return None
    significant = part.lstrip("0") or "0"
    if len(significant) > 12:  # too big for any part; also keeps int() away from huge strings
        return 1 << 64
    return int(significant, radix)


def _parse_ipv4(host: str) -> IPv4Address | None:
    """WHATWG "IPv4 parser" (1 to 4 parts, the last one filling the remaining bytes)."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()  # one trailing dot is allowed: "127.0.0.1."
    if len(parts) > 4:
        return None
    numbers: list[int] = []
    for part in parts:
        number = _ipv4_number(part)
        if number is None:
            return None
        numbers.append(number)
    if any(number > 255 for number in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        return None
    value = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        value += number << (8 * (3 - index))
    return IPv4Address(value)


def _parse_ipv6(text: str) -> IPv6Address | None:
    try:
        return IPv6Address(unquote(text))  # a zone id may be percent-encoded: fe80::1%25eth0
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)  # hosts repeat across a run's URLs; parsing one costs microseconds
def literal_address(host: str) -> IPAddress | None:
    """The address a URL host spells, in any spelling browsers accept; None for a DNS name.

    >>> literal_address("0x7f.1"), literal_address("2130706433"), literal_address("127.0.0.1.")
    (IPv4Address('127.0.0.1'), IPv4Address('127.0.0.1'), IPv4Address('127.0.0.1'))
    >>> literal_address("[::ffff:7f00:1]"), literal_address("example.com")
    (IPv6Address('::ffff:7f00:1'), None)

    Hosts that look numeric but are invalid in a URL (``999.1.1.1``, ``1.2.3.4.5``) are not
    addresses: None. That is safe because the transport resolves every non-literal host and
    checks the answer.
    """
    if host.startswith("[") and host.endswith("]"):
        return _parse_ipv6(host[1:-1])
    if ":" in host:  # httpx hands over IPv6 hosts without brackets
        return _parse_ipv6(host)
    # WHATWG host parsing: percent-decode, then IDNA mapping (NFKC folds fullwidth digits).
    text = unicodedata.normalize("NFKC", unquote(host)).translate(_DOTS).lower()
    if not text.isascii():
        return None
    return _parse_ipv4(text)


# Authority of an http(s) URL as browsers split it ('\\' ends it like '/').
_AUTHORITY = re.compile(r"\s*https?:[/\\]*([^/\\?#]*)", re.IGNORECASE)
_PORT = re.compile(r":[0-9]*\Z")


def url_host(url: str) -> str | None:
    """The host of an http(s) URL as written (brackets kept around IPv6), without user or port."""
    match = _AUTHORITY.match(url)
    if match is None:
        return None
    host = match.group(1).rpartition("@")[2]
    if not host.startswith("["):
        return _PORT.sub("", host)
    return host[: host.index("]") + 1] if "]" in host else host


def check_url_host(url: str, policy: AddressPolicy) -> str | None:
    """Refusal reason for a URL whose host is a literal address; None otherwise (no DNS).

    A cheap pre-check before scheduling a request; the transport checks again, after DNS.
    """
    host = url_host(url)
    address = None if host is None else literal_address(host)
    return None if address is None else policy.refusal(address)


# --- Errors -------------------------------------------------------------------------------


class AddressRefused(httpx.ConnectError):
    """The host is, or resolves to, an address the policy refuses; nothing was sent."""

    def __init__(self, host: str, address: IPAddress, reason: str) -> None:
        super().__init__(f"refused to connect to {host!r}: {address} is not a public address ({reason})")
        self.host = host
        self.address = address
        self.reason = reason


class NameNotResolved(httpx.ConnectError):
    """DNS gave no address for the host; unless a :class:`NameNotFound`, maybe temporarily.

    ``code`` is the ``socket.gaierror`` errno (e.g. ``socket.EAI_AGAIN``) and ``error`` the
    exception itself: httpcore's pool re-raises ``from None``, so ``__cause__`` is not kept.
    """

    def __init__(self, host: str, error: BaseException | None, detail: str = "") -> None:
        super().__init__(f"cannot resolve {host!r}: {detail or error or 'no addresses'}")
        self.host = host
        self.error = error
        self.code: int | None = error.errno if isinstance(error, OSError) else None


class NameNotFound(NameNotResolved):
    """The name does not exist (NXDOMAIN, or no address records): a broken link, not an outage."""


_NOT_FOUND_CODES = frozenset(
    code for code in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", None)) if code is not None
)


# --- Resolving and connecting -------------------------------------------------------------


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the system resolver (getaddrinfo); IPv6 link-local keeps its zone id."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for family, _type, _proto, _name, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(sockaddr[0], str):
            continue
        address = sockaddr[0]
        if family == socket.AF_INET6 and len(sockaddr) == 4 and sockaddr[3] and "%" not in address:
            address = f"{address}%{sockaddr[3]}"
        if address not in addresses:
            addresses.append(address)
    return addresses


def check_resolved(policy: AddressPolicy, host: str, addresses: Iterable[IPAddress]) -> None:
    """Raise :class:`AddressRefused` if any of ``addresses`` is refused: all are checked before any connect."""
    for address in addresses:
        reason = policy.refusal(address)
        if reason is not None:
            raise AddressRefused(host, address, reason)


async def resolve_checked(
    policy: AddressPolicy, resolver: Resolver, host: str, port: int, timeout: float | None
) -> list[IPAddress]:
    """The addresses of ``host``, every one allowed by ``policy`` (else :class:`AddressRefused`).

    Failures come out as :class:`NameNotFound` (the name does not exist), :class:`NameNotResolved`
    (maybe temporary) or ``httpcore.ConnectTimeout``.
    """
    try:
        async with asyncio.timeout(timeout):
            answers = await resolver(host, port)
    except TimeoutError:
        raise httpcore.ConnectTimeout(f"resolving {host!r} timed out") from None
    except socket.gaierror as exc:
        if exc.errno in _NOT_FOUND_CODES:
            raise NameNotFound(host, exc) from exc
        raise NameNotResolved(host, exc) from exc
    except UnicodeError as exc:  # not a valid DNS name (e.g. a label over 63 characters)
        raise NameNotFound(host, exc, "not a valid DNS name") from exc
    except OSError as exc:
        raise NameNotResolved(host, exc) from exc
    addresses: list[IPAddress] = []
    for answer in answers:
        try:
            addresses.append(ipaddress.ip_address(answer))
        except ValueError:
            raise NameNotResolved(host, None, f"resolver returned {answer!r}") from None
    if not addresses:
        raise NameNotFound(host, None, "no addresses")
    check_resolved(policy, host, addresses)
    return addresses


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Network backend that resolves and checks hosts, then connects to the checked address."""

    def __init__(self, policy: AddressPolicy, resolver: Resolver, inner: httpcore.AsyncNetworkBackend) -> None:
        self._policy = policy
        self._resolver = resolver
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        deadline = None if timeout is None else time.monotonic() + timeout
        literal = literal_address(host)
        if literal is not None:
            addresses: list[IPAddress] = [literal]
            check_resolved(self._policy, host, addresses)
        else:
            addresses = await resolve_checked(self._policy, self._resolver, host, port, timeout)
        error: httpcore.ConnectError | None = None
        for address in addresses:  # in resolver order; the next one only if a connect fails
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise httpcore.ConnectTimeout(f"connecting to {host!r} timed out")
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout=remaining, local_address=local_address, socket_options=socket_options
                )
            except httpcore.ConnectError as exc:
                error = exc
        raise error or httpcore.ConnectError(f"no address to connect to for {host!r}")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Never: a Unix socket is a local endpoint by definition."""
        raise httpx.ConnectError(f"refused to connect to Unix socket {path!r}")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


_DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


class SafeAsyncTransport(httpx.AsyncHTTPTransport):
    """``httpx.AsyncHTTPTransport`` whose connections go through the address policy.

    httpx has no public way to give its pool a network backend, so this builds the
    ``httpcore.AsyncConnectionPool`` itself (public httpcore API) and installs it as
    ``self._pool`` (the one private httpx attribute used; checked, so a rename fails closed).
    """

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        resolver: Resolver | None = None,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
        verify: _Verify = True,
        cert: _Cert | None = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits = _DEFAULT_LIMITS,
        local_address: str | None = None,
        retries: int = 0,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> None:
        ssl_context = httpx.create_ssl_context(verify=verify, cert=cert, trust_env=trust_env)
        super().__init__(verify=ssl_context, trust_env=trust_env, http1=http1, http2=http2, limits=limits)
        if not isinstance(getattr(self, "_pool", None), httpcore.AsyncConnectionPool):
            raise RuntimeError("httpx internals changed: cannot install the address-checking connection pool")
        self.policy = policy
        backend = _GuardedBackend(policy, resolver or system_resolver, network_backend or httpcore.AnyIOBackend())
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=http1,
            http2=http2,
            local_address=local_address,
            retries=retries,
            socket_options=socket_options,
            network_backend=backend,
        )


class TransportOptions(TypedDict, total=False):
    """The keywords :func:`safe_transport` passes on to :class:`SafeAsyncTransport`."""

    resolver: Resolver | None
    network_backend: httpcore.AsyncNetworkBackend | None
    verify: _Verify
    cert: _Cert | None
    trust_env: bool
    http1: bool
    http2: bool
    limits: httpx.Limits
    local_address: str | None
    retries: int
    socket_options: Iterable[httpcore.SOCKET_OPTION] | None


def safe_transport(
    policy: AddressPolicy, *, proxy: None = None, uds: None = None, **options: Unpack[TransportOptions]
) -> SafeAsyncTransport:
    """An httpx async transport that only connects to addresses ``policy`` allows.

    Use it as ``httpx.AsyncClient(transport=safe_transport(policy))``; the client then
    ignores proxy environment variables. ``resolver`` (default :func:`system_resolver`) and
    ``network_backend`` (default ``httpcore.AnyIOBackend()``) are seams for tests. The
    other keywords are those of ``httpx.AsyncHTTPTransport``; ``proxy`` and ``uds`` are
    refused (they exist so a caller passing them hears why).
    """
    if proxy is not None:
        raise ValueError("safe_transport does not support proxies: the address connected to could not be checked")
    if uds is not None:
        raise ValueError("safe_transport does not support Unix sockets")
    return SafeAsyncTransport(policy, **options)
