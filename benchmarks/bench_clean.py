#!/usr/bin/env python3
"""Benchmark :func:`citecheck.clean_url` against a bare ``urllib.parse`` round trip.

Run from the repository root with the package installed::

    python benchmarks/bench_clean.py                 # 100,000 URLs, best of 5
    python benchmarks/bench_clean.py --count 20000 --repeats 3
    python benchmarks/bench_clean.py --json > figures.json   # report on stderr, JSON on stdout

Everything runs in one process: a seeded generator builds a corpus of realistic citation URLs
(trackers, content parameters, redirect wrappers, site rules, fragments, odd hosts), then the
candidates are timed with :func:`time.perf_counter`, best of N passes over the whole corpus,
rounds interleaved so that drift on a busy machine hits every candidate alike. The headline is
the ratio ``clean_url`` URLs/s over ``urllib`` URLs/s (target: at least 3.0x). Nothing here
asserts on time: the script always exits 0 unless it is misused.

See ``benchmarks/README.md`` and ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

import citecheck

# ---------------------------------------------------------------------------------------------
# Vocabulary for the generator
# ---------------------------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


#: Registered domains, roughly by popularity as citation targets (the order feeds a Zipf weight).
DOMAINS: tuple[str, ...] = _words(
    """
    wikipedia.org nytimes.com theguardian.com bbc.co.uk bbc.com reuters.com washingtonpost.com
    cnn.com apnews.com bloomberg.com ft.com economist.com wsj.com npr.org aljazeera.com
    independent.co.uk telegraph.co.uk latimes.com usatoday.com nbcnews.com cbsnews.com abcnews.go.com
    foxnews.com politico.com theatlantic.com newyorker.com vox.com axios.com huffpost.com
    businessinsider.com forbes.com cnbc.com marketwatch.com time.com newsweek.com slate.com
    salon.com thehill.com propublica.org theverge.com wired.com arstechnica.com techcrunch.com
    engadget.com zdnet.com cnet.com theregister.com venturebeat.com mashable.com gizmodo.com
    vice.com buzzfeednews.com spiegel.de zeit.de faz.net sueddeutsche.de tagesschau.de welt.de
    heise.de golem.de lemonde.fr lefigaro.fr liberation.fr francetvinfo.fr elpais.com elmundo.es
    corriere.it repubblica.it lastampa.it nrc.nl volkskrant.nl nos.nl svt.se dn.se aftenposten.no
    yle.fi dr.dk rte.ie irishtimes.com scotsman.com smh.com.au abc.net.au theage.com.au
    nzherald.co.nz stuff.co.nz cbc.ca theglobeandmail.com thestar.com hindustantimes.com
    timesofindia.indiatimes.com thehindu.com scmp.com japantimes.co.jp asahi.com nhk.or.jp
    koreaherald.com straitstimes.com dawn.com haaretz.com timesofisrael.com dw.com france24.com
    euronews.com rfi.fr nature.com science.org sciencedirect.com springer.com wiley.com
    cell.com thelancet.com nejm.org bmj.com jamanetwork.com plos.org arxiv.org biorxiv.org
    medrxiv.org ncbi.nlm.nih.gov pubmed.ncbi.nlm.nih.gov nih.gov cdc.gov who.int europa.eu
    un.org worldbank.org imf.org oecd.org gov.uk parliament.uk legislation.gov.uk ons.gov.uk
    nasa.gov noaa.gov usgs.gov census.gov bls.gov congress.gov supremecourt.gov whitehouse.gov
    state.gov justice.gov ec.europa.eu bundestag.de bundesregierung.de gouvernement.fr
    canada.ca gc.ca australia.gov.au jstor.org researchgate.net semanticscholar.org
    acm.org ieee.org ietf.org w3.org mozilla.org python.org github.com gitlab.com
    stackoverflow.com stackexchange.com medium.com substack.com wordpress.com blogspot.com
    tumblr.com github.io readthedocs.io youtube.com youtu.be vimeo.com twitch.tv
    twitter.com x.com facebook.com instagram.com linkedin.com reddit.com tiktok.com
    pinterest.com quora.com archive.org web.archive.org britannica.com history.com
    smithsonianmag.com nationalgeographic.com scientificamerican.com newscientist.com
    livescience.com space.com phys.org sciencedaily.com eurekalert.org theconversation.com
    brookings.edu rand.org pewresearch.org cfr.org chathamhouse.org carnegieendowment.org
    harvard.edu mit.edu stanford.edu berkeley.edu ox.ac.uk cam.ac.uk ucl.ac.uk ethz.ch
    imdb.com rottentomatoes.com metacritic.com allmusic.com discogs.com billboard.com
    rollingstone.com pitchfork.com variety.com hollywoodreporter.com espn.com skysports.com
    goal.com uefa.com fifa.com olympics.com amazon.com amazon.co.uk amazon.de amazon.fr
    amazon.co.jp amazon.ca amazon.in amazon.com.au ebay.com etsy.com walmart.com target.com
    bestbuy.com goodreads.com books.google.com play.google.com apple.com microsoft.com
    support.microsoft.com developer.mozilla.org docs.python.org cloud.google.com aws.amazon.com
    spotify.com soundcloud.com bandcamp.com flickr.com imgur.com scribd.com slideshare.net
    issuu.com academia.edu ssrn.com osf.io zenodo.org figshare.com orcid.org doi.org
    crossref.org hathitrust.org gutenberg.org loc.gov nationalarchives.gov.uk bl.uk
    bnf.fr dnb.de europeana.eu wikimedia.org wikidata.org wiktionary.org fandom.com
    mayoclinic.org webmd.com healthline.com clevelandclinic.org hopkinsmedicine.org
    nhs.uk ema.europa.eu fda.gov epa.gov energy.gov iea.org irena.org ipcc.ch unfccc.int
    carbonbrief.org climate.gov weather.gov metoffice.gov.uk statista.com ourworldindata.org
    tradingeconomics.com investopedia.com morningstar.com fool.com seekingalpha.com
    yahoo.com news.yahoo.com finance.yahoo.com msn.com aol.com
    """
)

#: Hosts with Unicode labels (IDN), written as a user would paste them.
IDN_HOSTS: tuple[str, ...] = (
    "bücher.de",
    "münchen.de",
    "www.zürich.ch",
    "例え.jp",
    "пример.рф",
    "www.köln.de",
    "españa.com",
    "ουτοπία.δπθ.gr",
    "xn--bcher-kva.de",
    "www.xn--mnchen-3ya.de",
)

COMMON_SUBDOMAINS: tuple[str, ...] = (
    "m",
    "en",
    "de",
    "fr",
    "blog",
    "news",
    "docs",
    "edition",
    "amp",
    "shop",
    "support",
    "developer",
    "research",
    "static",
    "mobile",
    "beta",
    "api",
    "help",
    "about",
    "press",
)

#: Platforms where each user gets a subdomain: the main source of distinct hosts.
USER_PLATFORMS: tuple[str, ...] = (
    "github.io",
    "substack.com",
    "medium.com",
    "blogspot.com",
    "wordpress.com",
    "tumblr.com",
    "readthedocs.io",
    "fandom.com",
)

WORDS: tuple[str, ...] = _words(
    """
    climate policy election budget vaccine study report market energy science health court
    ruling war peace trade housing inflation economy school water river ocean forest fire
    storm data privacy security software open source research history museum music film
    review interview analysis opinion letter world europe asia africa america local city
    council transport rail bus bike road airport space moon mars satellite telescope quantum
    ai model chip battery solar wind nuclear gas oil coal carbon tax wage jobs union strike
    protest law bill senate house vote poll survey census crime police prison migration
    border refugee food farm drought flood heat cold virus cancer heart brain sleep diet
    """
)

#: Generic trackers and how their values look. Names the built-in rules do not know are kept
#: on purpose: the corpus is what the web sends, not what the rules cover.
GENERIC_TRACKERS: tuple[str, ...] = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "utm_id",
    "fbclid",
    "gclid",
    "gclsrc",
    "dclid",
    "gbraid",
    "wbraid",
    "_gl",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "igshid",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "yclid",
    "twclid",
    "ttclid",
    "li_fat_id",
    "oly_enc_id",
    "oly_anon_id",
    "vero_id",
    "wickedid",
    "rb_clickid",
    "s_cid",
    "cmpid",
    "ncid",
    "ocid",
    "xtor",
)
_TRACKER_WEIGHTS: tuple[int, ...] = (
    30,
    28,
    26,
    6,
    8,
    2,
    20,
    12,
    2,
    1,
    2,
    2,
    3,
    5,
    4,
    4,
    5,
    3,
    2,
    2,
    2,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    2,
    2,
    2,
    2,
)

UTM_SOURCES = ("twitter", "facebook", "newsletter", "rss", "google", "linkedin", "reddit", "t.co", "email", "push")
UTM_MEDIUMS = ("social", "email", "cpc", "referral", "organic", "feed", "app", "display")
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
B64 = ALNUM + "-_"
HEX = "0123456789abcdef"


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Corpus:
    urls: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    with_tracker: list[bool] = field(default_factory=list)
    wrapped: list[bool] = field(default_factory=list)


class CorpusGenerator:
    """Deterministic, realistic citation URLs from one seeded :class:`random.Random`."""

    #: (kind, weight) of each family of URL.
    KINDS: tuple[tuple[str, int], ...] = (
        ("clean", 16),  # no query at all (maybe a fragment)
        ("content", 16),  # content parameters only
        ("tracked", 38),  # content parameters and generic trackers
        ("wrapper", 9),  # a redirect wrapper around a (usually tracked) URL
        ("site", 19),  # site-rule territory: BBC, YouTube, Amazon, Twitter/X, NYT
        ("odd", 2),  # IDN hosts, explicit ports, odd encodings
    )

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        n = len(DOMAINS)
        self._domain_cum = _cumulative([1.0 / (rank + 1) ** 0.9 for rank in range(n)])
        self._tracker_cum = _cumulative([float(w) for w in _TRACKER_WEIGHTS])
        self._kind_cum = _cumulative([float(w) for _, w in self.KINDS])

    # -- small pieces -----------------------------------------------------------------------

    def token(self, n: int, alphabet: str = ALNUM) -> str:
        return "".join(self.rng.choices(alphabet, k=n))

    def domain(self) -> str:
        return self.rng.choices(DOMAINS, cum_weights=self._domain_cum)[0]

    def host(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.07:
            user = f"{rng.choice(WORDS)}{rng.choice(WORDS)}{rng.randint(1, 400)}"
            return f"{user}.{rng.choice(USER_PLATFORMS)}"
        domain = self.domain()
        if domain.count(".") >= 2 and not domain.endswith((".co.uk", ".com.au", ".co.jp", ".co.nz", ".gov.uk")):
            return domain  # already a host such as news.yahoo.com
        if roll < 0.60:
            return "www." + domain
        if roll < 0.78:
            return domain
        if roll < 0.95:
            return f"{rng.choice(COMMON_SUBDOMAINS)}.{domain}"
        return f"{rng.choice(WORDS)}{rng.randint(1, 60)}.{domain}"

    def slug(self, lo: int = 2, hi: int = 7) -> str:
        return "-".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(lo, hi)))

    def path(self) -> str:
        rng = self.rng
        shape = rng.random()
        if shape < 0.06:
            return rng.choice(("", "/"))
        if shape < 0.35:
            year, month, day = rng.randint(2005, 2025), rng.randint(1, 12), rng.randint(1, 28)
            tail = rng.choice(("", ".html", "/", ".htm"))
            return f"/{year}/{month:02d}/{day:02d}/{rng.choice(WORDS)}/{self.slug()}{tail}"
        if shape < 0.55:
            return f"/{rng.choice(WORDS)}/{self.slug()}-{rng.randint(10_000_000, 99_999_999)}"
        if shape < 0.70:
            title = rng.choice(WORDS).title() + "_" + rng.choice(("(film)", "Ångström", "de São Paulo", "crisis"))
            return f"/wiki/{quote(title)}"
        if shape < 0.80:
            return f"/articles/{rng.randint(1000, 999_999)}"
        if shape < 0.90:
            return f"/doi/10.{rng.randint(1000, 9999)}/{self.token(8).lower()}"
        segments = [rng.choice(WORDS) for _ in range(rng.randint(1, 4))]
        return "/" + "/".join(segments) + rng.choice(("", "/", ".php", ".aspx", ".pdf"))

    def tracker_pair(self) -> str:
        rng = self.rng
        name = rng.choices(GENERIC_TRACKERS, cum_weights=self._tracker_cum)[0]
        if name == "utm_source":
            value = rng.choice(UTM_SOURCES)
        elif name == "utm_medium":
            value = rng.choice(UTM_MEDIUMS)
        elif name.startswith("utm_"):
            value = quote_plus(f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.randint(2019, 2025)}")
        elif name == "fbclid":
            value = "IwAR" + self.token(rng.randint(40, 60), B64)
        elif name in ("gclid", "dclid", "gbraid", "wbraid"):
            value = "Cj0KCQ" + self.token(rng.randint(50, 80), B64)
        elif name == "_gl":
            value = f"1*{self.token(6).lower()}*_ga*{self.token(24, B64)}*_ga_{self.token(10)}*{self.token(30, B64)}"
            value = value.replace("*", rng.choice(("*", "%2A")))
        elif name == "msclkid":
            value = self.token(32, HEX)
        elif name in ("mc_cid", "mc_eid"):
            value = self.token(10, HEX)
        elif name == "_hsenc":
            value = "p2ANqtz-" + self.token(70, B64)
        elif name == "mkt_tok":
            value = self.token(60, B64) + "%3D%3D"
        elif name == "yclid":
            value = str(rng.randint(10**15, 10**18))
        elif name == "xtor":
            value = f"AL-{rng.randint(1, 99)}-%5B{rng.choice(WORDS)}%5D"
        else:
            value = self.token(rng.randint(8, 24), B64)
        case = rng.random()
        if case < 0.02:
            name = name.upper()
        elif case < 0.03:
            name = name.replace("_", "%5F")
        elif case < 0.035:
            name = "amp;" + name  # HTML-escaped '&amp;' pasted verbatim
        return f"{name}={value}"

    def content_pair(self) -> str:
        rng = self.rng
        kind = rng.randint(0, 17)
        if kind == 0:
            return f"id={rng.randint(1, 9_999_999)}"
        if kind == 1:
            return f"p={rng.randint(1, 99_999)}"
        if kind == 2:
            return f"page={rng.randint(1, 40)}"
        if kind == 3:
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))
            if rng.random() < 0.3:
                words += rng.choice((" café", " naïve", " 東京", " C++", " 50%", " a&b", " x=y"))
            return "q=" + (quote_plus(words) if rng.random() < 0.8 else quote(words))
        if kind == 4:
            return f"v={self.token(11, B64)}"
        if kind == 5:
            return f"t={rng.randint(1, 3600)}{rng.choice(('', 's'))}"
        if kind == 6:
            return f"list=PL{self.token(32, B64)}"
        if kind == 7:
            return f"lang={rng.choice(('en', 'de', 'fr', 'es', 'pt-BR', 'zh-Hans'))}"
        if kind == 8:
            return f"sort={rng.choice(('asc', 'desc', 'date', 'relevance'))}"
        if kind == 9:
            name = rng.choice(("articleId", "article_id", "story_fbid", "docid", "itemId"))
            return f"{name}={rng.randint(10**5, 10**10)}"
        if kind == 10:
            return f"{rng.choice(('tag', 'cat', 'topic'))}={rng.choice(WORDS)}"  # often repeated
        if kind == 11:
            return rng.choice(("amp", "print", "full", "nojs", "m"))  # a bare key
        if kind == 12:
            return f"{rng.choice(('ref', 'source', 'from'))}={rng.choice(WORDS)}"  # ambiguous on purpose
        if kind == 13:
            return f"date={rng.randint(2000, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        if kind == 14:
            return f"filter%5B{rng.choice(WORDS)}%5D={rng.choice(WORDS)}"
        if kind == 15:
            return f"redirect={quote('/' + rng.choice(WORDS) + '/' + rng.choice(WORDS), safe='')}"
        if kind == 16:
            return f"s={quote_plus(rng.choice(WORDS) + ' ' + rng.choice(WORDS))}"
        return f"{rng.choice(WORDS)}={rng.choice(('', 'true', '1', '0', self.token(6)))}"

    def join_query(self, pairs: list[str]) -> str:
        """Shuffle lightly and join, sometimes with empty pairs (``&&``) or a trailing ``&``."""
        rng = self.rng
        if len(pairs) > 1 and rng.random() < 0.5:
            rng.shuffle(pairs)
        if rng.random() < 0.06 and pairs:
            pairs.insert(rng.randint(0, len(pairs)), "")
        if rng.random() < 0.04 and pairs:
            pairs.append(pairs[rng.randrange(len(pairs))])  # repeated pair
        query = "&".join(pairs)
        if rng.random() < 0.03:
            query += "&"
        return query

    def fragment(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.82:
            return ""
        if roll < 0.90:
            anchor = rng.choice(("section-", "comments", "ref", "cite_note-", "h.", "top", ""))
            return f"#{anchor}{rng.randint(1, 40)}"
        if roll < 0.94:
            return f"#Echobox={rng.randint(1_500_000_000, 1_750_000_000)}"
        if roll < 0.97:
            return f"#:~:text={quote(rng.choice(WORDS) + ' ' + rng.choice(WORDS))}"
        if roll < 0.985:
            return f"#utm_source={rng.choice(UTM_SOURCES)}&utm_medium={rng.choice(UTM_MEDIUMS)}"
        return rng.choice(("#/", "#!/")) + rng.choice(WORDS) + f"?tab={rng.randint(1, 5)}"

    def decorate(self, scheme: str, host: str) -> tuple[str, str]:
        """Uppercase hosts and schemes, explicit default ports: what a copy-paste brings."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.03:
            host = host.upper()
        elif roll < 0.06:
            host = ".".join(label.capitalize() for label in host.split("."))
        if rng.random() < 0.01:
            scheme = scheme.upper()
        port_roll = rng.random()
        if port_roll < 0.03:
            host += ":443" if scheme.lower() == "https" else ":80"
        elif port_roll < 0.035:
            host += f":{rng.choice((8080, 8443, 3000))}"
        return scheme, host

    def scheme(self) -> str:
        return "https" if self.rng.random() < 0.93 else "http"

    # -- whole URLs ---------------------------------------------------------------------------

    def tracked(self, host: str | None = None, *, trackers: bool = True) -> str:
        rng = self.rng
        scheme, netloc = self.decorate(self.scheme(), host or self.host())
        pairs = [self.content_pair() for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3, 4)))]
        if trackers:
            pairs += [self.tracker_pair() for _ in range(rng.choice((1, 1, 2, 3, 3, 3, 4, 5)))]
        query = self.join_query(pairs)
        return f"{scheme}://{netloc}{self.path()}?{query}{self.fragment()}"

    def clean(self) -> str:
        scheme, netloc = self.decorate(self.scheme(), self.host())
        return f"{scheme}://{netloc}{self.path()}{self.fragment()}"

    def odd(self) -> str:
        rng = self.rng
        host = rng.choice(IDN_HOSTS)
        roll = rng.random()
        if roll < 0.5:
            return self.tracked(host, trackers=rng.random() < 0.6)
        if roll < 0.7:
            return f"https://{host}:443/{quote(rng.choice(('straße', 'café', 'über uns')))}?id={rng.randint(1, 99)}"
        if roll < 0.85:
            return f"HTTPS://User@{self.host().upper()}:443/{self.slug(1, 3)}?UTM_SOURCE=X&Id=1"
        return f"http://{self.host()}/search?q={quote_plus('a+b & c=d')}&&&utm_medium=email&&"

    def wrapper(self) -> str:
        rng = self.rng
        target = self.tracked() if rng.random() < 0.8 else self.clean()
        enc = quote(target, safe="")
        roll = rng.random()
        if roll < 0.35:
            google = rng.choice(
                ("www.google.com", "www.google.co.uk", "google.com", "www.google.de", "www.google.com.au")
            )
            if rng.random() < 0.5:
                usg = self.token(28, B64)
                return f"https://{google}/url?q={enc}&sa=D&source=editors&ust={rng.randint(10**15, 10**16)}&usg={usg}"
            ved = "2ahUKEwi" + self.token(40, B64)
            usg = self.token(28, B64)
            return f"https://{google}/url?sa=t&rct=j&q=&esrc=s&source=web&cd=&ved={ved}&url={enc}&usg={usg}"
        if roll < 0.55:
            fb = rng.choice(("l.facebook.com", "lm.facebook.com", "www.facebook.com"))
            return f"https://{fb}/l.php?u={enc}&h=AT{self.token(60, B64)}"
        if roll < 0.65:
            post, token = self.token(6).lower(), self.token(40, B64)
            return f"https://out.reddit.com/t3_{post}?url={enc}&token=AQAA{token}&app_name=web2x"
        if roll < 0.78:
            token = "QUFFLUhqbX" + self.token(60, B64)
            return (
                f"https://www.youtube.com/redirect?event=video_description&redir_token={token}"
                f"&q={enc}&v={self.token(11, B64)}"
            )
        if roll < 0.92:
            region = rng.choice(("nam12", "eur01", "eur02", "gbr01", "apc01", "nam04"))
            mailbox = f"{self.token(8).lower()}%40{rng.choice(DOMAINS)}"
            data = f"05%7C01%7C{mailbox}%7C{self.token(32, HEX)}%7C0%7C0%7C{rng.randint(10**17, 10**18)}"
            return (
                f"https://{region}.safelinks.protection.outlook.com/?url={enc}&data={data}"
                f"&sdata={self.token(43, B64)}%3D&reserved=0"
            )
        return (
            f"https://urldefense.proofpoint.com/v2/url?u={_proofpoint_v2(target)}&d=DwMFaQ&c={self.token(43, B64)}"
            f"&r={self.token(43, B64)}&m={self.token(43, B64)}&s={self.token(43, B64)}&e="
        )

    def site(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.22:
            return self.bbc()
        if roll < 0.46:
            return self.youtube()
        if roll < 0.66:
            return self.amazon()
        if roll < 0.83:
            return self.twitter()
        return self.nytimes()

    def bbc(self) -> str:
        rng = self.rng
        host = rng.choice(("www.bbc.co.uk", "www.bbc.com", "bbc.co.uk", "www.bbc.com", "m.bbc.co.uk"))
        section = rng.choice(("news", "sport", "future", "worklife"))
        path = f"/{section}/{rng.choice(WORDS)}-{rng.randint(10_000_000, 69_999_999)}"
        pairs: list[str] = []
        if rng.random() < 0.7:
            pairs += [
                f"at_medium={rng.choice(('RSS', 'social', 'email'))}",
                f"at_campaign={rng.choice(('KARANGA', 'Social_Flow', '64'))}",
            ]
            if rng.random() < 0.4:
                pairs.append(f"at_link_origin={rng.choice(('BBC_News', 'bbcnews'))}&at_ptr_name=twitter")
        if rng.random() < 0.4:
            partner = rng.choice(("bbc.news.twitter", "facebook", "gnl.newsletters"))
            pairs.append(f"xtor=AL-72-%5Bpartner%5D-%5B{partner}%5D")
        if rng.random() < 0.15:
            pairs.append(self.tracker_pair())
        query = ("?" + self.join_query(pairs)) if pairs else ""
        return f"https://{self.decorate('https', host)[1]}{path}{query}{self.fragment()}"

    def youtube(self) -> str:
        rng = self.rng
        vid = self.token(11, B64)
        if rng.random() < 0.25:
            extras = [f"si={self.token(16, B64)}"] + ([f"t={rng.randint(1, 900)}"] if rng.random() < 0.3 else [])
            return f"https://youtu.be/{vid}?{'&'.join(extras)}"
        host = rng.choice(("www.youtube.com", "m.youtube.com", "youtube.com", "music.youtube.com"))
        pairs = [f"v={vid}"]
        if rng.random() < 0.6:
            pairs.append(f"si={self.token(16, B64)}")
        if rng.random() < 0.3:
            pairs.append(f"feature={rng.choice(('share', 'youtu.be', 'emb_logo', 'shared'))}")
        if rng.random() < 0.25:
            pairs.append(f"list=PL{self.token(32, B64)}&index={rng.randint(1, 50)}")
        if rng.random() < 0.2:
            pairs.append(f"t={rng.randint(1, 3600)}s")
        if rng.random() < 0.1:
            pairs.append(self.tracker_pair())
        return f"https://{self.decorate('https', host)[1]}/watch?{self.join_query(pairs)}{self.fragment()}"

    def amazon(self) -> str:
        rng = self.rng
        tld = rng.choice(("com", "com", "com", "co.uk", "de", "fr", "co.jp", "ca", "in", "com.au", "it", "es"))
        asin = "B0" + self.token(8, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        path = f"/{self.slug(2, 6).title()}/dp/{asin}" if rng.random() < 0.8 else f"/dp/{asin}"
        if rng.random() < 0.6:
            path += f"/ref=sr_1_{rng.randint(1, 20)}" if rng.random() < 0.6 else f"/ref=cm_sw_r_tw_dp_{self.token(20)}"
        pairs: list[str] = []
        if rng.random() < 0.5:
            pairs += [
                f"crid={self.token(13, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}",
                f"keywords={quote_plus(self.slug(1, 3).replace('-', ' '))}",
                f"qid={rng.randint(1_600_000_000, 1_750_000_000)}",
                f"sr=8-{rng.randint(1, 20)}",
            ]
        if rng.random() < 0.4:
            pairs.append(f"tag={rng.choice(WORDS)}-{rng.randint(20, 22)}")
        if rng.random() < 0.3:
            pairs += [f"pf_rd_r={self.token(20)}", f"pf_rd_p={self.token(8, HEX)}-{self.token(4, HEX)}"]
        if rng.random() < 0.2:
            pairs.append(f"ref_={rng.choice(('nav_signin', 'ast_sto_dp', 'pd_sim'))}")
        if rng.random() < 0.3:
            pairs += ["th=1", "psc=1"]
        query = ("?" + self.join_query(pairs)) if pairs else ""
        host = rng.choice(("www.", "", "smile.")) + f"amazon.{tld}"
        return f"https://{self.decorate('https', host)[1]}{path}{query}"

    def twitter(self) -> str:
        rng = self.rng
        host = rng.choice(("twitter.com", "x.com", "mobile.twitter.com", "www.twitter.com"))
        path = f"/{rng.choice(WORDS)}{rng.randint(1, 999)}/status/{rng.randint(10**17, 2 * 10**18)}"
        pairs: list[str] = []
        if rng.random() < 0.6:
            pairs.append(f"s={rng.choice((20, 21, 19, 46))}")
        if rng.random() < 0.5:
            pairs.append(f"t={self.token(22, B64)}")
        if rng.random() < 0.1:
            pairs.append("ref_src=twsrc%5Etfw%7Ctwcamp%5Etweetembed")
        query = ("?" + self.join_query(pairs)) if pairs else ""
        return f"https://{self.decorate('https', host)[1]}{path}{query}"

    def nytimes(self) -> str:
        rng = self.rng
        date = f"{rng.randint(2010, 2025)}/{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}"
        path = f"/{date}/{rng.choice(WORDS)}/{self.slug()}.html"
        pairs: list[str] = []
        if rng.random() < 0.7:
            pairs.append(f"smid={rng.choice(('tw-share', 'fb-share', 'nytcore-ios-share', 'url-share', 'em-share'))}")
        if rng.random() < 0.3:
            pairs.append("referringSource=articleShare")
        if rng.random() < 0.2:
            pairs.append(f"unlocked_article_code={self.token(20, B64)}")
        if rng.random() < 0.1:
            pairs.append(self.tracker_pair())
        query = ("?" + self.join_query(pairs)) if pairs else ""
        host = rng.choice(("www.nytimes.com", "nytimes.com", "mobile.nytimes.com"))
        return f"https://{host}{path}{query}{self.fragment()}"

    def generate(self, count: int) -> Corpus:
        corpus = Corpus()
        kinds = [kind for kind, _ in self.KINDS]
        for _ in range(count):
            kind = self.rng.choices(kinds, cum_weights=self._kind_cum)[0]
            if kind == "clean":
                url = self.clean()
            elif kind == "content":
                url = self.tracked(trackers=False)
            elif kind == "tracked":
                url = self.tracked()
            elif kind == "wrapper":
                url = self.wrapper()
            elif kind == "site":
                url = self.site()
            else:
                url = self.odd()
            corpus.urls.append(url)
            corpus.kinds.append(kind)
            corpus.with_tracker.append(_has_known_tracker(url))
            corpus.wrapped.append(kind == "wrapper")
        return corpus


def _cumulative(weights: Sequence[float]) -> list[float]:
    total = 0.0
    out: list[float] = []
    for w in weights:
        total += w
        out.append(total)
    return out


def _proofpoint_v2(url: str) -> str:
    """Proofpoint URL Defense v2 encoding: percent-encode, then '%' becomes '-' and '/' '_'."""
    out: list[str] = []
    for ch in url:
        if ch == "/":
            out.append("_")
        elif ch.isascii() and (ch.isalnum() or ch in ".~"):
            out.append(ch)
        else:
            out.extend(f"-{b:02X}" for b in ch.encode("utf-8"))
    return "".join(out)


#: Every tracker name the corpus uses (generic and site-specific), lowercased, for the stats.
TRACKER_NAMES: frozenset[str] = frozenset(
    {
        *GENERIC_TRACKERS,
        "at_medium",
        "at_campaign",
        "at_link_origin",
        "at_ptr_name",
        "si",
        "feature",
        "tag",
        "ref",
        "pf_rd_r",
        "pf_rd_p",
        "smid",
        "s",
        "t",
        "echobox",
    }
)
#: Site-specific names only count as trackers on their sites (``t`` is content on YouTube).
#: ``name.*`` means that registered name under any suffix.
_SITE_ONLY: dict[str, tuple[str, ...]] = {
    "at_medium": ("bbc.*",),
    "at_campaign": ("bbc.*",),
    "at_link_origin": ("bbc.*",),
    "at_ptr_name": ("bbc.*",),
    "si": ("youtube.com", "youtu.be"),
    "feature": ("youtube.com", "youtu.be"),
    "tag": ("amazon.*",),
    "ref": ("amazon.*",),
    "pf_rd_r": ("amazon.*",),
    "pf_rd_p": ("amazon.*",),
    "smid": ("nytimes.com",),
    "s": ("twitter.com", "x.com"),
    "t": ("twitter.com", "x.com"),
}


def _on_site(host: str, sites: tuple[str, ...]) -> bool:
    host = host.rpartition("@")[2].partition(":")[0]
    for site in sites:
        if site.endswith(".*"):
            if ("." + host).find("." + site[:-1]) >= 0:
                return True
        elif host == site or host.endswith("." + site):
            return True
    return False


def _param_names(url: str) -> tuple[str, list[str]]:
    """(lowercased host, lowercased parameter names of the query and a ``#k=v`` fragment)."""
    base, _, fragment = url.partition("#")
    head, _, query = base.partition("?")
    host = head.partition("://")[2].partition("/")[0].lower()
    pieces = query.split("&") if query else []
    if "=" in fragment and fragment[:1] not in ("/", "!", ":"):
        pieces += fragment.split("&")
    names = []
    for piece in pieces:
        if piece:
            name = piece.partition("=")[0].lower().replace("%5f", "_")
            names.append(name.removeprefix("amp;"))
    return host, names


def _tracker_names_in(url: str) -> list[str]:
    host, names = _param_names(url)
    found = []
    for name in names:
        if name not in TRACKER_NAMES:
            continue
        sites = _SITE_ONLY.get(name)
        if sites is None or _on_site(host, sites):
            found.append(name)
    return found


def _has_known_tracker(url: str) -> bool:
    return bool(_tracker_names_in(url)) or "/ref=" in url


# ---------------------------------------------------------------------------------------------
# The candidates
# ---------------------------------------------------------------------------------------------


def urllib_roundtrip(url: str) -> str:
    """The baseline: what any code that touches the query with the standard library pays."""
    try:
        parts = urlsplit(url)
        query = urlencode(parse_qsl(parts.query, keep_blank_values=True))
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
    except ValueError:
        return url


_CEILING_NAMES = frozenset(GENERIC_TRACKERS)


def split_filter(url: str) -> str:
    """The ceiling: a raw ``&`` split filtered by a set. No parsing, no decoding, no rules."""
    base, hash_, fragment = url.partition("#")
    head, _, query = base.partition("?")
    if not query:
        return url
    names = _CEILING_NAMES
    kept = [p for p in query.split("&") if p and p.partition("=")[0].lower() not in names]
    out = head + "?" + "&".join(kept) if kept else head
    return out + hash_ + fragment


def _fresh_cleaner_clean() -> Callable[[str], str]:
    """A new :class:`citecheck.Cleaner` per pass: the per-host profile cache starts empty."""
    return citecheck.Cleaner().clean


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------


def time_pass(fn: Callable[[str], object], urls: Sequence[str]) -> float:
    """Seconds for one pass over ``urls``, with the cyclic GC paused as :mod:`timeit` does."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for url in urls:
            fn(url)
        return time.perf_counter() - start
    finally:
        if gc_was_enabled:
            gc.enable()


@dataclass(slots=True)
class Timing:
    name: str
    description: str
    seconds: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.seconds)

    def rate(self, count: int) -> float:
        return count / self.best

    def to_dict(self, count: int) -> dict[str, Any]:
        return {
            "description": self.description,
            "best_seconds": round(self.best, 6),
            "median_seconds": round(sorted(self.seconds)[len(self.seconds) // 2], 6),
            "all_seconds": [round(s, 6) for s in self.seconds],
            "urls_per_second": round(self.rate(count), 1),
            "microseconds_per_url": round(1e6 * self.best / count, 3),
        }


def run_rounds(
    candidates: list[tuple[Timing, Callable[[], Callable[[str], object]], int]], urls: Sequence[str]
) -> None:
    """Best-of-N, interleaved: round r times every candidate still due once before round r+1.

    Each candidate comes with its own N; ``make`` is called before every pass (so a candidate
    can start each pass from a fresh state) and is not part of the timed region.
    """
    rounds = max((repeats for _, _, repeats in candidates), default=0)
    for round_no in range(rounds):
        for timing, make, repeats in candidates:
            if round_no < repeats:
                timing.seconds.append(time_pass(make(), urls))


# ---------------------------------------------------------------------------------------------
# Checks and stats
# ---------------------------------------------------------------------------------------------


def digest(values: Sequence[str]) -> str:
    h = hashlib.sha256()
    for value in values:
        h.update(value.encode("utf-8", "surrogatepass"))
        h.update(b"\n")
    return h.hexdigest()


def corpus_stats(corpus: Corpus) -> dict[str, Any]:
    urls = corpus.urls
    n = len(urls)
    hosts = set()
    with_query = with_fragment = uppercase_host = default_port = idn = empty_pairs = 0
    for url in urls:
        base, _, fragment = url.partition("#")
        head, mark, query = base.partition("?")
        if mark and query:
            with_query += 1
            if "&&" in query or query.startswith("&") or query.endswith("&"):
                empty_pairs += 1
        if fragment:
            with_fragment += 1
        netloc = head.partition("://")[2].partition("/")[0]
        hostport = netloc.rpartition("@")[2]
        host, _, port = hostport.partition(":")
        hosts.add(host.lower())
        if host != host.lower():
            uppercase_host += 1
        if port in ("443", "80"):
            default_port += 1
        if not host.isascii() or "xn--" in host.lower():
            idn += 1
    kinds = Counter(corpus.kinds)
    return {
        "urls": n,
        "distinct_hosts": len(hosts),
        "share_with_query": round(with_query / n, 4),
        "share_with_known_tracker": round(sum(corpus.with_tracker) / n, 4),
        "share_wrapped": round(sum(corpus.wrapped) / n, 4),
        "share_with_fragment": round(with_fragment / n, 4),
        "share_with_empty_pairs": round(empty_pairs / n, 4),
        "share_uppercase_host": round(uppercase_host / n, 4),
        "share_default_port": round(default_port / n, 4),
        "share_idn_host": round(idn / n, 4),
        "kinds": {kind: kinds[kind] for kind, _ in CorpusGenerator.KINDS},
        "corpus_sha256": digest(urls),
    }


def output_checks(corpus: Corpus, cold_outputs: list[str], limit: int = 20) -> dict[str, Any]:
    """Changed count, idempotence, determinism, explain/clean agreement, trackers left behind."""
    clean = citecheck.clean_url
    explain = citecheck.explain
    urls = corpus.urls
    warm = [clean(u) for u in urls]
    twice = [clean(c) for c in warm]
    idem_failures = [{"url": u, "once": c, "twice": cc} for u, c, cc in zip(urls, warm, twice, strict=True) if c != cc]
    nondeterministic = [
        {"url": u, "cold": a, "warm": b} for u, a, b in zip(urls, cold_outputs, warm, strict=True) if a != b
    ]
    explain_mismatch = []
    unwrapped = 0
    removed_by_rule: Counter[str] = Counter()
    for u, c in zip(urls, warm, strict=True):
        result = explain(u)
        if result.cleaned != c:
            explain_mismatch.append({"url": u, "clean_url": c, "explain": result.cleaned})
        if result.wrappers:
            unwrapped += 1
        removed_by_rule.update(r.rule for r in result.removed)
    changed_by_kind: Counter[str] = Counter()
    left: Counter[str] = Counter()
    urls_with_leftover = 0
    for u, c, kind in zip(urls, warm, corpus.kinds, strict=True):
        if c != u:
            changed_by_kind[kind] += 1
        names = _tracker_names_in(c)
        if names or "/ref=" in c.partition("?")[0]:
            urls_with_leftover += 1
        left.update(names)
    return {
        "changed": sum(changed_by_kind.values()),
        "changed_by_kind": dict(sorted(changed_by_kind.items())),
        "unwrapped": unwrapped,
        "wrapped_in_corpus": sum(corpus.wrapped),
        "removed_by_rule": dict(removed_by_rule.most_common()),
        "urls_with_tracker_left": urls_with_leftover,
        "tracker_names_left": dict(left.most_common(15)),
        "idempotence_failures": len(idem_failures),
        "idempotence_examples": idem_failures[:limit],
        "nondeterministic": len(nondeterministic),
        "nondeterministic_examples": nondeterministic[:limit],
        "explain_mismatches": len(explain_mismatch),
        "explain_mismatch_examples": explain_mismatch[:limit],
        "output_sha256": digest(warm),
    }


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="URLs in the corpus (default 100000)")
    parser.add_argument("--repeats", type=int, default=5, help="timed passes per candidate, best kept (default 5)")
    parser.add_argument("--seed", type=int, default=20240607, help="corpus seed (default 20240607)")
    parser.add_argument(
        "--context-repeats",
        type=int,
        default=3,
        help="passes for the context candidates (cold cache, ceiling, explain); at most --repeats (default 3)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on stdout (report on stderr)")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the raw split-and-filter ceiling")
    parser.add_argument("--no-explain", action="store_true", help="skip timing citecheck.explain")
    parser.add_argument("--no-checks", action="store_true", help="skip the idempotence/determinism checks")
    parser.add_argument("--samples", type=int, default=0, help="print this many sample URLs with their cleaned form")
    args = parser.parse_args(argv)
    if args.count < 1 or args.repeats < 1 or args.context_repeats < 1:
        parser.error("--count, --repeats and --context-repeats must be at least 1")
    return args


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "citecheck": citecheck.__version__,
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out: TextIO = sys.stderr if args.json else sys.stdout

    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    wall = time.perf_counter()
    started = time.perf_counter()
    corpus = CorpusGenerator(args.seed).generate(args.count)
    generated_in = time.perf_counter() - started
    urls = corpus.urls
    n = len(urls)

    # 1a. Cold: the very first pass in this process builds the default cleaner (reads the rules,
    #     loads the suffix list on first wildcard lookup) and fills the per-host cache.
    clean = citecheck.clean_url
    gc_was_enabled = gc.isenabled()
    gc.disable()
    started = time.perf_counter()
    cold_outputs = [clean(u) for u in urls]
    cold_seconds = time.perf_counter() - started
    if gc_was_enabled:
        gc.enable()

    # Warm the baselines once too, so every timed candidate starts in the same state.
    for fn in (urllib_roundtrip, split_filter):
        time_pass(fn, urls[: min(n, 2000)])
    citecheck.explain(urls[0])

    timings: dict[str, Timing] = {
        "clean_url": Timing("clean_url", "citecheck.clean_url, built-in rules, warm cleaner and host cache"),
        "clean_url_cold_cache": Timing(
            "clean_url_cold_cache", "Cleaner().clean, rules compiled but an empty per-host cache each pass"
        ),
        "urllib": Timing("urllib", "urlsplit + parse_qsl(keep_blank_values=True) + urlencode + urlunsplit"),
    }
    if not args.no_ceiling:
        timings["ceiling"] = Timing("ceiling", "str.split('&') filtered by a set of tracker names, no parsing")
    if not args.no_explain:
        timings["explain"] = Timing("explain", "citecheck.explain (records every removal and rule)")
    makers: dict[str, Callable[[], Callable[[str], object]]] = {
        "clean_url": lambda: clean,
        "clean_url_cold_cache": _fresh_cleaner_clean,
        "urllib": lambda: urllib_roundtrip,
        "ceiling": lambda: split_filter,
        "explain": lambda: citecheck.explain,
    }
    headline = ("clean_url", "urllib")
    context_repeats = min(args.repeats, args.context_repeats)
    run_rounds(
        [
            (timing, makers[name], args.repeats if name in headline else context_repeats)
            for name, timing in timings.items()
        ],
        urls,
    )

    checks = {} if args.no_checks else output_checks(corpus, cold_outputs)
    stats = corpus_stats(corpus)

    rate = {name: t.rate(n) for name, t in timings.items()}
    ratio = rate["clean_url"] / rate["urllib"]
    ratio_cold_cache = rate["clean_url_cold_cache"] / rate["urllib"]
    figures: dict[str, Any] = {
        "machine": machine(),
        "builtin_rules": len(citecheck.RuleSet.builtin()),  # after the cold pass: it loads them
        "settings": {"count": n, "repeats": args.repeats, "context_repeats": context_repeats, "seed": args.seed},
        "corpus": stats,
        "corpus_generated_seconds": round(generated_in, 3),
        "cold_first_pass": {
            "seconds": round(cold_seconds, 6),
            "urls_per_second": round(n / cold_seconds, 1),
            "microseconds_per_url": round(1e6 * cold_seconds / n, 3),
        },
        "timings": {name: t.to_dict(n) for name, t in timings.items()},
        "ratio_clean_url_over_urllib": round(ratio, 3),
        "ratio_cold_cache_over_urllib": round(ratio_cold_cache, 3),
        "ratio_target": 3.0,
        "ratio_meets_target": ratio >= 3.0,
        "checks": checks,
    }

    # -- the report ------------------------------------------------------------------------
    m = figures["machine"]
    say(f"citecheck {m['citecheck']} | Python {m['python']} ({m['implementation']}) | {m['platform']}")
    say(f"  {m['cpus']} CPUs | {m['machine']} | {figures['builtin_rules']} built-in rules")
    say(f"corpus: {n:,} URLs, seed {args.seed}, generated in {generated_in:.2f} s")
    say(f"  sha256 {stats['corpus_sha256'][:16]}")
    say(
        f"  with query {stats['share_with_query']:.1%} | with a known tracker {stats['share_with_known_tracker']:.1%}"
        f" | wrapped {stats['share_wrapped']:.1%} | fragment {stats['share_with_fragment']:.1%}"
        f" | empty pairs {stats['share_with_empty_pairs']:.1%}"
    )
    say(
        f"  distinct hosts {stats['distinct_hosts']:,} ({stats['distinct_hosts'] / n:.1%} of URLs)"
        f" | uppercase host {stats['share_uppercase_host']:.1%} | default port {stats['share_default_port']:.1%}"
        f" | IDN {stats['share_idn_host']:.1%}"
    )
    say("  kinds: " + ", ".join(f"{k} {v:,}" for k, v in stats["kinds"].items()))
    say()
    say(
        f"timings: best of {args.repeats} passes over the whole corpus ({context_repeats} for context rows),"
        " rounds interleaved, GC paused"
    )
    cold = figures["cold_first_pass"]
    say(
        f"  {'clean_url (cold 1st pass)':<28} {cold['urls_per_second']:>12,.0f} URLs/s"
        f" {cold['microseconds_per_url']:>8.2f} us/URL   (builds the cleaner, fills caches; one pass)"
    )
    for name, timing in timings.items():
        d = timing.to_dict(n)
        say(
            f"  {name:<28} {d['urls_per_second']:>12,.0f} URLs/s {d['microseconds_per_url']:>8.2f} us/URL"
            f"   {timing.description}"
        )
    say()
    verdict = "meets" if ratio >= 3.0 else "BELOW"
    say(f"RATIO clean_url / urllib round trip: {ratio:.2f}x  ({verdict} the 3.0x target)")
    say(f"      with an empty host cache each pass: {ratio_cold_cache:.2f}x")
    if "ceiling" in timings:
        say(f"      ceiling (raw split + set) / urllib: {rate['ceiling'] / rate['urllib']:.2f}x")
    if "explain" in timings:
        say(f"      explain / urllib: {rate['explain'] / rate['urllib']:.2f}x")
    if checks:
        say()
        say(
            f"clean_url changed {checks['changed']:,} of {n:,} URLs ({checks['changed'] / n:.1%});"
            f" opened {checks['unwrapped']:,} of {checks['wrapped_in_corpus']:,} wrappers"
        )
        say("  changed by kind: " + ", ".join(f"{k} {v:,}" for k, v in checks["changed_by_kind"].items()))
        say("  removals by rule: " + ", ".join(f"{k} {v:,}" for k, v in checks["removed_by_rule"].items()))
        say(
            f"  URLs still carrying a tracker the built-in rules do not name: {checks['urls_with_tracker_left']:,}"
            f" (top: {', '.join(f'{k} {v:,}' for k, v in list(checks['tracker_names_left'].items())[:8])})"
        )
        say(
            f"  idempotence failures: {checks['idempotence_failures']}"
            f" | cold/warm pass differences: {checks['nondeterministic']}"
            f" | explain vs clean_url mismatches: {checks['explain_mismatches']}"
            f" | output sha256 {checks['output_sha256'][:16]}"
        )
        for example in checks["idempotence_examples"]:
            say(f"    not idempotent: {example['url']}")
            say(f"      once:  {example['once']}\n      twice: {example['twice']}")
        for example in checks["nondeterministic_examples"]:
            say(f"    differs between runs: {example}")
        for example in checks["explain_mismatch_examples"]:
            say(f"    explain differs: {example}")
    if args.samples:
        say()
        say("samples:")
        step = max(1, n // args.samples)
        for i in range(0, n, step)[: args.samples]:
            say(f"  [{corpus.kinds[i]}] {urls[i]}\n    -> {cold_outputs[i]}")
    figures["total_seconds"] = round(time.perf_counter() - wall, 2)
    say(f"\ntotal {figures['total_seconds']:.1f} s")
    if args.json:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
