"""The SSRF guard: address ranges, numeric host spellings, and the transport on real sockets."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from typing import Any, TypeVar

import httpcore
import httpx
import pytest
from hypothesis import given, strategies as st

from citecheck.net.aiotransport import GuardedAiohttpTransport
from citecheck.net.guard import (
    AddressPolicy,
    AddressRefused,
    NameNotFound,
    NameNotResolved,
    check_url_host,
    literal_address,
    safe_transport,
    system_resolver,
)

T = TypeVar("T")
LOOPBACK_ONLY = AddressPolicy(allow_networks=(ip_network("127.0.0.0/8"),))


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    return asyncio.run(main())


# --- AddressPolicy.refusal ------------------------------------------------------------------

REFUSED = [
    # IPv4
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("10.0.0.1", "private"),
    ("10.255.255.255", "private"),
    ("100.64.0.1", "cgnat"),
    ("100.127.255.254", "cgnat"),
    ("127.0.0.1", "loopback"),
    ("127.255.0.9", "loopback"),
    ("169.254.169.254", "link-local"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.0.0.8", "reserved"),
    ("192.0.2.1", "documentation"),
    ("192.88.99.1", "reserved"),
    ("192.168.1.1", "private"),
    ("198.18.0.1", "benchmark"),
    ("198.19.255.255", "benchmark"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
    # IPv6
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation"),
    ("100::1", "reserved"),
    ("2001::1", "reserved"),  # Teredo / IETF protocol assignments
    ("5f00::1", "reserved"),
    ("4000::1", "reserved"),  # outside 2000::/3: unallocated
    ("64:ff9b:1::1", "private"),
    # IPv4 embedded in IPv6
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:7f00:1", "loopback"),
    ("::ffff:a9fe:a9fe", "link-local"),
    ("::ffff:10.0.0.1", "private"),
    ("::127.0.0.1", "loopback"),  # IPv4-compatible
    ("::8.8.8.8", "reserved"),  # IPv4-compatible, public: deprecated and never routed
    ("64:ff9b::127.0.0.1", "loopback"),  # NAT64
    ("64:ff9b::a9fe:a9fe", "link-local"),
    ("2002:7f00:1::1", "loopback"),  # 6to4
    ("2002:c0a8:101::", "private"),
    ("2002:6440:1::", "cgnat"),
]

ALLOWED = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.0",  # just above
    "172.32.0.1",
    "192.0.3.1",
    "198.20.0.1",
    "223.255.255.255",
    "2606:4700:4700::1111",
    "2a00:1450:4001:81b::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.8.8",
    "2002:808:808::1",
]


@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_refused_by_default(address: str, reason: str) -> None:
    assert AddressPolicy().refusal(ip_address(address)) == reason


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_allowed(address: str) -> None:
    assert AddressPolicy().refusal(ip_address(address)) is None


def test_allow_private_allows_everything() -> None:
    policy = AddressPolicy(allow_private=True)
    assert all(policy.refusal(ip_address(address)) is None for address, _ in REFUSED)


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("127.0.0.1", False),
        ("127.3.2.1", False),
        ("::ffff:127.0.0.1", False),  # the same socket address, spelt as IPv6
        ("::1", True),
        ("169.254.169.254", True),
        ("10.0.0.1", True),
        ("0.0.0.0", True),
        ("64:ff9b::127.0.0.1", True),  # goes through a NAT64 gateway, not to this host
    ],
)
def test_allow_networks_opts_in_to_only_those(address: str, refused: bool) -> None:
    assert (LOOPBACK_ONLY.refusal(ip_address(address)) is not None) is refused


def test_allow_networks_named_v6_and_metadata() -> None:
    policy = AddressPolicy.from_strings(allow_networks=["127.0.0.0/8", "::1", " 169.254.169.254/32 "])
    assert policy.refusal(ip_address("::1")) is None
    assert policy.refusal(ip_address("169.254.169.254")) is None
    assert policy.refusal(ip_address("169.254.169.253")) == "link-local"
    assert policy.refusal(ip_address("10.0.0.1")) == "private"


def test_from_strings_rejects_bad_cidrs_clearly() -> None:
    with pytest.raises(ValueError, match=r"did you mean 10\.0\.0\.0/8"):
        AddressPolicy.from_strings(allow_networks=["10.1.2.3/8"])
    with pytest.raises(ValueError, match="allow_networks: 'intranet' is not a network"):
        AddressPolicy.from_strings(allow_networks=["intranet"])
    with pytest.raises(ValueError, match="allow_networks"):
        AddressPolicy.from_strings(allow_networks=["10.0.0.0/33"])


def test_policy_accepts_a_list_and_stays_hashable() -> None:
    networks: Any = [ip_network("127.0.0.0/8")]
    policy = AddressPolicy(allow_networks=networks)
    assert policy.allow_networks == (ip_network("127.0.0.0/8"),)
    assert hash(policy) == hash(LOOPBACK_ONLY)
    with pytest.raises(TypeError):
        AddressPolicy(allow_networks=("127.0.0.0/8",))  # type: ignore[arg-type]


# --- literal_address and check_url_host -----------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0X7F.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0x7f.0x0.0x0.0x1", "127.0.0.1"),
        ("0177.1", "127.0.0.1"),
        ("00000000000000000000000177.1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("2130706433.", "127.0.0.1"),
        ("0x", "0.0.0.0"),  # WHATWG: "0x" is the number 0
        ("0", "0.0.0.0"),
        ("4294967295", "255.255.255.255"),
        ("3232235777", "192.168.1.1"),
        ("%31%32%37.0.0.1", "127.0.0.1"),  # hosts are percent-decoded
        ("\uff11\uff12\uff17\u3002\uff10.0.1", "127.0.0.1"),  # fullwidth digits, ideographic stop
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("[::ffff:7f00:1]", "::ffff:7f00:1"),
        ("::ffff:7f00:1", "::ffff:7f00:1"),  # httpx passes IPv6 hosts without brackets
        ("[::1]", "::1"),
        ("[fe80::1%25eth0]", "fe80::1%eth0"),
        ("fe80::1%25eth0", "fe80::1%eth0"),
    ],
)
def test_literal_address_spellings(host: str, expected: str) -> None:
    assert literal_address(host) == ip_address(expected)


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_literal_address_integer_spellings(value: int) -> None:
    address = IPv4Address(value)
    a, b, c, d = address.packed
    for spelling in (
        str(value),
        hex(value),
        oct(value).replace("0o", "0"),
        f"{a}.{(value >> 16) & 0xFF}.{value & 0xFFFF}",
        f"{a}.{value & 0xFFFFFF}",
        f"{a:#x}.{b:#o}.{c}.{d:#x}".replace("0o", "0"),
        f"{address}.",
    ):
        assert literal_address(spelling) == address, spelling


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_ipv4_and_its_ipv6_mapped_form_agree(value: int) -> None:
    address = IPv4Address(value)
    mapped = IPv6Address(f"::ffff:{address}")
    for policy in (AddressPolicy(), LOOPBACK_ONLY):
        assert policy.refusal(mapped) == policy.refusal(address)


@pytest.mark.parametrize(
    "host",
    [
        "example.com",
        "example.com.",
        "localhost",
        "1.2.3.4.5",  # too many parts: invalid URL host, not an address
        "999.1.1.1",  # part over 255
        "256.0.0.1",
        "1.2.3.256",
        "1.2.65536",
        "4294967296",  # over 32 bits
        "08.0.0.1",  # 8 is not an octal digit
        "0x7g.1",
        "1..1",
        "127.0.0.1..",
        ".",
        "",
        "0x7f.1.example",
        "example.0x7f",  # ends in a number but is not an address (invalid in browsers)
        "[example.com]",
        "[::ffff:127.0.0.1",
        "::g",
        "1e3",
    ],
)
def test_literal_address_rejects_non_addresses(host: str) -> None:
    assert literal_address(host) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://2130706433/", "loopback"),
        ("http://0x7f.1/", "loopback"),
        ("http://0177.0.0.1/", "loopback"),
        ("http://127.1/", "loopback"),
        ("http://0x7f000001/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://[::ffff:7f00:1]/", "loopback"),
        ("http://127.0.0.1./x", "loopback"),
        ("https://user:pw@169.254.169.254:8080/latest/meta-data", "link-local"),
        ("HTTP://10.0.0.1?q", "private"),
        ("http://[fe80::1%25eth0]:80/", "link-local"),
        ("http://127.0.0.1\\@example.com/", "loopback"),  # browsers end the authority at '\'
        ("http://example.com/", None),
        ("https://8.8.8.8/", None),
        ("http://localhost/", None),  # a name: checked after DNS, by the transport
        ("ftp://127.0.0.1/", None),
        ("not a url", None),
    ],
)
def test_check_url_host(url: str, reason: str | None) -> None:
    assert check_url_host(url, AddressPolicy()) == reason


def test_check_url_host_honours_the_policy() -> None:
    assert check_url_host("http://127.0.0.1:8000/", LOOPBACK_ONLY) is None
    assert check_url_host("http://[::1]:8000/", LOOPBACK_ONLY) == "loopback"


# --- The transport --------------------------------------------------------------------------


@dataclass
class Server:
    port: int
    connections: list[str] = field(default_factory=list)


@asynccontextmanager
async def http_server() -> Any:
    """A tiny HTTP/1.1 server on 127.0.0.1 that counts connections and answers 'ok'."""
    server_info = Server(port=0)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server_info.connections.append(str(writer.get_extra_info("peername")))
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    server_info.port = server.sockets[0].getsockname()[1]
    async with server:
        yield server_info


@pytest.fixture(params=["httpx", "aiohttp"])
def stack(request: pytest.FixtureRequest) -> str:
    """Both guarded stacks: httpx's own pool and the default, aiohttp's pool under httpx."""
    return str(request.param)


def guarded(policy: AddressPolicy, stack: str, **kwargs: Any) -> httpx.AsyncBaseTransport:
    if stack == "aiohttp":
        return GuardedAiohttpTransport(policy, **kwargs)
    return safe_transport(policy, **kwargs)


async def get(
    policy: AddressPolicy, *urls: str, stack: str = "httpx", **kwargs: Any
) -> list[httpx.Response | Exception]:
    """GET each URL through one client; errors are returned, not raised."""
    results: list[httpx.Response | Exception] = []
    async with httpx.AsyncClient(transport=guarded(policy, stack, **kwargs), timeout=5) as client:
        for url in urls:
            try:
                results.append(await client.get(url))
            except httpx.HTTPError as exc:
                results.append(exc)
    return results


def test_loopback_refused_by_default_and_nothing_reaches_the_server(stack: str) -> None:
    async def scenario() -> None:
        async with http_server() as server:
            (result,) = await get(AddressPolicy(), f"http://127.0.0.1:{server.port}/", stack=stack)
            assert isinstance(result, AddressRefused)
            assert isinstance(result, httpx.ConnectError)
            assert (result.host, result.address, result.reason) == ("127.0.0.1", IPv4Address("127.0.0.1"), "loopback")
            assert result.request.url.port == server.port
            await asyncio.sleep(0.01)
            assert server.connections == []

    run(scenario())


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "0x7f.1", "127.1", "0x7f000001", "[::ffff:7f00:1]"])
def test_every_spelling_is_checked_by_the_transport(host: str, stack: str) -> None:
    async def scenario() -> None:
        async with http_server() as server:
            (result,) = await get(AddressPolicy(), f"http://{host}:{server.port}/", stack=stack)
            assert isinstance(result, AddressRefused), result
            assert result.reason == "loopback"
            assert server.connections == []

    run(scenario())


def test_allowed_network_connects(stack: str) -> None:
    async def scenario() -> None:
        async with http_server() as server:
            (result,) = await get(LOOPBACK_ONLY, f"http://127.0.0.1:{server.port}/", stack=stack)
            assert isinstance(result, httpx.Response)
            assert result.text == "ok"
            assert len(server.connections) == 1

    run(scenario())


def test_numeric_spelling_connects_to_the_address_it_means(stack: str) -> None:
    async def scenario() -> None:
        async with http_server() as server:
            (result,) = await get(LOOPBACK_ONLY, f"http://0x7f.1:{server.port}/", stack=stack)
            assert isinstance(result, httpx.Response)
            assert result.text == "ok"

    run(scenario())


def test_localhost_resolves_to_loopback_and_is_refused(stack: str) -> None:
    async def scenario() -> None:
        async with http_server() as server:
            (result,) = await get(AddressPolicy(), f"http://localhost:{server.port}/", stack=stack)
            assert isinstance(result, AddressRefused)
            assert result.host == "localhost"
            assert result.reason == "loopback"
            assert server.connections == []

    run(scenario())


def test_localhost_allowed_when_all_its_addresses_are(stack: str) -> None:
    # localhost may also resolve to ::1, where nothing listens: the next address is tried.
    policy = AddressPolicy.from_strings(allow_networks=["127.0.0.0/8", "::1/128"])

    async def scenario() -> None:
        async with http_server() as server:
            (result,) = await get(policy, f"http://localhost:{server.port}/", stack=stack)
            assert isinstance(result, httpx.Response)
            assert result.text == "ok"

    run(scenario())


def test_each_new_connection_is_checked(stack: str) -> None:
    async def scenario() -> None:
        async with http_server() as server:
            first, second, third = await get(
                LOOPBACK_ONLY,
                f"http://127.0.0.1:{server.port}/",
                f"http://[::1]:{server.port}/",
                f"http://10.0.0.1:{server.port}/",
                stack=stack,
            )
            assert isinstance(first, httpx.Response)
            assert isinstance(second, AddressRefused)
            assert second.reason == "loopback"
            assert isinstance(third, AddressRefused)
            assert third.reason == "private"
            assert len(server.connections) == 1

    run(scenario())


def test_env_proxies_are_ignored(monkeypatch: pytest.MonkeyPatch, stack: str) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    async def scenario() -> None:
        async with http_server() as server:
            (result,) = await get(LOOPBACK_ONLY, f"http://127.0.0.1:{server.port}/", stack=stack)
            assert isinstance(result, httpx.Response)
            assert len(server.connections) == 1

    run(scenario())


def test_proxy_and_unix_socket_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="proxies"):
        safe_transport(AddressPolicy(), proxy="http://proxy.example:3128")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Unix"):
        safe_transport(AddressPolicy(), uds="/run/docker.sock")  # type: ignore[arg-type]


# --- The transport with a fake resolver and a recording network backend ---------------------


class RecordingStream(httpcore.AsyncMockStream):
    def __init__(self, buffer: list[bytes], tls_hostnames: list[str | None]) -> None:
        super().__init__(buffer)
        self._tls_hostnames = tls_hostnames

    async def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        self._tls_hostnames.append(server_hostname)
        return self


class RecordingBackend(httpcore.AsyncMockBackend):
    """Answers every connection with 200 'ok' and records where it was asked to connect."""

    def __init__(self, *, refuse: Iterable[str] = ()) -> None:
        super().__init__([b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"])
        self.connected: list[str] = []
        self.tls_hostnames: list[str | None] = []
        self._refuse = set(refuse)

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connected.append(host)
        if host in self._refuse:
            raise httpcore.ConnectError("connection refused")
        return RecordingStream(list(self._buffer), self.tls_hostnames)


def fake_dns(table: dict[str, Sequence[str] | Exception]) -> Callable[[str, int], Awaitable[Sequence[str]]]:
    lookups: list[str] = []

    async def resolve(host: str, port: int) -> Sequence[str]:
        lookups.append(host)
        answer = table[host]
        if isinstance(answer, Exception):
            raise answer
        return answer

    resolve.lookups = lookups  # type: ignore[attr-defined]
    return resolve


def test_connects_to_the_resolved_address_with_the_name_for_tls() -> None:
    backend = RecordingBackend()
    resolver = fake_dns({"example.test": ["93.184.216.34"]})
    (result,) = run(get(AddressPolicy(), "https://example.test/", resolver=resolver, network_backend=backend))
    assert isinstance(result, httpx.Response)
    assert result.text == "ok"
    assert backend.connected == ["93.184.216.34"]  # the checked address, not the name: no second lookup
    assert backend.tls_hostnames == ["example.test"]  # SNI and certificate checks use the name
    assert resolver.lookups == ["example.test"]  # type: ignore[attr-defined]


def test_mixed_public_and_private_answer_is_refused() -> None:
    backend = RecordingBackend()
    resolver = fake_dns({"rebind.test": ["93.184.216.34", "10.0.0.1"]})
    (result,) = run(get(AddressPolicy(), "http://rebind.test/", resolver=resolver, network_backend=backend))
    assert isinstance(result, AddressRefused)
    assert (result.host, result.address, result.reason) == ("rebind.test", IPv4Address("10.0.0.1"), "private")
    assert backend.connected == []


def test_v6_answers_are_checked_too() -> None:
    resolver = fake_dns({"meta.test": ["2606:4700:4700::1111", "::ffff:169.254.169.254"]})
    (result,) = run(get(AddressPolicy(), "http://meta.test/", resolver=resolver, network_backend=RecordingBackend()))
    assert isinstance(result, AddressRefused)
    assert result.address == IPv6Address("::ffff:169.254.169.254")
    assert result.reason == "link-local"


def test_two_hosts_through_one_client_are_checked_separately() -> None:
    backend = RecordingBackend()
    resolver = fake_dns({"public.test": ["8.8.8.8"], "internal.test": ["192.168.0.10"]})
    first, second, third = run(
        get(
            AddressPolicy(),
            "http://public.test/",
            "http://internal.test/",
            "http://public.test/again",
            resolver=resolver,
            network_backend=backend,
        )
    )
    assert isinstance(first, httpx.Response)
    assert isinstance(second, AddressRefused)
    assert second.reason == "private"
    assert isinstance(third, httpx.Response)
    assert backend.connected == ["8.8.8.8", "8.8.8.8"]  # "Connection: close": a new, checked, connection each time


def test_next_address_is_tried_when_a_connect_fails() -> None:
    backend = RecordingBackend(refuse={"2606:4700:4700::1111"})
    resolver = fake_dns({"dual.test": ["2606:4700:4700::1111", "1.1.1.1"]})
    (result,) = run(get(AddressPolicy(), "http://dual.test/", resolver=resolver, network_backend=backend))
    assert isinstance(result, httpx.Response)
    assert backend.connected == ["2606:4700:4700::1111", "1.1.1.1"]


def test_nxdomain_and_temporary_failure_are_distinguishable() -> None:
    resolver = fake_dns(
        {
            "gone.test": socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
            "flaky.test": socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"),
        }
    )
    gone, flaky = run(
        get(
            AddressPolicy(),
            "http://gone.test/",
            "http://flaky.test/",
            resolver=resolver,
            network_backend=RecordingBackend(),
        )
    )
    assert isinstance(gone, NameNotFound)
    assert isinstance(gone, httpx.ConnectError)
    assert gone.code == socket.EAI_NONAME
    assert gone.host == "gone.test"
    assert isinstance(gone.error, socket.gaierror)
    assert isinstance(flaky, NameNotResolved)
    assert not isinstance(flaky, NameNotFound)
    assert flaky.code == socket.EAI_AGAIN
    assert "Temporary failure" in str(flaky)


def test_slow_dns_is_a_connect_timeout() -> None:
    async def slow(host: str, port: int) -> Sequence[str]:
        await asyncio.sleep(10)
        return ["8.8.8.8"]

    async def scenario() -> None:
        transport = safe_transport(AddressPolicy(), resolver=slow, network_backend=RecordingBackend())
        async with httpx.AsyncClient(transport=transport, timeout=0.05) as client:
            with pytest.raises(httpx.ConnectTimeout):
                await client.get("http://slow.test/")

    run(scenario())


def test_system_resolver_returns_address_strings() -> None:
    assert run(system_resolver("127.0.0.1", 80)) == ["127.0.0.1"]
    addresses = run(system_resolver("localhost", 80))
    assert addresses
    assert all(ip_address(address).is_loopback for address in addresses)


def iter_refusals(policy: AddressPolicy) -> Iterator[str | None]:
    for address, _ in REFUSED:
        yield policy.refusal(ip_address(address))


def test_refusals_are_short_known_reasons() -> None:
    known = {
        "unspecified",
        "private",
        "cgnat",
        "loopback",
        "link-local",
        "reserved",
        "documentation",
        "benchmark",
        "multicast",
        "broadcast",
        "site-local",
    }
    assert set(iter_refusals(AddressPolicy())) == known


def test_trusting_allows_the_configured_endpoints_as_written_and_nothing_else() -> None:
    import ipaddress

    policy = AddressPolicy().trusting(
        ["http://127.0.0.1:8080/", "http://[fd00::5]:81/timemap/", "http://localhost:9/", "https://pywb.example/", "x"]
    )
    allowed = ("127.0.0.1", "fd00::5", "::1", "127.0.0.9")
    refused = ("10.0.0.1", "169.254.169.254", "fd00::6", "192.168.1.1")
    assert [policy.refusal(ipaddress.ip_address(a)) for a in allowed] == [None] * len(allowed)
    assert all(policy.refusal(ipaddress.ip_address(a)) for a in refused)
    assert AddressPolicy().refusal(ipaddress.ip_address("127.0.0.1"))  # the base policy is unchanged


# --- The default stack (aiohttp's pool) with a fake resolver and a real server -----------------


def test_aiohttp_stack_connects_to_the_checked_answer_of_our_resolver() -> None:
    async def scenario() -> None:
        async with http_server() as server:
            resolver = fake_dns({"news.test": ["127.0.0.1"]})
            (result,) = await get(LOOPBACK_ONLY, f"http://news.test:{server.port}/", stack="aiohttp", resolver=resolver)
            assert isinstance(result, httpx.Response)
            assert result.text == "ok"
            assert resolver.lookups == ["news.test"]  # type: ignore[attr-defined]

    run(scenario())


def test_aiohttp_stack_refuses_a_mixed_answer_before_connecting() -> None:
    async def scenario() -> None:
        async with http_server() as server:
            resolver = fake_dns({"rebind.test": ["93.184.216.34", "127.0.0.1"]})
            (result,) = await get(
                AddressPolicy(), f"http://rebind.test:{server.port}/", stack="aiohttp", resolver=resolver
            )
            assert isinstance(result, AddressRefused)
            assert result.host == "rebind.test"
            assert result.reason == "loopback"
            assert server.connections == []

    run(scenario())


def test_aiohttp_stack_tells_nxdomain_from_a_temporary_failure() -> None:
    resolver = fake_dns(
        {
            "gone.test": socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
            "flaky.test": socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"),
        }
    )
    gone, flaky = run(
        get(AddressPolicy(), "http://gone.test/", "http://flaky.test/", stack="aiohttp", resolver=resolver)
    )
    assert isinstance(gone, NameNotFound)
    assert isinstance(flaky, NameNotResolved)
    assert not isinstance(flaky, NameNotFound)
    assert flaky.code == socket.EAI_AGAIN


def test_aiohttp_stack_slow_dns_is_a_connect_timeout() -> None:
    async def slow(host: str, port: int) -> list[str]:
        await asyncio.sleep(10)
        return ["93.184.216.34"]

    async def scenario() -> Exception | httpx.Response:
        transport = GuardedAiohttpTransport(AddressPolicy(), resolver=slow, dns_timeout=0.05)
        async with httpx.AsyncClient(transport=transport, timeout=5) as client:
            try:
                return await client.get("http://slow.test/")
            except httpx.HTTPError as exc:
                return exc

    assert isinstance(run(scenario()), httpx.ConnectTimeout)
