"""Splitting http(s) URLs by hand, fast, keeping every character as written.

We do not use :func:`urllib.parse.urlsplit` on the hot path: it costs more than
the whole cleaning budget, and it re-serialises. :func:`split_url` only finds the
boundaries (RFC 3986 section 3) and checks the authority; what is not changed is
emitted byte for byte.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from typing import NamedTuple

__all__ = ["SplitURL", "is_http_url", "split_url", "valid_authority"]

# Scheme, authority, path, query, fragment: one match finds every boundary (RFC 3986 appendix B).
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#(.*))?\Z", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Characters a registered name may not contain (WHATWG forbidden host code points, plus '%'
# since we do not percent-decode hosts: such a host is left alone rather than guessed at).
_BAD_HOST = re.compile(r"[\s<>\\^|\"{}`%/?#@\[\]:*]")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Checked authorities, per scheme: hosts repeat, so each is validated and lowercased once.
_AUTHORITIES: dict[str, dict[str, tuple[str, str, str] | None]] = {"http": {}, "https": {}}
_MAX_AUTHORITIES = 16_384
_UNCHECKED = ("", "", "")


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
    match = _URL.match(text)
    if match is None:
        return None
    scheme, authority, path, query, fragment = match.groups()
    scheme = scheme.lower()
    if scheme != "http" and scheme != "https":
        return None
    if not text.isprintable() and _CONTROL.search(text):
        return None
    checked = _checked(scheme, authority)
    if checked is None:
        return None
    userinfo, host, port = checked
    return SplitURL(scheme, userinfo, host, port, path or "/", query, fragment)


def valid_authority(scheme: str, authority: str) -> bool:
    """Whether ``authority`` (what follows ``scheme://`` up to ``/ ? #``) is one :func:`split_url` accepts.

    For the extractors, which need only this of a URL they found (the rest of a bare URL holds
    no control characters): the same check, and the same cache, as splitting.
    """
    return _checked(scheme.lower(), authority) is not None


def _checked(scheme: str, authority: str) -> tuple[str, str, str] | None:
    """:func:`_check_authority`, cached per scheme (hosts repeat)."""
    cache = _AUTHORITIES.get(scheme)
    if cache is None:
        return None
    checked = cache.get(authority, _UNCHECKED)
    if checked is _UNCHECKED:
        checked = _check_authority(scheme, authority)
        if len(cache) >= _MAX_AUTHORITIES:
            cache.clear()
        cache[authority] = checked
    return checked


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
    (``example.com.``), not an empty label.
    """
    labels = host.removesuffix(".").split(".")
    for label in labels:
        if not label or label[0] == "-" or label[-1] == "-":
            return False
        if not any(ch.isalnum() or (ch > "\x7f" and unicodedata.category(ch)[0] != "P") for ch in label):
            return False
    return True


def is_http_url(text: str) -> bool:
    """Whether ``text`` (stripped) is an absolute http(s) URL citecheck can work with."""
    return split_url(text.strip()) is not None
