"""The public names are a promise: this test makes changing them a deliberate act."""

from __future__ import annotations

import citecheck


def test_exported_members() -> None:
    assert citecheck.__all__ == sorted(citecheck.__all__)
    assert set(citecheck.__all__) == {
        "CitecheckError",
        "ClearURLsWarning",
        "CleanResult",
        "Cleaner",
        "ConfigError",
        "InputError",
        "KeepRule",
        "RemoveRule",
        "RemovedParam",
        "RuleSet",
        "RulesError",
        "UnwrapRule",
        "Unwrapped",
        "__version__",
        "clean_url",
        "explain",
        "is_http_url",
        "load_clearurls",
        "load_rules",
        "read_clearurls",
    }
    for name in citecheck.__all__:
        assert hasattr(citecheck, name), name
