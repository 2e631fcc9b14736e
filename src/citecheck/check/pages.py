"""What the start of an HTML page says about itself: title, meta refresh, canonical, and tells.

Only the first bytes are parsed (bs4 with ``html.parser``): enough for ``<head>`` and the first
heading, cheap enough to do for every checked page.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin

if TYPE_CHECKING:
    from ..net.exchange import Exchange

__all__ = ["PageFacts", "looks_like_challenge", "looks_not_found", "page_facts", "read_page"]

_PARSE_LIMIT = 128 * 1024

# "Page not found" in the languages citations come in, matched in the title and first heading.
# Only phrases that an article would not use as a headline: "not found" alone counts only when
# it is a whole segment of the title ("Not Found | Example News"), never inside a sentence.
_NOT_FOUND = re.compile(
    r"page not found|404 not found|error 404|404 error|file not found|page (?:does not|doesn't|could not|cannot) "
    r"(?:exist|be found)|seite nicht gefunden|seite wurde nicht gefunden|fehler 404|"
    r"página no encontrada|pagina no encontrada|página não encontrada|pagina nao encontrada|"
    r"page introuvable|page non trouvée|erreur 404|pagina non trovata|pagina niet gevonden|"
    r"strona nie została znaleziona|страница не найдена|ошибка 404|сторінку не знайдено|"
    r"ページが見つかりません|找不到页面|页面不存在|페이지를 찾을 수 없습니다|sayfa bulunamadı|"
    r"sidan kunde inte hittas|siden blev ikke fundet|sivua ei löytynyt",
    re.IGNORECASE,
)
_SEGMENTS = re.compile(r"\s+[|\-–—:·»]\s+|\s*[|·»]\s*")
_BARE_SEGMENTS = {"404", "not found", "404 not found", "nicht gefunden", "no encontrado", "introuvable"}
_CHALLENGE_TITLES = re.compile(
    r"just a moment|attention required|checking your browser|verify you are human|ddos-guard|"
    r"access denied|are you a robot|captcha|security check",
    re.IGNORECASE,
)
_REFRESH = re.compile(r"^\s*(\d+(?:\.\d+)?)?\s*(?:[;,]\s*(?:url\s*=\s*)?(.*))?$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True, kw_only=True)
class PageFacts:
    title: str = ""
    heading: str = ""
    #: ``(delay in seconds, absolute target)`` of a ``<meta http-equiv="refresh">``.
    refresh: tuple[float, str] | None = None
    canonical: str | None = None
    #: A short fingerprint of the page's visible start, to compare with a host's 404 page.
    fingerprint: str = ""


def read_page(body: str, base_url: str) -> PageFacts:
    """Facts from the start of an HTML page (relative URLs made absolute against ``base_url``)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(body[:_PARSE_LIMIT], "html.parser")
    title_tag = soup.find("title")
    title = " ".join(title_tag.get_text(" ").split()) if title_tag else ""
    heading_tag = soup.find(["h1", "h2"])
    heading = " ".join(heading_tag.get_text(" ").split())[:300] if heading_tag else ""
    refresh = None
    for meta in soup.find_all("meta"):
        if str(meta.get("http-equiv", "")).strip().lower() != "refresh":
            continue
        match = _REFRESH.match(str(meta.get("content", "")))
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


def page_facts(answer: Exchange) -> PageFacts | None:
    """Facts from an answer's page, or None when it has none to read (HEAD, empty, not HTML)."""
    if answer.method != "GET" or not answer.body or not answer.is_html:
        return None
    return read_page(answer.text(), answer.url)


def looks_not_found(facts: PageFacts) -> bool:
    """A 200 page whose title or first heading says "not found" in some language."""
    for text in (facts.title, facts.heading):
        if _NOT_FOUND.search(text):
            return True
        if any(segment.strip(" .!").lower() in _BARE_SEGMENTS for segment in _SEGMENTS.split(text)):
            return True
    return False


def looks_like_challenge(facts: PageFacts) -> bool:
    """A bot wall's interstitial ("Just a moment...", captcha) rather than the cited page."""
    return bool(_CHALLENGE_TITLES.search(facts.title))
