"""What cleaning found, as values: removed parameters, opened wrappers, the cleaned URL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CleanResult", "RemovedParam", "Unwrapped"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RemovedParam:
    """One thing a rule removed. ``name``/``value`` are as written in the URL."""

    name: str
    value: str | None
    rule: str
    #: ``query``, ``fragment``, ``path`` (a path segment such as Amazon's ``/ref=...``) or
    #: ``url`` (a ClearURLs rawRule cut out of the whole URL).
    location: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "rule": self.rule, "location": self.location}


@dataclass(frozen=True, slots=True, kw_only=True)
class Unwrapped:
    """A redirect wrapper that was opened, the rule that knew how, and the URL found inside."""

    wrapper: str
    rule: str
    #: The URL the wrapper pointed to, as decoded (before it was cleaned in turn).
    target: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"wrapper": self.wrapper, "rule": self.rule, "target": self.target}


@dataclass(frozen=True, slots=True, kw_only=True)
class CleanResult:
    """What :func:`explain` found: the cleaned URL and why it differs from the original."""

    original: str
    cleaned: str
    removed: tuple[RemovedParam, ...] = ()
    #: Wrappers opened, outermost first.
    wrappers: tuple[Unwrapped, ...] = ()
    #: False for strings that are not http(s) URLs (mailto:, doi:, malformed): left unchanged.
    is_http: bool = True

    @property
    def changed(self) -> bool:
        return self.cleaned != self.original

    @property
    def unwrapped_from(self) -> str | None:
        """The outermost wrapper URL, if the link was wrapped."""
        return self.wrappers[0].wrapper if self.wrappers else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "original": self.original,
            "cleaned": self.cleaned,
            "changed": self.changed,
            "is_http": self.is_http,
            "removed": [r.to_dict() for r in self.removed],
            "unwrapped_from": self.unwrapped_from,
            "wrappers": [w.to_dict() for w in self.wrappers],
        }
