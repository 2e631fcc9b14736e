"""The verdict table: from where a URL's chain ended, and what the page said, to a verdict.

Pure functions, no I/O: the network side gathers the evidence (the hops, the final answer,
the page's facts and, for a 2xx answer, any soft-404 evidence), and this module says what it
means. ``broken`` needs strong evidence; walls are ``blocked``; trouble is ``unreachable``; a
page that cannot be told from the site's page for a missing path is ``unverified``.

>>> from citecheck.net.exchange import Exchange
>>> gone = Exchange(method="GET", url="https://example.org/a", status=410, headers={})
>>> judge_final("https://example.org/a", [], gone, None, clean=str).reason.value
'http_410'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ..core.evidence import Hop, OnlineResult
from ..core.verdicts import Reason, Verdict
from ..net.exchange import Exchange
from .pages import PageFacts, looks_like_challenge

__all__ = ["SoftEvidence", "chain_result", "judge_final", "needs_soft_404_check", "offline"]

#: Statuses of a final answer that always mean a wall, not a missing page.
_BLOCKED = {401: Reason.HTTP_401, 403: Reason.HTTP_403, 451: Reason.HTTP_451, 999: Reason.HTTP_999}


@dataclass(frozen=True, slots=True)
class SoftEvidence:
    """Why a 2xx page may really be "not found", and whether that is strong enough to say dead.

    A page that only matches the host's page for a made-up path is not: a single-page app
    serves one shell for every path, the real ones included, so nothing says this one is gone.
    """

    detail: str
    #: False when the page only matches what the host answers for a path that does not exist.
    conclusive: bool = True


def chain_result(
    url: str,
    hops: Sequence[Hop],
    facts: PageFacts | None,
    final_url: str | None,
    verdict: Verdict,
    reason: Reason | None,
    *,
    http_status: int | None = None,
    content_type: str | None = None,
) -> OnlineResult:
    """A result carrying the chain's evidence: the hops, where it ended, the page's canonical."""
    return OnlineResult(
        url=url,
        verdict=verdict,
        reason=reason,
        final_url=final_url,
        redirects=tuple(hops),
        canonical=facts.canonical if facts else None,
        http_status=http_status,
        content_type=content_type,
    )


def _bot_wall(final: Exchange, facts: PageFacts | None) -> bool:
    challenge = "cf-mitigated" in final.headers or (facts is not None and looks_like_challenge(facts))
    return challenge and final.status in (200, 401, 403, 429, 503)


def needs_soft_404_check(final: Exchange, facts: PageFacts | None) -> bool:
    """Whether the answer looks alive, so soft-404 evidence is worth gathering before judging."""
    return 200 <= final.status < 300 and not _bot_wall(final, facts)


def judge_final(
    url: str,
    hops: Sequence[Hop],
    final: Exchange,
    facts: PageFacts | None,
    *,
    clean: Callable[[str], str],
    soft_404: SoftEvidence | None = None,
) -> OnlineResult:
    """The verdict on the end of a chain.

    ``soft_404`` is why a 2xx page may really be "not found" (None: no such evidence): broken
    when conclusive, else unverified; ``clean`` turns the end of an all-permanent chain into the
    URL to suggest.
    """
    status = final.status
    end = final.url

    def judged(verdict: Verdict, reason: Reason | None) -> OnlineResult:
        return chain_result(
            url, hops, facts, end, verdict, reason, http_status=status, content_type=final.content_type or None
        )

    if _bot_wall(final, facts):
        return judged(Verdict.BLOCKED, Reason.BOT_CHALLENGE)
    if 200 <= status < 300:
        if soft_404 is not None and soft_404.conclusive:
            return replace(judged(Verdict.BROKEN, Reason.SOFT_404), detail=soft_404.detail)
        if soft_404 is not None:
            return replace(judged(Verdict.UNVERIFIED, Reason.SAME_AS_MISSING_PAGE), detail=soft_404.detail)
        if hops:
            permanent = all(hop.status in (301, 308) for hop in hops)
            reason = Reason.PERMANENT_REDIRECT if permanent else Reason.TEMPORARY_REDIRECT
            result = judged(Verdict.REDIRECTED, reason)
            if permanent:
                suggested = clean(end)
                result = replace(result, suggested=suggested if suggested != url else None)
            return result
        return judged(Verdict.OK, None)
    if status == 404:
        return judged(Verdict.BROKEN, Reason.HTTP_404)
    if status == 410:
        return judged(Verdict.BROKEN, Reason.HTTP_410)
    if status in _BLOCKED:
        return judged(Verdict.BLOCKED, _BLOCKED[status])
    if 400 <= status < 500:
        return judged(Verdict.BLOCKED, Reason.HTTP_4XX)
    if status >= 500:
        return judged(Verdict.UNREACHABLE, Reason.HTTP_5XX)
    # 1xx or a 3xx without Location: an answer we cannot follow.
    return judged(Verdict.UNREACHABLE, Reason.PROTOCOL_ERROR)


def offline(result: OnlineResult) -> OnlineResult:
    """An NXDOMAIN answer while no name resolved at all: the machine, not the link, is at fault."""
    return replace(
        result,
        verdict=Verdict.UNREACHABLE,
        reason=Reason.OFFLINE,
        detail="the name did not resolve, but no other name did either: DNS looks unavailable",
    )
