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

:func:`polite_request` is shared with :mod:`citecheck.archive.save`: one place implements
"wait for the limiter, honour 429/503 Retry-After, retry a bounded number of times with
jitter, never read more than a bounded body".
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx

from ..core.snapshot import ArchiveError, Snapshot, SnapshotSource, parse_timestamp14, timestamp14
from ..net.exchange import retry_after_seconds
from ..net.limits import RateLimiter, limiter_for

__all__ = [
    "CDX_FIELDS",
    "MAX_RESPONSE_BYTES",
    "MAX_RETRY_AFTER",
    "Answer",
    "WaybackClient",
    "polite_request",
]

_log = logging.getLogger(__name__)

#: The CDX columns we ask for, in this order (the answer's header row is still what we trust).
CDX_FIELDS = ("timestamp", "original", "statuscode", "mimetype", "digest", "length")

#: Largest body we read from an archive API: a 1000-row CDX answer is ~200 kB, so 20 MB only
#: stops a misbehaving or hostile endpoint from filling memory.
MAX_RESPONSE_BYTES = 20 * 1024 * 1024

#: A Retry-After longer than this is not waited out inside one run: we record the embargo on
#: the limiter and give up on this request (the next run tries again).
MAX_RETRY_AFTER = 300.0

#: Statuses that mean "too busy, come back later" rather than "no".
_BUSY = frozenset({429, 503})

Sleep = Callable[[float], Awaitable[None]]
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Answer:
    """An archive API's complete (bounded) answer."""

    status: int
    headers: httpx.Headers
    body: bytes

    def json(self, what: str) -> Any:
        """The body as JSON, or :class:`ArchiveError` naming ``what`` answered badly."""
        try:
            return json.loads(self.body)
        except ValueError as exc:  # includes UnicodeDecodeError
            raise ArchiveError(f"{what} answered with something that is not JSON") from exc


