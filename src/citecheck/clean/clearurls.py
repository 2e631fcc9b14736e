"""Loading rules in the ClearURLs format, so users can reuse its community-maintained rule file.

A ClearURLs file (``data.min.json`` of the ClearURLs add-on) is
``{"providers": {NAME: {"urlPattern": ..., "rules": [...], ...}}}``. Each provider becomes
rules of our model, scoped by URL regex rather than by site (see :class:`citecheck.clean.rules._Scoped`):

========================  ====================================================================
ClearURLs                 citecheck
========================  ====================================================================
``urlPattern``            ``url_pattern`` of every rule of the provider (searched, like JS ``test``)
``exceptions``            ``url_exceptions`` of every rule of the provider
``rules``,                one :class:`RemoveRule` ``clearurls:NAME``: ``patterns`` that must match
``referralMarketing``     a whole (decoded, lowercased) name, in the query and in ``#k=v``
                          fragments (``fragment=True``), as ClearURLs tests ``^rule$``
``rawRules``              ``raw_patterns`` of that rule: cut out of the whole URL
``redirections``          one :class:`UnwrapRule` per regex, ``decode="regex"``, group 1 is the
                          target: ``clearurls:NAME:redirect`` (``...:redirect:N`` when the
                          provider lists several, N counting from 1 in file order)
``completeProvider``      ignored: ClearURLs blocks such URLs; a cleaner never blocks
``forceRedirection``,     ignored: they concern how a browser performs the request
``methods``
========================  ====================================================================

Every regex is compiled case-insensitively (ClearURLs uses the ``i`` flag everywhere) and with
:data:`re.ASCII`, so ``\\w``, ``\\d`` and ``\\b`` mean what they mean in a JavaScript regex
without the ``u`` flag. ``referralMarketing`` is removed: that is ClearURLs' default.

Errors. A file that cannot be read, is not JSON, has no ``"providers"`` object, or whose
provider has the wrong shape (no ``urlPattern``, a list that is not a list of strings) raises
:class:`RulesError` naming the file and provider. A regex Python cannot compile (ClearURLs
regexes are JavaScript; ``(?<name>..)``, ``\\cX``, ``[^]``, variable-width look-behind are
not Python) is not fatal unless ``strict``: that entry is skipped and a warning says so. When
the skipped regex is the ``urlPattern`` or one of the ``exceptions``, the whole provider is
skipped, since without it the provider would apply to URLs ClearURLs leaves alone.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..core.errors import RulesError
from .rules import RemoveRule, RuleSet, UnwrapRule, read_json_rules

__all__ = ["ClearURLsWarning", "load_clearurls", "read_clearurls"]

#: How every ClearURLs regex is compiled: case-insensitive, with JavaScript's ASCII classes.
_FLAGS = re.IGNORECASE | re.ASCII

#: Provider keys we understand (used or deliberately ignored); others earn a warning.
_KNOWN_KEYS = frozenset(
    {
        "urlPattern",
        "completeProvider",
        "rules",
        "rawRules",
        "referralMarketing",
        "exceptions",
        "redirections",
        "forceRedirection",
        "methods",
    }
)
_LIST_KEYS = ("rules", "rawRules", "referralMarketing", "exceptions", "redirections")


class ClearURLsWarning(UserWarning):
    """An entry of a ClearURLs file was skipped (load_clearurls in non-strict mode)."""


class _Skip(Exception):
    """Internal: the current provider cannot be used; the message says why."""


def load_clearurls(path: str | Path, *, strict: bool = False) -> RuleSet:
    """Read a ClearURLs rules file into a :class:`RuleSet` to merge with ours.

    Entries Python cannot use are skipped with a :class:`ClearURLsWarning` (one per entry),
    or raise :class:`RulesError` when ``strict``. Use :func:`read_clearurls` to get the
    warnings as a list instead.
    """
    data = read_json_rules(path, "ClearURLs file")
    ruleset, problems = read_clearurls(data, str(path), strict=strict)
    for problem in problems:
        warnings.warn(problem, ClearURLsWarning, stacklevel=2)
    return ruleset


def read_clearurls(data: Any, source: str = "<clearurls>", *, strict: bool = False) -> tuple[RuleSet, list[str]]:
    """Convert a parsed ClearURLs document; return the rules and a warning per skipped entry.

    With ``strict``, the first entry that would be skipped raises :class:`RulesError` instead.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("providers"), Mapping):
        raise RulesError(f'{source}: not a ClearURLs file (expected an object with a "providers" object)')
    remove: list[RemoveRule] = []
    unwrap: list[UnwrapRule] = []
    problems: list[str] = []

    def warn(message: str) -> None:
        if strict:
            raise RulesError(message)
        problems.append(message)

    for name, provider in data["providers"].items():
        where = f"{source}: provider {name!r}"
        try:
            rule, redirects = _provider(str(name), provider, where, warn)
        except _Skip as exc:
            warn(f"{where}: {exc}; provider skipped")
            continue
        if rule is not None:
            remove.append(rule)
        unwrap.extend(redirects)
    return RuleSet(remove=tuple(remove), unwrap=tuple(unwrap), sources=(source,)), problems


