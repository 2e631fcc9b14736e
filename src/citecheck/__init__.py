"""citecheck keeps citations honest: clean, resolve, check and archive cited URLs.

Importing the package is cheap: each public name is imported on first use, and the network
stack only by the stages that use it.

>>> import citecheck
>>> citecheck.clean_url("https://www.youtube.com/watch?v=dQw4w9WgXcQ&si=abc123")
'https://www.youtube.com/watch?v=dQw4w9WgXcQ'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .clean.cleaner import Cleaner, CleanResult, RemovedParam, Unwrapped, clean_url, explain
    from .clean.clearurls import ClearURLsWarning, load_clearurls, read_clearurls
    from .clean.rules import KeepRule, RemoveRule, RuleSet, UnwrapRule, load_rules
    from .core.config import Config, load_config
    from .core.errors import CitecheckError, ConfigError, InputError, RulesError
    from .core.results import CheckReport, FileResult, LinkResult, Reason, Verdict
    from .core.urls import is_http_url
    from .extract import Link, LinkKind, encode_url, extract_links, format_for_path
    from .pipeline import AsyncSession, Checker, Session, check_text

# Public names and the module that defines each. They are imported on first use (PEP 562), so
# `citecheck clean` loads only the cleaning modules and starts fast.
_LAZY = {
    "AsyncSession": "pipeline",
    "Session": "pipeline",
    "CheckReport": "core.results",
    "Checker": "pipeline",
    "CitecheckError": "core.errors",
    "CleanResult": "clean",
    "Cleaner": "clean",
    "ClearURLsWarning": "clean.clearurls",
    "Config": "core.config",
    "ConfigError": "core.errors",
    "FileResult": "core.results",
    "InputError": "core.errors",
    "KeepRule": "clean.rules",
    "Link": "extract",
    "LinkKind": "extract",
    "LinkResult": "core.results",
    "Reason": "core.results",
    "RemoveRule": "clean.rules",
    "RemovedParam": "clean",
    "RuleSet": "clean.rules",
    "RulesError": "core.errors",
    "UnwrapRule": "clean.rules",
    "Unwrapped": "clean",
    "Verdict": "core.results",
    "check_text": "pipeline",
    "clean_url": "clean",
    "encode_url": "extract",
    "explain": "clean",
    "extract_links": "extract",
    "format_for_path": "extract",
    "is_http_url": "core.urls",
    "load_clearurls": "clean.clearurls",
    "load_config": "core.config",
    "load_rules": "clean.rules",
    "read_clearurls": "clean.clearurls",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'citecheck' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "AsyncSession",
    "CheckReport",
    "Checker",
    "CitecheckError",
    "CleanResult",
    "Cleaner",
    "ClearURLsWarning",
    "Config",
    "ConfigError",
    "FileResult",
    "InputError",
    "KeepRule",
    "Link",
    "LinkKind",
    "LinkResult",
    "Reason",
    "RemoveRule",
    "RemovedParam",
    "RuleSet",
    "RulesError",
    "Session",
    "UnwrapRule",
    "Unwrapped",
    "Verdict",
    "__version__",
    "check_text",
    "clean_url",
    "encode_url",
    "explain",
    "extract_links",
    "format_for_path",
    "is_http_url",
    "load_clearurls",
    "load_config",
    "load_rules",
    "read_clearurls",
]
