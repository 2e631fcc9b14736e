"""Pages of our own making for content drift: one article under two site templates.

Each page carries what a news site wraps an article in (navigation, a cookie banner, ads, a
"related stories" list, a footer, scripts, timestamps), so a main-text extractor that lets any
of it through shows up as drift where there is none. Used by tests and by
``benchmarks/bench_drift.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

__all__ = ["ARTICLE", "CASES", "OTHER_ARTICLE", "REWRITTEN", "Case", "page"]

ARTICLE = (
    "River bridge to close for repairs",
    [
        "The Elm Street bridge over the Marrow river will close to traffic for eleven weeks from the"
        " first Monday of March, the county highways office said on Tuesday, after an inspection found"
        " corrosion in two of the steel bearings that carry the main span.",
        "Engineers first noticed the damage during a routine survey last autumn. Further tests in"
        " January showed that the bearings had lost more of their section than the original design"
        " allowed for, and the office decided that patching them would not be enough.",
        "Buses on routes 4 and 17 will be diverted over the Station Road crossing, which adds about"
        " ten minutes to a journey into the town centre at busy times. Pedestrians and cyclists will"
        " still be able to use a narrow walkway on the north side for most of the closure.",
        "Local traders on the east bank said they were worried about losing customers during the"
        " spring. The owner of a bakery near the bridge said that most of her morning trade came from"
        " commuters who would now take a different road.",
        "The repairs are expected to cost a little over two million pounds, most of it paid from a"
        " national fund for ageing road structures. The office said the bridge would be fully open"
        " again before the summer school holidays begin.",
    ],
)

# The same story told again in other words: what "rewritten beneath the citation" looks like.
REWRITTEN = (
    "Marrow crossing shut until summer",
    [
        "Drivers will lose one of the town's two river crossings this spring. Highways officials"
        " announced that repair crews need the Elm Street span closed from early March until June.",
        "According to the county, rust has eaten into the supports under the central section, and a"
        " winter investigation concluded that a temporary fix was not a safe option.",
        "Two bus services are being rerouted via Station Road, and walkers can keep using a footway"
        " along one edge while work continues.",
        "Shops on the eastern side fear a quiet few months. One baker told us her early customers"
        " are mostly people driving to work who will now go another way.",
        "A government programme for old infrastructure is paying for the bulk of the work, which is"
        " budgeted at just above two million pounds.",
    ],
)

OTHER_ARTICLE = (
    "Library extends weekend opening hours",
    [
        "The central library will open on Sunday afternoons from next month, the council announced,"
        " after a survey of residents found that weekends were the only time many of them could visit.",
        "Staff will be redeployed from a reduced Monday morning session, so the total number of"
        " opening hours stays the same and no extra budget is needed.",
        "The library's study rooms, which are booked out most weekdays by students, will be available"
        " on Sundays without a reservation for the first three months of the trial.",
        "A children's reading club that has met on Saturdays for twenty years will keep its slot,"
        " and a new family session is planned for Sunday afternoons.",
    ],
)


@dataclass(frozen=True, slots=True)
class Case:
    """Two pages (the cited snapshot and the live page) and whether their main text is the same."""

    name: str
    cited: str
    live: str
    same: bool


def _paragraphs(article: tuple[str, list[str]]) -> str:
    return "\n".join(f"<p>{escape(p)}</p>" for p in article[1])


def _template_a(article: tuple[str, list[str]], *, stamp: str, related: list[str], ad: str) -> str:
    title = escape(article[0])
    links = "".join(f'<li><a href="/news/{i}">{escape(r)}</a></li>' for i, r in enumerate(related))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | The Marrow Gazette</title>
<script>window.dataLayer=[];function gtag(){{dataLayer.push(arguments)}};gtag('js', new Date());</script>
<style>.nav{{display:flex}} .ad{{height:250px}}</style></head>
<body>
<div id="cookie-banner" class="cookie-consent"><p>We use cookies to improve your experience and to show
you personalised advertising. By continuing to browse you agree to our use of cookies.</p>
<button>Accept all</button><button>Manage settings</button></div>
<header class="site-header"><a href="/">The Marrow Gazette</a>
<nav class="nav"><ul><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li>
<li><a href="/business">Business</a></li><li><a href="/opinion">Opinion</a></li>
<li><a href="/weather">Weather</a></li></ul></nav></header>
<div class="ad ad-leaderboard"><p>{escape(ad)}</p></div>
<article class="story">
<h1>{title}</h1>
<p class="byline">By Staff Reporter · <time datetime="{stamp}">Updated {stamp}</time></p>
{_paragraphs(article)}
</article>
<aside class="related"><h2>Related stories</h2><ul>{links}</ul></aside>
<div class="ad ad-footer"><p>{escape(ad)}</p></div>
<footer><p>© The Marrow Gazette. All rights reserved. Registered in England.</p>
<ul><li><a href="/privacy">Privacy policy</a></li><li><a href="/terms">Terms of use</a></li>
<li><a href="/contact">Contact us</a></li></ul></footer>
<script src="/static/app.js"></script><script>trackPageView("{stamp}");</script>
</body></html>"""


