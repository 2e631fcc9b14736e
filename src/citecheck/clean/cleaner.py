"""Turning a dirty citation URL into the one an editor should cite. Pure and offline.

The promise: conservative (a parameter goes only when a rule names it), idempotent
(``clean_url(clean_url(u)) == clean_url(u)``), never raising on a string, and fast.

How it stays fast: rules are compiled once per host into a :class:`_HostProfile` (a dict
of exact names, a tuple of prefixes), cached by host; the query is split on ``&`` and each
name is decoded only to be matched; kept pairs are emitted exactly as written.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..core.captures import is_archive_host, names_embedded_url
from ..core.cleaning import CleanResult, RemovedParam, Unwrapped
from ..core.urls import Origin, SplitURL, forget_oldest, percent_decode, split_origin, split_url
from .domains import registered_parts
from .rules import KeepRule, RemoveRule, RuleSet, UnwrapRule
from .unwrap import decode_target

__all__ = ["CleanResult", "Cleaner", "RemovedParam", "Unwrapped", "clean_url", "explain"]

#: How many wrappers inside wrappers we open before giving up.
MAX_UNWRAP_DEPTH = 5
_MAX_PROFILES = 32_768


#: Marks "not decided yet" in the per-name memo (rule ids are never this string).
_UNDECIDED = "\x00"
_MAX_MEMO = 8192


def _normalise_name(raw: str) -> str:
    """A parameter name as rules see it: percent-decoded, lowercased, HTML ``amp;`` dropped."""
    name = percent_decode(raw.replace("+", " ")) if "%" in raw or "+" in raw else raw
    name = name.lower()
    return name[4:] if name.startswith("amp;") else name


@dataclass(slots=True)
class _Names:
    """Parameter names one location (query or fragment) loses on one host, as lookup tables.

    Site prefixes are asked before the exact-name dict so that a site's own family (BBC's
    ``at_*``) is credited to the site even when a generic rule also lists one of its names.
    ``memo`` remembers the decision per name *as written*, so the common case is one dict hit.
    """

    site_prefixes: tuple[str, ...] = ()
    site_prefix_ids: tuple[tuple[str, str], ...] = ()
    exact: dict[str, str] = field(default_factory=dict)
    prefixes: tuple[str, ...] = ()
    prefix_ids: tuple[tuple[str, str], ...] = ()
    patterns: tuple[RemoveRule, ...] = ()
    keep_exact: frozenset[str] = frozenset()
    keep_prefixes: tuple[str, ...] = ()
    memo: dict[str, str | None] = field(default_factory=dict)

    def lookup(self, name: str) -> str | None:
        """The id of the rule naming ``name`` (normalised), or None."""
        if self.site_prefixes and name.startswith(self.site_prefixes):
            return next(i for p, i in self.site_prefix_ids if name.startswith(p))
        rule_id = self.exact.get(name)
        if rule_id is None and self.prefixes and name.startswith(self.prefixes):
            rule_id = next(i for p, i in self.prefix_ids if name.startswith(p))
        if rule_id is None and self.patterns:
            rule_id = next((r.id for r in self.patterns if any(p.fullmatch(name) for p in r.patterns)), None)
        return rule_id

    def kept(self, name: str) -> bool:
        return name in self.keep_exact or bool(self.keep_prefixes and name.startswith(self.keep_prefixes))

    def decide(self, raw: str) -> str | None:
        """The rule that removes the name written ``raw``, or None to keep it (memoised)."""
        name = _normalise_name(raw)
        rule_id = self.lookup(name)
        if rule_id is not None and self.kept(name):
            rule_id = None
        if len(self.memo) >= _MAX_MEMO:
            forget_oldest(self.memo)
        self.memo[raw] = rule_id
        return rule_id

    @classmethod
    def build(cls, rules: list[RemoveRule], generic: set[str], keep: tuple[frozenset[str], tuple[str, ...]]) -> _Names:
        names = cls(keep_exact=keep[0], keep_prefixes=keep[1])
        site_ids: list[tuple[str, str]] = []
        prefix_ids: list[tuple[str, str]] = []
        for rule in rules:
            for name in rule.params:
                names.exact.setdefault(name, rule.id)
            (prefix_ids if rule.id in generic else site_ids).extend((p, rule.id) for p in rule.prefixes)
        names.site_prefix_ids, names.site_prefixes = tuple(site_ids), tuple(p for p, _ in site_ids)
        names.prefix_ids, names.prefixes = tuple(prefix_ids), tuple(p for p, _ in prefix_ids)
        names.patterns = tuple(r for r in rules if r.patterns)
        return names


@dataclass(slots=True)
class _HostProfile:
    """Every rule that applies to one host, flattened into lookup tables."""

    query: _Names = field(default_factory=_Names)
    fragment: _Names = field(default_factory=_Names)
    #: Whole-fragment trackers without ``=`` (ShareThis ``#sthash...``): (rule id, regex).
    fragment_patterns: tuple[tuple[str, re.Pattern[str]], ...] = ()
    path_patterns: tuple[RemoveRule, ...] = ()
    keep_all: bool = False
    #: Rules limited to some paths, checked per URL.
    by_path_remove: tuple[RemoveRule, ...] = ()
    by_path_keep: tuple[KeepRule, ...] = ()
    unwrap: tuple[UnwrapRule, ...] = ()
    #: A web archive's host: its URLs name archived resources and are never rewritten.
    archive: bool = False
    #: Only the query and fragment tables apply (no wrapper, path, keep-all, archive or
    #: URL-scoped rule): the common case, which takes a short road.
    plain: bool = False


#: What :func:`~citecheck.core.urls.split_origin` gives: (origin, path, query, fragment).
_Found = tuple[Origin, str, str | None, str | None]


class _Recorder:
    __slots__ = ("removed", "wrappers")

    def __init__(self) -> None:
        self.removed: list[RemovedParam] = []
        self.wrappers: list[Unwrapped] = []


class Cleaner:
    """A compiled rule set. Build one and reuse it: compiling costs, cleaning is cheap.

    >>> Cleaner().clean("https://example.com/a?utm_source=x&id=7")
    'https://example.com/a?id=7'
    """

    def __init__(self, rules: RuleSet | None = None) -> None:
        self.rules = RuleSet.builtin() if rules is None else rules
        remove, keep, unwrap = self.rules.remove, self.rules.keep, self.rules.unwrap
        # Rules scoped by a URL regex (ClearURLs) cannot be cached per host: checked per URL.
        self._url_remove = tuple(r for r in remove if r.url_pattern is not None)
        self._url_keep = tuple(r for r in keep if r.url_pattern is not None)
        self._url_unwrap = tuple(r for r in unwrap if _url_scoped(r))
        self._generic: list[RemoveRule | KeepRule | UnwrapRule] = []
        self._by_site: dict[str, list[RemoveRule | KeepRule | UnwrapRule]] = {}
        self._by_wildcard: dict[str, list[RemoveRule | KeepRule | UnwrapRule]] = {}
        every: tuple[RemoveRule | KeepRule | UnwrapRule, ...] = (*remove, *keep, *unwrap)
        for rule in every:
            if _url_scoped(rule):
                continue
            if not rule.sites:
                self._generic.append(rule)
            for site in rule.sites:
                if site.endswith(".*"):
                    self._by_wildcard.setdefault(site[:-2], []).append(rule)
                else:
                    self._by_site.setdefault(site, []).append(rule)
        #: The most labels any site key has: longer suffixes of a host cannot match one.
        self._site_labels = max((site.count(".") + 1 for site in self._by_site), default=0)
        self._profiles: dict[str, _HostProfile] = {}
        self._shared: dict[tuple[int, ...], _HostProfile] = {}
        self._per_url = bool(self._url_remove or self._url_keep)

    # -- compiling ---------------------------------------------------------------------------

    def _site_rules(self, host: str) -> list[RemoveRule | KeepRule | UnwrapRule]:
        """Rules whose sites match ``host``: most specific site first."""
        key = host.rstrip(".")
        if not key.isascii():
            with contextlib.suppress(UnicodeError):
                key = key.encode("idna").decode("ascii")
        if key.startswith("[") or _is_ipv4(key):
            return []
        labels = key.split(".")
        found: list[RemoveRule | KeepRule | UnwrapRule] = []
        # Only the last few labels can name a site: asking every suffix of a host of n labels
        # would cost n^2 (a 30,000-label host took 8 s in the service's event loop).
        for i in range(max(0, len(labels) - self._site_labels), len(labels)):
            rules = self._by_site.get(".".join(labels[i:]))
            if rules:
                found.extend(rules)
        if self._by_wildcard and any(label in self._by_wildcard for label in labels):
            domain, suffix = registered_parts(key)
            if domain in self._by_wildcard and key.endswith("." + suffix):
                found.extend(self._by_wildcard[domain])
        return found

    def _profile(self, host: str) -> _HostProfile:
        profile = self._profiles.get(host)
        if profile is None:
            site_rules = self._site_rules(host)
            archive = is_archive_host(host)
            # Hosts with the same site rules share one compiled profile (and its memo).
            key = (int(archive), *(id(rule) for rule in site_rules))
            profile = self._shared.get(key)
            if profile is None:
                profile = self._shared[key] = self._compile_profile(site_rules)
                profile.archive = archive
                profile.plain = not (
                    archive
                    or profile.unwrap
                    or profile.keep_all
                    or profile.path_patterns
                    or profile.by_path_remove
                    or profile.by_path_keep
                    or self._per_url
                    or self._url_unwrap
                )
            if len(self._profiles) >= _MAX_PROFILES:
                forget_oldest(self._profiles)
            self._profiles[host] = profile
        return profile

    def _compile_profile(self, site_rules: list[RemoveRule | KeepRule | UnwrapRule]) -> _HostProfile:
        generic = {rule.id for rule in self._generic}
        profile = _HostProfile()
        plain: list[RemoveRule] = []
        by_path_remove: list[RemoveRule] = []
        by_path_keep: list[KeepRule] = []
        keep_exact: set[str] = set()
        keep_prefixes: list[str] = []
        unwrap: list[UnwrapRule] = []
        for rule in site_rules + self._generic:
            if isinstance(rule, UnwrapRule):
                unwrap.append(rule)
            elif isinstance(rule, KeepRule):
                if rule.paths:
                    by_path_keep.append(rule)
                elif rule.keeps_all:
                    profile.keep_all = True
                else:
                    keep_exact.update(rule.params)
                    keep_prefixes.extend(rule.prefixes)
            elif rule.paths:
                by_path_remove.append(rule)
            else:
                plain.append(rule)
        keep = (frozenset(keep_exact), tuple(keep_prefixes))
        profile.query = _Names.build(plain, generic, keep)
        profile.fragment = _Names.build([r for r in plain if r.fragment], generic, keep)
        profile.fragment_patterns = tuple((r.id, p) for r in plain for p in r.fragment_patterns)
        profile.path_patterns = tuple(r for r in plain if r.path_patterns)
        profile.by_path_remove = tuple(by_path_remove)
        profile.by_path_keep = tuple(by_path_keep)
        profile.unwrap = tuple(unwrap)
        return profile

    # -- cleaning ----------------------------------------------------------------------------

    def clean(self, url: str) -> str:
        """The cleaned URL; strings that are not http(s) URLs come back unchanged."""
        if not isinstance(url, str):
            raise TypeError(f"clean() takes a str, not {type(url).__name__}")
        try:
            return self._clean(url, None, 0)
        except Exception:  # pragma: no cover - the property tests call _clean directly
            return url

    def explain(self, url: str) -> CleanResult:
        """Like :meth:`clean`, with every removal and unwrapping and the rule behind it."""
        if not isinstance(url, str):
            raise TypeError(f"explain() takes a str, not {type(url).__name__}")
        recorder = _Recorder()
        try:
            cleaned = self._clean(url, recorder, 0)
        except Exception:  # pragma: no cover - see clean()
            return CleanResult(original=url, cleaned=url, is_http=False)
        return CleanResult(
            original=url,
            cleaned=cleaned,
            removed=tuple(recorder.removed),
            wrappers=tuple(recorder.wrappers),
            is_http=split_url(url.strip()) is not None,
        )

    def _clean(self, url: str, rec: _Recorder | None, depth: int, found: _Found | None = None) -> str:
        """Clean ``url``; ``found`` is its split when the caller has it (an unwrapped target)."""
        if found is None:
            text = url.strip()
            found = split_origin(text)
            if found is None:
                return url
        else:
            text = url
        origin, path, query, fragment = found
        profile = self._profiles.get(origin.host) or self._profile(origin.host)
        if profile.plain and not (":/" in path and names_embedded_url(path, archive_host=False)):
            # Most URLs: only the host's query and fragment tables apply, so the checks below
            # are skipped and the URL is written out from the cached origin.
            out = origin.text + path
            if query:
                query = _filter(query, profile.query, (), (), (), rec, "query")
                if query:
                    out += "?" + query
            if fragment:
                fragment = _clean_fragment(fragment, profile, (), (), (), rec)
                if fragment:
                    out += "#" + fragment
            return out if not out[-1].isspace() else _encode_trailing_space(out)
        parts = SplitURL(origin.scheme, origin.userinfo, origin.host, origin.port, path, query, fragment)
        if profile.archive and names_embedded_url(parts.path, archive_host=True):
            # A capture names its original byte for byte: not even a wrapper rule may touch it.
            return parts.as_written()

        # Unwrap first: a wrapper's own parameters do not matter once its target is known.
        if depth < MAX_UNWRAP_DEPTH and (profile.unwrap or self._url_unwrap):
            unwrapped = self._unwrap(text, parts, profile, rec)
            if unwrapped is not None:
                return self._clean(unwrapped[0], rec, depth + 1, unwrapped[1])
        if ":/" in parts.path and names_embedded_url(parts.path, archive_host=False):
            return parts.as_written()

        scoped: Sequence[RemoveRule] = ()
        by_url: Sequence[RemoveRule] = ()
        extra_keep: list[KeepRule] = []
        if profile.by_path_remove or profile.by_path_keep:
            # Path-scoped rules are the most specific, so they are asked first.
            scoped = [r for r in profile.by_path_remove if r.applies_to_path(parts.path)]
            extra_keep = [r for r in profile.by_path_keep if r.applies_to_path(parts.path)]
        if self._per_url:
            whole = parts.unsplit()
            by_url = [r for r in self._url_remove if r.applies_to_path(parts.path) and r.applies_to_url(whole)]
            extra_keep += [r for r in self._url_keep if r.applies_to_path(parts.path) and r.applies_to_url(whole)]

        if profile.keep_all or (extra_keep and any(k.keeps_all for k in extra_keep)):
            query = "&".join(p for p in parts.query.split("&") if p) if parts.query else None
            return _without_trailing_space(parts.with_parts(parts.path, query, parts.fragment))

        if by_url:
            raw = [(r.id, p) for r in by_url for p in r.raw_patterns]
            if raw:
                before = parts.unsplit()
                cut, removed = _cut(before, raw, "url", rec is not None)
                reparsed = split_url(cut) if cut != before else None
                if reparsed is not None:
                    parts = reparsed
                    if rec is not None:
                        rec.removed.extend(removed)
        path = parts.path
        if profile.path_patterns or scoped or by_url:
            cuts = [(r.id, p) for r in (*profile.path_patterns, *scoped, *by_url) for p in r.path_patterns]
            if cuts:
                path, removed = _cut(path, cuts, "path", rec is not None)
                path = path or "/"
                if rec is not None:
                    rec.removed.extend(removed)
        query = parts.query
        if query:
            query = _filter(query, profile.query, scoped, by_url, extra_keep, rec, "query")
        fragment = parts.fragment
        if fragment:
            fragment = _clean_fragment(fragment, profile, scoped, by_url, extra_keep, rec)
        return _without_trailing_space(parts.with_parts(path, query, fragment))

    def _unwrap(
        self, text: str, parts: SplitURL, profile: _HostProfile, rec: _Recorder | None
    ) -> tuple[str, _Found] | None:
        """The target of the first wrapper rule that opens this URL, with its split."""
        for rule in (*profile.unwrap, *self._url_unwrap):
            if not rule.applies_to_path(parts.path):
                continue
            if rule.url_pattern is not None and not rule.applies_to_url(parts.unsplit()):
                continue
            target = decode_target(parts, rule)
            if target is None:
                continue
            target = target.strip()
            split = split_origin(target)
            if split is None:
                continue
            if rec is not None:
                rec.wrappers.append(Unwrapped(wrapper=text, rule=rule.id, target=target))
            return target, split
        return None


def _clean_fragment(
    fragment: str,
    profile: _HostProfile,
    scoped: Sequence[RemoveRule],
    by_url: Sequence[RemoveRule],
    extra_keep: Sequence[KeepRule],
    rec: _Recorder | None,
) -> str | None:
    """The fragment without its trackers; routes (``#/``, ``#!``) are never touched."""
    if fragment[0] in "/!":
        return fragment
    for rule_id, pattern in profile.fragment_patterns:
        if pattern.fullmatch(fragment):
            if rec is not None:
                rec.removed.append(RemovedParam(name=fragment, value=None, rule=rule_id, location="fragment"))
            return None
    if "=" not in fragment:
        return fragment
    frag_scoped = [r for r in scoped if r.fragment]
    frag_by_url = [r for r in by_url if r.fragment]
    return _filter(fragment, profile.fragment, frag_scoped, frag_by_url, extra_keep, rec, "fragment")


def _filter(
    text: str,
    names: _Names,
    scoped: Sequence[RemoveRule],
    by_url: Sequence[RemoveRule],
    extra_keep: Sequence[KeepRule],
    rec: _Recorder | None,
    location: str,
) -> str:
    """Drop named parameters and empty pairs; keep the rest exactly as written.

    The loop is the cleaner's hottest: one ``partition`` and one memo hit per pair, with
    this URL's path- and URL-scoped rules asked (unmemoised) only when it has some.
    """
    per_url = bool(scoped or by_url or extra_keep)
    memo = names.memo
    pieces = text.split("&")
    kept: list[str] = []
    for piece in pieces:
        if not piece:
            continue
        raw, eq, value = piece.partition("=")
        if per_url:
            rule_id = _decide_with(raw, names, scoped, by_url, extra_keep)
        else:
            rule_id = memo.get(raw, _UNDECIDED)
            if rule_id is _UNDECIDED:
                rule_id = names.decide(raw)
        if rule_id is None:
            kept.append(piece)
        elif rec is not None:
            rec.removed.append(RemovedParam(name=raw, value=value if eq else None, rule=rule_id, location=location))
    return text if len(kept) == len(pieces) else "&".join(kept)


def _decide_with(
    raw: str,
    names: _Names,
    scoped: Sequence[RemoveRule],
    by_url: Sequence[RemoveRule],
    extra_keep: Sequence[KeepRule],
) -> str | None:
    """Like :meth:`_Names.decide`, with this URL's path- and URL-scoped rules (not memoised)."""
    name = _normalise_name(raw)
    rule_id = next((r.id for r in scoped if r.matches_name(name)), None)
    if rule_id is None:
        rule_id = names.lookup(name)
    if rule_id is None:
        rule_id = next((r.id for r in by_url if r.matches_name(name)), None)
    if rule_id is None or names.kept(name) or any(k.matches_name(name) for k in extra_keep):
        return None
    return rule_id


def _url_scoped(rule: RemoveRule | KeepRule | UnwrapRule) -> bool:
    """Rules that only a regex over the whole URL can place (ClearURLs): checked per URL."""
    if rule.url_pattern is not None:
        return True
    return isinstance(rule, UnwrapRule) and rule.decode == "regex" and not rule.sites


def _cut(
    text: str, cuts: list[tuple[str, re.Pattern[str]]], location: str, record: bool
) -> tuple[str, list[RemovedParam]]:
    """Cut every match of the (rule id, regex) pairs out of ``text``; say what went if asked."""
    removed: list[RemovedParam] = []
    for rule_id, pattern in cuts:
        if record:
            removed.extend(
                RemovedParam(name=m.group(0), value=None, rule=rule_id, location=location)
                for m in pattern.finditer(text)
                if m.group(0)
            )
        text = pattern.sub("", text)
    return text, removed


def _without_trailing_space(url: str) -> str:
    """``url``, with whitespace that removals left at its end percent-encoded (UTF-8).

    The whitespace belongs to a kept pair or the path (``?a=1 &utm_source=x``). A URL cannot
    end in a space (the next run would strip it, and prose would cut it), so it is encoded:
    the same bytes reach the server, and cleaning stays idempotent.
    """
    return url if not url[-1].isspace() else _encode_trailing_space(url)


def _encode_trailing_space(url: str) -> str:
    body = url.rstrip()
    return body + "".join(f"%{byte:02X}" for byte in url[len(body) :].encode("utf-8"))


def _is_ipv4(host: str) -> bool:
    if not host[-1:].isdigit():
        return False
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


_DEFAULT: Cleaner | None = None
_CUSTOM: dict[int, Cleaner] = {}


def _cleaner(rules: RuleSet | None) -> Cleaner:
    global _DEFAULT
    if rules is None:
        if _DEFAULT is None:
            _DEFAULT = Cleaner()
        return _DEFAULT
    cleaner = _CUSTOM.get(id(rules))
    if cleaner is None or cleaner.rules is not rules:
        if len(_CUSTOM) >= 8:
            _CUSTOM.clear()
        cleaner = _CUSTOM[id(rules)] = Cleaner(rules)
    return cleaner


def clean_url(url: str, *, rules: RuleSet | None = None) -> str:
    """The URL an editor should cite: trackers removed, wrappers opened, the rest untouched.

    >>> clean_url("https://example.com/a?utm_source=x&id=7&utm_medium=y")
    'https://example.com/a?id=7'
    >>> clean_url("mailto:someone@example.com?subject=hi")
    'mailto:someone@example.com?subject=hi'
    """
    if rules is None and _DEFAULT is not None:
        return _DEFAULT.clean(url)
    return _cleaner(rules).clean(url)


def explain(url: str, *, rules: RuleSet | None = None) -> CleanResult:
    """Clean ``url`` and say what was removed, by which rule, and which wrapper was opened.

    >>> result = explain("https://example.com/?fbclid=IwAR0&p=42")
    >>> result.cleaned, [(r.name, r.rule) for r in result.removed]
    ('https://example.com/?p=42', [('fbclid', 'facebook-click')])
    """
    return _cleaner(rules).explain(url)
