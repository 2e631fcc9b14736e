"""The archive stage in one place: find the snapshot to cite, request one, remember both.

``Archiver.lookup`` asks the Internet Archive's CDX API and every configured Memento archive's
TimeMap for captures of the cleaned URL (then, only if none is found, of the URL as cited),
chooses one with :func:`citecheck.archive.choose.choose`, and records the answer in the store,
negative answers included, so reruns do not ask again too soon.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from .._version import __version__
from ..clean import Cleaner
from ..errors import ConfigError
from .choose import choose
from .memento import MementoArchive, MementoClient
from .model import ArchiveError, Snapshot, SnapshotSource
from .save import SaveClient, SaveCredentials
from .wayback import WaybackClient

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["ArchiveSettings", "Archiver", "SyncArchiver"]

_T = TypeVar("_T")
_USER_AGENT = f"citecheck/{__version__} (+https://pypi.org/project/citecheck/; citation archiver)"


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchiveSettings:
    """Where the archives are and how politely to ask them (the ``archive`` config table)."""

    wayback_url: str = "https://web.archive.org"
    availability_url: str = "https://archive.org/wayback/available"
    #: Other Memento archives (archive.today, a self-hosted pywb, MemGator...).
    memento: tuple[MementoArchive, ...] = ()
    #: Archive names in order of preference when several have a suitable capture.
    prefer: tuple[str, ...] = ("ia",)
    cdx_per_minute: float = 24.0
    timemap_per_minute: float = 24.0
    availability_per_second: float = 1.0
    #: Saves a minute; None: 5 with keys, 3 anonymously.
    save_per_minute: float | None = None
    #: Reuse a found snapshot this long, a negative answer this long.
    max_age: timedelta = timedelta(days=7)
    negative_max_age: timedelta = timedelta(days=1)
    timeout: float = 30.0
    credentials: SaveCredentials | None = field(default=None, repr=False)

    @classmethod
    def from_table(
        cls, table: Mapping[str, Any] | None = None, *, env: Mapping[str, str] | None = None
    ) -> ArchiveSettings:
        """Settings from a config ``archive`` table and the environment (the environment wins)."""
        env = os.environ if env is None else env
        table = dict(table or {})
        values: dict[str, Any] = {}
        for key in ("wayback_url", "availability_url"):
            if key in table:
                if not isinstance(table[key], str) or not table[key].startswith(("http://", "https://")):
                    raise ConfigError(f"archive.{key} must be an http(s) URL")
                values[key] = table[key].rstrip("/") if key == "wayback_url" else table[key]
        for key in ("cdx_per_minute", "timemap_per_minute", "availability_per_second", "save_per_minute"):
            if key in table:
                value = table[key]
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                    raise ConfigError(f"archive.{key} must be a positive number")
                values[key] = float(value)
        if "prefer" in table:
            if not isinstance(table["prefer"], list) or not all(isinstance(v, str) for v in table["prefer"]):
                raise ConfigError("archive.prefer must be a list of archive names")
            values["prefer"] = tuple(table["prefer"])
        if "memento" in table:
            archives = []
            for entry in table["memento"]:
                if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry.get("timemap"):
                    raise ConfigError("each archive.memento entry needs a name and a timemap URL prefix")
                archives.append(
                    MementoArchive(name=entry["name"], timemap=str(entry["timemap"]), timegate=entry.get("timegate"))
                )
            values["memento"] = tuple(archives)
        unknown = (
            set(table)
            - {*values, "memento", "prefer"}
            - {
                "wayback_url",
                "availability_url",
                "cdx_per_minute",
                "timemap_per_minute",
                "availability_per_second",
                "save_per_minute",
            }
        )
        if unknown:
            raise ConfigError(f"archive: unknown keys {sorted(unknown)}")
        if env.get("CITECHECK_WAYBACK_URL"):
            values["wayback_url"] = env["CITECHECK_WAYBACK_URL"].rstrip("/")
        if env.get("CITECHECK_AVAILABILITY_URL"):
            values["availability_url"] = env["CITECHECK_AVAILABILITY_URL"]
        values["credentials"] = SaveCredentials.from_env(env)
        return cls(**values)


class Archiver:
    """Find, choose, request and remember snapshots. ``async with Archiver() as archiver:``."""

    def __init__(
        self,
        settings: ArchiveSettings | None = None,
        *,
        client: httpx.AsyncClient | None = None,
        store: Store | None = None,
        cleaner: Cleaner | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings or ArchiveSettings()
        self._own_client = client is None
        # Archive endpoints are configured by the operator and trusted: no private-address guard.
        self.client = client or httpx.AsyncClient(
            headers={"User-Agent": _USER_AGENT}, timeout=httpx.Timeout(self.settings.timeout), trust_env=False
        )
        self.store = store
        self.cleaner = cleaner or Cleaner()
        self._clock = clock or (lambda: datetime.now(UTC))
        s = self.settings
        self.wayback = WaybackClient(
            self.client,
            wayback_url=s.wayback_url,
            availability_url=s.availability_url,
            cdx_per_minute=s.cdx_per_minute,
            availability_per_second=s.availability_per_second,
            sleep=sleep,
        )
        self.memento = MementoClient(self.client, per_minute=s.timemap_per_minute, sleep=sleep)
        self.saver = SaveClient(
            self.client, wayback_url=s.wayback_url, credentials=s.credentials, per_minute=s.save_per_minute, sleep=sleep
        )

    async def __aenter__(self) -> Archiver:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_client:
            await self.client.aclose()

    async def lookup(self, url: str, *, at: datetime | None = None) -> Snapshot | None:
        """The snapshot to cite for ``url`` as accessed at ``at`` (default now), or None.

        The cleaned URL is looked up first; the URL as cited only when nothing is found.
        """
        moment = at or self._clock()
        cleaned = self.cleaner.clean(url)
        for candidate in dict.fromkeys((cleaned, url)):
            known, stored = self._stored(candidate)
            if known and stored is not None:
                return replace(stored, original_url=url)
            if known:
                continue  # a fresh negative answer: do not ask the archives again yet
            found, complete = await self._find(candidate)
            found = [replace(s, original_url=url, lookup_url=candidate) for s in found]
            chosen = choose(found, at=moment, prefer=self.settings.prefer)
            if chosen is None:
                chosen = choose(
                    [s for s in found if s.source is SnapshotSource.TIMEMAP],
                    at=moment,
                    prefer=self.settings.prefer,
                    allow_unknown_status=True,
                )
            if complete or chosen is not None:
                self._remember(candidate, url, chosen)
            if chosen is not None:
                return chosen
        return None

    async def save(self, url: str) -> Snapshot:
        """Request a capture of the cleaned URL with Save Page Now and record the job."""
        cleaned = self.cleaner.clean(url)
        snapshot = replace(await self.saver.save(cleaned), original_url=url, lookup_url=cleaned)
        self._remember(cleaned, url, snapshot)
        return snapshot

    async def repoll_pending(self, limit: int = 100) -> list[Snapshot]:
        """Poll the Save Page Now jobs a previous run left pending; record what they became."""
        if self.store is None or self.settings.credentials is None:
            return []
        updated = []
        for record in self.store.pending_snapshots(limit):
            pending = Snapshot.from_dict(record)
            snapshot = await self.saver.poll(pending)
            self._remember(pending.lookup_url, pending.original_url, snapshot)
            updated.append(snapshot)
        return updated

    async def _find(self, url: str) -> tuple[list[Snapshot], bool]:
        """Every capture the archives report, and whether every archive answered."""
        tasks: list[Awaitable[list[Snapshot]]] = [self.wayback.cdx(url, filters=("statuscode:20[036]",))]
        tasks += [self.memento.timemap(archive, url) for archive in self.settings.memento]
        answers = await asyncio.gather(*tasks, return_exceptions=True)
        found: list[Snapshot] = []
        complete = True
        for answer in answers:
            if isinstance(answer, BaseException):
                if not isinstance(answer, (ArchiveError, httpx.HTTPError)):
                    raise answer
                complete = False
                continue
            found.extend(answer)
        return found, complete

    def _stored(self, url: str) -> tuple[bool, Snapshot | None]:
        if self.store is None:
            return False, None
        known, record = self.store.latest_snapshot(
            url, max_age=self.settings.max_age, negative_max_age=self.settings.negative_max_age
        )
        return known, None if record is None else Snapshot.from_dict(record)

    def _remember(self, lookup_url: str, original_url: str, snapshot: Snapshot | None) -> None:
        if self.store is not None:
            self.store.record_snapshot(
                lookup_url=lookup_url,
                original_url=original_url,
                snapshot=None if snapshot is None else snapshot.to_dict(),
            )


class SyncArchiver:
    """The synchronous twin of :class:`Archiver` (its own event loop in a background thread)."""

    def __init__(self, settings: ArchiveSettings | None = None, **kwargs: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="citecheck-archive", daemon=True)
        self._thread.start()
        self._archiver: Archiver = self._run(self._make(settings, kwargs))

    async def _make(self, settings: ArchiveSettings | None, kwargs: dict[str, Any]) -> Archiver:
        return Archiver(settings, **kwargs)

    def _run(self, coroutine: Awaitable[_T]) -> _T:
        async def wrapper() -> _T:
            return await coroutine

        return asyncio.run_coroutine_threadsafe(wrapper(), self._loop).result()

    def lookup(self, url: str, *, at: datetime | None = None) -> Snapshot | None:
        return self._run(self._archiver.lookup(url, at=at))

    def save(self, url: str) -> Snapshot:
        return self._run(self._archiver.save(url))

    def lookup_many(self, urls: Sequence[str], *, at: datetime | None = None) -> list[Snapshot | None]:
        async def run() -> list[Snapshot | None]:
            return list(await asyncio.gather(*(self._archiver.lookup(u, at=at) for u in urls)))

        return self._run(run())

    def close(self) -> None:
        self._run(self._archiver.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> SyncArchiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
