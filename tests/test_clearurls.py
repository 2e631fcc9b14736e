"""ClearURLs files: loading, merging with our rules, and cleaning through them.

The fixtures in ``fixtures/clearurls`` are written for these tests in the shape of the real
``data.min.json`` (escaped slashes, ``(?:%3F)?`` prefixes, urlPattern/exceptions anchored on the
scheme), so behaviour is checked against the format, not against one release of the rules.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

import citecheck
from citecheck import Cleaner, RulesError, RuleSet, explain, load_clearurls
from citecheck.clean.clearurls import ClearURLsWarning, read_clearurls

FIXTURES = Path(__file__).parent / "fixtures" / "clearurls"
SAMPLE = FIXTURES / "sample.json"
JS_ONLY = FIXTURES / "js_only.json"


def _load_quietly(path: Path, **kwargs: Any) -> RuleSet:
    """Load and fail the test on any warning: the valid fixtures must load cleanly."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return load_clearurls(path, **kwargs)


@pytest.fixture(scope="module")
def sample() -> RuleSet:
    return _load_quietly(SAMPLE)


@pytest.fixture(scope="module")
def merged(sample: RuleSet) -> RuleSet:
    return RuleSet.builtin().merge(sample)


def _ids(rules: RuleSet) -> set[str]:
    return {rule.id for rule in (*rules.remove, *rules.keep, *rules.unwrap)}


def _provider(url_pattern: str = ".*", **fields: Any) -> dict[str, Any]:
    return {"providers": {"p": {"urlPattern": url_pattern, **fields}}}


# -- loading -------------------------------------------------------------------------------------


def test_load_maps_each_provider_to_rules(sample: RuleSet) -> None:
    assert sample.sources == (str(SAMPLE),)
    assert {r.id for r in sample.remove} == {
        "clearurls:globalRules",
        "clearurls:amazon",
        "clearurls:searchco",
        "clearurls:adnetwork",
    }
    assert [r.id for r in sample.unwrap] == [
        "clearurls:searchco:redirect:1",
        "clearurls:searchco:redirect:2",
        "clearurls:outlinks:redirect",
    ]
    assert not sample.keep
    assert all(r.url_pattern is not None and r.fragment for r in sample.remove)
    assert all(r.decode == "regex" and r.pattern is not None and r.url_pattern is not None for r in sample.unwrap)


def test_provider_fields_land_in_the_right_places(sample: RuleSet) -> None:
    amazon = next(r for r in sample.remove if r.id == "clearurls:amazon")
    assert [p.pattern for p in amazon.raw_patterns] == [r"\/ref=[^\/?]*"]
    assert len(amazon.url_exceptions) == 2
    # rules then referralMarketing, in file order
    assert [p.pattern for p in amazon.patterns][-2:] == ["tag", "ascsubtag"]
    assert amazon.note == "ClearURLs provider amazon"
    searchco = next(r for r in sample.remove if r.id == "clearurls:searchco")
    patterns = [p.pattern for p in searchco.patterns]
    assert patterns.count("sa") == 1  # listed twice in the file
    redirect = sample.unwrap[0]
    assert redirect.url_pattern == searchco.url_pattern
    assert redirect.url_exceptions == searchco.url_exceptions


def test_complete_provider_is_not_blocked(sample: RuleSet) -> None:
    # amazon-adsystem only blocks in ClearURLs: no rule, and its URLs pass through untouched.
    assert not any("amazon-adsystem" in rule_id for rule_id in _ids(sample))
    url = "https://aax.amazon-adsystem.com/x/c/abc?id=1"
    assert Cleaner(sample).clean(url) == url
    # A complete provider that also lists rules still contributes them.
    assert Cleaner(sample).clean("https://ads.adnetwork.test/a?adn_slot=3&id=1") == "https://ads.adnetwork.test/a?id=1"


def test_read_clearurls_takes_a_parsed_document() -> None:
    data = json.loads(SAMPLE.read_text("utf-8"))
    rules, problems = read_clearurls(data, "sample")
    assert problems == []
    assert rules.sources == ("sample",)
    assert _ids(rules) == _ids(_load_quietly(SAMPLE))


