"""The typed ``[archive]`` and ``[serve]`` settings, and the environment, parsed once.

The configuration loader builds these when it reads the file, so every user (the CLI, the
service, the pipeline) gets the same checked values instead of parsing a dict again. The
environment is read by :func:`read_environment` and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from . import defaults as d
from .errors import ConfigError
from .values import parse_duration

__all__ = [
    "ACCESS_KEY_ENV",
    "ENVIRONMENT",
    "SECRET_KEY_ENV",
    "ArchiveSettings",
    "Environment",
    "MementoArchive",
    "SaveCredentials",
    "ServeSettings",
    "read_environment",
]

ACCESS_KEY_ENV = "CITECHECK_IA_ACCESS_KEY"
SECRET_KEY_ENV = "CITECHECK_IA_SECRET_KEY"
TOKEN_ENV = "CITECHECK_TOKEN"
WAYBACK_URL_ENV = "CITECHECK_WAYBACK_URL"
AVAILABILITY_URL_ENV = "CITECHECK_AVAILABILITY_URL"

#: The environment variables citecheck reads (all in :func:`read_environment`), for the documentation.
ENVIRONMENT = {
    TOKEN_ENV: "the bearer token `citecheck serve` requires on every /v1 request",
    WAYBACK_URL_ENV: "replaces `archive.wayback_url`",
    AVAILABILITY_URL_ENV: "replaces `archive.availability_url`",
    ACCESS_KEY_ENV: "Internet Archive S3-style access key, for Save Page Now (with the secret key)",
    SECRET_KEY_ENV: "Internet Archive S3-style secret key, for Save Page Now (with the access key)",
}


@dataclass(frozen=True, slots=True)
class MementoArchive:
    """A Memento archive as configured: its name and where its TimeMaps and TimeGate live.

    ``timemap`` and ``timegate`` are URL prefixes to which the original URL is appended as is
    (that is how Memento archives address them: no encoding), e.g.
    ``MementoArchive("archive.today", "https://archive.today/timemap/link/", "https://archive.today/timegate/")``.
    """

    name: str
    timemap: str
    timegate: str | None = None


@dataclass(frozen=True)
class SaveCredentials:
    """Internet Archive S3-style keys (https://archive.org/account/s3.php).

    The repr names the access key (so a user can tell which keys are configured) and never
    the secret.
    """

    access_key: str
    secret_key: str

    def __repr__(self) -> str:
        return f"SaveCredentials(access_key={self.access_key!r}, secret_key='***')"

    __str__ = __repr__

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SaveCredentials | None:
        """Keys from ``CITECHECK_IA_ACCESS_KEY``/``CITECHECK_IA_SECRET_KEY``; None unless both are set."""
        return read_environment(environ).credentials

    def authorization(self) -> str:
        """The ``Authorization`` header value SPN2 expects."""
        return f"LOW {self.access_key}:{self.secret_key}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Environment:
    """What the environment variables say (see :data:`ENVIRONMENT`)."""

    #: ``CITECHECK_TOKEN``: the bearer token the service requires.
    token: str | None = field(default=None, repr=False)
    #: ``CITECHECK_WAYBACK_URL`` and ``CITECHECK_AVAILABILITY_URL``: they win over the file.
    wayback_url: str | None = None
    availability_url: str | None = None
    #: ``CITECHECK_IA_ACCESS_KEY`` and ``CITECHECK_IA_SECRET_KEY``, when both are set.
    credentials: SaveCredentials | None = field(default=None, repr=False)


def read_environment(env: Mapping[str, str] | None = None) -> Environment:
    """Every environment variable citecheck reads, from ``env`` (default ``os.environ``).

    The one place that reads them: the configuration loader calls it once, so a test passes
    ``env`` instead of changing the process's environment. Empty values count as unset.

    >>> read_environment({"CITECHECK_WAYBACK_URL": "http://127.0.0.1:8080/"}).wayback_url
    'http://127.0.0.1:8080'
    """
    env = os.environ if env is None else env
    access = env.get(ACCESS_KEY_ENV, "").strip()
    secret = env.get(SECRET_KEY_ENV, "").strip()
    return Environment(
        token=env.get(TOKEN_ENV) or None,
        wayback_url=env.get(WAYBACK_URL_ENV, "").rstrip("/") or None,
        availability_url=env.get(AVAILABILITY_URL_ENV) or None,
        credentials=SaveCredentials(access, secret) if access and secret else None,
    )


_DEFAULT_IF_NOT_ARCHIVED_WITHIN = parse_duration(
    d.ARCHIVE_IF_NOT_ARCHIVED_WITHIN.default, d.ARCHIVE_IF_NOT_ARCHIVED_WITHIN.name
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchiveSettings:
    """Where the archives are and how politely to ask them (the ``[archive]`` table).

    The constructor takes exactly what it is given and reads no environment variable;
    :meth:`from_env` (what :class:`~citecheck.archive.archiver.AsyncArchiver` and
    :class:`~citecheck.archive.archiver.Archiver` use when given no settings) and
    :meth:`from_table` apply the environment the way the command line does.
    """

    wayback_url: str = d.ARCHIVE_WAYBACK_URL.default
    availability_url: str = d.ARCHIVE_AVAILABILITY_URL.default
    #: Other Memento archives (archive.today, a self-hosted pywb, MemGator...).
    memento: tuple[MementoArchive, ...] = ()
    #: Archive names in order of preference when several have a suitable capture.
    prefer: tuple[str, ...] = d.ARCHIVE_PREFER.default
    cdx_per_minute: float = d.ARCHIVE_CDX_PER_MINUTE.default
    timemap_per_minute: float = d.ARCHIVE_TIMEMAP_PER_MINUTE.default
    availability_per_second: float = d.ARCHIVE_AVAILABILITY_PER_SECOND.default
    #: Raw-capture fetches of ``--verify`` a minute, per archive.
    verify_per_minute: float = d.ARCHIVE_VERIFY_PER_MINUTE.default
    #: Saves a minute; None: 5 with keys, 3 anonymously.
    save_per_minute: float | None = d.ARCHIVE_SAVE_PER_MINUTE.default
    #: Reuse a found snapshot this long, a negative answer this long.
    max_age: timedelta = timedelta(seconds=d.ARCHIVE_MAX_AGE.default)
    negative_max_age: timedelta = timedelta(seconds=d.ARCHIVE_NEGATIVE_MAX_AGE.default)
    #: ``--save`` requests no capture when an eligible one exists this close to the access date.
    if_not_archived_within: timedelta = _DEFAULT_IF_NOT_ARCHIVED_WITHIN
    #: Only captures in this window are chosen (either end may be open).
    not_before: datetime | None = None
    not_after: datetime | None = None
    #: Seconds for one request to an archive (not a configuration key).
    timeout: float = 30.0
    credentials: SaveCredentials | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **fields: Any) -> ArchiveSettings:
        """The defaults (changed by ``fields``), then the environment as the CLI applies it.

        ``CITECHECK_IA_ACCESS_KEY``/``CITECHECK_IA_SECRET_KEY`` give the keys,
        ``CITECHECK_WAYBACK_URL`` and ``CITECHECK_AVAILABILITY_URL`` win over ``fields`` as they
        win over the file. ``env`` defaults to ``os.environ``.

        >>> ArchiveSettings.from_env({"CITECHECK_IA_ACCESS_KEY": "a", "CITECHECK_IA_SECRET_KEY": "s"}).credentials
        SaveCredentials(access_key='a', secret_key='***')
        """
        environment = read_environment(env)
        settings = replace(cls(**fields), credentials=environment.credentials or fields.get("credentials"))
        if environment.wayback_url:
            settings = replace(settings, wayback_url=environment.wayback_url)
        if environment.availability_url:
            settings = replace(settings, availability_url=environment.availability_url)
        return settings

    @classmethod
    def from_table(
        cls, table: Mapping[str, object] | None = None, *, env: Mapping[str, str] | None = None
    ) -> ArchiveSettings:
        """Settings from a config ``archive`` table and the environment (the environment wins)."""
        return cls.parse(table or {}, read_environment(env))

    @classmethod
    def parse(cls, table: Mapping[str, object], environment: Environment) -> ArchiveSettings:
        """Check the ``[archive]`` table against the defaults table; apply the environment."""
        known = d.table_settings("archive")
        unknown = sorted(set(table) - set(known))
        if unknown:
            raise ConfigError(f"archive: unknown keys {unknown}")
        # Checked one by one against the defaults table, so their types vary by key.
        changes: dict[str, Any] = {}
        for key, value in table.items():
            setting = known[key]
            if setting.kind == "url":
                if not isinstance(value, str) or not value.startswith(("http://", "https://")):
                    raise ConfigError(f"{setting.name} must be an http(s) URL")
                value = value.rstrip("/") if key == "wayback_url" else value
            elif setting.kind in ("integer", "number"):
                number = setting.check(value)
                assert isinstance(number, (int, float))
                value = timedelta(seconds=number) if key.endswith("max_age") else float(number)
            elif setting.kind == "date":
                value = _moment(value, setting.name)
            elif setting.kind == "duration":
                value = parse_duration(value, setting.name)
            elif setting.kind == "names":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ConfigError(f"{setting.name} must be a list of archive names")
                value = tuple(value)
            elif setting.kind == "archives":
                value = _archives(value, setting.name)
            changes[key] = value
        if environment.wayback_url:
            changes["wayback_url"] = environment.wayback_url
        if environment.availability_url:
            changes["availability_url"] = environment.availability_url
        return cls(**changes, credentials=environment.credentials)


def _archives(value: object, what: str) -> tuple[MementoArchive, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"each {what} entry needs a name and a timemap URL prefix")
    archives = []
    for entry in value:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry.get("timemap"):
            raise ConfigError(f"each {what} entry needs a name and a timemap URL prefix")
        gate = entry.get("timegate")
        archives.append(MementoArchive(name=entry["name"], timemap=str(entry["timemap"]), timegate=gate))
    return tuple(archives)


def _moment(value: object, what: str) -> datetime:
    """A TOML date or datetime, or an ISO 8601 string, as an aware UTC datetime."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError as exc:
            raise ConfigError(f"{what} must be a date (YYYY-MM-DD)") from exc
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise ConfigError(f"{what} must be a date (YYYY-MM-DD)")


@dataclass(frozen=True, slots=True, kw_only=True)
class ServeSettings:
    """The service's limits (the ``[serve]`` table) and its token (``CITECHECK_TOKEN``)."""

    #: From the environment, never from the file; None when unset.
    token: str | None = field(default=None, repr=False)
    max_body_bytes: int = d.SERVE_MAX_BODY_BYTES.default
    #: Requests handled at once; more wait in a queue of ``max_queue``, beyond which 503.
    max_concurrent: int = d.SERVE_MAX_CONCURRENT.default
    max_queue: int = d.SERVE_MAX_QUEUE.default
    default_deadline_ms: int = d.SERVE_DEFAULT_DEADLINE_MS.default
    max_deadline_ms: int = d.SERVE_MAX_DEADLINE_MS.default
    #: Links one request may hold, and how long reading them may take.
    max_urls: int = d.SERVE_MAX_URLS.default
    max_parse_ms: int = d.SERVE_MAX_PARSE_MS.default
    cors_origins: tuple[str, ...] = d.SERVE_CORS_ORIGINS.default

    @classmethod
    def parse(cls, table: Mapping[str, object], environment: Environment) -> ServeSettings:
        """Check the ``[serve]`` table against the defaults table; take the token from the environment."""
        known = d.table_settings("serve")
        table = {key.replace("-", "_"): value for key, value in table.items()}
        for raw_key in table:
            if raw_key not in known:
                raise ConfigError(f"serve: unknown key {raw_key!r}")
        # Every integer of the table (the limits) is a field of the same name.
        limits = {key: _integer(table, known, key) for key, setting in known.items() if setting.kind == "integer"}
        origins = table.get("cors_origins", ())
        if "cors_origins" in table and (not isinstance(origins, list) or not all(isinstance(o, str) for o in origins)):
            raise ConfigError("serve.cors_origins must be a list of origins")
        assert isinstance(origins, (list, tuple))
        return cls(token=environment.token, cors_origins=tuple(str(origin) for origin in origins), **limits)


def _integer(table: Mapping[str, object], known: Mapping[str, d.Setting[object]], key: str) -> int:
    setting = known[key]
    value = setting.check(table[key]) if key in table else setting.default
    assert isinstance(value, int)
    return value
