"""Following a URL's redirect chain by hand, so every hop is seen, recorded and vetted.

One GET per URL and hop (with ``method = "head"``, HEAD first and GET only when needed). A 3xx is followed
(each hop recorded with its target cleaned), a short meta refresh counts as a redirect, and a
target that is private or not http(s) ends the chain before it is fetched.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..clean.cleaner import Cleaner
from ..core.evidence import Hop, OnlineResult
from ..core.urls import join_url, split_url
from ..core.verdicts import Reason, Verdict
from ..net.exchange import Exchange
from ..net.guard import AddressPolicy, check_url_host
from .options import NetworkOptions
from .pages import PageFacts, page_facts
from .request import PoliteClient, Transient
from .verdict import chain_result

__all__ = ["Chain", "Resolver"]


@dataclass(frozen=True, slots=True)
class Chain:
    """Where a chain ended: the hops on the way, the final answer, and what its page says."""

    hops: tuple[Hop, ...]
    final: Exchange
    facts: PageFacts | None


class Resolver:
    """Follow redirects for one attempt at a URL (a ``Transient`` from a request ends it)."""

    def __init__(self, client: PoliteClient, options: NetworkOptions, policy: AddressPolicy, cleaner: Cleaner) -> None:
        self._client = client
        self._max_redirects = options.max_redirects
        self._max_refresh_delay = options.meta_refresh_max_delay
        self._head_first = options.method == "head"
        self._policy = policy
        self._cleaner = cleaner

    async def follow(self, url: str) -> Chain | OnlineResult:
        """The end of ``url``'s chain, or the result when the chain itself is the verdict."""
        hops: list[Hop] = []
        seen: set[str] = set()
        current = url
        for _ in range(self._max_redirects + 1):
            if current in seen:
                return chain_result(url, hops, None, current, Verdict.BROKEN, Reason.REDIRECT_LOOP)
            seen.add(current)
            try:
                answer = await self._fetch(current)
            except Transient as transient:
                # A hop that failed for now (a closed port, a 503 after a 301): the result
                # to report carries the chain so far and where it failed.
                transient.result = replace(transient.result, redirects=tuple(hops), final_url=current)
                raise
            if isinstance(answer, OnlineResult):
                if hops and answer.reason is Reason.INVALID_URL:
                    # As for a Location we cannot parse: the cited URL is fine, its target is not.
                    answer = replace(answer, verdict=Verdict.SKIPPED)
                return replace(answer, redirects=tuple(hops), final_url=current)
            location = answer.location
            if 300 <= answer.status < 400 and location:
                target = join_url(current, location.strip())
                if target is None:
                    hops.append(Hop(url=answer.url, status=answer.status, method=answer.method, location=location))
                    return chain_result(url, hops, None, location, Verdict.SKIPPED, Reason.INVALID_URL)
                refused = self._hop(url, hops, answer, target, "http")
                if refused is not None:
                    return refused
                current = target
                continue
            facts = page_facts(answer)
            if facts is not None and facts.refresh is not None and answer.status < 300:
                delay, target = facts.refresh
                if delay <= self._max_refresh_delay and target != current:
                    refused = self._hop(url, hops, answer, target, "meta-refresh")
                    if refused is not None:
                        return refused
                    current = target
                    continue
            return Chain(tuple(hops), answer, facts)
        return chain_result(url, hops, None, current, Verdict.BROKEN, Reason.TOO_MANY_REDIRECTS)

    async def _fetch(self, url: str) -> Exchange | OnlineResult:
        """One GET (reading only what a verdict needs); with ``method = "head"``, HEAD first.

        HEAD first then asks again with GET unless HEAD gave a redirect or a 2xx that needs no
        reading, so a refused HEAD (405, 501, 403...) still gets its GET.
        """
        if not self._head_first:
            return await self._client.request("GET", url)
        head = await self._client.request("HEAD", url)
        if isinstance(head, OnlineResult):
            return head
        if 300 <= head.status < 400 and head.location:
            return head
        if 200 <= head.status < 300 and head.content_type and not _needs_body(head.content_type):
            return head
        return await self._client.request("GET", url)

    def _hop(self, url: str, hops: list[Hop], answer: Exchange, target: str, kind: str) -> OnlineResult | None:
        """Record a step of the chain; a result if the target must not be followed."""
        cleaned = self._cleaner.clean(target)
        hops.append(
            Hop(url=answer.url, status=answer.status, method=answer.method, location=target, kind=kind, cleaned=cleaned)
        )
        return self._refuse_target(url, target, hops)

    def _refuse_target(self, url: str, target: str, hops: list[Hop]) -> OnlineResult | None:
        if split_url(target) is None:
            scheme = target.split(":", 1)[0].lower()
            reason = Reason.INVALID_URL if scheme in ("http", "https") else Reason.UNSUPPORTED_SCHEME
            return chain_result(url, hops, None, target, Verdict.SKIPPED, reason)
        refusal = check_url_host(target, self._policy)
        if refusal is not None:
            return replace(
                chain_result(url, hops, None, target, Verdict.SKIPPED, Reason.PRIVATE_ADDRESS),
                detail=f"redirects to a {refusal} address: {target}",
            )
        return None


def _needs_body(content_type: str) -> bool:
    """Pages we read to judge (soft 404s, meta refresh, canonical)."""
    return content_type in ("text/html", "application/xhtml+xml")