def test_missing_lists_and_nulls_mean_empty() -> None:
    rules, problems = read_clearurls(_provider(rules=["x"], rawRules=None))
    assert problems == []
    assert [r.id for r in rules.remove] == ["clearurls:p"]
    assert rules.remove[0].raw_patterns == ()


def test_provider_without_anything_usable_gives_no_rule() -> None:
    rules, problems = read_clearurls(_provider(rules=[], completeProvider=False))
    assert len(rules) == 0
    assert problems == []


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_text(SAMPLE.read_text("utf-8"), encoding="utf-8-sig")
    assert _ids(_load_quietly(path)) == _ids(_load_quietly(SAMPLE))


# -- merging -------------------------------------------------------------------------------------


def test_merge_with_builtin_keeps_both(merged: RuleSet, sample: RuleSet) -> None:
    builtin = RuleSet.builtin()
    assert _ids(builtin) | _ids(sample) == _ids(merged)
    assert len(merged) == len(builtin) + len(sample)
    assert merged.sources == ("builtin", str(SAMPLE))


def test_loading_the_same_file_twice_replaces_not_duplicates(merged: RuleSet) -> None:
    again = merged.merge(load_clearurls(SAMPLE))
    assert len(again) == len(merged)


# -- cleaning through the rules ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # globalRules everywhere, names matched whole and case-insensitively
        ("https://example.org/a?utm_source=x&id=7&ga_campaign=y", "https://example.org/a?id=7"),
        ("https://example.org/a?WT_MC=1&id=7&MC_EID=abc", "https://example.org/a?id=7"),
        ("https://example.org/a?partner_id=9&id=7", "https://example.org/a?id=7"),
        ("https://example.org/a?yclidx=1&my_yclid=2", "https://example.org/a?yclidx=1&my_yclid=2"),
        ("https://example.org/a?%79clid=1&id=7", "https://example.org/a?id=7"),
        # fragments too
        ("https://example.org/a#mc_eid=1&section=2", "https://example.org/a#section=2"),
        # amazon: rules, referral marketing and the raw rule on the path
        (
            "https://www.amazon.de/Some-Book/dp/B000123/ref=sr_1_1?qid=1690&sr=8-1&th=1&ascsubtag=z",
            "https://www.amazon.de/Some-Book/dp/B000123?th=1",
        ),
        (
            "https://amazon.co.uk/dp/B000123/ref=cm_sw_r?psc=1&pd_rd_w=a&colid=c",
            "https://amazon.co.uk/dp/B000123?psc=1",
        ),
        # provider rules stay in their urlPattern
        ("https://example.org/dp/B0/ref=x?qid=1&sr=2", "https://example.org/dp/B0/ref=x?qid=1&sr=2"),
        (
            "https://search.searchco.com/search?q=python&ved=0ah&ei=x&oq=py",
            "https://search.searchco.com/search?q=python",
        ),
    ],
)
def test_cleaning_through_a_clearurls_file(sample: RuleSet, url: str, expected: str) -> None:
    assert Cleaner(sample).clean(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        # amazon exceptions: search pages and the redirector keep their parameters
        "https://www.amazon.com/s?k=book&qid=1690&sr=8",
        "https://www.amazon.com/gp/redirector.html/ref=abc?qid=1",
        # searchco exceptions cover the whole provider, redirections included
        "https://mail.searchco.com/mail/?ved=1&ei=2",
        "https://accounts.searchco.com/url?q=https://example.org/&sa=D",
        # globalRules exceptions
        "https://matrix.org/_matrix/client?utm_source=x",
        "https://gitlab.example/group/project/-/refs/merge-requests/12/head",
    ],
)
def test_exceptions_switch_the_provider_off(sample: RuleSet, url: str) -> None:
    assert Cleaner(sample).clean(url) == url


def test_redirections_unwrap_and_clean_the_target(sample: RuleSet) -> None:
    cleaner = Cleaner(sample)
    wrapped = (
        "https://www.searchco.com/url?sa=t&url=https%3A%2F%2Fexample.org%2Fpaper%3Futm_medium%3Dx%26id%3D3&usg=AOv"
    )
    assert cleaner.clean(wrapped) == "https://example.org/paper?id=3"
    ad = "https://ad.searchco.de/pagead/aclk?sa=L&adurl=https%3A%2F%2Fshop.example%2F%3Fyclid%3D5"
    assert cleaner.clean(ad) == "https://shop.example/"
    out = "https://out.outlinks.test/?url=https%3A%2F%2Fwww.amazon.com%2Fdp%2FB0%2Fref%3Dx%3Fqid%3D1&token=t"
    assert cleaner.clean(out) == "https://www.amazon.com/dp/B0"


