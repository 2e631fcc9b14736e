"""Splitting http(s) URLs by hand, fast, keeping every character as written.

We do not use :func:`urllib.parse.urlsplit` on the hot path: it costs more than
the whole cleaning budget, and it re-serialises. :func:`split_url` only finds the
boundaries (RFC 3986 section 3) and checks the authority; what is not changed is
emitted byte for byte.
"""

from __future__ import annotations

import binascii
import ipaddress
import re
import unicodedata
from itertools import islice
from typing import Any, NamedTuple
from urllib.parse import unquote, urljoin

__all__ = [
    "Origin",
    "SplitURL",
    "forget_oldest",
    "is_http_url",
    "join_url",
    "percent_decode",
    "split_origin",
    "split_url",
    "valid_authority",
]

# Scheme, authority, path, query, fragment: one match finds every boundary (RFC 3986 appendix B)
# and, by never matching a control character, rejects a URL that holds one.
_URL = re.compile(
    r"((?i:https?)://[^/?#\x00-\x1f\x7f]*)([^?#\x00-\x1f\x7f]*)"
    r"(?:\?([^#\x00-\x1f\x7f]*))?(?:#([^\x00-\x1f\x7f]*))?\Z"
)
#: Builds a :class:`SplitURL` without NamedTuple's keyword-parsing ``__new__`` (hot path).
_make = tuple.__new__
# Characters a registered name may not contain (WHATWG forbidden host code points, plus '%'
# since we do not percent-decode hosts: such a host is left alone rather than guessed at).
_BAD_HOST = re.compile(r"[\s<>\\^|\"{}`%/?#@\[\]:*]")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_MAX_ORIGINS = 32_768
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: One shared string per scheme, rather than a new lowercased copy per cached origin.
_SCHEMES = {"http": "http", "https": "https"}


class Origin(NamedTuple):
    """A checked, normalised origin: its parts, and ``text``, the origin written out."""

    scheme: str
    userinfo: str
    host: str
    port: str
    text: str


# Checked origins as written (``HTTPS://Example.com:443``): hosts repeat, so each is validated
# and normalised once, or remembered as invalid (None).
_ORIGINS: dict[str, Origin | None] = {}
_UNCHECKED = Origin("", "", "", "", "")


class SplitURL(NamedTuple):
    """The parts of an http(s) URL. ``query``/``fragment`` are None when absent, '' when empty."""

    scheme: str  # lowercased
    userinfo: str  # as written, with the trailing '@', or ''
    host: str  # lowercased (Unicode stays Unicode, punycode stays punycode)
    port: str  # ':NNN' as written, or '' (default ports dropped)
    path: str  # as written; '' becomes '/'
    query: str | None
    fragment: str | None

    def origin(self) -> str:
        return f"{self.scheme}://{self.userinfo}{self.host}{self.port}"

    def unsplit(self) -> str:
        return self.with_parts(self.path, self.query, self.fragment)

    def as_written(self) -> str:
        """The URL with its origin normalised and the rest exactly as written, empty ``?``/``#`` too."""
        text = f"{self.scheme}://{self.userinfo}{self.host}{self.port}{self.path}"
        if self.query is not None:
            text += "?" + self.query
        if self.fragment is not None:
            text += "#" + self.fragment
        return text

    def with_parts(self, path: str, query: str | None, fragment: str | None) -> str:
        """The URL with this origin and the given path, query and fragment (empty ones left out)."""
        text = f"{self.scheme}://{self.userinfo}{self.host}{self.port}{path}"
        if query:
            text += "?" + query
        if fragment:
            text += "#" + fragment
        return text


def split_url(text: str) -> SplitURL | None:
    """Split an absolute http(s) URL (already stripped); None when it is not one or is malformed.

    Normalises only what never changes the resource (RFC 3986 6.2.2.1 and 6.2.3): scheme and
    host case, a default or empty port, an empty path. An empty query or fragment is kept as ''
    so callers can decide.
    """
    found = split_origin(text)
    if found is None:
        return None
    origin, path, query, fragment = found
    return _make(SplitURL, (origin.scheme, origin.userinfo, origin.host, origin.port, path, query, fragment))


def split_origin(text: str) -> tuple[Origin, str, str | None, str | None] | None:
    """:func:`split_url` as (origin, path, query, fragment): the cleaner's hot path, which
    writes the normalised origin out as is rather than from its parts."""
    match = _URL.match(text)
    if match is None:
        return None
    written, path, query, fragment = match.groups()
    origin = _ORIGINS.get(written, _UNCHECKED)
    if origin is _UNCHECKED:
        origin = _remember_origin(written)
    if origin is None:
        return None
    return origin, path or "/", query, fragment


def valid_authority(scheme: str, authority: str) -> bool:
    """Whether ``authority`` (what follows ``scheme://`` up to ``/ ? #``) is one :func:`split_url` accepts.

    For the extractors, which need only this of a URL they found (the rest of a bare URL holds
    no control characters): the same check, and the same cache, as splitting.
    """
    if scheme.lower() not in _SCHEMES or _CONTROL.search(authority):
        return False
    written = f"{scheme}://{authority}"
    origin = _ORIGINS.get(written, _UNCHECKED)
    if origin is _UNCHECKED:
        origin = _remember_origin(written)
    return origin is not None


