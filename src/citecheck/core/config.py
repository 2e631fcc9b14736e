"""Configuration: ``[tool.citecheck]`` in pyproject.toml, or citecheck.toml, found upward.

Every key has a default here and nowhere else; the CLI overrides keys with its flags. Unknown
keys are an error (a typo should not silently disable a setting). ``docs/configuration.md``
documents each key.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ..fix.documents import ARTICLE_SUFFIXES, DEFAULT_EXCLUDE
from .errors import ConfigError

__all__ = ["Config", "find_config_file", "load_config"]

OUTPUT_FORMATS = ("text", "json", "github", "sarif", "junit")


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """Settings of a ``citecheck check`` run. Paths in it are absolute or relative to the cwd."""

    #: Extra rules files in citecheck's format, merged over the built-in rules.
    rules: tuple[str, ...] = ()
    #: Extra rules files in the ClearURLs format.
    clearurls: tuple[str, ...] = ()
    #: Use the rules shipped with citecheck.
    builtin_rules: bool = True
    #: Glob patterns of paths not to walk into (matched against each path component too).
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    #: Added to ``exclude`` (so the defaults stay).
    extend_exclude: tuple[str, ...] = ()
    #: File suffixes read when walking a directory.
    extensions: tuple[str, ...] = ARTICLE_SUFFIXES
    #: Regular expressions: cited URLs that match one are skipped (reason ``excluded``).
    ignore_urls: tuple[str, ...] = ()
    #: Output format: text, json, github, sarif or junit.
    format: str = "text"
    #: Exit 0 even when findings remain.
    exit_zero: bool = False
    #: Encoding to try when a file is not UTF-8 (none: such files are an error).
    fallback_encoding: str | None = None
    #: Only clean; no network. By default links are also checked online.
    offline: bool = False
    #: Seconds allowed for one attempt at one URL (redirects and body included).
    timeout: float = 20.0
    #: Requests in flight at once, in all.
    concurrency: int = 32
    #: Requests in flight at once to one host.
    host_concurrency: int = 4
    #: Minimum seconds between two requests to one host.
    host_interval: float = 0.0
    #: Extra attempts after a transient failure.
    retries: int = 2
    #: The User-Agent sent (default: citecheck, its version and a contact URL).
    user_agent: str | None = None
    #: Fetch private, loopback and link-local addresses too (never for a public service).
    allow_private: bool = False
    #: CIDR networks that may be fetched although private (e.g. a test server's 127.0.0.0/8).
    allow_networks: tuple[str, ...] = ()
    #: Verdicts that make the run exit 1.
    fail_on: tuple[str, ...] = ("fixable", "invalid", "broken")
    #: With --fix, also replace links that redirect permanently by where they lead.
    fix_redirects: bool = False
    #: The result store (SQLite); none: the user's cache directory. "" disables it.
    store: str | None = None
    #: Reuse stored results younger than this many seconds.
    max_age: float = 86_400.0
    #: A link is "dead, confirmed" after failing this many checks in a row...
    dead_after_checks: int = 3
    #: ...spread over at least this many days.
    dead_after_days: float = 3.0
    #: Look up the web-archive snapshot to cite for every checked link (``--archive``).
    lookup_snapshots: bool = False
    #: With --fix, add an archive link next to each link that has a snapshot (``--archive-links``).
    archive_links: bool = False
    #: The ``archive`` table: endpoints and politeness of the web archives (see docs/archiving.md).
    archive: dict[str, Any] = field(default_factory=dict)
    #: The ``serve`` table: the service's limits (max_body_bytes, max_concurrent, max_queue,
    #: default_deadline_ms, cors_origins); see docs/service.md.
    serve: dict[str, Any] = field(default_factory=dict)
    #: Where the settings came from, for messages.
    source: str | None = field(default=None, compare=False)

    @property
    def all_excludes(self) -> tuple[str, ...]:
        return self.exclude + self.extend_exclude

    def merged(self, **overrides: Any) -> Config:
        """A copy with the given keys replaced; keys whose value is None are left alone."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


