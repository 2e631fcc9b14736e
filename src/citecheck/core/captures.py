"""URLs that name another URL exactly: web-archive captures and paths that embed a whole URL.

``https://web.archive.org/web/2019/https://example.com/a?utm_source=x`` cites the capture of
``https://example.com/a?utm_source=x``, tracker and all: the archive looks the capture up by
those bytes, so removing the tracker would cite a different (often missing) capture. The same
holds for any path that embeds a raw URL (a self-hosted pywb, a reader proxy): the query and
fragment that follow belong to the embedded URL, since nothing else could delimit it.

A URL embedded in a *query value* is different: the server ends that value at the next ``&``
like any other, so the value is the whole identifier, and it is kept byte for byte already.
"""

from __future__ import annotations

import re

__all__ = ["ARCHIVE_HOSTS", "is_archive_host", "names_embedded_url"]

#: Web archives whose pages are copies of other pages, matched with their subdomains: never
#: looked up in the archives themselves, and their captures are recognised in more shapes.
ARCHIVE_HOSTS = frozenset(
    {
        # Internet Archive (web.archive.org, wayback.archive.org) and Archive-It.
        "archive.org",
        "archive-it.org",
        # archive.today and its mirrors.
        "archive.today",
        "archive.ph",
        "archive.is",
        "archive.li",
        "archive.vn",
        "archive.fo",
        "archive.md",
        # National and research web archives with Wayback-style memento URLs.
        "arquivo.pt",
        "webarchive.nationalarchives.gov.uk",
        "webarchive.org.uk",
        "webarchive.loc.gov",
        "webarchive.nla.gov.au",
        "webarchive.bac-lac.gc.ca",
        "swap.stanford.edu",
        "vefsafn.is",
        "haw.nsk.hr",
        "webarchiv.cz",
        "archive.bibalex.org",
        # Memento aggregator, citation archives and page caches.
        "timetravel.mementoweb.org",
        "webcitation.org",
        "perma.cc",
        "perma-archives.org",
        "ghostarchive.org",
        "megalodon.jp",
        "archive.wikiwix.com",
        "webcache.googleusercontent.com",
    }
)

#: A raw absolute URL inside a path: ``/https://`` or the single-slash form archives produce.
_EMBEDDED = re.compile(r"/https?:/", re.IGNORECASE)
#: On an archive's host, also a scheme-less URL after a timestamp of 4-14 digits (``/web/2019/example.com/``,
#: ``/20190101000000id_/``, ``/2019*/``, ``/*/``, archive.today's ``/2019.01.01-000000/``) or
#: after archive.today's ``/newest/`` and ``/oldest/``: a segment with a dot, a host.
_ARCHIVE_EMBEDDED = re.compile(
    r"/(?:https?:/|(?:\d{4,14}(?:[a-z]{2}_)?\*?|\*|\d{4}\.\d\d\.\d\d-\d{6}|newest|oldest)/[^/?#]*\.)",
    re.IGNORECASE,
)


def is_archive_host(host: str) -> bool:
    """Whether ``host`` (lowercased, as :func:`~citecheck.core.urls.split_url` gives it) is a web archive's."""
    host = host.rstrip(".")
    if host in ARCHIVE_HOSTS:
        return True
    dot = host.find(".")
    while dot >= 0:
        if host[dot + 1 :] in ARCHIVE_HOSTS:
            return True
        dot = host.find(".", dot + 1)
    return False


def names_embedded_url(path: str, *, archive_host: bool) -> bool:
    """Whether a URL with this path names another URL byte for byte (see the module docstring).

    Anywhere, a raw ``http(s):/`` URL in the path does; on an archive's host, also the
    scheme-less forms its users type (``/web/2019/example.com/a``). An archive's other pages
    (``archive.org/details/...``) are ordinary pages and are cleaned as such.
    """
    if archive_host:
        return _ARCHIVE_EMBEDDED.search(path) is not None
    return ":/" in path and _EMBEDDED.search(path) is not None