def _remember_origin(written: str) -> Origin | None:
    origin = _check_origin(written)
    if len(_ORIGINS) >= _MAX_ORIGINS:
        forget_oldest(_ORIGINS)
    _ORIGINS[written] = origin
    return origin


def _check_origin(written: str) -> Origin | None:
    colon = written.index(":")
    scheme = written[:colon].lower()
    authority = _check_authority(scheme, written[colon + 3 :])
    if authority is None:
        return None
    userinfo, host, port = authority
    text = f"{_SCHEMES[scheme]}://{userinfo}{host}{port}"
    # Usually written normalised already: then the cache key doubles as the text (less memory).
    return Origin(_SCHEMES[scheme], userinfo, host, port, written if text == written else text)


def forget_oldest(cache: dict[Any, Any]) -> None:
    """Drop the older half of a full cache (dicts keep insertion order).

    Clearing it all made a working set just over the cap miss on every entry, every pass.
    """
    for key in list(islice(cache, len(cache) // 2)):
        cache.pop(key, None)  # another thread may be dropping the same key


def _check_authority(scheme: str, authority: str) -> tuple[str, str, str] | None:
    """(userinfo with '@', lowercased host, ':port' or '') of a valid authority, else None."""
    at = authority.rfind("@")
    userinfo = authority[: at + 1]
    hostport = authority[at + 1 :]
    port_text: str | None
    if hostport.startswith("["):
        close = hostport.find("]")
        if close < 0:
            return None
        host = hostport[: close + 1].lower()
        after = hostport[close + 1 :]
        if after and after[0] != ":":
            return None
        port_text = after[1:] if after else None
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return None
    else:
        c_at = hostport.find(":")
        if c_at >= 0:
            host, port_text = hostport[:c_at], hostport[c_at + 1 :]
        else:
            host, port_text = hostport, None
        if not host or _BAD_HOST.search(host) or not _labels_can_be_a_host(host):
            return None
        host = host.lower()
    port = ""
    if port_text:
        if not (port_text.isascii() and port_text.isdigit()) or len(port_text) > 5:
            return None
        number = int(port_text)
        if number > 65535:
            return None
        if number != _DEFAULT_PORTS[scheme]:
            port = ":" + port_text
    return userinfo, host, port


def _labels_can_be_a_host(host: str) -> bool:
    """Whether the dot-separated labels of a registered name can name a host.

    DNS host names (RFC 1123 section 2.1) are labels of letters, digits and inner hyphens, so
    ``a..b``, ``.example``, ``-a.example`` and ``a-.example`` name nothing, however lenient a
    browser's parser is. A label needs one character that is not punctuation (``https://)/``
    has a "host", ``)``); underscores (``_dmarc``, ``my_site``) and non-ASCII labels, including
    symbols (``☃.net``), are accepted: they are in real use. One trailing dot is the root
    (``example.com.``), not an empty label. A name over 253 characters or a label over 63
    cannot be resolved (RFC 1035 section 2.3.4), and refusing them keeps work per host bounded.
    """
    name = host.removesuffix(".")
    if len(name) > 253:
        return False  # DNS's limit (RFC 1035 2.3.4); a Unicode name is longer still in punycode
    labels = name.split(".")
    for label in labels:
        if not label or label[0] == "-" or label[-1] == "-" or len(label) > 63:
            return False
        if not any(ch.isalnum() or (ch > "\x7f" and unicodedata.category(ch)[0] != "P") for ch in label):
            return False
    return True


def join_url(base: str, reference: str) -> str | None:
    """``reference`` resolved against ``base`` (RFC 3986 section 5), or None when it cannot be.

    :func:`urllib.parse.urljoin` raises on what a hostile server may well send as a Location
    or a meta refresh (``http://[::1/``): that is a bad link, not a crash.
    """
    try:
        return urljoin(base, reference)
    except ValueError:
        return None


def is_http_url(text: str) -> bool:
    """Whether ``text`` (stripped) is an absolute http(s) URL citecheck can work with."""
    return split_url(text.strip()) is not None


#: A '%' that does not start a two-digit hex escape (kept literally by ``unquote``).
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def percent_decode(text: str) -> str:
    """Exactly :func:`urllib.parse.unquote` (UTF-8, bad bytes replaced), several times faster.

    ``unquote`` decodes escape by escape in Python, which made a long wrapped target cost
    more than the rest of cleaning. When every ``%`` starts a valid escape and the text is
    ASCII (nearly always), the escapes are handed to :func:`binascii.a2b_qp`, which decodes
    ``=XX`` in C: literal ``=`` are protected as ``=3D`` first, so nothing else changes.
    Anything else goes to ``unquote`` itself. A property test holds the two equal.
    """
    if "%" not in text:
        return text
    if not text.isascii() or _BAD_ESCAPE.search(text):
        return unquote(text)
    return binascii.a2b_qp(text.replace("=", "=3D").replace("%", "=")).decode("utf-8", "replace")
