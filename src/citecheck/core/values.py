"""Checks of values a user writes (in the configuration file or as a flag), each saying what is wrong.

Kept apart from the defaults table so the table stays a table; :mod:`.defaults` re-exports them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta

from .errors import ConfigError

__all__ = ["VERDICT_NAMES", "check_header", "check_network", "check_verdicts", "format_duration", "parse_duration"]

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


_DURATION_UNITS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([wdhms])", re.IGNORECASE)


def parse_duration(value: object, what: str) -> timedelta:
    """A duration as a user writes it: ``"30d"``, ``"1d 12h"``, ``"90m"``, ``"2w"``, or a number of seconds.

    Units: ``w`` weeks, ``d`` days, ``h`` hours, ``m`` minutes, ``s`` seconds; negative
    durations are refused. ``what`` names the setting in the error.

    >>> parse_duration("1d 12h", "x"), parse_duration(90, "x")
    (datetime.timedelta(days=1, seconds=43200), datetime.timedelta(seconds=90))
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value != value or value < 0 or value > 1e10:
            raise ConfigError(f'{what!r} must be a duration such as "30d" or a number of seconds, got {value!r}')
        return timedelta(seconds=value)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            return parse_duration(float(text), what)
        total, end = 0.0, 0
        for match in _DURATION.finditer(text):
            if match.start() != end:
                break
            total += float(match[1]) * _DURATION_UNITS[match[2].lower()]
            end = match.end()
        if text and end == len(text) and total <= 1e10:
            return timedelta(seconds=total)
    raise ConfigError(f'{what!r} must be a duration such as "30d", "12h" or "1d 12h", got {value!r}')


def format_duration(duration: timedelta) -> str:
    """The short form :func:`parse_duration` reads back (and Save Page Now understands).

    >>> format_duration(timedelta(days=30)), format_duration(timedelta(days=1, hours=12)), format_duration(timedelta(0))
    ('30d', '1d 12h', '0s')
    """
    seconds = max(0, round(duration.total_seconds()))
    parts = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts) or "0s"
