"""URLs that name another URL byte for byte are never rewritten; kept pairs keep their bytes.

Issue #11, points 7 and 8: the URL inside a web-archive capture names the archived resource
(trackers included), and a pair the cleaner keeps is emitted exactly as written.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings

from citecheck import clean_url, explain
from citecheck.core.captures import is_archive_host, names_embedded_url
from test_properties import MANY, urls

CAPTURES = [
    # Wayback, with every kind of modifier and the single-slash form it produces itself.
    "https://web.archive.org/web/20200101000000/https://www.bbc.co.uk/news/x?at_medium=RSS&utm_source=x",
    "https://web.archive.org/web/20200101000000id_/https://example.com/?fbclid=IwAR0&&a=1#utm_campaign=1",
    "https://web.archive.org/web/2020im_/http:/example.com/pic.png?utm_medium=social",
    "https://web.archive.org/web/*/https://example.com/a?gclid=1*",
    "https://web.archive.org/web/https://example.com/?utm_source=x",
    "https://web.archive.org/web/20200101000000/example.com/page?utm_source=x",
    "https://web.archive.org/web/timemap/link/https://example.com/?utm_source=x",
    "https://web.archive.org/save/https://example.com/?utm_source=x",
    "https://wayback.archive-it.org/1234/20200101000000/https://example.com/?utm_source=x",
    # A wrapper's URL archived: the capture is of the wrapper, not of its target.
    "https://web.archive.org/web/2020/https://www.google.com/url?q=https://example.com/&sa=D",
    "https://web.archive.org/web/2020/https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.com%2F",
    # archive.today and mirrors.
    "https://archive.ph/2020.01.01-000000/https://example.com/?fbclid=1",
    "https://archive.today/newest/https://example.com/?utm_source=x",
    "https://archive.is/o/AbCdE/https://example.com/?utm_source=x",
    "https://archive.ph/https://example.com/a?utm_source=x",
    # Other Memento archives, with and without a scheme in the embedded URL.
    "https://arquivo.pt/wayback/20200101000000/https://example.com/?utm_source=x",
    "https://webarchive.nationalarchives.gov.uk/ukgwa/20200101000000/https://www.gov.uk/?utm_source=x",
    "https://webarchive.loc.gov/all/20200101000000/https://example.com/?utm_source=x",
    "https://www.webarchive.org.uk/wayback/archive/20200101000000/https://example.com/?utm_source=x",
    "https://timetravel.mementoweb.org/list/20200101000000/https://example.com/?utm_source=x",
    "https://archive.wikiwix.com/cache/index2.php?url=https://example.com/?utm_source=x",
    "https://megalodon.jp/2020-0101-0000-00/https://example.com/?utm_source=x",
    # Any host whose path embeds a raw URL: a self-hosted pywb, a reader proxy.
    "https://pywb.example/my-coll/20200101000000/https://example.com/?utm_source=x&fbclid=2",
    "https://reader.example/https://example.com/story?utm_source=x#utm_medium=y",
    "https://proxy.example/fetch/HTTPS://example.com/?gclid=1",
]


@pytest.mark.parametrize("url", CAPTURES)
def test_captures_and_embedded_urls_are_never_rewritten(url: str) -> None:
    result = explain(url)
    assert result.cleaned == url
    assert not result.removed
    assert not result.wrappers


def test_only_the_outer_origin_is_normalised() -> None:
    inner = "https://Example.COM:443/?utm_source=x?"
    assert clean_url(f"  HTTPS://Web.Archive.ORG:443/web/2020/{inner}  ") == f"https://web.archive.org/web/2020/{inner}"


def test_a_wrapper_around_a_capture_is_opened_and_the_capture_kept() -> None:
    capture = "https://web.archive.org/web/2020/https://example.com/?utm_source=x"
    assert clean_url("https://href.li/?" + capture) == capture
    wrapped = "https://www.google.com/url?q=https%3A%2F%2Fweb.archive.org%2Fweb%2F2020%2Fhttps%3A%2F%2Fexample.com%2F%3Futm_source%3Dx&sa=D"
    assert clean_url(wrapped) == capture


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        # An archive's own pages without a capture path still lose their trackers.
        ("https://web.archive.org/?utm_source=x", "https://web.archive.org/"),
        ("https://archive.org/details/some-item?utm_source=x&fbclid=1", "https://archive.org/details/some-item"),
        # A URL in a query value ends at '&' for the server too: the pairs after it are the outer URL's.
        (
            "https://example.com/share?u=https://a.example/?id=1&utm_source=x",
            "https://example.com/share?u=https://a.example/?id=1",
        ),
        # Percent-encoded in the path: not a raw embedded URL, the query is the outer URL's.
        (
            "https://example.com/go/https%3A%2F%2Fa.example%2F?utm_source=x",
            "https://example.com/go/https%3A%2F%2Fa.example%2F",
        ),
        # A look-alike host is not an archive.
        ("https://notarchive.org/web/2020/x?utm_source=x", "https://notarchive.org/web/2020/x"),
        ("https://archive.org.evil.example/web/2020/x?utm_source=x", "https://archive.org.evil.example/web/2020/x"),
    ],
)
def test_what_is_not_an_identifier_is_cleaned(dirty: str, clean: str) -> None:
    assert clean_url(dirty) == clean


@pytest.mark.parametrize(
    ("host", "archive"),
    [
        ("web.archive.org", True),
        ("archive.org", True),
        ("archive.ph", True),
        ("web.archive.org.", True),
        ("wayback.archive-it.org", True),
        ("archive.org.evil.example", False),
        ("myarchive.org", False),
        ("example.com", False),
    ],
)
def test_archive_hosts_match_with_their_subdomains_only(host: str, archive: bool) -> None:
    assert is_archive_host(host) is archive


def test_embedded_url_needs_a_raw_scheme_off_archive_hosts() -> None:
    assert names_embedded_url("/x/https://a.example/", archive_host=False)
    assert names_embedded_url("/x/http:/a.example/", archive_host=False)
    assert not names_embedded_url("/x/a.example/", archive_host=False)
    assert not names_embedded_url("/x/https%3A%2F%2Fa.example/", archive_host=False)
    assert names_embedded_url("/web/2020/a.example/", archive_host=True)
    assert names_embedded_url("/web/20200101000000id_/a.example", archive_host=True)
    assert names_embedded_url("/web/*/a.example*", archive_host=True)
    assert names_embedded_url("/2020.01.01-000000/a.example/", archive_host=True)
    assert names_embedded_url("/newest/a.example", archive_host=True)
    assert not names_embedded_url("/", archive_host=True)
    assert not names_embedded_url("/details/some-item", archive_host=True)
    assert not names_embedded_url("/2023/05/26/story.html", archive_host=True)
    assert not names_embedded_url("/doi/10.7652/x", archive_host=True)


@given(urls())
@settings(max_examples=MANY)
@example("https://example.com/?utm_source=x&&#fbclid=1")
def test_any_url_inside_a_capture_comes_back_byte_for_byte(url: str) -> None:
    for prefix in ("https://web.archive.org/web/20200101000000/", "https://pywb.example/c/20200101000000id_/"):
        capture = prefix + url
        assert clean_url(capture) == capture


# -- point 8: kept pairs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        # The example: the space belongs to the kept pair's value.
        ("http://example.com?at_medium= &utm_source", "http://example.com/?at_medium=%20"),
        ("http://example.com/?a=1&b= #utm_source=1", "http://example.com/?a=1&b=%20"),
        ("http://example.com/a ?utm_source=x", "http://example.com/a%20"),
        ("http://example.com/?a=1\u3000&fbclid=2", "http://example.com/?a=1%E3%80%80"),
        ("http://example.com/?a=1\u00a0 &fbclid=2", "http://example.com/?a=1%C2%A0%20"),
        # A control character makes the URL malformed: it comes back unchanged.
        ("http://example.com/?a=1\t&fbclid=2", "http://example.com/?a=1\t&fbclid=2"),
        # Whitespace inside a kept pair, odd escapes, raw Unicode and '+' stay as written.
        ("http://example.com/?a= b &fbclid=2&c=3", "http://example.com/?a= b &c=3"),
        ("http://example.com/?a=%zz&utm_source=1&b=%E2%82%AC", "http://example.com/?a=%zz&b=%E2%82%AC"),
        ("http://example.com/?q=caf\u00e9+au+lait&utm_source=1", "http://example.com/?q=caf\u00e9+au+lait"),
        ("http://example.com/#x=1 &utm_source=2", "http://example.com/#x=1%20"),
    ],
)
def test_kept_pairs_keep_their_bytes(dirty: str, clean: str) -> None:
    assert clean_url(dirty) == clean
    assert clean_url(clean) == clean
