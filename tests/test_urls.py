"""The hand-written splitter: boundaries exact, authority checked, nothing re-encoded."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from hypothesis import example, given, settings, strategies as st

from citecheck import is_http_url
from citecheck.core.urls import SplitURL, percent_decode, split_url


def test_split_keeps_parts_as_written() -> None:
    parts = split_url("HTTPS://u:p@Ex.COM:8443/a%2Fb;x?q=1&&r#frag?x")
    assert parts == SplitURL("https", "u:p@", "ex.com", ":8443", "/a%2Fb;x", "q=1&&r", "frag?x")
    assert parts.origin() == "https://u:p@ex.com:8443"
    assert parts.unsplit() == "https://u:p@ex.com:8443/a%2Fb;x?q=1&&r#frag?x"


@pytest.mark.parametrize(
    ("url", "query", "fragment"),
    [
        ("http://a.com", None, None),
        ("http://a.com?", "", None),
        ("http://a.com#", None, ""),
        ("http://a.com/#x?y", None, "x?y"),
        ("http://a.com?x#", "x", ""),
    ],
)
def test_absent_and_empty_are_distinguished(url: str, query: str | None, fragment: str | None) -> None:
    parts = split_url(url)
    assert parts is not None
    assert (parts.query, parts.fragment) == (query, fragment)
    assert parts.path == "/"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "http://127.0.0.1:8000/x",
        "http://[::1]/",
        "http://[2001:db8::1]:8080/",
        "https://bücher.example/",
        "https://a.example./trailing-dot",
        "https://a_b.example/",
        "https://_dmarc.example/",
        "https://a-b--c.example/",
        "https://r3---sn-abc.example/",
        "https://xn--bcher-kva.example/",
        "https://例え.jp/",
        "https://☃.example/",
        "https://1.example/",
        "http://localhost./",
    ],
)
def test_valid(url: str) -> None:
    assert is_http_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "https:example.com",
        "https://",
        "https://:80/",
        "https://user@/",
        "https://ex ample.com/",
        "https://ex%41mple.com/",
        "https://example.com:65536/",
        "https://example.com:-1/",
        "https://example.com:１２/",
        "https://[::1]x/",
        "https://[zz::1]/",
        "https://.example.com/",
        "https://a..b/",
        "https://example.com../",
        "https://./",
        "https://-a.example/",
        "https://a-.example/",
        "https://a.-b.example/",
        "https://-/",
        "https://xn--/",
        "https://)/",
        "https://.../",
        "https://_/",
        "https://a.(.example/",
        "https://user@-a.example:8080/",
        "https://exa\tmple.com/",
        "https://example.com/\x7f",
        "htt://example.com/",
    ],
)
def test_invalid(url: str) -> None:
    assert not is_http_url(url)


# -- percent_decode: exactly unquote, faster ----------------------------------------------------

_escape_soup = st.text(st.sampled_from("%=0123456789abcdefABCDEFgz/+_ \r\n\x00é€😀"), max_size=24)


@given(st.one_of(_escape_soup, st.text(max_size=24)))
@settings(max_examples=2000)
@example("%")
@example("a%")
@example("%4")
@example("%%41")
@example("%=41")
@example("%A=")
@example("=41%3D%41")
@example("%C3%A9%FF%e2%82")
@example("caf%C3%A9 \u00e9%20")
def test_percent_decode_is_exactly_unquote(text: str) -> None:
    assert percent_decode(text) == unquote(text)
