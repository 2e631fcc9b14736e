"""Cited URLs in HTML: the attributes that cite, at the exact characters of their values.

Extracted (kind attribute): ``a[href]``, ``area[href]``, ``blockquote[cite]``, ``q[cite]``,
``del[cite]``, ``ins[cite]``. Not extracted, because they are not citations: ``<link>``
(canonical, stylesheets), ``script[src]``, ``img[src]``, ``iframe[src]``, ``form[action]``;
anything inside ``<script>``/``<style>`` (raw text to the parser) or comments; elements inside
``<template>`` (inert until a script uses them); bare URLs in text nodes (articles cite with
``<a>``); values without a URI scheme (relative links such as ``/about`` or ``#top``).

bs4 (html.parser) finds the elements and where each start tag begins (``sourceline``,
``sourcepos``); it does not know where attribute values are, so we tokenise the start tag
ourselves, as a browser would: names are case-insensitive, the *first* of duplicate
attributes wins, values are double-quoted, single-quoted or unquoted. ``url`` has character
references decoded with the attribute rules of HTML (``&copy=1`` stays as written); ``raw``
is exactly the characters between the quotes, minus surrounding whitespace, which browsers
strip from URLs anyway and a rewrite should leave alone.
"""

from __future__ import annotations

import functools
import inspect
import re
from html import unescape
from html.entities import html5
from typing import Any

from ..core.links import Link, LinkKind, Syntax
from .text import SCHEME, line_starts, link_at

__all__ = ["CITING", "extract_html", "scan_html", "starts_reference", "unescape_attribute"]

#: Element -> the attribute that holds what it cites.
CITING = {"a": "href", "area": "href", "blockquote": "cite", "q": "cite", "del": "cite", "ins": "cite"}
_SPACE = "\t\n\f\r "
_CHARREF = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")

#: One attribute value found: start, end, url, syntax, element (``a[href]``), element text.
Found = tuple[int, int, str, Syntax, str, str | None]


def _replace(match: re.Match[str]) -> str:
    name = match.group(1)
    if name.startswith("#"):
        return unescape(match.group())
    if name in html5:
        return html5[name]
    for length in range(len(name) - 1, 1, -1):  # longest legacy prefix, e.g. "&ampx" -> "&"
        prefix = name[:length]
        if prefix in html5:
            following = name[length]
            if not prefix.endswith(";") and (following == "=" or following.isalnum()):
                return match.group()  # the attribute-value exception: "&copy=1" is not decoded
            return html5[prefix] + name[length:]
    return match.group()


def starts_reference(value: str, index: int) -> bool:
    """Whether the ``&`` at ``value[index]`` would be read as a character reference."""
    match = _CHARREF.match(value, index)
    return match is not None and _replace(match) != match.group()


def unescape_attribute(value: str) -> str:
    """Decode character references in an attribute value the way browsers do."""
    return _CHARREF.sub(_replace, value) if "&" in value else value


def _attribute(text: str, at: int, name: str, wanted: str) -> tuple[int, int, Syntax] | None:
    """The value span of attribute ``wanted`` in the start tag ``<name`` at ``at`` (first wins)."""
    size = len(text)
    i = at + 1 + len(name)
    while i < size:
        while i < size and (text[i] in _SPACE or text[i] == "/"):
            i += 1
        if i >= size or text[i] == ">":
            return None
        j = i + 1  # an attribute name may start with "=" (a parse error browsers accept)
        while j < size and text[j] not in _SPACE and text[j] not in "/>=":
            j += 1
        attribute = text[i:j].lower()
        k = j
        while k < size and text[k] in _SPACE:
            k += 1
        if k < size and text[k] == "=":
            k += 1
            while k < size and text[k] in _SPACE:
                k += 1
            quote = text[k] if k < size else ""
            if quote in ("'", '"'):
                close = text.find(quote, k + 1)
                if close < 0:
                    return None
                span = (k + 1, close, Syntax.HTML_DOUBLE if quote == '"' else Syntax.HTML_SINGLE)
                i = close + 1
            else:
                m = k
                while m < size and text[m] not in _SPACE and text[m] != ">":
                    m += 1
                span, i = (k, m, Syntax.HTML_UNQUOTED), m
        else:
            span, i = (k, k, Syntax.HTML_DOUBLE), k
        if attribute == wanted:
            return span
    return None


class _VoidNames(list[str]):
    """bs4's note of void elements (``<br>``, ``<img>``) it closed at their start tag, as counts.

    bs4 keeps a list that only grows (no one writes ``</br>``) and scans it at every end tag: a
    page with thousands of ``<img>`` or ``<br>`` cost time quadratic in its length. Only these
    three operations are used; the list itself stays empty.
    """

    def __init__(self) -> None:
        super().__init__()
        self._counts: dict[str, int] = {}

    def __contains__(self, name: object, /) -> bool:
        return name in self._counts

    def append(self, name: str, /) -> None:
        self._counts[name] = self._counts.get(name, 0) + 1

    def remove(self, name: str, /) -> None:
        left = self._counts.pop(name) - 1  # a KeyError when absent, as list.remove's ValueError
        if left:
            self._counts[name] = left


@functools.cache
def _builder() -> Any:
    """The tree builder to parse with: html.parser's, with :class:`_VoidNames` when bs4 allows it."""
    from bs4.builder._htmlparser import BeautifulSoupHTMLParser, HTMLParserTreeBuilder

    if "_parser_class" not in inspect.signature(HTMLParserTreeBuilder.feed).parameters:
        return "html.parser"  # an older bs4: the same tree, without the shortcut

    class Parser(BeautifulSoupHTMLParser):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.already_closed_empty_element = _VoidNames()

    class Builder(HTMLParserTreeBuilder):
        def feed(self, markup: Any, _parser_class: type[BeautifulSoupHTMLParser] = Parser) -> None:
            super().feed(markup, _parser_class)

    return Builder


def scan_html(text: str) -> list[Found]:
    """Citing attribute values in ``text``, in document order."""
    from bs4 import BeautifulSoup
    from bs4.element import Tag

    builder = _builder()
    soup = BeautifulSoup(text, builder) if isinstance(builder, str) else BeautifulSoup(text, builder=builder())
    starts = line_starts(text)
    found: list[Found] = []
    for tag in soup.find_all(list(CITING)):
        if not isinstance(tag, Tag) or tag.sourceline is None or tag.sourcepos is None:
            continue
        wanted = CITING[tag.name]
        if wanted not in tag.attrs or tag.find_parent("template") is not None:
            continue
        at = starts[tag.sourceline - 1] + tag.sourcepos
        if text[at : at + 1 + len(tag.name)].lower() != "<" + tag.name:
            continue
        value = _attribute(text, at, tag.name, wanted)
        if value is None:
            continue
        start, end, syntax = value
        while start < end and text[start] in _SPACE:
            start += 1
        while end > start and text[end - 1] in _SPACE:
            end -= 1
        url = unescape_attribute(text[start:end])
        if SCHEME.match(url):
            words = tag.get_text().split()
            found.append((start, end, url, syntax, f"{tag.name}[{wanted}]", " ".join(words) or None))
    return found


def extract_html(text: str) -> list[Link]:
    """Every cited URL in an HTML document, sorted by position (see the module docstring)."""
    starts = line_starts(text)
    links = []
    for start, end, url, syntax, element, words in sorted(scan_html(text)):
        links.append(
            link_at(text, starts, (start, end), url, LinkKind.ATTRIBUTE, syntax=syntax, text=words, element=element)
        )
    return links
