"""A fake web for content drift tests: host 0 plays a Wayback archive, host 1 the live web.

:meth:`Web.publish` serves a live page and answers the archive's CDX index and ``id_`` raw
captures for it; :meth:`Web.config` is a configuration pointed at both, with ``drift`` on.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable, Iterator
from urllib.parse import parse_qs

from citecheck import Config
from citecheck.core.settings import ArchiveSettings
from citecheck.net.limits import reset_limiters
from fakeweb import FakeWeb, Request, Response, ok

__all__ = ["Web", "fake_archive"]

HEADER = ["timestamp", "original", "statuscode", "mimetype", "digest", "length"]
FAST = 60_000.0


class Web:
    """The fake archive (host 0) and live web (host 1); :meth:`publish` adds a page and its captures."""

    def __init__(self, web: FakeWeb) -> None:
        self.web = web
        self.archive = web.url(0, "/").rstrip("/")
        self.captures: dict[str, list[str]] = {}
        self.raw_fetches: list[str] = []
        web.route("/cdx/search/cdx", self._cdx, host=0)

    async def _cdx(self, request: Request) -> Response:
        url = parse_qs(request.query)["url"][0]
        rows = [[ts, url, "200", "text/html", f"D{ts}", "1"] for ts in self.captures.get(url, [])]
        body = json.dumps([HEADER, *rows]) if rows else "[]"
        return Response(200, [("Content-Type", "application/json")], body.encode())

    def publish(self, path: str, live: str, captures: dict[str, str], *, live_type: str = "text/html") -> str:
        url = self.web.url(1, path)
        self.web.route(path, ok(live, live_type), host=1)
        self.captures[url] = list(captures)
        for ts, html in captures.items():
            self.web.route(f"/web/{ts}id_/{url}", self._capture(html), host=0)
        return url

    def _capture(self, html: str) -> Callable[[Request], Awaitable[Response]]:
        async def handler(request: Request) -> Response:
            self.raw_fetches.append(request.target)
            return Response(200, [("Content-Type", "text/html; charset=utf-8")], html.encode())

        return handler

    def config(self, **overrides: object) -> Config:
        archive = ArchiveSettings(wayback_url=self.archive, cdx_per_minute=FAST, verify_per_minute=FAST, timeout=10.0)
        values: dict[str, object] = {
            "allow_networks": ("127.0.0.0/8",),
            "store": "",
            "archive": archive,
            "drift": True,
            "timeout": 10.0,
        }
        values.update(overrides)
        return Config(**values)  # type: ignore[arg-type]


@contextlib.contextmanager
def fake_archive() -> Iterator[Web]:
    """The fake archive and web, with fresh process-wide limiters (the session uses those)."""
    reset_limiters()
    with FakeWeb.threaded(hosts=2) as fake:
        yield Web(fake)
    reset_limiters()
