"""citecheck keeps citations honest: clean, resolve, check and archive cited URLs.

Everything a developer needs is importable from here (``docs/library.md`` lists it on one page).
Importing the package is cheap: each public name is imported on first use, and the network
stack only by the stages that use it.

>>> import citecheck
>>> citecheck.clean_url("https://www.youtube.com/watch?v=dQw4w9WgXcQ&si=abc123")
'https://www.youtube.com/watch?v=dQw4w9WgXcQ'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__ as __version__

if TYPE_CHECKING:
    from .archive import (
        Archiver as Archiver,
        AsyncArchiver as AsyncArchiver,
    )
    from .check import (
        AsyncLinkChecker as AsyncLinkChecker,
        LinkChecker as LinkChecker,
        NetworkOptions as NetworkOptions,
    )
    from .clean import (
        Cleaner as Cleaner,
        CleanResult as CleanResult,
        RemovedParam as RemovedParam,
        Unwrapped as Unwrapped,
        clean_url as clean_url,
        explain as explain,
    )
    from .clean.clearurls import (
        ClearURLsWarning as ClearURLsWarning,
        load_clearurls as load_clearurls,
        read_clearurls as read_clearurls,
    )
    from .clean.rules import (
        KeepRule as KeepRule,
        RemoveRule as RemoveRule,
        RuleSet as RuleSet,
        UnwrapRule as UnwrapRule,
        load_rules as load_rules,
    )
    from .core.config import (
        Config as Config,
        load_config as load_config,
    )
    from .core.drift import (
        Drift as Drift,
        DriftVerdict as DriftVerdict,
    )
    from .core.errors import (
        ArchiveError as ArchiveError,
        CitecheckError as CitecheckError,
        ConfigError as ConfigError,
        InputError as InputError,
        RulesError as RulesError,
        StoreBusyError as StoreBusyError,
        UsageError as UsageError,
    )
    from .core.evidence import (
        Hop as Hop,
        OnlineResult as OnlineResult,
    )
    from .core.results import (
        CheckReport as CheckReport,
        FileResult as FileResult,
        LinkResult as LinkResult,
    )
    from .core.settings import (
        ArchiveSettings as ArchiveSettings,
        MementoArchive as MementoArchive,
        SaveCredentials as SaveCredentials,
    )
    from .core.snapshot import (
        Snapshot as Snapshot,
        SnapshotSource as SnapshotSource,
    )
    from .core.urls import (
        is_http_url as is_http_url,
    )
    from .core.verdicts import (
        Reason as Reason,
        Verdict as Verdict,
    )
    from .extract import (
        Link as Link,
        LinkKind as LinkKind,
        encode_url as encode_url,
        extract_links as extract_links,
        format_for_path as format_for_path,
    )
    from .fix.documents import (
        Document as Document,
        read_document as read_document,
    )
    from .pipeline import (
        AsyncSession as AsyncSession,
        Checker as Checker,
        Session as Session,
        check_text as check_text,
    )
    from .store import (
        AsyncStore as AsyncStore,
        Store as Store,
    )

# The public names, each with the module it comes from: the one list ``__all__`` is made from.
# They are imported on first use (PEP 562), so `citecheck clean` loads only the cleaning modules.
_PUBLIC = {
    # The pipeline: a session runs extract -> clean -> check -> archive -> fix.
    "AsyncSession": "pipeline",
    "Session": "pipeline",
    "Checker": "pipeline",
    "check_text": "pipeline",
    # Settings.
    "Config": "core.config",
    "load_config": "core.config",
    "ArchiveSettings": "core.settings",
    "MementoArchive": "core.settings",
    "SaveCredentials": "core.settings",
    # Results.
    "CheckReport": "core.results",
    "FileResult": "core.results",
    "LinkResult": "core.results",
    "Reason": "core.verdicts",
    "Verdict": "core.verdicts",
    "OnlineResult": "core.evidence",
    "Hop": "core.evidence",
    "Snapshot": "core.snapshot",
    "SnapshotSource": "core.snapshot",
    "Drift": "core.drift",
    "DriftVerdict": "core.drift",
    "CleanResult": "clean",
    "RemovedParam": "clean",
    "Unwrapped": "clean",
    # Documents and links.
    "Document": "fix.documents",
    "read_document": "fix.documents",
    "Link": "extract",
    "LinkKind": "extract",
    "encode_url": "extract",
    "extract_links": "extract",
    "format_for_path": "extract",
    "is_http_url": "core.urls",
    # Cleaning.
    "Cleaner": "clean",
    "clean_url": "clean",
    "explain": "clean",
    "RuleSet": "clean.rules",
    "KeepRule": "clean.rules",
    "RemoveRule": "clean.rules",
    "UnwrapRule": "clean.rules",
    "load_rules": "clean.rules",
    "ClearURLsWarning": "clean.clearurls",
    "load_clearurls": "clean.clearurls",
    "read_clearurls": "clean.clearurls",
    # The stages' own twins, for callers who want one stage alone.
    "AsyncLinkChecker": "check",
    "LinkChecker": "check",
    "NetworkOptions": "check",
    "AsyncArchiver": "archive",
    "Archiver": "archive",
    "AsyncStore": "store",
    "Store": "store",
    # Errors: every one a caller can get is a CitecheckError.
    "CitecheckError": "core.errors",
    "ConfigError": "core.errors",
    "RulesError": "core.errors",
    "UsageError": "core.errors",
    "InputError": "core.errors",
    "StoreBusyError": "core.errors",
    "ArchiveError": "core.errors",
}

__all__ = sorted([*_PUBLIC, "__version__"])


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'citecheck' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)
