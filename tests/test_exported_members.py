"""The public names are a promise: this test makes changing them a deliberate act."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import citecheck

PUBLIC = {
    # The pipeline and its settings.
    "AsyncSession",
    "Session",
    "Checker",
    "check_text",
    "Config",
    "load_config",
    "ArchiveSettings",
    "MementoArchive",
    "SaveCredentials",
    # Results.
    "CheckReport",
    "FileResult",
    "LinkResult",
    "Reason",
    "Verdict",
    "OnlineResult",
    "Hop",
    "Snapshot",
    "SnapshotSource",
    "Drift",
    "DriftVerdict",
    "CleanResult",
    "RemovedParam",
    "Unwrapped",
    # Documents, links, cleaning.
    "Document",
    "read_document",
    "Link",
    "LinkKind",
    "encode_url",
    "extract_links",
    "format_for_path",
    "is_http_url",
    "Cleaner",
    "clean_url",
    "explain",
    "RuleSet",
    "KeepRule",
    "RemoveRule",
    "UnwrapRule",
    "load_rules",
    "ClearURLsWarning",
    "load_clearurls",
    "read_clearurls",
    # The stages' twins.
    "AsyncLinkChecker",
    "LinkChecker",
    "NetworkOptions",
    "AsyncArchiver",
    "Archiver",
    "AsyncStore",
    "Store",
    # Errors.
    "CitecheckError",
    "ConfigError",
    "RulesError",
    "UsageError",
    "InputError",
    "StoreBusyError",
    "ArchiveError",
    "__version__",
}


def test_exported_members() -> None:
    assert citecheck.__all__ == sorted(citecheck.__all__)
    assert set(citecheck.__all__) == PUBLIC
    for name in citecheck.__all__:
        assert hasattr(citecheck, name), name
    assert set(dir(citecheck)) == PUBLIC


def test_type_checking_imports_name_the_same_objects() -> None:
    """The TYPE_CHECKING block (what mypy sees) lists exactly the public names, from the same places."""
    tree = ast.parse(Path(citecheck.__file__).read_text("utf-8"))
    block = next(node for node in tree.body if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test))
    seen: dict[str, object] = {}
    for node in ast.walk(block):
        if isinstance(node, ast.ImportFrom):
            module = importlib.import_module("." * node.level + (node.module or ""), "citecheck")
            for alias in node.names:
                seen[alias.name] = getattr(module, alias.name)
    assert set(seen) | {"__version__"} == PUBLIC
    for name, value in seen.items():
        assert getattr(citecheck, name) is value, name


def test_twins_are_named_x_and_async_x() -> None:
    for name in citecheck.__all__:
        if name.startswith("Async"):
            assert name.removeprefix("Async") in citecheck.__all__, name


def test_every_error_is_a_citecheck_error() -> None:
    errors = [getattr(citecheck, name) for name in citecheck.__all__ if name.endswith("Error")]
    assert len(errors) == 7
    for error in errors:
        assert issubclass(error, citecheck.CitecheckError), error
