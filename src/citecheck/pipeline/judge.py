"""Verdicts without the network, and folding the network's evidence into them.

Offline a link is judged by cleaning: a link the cleaner would change is ``fixable``; an
http(s) URL that does not parse is ``invalid``; other schemes and excluded URLs are ``skipped``.
The check and archive stages then add evidence; these functions decide how it changes a verdict.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TypeVar

from ..clean.cleaner import Cleaner
from ..clean.load import load_rule_set
from ..clean.rules import RuleSet
from ..core.captures import is_archive_host
from ..core.config import Config
from ..core.evidence import OnlineResult
from ..core.links import Link
from ..core.results import FileResult, LinkResult
from ..core.snapshot import Snapshot
from ..core.urls import split_url
from ..core.verdicts import Reason, Verdict
from ..extract import extract_links, format_for_path
from ..fix.documents import Document

__all__ = [
    "Judge",
    "archive_wanted",
    "online_urls",
    "with_online",
    "with_pending",
    "with_snapshots",
]

_V = TypeVar("_V")

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


class Judge:
    """The offline verdicts of one configuration: rules compiled once, then any number of links."""

    def __init__(self, config: Config, *, rules: RuleSet | None = None, cleaner: Cleaner | None = None) -> None:
        self.config = config
        self.cleaner = cleaner or Cleaner(
            rules
            if rules is not None
            else load_rule_set(builtin=config.builtin_rules, rules=config.rules, clearurls=config.clearurls)
        )
        self._ignore = [re.compile(p) for p in config.ignore_urls]

    def link(self, link: Link, *, path: str) -> LinkResult:
        """The offline verdict on one link."""
        url = link.url
        scheme = _SCHEME.match(url)
        if scheme is None or scheme.group(1).lower() not in ("http", "https"):
            return LinkResult(
                path=path, link=link, verdict=Verdict.SKIPPED, reason=Reason.UNSUPPORTED_SCHEME, cleaned=url
            )
        if any(p.search(url) for p in self._ignore):
            return LinkResult(path=path, link=link, verdict=Verdict.SKIPPED, reason=Reason.EXCLUDED, cleaned=url)
        if split_url(url.strip()) is None:
            return LinkResult(path=path, link=link, verdict=Verdict.INVALID, reason=Reason.INVALID_URL, cleaned=url)
        result = self.cleaner.explain(url)
        if result.wrappers:
            reason: Reason | None = Reason.REDIRECT_WRAPPER
        elif result.removed:
            reason = Reason.TRACKING_PARAMS
        else:
            # Only normalisation would change (host case, default port, trailing '/'): the same
            # resource, so not worth a finding or a rewrite. Nothing vouches for the page yet:
            # the reason says so until the network's verdict replaces it.
            return LinkResult(
                path=path, link=link, verdict=Verdict.OK, reason=Reason.NOT_CHECKED, cleaned=result.cleaned
            )
        return LinkResult(
            path=path,
            link=link,
            verdict=Verdict.FIXABLE,
            reason=reason,
            cleaned=result.cleaned,
            removed=result.removed,
            wrappers=result.wrappers,
        )

    def document(self, document: Document, *, format: str | None = None) -> FileResult:
        """Extract and judge every link of a decoded document (nothing is written)."""
        fmt = format or format_for_path(document.path)
        links = extract_links(document.text, fmt)
        results = tuple(self.link(link, path=document.path) for link in links)
        return FileResult(path=document.path, format=fmt, links=results)

    def is_archive_copy(self, url: str) -> bool:
        """A link to an archive's own copy: citing it is already the archived form.

        Well-known archives by host; the configured Wayback (a user's own pywb, say) by its
        replay path, since it may share a host with ordinary pages.
        """
        text = url.strip()
        parts = split_url(text)
        if parts is None:
            return False
        if is_archive_host(parts.host):
            return True
        configured = self.config.archive.wayback_url.rstrip("/")
        return bool(configured) and text.startswith(configured + "/web/")


def online_urls(results: Iterable[FileResult]) -> list[str]:
    """The distinct URLs to check over the network: what each link should cite, in order."""
    wanted = (Verdict.OK, Verdict.FIXABLE)
    return list(dict.fromkeys(item.cleaned for result in results for item in result.links if item.verdict in wanted))


def archive_wanted(judge: Judge, item: LinkResult) -> bool:
    """Whether a link's snapshot is worth looking up: a real web page, not an archive's own copy.

    Asked of the combined verdict; a link whose check is still pending is looked up too.
    """
    unwanted = (Verdict.INVALID, Verdict.SKIPPED)
    return item.verdict not in unwanted and not judge.is_archive_copy(item.link.url)


def with_online(result: FileResult, online: Mapping[str, OnlineResult], *, fix_redirects: bool) -> FileResult:
    """The file's results with the network's verdicts folded in.

    ``online`` may be keyed by the URL to cite (as the pipeline checks them) or by the URL as
    cited: a caller holding either must not lose a verdict silently.
    """
    links = []
    for item in result.links:
        found = _keyed(online, item, item.cleaned)
        links.append(item if found is None else _combine(item, found, fix_redirects))
    return replace(result, links=tuple(links))


def with_pending(result: FileResult, pending: Iterable[str]) -> FileResult:
    """Links whose check has not finished yet say so (``pending``) instead of a guess.

    ``pending`` may hold the URLs to cite or the URLs as cited.
    """
    waiting = pending if isinstance(pending, (set, frozenset)) else set(pending)  # one set for all files
    if not waiting:
        return result
    links = tuple(
        replace(item, verdict=Verdict.PENDING, reason=None)
        if item.cleaned in waiting or item.link.url in waiting
        else item
        for item in result.links
    )
    return replace(result, links=links)


def with_snapshots(result: FileResult, snapshots: Mapping[str, Snapshot | None]) -> FileResult:
    """Each link with the snapshot found for it, keyed by the URL as cited or the URL to cite."""
    if not snapshots:
        return result
    links = tuple(replace(item, snapshot=_keyed(snapshots, item, item.link.url)) for item in result.links)
    return replace(result, links=links)


def _keyed(mapping: Mapping[str, _V | None], item: LinkResult, first: str) -> _V | None:
    """``mapping``'s value for a link: by ``first`` (the producer's own key), else the other URL."""
    if first in mapping:
        return mapping[first]
    other = item.link.url if first == item.cleaned else item.cleaned
    return mapping.get(other)


#: Network verdicts that win over the cleaning finding: the link is dead, or its state unknown.
_ONLINE_WINS = frozenset({Verdict.BROKEN, Verdict.BLOCKED, Verdict.UNREACHABLE, Verdict.UNVERIFIED, Verdict.SKIPPED})


def _combine(item: LinkResult, online: OnlineResult, fix_redirects: bool) -> LinkResult:
    """One verdict from the offline one and the network's: trouble first, then cleaning."""
    if online.reason is Reason.OFFLINE:
        return item  # the machine is offline: the run's notice says so once; keep what cleaning found
    if online.verdict in _ONLINE_WINS:
        return replace(item, verdict=online.verdict, reason=online.reason, online=online)
    if fix_redirects and online.suggested and online.reason is Reason.PERMANENT_REDIRECT:
        reason = item.reason if item.verdict is Verdict.FIXABLE else Reason.PERMANENT_REDIRECT
        return replace(item, verdict=Verdict.FIXABLE, reason=reason, cleaned=online.suggested, online=online)
    if item.verdict is Verdict.FIXABLE:
        return replace(item, online=online)
    return replace(item, verdict=online.verdict, reason=online.reason, online=online)
