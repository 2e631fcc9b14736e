"""The cleaning engine: normalisation, rule scoping, fragments, wrappers, explain()."""

from __future__ import annotations

import gc
import sys
from typing import Any

import pytest

from citecheck import Cleaner, CleanResult, RuleSet, clean_url, explain

BBC_DIRTY = (
    "https://www.bbc.com/russian/articles/c17err0qvxgo?xtor=AL-71-%5Bpartner%5D-%5Bbbc.news.twitter%5D-"
    "%5Bheadline%5D-%5Brussian%5D-%5Bbizdev%5D-%5Bisapi%5D&at_bbc_team=editorial&at_link_origin=bbcrussian"
    "&at_link_id=51D34FCC-D8BD-11EF-A2A4-DB9AFAD69EB0&at_campaign=Social_Flow&at_ptr_name=twitter"
    "&at_medium=social&at_format=link&at_campaign_type=owned&at_link_type=web_link"
)

ISSUE_EXAMPLES = [
    (BBC_DIRTY, "https://www.bbc.com/russian/articles/c17err0qvxgo"),
    ("https://example.com/a?utm_source=x&id=7&utm_medium=y", "https://example.com/a?id=7"),
    (
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s&si=abc123&feature=share",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s",
    ),
    ("https://www.google.com/url?q=https://example.org/p%3Futm_source%3Dg&sa=D", "https://example.org/p"),
    ("HTTPS://Example.COM:443/x?", "https://example.com/x"),
    ("https://blog.example.net/?p=42&fbclid=IwAR0abc", "https://blog.example.net/?p=42"),
    ("mailto:someone@example.com?subject=hi", "mailto:someone@example.com?subject=hi"),
]


@pytest.mark.parametrize(("dirty", "clean"), ISSUE_EXAMPLES)
def test_issue_examples(dirty: str, clean: str) -> None:
    assert clean_url(dirty) == clean
    assert clean_url(clean) == clean


def test_bbc_reports_every_tracking_parameter() -> None:
    result = explain(BBC_DIRTY)
    assert len(result.removed) == 10  # xtor and nine at_* parameters
    assert {r.rule for r in result.removed} == {"bbc"}
    assert result.removed[0].name == "xtor"
    assert result.removed[0].value is not None
    assert result.removed[0].value.startswith("AL-71-%5Bpartner%5D")


