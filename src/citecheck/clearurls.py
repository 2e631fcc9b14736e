"""Loading rules in the ClearURLs format (placeholder replaced below)."""

from __future__ import annotations

from pathlib import Path

from .rules import RuleSet

__all__ = ["load_clearurls"]


def load_clearurls(path: str | Path) -> RuleSet:
    raise NotImplementedError
