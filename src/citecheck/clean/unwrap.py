"""Reading the target out of a redirect wrapper, offline.

Each decoder takes the split wrapper URL and an :class:`~citecheck.clean.rules.UnwrapRule` and
returns the target as text, or None. The caller checks that the target is a real http(s)
URL before trusting it, so decoders may be optimistic.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable

from ..core.urls import SplitURL, percent_decode
from .rules import UnwrapRule

__all__ = ["decode_target"]

_MAX_TARGET = 16_384
_LOOKS_ENCODED = re.compile(r"^https?%3a", re.IGNORECASE)
_BARE_HOST = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+(?::\d+)?(?:[/?#]|$)", re.IGNORECASE)


def _finish(candidate: str, parts: SplitURL, rule: UnwrapRule) -> str | None:
    """Undo extra percent-encoding layers and make relative targets absolute."""
    candidate = candidate.strip()
    for _ in range(3):
        if not _LOOKS_ENCODED.match(candidate):
            break
        candidate = percent_decode(candidate)
    if rule.relative and candidate.startswith("/") and not candidate.startswith("//"):
        candidate = parts.origin() + candidate
    if len(candidate) > _MAX_TARGET:
        return None
    return candidate


def _query_values(query: str | None, names: tuple[str, ...]) -> list[str]:
    """Raw values of the named parameters, in the order the rule prefers them."""
    if not query:
        return []
    found: dict[str, str] = {}
    for piece in query.split("&"):
        name, eq, value = piece.partition("=")
        if not eq:
            continue
        key = percent_decode(name.replace("+", " ")).lower() if "%" in name or "+" in name else name.lower()
        if key.startswith("amp;"):
            key = key[4:]
        if key in names and key not in found:
            found[key] = value
    return [found[n] for n in names if n in found]


def _with_scheme(target: str, scheme: str) -> str:
    """Give a bare ``host/path`` target a scheme; leave anything else alone."""
    target = target.strip()
    if scheme and not target.lower().startswith(("http://", "https://")) and _BARE_HOST.match(target):
        return f"{scheme}://{target}"
    return target


def _param(parts: SplitURL, rule: UnwrapRule) -> str | None:
    for value in _query_values(parts.query, rule.params):
        candidate = _finish(_with_scheme(percent_decode(value), rule.scheme), parts, rule)
        if candidate and (candidate.lower().startswith(("http://", "https://")) or rule.relative):
            return candidate
    return None


def _base64_param(parts: SplitURL, rule: UnwrapRule) -> str | None:
    for value in _query_values(parts.query, rule.params):
        value = percent_decode(value)
        if rule.strip and value.startswith(rule.strip):
            value = value[len(rule.strip) :]
        value = value.replace("-", "+").replace("_", "/")
        try:
            raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
            candidate = raw.decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        return _finish(candidate, parts, rule)
    return None


def _raw_query(parts: SplitURL, rule: UnwrapRule) -> str | None:
    if not parts.query:
        return None
    target = parts.query if parts.fragment is None else f"{parts.query}#{parts.fragment}"
    return _finish(target, parts, rule)


def _path(parts: SplitURL, rule: UnwrapRule) -> str | None:
    if not parts.path.startswith(rule.prefix):
        return None
    rest = parts.path[len(rule.prefix) :]
    if not rest:
        return None
    if _LOOKS_ENCODED.match(rest):
        return _finish(rest, parts, rule)
    if not rest.lower().startswith(("http://", "https://", "http:/", "https:/")):
        rest = f"{rule.scheme or 'https'}://{rest}"
    elif not rest.lower().startswith(("http://", "https://")):
        # Some servers squash '//' to '/' inside a path.
        scheme, _, tail = rest.partition(":/")
        rest = f"{scheme}://{tail}"
    if parts.query is not None:
        rest += "?" + parts.query
    if parts.fragment is not None:
        rest += "#" + parts.fragment
    return _finish(rest, parts, rule)


def _path_segment(parts: SplitURL, rule: UnwrapRule) -> str | None:
    marker = "/" + rule.marker
    at = parts.path.find(marker)
    if at < 0:
        return None
    start = at + len(marker)
    end = parts.path.find("/", start)
    segment = parts.path[start:] if end < 0 else parts.path[start:end]
    return _finish(percent_decode(segment), parts, rule)


def _proofpoint_v2(parts: SplitURL, rule: UnwrapRule) -> str | None:
    for value in _query_values(parts.query, rule.params or ("u",)):
        # v2 writes '%' as '-' and '/' as '_' before percent-encoding is undone.
        return _finish(percent_decode(value.replace("-", "%").replace("_", "/")), parts, rule)
    return None


_V3 = re.compile(r"/v3/__(?P<url>.+?)__;(?P<chars>[A-Za-z0-9_=-]*)!")
_V3_TOKEN = re.compile(r"\*(\*.)?")
# v3 run lengths: '**X' stands for a run of 2.. characters, X indexing this alphabet.
_V3_RUNS = {ch: n for n, ch in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", start=2)}


def _proofpoint_v3(parts: SplitURL, rule: UnwrapRule) -> str | None:
    whole = parts.path + ("?" + parts.query if parts.query is not None else "")
    match = _V3.search(whole)
    if not match:
        return None
    url = percent_decode(match.group("url"))
    chars = match.group("chars")
    try:
        replacements = base64.urlsafe_b64decode(chars + "=" * (-len(chars) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    position = 0
    failed = False

    def substitute(token: re.Match[str]) -> str:
        nonlocal position, failed
        length = 1 if token.group(1) is None else _V3_RUNS.get(token.group(1)[-1], 0)
        piece = replacements[position : position + length]
        if len(piece) != length or length == 0:
            failed = True
        position += length
        return piece

    decoded = _V3_TOKEN.sub(substitute, url)
    return None if failed else _finish(decoded, parts, rule)


def _regex(parts: SplitURL, rule: UnwrapRule) -> str | None:
    if rule.pattern is None:
        return None
    match = rule.pattern.search(parts.unsplit())
    if not match or not match.group(1):
        return None
    # ClearURLs redirections may capture "example.com/path"; like ClearURLs, assume http.
    return _finish(_with_scheme(percent_decode(match.group(1)), rule.scheme or "http"), parts, rule)


_DECODERS: dict[str, Callable[[SplitURL, UnwrapRule], str | None]] = {
    "param": _param,
    "base64-param": _base64_param,
    "raw-query": _raw_query,
    "path": _path,
    "path-segment": _path_segment,
    "proofpoint-v2": _proofpoint_v2,
    "proofpoint-v3": _proofpoint_v3,
    "regex": _regex,
}


def decode_target(parts: SplitURL, rule: UnwrapRule) -> str | None:
    """The wrapped target according to ``rule``, or None if this URL does not carry one."""
    return _DECODERS[rule.decode](parts, rule)
