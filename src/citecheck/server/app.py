"""``citecheck serve``: the CMS pre-publish service, a thin HTTP adapter over the check pipeline.

A CMS posts an article (or a list of URLs) before publishing and gets back the same versioned
JSON the CLI prints, plus one overall verdict. Checks that miss the request's deadline go on in
the background and land in the store, so the editor's next click answers at once. Safe by
default: a bearer token on every ``/v1`` route, bounded bodies, bounded concurrency and queue,
and the private-address guard on every target (only the operator can open networks).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .._version import __version__
from ..core import defaults
from ..core.config import Config
from ..core.errors import InputError
from ..core.results import CheckReport, FileResult, LinkResult
from ..core.settings import ServeSettings
from ..core.verdicts import FINDINGS, Verdict
from ..drift.maintext import ExtractorMissing
from ..fix.documents import Document
from ..fix.rewrite import fixed_text
from ..pipeline.session import AsyncSession, Run, Source

__all__ = ["Service", "ServiceSettings", "create_app"]

log = logging.getLogger(__name__)

SERVICE_SCHEMA_VERSION = 1
_FORMATS = ("text", "markdown", "html")


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceSettings(ServeSettings):
    """How the service protects itself: the ``[serve]`` limits plus what only the code sets."""

    #: The bearer token every /v1 request must carry (None only with --no-auth).
    token: str | None = field(repr=False)
    #: Jobs (background checks) kept for GET /v1/jobs/{id}.
    max_jobs: int = 1000
    job_ttl_seconds: float = 3600.0

    @classmethod
    def from_serve(cls, serve: ServeSettings, *, token: str | None) -> ServiceSettings:
        """The service's settings from the configuration's ``[serve]`` table, with ``token``."""
        return cls(
            token=token,
            max_body_bytes=serve.max_body_bytes,
            max_concurrent=serve.max_concurrent,
            max_queue=serve.max_queue,
            default_deadline_ms=serve.default_deadline_ms,
            max_deadline_ms=serve.max_deadline_ms,
            max_urls=serve.max_urls,
            max_parse_ms=serve.max_parse_ms,
            cors_origins=serve.cors_origins,
        )


class _BadRequest(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


@dataclass(slots=True)
class _Job:
    """A check that missed its deadline: its run goes on, GET /v1/jobs/{id} reads it again."""

    run: Run
    fix: bool
    created: float = field(default_factory=time.monotonic)


class Service:
    """Shared state of one running service: one pipeline session (one pool, one store)."""

    def __init__(
        self, config: Config, settings: ServiceSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        # No request can opt in to private addresses; the operator's configuration can.
        self.config = config
        self.settings = settings
        self._transport = transport
        self.session: AsyncSession | None = None
        self.jobs: dict[str, _Job] = {}
        self._slots: asyncio.Semaphore | None = None
        self._waiting = 0
        #: Reading an article's links is CPU work: one worker thread does it, so /healthz and
        #: every other request stay answered while a hostile article is parsed.
        self._parser = ThreadPoolExecutor(max_workers=1, thread_name_prefix="citecheck-parse")

    async def startup(self) -> None:
        self._slots = asyncio.Semaphore(self.settings.max_concurrent)
        self.session = AsyncSession(self.config, transport=self._transport, long_running=True)
        await self.session.store()  # a store named in the configuration must open now, not per request

    async def shutdown(self) -> None:
        if self.session is not None:
            await self.session.aclose()
        self._parser.shutdown(wait=False, cancel_futures=True)

    async def _judged(self, document: Document, fmt: str) -> FileResult:
        """The document's links, judged offline on the parse thread, within ``max_parse_ms``."""
        assert self.session is not None
        session = self.session
        work = asyncio.get_running_loop().run_in_executor(
            self._parser, lambda: session.judge_document(document, format=fmt)
        )
        try:
            result = await asyncio.wait_for(asyncio.shield(work), self.settings.max_parse_ms / 1000)
        except TimeoutError:
            # The thread cannot be stopped; it finishes in the background and its result is dropped.
            raise _BadRequest(
                503,
                f"reading this request's links took longer than {self.settings.max_parse_ms} ms; "
                "send a smaller article or use the CLI",
                {"Retry-After": "5"},
            ) from None
        distinct = len({item.cleaned for item in result.links})
        if distinct > self.settings.max_urls:
            raise _BadRequest(
                413, f"{distinct} distinct links is more than the {self.settings.max_urls} one request may hold"
            )
        return result

    # -- plumbing --------------------------------------------------------------------------------

    async def guarded(
        self, request: Request, handler: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
    ) -> Response:
        """Auth, body limits, JSON parsing and the concurrency bound around a /v1 handler."""
        try:
            self._authorize(request)
            if self._waiting >= self.settings.max_queue:
                raise _BadRequest(503, "the service is busy; try again shortly", {"Retry-After": "5"})
            body = await self._json_body(request)
            assert self._slots is not None
            self._waiting += 1
            try:
                await self._slots.acquire()
            finally:
                self._waiting -= 1
            try:
                return JSONResponse(await handler(body))
            finally:
                self._slots.release()
        except _BadRequest as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status, headers=exc.headers)

    def _authorize(self, request: Request) -> None:
        token = self.settings.token
        if token is None:
            return
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
            raise _BadRequest(401, "a valid bearer token is required", {"WWW-Authenticate": "Bearer"})

    async def _json_body(self, request: Request) -> dict[str, Any]:
        limit = self.settings.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _BadRequest(413, f"the body is larger than {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise _BadRequest(413, f"the body is larger than {limit} bytes")
                chunks.append(chunk)
        except ClientDisconnect:
            log.info("a client went away while sending its request")
            raise _BadRequest(400, "the client disconnected before the body was complete") from None
        try:
            data = json.loads(b"".join(chunks) or b"null")
        except RecursionError:
            raise _BadRequest(400, "the body is not valid JSON: nested too deeply") from None
        except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError, and integers over 4,300 digits
            raise _BadRequest(400, f"the body is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise _BadRequest(400, "the body must be a JSON object")
        return data

    def _document(self, body: dict[str, Any]) -> tuple[Document, str]:
        content, urls = body.get("content"), body.get("urls")
        if (content is None) == (urls is None):
            raise _BadRequest(400, "give exactly one of 'content' (a string) and 'urls' (a list of strings)")
        if urls is not None:
            if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
                raise _BadRequest(400, "'urls' must be a list of strings")
            if not all(_encodable(u) for u in urls):
                raise _BadRequest(400, "'urls' holds a lone surrogate escape (\\ud800 to \\udfff): not a URL")
            try:
                return Document.from_urls(urls), "text"
            except InputError as exc:
                raise _BadRequest(400, f"'urls': {exc}") from exc
        if not isinstance(content, str):
            raise _BadRequest(400, "'content' must be a string")
        if not _encodable(content):
            raise _BadRequest(400, "'content' holds a lone surrogate escape (\\ud800 to \\udfff): not text")
        fmt = body.get("format", "text")
        if fmt not in _FORMATS:
            raise _BadRequest(400, f"'format' must be one of {', '.join(_FORMATS)}")
        return Document(path="<content>", text=content), fmt

    # -- /v1/clean ---------------------------------------------------------------------------------

    async def clean(self, body: dict[str, Any]) -> dict[str, Any]:
        document, fmt = self._document(body)
        result = await self._judged(document, fmt)
        fixed_content, fixed = fixed_text(document.text, result)
        changes = [
            {
                "line": item.link.line,
                "column": item.link.column,
                "old": item.link.url,
                "new": item.cleaned,
                "removed": [r.name for r in item.removed],
            }
            for item in fixed.links
            if item.fixed and "content" in body
        ]
        urls = [
            {"url": item.link.url, "cleaned": item.cleaned, "removed": [r.name for r in item.removed]}
            for item in result.links
        ]
        return {
            "schema_version": SERVICE_SCHEMA_VERSION,
            "content": fixed_content if "content" in body else None,
            "changes": changes,
            "urls": urls,
        }

    # -- /v1/check ---------------------------------------------------------------------------------

    async def check(self, body: dict[str, Any]) -> dict[str, Any]:
        document, fmt = self._document(body)
        deadline_ms = body.get("deadline_ms", self.settings.default_deadline_ms)
        if isinstance(deadline_ms, bool) or not isinstance(deadline_ms, int) or not deadline_ms >= 0:
            raise _BadRequest(400, "'deadline_ms' must be a non-negative integer")
        deadline = min(deadline_ms, self.settings.max_deadline_ms) / 1000
        fix, archive, drift = body.get("fix", False), body.get("archive", False), body.get("drift", False)
        if not all(isinstance(flag, bool) for flag in (fix, archive, drift)):
            raise _BadRequest(400, "'fix', 'archive' and 'drift' must be true or false")
        started = time.monotonic()
        judged = await self._judged(document, fmt)
        assert self.session is not None
        source = Source(document, fmt, datetime.now(UTC))
        try:
            # Drift's extraction runs in worker threads (citecheck.drift.fetch): the loop stays free.
            run = self.session.start_judged([source], [judged], archive=archive, drift=drift)
        except ExtractorMissing as exc:
            raise _BadRequest(501, f"this service cannot compare content drift: {exc}") from None
        # The deadline counts from the request's arrival: reading its links used some of it.
        await run.wait(max(0.0, deadline - (time.monotonic() - started)))
        job = _Job(run=run, fix=fix)
        answer = self._answer(job)
        if _still_running(answer, job):
            answer["job"] = self._keep(job)
        return answer

    def _keep(self, job: _Job) -> str:
        """Keep ``job`` for GET /v1/jobs/{id}; a job that expires or is pushed out is abandoned,
        and the work it still had running is cancelled rather than left to use the pool."""
        now = time.monotonic()
        for key in [k for k, j in self.jobs.items() if now - j.created > self.settings.job_ttl_seconds]:
            self.jobs.pop(key).run.cancel()
        while len(self.jobs) >= self.settings.max_jobs:
            self.jobs.pop(next(iter(self.jobs))).run.cancel()
        job_id = secrets.token_urlsafe(12)
        self.jobs[job_id] = job
        return job_id

    def _answer(self, job: _Job) -> dict[str, Any]:
        assert self.session is not None
        (combined,) = job.run.results()
        content = None
        if job.fix:
            content, combined = fixed_text(job.run.sources[0].document.text, combined)
        fail_on = self.session.fail_on
        report = CheckReport(files=(combined,), offline=False, notices=job.run.notices, fail_on=fail_on)
        document = report.to_dict()
        document["verdict"] = _overall(combined.links, fail_on)
        document["job"] = None
        if job.fix:
            document["content"] = content
        return document

    async def job(self, job_id: str) -> dict[str, Any] | None:
        job = self.jobs.get(job_id)
        if job is None:
            return None
        answer = self._answer(job)
        answer["job"] = job_id if _still_running(answer, job) else None
        return answer


def _encodable(text: str) -> bool:
    """False for text holding a lone surrogate (JSON's ``\\ud800``), which no encoding can write."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _still_running(answer: dict[str, Any], job: _Job) -> bool:
    """Whether links are still pending, or drift comparisons running: a ``fail`` answer can have them too."""
    return bool(answer["summary"]["pending"]) or (job.run.drift and not job.run.done)


def _overall(links: tuple[LinkResult, ...], fail_on: frozenset[Verdict]) -> str:
    """pass, warn, fail or incomplete: one word a CMS can act on.

    ``fail`` wins over ``incomplete``: a link already known to fail stays failed whatever the
    pending ones turn out to be, and a CMS that publishes on ``incomplete`` must not publish it.
    Fixable links only warn here (the service can rewrite them: ``"fix": true``).
    """
    hard = fail_on - {Verdict.FIXABLE}
    if any(item.verdict in hard for item in links):
        return "fail"
    if any(item.verdict is Verdict.PENDING for item in links):
        return "incomplete"
    if any(item.verdict in FINDINGS or item.drifted for item in links):
        return "warn"
    return "pass"


def create_app(
    config: Config | None = None,
    settings: ServiceSettings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Starlette:
    """The Starlette application (uvicorn serves it; tests use it directly)."""
    service = Service(config or Config(), settings or ServiceSettings(token=None), transport=transport)

    async def clean(request: Request) -> Response:
        return await service.guarded(request, service.clean)

    async def check(request: Request) -> Response:
        return await service.guarded(request, service.check)

    async def job(request: Request) -> Response:
        try:
            service._authorize(request)
        except _BadRequest as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status, headers=exc.headers)
        answer = await service.job(request.path_params["job_id"])
        if answer is None:
            return JSONResponse({"error": "no such job (finished jobs expire)"}, status_code=404)
        return JSONResponse(answer)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__})

    async def openapi(request: Request) -> Response:
        return JSONResponse(OPENAPI)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        await service.startup()
        try:
            yield
        finally:
            await service.shutdown()

    middleware = []
    if service.settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(service.settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type"],
            )
        )
    app = Starlette(
        routes=[
            Route("/v1/clean", clean, methods=["POST"]),
            Route("/v1/check", check, methods=["POST"]),
            Route("/v1/jobs/{job_id}", job, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/openapi.json", openapi, methods=["GET"]),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.service = service
    return app


_CONTENT_BODY = {
    "type": "object",
    "properties": {
        "content": {"type": "string"},
        "urls": {"type": "array", "items": {"type": "string"}},
        "format": {"type": "string", "enum": list(_FORMATS), "default": "text"},
    },
}
_ERROR = {"description": "error", "content": {"application/json": {"schema": {"type": "object"}}}}
_COMMON_ERRORS = {"400": _ERROR, "401": _ERROR, "413": _ERROR, "503": _ERROR}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "citecheck", "version": __version__, "description": "Clean and check cited URLs."},
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    "security": [{"bearer": []}],
    "paths": {
        "/v1/clean": {
            "post": {
                "summary": "Remove tracking parameters and redirect wrappers (offline).",
                "requestBody": {"required": True, "content": {"application/json": {"schema": _CONTENT_BODY}}},
                "responses": {"200": {"description": "cleaned content and changes"}, **_COMMON_ERRORS},
            }
        },
        "/v1/check": {
            "post": {
                "summary": "Check every link; the verdict is data (HTTP 200 for pass, warn, fail, incomplete).",
                "description": (
                    "verdict, first that applies: fail (a link is broken, invalid or has another fail_on verdict"
                    " but fixable, even while other links are pending), incomplete (links still pending),"
                    " warn (links are fixable, blocked or unreachable, or a cited page has changed since its"
                    " snapshot: drift), pass. job: an id while links are pending or drift comparisons run,"
                    " else null."
                ),
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                **_CONTENT_BODY,
                                "properties": {
                                    **_CONTENT_BODY["properties"],  # type: ignore[dict-item]
                                    "fix": {"type": "boolean", "default": False},
                                    "archive": {"type": "boolean", "default": False},
                                    "drift": {
                                        "type": "boolean",
                                        "default": False,
                                        "description": "compare each live page's main text with its snapshot's"
                                        " (implies archive); 501 when the service lacks the drift extra",
                                    },
                                    "deadline_ms": {
                                        "type": "integer",
                                        "minimum": defaults.SERVE_DEFAULT_DEADLINE_MS.low,
                                        "default": defaults.SERVE_DEFAULT_DEADLINE_MS.default,
                                    },
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": {"description": "the check document plus verdict and job"},
                    **_COMMON_ERRORS,
                    "501": _ERROR,
                },
            }
        },
        "/v1/jobs/{job_id}": {
            "get": {
                "summary": "The check document of a job that was still running at its deadline.",
                "parameters": [{"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "the check document"}, "401": _ERROR, "404": _ERROR},
            }
        },
        "/healthz": {"get": {"summary": "Liveness.", "security": [], "responses": {"200": {"description": "ok"}}}},
        "/openapi.json": {
            "get": {"summary": "This document.", "security": [], "responses": {"200": {"description": "OpenAPI"}}}
        },
    },
}
