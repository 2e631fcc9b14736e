"""Cleaning rules as data: the model, our JSON format, and merging.

Rules never live in code. The built-in set is ``data/rules.json`` inside the
package; users add their own files of the same format, or ClearURLs files
(see :mod:`citecheck.clean.clearurls`). A :class:`RuleSet` is an immutable bundle of
rules; :class:`citecheck.clean.cleaner.Cleaner` compiles one into lookup tables.

The format (``docs/rules.md`` has the full reference)::

    {
      "citecheck_rules": 1,
      "remove": [{"id": "utm", "params": ["utm_*"], "fragment": true}],
      "keep":   [{"id": "github-ref", "sites": ["github.com"], "params": ["ref"]}],
      "unwrap": [{"id": "google-url", "sites": ["google.*"], "paths": ["/url"],
                  "params": ["q", "url"]}]
    }
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..core.errors import RulesError

__all__ = [
    "DECODERS",
    "FORMAT_VERSION",
    "KeepRule",
    "RemoveRule",
    "RuleSet",
    "UnwrapRule",
    "load_rules",
]

#: The version of our rules format that this code reads and writes.
FORMAT_VERSION = 1

#: How an unwrap rule finds the target URL inside the wrapper URL.
DECODERS = frozenset(
    {
        "param",  # a query parameter holds the percent-encoded target
        "base64-param",  # a query parameter holds the target in base64 (optional "strip" prefix)
        "raw-query",  # the whole query string is the target
        "path",  # the path after "prefix" is the target (scheme from "scheme" if absent)
        "path-segment",  # a path segment starting with "marker" holds the encoded target
        "proofpoint-v2",  # urldefense.proofpoint.com/v2/url?u=... encoding
        "proofpoint-v3",  # urldefense.com/v3/__URL__;... encoding
        "regex",  # ClearURLs redirections: group 1 of "pattern" over the whole URL
    }
)

# A string, not a compiled pattern: compiling it costs milliseconds that `citecheck clean`
# should not pay at import; re's own cache compiles it once, on first use.
_SITE_PATTERN = r"^(?:\*\.)?([a-z0-9\u00a1-\U0010ffff_-]+(?:\.[a-z0-9\u00a1-\U0010ffff_-]+)*)(\.\*)?$"


def _normalise_site(site: str, where: str) -> str:
    """Lowercase a site key and turn Unicode labels into punycode, so lookups are ASCII."""
    text = site.strip().lower().rstrip(".")
    match = re.match(_SITE_PATTERN, text)
    if not match:
        raise RulesError(f"{where}: {site!r} is not a site (use 'example.com' or 'name.*')")
    name, wildcard = match.group(1), match.group(2) or ""
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise RulesError(f"{where}: {site!r} is not a valid domain name") from exc
    return name + wildcard


def _split_params(values: Iterable[str], where: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """Split parameter specs into exact names and prefixes (``utm_*``), lowercased."""
    exact: set[str] = set()
    prefixes: list[str] = []
    for value in values:
        if not isinstance(value, str) or not value.strip("*"):
            raise RulesError(f"{where}: parameter {value!r} must be a non-empty string")
        name = value.lower()
        if name.endswith("*"):
            body = name[:-1]
            if "*" in body:
                raise RulesError(f"{where}: only a trailing '*' is allowed in {value!r}")
            if body not in prefixes:
                prefixes.append(body)
        elif "*" in name:
            raise RulesError(f"{where}: only a trailing '*' is allowed in {value!r}")
        else:
            exact.add(name)
    return frozenset(exact), tuple(prefixes)


def _compile(pattern: str, where: str, flags: int = 0) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags)
    except (re.error, TypeError) as exc:
        raise RulesError(f"{where}: bad regular expression {pattern!r}: {exc}") from exc


@dataclass(frozen=True, slots=True, kw_only=True)
class _Scoped:
    """Where a rule applies. No sites and no url_pattern means everywhere."""

    id: str
    note: str = ""
    #: Registered domains or hosts (subdomains included); ``name.*`` means any public suffix.
    sites: tuple[str, ...] = ()
    #: Path filters: an exact path, or a prefix ending in ``*``.
    paths: tuple[str, ...] = ()
    #: ClearURLs-style scope: a regex the whole URL must match (slow path; prefer sites).
    url_pattern: re.Pattern[str] | None = None
    #: ClearURLs-style exceptions: the rule is skipped on URLs these regexes match.
    url_exceptions: tuple[re.Pattern[str], ...] = ()

    def applies_to_path(self, path: str) -> bool:
        if not self.paths:
            return True
        for spec in self.paths:
            if spec.endswith("*"):
                if path.startswith(spec[:-1]):
                    return True
            elif path == spec:
                return True
        return False

    def applies_to_url(self, url: str) -> bool:
        """The URL-regex part of the scope (sites and paths are checked by the cleaner)."""
        if self.url_pattern is not None and not self.url_pattern.search(url):
            return False
        return not any(exc.search(url) for exc in self.url_exceptions)


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveRule(_Scoped):
    """Parameters to remove, by exact name, prefix or (ClearURLs) regex, case-insensitively."""

    params: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    #: Also remove these parameters from ``#key=value`` fragments.
    fragment: bool = False
    #: Regexes that, matching a whole fragment, drop it (ShareThis ``#sthash.x.dpuf``, ``#_=_``).
    fragment_patterns: tuple[re.Pattern[str], ...] = ()
    #: Regexes whose matches are cut out of the path (e.g. Amazon's ``/ref=...``).
    path_patterns: tuple[re.Pattern[str], ...] = ()
    #: Regexes whose matches are cut out of the whole URL (ClearURLs rawRules).
    raw_patterns: tuple[re.Pattern[str], ...] = ()

    def matches_name(self, name: str) -> bool:
        """Whether this rule names ``name`` (already decoded and lowercased)."""
        if name in self.params or (self.prefixes and name.startswith(self.prefixes)):
            return True
        return any(p.fullmatch(name) for p in self.patterns)


@dataclass(frozen=True, slots=True, kw_only=True)
class KeepRule(_Scoped):
    """Parameters that are content on these sites: never removed. No params: keep everything."""

    params: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()

    @property
    def keeps_all(self) -> bool:
        return not self.params and not self.prefixes

    def matches_name(self, name: str) -> bool:
        return self.keeps_all or name in self.params or bool(self.prefixes and name.startswith(self.prefixes))


@dataclass(frozen=True, slots=True, kw_only=True)
class UnwrapRule(_Scoped):
    """A redirect wrapper and how to read its target out of it, offline."""

    decode: str = "param"
    #: Query parameters that may hold the target, tried in order.
    params: tuple[str, ...] = ()
    #: For ``path``: the path prefix before the embedded target.
    prefix: str = ""
    #: For ``path-segment``: the segment marker, e.g. ``RU=``.
    marker: str = ""
    #: The scheme to add when the target has none: ``path`` defaults to https, ``regex`` to
    #: http (as ClearURLs does); ``param`` adds one only when this is set.
    scheme: str = ""
    #: For ``base64-param``: a prefix to strip before decoding (Bing's ``a1``).
    strip: str = ""
    #: The target may be relative to the wrapper's origin (YouTube's attribution_link).
    relative: bool = False
    #: For ``regex``: group 1 is the (possibly encoded) target.
    pattern: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class RuleSet:
    """An immutable bundle of rules. Later rules with the same id replace earlier ones."""

    remove: tuple[RemoveRule, ...] = ()
    keep: tuple[KeepRule, ...] = ()
    unwrap: tuple[UnwrapRule, ...] = ()
    #: Where the rules came from, for messages (``builtin``, file names).
    sources: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.remove) + len(self.keep) + len(self.unwrap)

    def merge(self, other: RuleSet) -> RuleSet:
        """Rules of ``other`` added to ours; a rule of ``other`` with one of our ids replaces ours."""
        return RuleSet(
            remove=_merge(self.remove, other.remove),
            keep=_merge(self.keep, other.keep),
            unwrap=_merge(self.unwrap, other.unwrap),
            sources=self.sources + other.sources,
        )

    @classmethod
    def builtin(cls) -> RuleSet:
        """The rules shipped with citecheck (read once per process)."""
        global _BUILTIN
        if _BUILTIN is None:
            text = resources.files("citecheck").joinpath("data/rules.json").read_text("utf-8")
            _BUILTIN = cls.from_dict(json.loads(text), source="builtin")
        return _BUILTIN

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "<rules>") -> RuleSet:
        """Validate a document of our format; raise :class:`RulesError` naming the bad entry."""
        if not isinstance(data, Mapping):
            raise RulesError(f"{source}: a rules file must hold a JSON object")
        version = data.get("citecheck_rules")
        if version != FORMAT_VERSION:
            raise RulesError(
                f'{source}: expected "citecheck_rules": {FORMAT_VERSION} (got {version!r}); '
                "for a ClearURLs file use load_clearurls / --clearurls"
            )
        unknown = set(data) - {"citecheck_rules", "remove", "keep", "unwrap", "note"}
        if unknown:
            raise RulesError(f"{source}: unknown top-level keys {sorted(unknown)}")
        seen: set[str] = set()
        remove = tuple(
            _remove_rule(e, f"{source}: remove[{i}]", seen) for i, e in enumerate(_list(data, "remove", source))
        )
        keep = tuple(_keep_rule(e, f"{source}: keep[{i}]", seen) for i, e in enumerate(_list(data, "keep", source)))
        unwrap = tuple(
            _unwrap_rule(e, f"{source}: unwrap[{i}]", seen) for i, e in enumerate(_list(data, "unwrap", source))
        )
        return cls(remove=remove, keep=keep, unwrap=unwrap, sources=(source,))


_BUILTIN: RuleSet | None = None


def load_rules(path: str | Path) -> RuleSet:
    """Read a rules file of our format. Raises :class:`RulesError` with the file name."""
    return RuleSet.from_dict(read_json_rules(path, "rules file"), source=str(path))


def read_json_rules(path: str | Path, what: str) -> Any:
    """The parsed JSON of a rules file (a BOM is fine); any failure is a RulesError naming it."""
    try:
        text = Path(path).read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(f"{path}: cannot read {what}: {exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RulesError(f"{path}: not valid JSON: {exc}") from exc


def _merge(ours: Sequence[Any], theirs: Sequence[Any]) -> tuple[Any, ...]:
    replaced = {rule.id: rule for rule in theirs}
    kept = [rule for rule in ours if rule.id not in replaced]
    return tuple(kept) + tuple(theirs)


def _list(data: Mapping[str, Any], key: str, source: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise RulesError(f"{source}: {key!r} must be a list")
    return value


_COMMON_KEYS = {"id", "note", "sites", "paths"}


def _common(entry: Any, where: str, seen: set[str], allowed: set[str]) -> dict[str, Any]:
    if not isinstance(entry, Mapping):
        raise RulesError(f"{where}: each rule must be an object")
    rule_id = entry.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        raise RulesError(f"{where}: every rule needs a non-empty string 'id'")
    where = f"{where} ({rule_id})"
    if rule_id in seen:
        raise RulesError(f"{where}: duplicate id")
    seen.add(rule_id)
    unknown = set(entry) - _COMMON_KEYS - allowed
    if unknown:
        raise RulesError(f"{where}: unknown keys {sorted(unknown)}")
    sites = tuple(_normalise_site(s, where) for s in _strings(entry, "sites", where))
    paths = _strings(entry, "paths", where)
    for p in paths:
        if not p.startswith("/"):
            raise RulesError(f"{where}: path {p!r} must start with '/'")
    note = entry.get("note", "")
    if not isinstance(note, str):
        raise RulesError(f"{where}: 'note' must be a string")
    return {"id": rule_id, "note": note, "sites": sites, "paths": paths, "_where": where}


def _strings(entry: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RulesError(f"{where}: {key!r} must be a list of non-empty strings")
    return tuple(value)


#: A remove rule's lists of regexes: the file's key, the field it fills and the flags it compiles
#: with (parameter names are matched case-insensitively, fragments and paths as written).
_PATTERN_KEYS = {
    "param_patterns": ("patterns", re.IGNORECASE),
    "fragment_patterns": ("fragment_patterns", 0),
    "path_patterns": ("path_patterns", 0),
}


def _remove_rule(entry: Any, where: str, seen: set[str]) -> RemoveRule:
    common = _common(entry, where, seen, {"params", "fragment", *_PATTERN_KEYS})
    where = common.pop("_where")
    params, prefixes = _split_params(_strings(entry, "params", where), where)
    # By field name, like ``common``: the rule is built from both.
    patterns: dict[str, Any] = {
        field: tuple(_compile(p, where, flags) for p in _strings(entry, key, where))
        for key, (field, flags) in _PATTERN_KEYS.items()
    }
    fragment = entry.get("fragment", False)
    if not isinstance(fragment, bool):
        raise RulesError(f"{where}: 'fragment' must be true or false")
    if not (params or prefixes or any(patterns.values())):
        raise RulesError(
            f"{where}: a remove rule needs 'params', 'param_patterns', 'path_patterns' or 'fragment_patterns'"
        )
    return RemoveRule(params=params, prefixes=prefixes, fragment=fragment, **patterns, **common)


def _keep_rule(entry: Any, where: str, seen: set[str]) -> KeepRule:
    common = _common(entry, where, seen, {"params"})
    where = common.pop("_where")
    params, prefixes = _split_params(_strings(entry, "params", where), where)
    if not (params or prefixes or common["sites"] or common["paths"]):
        raise RulesError(f"{where}: a keep rule with no params must name sites or paths")
    return KeepRule(params=params, prefixes=prefixes, **common)


def _unwrap_rule(entry: Any, where: str, seen: set[str]) -> UnwrapRule:
    keys = {"decode", "params", "prefix", "marker", "scheme", "strip", "relative", "pattern"}
    common = _common(entry, where, seen, keys)
    where = common.pop("_where")
    decode = entry.get("decode", "param")
    if decode not in DECODERS:
        raise RulesError(f"{where}: unknown decode {decode!r} (one of {sorted(DECODERS)})")
    if not common["sites"] and decode != "regex":
        raise RulesError(f"{where}: an unwrap rule must name its sites")
    params = _strings(entry, "params", where)
    if decode in ("param", "base64-param") and not params:
        raise RulesError(f"{where}: decode {decode!r} needs 'params'")
    texts: dict[str, str] = {}
    for key in ("prefix", "marker", "scheme", "strip"):
        value = entry.get(key, "")
        if not isinstance(value, str):
            raise RulesError(f"{where}: {key!r} must be a string")
        texts[key] = value
    if decode == "path" and not texts["prefix"].startswith("/"):
        raise RulesError(f"{where}: decode 'path' needs a 'prefix' starting with '/'")
    if decode == "path-segment" and not texts["marker"]:
        raise RulesError(f"{where}: decode 'path-segment' needs a 'marker'")
    if texts["scheme"] not in ("", "http", "https"):
        raise RulesError(f"{where}: 'scheme' must be 'http' or 'https'")
    relative = entry.get("relative", False)
    if not isinstance(relative, bool):
        raise RulesError(f"{where}: 'relative' must be true or false")
    pattern = None
    if decode == "regex":
        raw = entry.get("pattern")
        if not isinstance(raw, str):
            raise RulesError(f"{where}: decode 'regex' needs a 'pattern' with one group")
        pattern = _compile(raw, where, re.IGNORECASE)
        if pattern.groups < 1:
            raise RulesError(f"{where}: 'pattern' needs a capturing group for the target")
    return UnwrapRule(
        decode=decode,
        params=tuple(p.lower() for p in params),
        relative=relative,
        pattern=pattern,
        prefix=texts["prefix"],
        marker=texts["marker"],
        scheme=texts["scheme"],
        strip=texts["strip"],
        **common,
    )