def _provider(
    name: str, provider: Any, where: str, warn: Callable[[str], None]
) -> tuple[RemoveRule | None, list[UnwrapRule]]:
    """One provider's rules; raise :class:`_Skip` when the provider as a whole is unusable."""
    if not isinstance(provider, Mapping):
        raise RulesError(f"{where}: a provider must be an object")
    unknown = sorted(str(key) for key in provider if key not in _KNOWN_KEYS)
    if unknown:
        warn(f"{where}: ignored unknown keys {unknown}")
    pattern_text = provider.get("urlPattern")
    if not isinstance(pattern_text, str):
        raise RulesError(f"{where}: 'urlPattern' must be a string")
    lists = {key: _strings(provider, key, where) for key in _LIST_KEYS}

    # Without its scope or one of its exceptions the provider would reach URLs ClearURLs spares.
    url_pattern = _regex(pattern_text)
    if isinstance(url_pattern, str):
        raise _Skip(f"urlPattern {url_pattern}")
    exceptions: list[re.Pattern[str]] = []
    for text in lists["exceptions"]:
        compiled = _regex(text)
        if isinstance(compiled, str):
            raise _Skip(f"exception {compiled}")
        exceptions.append(compiled)
    scope: dict[str, Any] = {
        "note": f"ClearURLs provider {name}",
        "url_pattern": url_pattern,
        "url_exceptions": tuple(exceptions),
    }

    def compile_all(texts: list[str], what: str) -> tuple[re.Pattern[str], ...]:
        out: list[re.Pattern[str]] = []
        for text in dict.fromkeys(texts):  # ClearURLs keeps each regex once, in order
            compiled = _regex(text)
            if isinstance(compiled, str):
                warn(f"{where}: {what} {compiled}; skipped")
            else:
                out.append(compiled)
        return tuple(out)

    names = compile_all(lists["rules"] + lists["referralMarketing"], "rule")
    raw = compile_all(lists["rawRules"], "rawRule")
    rule = None
    if names or raw:
        rule = RemoveRule(id=f"clearurls:{name}", patterns=names, raw_patterns=raw, fragment=True, **scope)

    redirects: list[UnwrapRule] = []
    several = len(lists["redirections"]) > 1
    for index, text in enumerate(lists["redirections"], start=1):
        compiled = _regex(text)
        if isinstance(compiled, str):
            warn(f"{where}: redirection {compiled}; skipped")
            continue
        if compiled.groups < 1:
            warn(f"{where}: redirection {text!r} has no group for the target; skipped")
            continue
        rule_id = f"clearurls:{name}:redirect" + (f":{index}" if several else "")
        redirects.append(UnwrapRule(id=rule_id, decode="regex", pattern=compiled, **scope))
    return rule, redirects


def _strings(provider: Mapping[str, Any], key: str, where: str) -> list[str]:
    """A list-of-regexes field; missing or null means empty, as with ClearURLs' getOrDefault."""
    value = provider.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RulesError(f"{where}: {key!r} must be a list of strings")
    return value


def _regex(text: str) -> re.Pattern[str] | str:
    """The compiled regex, or the reason Python cannot use it (an empty regex counts)."""
    if not text:
        return "is an empty string"
    try:
        return re.compile(text, _FLAGS)
    except (re.error, RecursionError, OverflowError) as exc:
        return f"{text!r} is not a Python regular expression ({exc})"