async def _read_bounded(response: httpx.Response, limit: int, what: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise ArchiveError(f"{what} answered with more than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def polite_request(
    client: httpx.AsyncClient,
    limiter: RateLimiter,
    method: str,
    url: str,
    *,
    what: str,
    params: Sequence[tuple[str, str]] | None = None,
    data: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    retries: int = 2,
    sleep: Sleep | None = None,
    retry_transport_errors: bool = True,
    max_bytes: int = MAX_RESPONSE_BYTES,
) -> Answer:
    """One request to an archive API, at the endpoint's pace, retried while the archive is busy.

    Every attempt waits for a ``limiter`` slot. A 429/503 calls ``limiter.defer(Retry-After)``
    (so every other task using the endpoint also backs off, not only this one), sleeps a
    random jitter of up to ``2**attempt`` seconds (so tasks released by the same embargo do not
    arrive together) and tries again, at most ``retries`` more times. A Retry-After longer than
    :data:`MAX_RETRY_AFTER` is recorded but not waited for. When the archive stays busy the
    last 429/503 answer is returned so the caller can classify it.

    Transport failures (timeouts, refused connections) are retried the same way when
    ``retry_transport_errors`` (safe for lookups; saves pass False so one capture is never
    requested twice), then raise :class:`ArchiveError` without the request's headers in it.
    """
    pause = sleep or asyncio.sleep
    answer: Answer | None = None
    for attempt in range(retries + 1):
        async with limiter.slot():
            try:
                async with client.stream(
                    method, url, params=httpx.QueryParams(list(params or ())), data=data, headers=headers
                ) as response:
                    if response.status_code in _BUSY:
                        answer = Answer(response.status_code, response.headers, b"")
                    else:
                        body = await _read_bounded(response, max_bytes, what)
                        return Answer(response.status_code, response.headers, body)
            except httpx.HTTPError as exc:
                # Only the exception's class: its message can carry the URL, never headers, but keep it short.
                if not retry_transport_errors or attempt == retries:
                    raise ArchiveError(f"{what} could not be reached ({type(exc).__name__})") from None
                _log.debug("%s: %s, retrying", what, type(exc).__name__)
                await pause(random.uniform(0, 2**attempt))
                continue
        wait = retry_after_seconds(answer.headers.get("Retry-After"))
        limiter.defer(wait)
        if attempt == retries or (wait is not None and wait > MAX_RETRY_AFTER):
            break
        _log.debug("%s answered HTTP %d; waiting %s s before retrying", what, answer.status, wait)
        await pause(random.uniform(0, 2**attempt))
    assert answer is not None
    return answer


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
    ) -> None:
        self._client = client
        self.wayback_url = wayback_url.rstrip("/")
        self.availability_url = availability_url
        self._retries = max(0, retries)
        self._sleep = sleep
        self._cdx_limiter = limiter_for("ia:cdx", cdx_per_minute)
        self._availability_limiter = limiter_for("ia:availability", 60 * availability_per_second)
        self._inflight: dict[tuple[Any, ...], asyncio.Future[Any]] = {}

    def __repr__(self) -> str:
        return f"WaybackClient(wayback_url={self.wayback_url!r})"

    def memento_url(self, timestamp: str, url: str) -> str:
        """The replay URL a reader follows: ``{wayback_url}/web/{timestamp}/{url}``."""
        return f"{self.wayback_url}/web/{timestamp}/{url}"

    def raw_url(self, timestamp: str, url: str) -> str:
        """The capture as archived, without banner or link rewriting (Wayback's ``id_`` form)."""
        return f"{self.wayback_url}/web/{timestamp}id_/{url}"

    async def _once(self, key: tuple[Any, ...], make: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
        """Run ``make()`` once for all concurrent callers with the same ``key``.

        The shared task is shielded: one caller being cancelled does not cancel the lookup the
        others are waiting for.
        """
        future = self._inflight.get(key)
        if future is None:
            future = asyncio.ensure_future(make())
            self._inflight[key] = future

            def forget(done: asyncio.Future[Any]) -> None:
                if self._inflight.get(key) is done:
                    del self._inflight[key]
                if not done.cancelled():
                    done.exception()  # retrieved, so an unawaited failure is not reported as lost

            future.add_done_callback(forget)
        result: _T = await asyncio.shield(future)
        return result

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
        rows = await self._once(("cdx", *params), lambda: self._cdx(url, params))
        return list(rows)

    async def _cdx(self, url: str, params: list[tuple[str, str]]) -> list[Snapshot]:
        answer = await polite_request(
            self._client,
            self._cdx_limiter,
            "GET",
            f"{self.wayback_url}/cdx/search/cdx",
            what="the Wayback CDX server",
            params=params,
            retries=self._retries,
            sleep=self._sleep,
            max_bytes=MAX_RESPONSE_BYTES,
        )
        if answer.status != 200:
            raise ArchiveError(f"the Wayback CDX server answered HTTP {answer.status}")
        return self.parse_cdx(url, answer.body)

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
        data = Answer(200, httpx.Headers(), body).json("the Wayback CDX server")
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
                Snapshot(
                    original_url=url,
                    lookup_url=url,
                    archive="ia",
                    memento_url=self.memento_url(timestamp, original),
                    raw_url=self.raw_url(timestamp, original),
                    captured_at=captured_at,
                    status=_status(_cell(row, index, "statuscode")),
                    mimetype=_cell(row, index, "mimetype"),
                    digest=_cell(row, index, "digest"),
                    source=SnapshotSource.CDX,
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
        return await self._once(("available", *params), lambda: self._available(url, params))

    async def _available(self, url: str, params: list[tuple[str, str]]) -> Snapshot | None:
        answer = await polite_request(
            self._client,
            self._availability_limiter,
            "GET",
            self.availability_url,
            what="the Wayback availability API",
            params=params,
            retries=self._retries,
            sleep=self._sleep,
            max_bytes=MAX_RESPONSE_BYTES,
        )
        if answer.status != 200:
            raise ArchiveError(f"the Wayback availability API answered HTTP {answer.status}")
        return self.parse_available(url, answer.body)

    def parse_available(self, url: str, body: bytes) -> Snapshot | None:
        """A snapshot from an availability answer; None for "no closest capture reported"."""
        data = Answer(200, httpx.Headers(), body).json("the Wayback availability API")
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
        return Snapshot(
            original_url=url,
            lookup_url=url,
            archive="ia",
            memento_url=self.memento_url(timestamp, original),
            raw_url=self.raw_url(timestamp, original),
            captured_at=captured_at,
            status=_status(str(status)) if isinstance(status, (int, str)) and not isinstance(status, bool) else None,
            source=SnapshotSource.AVAILABILITY,
        )
