"""Bare URLs in plain text: where they end, that positions are exact, and that time stays linear."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from hypothesis import given, strategies as st

from citecheck.extract import (
    FoundLink,
    LinkKind,
    Syntax,
    encode_url,
    extract_links,
    find_links_in_text,
    format_for_path,
)
from helpers import assert_positions, replace_span

CASES: list[tuple[str, list[str]]] = [
    ("see https://example.com/a.", ["https://example.com/a"]),
    ("see https://example.com/a, and", ["https://example.com/a"]),
    ("is it https://example.com/a?", ["https://example.com/a"]),
    ("wow https://example.com/a!!!", ["https://example.com/a"]),
    ("list: https://example.com/a; https://example.com/b:", ["https://example.com/a", "https://example.com/b"]),
    ("https://example.com/search?q=a.b&x=1", ["https://example.com/search?q=a.b&x=1"]),
    (
        "https://en.wikipedia.org/wiki/Bracket_(disambiguation)",
        ["https://en.wikipedia.org/wiki/Bracket_(disambiguation)"],
    ),
    ("(see https://example.com/a)", ["https://example.com/a"]),
    ("(see https://en.wikipedia.org/wiki/A_(b)).", ["https://en.wikipedia.org/wiki/A_(b)"]),
    ("[https://example.com/a]", ["https://example.com/a"]),
    ("{https://example.com/a}", ["https://example.com/a"]),
    ("https://example.com/a)b", ["https://example.com/a)b"]),
    ('"https://example.com/a"', ["https://example.com/a"]),
    ("'https://example.com/a'", ["https://example.com/a"]),
    ("'https://example.com/it's'", ["https://example.com/it's"]),
    ("'https://a.example/x','https://b.example/y'", ["https://a.example/x", "https://b.example/y"]),
    ("https://en.wikipedia.org/wiki/Ender's_Game", ["https://en.wikipedia.org/wiki/Ender's_Game"]),
    ("“https://example.com/a”", ["https://example.com/a"]),
    ("“https://example.com/a.”", ["https://example.com/a"]),
    ("‘https://example.com/a’", ["https://example.com/a"]),
    ("«https://example.com/a»", ["https://example.com/a"]),
    ("« https://example.com/a »", ["https://example.com/a"]),
    ("*https://example.com/a*", ["https://example.com/a"]),
    ("_https://example.com/a_", ["https://example.com/a"]),
    ("**https://example.com/a_b**", ["https://example.com/a_b"]),
    ("`https://example.com/a`", ["https://example.com/a"]),
    ("<https://example.com/a>", ["https://example.com/a"]),
    ("<https://example.com/a.>", ["https://example.com/a."]),
    ("<https://example.com/a b>", ["https://example.com/a"]),
    ("HTTPS://EXAMPLE.COM/A", ["HTTPS://EXAMPLE.COM/A"]),
    ("http://example.com http://example.org", ["http://example.com", "http://example.org"]),
    ("https://example.com/very/long/\npath", ["https://example.com/very/long/"]),
    ("a\r\nhttps://example.com/crlf\r\n", ["https://example.com/crlf"]),
    ("https://example.com/a\thttps://example.com/b", ["https://example.com/a", "https://example.com/b"]),
    ("nbsp https://example.com/a\u00a0b", ["https://example.com/a"]),
    ("https://example.com/<tag>", ["https://example.com/"]),
    ("xhttps://example.com/ not-a-url", []),
    ("ftp://example.com/ mailto:a@example.com", []),
    ("http:// https://. https://", []),
    ("http://[bad", []),  # no host: prose, not a link
    ("http://[::1]:8080/x.", ["http://[::1]:8080/x"]),
    ("https://example.com/ünïcode/日本", ["https://example.com/ünïcode/日本"]),
    ("https://a.example/~user~", ["https://a.example/~user"]),
    ("tab\tand\x00https://example.com/nul", ["https://example.com/nul"]),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_where_urls_end(text: str, expected: list[str]) -> None:
    links = extract_links(text, "text")
    assert [link.raw for link in links] == expected
    assert [link.url for link in links] == expected
    assert all(link.syntax is Syntax.PLAIN for link in links)
    assert_positions(text, links)


# --- issue 11, point 10: quotes, impossible hosts, CJK punctuation, wiki links ---------------

QUOTE_CASES: list[tuple[str, list[str]]] = [
    ('https://news.example/story_"final"_draft', ['https://news.example/story_"final"_draft']),
    ('see https://news.example/story_"final"_draft.', ['https://news.example/story_"final"_draft']),
    ('He wrote "https://news.example/story_"final"_draft".', ['https://news.example/story_"final"_draft']),
    ('"see https://a.example/x", he said', ["https://a.example/x"]),
    ('"https://a.example/x"', ["https://a.example/x"]),
    ('"https://a.example/x","https://b.example/y"', ["https://a.example/x", "https://b.example/y"]),
    ('{"u":"https://a.example/x","v":"y"}', ["https://a.example/x"]),
    ('https://a.example/search?q="exact"&x=1', ['https://a.example/search?q="exact"&x=1']),
    ('https://a.example/x"y"z"w"', ['https://a.example/x"y"z"w"']),
    ('https://a.example/x"y"z"', ['https://a.example/x"y"z']),
    ('https://a.example/x"y', ["https://a.example/x"]),
    ('https://a.example/x"', ["https://a.example/x"]),
    ('https://a.example/x"," more"', ["https://a.example/x"]),
    ('(https://a.example/f("x"))', ['https://a.example/f("x")']),
    ('https://a.example/"x".', ['https://a.example/"x"']),
    ("see https://a.example/?q='a'.", ["https://a.example/?q='a'"]),
    ("https://a.example/'x'", ["https://a.example/'x'"]),
    ("https://a.example/'it's'", ["https://a.example/'it's'"]),
    ("https://a.example/x'y'", ["https://a.example/x'y"]),
    ("'https://a.example/?q='a''", ["https://a.example/?q='a'"]),
    ("https://a.example/story_“final”_draft", ["https://a.example/story_“final”_draft"]),
    ("“https://a.example/x”", ["https://a.example/x"]),
    ("“see https://a.example/x”, he said", ["https://a.example/x"]),
    ("https://a.example/x“y", ["https://a.example/x"]),
    ("https://a.example/«x»_y", ["https://a.example/«x»_y"]),
    ("«https://a.example/x»", ["https://a.example/x"]),
    ("https://a.example/‘x’_y", ["https://a.example/‘x’_y"]),
    ("‘https://a.example/x’", ["https://a.example/x"]),
    ("https://a.example/x‘y", ["https://a.example/x"]),
    ("https://example.cn/a“说明”", ["https://example.cn/a"]),
    ('https://example.cn/a"说明"', ["https://example.cn/a"]),
    ('<a href="https://a.example/x" title="y">', ["https://a.example/x"]),
]

HOST_CASES: list[tuple[str, list[str]]] = [
    ("https://a..b/ and https://.example/ and https://example..com/page", []),
    ("https://-a.example/ https://a-.example/ https://a.-b.example/ https://-/", []),
    ("https:// https://... https://)/ https://_/ https://.", []),
    ("see (https://) or https://!!! or https://,", []),
    ("http://[bad and http://[zz::1]/", []),
    ("https://example.com:99999/ https://:80/ https://user@/", []),
    ("bad https://-a.example/ then good https://a.example/", ["https://a.example/"]),
    ("http://127.0.0.1:8080/ and http://[::1]/.", ["http://127.0.0.1:8080/", "http://[::1]/"]),
    ("https://example.com./ and https://example.com.", ["https://example.com./", "https://example.com"]),
    ("https://a_b.example/ https://_dmarc.example/", ["https://a_b.example/", "https://_dmarc.example/"]),
    ("https://例え.jp/ https://xn--r8jz45g.jp/", ["https://例え.jp/", "https://xn--r8jz45g.jp/"]),
    ("https://user:pw@a-b.example:8443/x", ["https://user:pw@a-b.example:8443/x"]),
    ("https://r3---sn-abc.example/v", ["https://r3---sn-abc.example/v"]),
    ("http://localhost:3000", ["http://localhost:3000"]),
]

CJK_CASES: list[tuple[str, list[str]]] = [
    ("詳しくはhttps://example.jp/page。次に", ["https://example.jp/page"]),
    ("访问https://example.cn/a，然后", ["https://example.cn/a"]),
    ("見てhttps://example.jp/a、https://example.jp/b。", ["https://example.jp/a", "https://example.jp/b"]),
    ("「https://example.jp/a」と『https://example.jp/b』", ["https://example.jp/a", "https://example.jp/b"]),
    ("（https://example.jp/a）【https://example.jp/b】", ["https://example.jp/a", "https://example.jp/b"]),
    ("《https://example.cn/a》〈https://example.cn/b〉", ["https://example.cn/a", "https://example.cn/b"]),
    ("〔https://example.jp/a〕［https://example.jp/b］", ["https://example.jp/a", "https://example.jp/b"]),
    ("https://example.jp/a！https://example.jp/b？", ["https://example.jp/a", "https://example.jp/b"]),
    ("https://example.jp/a：説明；https://example.jp/b", ["https://example.jp/a", "https://example.jp/b"]),
    ("https://example.jp/a…続く https://example.jp/b‥", ["https://example.jp/a", "https://example.jp/b"]),
    ("https://example.jp/a・b", ["https://example.jp/a"]),
    ("https://example.jp/a．次", ["https://example.jp/a"]),
    ("https://example.jp/a｡ｶﾅ", ["https://example.jp/a"]),
    ("https://example.jp/a\u3000b", ["https://example.jp/a"]),
    ("https://example.jp/a〜b https://example.jp/c～d", ["https://example.jp/a", "https://example.jp/c"]),
    ("https://ja.wikipedia.org/wiki/東京", ["https://ja.wikipedia.org/wiki/東京"]),
    ("https://ja.wikipedia.org/wiki/佐々木。", ["https://ja.wikipedia.org/wiki/佐々木"]),
    ("https://ja.wikipedia.org/wiki/ラーメン、", ["https://ja.wikipedia.org/wiki/ラーメン"]),
    ("https://example.jp/ｶﾀｶﾅ/ＡＢＣ１２３", ["https://example.jp/ｶﾀｶﾅ/ＡＢＣ１２３"]),
    ("https://ko.example/한국어입니다.", ["https://ko.example/한국어입니다"]),
    ("詳細はhttps://example.jp/", ["https://example.jp/"]),
    ("１https://example.jp/", ["https://example.jp/"]),
    ("https://。。。/ https://…", []),
]

WIKI_CASES: list[tuple[str, list[tuple[LinkKind, str]]]] = [
    ("[[https://a.example/page]]", [(LinkKind.WIKI, "https://a.example/page")]),
    ("[[https://a.example/page|label]]", [(LinkKind.WIKI, "https://a.example/page")]),
    ("[[https://a.example/page|a label]] more", [(LinkKind.WIKI, "https://a.example/page")]),
    ("[[https://a.example/page]]s and.", [(LinkKind.WIKI, "https://a.example/page")]),
    ("[[https://a.example/page.]]", [(LinkKind.WIKI, "https://a.example/page.")]),
    ("[[https://a.example/a_(b)|x]]", [(LinkKind.WIKI, "https://a.example/a_(b)")]),
    ("[[https://a.example/?q=a|b]]", [(LinkKind.WIKI, "https://a.example/?q=a")]),
    (
        "[[http://[::1]]] [[http://[::1]:80/x|y]]",
        [(LinkKind.WIKI, "http://[::1]"), (LinkKind.WIKI, "http://[::1]:80/x")],
    ),
    ("[[https://-bad.example/]]", [(LinkKind.WIKI, "https://-bad.example/")]),
    ("[[https://a.example/page label]]", [(LinkKind.BARE, "https://a.example/page")]),
    ("[https://a.example/page label]", [(LinkKind.BARE, "https://a.example/page")]),
    ("[https://a.example/page]", [(LinkKind.BARE, "https://a.example/page")]),
    ("[[ https://a.example/page ]]", [(LinkKind.BARE, "https://a.example/page")]),
    ("[[label|https://a.example/page]]", [(LinkKind.BARE, "https://a.example/page")]),
    ("[[https://a.example/page", [(LinkKind.BARE, "https://a.example/page")]),
    ("[[Page name]] [[Page|alias]] [[https://|label]]", []),
    (
        "[[https://a.example/1]][[https://a.example/2|x]]",
        [(LinkKind.WIKI, "https://a.example/1"), (LinkKind.WIKI, "https://a.example/2")],
    ),
]


@pytest.mark.parametrize(("text", "expected"), QUOTE_CASES + HOST_CASES + CJK_CASES)
def test_quotes_hosts_and_cjk_punctuation(text: str, expected: list[str]) -> None:
    links = extract_links(text, "text")
    assert [link.raw for link in links] == expected
    assert all(link.kind is LinkKind.BARE for link in links)
    assert_positions(text, links)


@pytest.mark.parametrize(("text", "expected"), WIKI_CASES)
def test_wiki_links(text: str, expected: list[tuple[LinkKind, str]]) -> None:
    links = extract_links(text, "text")
    assert [(link.kind, link.url) for link in links] == expected
    assert all(link.syntax is Syntax.PLAIN and link.raw == link.url for link in links)
    assert_positions(text, links)


def test_delimited_links_keep_an_impossible_host() -> None:
    """Autolinks and wiki links were marked as links by the author: the checker says invalid_url."""
    text = "<https://-a.example/> [[https://a..b/]] https://-a.example/"
    assert [(link.kind, link.url) for link in extract_links(text, "text")] == [
        (LinkKind.AUTOLINK, "https://-a.example/"),
        (LinkKind.WIKI, "https://a..b/"),
    ]


def test_an_autolink_may_hold_quotes() -> None:
    [link] = extract_links('<https://a.example/"x">', "text")
    assert (link.kind, link.url) == (LinkKind.AUTOLINK, 'https://a.example/"x"')


def test_angle_brackets_make_an_autolink() -> None:
    [auto, bare] = extract_links("<https://example.com/a> https://example.com/b", "text")
    assert (auto.kind, auto.start, auto.raw) == (LinkKind.AUTOLINK, 1, "https://example.com/a")
    assert bare.kind is LinkKind.BARE


def test_positions_count_characters_not_bytes() -> None:
    text = "日本語\n  ünï https://example.com/x"
    [link] = extract_links(text, "text")
    assert (link.line, link.column) == (2, 7)
    assert_positions(text, [link])


def test_find_links_in_text_keeps_its_contract() -> None:
    found = list(find_links_in_text("a\nb https://example.com/x."))
    assert found == [FoundLink(url="https://example.com/x", start=4, end=25, line=2, column=3)]
    assert found[0].to_dict()["column"] == 3


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.md", "markdown"),
        ("A.MARKDOWN", "markdown"),
        ("x/y.mdown", "markdown"),
        ("z.mkd", "markdown"),
        ("z.Mkdn", "markdown"),
        ("p.html", "html"),
        ("p.HTM", "html"),
        ("p.xhtml", "html"),
        ("notes.txt", "text"),
        ("README", "text"),
        ("archive.md.bak", "text"),
    ],
)
def test_format_for_path(name: str, expected: str) -> None:
    assert format_for_path(name) == expected


def test_unknown_format_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown format"):
        extract_links("x", "rst")


# --- bounded time -----------------------------------------------------------------------------


PATHOLOGICAL = [
    ("http://a.com/(" * 80_000, 1),
    ("https://a.example/" + ")" * 1_000_000, 1),
    ("https://a.example/" + "." * 1_000_000, 1),
    ("'https://a.example'," * 60_000, 60_000),
    ("<https://a" * 100_000, 100_000),
    ("https://" * 150_000, 1),
    ("x" * 2_000_000, 0),
    ("https://a.example/" + "a" * 2_000_000, 1),
    ("(" * 1_000_000 + "https://a.example/" + ")" * 1_000_000, 1),
    # One per scanning step, so a regex that backtracks would show: the scheme's start (a
    # letter or digit before it is no start), the stop characters, the closing quotes.
    ("Xhttps://" * 150_000, 0),
    ("http:/" * 300_000, 0),
    ("https://a.example/" + " \t\x01" * 300_000, 1),
    ("https://a.example/" + "'" * 1_000_000, 1),
    ("https://a.example/it" + "'s" * 500_000, 1),
    ("\u2018https://a.example/" + "\u2019a" * 500_000, 1),
    ("https://a.example/" + "_*~" * 300_000, 1),
    # Quotes that might pair, wiki links that never close, hosts that are refused.
    ('https://a.example/"a' * 100_000, 1),
    ('https://a.example/x"' * 100_000, 1),
    ('"https://a.example/x",' * 60_000, 60_000),
    ("https://a.example/“a" * 100_000, 1),
    ("https://a.example/='a" * 100_000, 1),
    ("'https://a.example/='a" * 100_000, 1),
    ("[[https://a.example/x" * 100_000, 1),
    ("[[https://a.example/x|" * 100_000, 100_000),
    ("[[http://[" * 100_000, 0),
    ("https://-a.example/ " * 100_000, 0),
    ("https://a.example/" + "。" * 1_000_000, 1),
    ("詳しくはhttps://example.jp/page。" * 50_000, 50_000),
]


@pytest.mark.parametrize(("text", "count"), PATHOLOGICAL, ids=lambda v: str(v)[:20] if isinstance(v, str) else None)
def test_large_and_pathological_inputs_are_linear(text: str, count: int) -> None:
    start = time.perf_counter()
    assert len(extract_links(text, "text")) == count
    assert time.perf_counter() - start < 10  # generous: a quadratic finder takes minutes here


# --- encode_url ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        ("https://example.com/clean", "https://example.com/clean"),
        ("https://example.com/a.", "https://example.com/a%2E"),
        ("https://example.com/a_", "https://example.com/a%5F"),
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("https://example.com/a(b", "https://example.com/a%28b"),
        ("https://example.com/a_(b)", "https://example.com/a_(b)"),
        ("https://example.com/a'", "https://example.com/a%27"),
        ("https://example.com/it's", "https://example.com/it's"),
        ('https://example.com/"q"', "https://example.com/%22q%22"),
        ("https://example.com/[x]", "https://example.com/%5Bx%5D"),
        ("http://[::1]/", "http://[::1]/"),
        ("https://example.com/?q='a", "https://example.com/?q=%27a"),
        ("https://example.com/a。b", "https://example.com/a%E3%80%82b"),
        ("https://example.com/a“b”", "https://example.com/a%E2%80%9Cb%E2%80%9D"),
        ("https://example.com/a|b]]", "https://example.com/a%7Cb%5D%5D"),
    ],
)
def test_encode_bare(new: str, expected: str) -> None:
    text = "'see https://example.com/old.'"
    [link] = extract_links(text, "text")
    assert encode_url(link, new) == expected
    [again] = extract_links(replace_span(text, link, expected), "text")
    assert (again.start, again.url) == (link.start, expected)


def test_encode_bare_refuses_what_would_not_be_found_again() -> None:
    [link] = extract_links("https://example.com/", "text")
    with pytest.raises(ValueError, match="http"):
        encode_url(link, "ftp://example.com/")
    with pytest.raises(ValueError, match="empty"):
        encode_url(link, "")
    with pytest.raises(ValueError, match="host"):
        encode_url(link, "https://-a.example/")


@pytest.mark.parametrize(
    ("text", "new", "expected"),
    [
        ("[[https://a.example/old|label]]", "https://a.example/a|b]]c", "https://a.example/a%7Cb%5D%5Dc"),
        ("[[https://a.example/old]]", "https://a.example/a b.", "https://a.example/a%20b%2E"),
        ("[[https://a.example/old]]", "http://[::1]", "http://[::1]"),
    ],
)
def test_encode_wiki(text: str, new: str, expected: str) -> None:
    [link] = extract_links(text, "text")
    assert encode_url(link, new) == expected
    [again] = extract_links(replace_span(text, link, expected), "text")
    assert (again.kind, again.start, again.url) == (LinkKind.WIKI, link.start, expected)


PROSE = st.sampled_from(
    ["see ", "(", ")", ". ", ", ", "'", '"', "“", "”", "\n", "\r\n", " *", "_", "x", "» ", "。", "「", "]]", "[["]
)
URL_CHARS = st.text(alphabet="abcxyz019-._~/?#=&%()[]'*:;,!$+@\"“”|。", max_size=25)
BARE_URLS = st.builds(
    lambda scheme, path: f"{scheme}://example.com/{path}", st.sampled_from(["http", "https"]), URL_CHARS
)
#: A URL in the places the issue 11 rules are about: quotes, CJK punctuation, wiki brackets.
URLS = st.one_of(
    BARE_URLS,
    st.builds(
        lambda url, wrap: wrap.format(url),
        BARE_URLS,
        st.sampled_from(['"{}"', "“{}”", "'{}'", "詳細は{}。", "「{}」", "[[{}]]", "[[{}|label]]", "<{}>"]),
    ),
)


@given(st.lists(st.one_of(PROSE, URLS), max_size=12), st.data())
def test_property_plain_round_trip(parts: list[str], data: st.DataObject) -> None:
    text = " ".join(parts)
    links = extract_links(text, "text")
    assert_positions(text, links)
    if not links:
        return
    link = data.draw(st.sampled_from(links))
    new = data.draw(BARE_URLS)
    raw = encode_url(link, new)
    changed = replace_span(text, link, raw)
    again = extract_links(changed, "text")
    [moved] = [other for other in again if other.start == link.start]
    assert moved.url == moved.raw == raw
    delta = len(raw) - len(link.raw)
    before = [(o.start, o.raw) for o in links if o is not link]
    after = [(o.start - (delta if o.start > link.start else 0), o.raw) for o in again if o is not moved]
    assert before == after


def test_importing_extract_is_light() -> None:
    """``citecheck clean`` imports the package: it must not pull in markdown-it or bs4."""
    code = (
        "import sys, citecheck.extract, citecheck.extract.text, citecheck.extract.api;"
        "heavy = [m for m in ('markdown_it', 'bs4') if m in sys.modules];"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_newline_style_counts_lines(fmt: str, newline: str) -> None:
    """A lone CR (classic Mac, some CMS exports) used to put every link on line 1."""
    lines = ["intro", "see https://a.example/x here", "", "and https://b.example/y"]
    if fmt == "html":
        lines = [
            "<p>intro</p>",
            "<p><a href='https://a.example/x'>x</a></p>",
            "",
            "<a href='https://b.example/y'>y</a>",
        ]
    links = extract_links(newline.join(lines), fmt)
    assert [(link.line, link.column > 0) for link in links] == [(2, True), (4, True)]


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_a_lone_surrogate_does_not_break_extraction(fmt: str) -> None:
    text = "<a href='https://a.example/\ud800'>x</a> https://b.example/\udfff y"
    assert all(link.url.startswith("https://") for link in extract_links(text, fmt))
