"""The public names are a promise: this test makes changing them a deliberate act."""

from __future__ import annotations

import citecheck


def test_exported_members() -> None:
    assert citecheck.__all__ == sorted(citecheck.__all__)
    assert set(citecheck.__all__) == {
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
    }
    for name in citecheck.__all__:
        assert hasattr(citecheck, name), name
