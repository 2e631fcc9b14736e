"""Properties of --fix on generated articles: only URL spans change, and fixing is idempotent."""

from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from citecheck.core.results import FileResult, Verdict
from citecheck.fix.documents import Document
from citecheck.pipeline import Checker

CHECKER = Checker()
#: More than the profile's default (each example is a whole article), or the thorough count.
EXAMPLES = max(150, settings().max_examples)

DIRTY = [
    "https://example.com/a?utm_source=x&id=7",
    "https://www.youtube.com/watch?v=abc&si=zz",
    "https://www.google.com/url?q=https%3A%2F%2Fexample.org%2Fp%3Ffbclid%3D1&sa=D",
    "https://news.example.org/story#Echobox=1700000000",
    "https://www.bbc.co.uk/news/x?at_medium=RSS&at_campaign=a",
    "https://en.wikipedia.org/wiki/Bracket_(disambiguation)?utm_medium=y",
    "https://shop.example/item?id=1&gclid=abc&colour=red",
]
CLEAN = [
    "https://example.com/",
    "https://example.org/path/to?x=1",
    "http://192.0.2.1:8080/a",
    "https://bücher.example/",
]
WORDS = ["the", "report", "said", "(see", "also)", "and", "—", "«quoted»", "it's", "5%", "a&b", "*bold*"]
PUNCT = ["", ".", ",", ";", ":", "!", "?", ")", '"', "'", "”"]
NEWLINES = ["\n", "\r\n"]
#: Where prose puts a URL: plain, quoted, in CJK sentences, as a wiki link.
WRAPS = ["{}", "{}", '"{}"', "“{}”", "詳しくは{}。次に", "「{}」", "[[{}]]", "[[{}|label]]"]

urls = st.sampled_from(DIRTY + CLEAN)


@st.composite
def plain_text(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.integers(0, 4))
        if kind == 0:
            parts.append(draw(st.sampled_from(WRAPS)).format(draw(urls)) + draw(st.sampled_from(PUNCT)))
        elif kind == 1:
            parts.append(f"<{draw(urls)}>")
        elif kind == 2:
            parts.append(draw(st.sampled_from(NEWLINES)))
        else:
            parts.append(draw(st.sampled_from(WORDS)))
    return " ".join(parts)


@st.composite
def markdown_text(draw: st.DrawFn) -> str:
    newline = draw(st.sampled_from(NEWLINES))
    blocks: list[str] = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.integers(0, 7))
        url = draw(urls)
        if kind == 0:
            blocks.append(f'Read [the *story*]({url} "title") today.')
        elif kind == 1:
            blocks.append(f"![chart]({url})")
        elif kind == 2:
            blocks.append(f"[ref{draw(st.integers(0, 3))}]: {url}")
        elif kind == 3:
            blocks.append(f"```{newline}curl '{url}'{newline}```")
        elif kind == 4:
            blocks.append(f"Inline `{url}` code and {draw(urls)}.")
        elif kind == 5:
            blocks.append(f"> quoted <{url}> and [x][ref0]")
        elif kind == 6:
            blocks.append(f"- item {url}{draw(st.sampled_from(PUNCT))}")
        else:
            blocks.append(draw(plain_text()))
    return (newline + newline).join(blocks) + newline


@st.composite
def html_text(draw: st.DrawFn) -> str:
    parts: list[str] = ["<p>"]
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.integers(0, 4))
        url = draw(urls).replace("&", draw(st.sampled_from(["&", "&amp;"])))
        if kind == 0:
            parts.append(f'<a href="{url}">a link</a>')
        elif kind == 1:
            parts.append(f"<A HREF='{url}' class=x>b</A>")
        elif kind == 2:
            parts.append(f'<blockquote cite="{url}">q</blockquote>')
        elif kind == 3:
            parts.append(f"<script>var u = '{url}';</script><!-- {url} -->")
        else:
            parts.append(draw(st.sampled_from(WORDS)))
    parts.append("</p>\n")
    return "".join(parts)


def _assert_only_link_spans_change(text: str, result: FileResult, fixed: str) -> None:
    """``fixed`` is the original with only the fixable spans replaced: every stretch of text
    between them survives, in order, character for character (checked without trusting
    ``fixed_text``'s own bookkeeping)."""
    spans = sorted((r.link.start, r.link.end) for r in result.links if r.verdict is Verdict.FIXABLE)
    segments, position = [], 0
    for start, end in spans:
        segments.append(text[position:start])
        position = end
    segments.append(text[position:])
    pattern = "(.*?)".join(re.escape(segment) for segment in segments)
    assert re.fullmatch(pattern, fixed, re.DOTALL), (text, fixed)


def _check(text: str, format: str) -> None:
    result = CHECKER.judge_document(Document(path="x", text=text), format=format)
    fixed, after = Checker.fixed_text(text, result)
    _assert_only_link_spans_change(text, result, fixed)
    assert all(r.fixed for r in after.links if r.verdict is Verdict.FIXABLE)
    again = CHECKER.judge_document(Document(path="x", text=fixed), format=format)
    assert not any(r.verdict is Verdict.FIXABLE for r in again.links), [r.link.url for r in again.links]
    assert Checker.fixed_text(fixed, again)[0] == fixed
    # Fixing never loses or invents a link.
    assert len(again.links) == len(result.links)


@given(plain_text())
@settings(max_examples=max(200, EXAMPLES))
def test_fix_plain_text(text: str) -> None:
    _check(text, "text")


@given(markdown_text())
@settings(max_examples=EXAMPLES)
def test_fix_markdown(text: str) -> None:
    _check(text, "markdown")


@given(html_text())
@settings(max_examples=EXAMPLES)
def test_fix_html(text: str) -> None:
    _check(text, "html")
