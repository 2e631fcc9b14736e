"""The page reader as it was before issue #10: bs4 with ``html.parser``, kept as the test oracle.

``citecheck.check.pages.read_page`` replaced it with a hand-written scanner (and a fast path); the differential
tests in ``test_pages.py`` (and ``benchmarks/bench_pages.py``) compare the two. Imported as
``pages_oracle``, like ``fakeweb``.
"""

from __future__ import annotations

import hashlib
import warnings
from urllib.parse import urljoin

from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

from citecheck.check.pages import PageFacts
from citecheck.check.scanner import PARSE_LIMIT, REFRESH

__all__ = ["read_page_bs4"]


def read_page_bs4(body: str, base_url: str) -> PageFacts:
    """Facts from the start of an HTML page, the old (slow, tree-building) way."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(body[:PARSE_LIMIT], "html.parser")
    title_tag = soup.find("title")
    title = " ".join(title_tag.get_text(" ").split()) if title_tag else ""
    heading_tag = soup.find(["h1", "h2"])
    heading = " ".join(heading_tag.get_text(" ").split())[:300] if heading_tag else ""
    refresh = None
    for meta in soup.find_all("meta"):
        if str(meta.get("http-equiv", "")).strip().lower() != "refresh":
            continue
        match = REFRESH.match(str(meta.get("content", "")))
        if match and match.group(2):
            target = match.group(2).strip().strip("'\"").strip()
            if target:
                refresh = (float(match.group(1) or 0), urljoin(base_url, target))
                break
    canonical = None
    for link in soup.find_all("link"):
        rel = link.get("rel")
        rels = [r.lower() for r in rel] if isinstance(rel, list) else str(rel or "").lower().split()
        href = link.get("href")
        if "canonical" in rels and isinstance(href, str) and href.strip():
            canonical = urljoin(base_url, href.strip())
            break
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    visible = " ".join(soup.get_text(" ").split())[:2000]
    fingerprint = hashlib.sha1(f"{title}\n{heading}\n{len(visible) // 64}".encode()).hexdigest()[:16]
    return PageFacts(title=title, heading=heading, refresh=refresh, canonical=canonical, fingerprint=fingerprint)
