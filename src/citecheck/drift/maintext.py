"""A page's main text: the article, without what surrounds it on every page of a site.

Navigation, related-story lists, ads, cookie banners, footers, scripts and timestamps change with
a site's template, not with what the cited page says; counting them as drift would call every
redesign a rewrite. Two extractors:

* ``trafilatura`` (the reference, and the default): a maintained extractor that scores blocks by
  text and link density with many site-specific rules. It is the ``drift`` extra, imported on
  first use.
* ``density``: a small heuristic on BeautifulSoup (already a dependency): drop scripts, styles and
  page furniture (``nav``, ``header``, ``footer``, ``aside``, forms, and elements whose class or
  id names a banner, ad, menu or related list), then keep the ``<article>``, else the ``<main>``,
  else the element whose direct paragraphs hold the most text.

``benchmarks/bench_drift.py`` measures both on pages with all of that furniture; see
``docs/archiving.md`` ("Content drift") for the figures and why trafilatura is the default.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..core.errors import CitecheckError

__all__ = ["EXTRACTORS", "ExtractorMissing", "main_text", "require_extractor"]

#: Extractor names, the default first.
EXTRACTORS = ("trafilatura", "density")

_INSTALL = "pip install 'citecheck[drift]'"


class ExtractorMissing(CitecheckError):
    """The main-text extractor is not installed: the message says which extra brings it."""


def require_extractor(name: str = "trafilatura") -> None:
    """Raise :class:`ExtractorMissing` unless extractor ``name`` can run here."""
    if name == "trafilatura":
        _trafilatura()
    elif name not in EXTRACTORS:
        raise ValueError(f"unknown main-text extractor {name!r}: choose one of {', '.join(EXTRACTORS)}")


def _trafilatura() -> Any:
    try:
        import trafilatura
    except ImportError as exc:
        raise ExtractorMissing(f"comparing content drift needs trafilatura: {_INSTALL}") from exc
    return trafilatura


def main_text(html: str, extractor: str = "trafilatura") -> str:
    """The main text of an HTML page, paragraphs on lines of their own ("" when none is found)."""
    return _EXTRACT[extractor](html)


def _with_trafilatura(html: str) -> str:
    trafilatura = _trafilatura()
    text = trafilatura.extract(
        html,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        deduplicate=False,
        with_metadata=False,
    )
    return text or ""


# Page furniture by element name, and by a class or id that names it.
_FURNITURE_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "svg",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "button",
    "time",
)
_FURNITURE_NAMES = re.compile(
    r"(?:^|[-_\s])(?:ad|ads|advert\w*|banner|cookie\w*|consent|gdpr|menu|nav\w*|related|promo\w*|"
    r"share|social|newsletter|subscribe|sidebar|footer|header|breadcrumbs?|comments?|popup|modal)(?:$|[-_\s])",
    re.IGNORECASE,
)
_TEXT_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre")


def _with_density(html: str) -> str:
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(_FURNITURE_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        if not isinstance(tag, Tag) or tag.decomposed:
            continue
        names = " ".join([*tag.get_attribute_list("class"), str(tag.get("id") or "")])
        if names.strip() and _FURNITURE_NAMES.search(names):
            tag.decompose()
    root: Tag | None = None
    for name in ("article", "main"):
        found = soup.find(name)
        if isinstance(found, Tag):
            root = found
            break
    if root is None:
        best, best_size = None, 0
        for paragraph in soup.find_all("p"):
            parent = paragraph.parent
            if not isinstance(parent, Tag) or parent is best:
                continue
            size = sum(len(p.get_text()) for p in parent.find_all("p", recursive=False))
            if size > best_size:
                best, best_size = parent, size
        root = best
    if root is None:
        return ""
    lines = (" ".join(block.get_text(" ").split()) for block in root.find_all(_TEXT_BLOCKS))
    return "\n".join(line for line in lines if line)


_EXTRACT: dict[str, Callable[[str], str]] = {"trafilatura": _with_trafilatura, "density": _with_density}