def test_a_redirection_without_a_url_is_not_followed(sample: RuleSet) -> None:
    url = "https://www.searchco.com/url?sa=t&q=javascript:alert(1)"
    assert Cleaner(sample).clean(url) == "https://www.searchco.com/url?q=javascript:alert(1)"


def test_explain_names_the_clearurls_provider(merged: RuleSet) -> None:
    result = explain("https://www.amazon.de/dp/B000123/ref=sr_1_1?qid=1690&th=1#mc_eid=7", rules=merged)
    assert result.cleaned == "https://www.amazon.de/dp/B000123?th=1"
    assert [(r.name, r.rule, r.location) for r in result.removed] == [
        ("/ref=sr_1_1", "clearurls:amazon", "url"),
        ("qid", "amazon", "query"),
        ("mc_eid", "clearurls:globalRules", "fragment"),
    ]
    wrapped = "https://out.outlinks.test/go?url=https%3A%2F%2Fexample.org%2F%3Fwt_zmc%3D1%26p%3D2"
    result = explain(wrapped, rules=merged)
    assert result.cleaned == "https://example.org/?p=2"
    assert [w.rule for w in result.wrappers] == ["clearurls:outlinks:redirect"]
    assert result.unwrapped_from == wrapped
    assert [(r.name, r.rule) for r in result.removed] == [("wt_zmc", "webtrends")]


def test_merged_with_builtin_both_rule_sets_act(merged: RuleSet) -> None:
    cleaner = Cleaner(merged)
    # builtin utm/fbclid + ClearURLs yclid and amazon qid in one URL
    assert (
        cleaner.clean("https://www.amazon.com/dp/B0/ref=x?tag=aff-20&qid=1&fbclid=IwAR&yclid=3&utm_source=t&th=2")
        == "https://www.amazon.com/dp/B0?th=2"
    )
    # builtin rules still win where they name the parameter first
    result = explain("https://example.org/?utm_source=x&ga_term=y&q=1", rules=merged)
    assert [(r.name, r.rule) for r in result.removed] == [("utm_source", "utm"), ("ga_term", "clearurls:globalRules")]
    # builtin unwrapping still works alongside ClearURLs redirections
    assert cleaner.clean("https://www.google.com/url?q=https://example.org/%3Fyclid%3D1") == "https://example.org/"


def test_module_level_api_accepts_the_merged_set(merged: RuleSet) -> None:
    assert citecheck.clean_url("https://example.org/?ga_term=abc&x=1", rules=merged) == "https://example.org/?x=1"
    assert citecheck.clean_url("https://example.org/?ga_term=abc&x=1") == "https://example.org/?ga_term=abc&x=1"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.amazon.de/Some-Book/dp/B000123/ref=sr_1_1?qid=1690&sr=8-1&th=1",
        "https://www.searchco.com/url?sa=t&url=https%3A%2F%2Fexample.org%2F%3Futm_medium%3Dx%26id%3D3",
        "https://example.org/a?utm_source=x&id=7#mc_eid=1&s=2",
        "https://out.outlinks.test/?url=https%3A%2F%2Fwww.amazon.com%2Fdp%2FB0%2Fref%3Dx%3Fqid%3D1",
    ],
)
def test_cleaning_is_idempotent(merged: RuleSet, url: str) -> None:
    cleaner = Cleaner(merged)
    once = cleaner.clean(url)
    assert cleaner.clean(once) == once


# -- errors --------------------------------------------------------------------------------------


