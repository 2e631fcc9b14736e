"""Internet Archive lookups: which captures of a URL the Wayback Machine holds.

Two read-only APIs, both on ``httpx`` and both paced by the process-wide limiters of
:mod:`citecheck.net.limits`:

* the **CDX server** (``{wayback_url}/cdx/search/cdx``), the authoritative capture index: one
  row per capture with its timestamp, captured URL, HTTP status, MIME type and digest. It is
  the expensive one, so it gets the strict pace (24 requests a minute by default).
* the **availability API** (``archive.org/wayback/available``), a cheap "closest capture to a
  date" probe. Its empty answer ``{"archived_snapshots": {}}`` is documented as "not archived
  *or currently not accessible*", and in practice it also comes back empty for URLs the CDX
  index plainly holds (scheme/``www`` variants, transient back-end trouble). So an empty
  answer means **unknown**, never "absent": :meth:`WaybackClient.available` returns ``None``
  and the caller falls through to :meth:`WaybackClient.cdx`.

The configured archive endpoints are trusted (unlike cited URLs, which go through the
private-address guard), which is also what lets tests point ``wayback_url`` at a mock server.

:func:`archive_request` is shared with :mod:`citecheck.archive.save`: the polite loop of
:mod:`citecheck.net.retry` (limiter, Retry-After, bounded jittered retries, bounded body) with
the Internet Archive APIs' errors, which name the exception's class and nothing of the request.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Unpack

import httpx

from ..core.snapshot import ArchiveError, Snapshot, SnapshotSource, parse_timestamp14, timestamp14, wayback_url
from ..net.body import BodyTooLarge
from ..net.limits import SHARED_LIMITERS, LimiterFactory, RateLimiter, Sleep
from ..net.retry import Reply, RequestOptions, RetryPolicy, any_http_error, polite_request
from ..net.singleflight import SingleFlight

__all__ = [
    "CDX_FIELDS",
    "MAX_RESPONSE_BYTES",
    "WaybackClient",
    "archive_request",
    "parse_json",
]

#: The CDX columns we ask for, in this order (the answer's header row is still what we trust).
CDX_FIELDS = ("timestamp", "original", "statuscode", "mimetype", "digest", "length")

#: Largest body we read from an archive API: a 1000-row CDX answer is ~200 kB, so 20 MB only
#: stops a misbehaving or hostile endpoint from filling memory.
MAX_RESPONSE_BYTES = 20 * 1024 * 1024

_Params = tuple[tuple[str, str], ...]


def parse_json(body: bytes, what: str) -> Any:
    """A JSON body, or :class:`ArchiveError` naming ``what`` answered badly."""
    try:
        return json.loads(body)
    except ValueError as exc:  # includes UnicodeDecodeError
        raise ArchiveError(f"{what} answered with something that is not JSON") from exc


async def archive_request(
    client: httpx.AsyncClient,
    limiter: RateLimiter,
    method: str,
    url: str,
    *,
    what: str,
    policy: RetryPolicy,
    max_bytes: int = MAX_RESPONSE_BYTES,
    **request: Unpack[RequestOptions],
) -> Reply:
    """:func:`citecheck.net.retry.polite_request` to an Internet Archive API.

    When the archive stays busy the last 429/503 reply is returned for the caller to classify.
    An unreachable archive or an oversized answer is an :class:`ArchiveError` that names the
    exception's class only (saves send keys: nothing of the request may show), unchained.
    """
    try:
        return await polite_request(
            client, limiter, method, url, policy=policy, max_bytes=max_bytes, what=what, **request
        )
    except httpx.HTTPError as exc:
        raise ArchiveError(f"{what} could not be reached ({type(exc).__name__})") from None
    except BodyTooLarge as exc:
        raise ArchiveError(f"{what} answered with more than {exc.limit} bytes") from None


def _cell(row: Sequence[Any], index: Mapping[str, int], name: str) -> str | None:
    """A CDX cell as text; None when the column is absent, short, or ``-`` (CDX's "no value")."""
    position = index.get(name)
    if position is None or position >= len(row):
        return None
    value = row[position]
    if value is None:
        return None
    text = str(value).strip()
    return None if text in ("", "-") else text


def _status(text: str | None) -> int | None:
    """An archived HTTP status; revisits and WARC metadata records carry ``-`` → None."""
    if text is None or not text.isdigit():
        return None
    return int(text)


class WaybackClient:
    """Internet Archive capture lookups (CDX and availability), polite and deduplicated.

    Concurrent identical lookups share one request: several citations of one URL in one run
    cost the archive one query, not several. Lookups are read-only and never raise for
    "nothing found"; :class:`ArchiveError` means the archive could not be asked or answered in
    a way we cannot use.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        wayback_url: str = "https://web.archive.org",
        availability_url: str = "https://archive.org/wayback/available",
        cdx_per_minute: float = 24,
        availability_per_second: float = 1,
        retries: int = 2,
        sleep: Sleep | None = None,
        limiters: LimiterFactory = SHARED_LIMITERS,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        """``limiters`` hands out the endpoints' limiters (default: the process-wide ones);
        ``sleep`` is the jitter's pause between attempts; both are seams for tests."""
        self._client = client
        self.wayback_url = wayback_url.rstrip("/")
        self.availability_url = availability_url
        self._policy = RetryPolicy(retries=max(0, retries), retry_on=any_http_error, sleep=sleep or asyncio.sleep)
        self._max_bytes = max_response_bytes
        self._cdx_limiter = limiters("ia:cdx", cdx_per_minute)
        self._availability_limiter = limiters("ia:availability", 60 * availability_per_second)
        self._cdx_flights: SingleFlight[_Params, list[Snapshot]] = SingleFlight()
        self._available_flights: SingleFlight[_Params, Snapshot | None] = SingleFlight()

    def __repr__(self) -> str:
        return f"WaybackClient(wayback_url={self.wayback_url!r})"

    def memento_url(self, timestamp: str, url: str) -> str:
        """The replay URL a reader follows: ``{wayback_url}/web/{timestamp}/{url}``."""
        return wayback_url(self.wayback_url, url, timestamp)

    def raw_url(self, timestamp: str, url: str) -> str:
        """The capture as archived, without banner or link rewriting (Wayback's ``id_`` form)."""
        return wayback_url(self.wayback_url, url, timestamp, raw=True)

    def _snapshot(
        self,
        url: str,
        timestamp: str,
        original: str,
        captured_at: datetime,
        source: SnapshotSource,
        *,
        status: int | None,
        mimetype: str | None = None,
        digest: str | None = None,
        learned_at: datetime | None = None,
    ) -> Snapshot:
        """A capture of ``original`` at ``timestamp``, as the answer to a lookup of ``url``."""
        return Snapshot(
            original_url=url,
            lookup_url=url,
            archive="ia",
            memento_url=self.memento_url(timestamp, original),
            raw_url=self.raw_url(timestamp, original),
            captured_at=captured_at,
            status=status,
            mimetype=mimetype,
            digest=digest,
            source=source,
            learned_at=learned_at or datetime.now(UTC),
        )

    async def _query(self, limiter: RateLimiter, url: str, what: str, params: _Params) -> bytes:
        """The body of a GET that must answer 200."""
        reply = await archive_request(
            self._client, limiter, "GET", url, what=what, policy=self._policy, max_bytes=self._max_bytes, params=params
        )
        if reply.status != 200:
            raise ArchiveError(f"{what} answered HTTP {reply.status}")
        return reply.body

    # -- CDX ---------------------------------------------------------------------------------

    async def cdx(
        self,
        url: str,
        *,
        from_: datetime | None = None,
        to: datetime | None = None,
        limit: int = 1000,
        filters: Sequence[str] = (),
    ) -> list[Snapshot]:
        """Captures of exactly ``url`` in the CDX index, oldest first (``[]`` when there are none).

        ``filters`` are CDX ``filter`` expressions (``statuscode:200``, ``!mimetype:warc/revisit``),
        each sent as its own ``filter`` parameter: the server ANDs them.
        """
        params: list[tuple[str, str]] = [("url", url), ("output", "json"), ("fl", ",".join(CDX_FIELDS))]
        if from_ is not None:
            params.append(("from", timestamp14(from_)))
        if to is not None:
            params.append(("to", timestamp14(to)))
        params.append(("limit", str(limit)))
        params.extend(("filter", expression) for expression in filters)
        key = tuple(params)
        rows = await self._cdx_flights.run(key, lambda: self._cdx(url, key))
        return list(rows)

    async def cdx_history(self, url: str, *, filters: Sequence[str] = (), limit: int = 1000) -> list[Snapshot]:
        """Captures of ``url`` across its whole history, oldest first: what a choice for any date needs.

        A CDX answer cut at ``limit`` rows holds the *oldest* captures only, so for a busy URL
        every recent access date would get a capture years old. When the first answer is full,
        two more queries fill it in: the newest ``limit`` captures (a negative limit), and one
        capture a month over all years (``collapse=timestamp:6``), so any date finds one within
        about a month, and recent dates one as close as the archive has. A quiet URL costs one
        query, as before.
        """
        oldest = await self.cdx(url, limit=limit, filters=filters)
        if len(oldest) < limit:
            return oldest
        newest, monthly = await asyncio.gather(
            self.cdx(url, limit=-limit, filters=filters),
            self._collapsed(url, filters=filters, limit=limit),
        )
        merged = {(snapshot.timestamp, snapshot.memento_url): snapshot for snapshot in (*oldest, *monthly, *newest)}
        return sorted(merged.values(), key=lambda snapshot: snapshot.captured_at)

    async def _collapsed(self, url: str, *, filters: Sequence[str], limit: int) -> list[Snapshot]:
        params: list[tuple[str, str]] = [("url", url), ("output", "json"), ("fl", ",".join(CDX_FIELDS))]
        params += [("collapse", "timestamp:6"), ("limit", str(limit))]
        params.extend(("filter", expression) for expression in filters)
        key = tuple(params)
        return list(await self._cdx_flights.run(key, lambda: self._cdx(url, key)))

    async def _cdx(self, url: str, params: _Params) -> list[Snapshot]:
        what = "the Wayback CDX server"
        return self.parse_cdx(
            url, await self._query(self._cdx_limiter, f"{self.wayback_url}/cdx/search/cdx", what, params)
        )

    def parse_cdx(self, url: str, body: bytes) -> list[Snapshot]:
        """Snapshots from a CDX ``output=json`` body.

        The body is a list of rows whose first row names the columns; columns are found by
        name, so extra ones (``urlkey``) or another order are fine and short rows just lack the
        trailing fields. An empty body or ``[]`` means no captures. Rows stop at the empty row
        that precedes a resume key. A row without a readable timestamp or URL is skipped
        rather than failing the whole answer; a missing or unusable header is an
        :class:`ArchiveError`.
        """
        if not body.strip():
            return []
        data = parse_json(body, "the Wayback CDX server")
        if not isinstance(data, list):
            raise ArchiveError("the Wayback CDX server answered with JSON that is not a list of rows")
        if not data:
            return []
        header = data[0]
        if not isinstance(header, list) or not all(isinstance(name, str) for name in header):
            raise ArchiveError("the Wayback CDX server's answer has no header row")
        index = {name: position for position, name in enumerate(header)}
        if "timestamp" not in index or "original" not in index:
            raise ArchiveError("the Wayback CDX server's header lacks timestamp/original")
        learned_at = datetime.now(UTC)
        snapshots: list[Snapshot] = []
        for row in data[1:]:
            if not isinstance(row, list):
                continue
            if not row:
                break  # showResumeKey: an empty row, then the key
            timestamp = _cell(row, index, "timestamp")
            original = _cell(row, index, "original")
            if timestamp is None or original is None:
                continue
            try:
                captured_at = parse_timestamp14(timestamp)
            except ArchiveError:
                continue
            snapshots.append(
                self._snapshot(
                    url,
                    timestamp,
                    original,
                    captured_at,
                    SnapshotSource.CDX,
                    status=_status(_cell(row, index, "statuscode")),
                    mimetype=_cell(row, index, "mimetype"),
                    digest=_cell(row, index, "digest"),
                    learned_at=learned_at,
                )
            )
        return snapshots

    # -- availability ------------------------------------------------------------------------

    async def available(self, url: str, *, at: datetime | None = None) -> Snapshot | None:
        """The capture closest to ``at`` (or the newest) per the availability API.

        ``None`` means **unknown**, never "not archived": the API answers
        ``{"archived_snapshots": {}}`` both for URLs it has no capture of and for URLs it
        fails to look up, so the caller must then ask :meth:`cdx`.
        """
        params: list[tuple[str, str]] = [("url", url)]
        if at is not None:
            params.append(("timestamp", timestamp14(at)))
        key = tuple(params)
        return await self._available_flights.run(key, lambda: self._available(url, key))

    async def _available(self, url: str, params: _Params) -> Snapshot | None:
        what = "the Wayback availability API"
        return self.parse_available(
            url, await self._query(self._availability_limiter, self.availability_url, what, params)
        )

    def parse_available(self, url: str, body: bytes) -> Snapshot | None:
        """A snapshot from an availability answer; None for "no closest capture reported"."""
        data = parse_json(body, "the Wayback availability API")
        if not isinstance(data, dict):
            raise ArchiveError("the Wayback availability API answered with JSON that is not an object")
        archived = data.get("archived_snapshots")
        if archived is None or archived == {} or archived == []:
            return None
        if not isinstance(archived, dict):
            raise ArchiveError("the Wayback availability API's archived_snapshots is not an object")
        closest = archived.get("closest")
        if closest is None:
            return None
        if not isinstance(closest, dict):
            raise ArchiveError("the Wayback availability API's closest capture is not an object")
        if closest.get("available") is False:
            return None
        timestamp = closest.get("timestamp")
        if not isinstance(timestamp, str):
            raise ArchiveError("the Wayback availability API's closest capture has no timestamp")
        captured_at = parse_timestamp14(timestamp)
        # The answer's "url" is a replay URL (often http://, on web.archive.org): rebuild ours on
        # the configured endpoint from the captured URL it embeds.
        original = url
        replay = closest.get("url")
        if isinstance(replay, str):
            marker = f"/{timestamp}/"
            position = replay.find(marker)
            if position >= 0 and replay[position + len(marker) :]:
                original = replay[position + len(marker) :]
        status = closest.get("status")
        return self._snapshot(
            url,
            timestamp,
            original,
            captured_at,
            SnapshotSource.AVAILABILITY,
            status=_status(str(status)) if isinstance(status, (int, str)) and not isinstance(status, bool) else None,
        )
