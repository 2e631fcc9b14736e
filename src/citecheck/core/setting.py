"""What one setting is: its default, the values it allows, and where a user sets it.

The settings themselves are declared in :mod:`.defaults`; this module holds their type, so the
table stays a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Literal, TypeVar, cast

from .errors import ConfigError
from .values import parse_duration

__all__ = ["Kind", "Setting"]

T_co = TypeVar("T_co", covariant=True)

#: What a value is, which decides how the configuration file's value is checked.
Kind = Literal[
    "bool",
    "integer",
    "number",
    "choice",
    "choices",
    "string",
    "encoding",
    "path",
    "store",
    "paths",
    "globs",
    "suffixes",
    "patterns",
    "networks",
    "origins",
    "names",
    "url",
    "date",
    "duration",
    "archives",
    "table",
    "headers",
]

#: URL schemes of a database store (kind ``store``): such a value is a URL, never a relative path.
DATABASE_URL_SCHEMES = ("postgresql://", "postgres://")

_KIND_WORDS = {
    "bool": "true or false",
    "string": "a string",
    "encoding": "an encoding name",
    "path": "a path",
    "store": "a path or a `postgresql://` URL",
    "paths": "a list of paths",
    "globs": "a list of globs",
    "suffixes": "a list of file suffixes",
    "patterns": "a list of regular expressions",
    "networks": "a list of CIDR networks",
    "origins": "a list of origins",
    "names": "a list of archive names",
    "url": "an http(s) URL",
    "date": "a date (YYYY-MM-DD)",
    "duration": 'a duration (`"30d"`, `"12h"`, `"1d 12h"`) or seconds',
    "archives": "a list of tables",
    "table": "a table",
    "headers": "a table of header names and values",
}


def _show(number: float) -> str:
    """A bound as people write it: 600, not 600.0; 0.1 stays 0.1."""
    return str(int(number)) if float(number).is_integer() else repr(number)


@dataclass(frozen=True, slots=True, kw_only=True)
class Setting(Generic[T_co]):
    """One setting: its default, what values it allows, and where a user sets it."""

    #: As written in the configuration file (``serve.max_queue`` is ``max_queue`` in ``[serve]``).
    name: str
    default: T_co
    kind: Kind
    #: One line for the documentation.
    help: str
    #: Smallest and largest allowed number (None: unbounded on that side).
    low: float | None = None
    high: float | None = None
    #: ``low`` itself is not allowed (a rate must be above 0).
    above: bool = False
    #: The allowed words of a ``choice`` or ``choices`` setting.
    choices: tuple[str, ...] = ()
    #: The command-line flag that sets it, if any.
    flag: str | None = None
    #: The default as the documentation shows it, when the value alone says too little.
    shown: str | None = None
    #: False for flags that have no key in the configuration file (``serve --port``).
    in_file: bool = True

    @property
    def key(self) -> str:
        """The key inside its table: ``max_queue`` for ``serve.max_queue``."""
        return self.name.rpartition(".")[2]

    def allowed(self) -> str:
        """What the value must be, for error messages and the documentation.

        >>> from citecheck.core.defaults import ALLOW_NETWORKS, ARCHIVE_CDX_PER_MINUTE, RETRIES
        >>> RETRIES.allowed(), ARCHIVE_CDX_PER_MINUTE.allowed(), ALLOW_NETWORKS.allowed()
        ('a number from 0 to 10 (an integer)', 'a number above 0', 'a list of CIDR networks')
        """
        if self.kind in ("integer", "number"):
            whole = " (an integer)" if self.kind == "integer" else ""
            if self.above and self.low is not None:
                return f"a number above {_show(self.low)}{whole}"
            if self.low is not None and self.high is not None:
                return f"a number from {_show(self.low)} to {_show(self.high)}{whole}"
            if self.low is not None:
                return f"a number of at least {_show(self.low)}{whole}"
            return f"a number{whole}"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "choices":
            return "a list of: " + ", ".join(self.choices)
        return _KIND_WORDS.get(self.kind, self.kind)

    def default_text(self) -> str:
        """The default as written in a configuration file (``"text"``, ``[]``, ``20``), or words.

        >>> from citecheck.core.defaults import FORMAT, STORE, TIMEOUT
        >>> TIMEOUT.default_text(), FORMAT.default_text(), STORE.default_text()
        ('20', '"text"', "the user's cache directory")
        """
        value = self.default
        if self.shown is not None:
            return self.shown
        if value is None:
            return "none"
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, str):
            return f'"{value}"'
        if isinstance(value, tuple):
            return "[" + ", ".join(f'"{item}"' for item in value) + "]"
        if isinstance(value, (int, float)):
            return _show(value)
        return str(value)

    def check(self, value: object) -> T_co:
        """``value`` if this setting allows it (numbers, booleans, choices), else :class:`ConfigError`."""
        if self.kind == "bool":
            if isinstance(value, bool):
                return cast(T_co, value)
            raise ConfigError(f"{self.name!r} must be true or false")
        if self.kind == "choice":
            if isinstance(value, str) and value in self.choices:
                return cast(T_co, value)
            raise ConfigError(f"{self.name!r} must be {self.allowed()}")
        if self.kind == "duration":
            parse_duration(value, self.name)  # the caller converts; here only the check
            return cast(T_co, value)
        if self.kind in ("integer", "number"):
            wanted = int if self.kind == "integer" else (int, float)
            if isinstance(value, bool) or not isinstance(value, wanted) or not self._in_range(value):
                raise ConfigError(f"{self.name!r} must be {self.allowed()}")
            return cast(T_co, value)
        raise TypeError(f"{self.name}: {self.kind} values are checked by the configuration loader")

    def from_text(self, text: str) -> T_co:
        """A command-line flag's text as this setting's value, checked like the file's."""
        try:
            value: object = int(text) if self.kind == "integer" else float(text)
        except ValueError:
            value = text
        return self.check(value)

    def _in_range(self, value: float) -> bool:
        if value != value:  # NaN is in no range
            return False
        if self.low is not None and (value <= self.low if self.above else value < self.low):
            return False
        return self.high is None or value <= self.high
