"""HTML citing attributes at the exact characters of their values, and writing them back."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from citecheck.extract import Syntax, encode_url, extract_links
from citecheck.extract.html import unescape_attribute
from helpers import assert_positions, replace_span


def found(text: str) -> list[tuple[str | None, str, str, Syntax]]:
    links = extract_links(text, "html")
    assert_positions(text, links)
    return [(link.element, link.raw, link.url, link.syntax) for link in links]


D, S, U = Syntax.HTML_DOUBLE, Syntax.HTML_SINGLE, Syntax.HTML_UNQUOTED
URL = "https://a.example/x"

CASES: list[tuple[str, list[tuple[str | None, str, str, Syntax]]]] = [
    (f'<a href="{URL}">x</a>', [("a[href]", URL, URL, D)]),
    (f"<a href='{URL}'>x</a>", [("a[href]", URL, URL, S)]),
    (f"<a href={URL}>x</a>", [("a[href]", URL, URL, U)]),
    (f"<a href={URL}/>x</a>", [("a[href]", URL + "/", URL + "/", U)]),
    (f'<A HREF="{URL}">x</A>', [("a[href]", URL, URL, D)]),
    (f'<a\n  class="c"\n  href = "{URL}"\n>x</a>', [("a[href]", URL, URL, D)]),
    (f'<a title="href=&quot;no&quot;" data-href="no" href="{URL}">', [("a[href]", URL, URL, D)]),
    (f"<a title='>' href=\"{URL}\">", [("a[href]", URL, URL, D)]),
    (f'<a href="{URL}" href="https://second.example/">', [("a[href]", URL, URL, D)]),
    (f'<a href="  {URL}\n">', [("a[href]", URL, URL, D)]),
    (
        '<a href="https://a.example/?a=1&amp;b=2">',
        [("a[href]", "https://a.example/?a=1&amp;b=2", "https://a.example/?a=1&b=2", D)],
    ),
    (
        '<a href="https://a.example/?a=1&b=2">',
        [("a[href]", "https://a.example/?a=1&b=2", "https://a.example/?a=1&b=2", D)],
    ),
    (
        '<a href="https://a.example/?x=1&copy=2">',
        [("a[href]", "https://a.example/?x=1&copy=2", "https://a.example/?x=1&copy=2", D)],
    ),
    (
        '<a href="https://a.example/&#x41;&#66;&quot;">',
        [("a[href]", "https://a.example/&#x41;&#66;&quot;", 'https://a.example/AB"', D)],
    ),
    ("<a href='https://a.example/\"q\"'>", [("a[href]", 'https://a.example/"q"', 'https://a.example/"q"', S)]),
    (
        f'<area href="{URL}"><blockquote cite="{URL}">q</blockquote><q cite="{URL}">q</q>',
        [("area[href]", URL, URL, D), ("blockquote[cite]", URL, URL, D), ("q[cite]", URL, URL, D)],
    ),
    (f'<del cite="{URL}">d</del><ins cite="{URL}">i</ins>', [("del[cite]", URL, URL, D), ("ins[cite]", URL, URL, D)]),
    (
        '<a href="mailto:x@a.example">m</a><a href="doi:10.1/2">d</a>',
        [("a[href]", "mailto:x@a.example", "mailto:x@a.example", D), ("a[href]", "doi:10.1/2", "doi:10.1/2", D)],
    ),
    ('<a href="/about">r</a><a href="#top">t</a><a href="../x">u</a><a href="">e</a><a href>n</a><a>x</a>', []),
    ('<a href="http://[bad">b</a>', [("a[href]", "http://[bad", "http://[bad", D)]),
    (
        f'<link rel="canonical" href="{URL}"><script src="{URL}"></script>'
        f'<img src="{URL}"><iframe src="{URL}"></iframe><form action="{URL}"></form>',
        [],
    ),
    (f'<script>var s = "<a href=\\"{URL}\\">";</script><style>a[href="{URL}"]{{}}</style>', []),
    (f'<!-- <a href="{URL}">old</a> -->', []),
    (f'<template><a href="{URL}">t</a></template>', []),
    (f"<p>see {URL} in text</p>", []),
    (f'<blockquote cite="{URL}" title="a"><p>Quoted</p></blockquote>', [("blockquote[cite]", URL, URL, D)]),
    (f'<a href="{URL}">1</a><a href="{URL}">2</a>', [("a[href]", URL, URL, D)] * 2),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_html_links(text: str, expected: list[tuple[str | None, str, str, Syntax]]) -> None:
    assert found(text) == expected


def test_positions_with_crlf_tabs_and_wide_characters() -> None:
    text = '<p>日本\r\n\t<a\thref="https://a.example/">Some\n  <b>text</b></a>\r\n<q cite=https://b.example/>x</q>'
    links = extract_links(text, "html")
    assert_positions(text, links)
    assert [(link.line, link.column, link.text) for link in links] == [(2, 11, "Some text"), (4, 9, "x")]


def test_unescape_follows_the_attribute_rules() -> None:
    assert unescape_attribute("a&amp;b&lt;c&gt") == "a&b<c>"
    assert unescape_attribute("?a=1&copy=2&copy;&copyx") == "?a=1&copy=2©&copyx"
    assert unescape_attribute("&copy/") == "©/"
    assert unescape_attribute("&#x26;&#38;&nosuch;") == "&&&nosuch;"


# --- encode_url ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "new", "expected"),
    [
        ('<a href="https://a.example/">', "https://a.example/?a=1&b=2", "https://a.example/?a=1&amp;b=2"),
        ('<a href="https://a.example/?x&amp;y">', "https://a.example/?a=1&b=2", "https://a.example/?a=1&amp;b=2"),
        ('<a href="https://a.example/?x&y">', "https://a.example/?a=1&b=2", "https://a.example/?a=1&b=2"),
        ('<a href="https://a.example/?x&y">', "https://a.example/?a=1&copy;", "https://a.example/?a=1&amp;copy;"),
        ('<a href="https://a.example/">', 'https://a.example/"q"', "https://a.example/&quot;q&quot;"),
        ("<a href='https://a.example/'>", "https://a.example/it's", "https://a.example/it&#39;s"),
        ("<a href='https://a.example/'>", 'https://a.example/"', 'https://a.example/"'),
        ("<a href=https://a.example/>", "https://a.example/a b>c", "https://a.example/a&#32;b&gt;c"),
        ("<a href=https://a.example/>", "https://a.example/'x=\"", "https://a.example/&#39;x&#61;&quot;"),
    ],
)
def test_encode_url(text: str, new: str, expected: str) -> None:
    [link] = extract_links(text, "html")
    assert encode_url(link, new) == expected
    [again] = extract_links(replace_span(text, link, expected), "html")
    assert (again.start, again.url, again.syntax) == (link.start, new, link.syntax)


NEW = st.builds(lambda path: "https://a.example/" + path, st.text(alphabet="ab1/?#=&;%'\"<> \t\n`é", max_size=20))
DOCUMENTS = st.lists(
    st.sampled_from(
        [
            '<a href="https://a.example/?a=1&amp;b=2">x</a>',
            "<a href='https://b.example/'>y</a>",
            "<q cite=https://c.example/q>z</q>",
            '<A Href = "https://d.example/x&y" href="no">',
            "<p>text</p>\r\n",
            "<!-- <a href='https://no.example/'> -->",
            "\t",
        ]
    ),
    min_size=1,
    max_size=8,
)


@given(DOCUMENTS, st.data())
def test_property_html_round_trip(parts: list[str], data: st.DataObject) -> None:
    text = "".join(parts)
    links = extract_links(text, "html")
    assert_positions(text, links)
    assert not [link for link in links if "no.example" in link.url]
    if not links:
        return
    link = data.draw(st.sampled_from(links))
    new = data.draw(NEW)
    raw = encode_url(link, new)
    changed = replace_span(text, link, raw)
    again = extract_links(changed, "html")
    [moved] = [other for other in again if other.start == link.start]
    assert (moved.url, moved.raw) == (new, raw)
    delta = len(raw) - len(link.raw)
    before = [(o.start, o.raw, o.url) for o in links if o is not link]
    after = [(o.start - (delta if o.start > link.start else 0), o.raw, o.url) for o in again if o is not moved]
    assert before == after


# -- void elements: bs4's bookkeeping of them, kept as counts ------------------------------------

VOIDS = (
    '<p>Intro<br>line<br/>two<br></br></p>\n<img src="https://img.example/a.png">'
    '<a href="https://a.example/1">one <img src="x.png"> <b>bold</b></a><hr>\n'
    '<ul><li><a href="https://a.example/2">two<br>words</a><li>three<input type=text></ul>'
    '<template><a href="https://a.example/hidden">no</a></template>'
    '<blockquote cite="https://a.example/3"><p>quoted<wbr>text</p></blockquote></br></img>'
    '<a href="https://a.example/4">four</a>'
)


def test_void_names_count_what_bs4_notes_and_crosses_off() -> None:
    from citecheck.extract.html import _VoidNames

    names = _VoidNames()
    assert "br" not in names
    names.append("br")
    names.append("br")
    names.append("img")
    names.remove("br")
    assert "br" in names
    assert "img" in names
    names.remove("br")
    assert "br" not in names
    with pytest.raises(KeyError):
        names.remove("br")


def test_the_counting_parser_finds_what_plain_html_parser_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    from citecheck.extract import html

    page = VOIDS + ("<p>more<br>" * 50 + '<a href="https://a.example/5">five</a>') * 3
    ours = found(page)
    monkeypatch.setattr(html, "_builder", lambda: "html.parser")
    assert ours == found(page)
    assert [raw for _, raw, _, _ in ours] == [f"https://a.example/{n}" for n in (1, 2, 3, 4, 5, 5, 5)]
    texts = [link.text for link in extract_links(page, "html")]
    assert texts[:2] == ["one bold", "twowords"]  # bs4's get_text() joins across <br> as it always did