def _template_b(article: tuple[str, list[str]], *, stamp: str, related: list[str], ad: str) -> str:
    """The site after a redesign: other markup, other class names, furniture in other places."""
    title = escape(article[0])
    most_read = "".join(f'<div class="card"><a href="/s/{i}">{escape(r)}</a></div>' for i, r in enumerate(related))
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title} - Gazette</title>
<script type="application/ld+json">{{"@type": "NewsArticle", "dateModified": "{stamp}"}}</script>
<script async src="https://ads.example/loader.js"></script></head>
<body class="layout-2024">
<div class="topbar"><div class="menu"><a href="/">Home</a> <a href="/local">Local</a> <a href="/live">Live</a>
<a href="/puzzles">Puzzles</a> <a href="/subscribe">Subscribe from £1 a week</a></div></div>
<div class="gdpr-popup" role="dialog"><p>Your privacy matters. We and our 842 partners store and access
information on your device.</p><p>Agree and close</p></div>
<div class="page-grid">
<div class="sidebar-left"><h3>Most read</h3>{most_read}</div>
<main id="content"><div class="story-body">
<div class="headline-wrap"><h1 class="headline">{title}</h1></div>
<div class="meta"><span class="date">{stamp}</span> <span class="share">Share this article</span></div>
<div class="text">{_paragraphs(article)}</div>
<div class="promo-box"><p>{escape(ad)}</p></div>
</div></main>
<div class="newsletter"><p>Get the morning briefing in your inbox every weekday.</p></div>
</div>
<div class="site-footer"><p>Gazette Media Group. Copyright notice. Cookie settings. Accessibility.</p></div>
<script>window.__STATE__={{"article": "{title}", "ts": "{stamp}"}};</script>
</body></html>"""


def _template_c(article: tuple[str, list[str]], *, stamp: str, related: list[str], ad: str) -> str:
    """An old-style page: tables and divs, no semantic elements, furniture named by nothing we know."""
    title = escape(article[0])
    rail = "".join(
        f'<p class="rl"><a href="/x{i}">{escape(r)}</a> - read the full story on our site today</p>'
        for i, r in enumerate(related)
    )
    return f"""<html><head><title>{title}</title><script>var t="{stamp}";</script></head>
<body><table width="100%"><tr><td class="c1">
<a href="/">HOME</a> | <a href="/n">NEWS</a> | <a href="/s">SPORT</a></td></tr>
<tr><td class="c2" valign="top">
<div class="k9"><p>{escape(ad)}</p></div>
<div class="x1"><b>{title}</b><br><small>Posted {stamp}</small>
{_paragraphs(article)}
</div>
<div class="k7">{rail}</div>
<div class="c-box"><p>Reader reply: I drive over this every day and had no idea it was that bad, glad
someone is finally doing something about it before it falls down.</p></div>
</td></tr><tr><td class="c3"><p>(c) Gazette. Terms. Privacy.</p></td></tr></table>
<script>document.write("{stamp}")</script></body></html>"""


RELATED_THEN = [
    "Council approves new cycle lanes",
    "Flood defences tested after storm",
    "Town hall clock restored",
]
RELATED_NOW = [
    "Cinema to reopen after refit",
    "Mayor answers readers' questions",
    "Fun run raises record sum",
    "Market square parking changes",
]


def page(
    article: tuple[str, list[str]] = ARTICLE,
    *,
    template: str = "a",
    stamp: str = "2021-02-16T09:30:00Z",
    related: list[str] = RELATED_THEN,
    ad: str = "Save 20% on garden furniture this week only",
) -> str:
    """One page: ``article`` under template ``a``, ``b`` or ``c`` with the given furniture."""
    build = {"a": _template_a, "b": _template_b, "c": _template_c}[template]
    return build(article, stamp=stamp, related=related, ad=ad)


def _edited() -> tuple[str, list[str]]:
    title, paragraphs = ARTICLE
    edited = list(paragraphs)
    edited[1] = edited[1].replace("autumn", "autumn,")  # a comma added
    edited[2] = edited[2].replace("crossing", "bridge")  # a word changed
    edited.insert(3, "An earlier version of this story gave the wrong route number for one of the buses.")
    return title, edited


#: The cases the benchmark measures and the tests check.
CASES = (
    Case("identical", page(), page(), same=True),
    Case(
        "furniture changed",
        page(),
        page(stamp="2024-06-01T17:05:00Z", related=RELATED_NOW, ad="New phones from 9.99 a month"),
        same=True,
    ),
    Case(
        "new layout",
        page(),
        page(template="b", stamp="2024-06-01T17:05:00Z", related=RELATED_NOW, ad="Holidays in the sun"),
        same=True,
    ),
    Case(
        "no-markup layout",
        page(),
        page(template="c", stamp="2024-06-01T17:05:00Z", related=RELATED_NOW, ad="Holidays in the sun"),
        same=True,
    ),
    Case("small edit", page(), page(_edited(), stamp="2021-02-17T08:00:00Z"), same=True),
    Case("rewritten", page(), page(REWRITTEN, stamp="2021-03-01T12:00:00Z"), same=False),
    Case("other article", page(), page(OTHER_ARTICLE, related=RELATED_NOW), same=False),
    Case("other article, no markup", page(template="c"), page(OTHER_ARTICLE, template="c"), same=False),
    Case("rewritten, new layout", page(), page(REWRITTEN, template="b", related=RELATED_NOW), same=False),
)
