"""Our rules format: what loads, what is refused (with the file and entry named), merging."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from citecheck import RulesError, RuleSet, load_rules


def _doc(**sections: Any) -> dict[str, Any]:
    return {"citecheck_rules": 1, **sections}


def test_builtin_rules_load_and_are_cached() -> None:
    rules = RuleSet.builtin()
    assert len(rules) > 0
    assert RuleSet.builtin() is rules
    assert rules.sources == ("builtin",)


def test_load_rules_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(_doc(remove=[{"id": "x", "sites": ["Example.COM"], "params": ["Foo", "bar_*"]}])))
    rules = load_rules(path)
    (rule,) = rules.remove
    assert rule.sites == ("example.com",)
    assert rule.params == frozenset({"foo"})
    assert rule.prefixes == ("bar_",)
    assert rules.sources == (str(path),)


def test_unicode_sites_are_stored_as_punycode() -> None:
    rules = RuleSet.from_dict(_doc(remove=[{"id": "x", "sites": ["bücher.de", "*.shop.example"], "params": ["a"]}]))
    assert rules.remove[0].sites == ("xn--bcher-kva.de", "shop.example")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "must hold a JSON object"),
        ({"remove": []}, "citecheck_rules"),
        (_doc(extra=1), "unknown top-level keys"),
        (_doc(remove={}), "'remove' must be a list"),
        (_doc(remove=[1]), "must be an object"),
        (_doc(remove=[{"params": ["a"]}]), "needs a non-empty string 'id'"),
        (_doc(remove=[{"id": "a", "params": ["x"]}, {"id": "a", "params": ["y"]}]), "duplicate id"),
        (_doc(remove=[{"id": "a", "params": ["x"], "colour": 1}]), "unknown keys"),
        (_doc(remove=[{"id": "a"}]), "needs 'params'"),
        (_doc(remove=[{"id": "a", "params": ["x*y"]}]), "trailing '*'"),
        (_doc(remove=[{"id": "a", "params": [""]}]), "non-empty"),
        (_doc(remove=[{"id": "a", "params": ["*"]}]), "non-empty string"),
        (_doc(remove=[{"id": "a", "params": "utm"}]), "list of non-empty strings"),
        (_doc(remove=[{"id": "a", "params": ["x"], "sites": ["not a site"]}]), "is not a site"),
        (_doc(remove=[{"id": "a", "params": ["x"], "paths": ["no-slash"]}]), "must start with '/'"),
        (_doc(remove=[{"id": "a", "param_patterns": ["("]}]), "bad regular expression"),
        (_doc(remove=[{"id": "a", "params": ["x"], "fragment": "yes"}]), "'fragment' must be true or false"),
        (_doc(keep=[{"id": "k"}]), "must name sites or paths"),
        (_doc(unwrap=[{"id": "w", "params": ["u"]}]), "must name its sites"),
        (_doc(unwrap=[{"id": "w", "sites": ["a.com"]}]), "needs 'params'"),
        (_doc(unwrap=[{"id": "w", "sites": ["a.com"], "decode": "rot13"}]), "unknown decode"),
        (_doc(unwrap=[{"id": "w", "sites": ["a.com"], "decode": "path"}]), "needs a 'prefix'"),
        (_doc(unwrap=[{"id": "w", "sites": ["a.com"], "decode": "path-segment"}]), "needs a 'marker'"),
        (_doc(unwrap=[{"id": "w", "sites": ["a.com"], "params": ["u"], "scheme": "ftp"}]), "'scheme'"),
        (_doc(unwrap=[{"id": "w", "decode": "regex", "pattern": "no-group"}]), "capturing group"),
        (_doc(unwrap=[{"id": "w", "decode": "regex"}]), "needs a 'pattern'"),
    ],
)
def test_bad_documents_are_refused_with_a_clear_message(document: Any, message: str) -> None:
    with pytest.raises(RulesError, match=r"^mine\.json") as info:
        RuleSet.from_dict(document, source="mine.json")
    assert message in str(info.value)


def test_load_rules_reports_unreadable_and_bad_json(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="cannot read"):
        load_rules(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(RulesError, match="not valid JSON"):
        load_rules(bad)
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(RulesError, match=r"bin\.json"):
        load_rules(binary)


def test_merge_replaces_same_ids_and_keeps_order() -> None:
    first = RuleSet.from_dict(_doc(remove=[{"id": "a", "params": ["x"]}, {"id": "b", "params": ["y"]}]), source="1")
    second = RuleSet.from_dict(_doc(remove=[{"id": "a", "params": ["z"]}]), source="2")
    merged = first.merge(second)
    assert [r.id for r in merged.remove] == ["b", "a"]
    assert merged.remove[1].params == frozenset({"z"})
    assert merged.sources == ("1", "2")


def test_paths_match_exactly_or_by_prefix() -> None:
    rules = RuleSet.from_dict(_doc(remove=[{"id": "a", "params": ["x"], "paths": ["/url", "/v3/*"]}]))
    rule = rules.remove[0]
    assert rule.applies_to_path("/url")
    assert not rule.applies_to_path("/url2")
    assert rule.applies_to_path("/v3/__x")
    assert not rule.applies_to_path("/v2/")
