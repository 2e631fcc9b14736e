"""One polite request, and what its failure says about the link and about the network.

Every request of a check goes through :class:`PoliteClient`: it waits its turn at the
:class:`~citecheck.net.hosts.HostGate`, and turns transport errors into evidence. A failure
that may pass on a later attempt (a timeout, a refused connection, a 5xx, a 429) is raised as
:class:`Transient` so the caller can retry; a final one comes back as an ``OnlineResult``.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field

import httpx

from ..core.evidence import OnlineResult
from ..core.verdicts import Reason, Verdict
from ..net.exchange import DirectSender, Exchange, exchange, retry_after_seconds
from ..net.guard import AddressRefused, NameNotFound, NameNotResolved
from ..net.hosts import HostGate

__all__ = ["NetworkFacts", "PoliteClient", "Transient"]


class Transient(Exception):
    """An attempt that may succeed if repeated; carries the result to report if not."""

    def __init__(self, result: OnlineResult, wait: float | None = None) -> None:
        super().__init__(result.reason)
        self.result = result
        #: Seconds the server asked us to wait (Retry-After), if it did.
        self.wait = wait


@dataclass(slots=True)
class NetworkFacts:
    """What a run has learned about the network itself, to tell dead links from a dead network."""

    #: Whether any name resolved: NXDOMAIN is only trusted once DNS has worked.
    dns_works: bool = False
    #: Whether any host gave any HTTP answer.
    hosts_answered: bool = False
    hosts_seen: set[str] = field(default_factory=set)
    failures_by_reason: dict[str, int] = field(default_factory=dict)

    def offline_notice(self) -> str | None:
        """A plain sentence when every host failed at the network level (nothing was called dead)."""
        if len(self.hosts_seen) < 2 or self.hosts_answered:
            return None
        if not self.dns_works:
            return (
                f"No host could be reached ({len(self.hosts_seen)} hosts tried; DNS resolved none): "
                "this machine looks offline, so no link was called dead."
            )
        reasons = ", ".join(sorted(k for k in self.failures_by_reason if k != "None"))
        return (
            f"No host answered ({len(self.hosts_seen)} hosts tried; {reasons}): the network looks down "
            "or filtered from here; these links may well be fine."
        )


class PoliteClient:
    """Send requests through the host gate and learn from each what the network is doing."""

    def __init__(
        self,
        client: httpx.AsyncClient | DirectSender,
        gate: HostGate,
        facts: NetworkFacts,
        *,
        max_body: int,
        timeout: float,
    ) -> None:
        self.client = client
        self.gate = gate
        self.facts = facts
        self.max_body = max_body
        #: Seconds one request may take, counted from when it is sent: time queued behind the
        #: host's limits is not the server's slowness (2,000 URLs of one host were "timeouts").
        self.timeout = timeout

    async def request(self, method: str, url: str) -> Exchange | OnlineResult:
        """The answer, or the result a final failure means; raises :class:`Transient` for a retry."""
        async with self.gate.turn(url):
            try:
                async with asyncio.timeout(self.timeout):
                    answer = await exchange(self.client, method, url, max_body=self.max_body)
            except TimeoutError as exc:
                raise Transient(
                    OnlineResult(
                        url=url,
                        verdict=Verdict.UNREACHABLE,
                        reason=Reason.TIMEOUT,
                        detail=f"no complete answer within {self.timeout:g} s",
                    )
                ) from exc
            except AddressRefused as exc:
                return OnlineResult(
                    url=url, verdict=Verdict.SKIPPED, reason=Reason.PRIVATE_ADDRESS, detail=f"{exc.reason}: {exc}"
                )
            except NameNotFound as exc:
                return OnlineResult(url=url, verdict=Verdict.BROKEN, reason=Reason.DNS_NXDOMAIN, detail=str(exc))
            except (httpx.InvalidURL, UnicodeError) as exc:
                # A host our splitter accepts but IDNA refuses (``a\u200b.example``), or a URL
                # httpx cannot build: this link's verdict, never the whole run's traceback.
                return OnlineResult(url=url, verdict=Verdict.INVALID, reason=Reason.INVALID_URL, detail=str(exc))
            except NameNotResolved as exc:
                raise Transient(
                    OnlineResult(url=url, verdict=Verdict.UNREACHABLE, reason=Reason.DNS_ERROR, detail=str(exc))
                ) from exc
            except httpx.TimeoutException as exc:
                raise Transient(
                    OnlineResult(url=url, verdict=Verdict.UNREACHABLE, reason=Reason.TIMEOUT, detail=str(exc) or None)
                ) from exc
            except httpx.ConnectError as exc:
                self.facts.dns_works = True  # the name resolved (or was an address); the connection failed
                reason = Reason.TLS_ERROR if _is_tls_error(exc) else Reason.CONNECTION_ERROR
                raise Transient(
                    OnlineResult(url=url, verdict=Verdict.UNREACHABLE, reason=reason, detail=str(exc) or None)
                ) from exc
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.DecodingError) as exc:
                self.facts.dns_works = True
                raise Transient(
                    OnlineResult(url=url, verdict=Verdict.UNREACHABLE, reason=Reason.PROTOCOL_ERROR, detail=str(exc))
                ) from exc
            except httpx.UnsupportedProtocol:
                return OnlineResult(url=url, verdict=Verdict.SKIPPED, reason=Reason.UNSUPPORTED_SCHEME)
        self.facts.dns_works = True
        self.facts.hosts_answered = True
        if answer.status in (429, 503) or (500 <= answer.status < 600 and method == "GET"):
            wait = retry_after_seconds(answer.headers.get("retry-after"))
            if wait is not None:
                self.gate.pause(url, wait)
            reason = Reason.RATE_LIMITED if answer.status == 429 else Reason.HTTP_5XX
            verdict = Verdict.BLOCKED if answer.status == 429 else Verdict.UNREACHABLE
            raise Transient(
                OnlineResult(
                    url=url,
                    verdict=verdict,
                    reason=reason,
                    http_status=answer.status,
                    final_url=url,  # a server answered here: the result says where
                    detail=f"Retry-After: {answer.headers['retry-after']}" if "retry-after" in answer.headers else None,
                ),
                wait=wait,
            )
        return answer


def _is_tls_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError) or "SSL" in type(current).__name__ or "CERTIFICATE" in str(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
