"""Soft 404s: pages that answer 2xx but say, or show, that what was cited is gone.

Three kinds of evidence, cheapest first: the page's title or first heading says "not found";
the chain went from a deep path to the site root or to an error URL; or the page is what the
host answers for a path that cannot exist (probed once per host, with a random path). The last
is inconclusive when the page is the same 2xx page: a single-page app answers every path, real
ones included, with one shell, so "could not verify" is the truthful verdict, not "dead".
"""

from __future__ import annotations

import asyncio
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence

from ..core.evidence import Hop, OnlineResult
from ..core.urls import join_url, split_url
from ..net.exchange import Exchange
from ..net.guard import AddressPolicy, check_url_host
from .hosts import host_key
from .pages import PageFacts, looks_not_found, page_facts
from .verdict import SoftEvidence

__all__ = ["SoftNotFound"]

#: Hosts whose probe answer is kept (a few hundred bytes each).
_MAX_PROBES = 10_000

#: Sends one request (see ``PoliteClient.request``).
Request = Callable[[str, str], Awaitable[Exchange | OnlineResult]]

_ROOTS = ("/", "/index.html", "/index.php", "/home")
_SAME_PAGE = "an app that renders in the browser serves one page for every path: open the link to see"
_ERROR_MARKERS = ("/404", "404.htm", "not-found", "notfound", "page-not-found")


class SoftNotFound:
    """Find soft-404 evidence, probing each host at most once per checker."""

    def __init__(self, request: Request, policy: AddressPolicy, *, probe: bool = True) -> None:
        self._request = request
        self._policy = policy
        self._probe_hosts = probe
        #: Each host's probe, oldest first; finished ones beyond :data:`_MAX_PROBES` are forgotten.
        self._probes: OrderedDict[str, asyncio.Task[PageFacts | str | None]] = OrderedDict()

    async def evidence(
        self, url: str, hops: Sequence[Hop], end: str, facts: PageFacts | None, final: Exchange
    ) -> SoftEvidence | None:
        """Why a 2xx answer at ``end`` (reached from ``url`` over ``hops``) may be "not found", or None.

        ``final`` is that answer: its page's fingerprint is computed only if the host's page for
        a made-up path is a 2xx page to compare it with (most hosts answer that with a 404).
        Matching that page is inconclusive: an app shell is the same for every path.
        """
        if facts is not None and looks_not_found(facts):
            return SoftEvidence(f"the page says so: {facts.title or facts.heading!r}")
        start, finish = split_url(url), split_url(end)
        deep = start is not None and start.path not in ("/", "")
        if hops and start is not None and finish is not None:
            to_root = finish.path in _ROOTS and not finish.query
            if deep and to_root:
                return SoftEvidence(f"redirects to the site root: {end}")
            lowered = end.lower()
            if any(marker in lowered for marker in _ERROR_MARKERS):
                return SoftEvidence(f"redirects to an error page: {end}")
        if not self._probe_hosts or start is None or (facts is None and not hops):
            # A direct non-HTML answer (a PDF, an image) is the document itself.
            return None
        probe = await self._probe(start.origin())
        if probe is None:
            return None
        if isinstance(probe, str):
            if not hops or probe != end:
                return None
            # The server itself routed a deep path where it routes unknown ones: strong evidence.
            # The home page cannot be missing: every path, its own included, goes to one gate.
            return SoftEvidence(f"lands where a made-up path on this site lands: {end}", conclusive=deep)
        page = None if facts is None else page_facts(final, fingerprint=True)
        if page is not None and page.fingerprint == probe.fingerprint:
            return SoftEvidence(_SAME_PAGE, conclusive=False)
        return None

    def cancel(self) -> None:
        """Stop the probes still running (the checker is closing)."""
        for task in self._probes.values():
            if not task.done():
                task.cancel()

    async def _probe(self, origin: str) -> PageFacts | str | None:
        """What the host answers for a path that cannot exist: its facts, its redirect end, or None."""
        key = host_key(origin + "/")
        task = self._probes.get(key)
        if task is None:
            task = self._probes[key] = asyncio.ensure_future(self._run_probe(origin))
            self._forget_old_probes()
        try:
            # Most pages come after their host's probe ended: its answer needs no shield then.
            return task.result() if task.done() else await asyncio.shield(task)
        except Exception:  # a failed probe only means no evidence
            return None

    def _forget_old_probes(self) -> None:
        """Keep memory flat on runs over many hosts: a forgotten host is probed again if cited again."""
        while len(self._probes) > _MAX_PROBES:
            key, oldest = next(iter(self._probes.items()))
            if not oldest.done():
                return  # still running (bounded by the requests in flight): kept until later
            del self._probes[key]

    async def _run_probe(self, origin: str) -> PageFacts | str | None:
        current = f"{origin}/{secrets.token_hex(12)}-citecheck-probe"
        redirected = False
        for _ in range(5):
            answer = await self._request("GET", current)
            if isinstance(answer, OnlineResult):
                return None
            if 300 <= answer.status < 400 and answer.location:
                joined = join_url(current, answer.location.strip())
                if joined is None or check_url_host(joined, self._policy) is not None:
                    return None
                current = joined
                redirected = True
                continue
            if not 200 <= answer.status < 300:
                return None
            if redirected:
                return current
            return page_facts(answer, fingerprint=True)
        return None
