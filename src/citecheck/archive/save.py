"""Ask the Internet Archive to capture a URL now: the Save Page Now 2 (SPN2) API.

A capture is a job: ``POST {wayback_url}/save`` answers ``{"url": ..., "job_id": "spn2-..."}``
at once, and ``GET {wayback_url}/save/status/{job_id}`` later says ``pending``, ``success``
(with the capture's ``timestamp``) or ``error`` (with a ``status_ext`` code). A job still
pending when we stop polling is returned as pending, with its ``job_id``, so the next run polls
it again instead of requesting a second capture.

Saving needs Internet Archive keys (``Authorization: LOW access:secret``); without them
:meth:`SaveClient.submit` refuses before sending anything. The secret never appears in a
repr, an exception, a log line or a :class:`~citecheck.core.snapshot.Snapshot`.

What a failed job means for the next attempt (:func:`classify`), from the ``status_ext``
codes the SPN2 documentation lists:

=====================  ==================================================================
class                  codes
=====================  ==================================================================
``retry_later``        SPN's own trouble or a target that may recover:
                       ``user-session-limit`` (our concurrent-capture quota),
                       ``soft-time-limit-exceeded``, ``browsing-timeout``,
                       ``no-browsers-available``, ``celery``, ``proxy-error``,
                       ``capture-location-error``, ``cannot-fetch``, ``job-failed``,
                       ``internal-server-error``, ``read-timeout``, ``protocol-error``,
                       ``bad-gateway`` (target 502), ``service-unavailable`` (target 503),
                       ``gateway-timeout`` (target 504), ``bandwidth-limit-exceeded`` (509);
                       and, without a code, an unreachable SPN or an HTTP 5xx / no answer
``rate_limited``       ``too-many-requests`` (the target host throttles SPN; SPN delays
                       that host 10-20 s), or SPN itself answering HTTP 429
``per_url_daily``      ``too-many-daily-captures`` (10 captures of the URL today)
``auth``               SPN answering HTTP 401/403 (our keys), ``blocked-client-ip``
``permanent``          everything else, e.g. ``not-found``, ``no-access``, ``unauthorized``,
                       ``blocked``, ``blocked-url``, ``invalid-url-syntax``,
                       ``invalid-host-resolution``, ``too-many-redirects``,
                       ``filesize-limit``, ``method-not-allowed``, unknown codes
=====================  ==================================================================

``error:unauthorized`` is the *target* answering 401 (a login wall), not our keys being
refused, so it is permanent for that URL; only SPN's own 401/403 is ``auth``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from ..core.settings import ACCESS_KEY_ENV, SECRET_KEY_ENV, SaveCredentials
from ..core.snapshot import (
    ArchiveError,
    JobStatus,
    SaveErrorClass,
    Snapshot,
    SnapshotSource,
    parse_timestamp14,
    wayback_url,
)
from ..net.limits import SHARED_LIMITERS, LimiterFactory
from ..net.retry import Reply, RetryPolicy, any_http_error, never
from .wayback import archive_request, parse_json

__all__ = [
    "ACCESS_KEY_ENV",
    "NO_KEYS_MESSAGE",
    "SECRET_KEY_ENV",
    "SaveClient",
    "SaveCredentials",
    "classify",
]

_log = logging.getLogger(__name__)

NO_KEYS_MESSAGE = f"saving needs Internet Archive keys: set {ACCESS_KEY_ENV} and {SECRET_KEY_ENV}"

#: Longest pause between two status polls of one job.
_MAX_POLL_INTERVAL = 30.0

_RETRY_LATER = frozenset(
    {
        "error:user-session-limit",
        "error:soft-time-limit-exceeded",
        "error:browsing-timeout",
        "error:no-browsers-available",
        "error:celery",
        "error:proxy-error",
        "error:capture-location-error",
        "error:cannot-fetch",
        "error:job-failed",
        "error:internal-server-error",
        "error:read-timeout",
        "error:protocol-error",
        "error:bad-gateway",
        "error:service-unavailable",
        "error:gateway-timeout",
        "error:bandwidth-limit-exceeded",
    }
)
_BY_CODE: dict[str, SaveErrorClass] = {
    **dict.fromkeys(_RETRY_LATER, SaveErrorClass.RETRY_LATER),
    "error:too-many-requests": SaveErrorClass.RATE_LIMITED,
    "error:too-many-daily-captures": SaveErrorClass.PER_URL_DAILY,
    "error:blocked-client-ip": SaveErrorClass.AUTH,
}


def classify(status_ext: str | None, http_status: int | None = None) -> SaveErrorClass:
    """What a failed save means for the next attempt (see the module's table).

    A known ``status_ext`` decides; else SPN's own HTTP status (401/403 → auth, 429 → rate
    limited); else an unknown code is permanent (never hammer on something we do not
    understand), and no code at all is retried later unless SPN answered a 4xx.
    """
    code = (status_ext or "").strip().lower()
    if code in _BY_CODE:
        return _BY_CODE[code]
    if http_status in (401, 403):
        return SaveErrorClass.AUTH
    if http_status == 429:
        return SaveErrorClass.RATE_LIMITED
    if code:
        return SaveErrorClass.PERMANENT
    if http_status is not None and 400 <= http_status < 500:
        return SaveErrorClass.PERMANENT
    return SaveErrorClass.RETRY_LATER


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


class SaveClient:
    """Save Page Now 2 captures: submit, poll, classify failures; politely.

    Submissions share the process-wide ``ia:save`` limiter (5 a minute with keys, 3
    anonymously, per the issue); status polls use their own ``ia:save-status`` limiter (one a
    second) and back off between polls of one job. ``sleep``, ``clock`` and ``limiters`` (which
    hands out the endpoints' limiters; default: the process-wide ones) are injectable so tests
    never wait.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        wayback_url: str = "https://web.archive.org",
        credentials: SaveCredentials | None,
        per_minute: float | None = None,
        poll_interval: float = 5,
        poll_timeout: float = 120,
        retries: int = 2,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], float] | None = None,
        limiters: LimiterFactory = SHARED_LIMITERS,
    ) -> None:
        self._client = client
        self.wayback_url = wayback_url.rstrip("/")
        self._credentials = credentials
        self.per_minute = per_minute if per_minute is not None else (5.0 if credentials else 3.0)
        self.poll_interval = poll_interval
        self.poll_timeout = poll_timeout
        self._sleep = sleep or asyncio.sleep
        self._clock = clock or time.monotonic
        # A retried POST could start a second capture: only busy answers are retried.
        self._submit_policy = RetryPolicy(retries=max(0, retries), retry_on=never, sleep=self._sleep)
        self._poll_policy = RetryPolicy(retries=max(0, retries), retry_on=any_http_error, sleep=self._sleep)
        self._limiter = limiters("ia:save", self.per_minute)
        self._status_limiter = limiters("ia:save-status", 60)

    def __repr__(self) -> str:
        keys = "with keys" if self._credentials else "anonymous"
        return f"SaveClient(wayback_url={self.wayback_url!r}, {keys})"

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self._credentials is not None:
            headers["Authorization"] = self._credentials.authorization()
        return headers

    def _base(self, url: str) -> Snapshot:
        """A save record before we know the capture: the replay URL is Wayback's "latest" form."""
        now = datetime.now(UTC)
        return Snapshot(
            original_url=url,
            lookup_url=url,
            archive="ia",
            memento_url=wayback_url(self.wayback_url, url),
            captured_at=now,
            source=SnapshotSource.SAVE,
            learned_at=now,
        )

    def _failed(self, snapshot: Snapshot, status_ext: str | None, http_status: int | None) -> Snapshot:
        return dataclasses.replace(
            snapshot,
            job_status=JobStatus.ERROR,
            status_ext=status_ext,
            error_class=classify(status_ext, http_status),
            learned_at=datetime.now(UTC),
        )

    async def submit(self, url: str, *, if_not_archived_within: str = "1d") -> Snapshot:
        """Request a capture of ``url``; the job comes back pending (with ``job_id``) or failed.

        ``if_not_archived_within`` is always sent: SPN then skips the capture when one exists
        that recent, which keeps re-runs from spending the URL's ten daily captures.
        Never raises for an archive failure (the record says what happened), only
        :class:`ArchiveError` when there are no keys, before anything is sent: saving
        anonymously is not offered, and retrying cannot help.
        """
        if self._credentials is None:
            raise ArchiveError(NO_KEYS_MESSAGE)
        base = self._base(url)
        try:
            answer = await archive_request(
                self._client,
                self._limiter,
                "POST",
                f"{self.wayback_url}/save",
                what="Save Page Now",
                policy=self._submit_policy,
                data={"url": url, "if_not_archived_within": if_not_archived_within},
                headers=self._headers(),
            )
        except ArchiveError as exc:
            _log.debug("save of %s not submitted: %s", url, exc)
            return self._failed(base, None, None)
        data = _json_object(answer)
        status_ext = _text(data.get("status_ext"))
        job_id = _text(data.get("job_id"))
        if answer.status == 200 and job_id is not None and status_ext is None:
            _log.debug("save of %s submitted as %s", url, job_id)
            return dataclasses.replace(base, job_id=job_id, job_status=JobStatus.PENDING)
        _log.debug("save of %s refused: HTTP %d %s", url, answer.status, status_ext)
        return self._failed(base, status_ext, None if answer.status == 200 else answer.status)

    async def poll(self, pending: Snapshot) -> Snapshot:
        """Follow a submitted job until it succeeds, fails, or ``poll_timeout`` passes.

        Polls back off (``poll_interval``, growing by half each time, at most 30 s). A job still
        pending at the deadline, or whose status cannot be read, is returned pending for the
        next run. Records that are not pending jobs are returned unchanged.
        """
        if pending.job_id is None or pending.job_status is not JobStatus.PENDING:
            return pending
        deadline = self._clock() + self.poll_timeout
        interval = max(self.poll_interval, 0.01)
        waited = 0.0  # a backstop deadline that holds even if the clock does not move
        while True:
            if self._clock() + interval > deadline or waited + interval > self.poll_timeout:
                return pending
            await self._sleep(interval * random.uniform(0.9, 1.0))
            waited += interval
            interval = min(interval * 1.5, _MAX_POLL_INTERVAL)
            try:
                answer = await archive_request(
                    self._client,
                    self._status_limiter,
                    "GET",
                    f"{self.wayback_url}/save/status/{pending.job_id}",
                    what="Save Page Now status",
                    policy=self._poll_policy,
                    headers=self._headers(),
                )
            except ArchiveError as exc:
                _log.debug("status of %s unknown: %s", pending.job_id, exc)
                return pending
            if answer.status != 200:
                if answer.status in (401, 403):
                    return self._failed(pending, None, answer.status)
                continue  # busy or confused: try again at the next poll
            data = _json_object(answer)
            status = _text(data.get("status"))
            if status == "success":
                return self._succeeded(pending, data)
            if status == "error":
                return self._failed(pending, _text(data.get("status_ext")), None)

    def _succeeded(self, pending: Snapshot, data: Mapping[str, Any]) -> Snapshot:
        timestamp = _text(data.get("timestamp"))
        try:
            captured_at = parse_timestamp14(timestamp or "")
        except ArchiveError:
            # "success" without a usable timestamp: the capture exists but we cannot cite it yet.
            return pending
        original = _text(data.get("original_url")) or pending.lookup_url
        assert timestamp is not None
        http_status = data.get("http_status")
        return dataclasses.replace(
            pending,
            memento_url=wayback_url(self.wayback_url, original, timestamp),
            raw_url=wayback_url(self.wayback_url, original, timestamp, raw=True),
            captured_at=captured_at,
            # SPN2 does not document the capture's HTTP status in this answer: keep it when present,
            # otherwise leave it unknown for a CDX lookup to confirm.
            status=http_status if isinstance(http_status, int) and not isinstance(http_status, bool) else None,
            job_status=JobStatus.SUCCESS,
            learned_at=datetime.now(UTC),
        )

    async def save(self, url: str, *, if_not_archived_within: str = "1d") -> Snapshot:
        """Submit a capture of ``url`` and poll it (see :meth:`submit` and :meth:`poll`)."""
        submitted = await self.submit(url, if_not_archived_within=if_not_archived_within)
        return await self.poll(submitted)


def _json_object(answer: Reply) -> dict[str, Any]:
    """The answer as a JSON object; ``{}`` for anything else (classified by HTTP status instead)."""
    try:
        data = parse_json(answer.body, "Save Page Now")
    except ArchiveError:
        return {}
    return data if isinstance(data, dict) else {}
