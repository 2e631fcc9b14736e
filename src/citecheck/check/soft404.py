"""Soft 404s: pages that answer 2xx but say, or show, that what was cited is gone.

Three kinds of evidence, cheapest first: the page's title or first heading says "not found";
the chain went from a deep path to the site root or to an error URL; or the page is what the
host answers for a path that cannot exist (probed once per host, with a random path).
"""

from __future__ import annotations

import asyncio
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urljoin

from ..core.evidence import Hop, OnlineResult
from ..core.urls import split_url
from ..net.exchange import Exchange
from ..net.guard import AddressPolicy, check_url_host
from .hosts import host_key
from .pages import PageFacts, looks_not_found, page_facts, read_page

__all__ = ["SoftNotFound"]

#: Hosts whose probe answer is kept (a few hundred bytes each).
_MAX_PROBES = 10_000

#: Sends one request (see ``PoliteClient.request``).
Request = Callable[[str, str], Awaitable[Exchange | OnlineResult]]

_ROOTS = ("/", "/index.html", "/index.php", "/home")
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
    ) -> str | None:
        """Why a 2xx answer at ``end`` (reached from ``url`` over ``hops``) is "not found", or None.

        ``final`` is that answer: its page's fingerprint is computed only if the host's page for
        a made-up path is a 2xx page to compare it with (most hosts answer that with a 404).
        """
        if facts is not None and looks_not_found(facts):
            return f"the page says so: {facts.title or facts.heading!r}"
        start, finish = split_url(url), split_url(end)
        if hops and start is not None and finish is not None:
            to_root = finish.path in _ROOTS and not finish.query
            if start.path not in ("/", "") and to_root:
                return f"redirects to the site root: {end}"
            lowered = end.lower()
            if any(marker in lowered for marker in _ERROR_MARKERS):
                return f"redirects to an error page: {end}"
        if not self._probe_hosts or start is None or (facts is None and not hops):
            # A direct non-HTML answer (a PDF, an image) is the document itself.
            return None
        probe = await self._probe(start.origin())
        if probe is None:
            return None
        if isinstance(probe, str):
            return f"lands where a made-up path on this site lands: {end}" if hops and probe == end else None
        if facts is not None and read_page(final.text(), final.url, fingerprint=True).fingerprint == probe.fingerprint:
            return "looks like this site's page for a made-up path"
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
                current = urljoin(current, answer.location.strip())
                if check_url_host(current, self._policy) is not None:
                    return None
                redirected = True
                continue
            if not 200 <= answer.status < 300:
                return None
            if redirected:
                return current
            return page_facts(answer, fingerprint=True)
        return None