_KEYS = {f.name: f for f in fields(Config) if f.name != "source"}
_LISTS = {"rules", "clearurls", "exclude", "extend_exclude", "extensions", "ignore_urls", "allow_networks", "fail_on"}
_BOOLS = {
    "builtin_rules",
    "exit_zero",
    "offline",
    "allow_private",
    "fix_redirects",
    "lookup_snapshots",
    "archive_links",
}
_NUMBERS = {
    "timeout": (0.1, 600.0),
    "host_interval": (0.0, 600.0),
    "max_age": (0.0, 1e9),
    "dead_after_days": (0.0, 3650.0),
}
_INTEGERS = {"concurrency": (1, 1024), "host_concurrency": (1, 256), "retries": (0, 10), "dead_after_checks": (1, 100)}
VERDICT_NAMES = ("ok", "fixable", "invalid", "skipped", "redirected", "broken", "blocked", "unreachable")
_PATH_LISTS = {"rules", "clearurls"}


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


def load_config(path: Path | None = None, *, search_from: Path | None = None) -> Config:
    """Settings from ``path``, or from the nearest config file; defaults when there is none."""
    if path is None:
        path = find_config_file(search_from)
        if path is None:
            return Config()
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
    return _from_table(table, path)


def _from_table(table: Mapping[str, Any], path: Path) -> Config:
    values: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = raw_key.replace("-", "_")
        if key not in _KEYS:
            raise ConfigError(f"{path}: unknown key {raw_key!r} (known: {', '.join(sorted(_KEYS))})")
        if key in _LISTS:
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise ConfigError(f"{path}: {raw_key!r} must be a list of non-empty strings")
            if key in _PATH_LISTS:
                value = [str(path.parent / v) for v in value]
            if key == "extensions":
                value = [v if v.startswith(".") else "." + v for v in value]
            if key == "ignore_urls":
                for pattern in value:
                    try:
                        re.compile(pattern)
                    except re.error as exc:
                        raise ConfigError(f"{path}: ignore_urls: bad regular expression {pattern!r}: {exc}") from exc
            values[key] = tuple(value)
        elif key in _BOOLS:
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: {raw_key!r} must be true or false")
            values[key] = value
        elif key == "format":
            if value not in OUTPUT_FORMATS:
                raise ConfigError(f"{path}: 'format' must be one of {', '.join(OUTPUT_FORMATS)}")
            values[key] = value
        elif key == "fallback_encoding":
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{path}: 'fallback_encoding' must be an encoding name")
            values[key] = value
        elif key in _NUMBERS or key in _INTEGERS:
            low, high = _NUMBERS.get(key) or _INTEGERS[key]
            wanted = int if key in _INTEGERS else (int, float)
            if isinstance(value, bool) or not isinstance(value, wanted) or not low <= value <= high:
                raise ConfigError(f"{path}: {raw_key!r} must be a number from {low} to {high}")
            values[key] = value
        elif key == "serve":
            values[key] = _serve_table(value, path)
        elif key == "archive":
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: [archive] must be a table")
            from ..archive.archiver import ArchiveSettings

            try:
                ArchiveSettings.from_table(value, env={})
            except ConfigError as exc:
                raise ConfigError(f"{path}: {exc}") from exc
            values[key] = dict(value)
        elif key in ("user_agent", "store"):
            if not isinstance(value, str):
                raise ConfigError(f"{path}: {raw_key!r} must be a string")
            values[key] = str(path.parent / value) if key == "store" and value else value
    for verdict in values.get("fail_on", ()):
        if verdict not in VERDICT_NAMES:
            raise ConfigError(f"{path}: fail_on: unknown verdict {verdict!r} (one of {', '.join(VERDICT_NAMES)})")
    for network in values.get("allow_networks", ()):
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as exc:
            raise ConfigError(f"{path}: allow_networks: {exc}") from exc
    return Config(**values, source=str(path))


_SERVE_INTEGERS = {
    "max_body_bytes": (1, 1 << 30),
    "max_concurrent": (1, 4096),
    "max_queue": (0, 1 << 20),
    "default_deadline_ms": (0, 600_000),
    "max_deadline_ms": (0, 600_000),
}


def _serve_table(value: Any, path: Path) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [serve] must be a table")
    table: dict[str, Any] = {}
    for raw_key, item in value.items():
        key = raw_key.replace("-", "_")
        if key in _SERVE_INTEGERS:
            low, high = _SERVE_INTEGERS[key]
            if isinstance(item, bool) or not isinstance(item, int) or not low <= item <= high:
                raise ConfigError(f"{path}: serve.{raw_key} must be an integer from {low} to {high}")
            table[key] = item
        elif key == "cors_origins":
            if not isinstance(item, list) or not all(isinstance(o, str) for o in item):
                raise ConfigError(f"{path}: serve.cors_origins must be a list of origins")
            table[key] = tuple(item)
        else:
            raise ConfigError(f"{path}: serve: unknown key {raw_key!r}")
    return table
