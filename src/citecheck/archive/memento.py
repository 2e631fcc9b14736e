"""A Memento (RFC 7089) client: what any Memento archive holds for a URL, politely.

Two questions, two resources:

* the **TimeMap** lists every capture (``<memento>; rel="memento"; datetime="…"``) in
  ``application/link-format``; big ones are paged, through links with ``rel="timemap"``
  (with ``from``/``until``, as the Memento aggregator and pywb do) or ``rel="next"``;
* the **TimeGate** answers "the capture nearest this moment" with a redirect, when asked with
  ``Accept-Datetime``.

Archives differ in what they say and how loudly they refuse, so the rules here are:
"nothing archived" (404, and 406 from a TimeGate) is an answer, not an error; an answer we
cannot read is an :class:`~citecheck.core.snapshot.ArchiveError` with a message saying why,
never a crash; 429/503 push the endpoint's shared :class:`RateLimiter` past ``Retry-After``
before a bounded number of retries; and identical lookups in flight at once go out once.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

import httpx

from ..core.settings import MementoArchive
from ..core.snapshot import ArchiveError, Snapshot, SnapshotSource, parse_timestamp14, wayback_raw_url
from ..core.urls import join_url
from ..net.body import BodyTooLarge
from ..net.limits import SHARED_LIMITERS, LimiterFactory, RateLimiter, Sleep
from ..net.retry import BUSY, Reply, RetryPolicy, is_transient, polite_request
from ..net.singleflight import SingleFlight
from .linkformat import LinkValue, parse_link_format

__all__ = [
    "MAX_PAGE_BYTES",
    "MementoArchive",
    "MementoClient",
    "http_date",
    "parse_http_date",
    "wayback_raw_url",
]

log = logging.getLogger(__name__)

#: At most this much of one TimeMap page is read: TimeMaps of very popular URLs run to
#: hundreds of megabytes, and a truncated one would silently lose the newest captures.
MAX_PAGE_BYTES = 20 * 1024 * 1024

# A 14-digit timestamp as a path segment (Wayback ``/web/<ts>/``, archive.today ``/<ts>/``).
_PATH_TIMESTAMP = re.compile(r"/(\d{14})(?:[a-z]{2}_)?/", re.IGNORECASE)


def http_date(moment: datetime) -> str:
    """``moment`` as an RFC 1123 date (``Accept-Datetime``); naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def parse_http_date(text: str) -> datetime | None:
    """An RFC 1123 (or RFC 850 / asctime) date as an aware UTC datetime; None if unreadable."""
    try:
        moment = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # "-0000" or no zone: RFC 7231 dates are GMT
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _joined(base: str, reference: str, what: str) -> str:
    """``reference`` against ``base``; an archive naming a URL that cannot be one is its error."""
    joined = join_url(base, reference)
    if joined is None:
        raise ArchiveError(f"{what}: {base} pointed to {reference[:200]!r}, which is not a URL")
    return joined


def _snapshot(
    archive: MementoArchive,
    url: str,
    memento_url: str,
    captured: datetime,
    source: SnapshotSource,
    *,
    status: int | None = None,
    mimetype: str | None = None,
) -> Snapshot:
    """A memento of ``url`` as a record; Wayback-style replays also get their banner-free form."""
    return Snapshot(
        original_url=url,
        lookup_url=url,
        archive=archive.name,
        memento_url=memento_url,
        raw_url=wayback_raw_url(memento_url),
        captured_at=captured,
        status=status,
        mimetype=mimetype,
        source=source,
    )


