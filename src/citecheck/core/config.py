"""Configuration: ``[tool.citecheck]`` in pyproject.toml, or citecheck.toml, found upward.

Every key's default and allowed values are in :mod:`citecheck.core.defaults` and nowhere else;
this module checks a file against that table, once, into a typed :class:`Config` (the
``[archive]`` and ``[serve]`` tables and the environment included). The CLI overrides keys with
its flags. Unknown keys are an error (a typo should not silently disable a setting).
``docs/configuration.md`` lists each key, generated from the same table.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from . import defaults as d
from .defaults import OUTPUT_FORMATS, VERDICT_NAMES, Setting, check_network, check_verdicts
from .errors import ConfigError
from .setting import DATABASE_URL_SCHEMES
from .settings import ArchiveSettings, Environment, ServeSettings, read_environment
from .verdicts import Verdict

__all__ = ["OUTPUT_FORMATS", "VERDICT_NAMES", "Config", "NetworkSettings", "find_config_file", "load_config"]


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkSettings:
    """The network keys a configuration and the check stage's options share (written once)."""

    #: Seconds allowed for one request (headers and body), from when it is sent; each hop has its own.
    timeout: float = d.TIMEOUT.default
    #: Requests in flight at once, in all.
    concurrency: int = d.CONCURRENCY.default
    #: Requests in flight at once to one host (scheme, name and port).
    host_concurrency: int = d.HOST_CONCURRENCY.default
    #: Minimum seconds between two request starts to one host (0: no spacing).
    host_interval: float = d.HOST_INTERVAL.default
    #: Extra attempts after a transient failure (timeouts, connection errors, 5xx, 429).
    retries: int = d.RETRIES.default
    #: ``get``: one streamed GET per URL and hop, reading only what a verdict needs. ``head``:
    #: HEAD first, then GET when the page must be read or HEAD is refused.
    method: str = d.METHOD.default
    #: Extra request headers for link checks (``(name, value)`` pairs); they win over citecheck's own.
    headers: tuple[tuple[str, str], ...] = d.HEADERS.default
    #: Fetch private, loopback and link-local addresses too (never for a public service).
    allow_private: bool = d.ALLOW_PRIVATE.default
    #: CIDR networks that may be fetched although private (e.g. a test server's 127.0.0.0/8).
    allow_networks: tuple[str, ...] = d.ALLOW_NETWORKS.default

    def __post_init__(self) -> None:
        # Checked when made, from code as from a file: a typo'd type or a bad value fails here,
        # with the same message the configuration file would get, not deep inside a run.
        check_values(self)

    def network_settings(self) -> dict[str, Any]:
        """These keys and their values, to build the other kind of settings from this one."""
        return {f.name: getattr(self, f.name) for f in fields(NetworkSettings)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(NetworkSettings):
    """Settings of a ``citecheck check`` run. Paths in it are absolute or relative to the cwd.

    Each default comes from :mod:`citecheck.core.defaults`, which also says what values a key allows.
    """

    #: Extra rules files in citecheck's format, merged over the built-in rules.
    rules: tuple[str, ...] = d.RULES.default
    #: Extra rules files in the ClearURLs format.
    clearurls: tuple[str, ...] = d.CLEARURLS.default
    #: Use the rules shipped with citecheck.
    builtin_rules: bool = d.BUILTIN_RULES.default
    #: Glob patterns of paths not to walk into (matched against each path component too).
    exclude: tuple[str, ...] = d.EXCLUDE.default
    #: Added to ``exclude`` (so the defaults stay).
    extend_exclude: tuple[str, ...] = d.EXTEND_EXCLUDE.default
    #: File suffixes read when walking a directory.
    extensions: tuple[str, ...] = d.EXTENSIONS.default
    #: Regular expressions: cited URLs that match one are skipped (reason ``excluded``).
    ignore_urls: tuple[str, ...] = d.IGNORE_URLS.default
    #: Output format: text, json, github, sarif or junit.
    format: str = d.FORMAT.default
    #: Exit 0 even when findings remain.
    exit_zero: bool = d.EXIT_ZERO.default
    #: Encoding to try when a file is not UTF-8 (none: such files are an error).
    fallback_encoding: str | None = d.FALLBACK_ENCODING.default
    #: Only clean; no network. By default links are also checked online.
    offline: bool = d.OFFLINE.default
    #: The User-Agent sent (default: citecheck, its version and a contact URL).
    user_agent: str | None = d.USER_AGENT.default
    #: Verdicts that make the run exit 1.
    fail_on: tuple[str, ...] = d.FAIL_ON.default
    #: With --fix, also replace links that redirect permanently by where they lead.
    fix_redirects: bool = d.FIX_REDIRECTS.default
    #: The result store (SQLite); none: the user's cache directory. "" disables it.
    store: str | None = d.STORE.default
    #: Reuse stored results younger than this many seconds.
    max_age: float = d.MAX_AGE.default
    #: A link is "dead, confirmed" after failing this many checks in a row...
    dead_after_checks: int = d.DEAD_AFTER_CHECKS.default
    #: ...spread over at least this many days.
    dead_after_days: float = d.DEAD_AFTER_DAYS.default
    #: Look up the web-archive snapshot to cite for every checked link (``--archive``).
    lookup_snapshots: bool = d.LOOKUP_SNAPSHOTS.default
    #: With --fix, add an archive link next to each link that has a snapshot (``--archive-links``).
    archive_links: bool = d.ARCHIVE_LINKS.default
    #: Compare each link's live main text with its snapshot's (``--drift``; implies snapshot lookups).
    drift: bool = d.DRIFT.default
    #: Similarity at or over which the live page counts as the same as the snapshot.
    drift_threshold: float = d.DRIFT_THRESHOLD.default
    #: The ``[archive]`` table and the archive environment variables (see docs/archiving.md).
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    #: The ``[serve]`` table and ``CITECHECK_TOKEN`` (see docs/service.md).
    serve: ServeSettings = field(default_factory=ServeSettings)
    #: Where the settings came from, for messages.
    source: str | None = field(default=None, compare=False)

    @property
    def all_excludes(self) -> tuple[str, ...]:
        return self.exclude + self.extend_exclude

    @property
    def fail_verdicts(self) -> frozenset[Verdict]:
        """``fail_on`` as verdicts: what makes a run exit 1, or the service answer ``fail``."""
        return frozenset(Verdict(v) for v in self.fail_on)

    def merged(self, **overrides: Any) -> Config:
        """A copy with the given keys replaced; keys whose value is None are left alone."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


_KEYS = {f.name for f in fields(Config) if f.name != "source"}
_SETTINGS = d.table_settings("")
assert set(_SETTINGS) == _KEYS, "every Config key has exactly one entry in citecheck.core.defaults"


def find_config_file(start: Path | None = None) -> Path | None:
    """The nearest citecheck.toml, or pyproject.toml with a [tool.citecheck] table, upward."""
    directory = (start or Path.cwd()).resolve()
    for folder in (directory, *directory.parents):
        candidate = folder / "citecheck.toml"
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


def _has_tool_table(pyproject: Path) -> bool:
    try:
        data = tomllib.loads(pyproject.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    tool = data.get("tool")
    return isinstance(tool, dict) and "citecheck" in tool


def load_config(
    path: Path | None = None,
    *,
    search_from: Path | None = None,
    isolated: bool = False,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Settings from ``path``, or from the nearest config file; defaults when there is none.

    ``isolated`` reads no file at all. Either way the environment (``env``, default
    ``os.environ``) is read once, here, by :func:`~citecheck.core.settings.read_environment`.
    """
    environment = read_environment(env)
    if isolated:
        return _from_table({}, None, environment)
    if path is None:
        path = find_config_file(search_from)
        if path is None:
            return _from_table({}, None, environment)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        table = tool.get("citecheck", {}) if isinstance(tool, dict) else {}
    else:
        # citecheck.toml holds the keys at the top level (a [tool.citecheck] table is accepted too).
        tool = data.get("tool")
        table = tool["citecheck"] if isinstance(tool, dict) and "citecheck" in tool else data
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.citecheck] must be a table")
    try:
        return _from_table(table, path, environment)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def _from_table(table: Mapping[str, object], path: Path | None, environment: Environment) -> Config:
    """The Config a file's table describes; errors do not name the file (the caller adds it)."""
    # Checked one by one against the defaults table, so their types vary by key.
    values: dict[str, Any] = {}
    archive: object = {}
    serve: object = {}
    for raw_key, value in table.items():
        key = raw_key.replace("-", "_")
        setting = _SETTINGS.get(key)
        if setting is None:
            raise ConfigError(f"unknown key {raw_key!r} (known: {', '.join(sorted(_KEYS))})")
        if key == "archive":
            archive = value
        elif key == "serve":
            serve = value
        else:
            values[key] = _value(setting, raw_key, value, path.parent if path else Path.cwd())
    if not isinstance(archive, dict):
        raise ConfigError("[archive] must be a table")
    if not isinstance(serve, dict):
        raise ConfigError("[serve] must be a table")
    values["archive"] = ArchiveSettings.parse(archive, environment)
    values["serve"] = ServeSettings.parse(serve, environment)
    return replace(Config(source=str(path) if path else None), **values)