NORMALISATION = [
    # scheme and host case, default ports, empty port
    ("HTTP://WWW.Example.ORG/Path/To?Q=1", "http://www.example.org/Path/To?Q=1"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("https://example.com:/a", "https://example.com/a"),
    ("https://example.com:8443/a", "https://example.com:8443/a"),
    ("http://example.com:443/a", "http://example.com:443/a"),
    # empty path, empty query, empty pairs
    ("https://example.com", "https://example.com/"),
    ("https://example.com?", "https://example.com/"),
    ("https://example.com/a?&&id=1&&x=2&", "https://example.com/a?id=1&x=2"),
    ("https://example.com/a?&", "https://example.com/a"),
    # whitespace trimmed
    ("  https://example.com/a?utm_source=x \n", "https://example.com/a"),
    # kept params keep order, encoding and repeats
    ("https://example.com/s?b=2&a=1&b=3", "https://example.com/s?b=2&a=1&b=3"),
    ("https://example.com/s?q=caf%C3%A9+au+lait&x=%2f", "https://example.com/s?q=caf%C3%A9+au+lait&x=%2f"),
    ("https://example.com/s?flag&utm_term=z&k=", "https://example.com/s?flag&k="),
    # userinfo and IPv6 kept
    ("https://user:pw@Example.com/a", "https://user:pw@example.com/a"),
    ("http://[2001:DB8::1]:80/a?utm_source=x", "http://[2001:db8::1]/a"),
    ("http://192.0.2.7:8080/a?gclid=1", "http://192.0.2.7:8080/a"),
    # IDN: Unicode stays Unicode, punycode stays punycode
    ("https://BÜCHER.example/a?utm_source=x", "https://bücher.example/a"),
    ("https://xn--bcher-kva.example/a?utm_source=x", "https://xn--bcher-kva.example/a"),
    # encoded and odd-case names
    ("https://example.com/a?%75tm_source=x&id=1", "https://example.com/a?id=1"),
    ("https://example.com/a?UTM_Source=x&id=1", "https://example.com/a?id=1"),
    ("https://example.com/a?id=1&amp;utm_source=x", "https://example.com/a?id=1"),
    # path is never touched
    ("https://example.com/a%20b/../c/?x=1", "https://example.com/a%20b/../c/?x=1"),
    # no https upgrade, no www stripping, no AMP or mobile rewriting, no sorting
    ("http://m.example.com/amp/story?z=1&a=2", "http://m.example.com/amp/story?z=1&a=2"),
]


@pytest.mark.parametrize(("dirty", "clean"), NORMALISATION)
def test_normalisation(dirty: str, clean: str) -> None:
    assert clean_url(dirty) == clean


UNCHANGED = [
    "mailto:someone@example.com",
    "doi:10.1000/182",
    "urn:isbn:0451450523",
    "ftp://example.com/file?utm_source=x",
    "javascript:alert(1)",
    "example.com/a?utm_source=x",  # no scheme: never guessed
    "//example.com/a?utm_source=x",
    "https:/example.com/a",
    "https://",
    "https:///path",
    "https://exa mple.com/",
    "https://example.com:99999/",
    "https://example.com:http/",
    "https://[::1/",
    "https://[not-ip]/",
    "https://a..b/",
    "https://example.com/a\nb?utm_source=x",
    "",
    "   ",
    "not a url at all",
    "\x00\x01",
]


@pytest.mark.parametrize("text", UNCHANGED)
def test_non_http_and_malformed_are_returned_unchanged(text: str) -> None:
    assert clean_url(text) == text
    result = explain(text)
    assert result.cleaned == text
    assert not result.removed


FRAGMENTS = [
    ("https://example.com/a#Echobox=1700000000", "https://example.com/a"),
    ("https://example.com/a#xtor=RSS-8", "https://example.com/a"),
    ("https://example.com/a?id=1#utm_source=feed&utm_medium=rss", "https://example.com/a?id=1"),
    ("https://example.com/a#section-2", "https://example.com/a#section-2"),
    ("https://example.com/a#:~:text=exact%20words", "https://example.com/a#:~:text=exact%20words"),
    ("https://example.com/a#sec:~:text=a&text=b", "https://example.com/a#sec:~:text=a&text=b"),
    ("https://example.com/#/route?utm_source=x", "https://example.com/#/route?utm_source=x"),
    ("https://example.com/#!/route?utm_source=x", "https://example.com/#!/route?utm_source=x"),
    ("https://example.com/a#page=3&utm_source=x", "https://example.com/a#page=3"),
    ("https://example.com/a#", "https://example.com/a"),
    # fbclid is a query tracker only: fragments are left alone unless a rule says otherwise
    ("https://example.com/a#fbclid=1", "https://example.com/a#fbclid=1"),
]


@pytest.mark.parametrize(("dirty", "clean"), FRAGMENTS)
def test_fragments(dirty: str, clean: str) -> None:
    assert clean_url(dirty) == clean


def test_explain_records_fragment_location() -> None:
    result = explain("https://example.com/a#Echobox=1")
    assert [(r.name, r.value, r.location, r.rule) for r in result.removed] == [("Echobox", "1", "fragment", "echobox")]


def test_site_rules_do_not_leak_to_other_sites() -> None:
    # YouTube's "feature" and BBC's "at_*" are content elsewhere.
    assert clean_url("https://example.com/?feature=dark&si=2") == "https://example.com/?feature=dark&si=2"
    assert clean_url("https://example.org/?at_medium=x") == "https://example.org/?at_medium=x"
    assert clean_url("https://notbbc.com/?at_medium=x") == "https://notbbc.com/?at_medium=x"
    assert clean_url("https://bbc.com.evil.example/?at_medium=x") == "https://bbc.com.evil.example/?at_medium=x"
    # subdomains of a listed site are covered
    assert clean_url("https://feeds.bbci.co.uk.example/?x=1") == "https://feeds.bbci.co.uk.example/?x=1"
    assert clean_url("https://news.bbc.co.uk/1/hi/a.stm?at_medium=x") == "https://news.bbc.co.uk/1/hi/a.stm"


def test_wildcard_sites_use_the_public_suffix() -> None:
    amazon = "https://www.amazon.co.uk/Some-Book/dp/B0123ABCDE/ref=sr_1_1?tag=aff-21&th=1"
    cleaned = clean_url(amazon)
    assert cleaned.startswith("https://www.amazon.co.uk/Some-Book/dp/B0123ABCDE")
    assert "ref=" not in cleaned
    assert "tag=" not in cleaned
    # "amazon" as a subdomain of another registered domain is not Amazon
    assert clean_url("https://amazon.example.com/x?tag=1") == "https://amazon.example.com/x?tag=1"


def test_amazon_path_segment_removal_keeps_dp_path() -> None:
    result = explain("https://www.amazon.com/dp/B000000000/ref=as_li_tl?ie=UTF8")
    assert result.cleaned.startswith("https://www.amazon.com/dp/B000000000")
    assert any(r.location == "path" and r.name == "/ref=as_li_tl" for r in result.removed)


def test_explain_result_shape() -> None:
    result = explain("https://www.google.com/url?q=https%3A%2F%2Fexample.org%2Fa%3Ffbclid%3D1&sa=D")
    assert isinstance(result, CleanResult)
    assert result.cleaned == "https://example.org/a"
    assert result.changed
    assert result.unwrapped_from == "https://www.google.com/url?q=https%3A%2F%2Fexample.org%2Fa%3Ffbclid%3D1&sa=D"
    assert [w.rule for w in result.wrappers] == ["google-url"]
    data = result.to_dict()
    assert data["cleaned"] == "https://example.org/a"
    assert data["removed"] == [{"name": "fbclid", "value": "1", "rule": "facebook-click", "location": "query"}]
    assert data["wrappers"][0]["rule"] == "google-url"
    with pytest.raises(AttributeError):
        result.cleaned = "x"  # type: ignore[misc]


def test_explain_on_clean_url_reports_nothing() -> None:
    result = explain("https://example.com/a?id=1")
    assert not result.changed
    assert result.removed == ()
    assert result.wrappers == ()
    assert result.unwrapped_from is None


def test_wrapper_whose_target_is_not_a_url_is_kept() -> None:
    for url in (
        "https://www.google.com/url?q=not-a-url&sa=D",
        "https://www.google.com/url?q=javascript%3Aalert(1)",
        "https://www.google.com/url?sa=D",
        "https://www.google.com/url?q=https%3A%2F%2F",
    ):
        assert clean_url(url) == url


def test_google_url_param_fallback_and_double_encoding() -> None:
    url = "https://www.google.com/url?sa=t&rct=j&q=&esrc=s&url=https%253A%252F%252Fexample.org%252Fdoc&usg=AOv"
    assert clean_url(url) == "https://example.org/doc"


def test_google_search_is_not_a_wrapper() -> None:
    url = "https://www.google.com/search?q=https%3A%2F%2Fexample.org%2F"
    assert clean_url(url).startswith("https://www.google.com/search?q=https%3A%2F%2Fexample.org%2F")


def test_nested_wrappers_are_all_opened() -> None:
    inner = "https%3A%2F%2Fexample.org%2Fx%3Futm_source%3Dz"
    middle = f"https://www.google.com/url?q={inner}"
    from urllib.parse import quote

    outer = "https://www.google.de/url?q=" + quote(middle, safe="")
    result = explain(outer)
    assert result.cleaned == "https://example.org/x"
    assert len(result.wrappers) == 2


def test_wrapper_depth_is_bounded() -> None:
    from urllib.parse import quote

    url = "https://example.org/end"
    for _ in range(12):
        url = "https://www.google.com/url?q=" + quote(url, safe="")
    cleaned = clean_url(url)
    assert cleaned.startswith("https://www.google.com/url?q=")
    assert clean_url(url) == cleaned


def _rules(data: dict[str, object]) -> RuleSet:
    return RuleSet.from_dict({"citecheck_rules": 1, **data}, source="test")


def test_custom_rules_path_scope_and_keep() -> None:
    rules = _rules(
        {
            "remove": [
                {"id": "shop-ref", "sites": ["shop.example"], "paths": ["/item/*"], "params": ["ref"]},
                {"id": "everywhere-ref", "params": ["ref"]},
            ],
            "keep": [{"id": "git-ref", "sites": ["git.example"], "params": ["ref"]}],
        }
    )
    cleaner = Cleaner(rules)
    assert cleaner.clean("https://shop.example/item/9?ref=home&x=1") == "https://shop.example/item/9?x=1"
    assert cleaner.clean("https://git.example/repo?ref=main") == "https://git.example/repo?ref=main"
    assert cleaner.clean("https://other.example/?ref=a") == "https://other.example/"
    assert cleaner.explain("https://shop.example/item/9?ref=home").removed[0].rule == "shop-ref"


def test_keep_everything_on_a_path() -> None:
    rules = _rules(
        {
            "remove": [{"id": "utm", "params": ["utm_*"]}],
            "keep": [{"id": "login", "sites": ["idp.example"], "paths": ["/oauth/*"]}],
        }
    )
    cleaner = Cleaner(rules)
    assert cleaner.clean("https://idp.example/oauth/cb?utm_source=a") == "https://idp.example/oauth/cb?utm_source=a"
    assert cleaner.clean("https://idp.example/other?utm_source=a") == "https://idp.example/other"


def test_user_rule_replaces_builtin_with_same_id() -> None:
    merged = RuleSet.builtin().merge(_rules({"remove": [{"id": "youtube", "sites": ["youtube.com"], "params": ["x"]}]}))
    cleaner = Cleaner(merged)
    assert cleaner.clean("https://www.youtube.com/watch?v=1&si=2&x=3") == "https://www.youtube.com/watch?v=1&si=2"


def test_clean_url_accepts_a_rule_set_and_reuses_its_cleaner() -> None:
    rules = _rules({"remove": [{"id": "x", "params": ["x"]}]})
    assert clean_url("https://a.example/?x=1&utm_source=2", rules=rules) == "https://a.example/?utm_source=2"
    assert explain("https://a.example/?x=1", rules=rules).removed[0].rule == "x"


def test_non_string_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        clean_url(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        explain(b"https://example.com")  # type: ignore[arg-type]


@pytest.mark.skipif(sys.getallocatedblocks() == 0, reason="needs pymalloc to count memory blocks")
def test_memory_stays_bounded_however_many_hosts_are_cleaned() -> None:
    """A long-running service cleans URLs of ever new hosts: its per-host caches must not grow
    with them. Unbounded, each new host keeps a few blocks (its name, its origin) alive; bounded,
    the caches (32,768 hosts and origins each, the older half dropped when full) hold far
    fewer than the 200,000 hosts cleaned here."""
    cleaner = Cleaner()
    hosts = 200_000

    def clean(start: int, count: int) -> int:
        for i in range(start, start + count):
            cleaner.clean(f"https://h{i}.example/?utm_source=x")
        gc.collect()
        return sys.getallocatedblocks()

    before = clean(0, 1_000)
    after = clean(1_000, hosts)
    assert after - before < hosts * 45 // 100


def test_unwrapped_records_the_url_it_unwrapped_to() -> None:
    wrapped = "https://www.google.com/url?q=https://news.example/a%3Futm_source%3Dx%26id%3D7&sa=D"
    result = explain(wrapped)
    (wrapper,) = result.wrappers
    assert wrapper.wrapper == wrapped
    assert wrapper.target == "https://news.example/a?utm_source=x&id=7"  # as found, before its own cleaning
    assert result.cleaned == "https://news.example/a?id=7"
    assert wrapper.to_dict()["target"] == wrapper.target


class _CountingDict(dict[str, Any]):
    lookups = 0

    def get(self, key: str, default: object = None) -> object:
        type(self).lookups += 1
        return super().get(key, default)


def test_site_rules_ask_only_the_suffixes_a_site_can_have() -> None:
    """A host of n labels used to be looked up n times, each suffix rebuilt (quadratic: a
    30,000-label host took 8 s and stalled the service); now only as many as a site has."""
    cleaner = Cleaner()
    counting = _CountingDict(cleaner._by_site)
    cleaner._by_site = counting
    labels = ["a"] * 50_000 + ["bbc", "co", "uk"]
    found = cleaner._site_rules(".".join(labels))
    assert any(rule.id == "bbc" for rule in found)
    assert counting.lookups <= cleaner._site_labels <= 6


@pytest.mark.parametrize(
    ("host", "valid"),
    [
        ("a" * 63 + ".example", True),
        ("a" * 64 + ".example", False),
        (".".join(["a"] * 123) + ".example", True),  # 253 characters, the most DNS allows
        (".".join(["a"] * 124) + ".example", False),  # 255
        (".".join(["ab"] * 100) + ".example", False),  # 307 characters
        ("ü" * 64 + ".example", False),
    ],
)
def test_names_dns_cannot_resolve_are_not_hosts(host: str, valid: bool) -> None:
    url = f"https://{host}/?utm_source=x"
    assert (clean_url(url) != url) is valid
