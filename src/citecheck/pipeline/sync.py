"""The synchronous twin of :class:`~citecheck.pipeline.session.AsyncSession`.

Offline work (judging, rewriting) runs in the caller's thread; the network part runs on one
private event loop in a background thread (:class:`~citecheck.core.sync.LoopThread`), so a
:class:`Session` works from scripts, from Jupyter and from inside a running event loop alike.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import httpx

from ..clean.rules import RuleSet
from ..core.config import Config
from ..core.links import Link
from ..core.results import CheckReport, FileResult, LinkResult
from ..core.sync import LoopThread
from ..core.verdicts import Verdict
from ..fix.documents import Document
from ..fix.rewrite import fixed_text
from .judge import Judge
from .session import AsyncSession, ResultCallback

__all__ = ["Session", "check_text"]

_T = TypeVar("_T")


class Session:
    """Run the pipeline with one configuration, synchronously. Close it (or use ``with``)."""

    def __init__(
        self,
        config: Config | None = None,
        *,
        rules: RuleSet | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config or Config()
        self._judge = Judge(self.config, rules=rules)
        self.cleaner = self._judge.cleaner
        self._transport = transport
        self._thread: LoopThread | None = None
        self._session: AsyncSession | None = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the background loop (if the network was used) and release what the session holds."""
        if self._thread is not None:
            session, thread = self._session, self._thread
            self._thread = self._session = None
            thread.close(session.aclose() if session is not None else None)

    def _run(self, call: Callable[[AsyncSession], Awaitable[_T]]) -> _T:
        if self._thread is None:
            self._thread = LoopThread("citecheck-session", owner="Session")

            async def make() -> AsyncSession:
                return AsyncSession(self.config, cleaner=self.cleaner, transport=self._transport)

            self._session = self._thread.run(make())
        session = self._session
        assert session is not None
        return self._thread.run(call(session))

    # -- offline -----------------------------------------------------------------------------------

    @property
    def fail_on(self) -> frozenset[Verdict]:
        return self.config.fail_verdicts

    @property
    def notices(self) -> tuple[str, ...]:
        """Sentences for people about this session's runs (see ``AsyncSession.notices``)."""
        return () if self._session is None else self._session.notices

    def judge(self, link: Link, *, path: str) -> LinkResult:
        """The offline verdict on one link."""
        return self._judge.link(link, path=path)

    def judge_document(self, document: Document, *, format: str | None = None) -> FileResult:
        """Extract and judge every link of a document without the network (nothing is written)."""
        return self._judge.document(document, format=format)

    @staticmethod
    def fixed_text(text: str, result: FileResult, *, archive_links: bool = False) -> tuple[str, FileResult]:
        """``text`` with every fixable link rewritten (see :func:`citecheck.fix.rewrite.fixed_text`)."""
        return fixed_text(text, result, archive_links=archive_links)

    # -- the flow ----------------------------------------------------------------------------------

    def check_document(
        self,
        document: Document,
        *,
        format: str | None = None,
        archive: bool | None = None,
        drift: bool | None = None,
    ) -> FileResult:
        """Every link of one document, checked as the configuration says (online unless offline).

        ``drift`` (default: the configuration's) also compares each live page with its snapshot.
        """
        if self.config.offline:
            return self.judge_document(document, format=format)
        return self._run(lambda s: s.check_document(document, format=format, archive=archive, drift=drift))

    def check_text(
        self,
        text: str,
        *,
        format: str = "text",
        path: str = "<text>",
        archive: bool | None = None,
        drift: bool | None = None,
    ) -> FileResult:
        """The links of an article given as a string, checked as the configuration says."""
        return self.check_document(Document(path=path, text=text), format=format, archive=archive, drift=drift)

    def check_urls(self, urls: Sequence[str], *, archive: bool | None = None, drift: bool | None = None) -> FileResult:
        """Bare URLs, one link each."""
        return self._run(lambda s: s.check_urls(urls, archive=archive, drift=drift))

    def check_paths(
        self,
        paths: Sequence[str],
        *,
        fix: bool = False,
        on_result: ResultCallback | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> tuple[CheckReport, dict[str, tuple[str, str]]]:
        """Check files and directories; with ``fix``, rewrite them (see ``AsyncSession.check_paths``)."""
        return self._run(lambda s: s.check_paths(paths, fix=fix, on_result=on_result, progress=progress))

    def check_file(self, path: str) -> FileResult:
        """One article file, checked as the configuration says (nothing is written)."""
        return self._run(lambda s: s.check_file(path))


def check_text(text: str, *, format: str = "text", path: str = "<text>", config: Config | None = None) -> FileResult:
    """The links of an article given as a string (``format``: text, markdown or html), in one call.

    Without ``config`` it is a pure function: offline, judged by cleaning alone, so a link with
    nothing to clean is ``ok`` with reason ``not_checked``, never passed off as alive. With a
    ``config``, that config decides, as everywhere else: unless ``offline`` is set, the links are
    checked online through a :class:`Session` (the one pipeline), closed before returning.

    >>> result = check_text("See https://example.com/a?utm_source=x&id=7 and https://example.com/b.")
    >>> [(r.verdict.value, r.reason.value if r.reason else None, r.checked_online) for r in result.links]
    [('fixable', 'tracking_params', False), ('ok', 'not_checked', False)]
    """
    if config is None or config.offline:
        return Judge(config or Config()).document(Document(path=path, text=text), format=format)
    with Session(config) as session:
        return session.check_text(text, format=format, path=path)