def _write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "rules.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, "utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe not utf-8", "cannot read"),
        ("[]", "not a ClearURLs file"),
        ('{"providers": []}', "not a ClearURLs file"),
        ('{"rules": {}}', "not a ClearURLs file"),
        ('{"providers": {"p": "x"}}', "provider 'p': a provider must be an object"),
        ('{"providers": {"p": {"rules": ["a"]}}}', "provider 'p': 'urlPattern' must be a string"),
        ('{"providers": {"p": {"urlPattern": ".*", "rules": "utm"}}}', "'rules' must be a list of strings"),
        ('{"providers": {"p": {"urlPattern": ".*", "exceptions": [1]}}}', "'exceptions' must be a list of strings"),
    ],
)
def test_malformed_files_raise_with_the_path(tmp_path: Path, content: str | bytes, message: str) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(RulesError, match=message) as info:
        load_clearurls(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(("name", "message"), [("broken.json", "not valid JSON"), ("not_clearurls.json", "ClearURLs")])
def test_fixture_files_that_are_not_clearurls(name: str, message: str) -> None:
    with pytest.raises(RulesError, match=message) as info:
        load_clearurls(FIXTURES / name)
    assert name in str(info.value)


def test_missing_file_raises_rules_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(RulesError, match="cannot read") as info:
        load_clearurls(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, citecheck.ConfigError)


def test_strict_does_not_change_shape_errors(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="not a ClearURLs file"):
        load_clearurls(_write(tmp_path, "{}"), strict=True)


# -- regexes Python cannot read ------------------------------------------------------------------


def test_non_strict_skips_js_only_regexes_with_warnings() -> None:
    with pytest.warns(ClearURLsWarning) as record:
        rules = load_clearurls(JS_ONLY)
    messages = [str(w.message) for w in record]
    assert len(messages) == 7
    assert all(m.startswith(str(JS_ONLY)) for m in messages)
    by_provider = {p: [m for m in messages if f"provider {p!r}" in m] for p in ("named-group", "bad-scope")}
    assert len(by_provider["named-group"]) == 3  # one rule, one rawRule, one redirection
    assert "(?<campaign>cmp)_id" in by_provider["named-group"][0]
    assert "provider skipped" in by_provider["bad-scope"][0]
    assert _ids(rules) == {
        "clearurls:named-group",
        "clearurls:named-group:redirect:1",
        "clearurls:extra-keys",
        "clearurls:fine",
    }
    named = next(r for r in rules.remove if r.id == "clearurls:named-group")
    assert [p.pattern for p in named.patterns] == ["visit_src"]
    assert [p.pattern for p in named.raw_patterns] == [r"\/track-[0-9]+"]


def test_what_survives_a_non_strict_load_still_cleans() -> None:
    _, problems = read_clearurls(json.loads(JS_ONLY.read_text("utf-8")), "js_only")
    assert len(problems) == 7
    with pytest.warns(ClearURLsWarning):
        cleaner = Cleaner(load_clearurls(JS_ONLY))
    assert (
        cleaner.clean("https://named.test/a/track-42?cmp_id=1&visit_src=2&x=3") == "https://named.test/a?cmp_id=1&x=3"
    )
    assert cleaner.clean("https://named.test/go?to=https%3A%2F%2Fexample.org%2F%3Ffine_tracker%3D1") == (
        "https://example.org/"
    )
    # skipped providers do nothing, even where their other rules would have applied
    assert cleaner.clean("https://lookbehind.test/?sid=1") == "https://lookbehind.test/?sid=1"
    assert (
        cleaner.clean("https://nogroup.test/go?to=https://example.org/")
        == "https://nogroup.test/go?to=https://example.org/"
    )


@pytest.mark.parametrize(
    ("document", "warning"),
    [
        (_provider(rules=["(?<n>x)"]), r"rule '\(\?<n>x\)' is not a Python regular expression"),
        (_provider(rawRules=["\\cA"]), "rawRule"),
        (_provider(rules=["ok"], exceptions=["[^]"]), "exception .* provider skipped"),
        (_provider("(?<=a+)b", rules=["ok"]), "urlPattern .* provider skipped"),
        (_provider(redirections=["go\\?to=.*"]), "has no group"),
        (_provider(rules=[""]), "rule is an empty string"),
        (_provider("", rules=["x"]), "urlPattern is an empty string"),
        (_provider(rules=["x"], note="hi"), r"ignored unknown keys \['note'\]"),
    ],
)
def test_each_kind_of_skip_warns_or_raises_when_strict(document: dict[str, Any], warning: str) -> None:
    _, problems = read_clearurls(document, "doc.json")
    assert len(problems) == 1
    assert problems[0].startswith("doc.json: provider 'p': ")
    with pytest.raises(RulesError, match=warning):
        read_clearurls(document, "doc.json", strict=True)


def test_strict_load_raises_naming_file_and_provider() -> None:
    with pytest.raises(RulesError, match=r"provider 'named-group': rule") as info:
        load_clearurls(JS_ONLY, strict=True)
    assert str(JS_ONLY) in str(info.value)


def test_known_but_unused_keys_do_not_warn() -> None:
    document = _provider(rules=["x"], completeProvider=True, forceRedirection=True, methods=["GET"])
    assert read_clearurls(document, strict=True)[1] == []


def test_regexes_follow_javascript_classes() -> None:
    # \w without the u flag is ASCII in JavaScript; Python's default would be Unicode.
    rules, _ = read_clearurls(_provider(rules=["id_\\w+"]))
    cleaner = Cleaner(rules)
    assert cleaner.clean("https://example.org/?id_abc=1&id_é=2") == "https://example.org/?id_é=2"


# -- a realistic size ----------------------------------------------------------------------------


def _big_document(count: int) -> dict[str, Any]:
    providers: dict[str, Any] = {
        "globalRules": {
            "urlPattern": ".*",
            "rules": ["(?:%3F)?utm(?:_[a-z_]*)?", "(?:%3F)?ga_[a-z_]+", "(?:%3F)?cid_[0-9]+"],
            "exceptions": ["^https?:\\/\\/(?:[a-z0-9-]+\\.)*?site7\\.example\\/keep"],
        }
    }
    for i in range(count):
        host = f"(?:[a-z0-9-]+\\.)*?site{i}\\.example"
        provider: dict[str, Any] = {
            "urlPattern": f"^https?:\\/\\/{host}",
            "completeProvider": i % 25 == 0,
            "rules": [f"trk{i}_[a-z]*", f"s{i}id", "ref_?src", f"(?:%3F)?p{i}"],
            "referralMarketing": [f"aff{i}"],
            "rawRules": [f"\\/ref{i}=[^\\/?]*"] if i % 3 == 0 else [],
            "exceptions": [f"^https?:\\/\\/{host}\\/api\\/"],
            "redirections": [f"^https?:\\/\\/{host}\\/out\\?.*?url=([^&]+)"] if i % 10 == 0 else [],
            "forceRedirection": False,
        }
        providers[f"site{i}"] = provider
    return {"providers": providers}


def test_a_realistic_file_loads_and_cleans(tmp_path: Path) -> None:
    path = tmp_path / "data.min.json"
    path.write_text(json.dumps(_big_document(200)), "utf-8")
    rules = RuleSet.builtin().merge(_load_quietly(path))
    assert sum(r.id.startswith("clearurls:") for r in rules.remove) == 201
    assert sum(r.id.startswith("clearurls:") for r in rules.unwrap) == 20
    cleaner = Cleaner(rules)
    for i in range(200):
        raw = f"/ref{i}=abc" if i % 3 == 0 else ""
        url = f"https://www.site{i}.example/item/{i}{raw}?trk{i}_x=1&s{i}id=2&aff{i}=3&ref_src=4&id={i}&utm_source=z"
        assert cleaner.clean(url) == f"https://www.site{i}.example/item/{i}?id={i}", url
        # another provider's names are left alone
        other = f"https://www.site{i}.example/?s{i + 1}id=1"
        assert cleaner.clean(other) == other
        excepted = f"https://site{i}.example/api/?s{i}id=2"
        assert cleaner.clean(excepted) == excepted
    assert cleaner.clean("https://site7.example/keep?ga_term=x") == "https://site7.example/keep?ga_term=x"
    wrapped = "https://site30.example/out?url=https%3A%2F%2Fsite31.example%2Fa%3Fs31id%3D1%26b%3D2"
    result = cleaner.explain(wrapped)
    assert result.cleaned == "https://site31.example/a?b=2"
    assert [w.rule for w in result.wrappers] == ["clearurls:site30:redirect"]
    assert [r.rule for r in result.removed] == ["clearurls:site31"]