_LISTS = {"paths", "globs", "suffixes", "patterns", "networks", "choices"}
_SCALARS = {"bool", "integer", "number", "choice"}


def check_values(settings: object) -> None:
    """Raise :class:`ConfigError` for the first field of ``settings`` its defaults-table entry refuses.

    For settings built in code (``Config(timeout="5")``, ``NetworkOptions(allow_networks=...)``):
    numbers, booleans and choices by the table, lists item by item (a bare string where a list
    belongs is refused, not read letter by letter), patterns compiled, networks and headers parsed.
    """
    for item in fields(settings):  # type: ignore[arg-type]
        setting = _SETTINGS.get(item.name)
        value = getattr(settings, item.name)
        if setting is None or (value is None and setting.default is None):
            continue
        kind = setting.kind
        if kind in _SCALARS:
            setting.check(value)
        elif kind in _LISTS or kind == "headers":
            if isinstance(value, str | bytes) or not isinstance(value, tuple | list):
                raise ConfigError(f"{item.name!r} must be {setting.allowed()}, not {type(value).__name__}")
            _check_items(setting, value)


def _check_items(setting: Setting[object], items: tuple[object, ...] | list[object]) -> None:
    name = setting.name
    if setting.kind == "headers":
        for pair in items:
            if not (isinstance(pair, tuple | list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
                raise ConfigError(f"{name!r} must hold (name, value) pairs of strings, not {pair!r}")
            d.check_header(pair[0], pair[1])
        return
    if not all(isinstance(value, str) for value in items):
        raise ConfigError(f"{name!r} must be {setting.allowed()} (strings)")
    try:
        if setting.kind == "networks":
            for network in items:
                check_network(str(network))
        elif setting.kind == "choices":
            check_verdicts(str(v) for v in items)
        elif setting.kind == "patterns":
            for pattern in items:
                try:
                    re.compile(str(pattern))
                except re.error as exc:
                    raise ConfigError(f"bad regular expression {pattern!r}: {exc}") from None
    except ConfigError as exc:
        raise ConfigError(f"{name}: {exc}") from None


def _value(setting: Setting[object], raw_key: str, value: object, base: Path) -> object:
    """One top-level value, checked as its entry in the defaults table says."""
    kind = setting.kind
    if kind in ("bool", "integer", "number", "choice"):
        try:
            return setting.check(value)
        except ConfigError as exc:
            # The key as the user wrote it (``exit-zero``), so they can find it.
            raise ConfigError(str(exc).replace(repr(setting.name), repr(raw_key), 1)) from None
    if kind in _LISTS:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{raw_key!r} must be a list of non-empty strings")
        items: list[str] = value
        if kind == "paths":
            items = [str(base / v) for v in items]
        elif kind == "suffixes":
            items = [v if v.startswith(".") else "." + v for v in items]
        # Patterns, networks and verdict names are checked when the Config is made (check_values).
        return tuple(items)
    if kind == "headers":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ConfigError(f"{raw_key!r} must be a table of header names and string values")
        # Names and values are checked when the Config is made (check_values).
        return tuple((str(name), text.strip()) for name, text in value.items())
    if kind == "encoding":
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{raw_key!r} must be an encoding name")
        return value
    if not isinstance(value, str):
        raise ConfigError(f"{raw_key!r} must be a string")
    if kind == "store" and value.lower().startswith(DATABASE_URL_SCHEMES):
        return value  # a PostgreSQL URL, taken as written
    if kind in ("path", "store"):
        return str(base / value) if value else value
    return value
