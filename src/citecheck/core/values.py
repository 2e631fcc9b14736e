"""Checks of values a user writes (in the configuration file or as a flag), each saying what is wrong.

Kept apart from the defaults table so the table stays a table; :mod:`.defaults` re-exports them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .errors import ConfigError

__all__ = ["VERDICT_NAMES", "check_header", "check_network", "check_verdicts"]

#: Verdicts a user may name (``fail_on``): every verdict but the service's ``pending``.
VERDICT_NAMES = (
    "ok",
    "fixable",
    "invalid",
    "skipped",
    "redirected",
    "broken",
    "blocked",
    "unreachable",
    "unverified",
)


def check_network(text: str) -> str:
    """``text`` if it is a CIDR network (``127.0.0.0/8``), else :class:`ConfigError` saying why."""
    import ipaddress  # here: the CLI imports this module for every command, even ``clean``

    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    return text


#: Headers that describe the connection or the message framing, and Accept-Encoding (bodies are
#: decoded with a size bound, for the encodings citecheck offers): set by citecheck, never by a user.
_RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "accept-encoding",
    }
)
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")


def check_header(name: str, value: str) -> tuple[str, str]:
    """``(name, value)`` if it is a header a user may add, else :class:`ConfigError` saying why."""
    if not _HEADER_NAME.match(name):
        raise ConfigError(f"{name!r} is not a header name (letters, digits and !#$%&'*+.^_`|~- only)")
    if name.lower() in _RESERVED_HEADERS:
        raise ConfigError(f"{name!r} is set by citecheck itself and cannot be given")
    if any(c in value for c in "\r\n\0"):
        raise ConfigError(f"the value of {name!r} holds a line break or NUL")
    return name, value.strip()


def check_verdicts(names: Iterable[str]) -> tuple[str, ...]:
    """The verdict names as a tuple, else :class:`ConfigError` naming the first unknown one."""
    names = tuple(names)
    for name in names:
        if name not in VERDICT_NAMES:
            raise ConfigError(f"unknown verdict {name!r} (one of {', '.join(VERDICT_NAMES)})")
    return names