class MementoClient:
    """TimeMap and TimeGate lookups against any :class:`MementoArchive`.

    ``per_minute`` paces each archive endpoint (``timemap:<name>``, ``timegate:<name>``)
    through the process-wide limiters, so two clients never double an archive's load;
    ``limiters`` hands out the limiters (default: the process-wide ones; tests pass a
    :class:`~citecheck.net.limits.Limiters` on a fake clock).
    ``retries`` bounds the extra attempts after a 429/503 or a network failure; ``sleep``
    (for the jitter between attempts) and ``rng`` are injectable so tests take no time.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        per_minute: float = 24,
        retries: int = 2,
        sleep: Sleep | None = None,
        limiters: LimiterFactory = SHARED_LIMITERS,
        max_page_bytes: int = MAX_PAGE_BYTES,
        rng: random.Random | None = None,
    ) -> None:
        self._client = client
        self._per_minute = per_minute
        # Every Retry-After is waited out here (no cap): a Memento archive's embargo is honoured in full.
        self._policy = RetryPolicy(
            retries=max(0, retries),
            retry_on=is_transient,
            max_retry_after=None,
            sleep=sleep or asyncio.sleep,
            rng=rng or random.Random(),
        )
        self._limiters = limiters
        self._max_page_bytes = max_page_bytes
        self._timemaps: SingleFlight[tuple[MementoArchive, str, int], list[Snapshot]] = SingleFlight()
        self._timegates: SingleFlight[tuple[MementoArchive, str, datetime], Snapshot | None] = SingleFlight()

    # -- public API -------------------------------------------------------------------------

    async def timemap(self, archive: MementoArchive, url: str, *, max_pages: int = 20) -> list[Snapshot]:
        """Every capture of ``url`` the archive's TimeMap lists, in the order listed.

        An empty list when the archive has none (404 or an empty TimeMap). Paged TimeMaps are
        followed up to ``max_pages`` pages (each page once, whatever the links say); past that
        the captures found so far are returned and a warning logged. Mementos listed on two
        pages are returned once. Raises ArchiveError when the archive cannot be read.
        """
        result = await self._timemaps.run((archive, url, max_pages), lambda: self._timemap(archive, url, max_pages))
        return list(result)

    async def timegate(self, archive: MementoArchive, url: str, at: datetime) -> Snapshot | None:
        """The capture the archive's TimeGate picks as nearest to ``at`` (naive means UTC).

        None when the archive has no capture (404/406). The capture time comes from the
        redirect's Link header when it lists the memento, else from the memento's own
        ``Memento-Datetime`` (one more request), else from a 14-digit timestamp in its URL.
        """
        prefix = archive.timegate
        if prefix is None:
            raise ArchiveError(f"{archive.name}: no TimeGate configured")
        when = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
        return await self._timegates.run((archive, url, when), lambda: self._timegate(archive, prefix, url, when))

    # -- machinery --------------------------------------------------------------------------

    def _limiter(self, kind: str, archive: MementoArchive) -> RateLimiter:
        return self._limiters(f"{kind}:{archive.name}", self._per_minute)

    async def _get(
        self,
        limiter: RateLimiter,
        url: str,
        *,
        what: str,
        headers: dict[str, str] | None = None,
        follow_redirects: bool = False,
        read_body: bool = True,
    ) -> Reply:
        """One GET through ``limiter``, retried after 429/503 and transient network failures.

        Any other status is returned for the caller to judge (with its body when a 200 and
        ``read_body``). Raises ArchiveError when the retries run out or the body exceeds the
        page limit (refused, not truncated).
        """
        try:
            answer = await polite_request(
                self._client,
                limiter,
                "GET",
                url,
                policy=self._policy,
                max_bytes=self._max_page_bytes,
                what=what,
                headers=headers,
                follow_redirects=follow_redirects,
                read_body=lambda status: read_body and status == 200,
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # network failures, redirect loops, bad URLs
            raise ArchiveError(f"{what}: {url} could not be fetched: {exc!r}") from exc
        except BodyTooLarge as exc:
            size = "more than" if exc.announced is None else f"{exc.announced} bytes, more than"
            raise ArchiveError(f"{what}: {url} is {size} the {exc.limit}-byte limit") from None
        if answer.status in BUSY:
            raise ArchiveError(
                f"{what}: {url} answered {answer.status} (busy or rate limited) after {answer.attempts} attempts"
            )
        return answer

    async def _timemap(self, archive: MementoArchive, url: str, max_pages: int) -> list[Snapshot]:
        limiter = self._limiter("timemap", archive)
        what = f"TimeMap of {archive.name}"
        first = archive.timemap + url
        queue = [first]
        seen = {first}
        snapshots: dict[str, Snapshot] = {}
        pages = 0
        while queue:
            if pages >= max_pages:
                log.warning("%s: stopped after %d pages; %d more linked", what, pages, len(queue))
                break
            page = queue.pop(0)
            pages += 1
            # Followed: archive.today's many domains redirect to the one currently in use.
            answer = await self._get(limiter, page, what=what, follow_redirects=True)
            if answer.status == 404:  # archive.today and others: "no captures"
                continue
            if answer.status != 200:
                raise ArchiveError(f"{what}: {page} answered {answer.status}")
            links = self._parse_timemap(answer, what)
            for link in links:
                rels = link.rels
                if "memento" in rels:
                    snapshot = self._memento(archive, url, answer.url, link)
                    if snapshot is not None:
                        snapshots.setdefault(snapshot.memento_url, snapshot)
                elif ("timemap" in rels or "next" in rels) and "self" not in rels and link.target:
                    target = join_url(answer.url, link.target)
                    if target is not None and target not in seen:
                        seen.add(target)
                        queue.append(target)
            # The page we asked for may be named differently in its own self link (or after a
            # redirect): remember those names too, so a link back to it is not followed.
            seen.add(answer.url)
            seen.update(filter(None, (join_url(answer.url, link.target) for link in links if "self" in link.rels)))
        return list(snapshots.values())

    def _parse_timemap(self, answer: Reply, what: str) -> list[LinkValue]:
        content_type = answer.headers.get("content-type", "")
        try:
            text = answer.body.decode(answer.charset or "utf-8", errors="replace")
        except LookupError:  # a charset Python does not know
            text = answer.body.decode("utf-8", errors="replace")
        try:
            links = parse_link_format(text)
        except ArchiveError as exc:
            raise ArchiveError(f"{what}: {answer.url} ({content_type or 'no content type'}) {exc}") from exc
        if "html" in content_type.lower() and not any("memento" in link.rels for link in links):
            # An HTML page can contain "<…>" runs that look like links; it is not a TimeMap.
            raise ArchiveError(f"{what}: {answer.url} answered an HTML page ({content_type}), not a TimeMap")
        return links

    def _memento(self, archive: MementoArchive, url: str, page_url: str, link: LinkValue) -> Snapshot | None:
        """A TimeMap entry as a Snapshot; None (and a log line) when it has no usable date."""
        captured = parse_http_date(link.params.get("datetime", ""))
        target = join_url(page_url, link.target) if link.target else None
        if captured is None or target is None:
            log.info("%s: memento without a usable datetime or URL skipped: %r", archive.name, link)
            return None
        status = link.params.get("status", "")
        return _snapshot(
            archive,
            url,
            target,
            captured,
            SnapshotSource.TIMEMAP,
            status=int(status) if len(status) == 3 and status.isdigit() else None,
            mimetype=link.params.get("type") or None,
        )

    async def _timegate(self, archive: MementoArchive, prefix: str, url: str, at: datetime) -> Snapshot | None:
        limiter = self._limiter("timegate", archive)
        what = f"TimeGate of {archive.name}"
        gate = prefix + url
        answer = await self._get(limiter, gate, what=what, headers={"Accept-Datetime": http_date(at)}, read_body=False)
        if answer.status in (404, 406):
            return None
        links = self._link_header(answer)
        if answer.status == 200 and "memento-datetime" in answer.headers:
            # A 200-style TimeGate (RFC 7089 section 4.1.2): the answer is the memento itself.
            memento_url = _joined(answer.url, answer.headers.get("content-location", answer.url), what)
            captured = parse_http_date(answer.headers["memento-datetime"])
        elif 300 <= answer.status < 400 and "location" in answer.headers:
            memento_url = _joined(answer.url, answer.headers["location"], what)
            captured = self._datetime_from_links(links, answer.url, memento_url)
            if captured is None:
                memento_url, captured = await self._memento_datetime(limiter, memento_url, what)
        else:
            raise ArchiveError(f"{what}: {gate} answered {answer.status} without a memento to redirect to")
        if captured is None:
            raise ArchiveError(f"{what}: {gate} pointed to {memento_url} but no capture time could be learned")
        return _snapshot(archive, url, memento_url, captured, SnapshotSource.TIMEGATE)

    @staticmethod
    def _link_header(answer: Reply) -> list[LinkValue]:
        """The Link header(s) of an answer: the same syntax as a TimeMap; unreadable is empty."""
        text = ", ".join(answer.headers.get_list("link"))
        try:
            return parse_link_format(text)
        except ArchiveError:
            return []

    @staticmethod
    def _datetime_from_links(links: list[LinkValue], base: str, memento_url: str) -> datetime | None:
        for link in links:
            if "memento" in link.rels and join_url(base, link.target) == memento_url:
                return parse_http_date(link.params.get("datetime", ""))
        return None

    async def _memento_datetime(self, limiter: RateLimiter, memento_url: str, what: str) -> tuple[str, datetime | None]:
        """Ask the memento itself (following its redirects, body unread) for Memento-Datetime.

        Returns the URL it settled on (Wayback redirects to the exact capture timestamp) and
        the time; falls back to a timestamp in the URL when the memento will not say.
        """
        try:
            answer = await self._get(limiter, memento_url, what=what, follow_redirects=True, read_body=False)
        except ArchiveError as exc:
            log.info("%s: %s", what, exc)
        else:
            captured = parse_http_date(answer.headers.get("memento-datetime", ""))
            if captured is not None:
                return answer.url, captured
        match = _PATH_TIMESTAMP.search(memento_url)
        if match is None:
            return memento_url, None
        try:
            return memento_url, parse_timestamp14(match.group(1))
        except ArchiveError:
            return memento_url, None
