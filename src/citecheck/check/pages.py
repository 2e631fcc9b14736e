"""What the start of an HTML page says about itself: title, meta refresh, canonical, and tells.

Every checked page is read, so the reader is a hand-written scanner over the first 128 KiB that
stops as soon as it knows the facts, rather than a parser building a tree (issue #10: bs4 took
tens of milliseconds per article). It gives what bs4 with ``html.parser`` gave on the same text;
``tests/pages_oracle.py`` keeps that reader and ``tests/test_pages.py`` compares the two.

The fingerprint (a count of visible text) is only compared when a host answers a made-up path
with a 2xx page, so it is computed on demand: the common path (:mod:`.skim`) reads only the
title, heading, refresh and canonical, skipping what cannot hold them; :mod:`.scanner` reads
everything when the fingerprint is wanted, or when the fast path is unsure.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .scanner import _HEADING_MAX, _VISIBLE, PARSE_LIMIT, scan
from .skim import skim

if TYPE_CHECKING:
    from ..net.exchange import Exchange

__all__ = ["PageFacts", "looks_like_challenge", "looks_not_found", "page_facts", "read_page"]

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


@dataclass(frozen=True, slots=True, kw_only=True)
class PageFacts:
    title: str = ""
    heading: str = ""
    #: ``(delay in seconds, absolute target)`` of a ``<meta http-equiv="refresh">``.
    refresh: tuple[float, str] | None = None
    canonical: str | None = None
    #: A short fingerprint of the page's visible start, to compare with a host's 404 page
    #: ("" unless asked for: see :func:`read_page`).
    fingerprint: str = ""


def read_page(body: str, base_url: str, *, fingerprint: bool = False) -> PageFacts:
    """Facts from the start of an HTML page (relative URLs made absolute against ``base_url``).

    The fingerprint costs a count of the page's visible text, so it is "" unless ``fingerprint``.
    """
    text = body[:PARSE_LIMIT]
    read = None if fingerprint else skim(text, base_url)
    if read is None:
        read = scan(text, base_url, count=fingerprint)
        assert read is not None  # only a local scan gives up
    title = " ".join(" ".join(read.title_parts).split())
    heading = " ".join(" ".join(read.heading_parts).split())[:_HEADING_MAX]
    stamp = ""
    if fingerprint:
        shown = min(max(read.visible - 1, 0), _VISIBLE)
        stamp = hashlib.sha1(f"{title}\n{heading}\n{shown // 64}".encode()).hexdigest()[:16]
    return PageFacts(title=title, heading=heading, refresh=read.refresh, canonical=read.canonical, fingerprint=stamp)


def page_facts(answer: Exchange, *, fingerprint: bool = False) -> PageFacts | None:
    """Facts from an answer's page, or None when it has none to read (HEAD, empty, not HTML)."""
    if answer.method != "GET" or not answer.body or not answer.is_html:
        return None
    return read_page(answer.text(), answer.url, fingerprint=fingerprint)


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
