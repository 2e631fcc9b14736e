"""Property tests of the cleaner: never raises, idempotent, conservative, valid in -> valid out."""

from __future__ import annotations

from urllib.parse import quote, unquote_plus

from hypothesis import HealthCheck, example, given, settings, strategies as st

from citecheck import Cleaner, RuleSet, clean_url
from citecheck.core.urls import split_url

CLEANER = Cleaner()
#: The cleaner sees every cited URL, so it gets more examples than the profile's default
#: (and the thorough profile's count when that is larger).
MANY = max(600, settings().max_examples)
RULES_BY_ID = {rule.id: rule for rule in (*RuleSet.builtin().remove,)}

HOSTS = [
    "example.com",
    "www.bbc.com",
    "www.bbc.co.uk",
    "www.youtube.com",
    "youtu.be",
    "www.amazon.de",
    "www.google.com",
    "www.google.co.jp",
    "twitter.com",
    "x.com",
    "www.nytimes.com",
    "l.facebook.com",
    "BÜCHER.example",
    "xn--bcher-kva.example",
    "192.0.2.1",
    "[2001:db8::1]",
    "News.Example.ORG",
]
TRACKERS = ["utm_source", "utm_medium", "fbclid", "gclid", "xtor", "at_medium", "si", "feature", "ref", "tag"]
CONTENT = ["id", "p", "q", "v", "t", "list", "page", "lang", "story_fbid", "k", "sort", "a", "b"]

_name_chars = st.characters(codec="utf-8", exclude_characters="&=#", exclude_categories=("Cs", "Cc"))
_value_chars = st.characters(codec="utf-8", exclude_characters="&#", exclude_categories=("Cs", "Cc"))
names = st.one_of(
    st.sampled_from(TRACKERS + CONTENT),
    st.sampled_from(TRACKERS).map(lambda n: n.upper()),
    st.sampled_from(TRACKERS).map(lambda n: "%" + format(ord(n[0]), "02X") + n[1:]),
    st.text(_name_chars, min_size=0, max_size=8),
)
values = st.one_of(st.just(None), st.text(_value_chars, max_size=12), st.sampled_from(["1", "%2F", "a+b", "x%3Dy"]))
pairs = st.tuples(names, values).map(lambda nv: nv[0] if nv[1] is None else f"{nv[0]}={nv[1]}")
queries = st.one_of(st.none(), st.lists(pairs, max_size=8).map("&".join))
fragments = st.one_of(
    st.none(),
    st.sampled_from(["", "top", "Echobox=123", "xtor=RSS-1", ":~:text=hi", "/route?utm_source=x", "utm_source=a&b=2"]),
    st.text(_value_chars.filter(lambda c: c != "#"), max_size=10),
)
paths = st.lists(st.text(st.sampled_from("abcXYZ019-._~%!$'()*+,;=:@"), max_size=6), max_size=4).map(
    lambda segs: "/" + "/".join(segs) if segs else ""
)


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTPS", "Http"]))
    host = draw(st.sampled_from(HOSTS))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080", ":"]))
    text = f"{scheme}://{host}{port}{draw(paths)}"
    query = draw(queries)
    if query is not None:
        text += "?" + query
    fragment = draw(fragments)
    if fragment is not None:
        text += "#" + fragment
    return text


any_text = st.one_of(st.text(), urls(), st.text().map(lambda t: "https://example.com/?" + t))


@given(any_text)
@settings(max_examples=MANY, suppress_health_check=[HealthCheck.too_slow])
@example("https://")
@example("https://[")
@example("http://a.com:/?&&&#")
@example("https://www.google.com/url?q=https%3A%2F%2F%5B")
@example("https://urldefense.com/v3/__https://a.example/*__;!!")
def test_never_raises(text: str) -> None:
    # The cleaner answers an unexpected exception with the URL unchanged and is_http False, so
    # a bug would be swallowed: an http(s) URL judged not http, or clean() and explain()
    # disagreeing, is how it shows through the public API.
    result = CLEANER.explain(text)
    assert isinstance(result.cleaned, str)
    assert result.is_http == (split_url(text.strip()) is not None), "the cleaner raised on this input"
    assert CLEANER.clean(text) == result.cleaned, "clean() raised where explain() did not, or the reverse"
    assert clean_url(text) == result.cleaned


@given(any_text)
@settings(max_examples=MANY)
def test_idempotent(text: str) -> None:
    once = clean_url(text)
    assert clean_url(once) == once


@given(urls())
@settings(max_examples=MANY)
def test_valid_input_gives_valid_output(text: str) -> None:
    if split_url(text.strip()) is not None:
        assert split_url(clean_url(text)) is not None


def _same_pair(kept: str, written: str) -> bool:
    """Byte for byte, except whitespace left at the URL's end, which is percent-encoded."""
    if kept == written:
        return True
    body = written.rstrip()
    return body != written and kept == body + quote(written[len(body) :], safe="")


@given(urls())
@settings(max_examples=MANY)
@example("http://example.com?at_medium= &utm_source")
@example("http://example.com/?a=1&b=\u3000#utm_source=1")
def test_only_named_parameters_are_removed(text: str) -> None:
    result = CLEANER.explain(text)
    if result.wrappers:
        return  # a wrapper's parameters are not "removed", the wrapper is replaced by its target
    original = split_url(text.strip())
    cleaned = split_url(result.cleaned)
    if original is None:
        assert result.cleaned == text
        return
    assert cleaned is not None
    for removed in result.removed:
        if removed.location == "path":
            continue
        rule = RULES_BY_ID[removed.rule]
        name = unquote_plus(removed.name).lower().removeprefix("amp;")
        assert rule.matches_name(name), (removed, rule.id)
    # What is kept is a subsequence of the original, byte for byte.
    kept = [p for p in (cleaned.query or "").split("&") if p]
    source = iter(p for p in (original.query or "").split("&") if p)
    assert all(any(_same_pair(piece, candidate) for candidate in source) for piece in kept)
    dropped_query = len([p for p in (original.query or "").split("&") if p]) - len(kept)
    assert dropped_query == sum(1 for r in result.removed if r.location == "query")
