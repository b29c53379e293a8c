"""RFC 9457 problem details for every error the API can return.

One handler per error family; starlette finds the handler by the exception's base class, so every
context's errors (subclasses of :class:`CarbonbridgeError`) render here with their code, field
issues and a title in the caller's language. Framework errors (malformed JSON, unknown route, wrong
method) are rendered the same way, and anything unexpected becomes a 500 problem without internals.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from carbonbridge.kernel.errors import CarbonbridgeError, FieldIssue, InvalidInput, TooManyRequests
from carbonbridge.platform import openapi

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "/docs/errors#"

log = logging.getLogger("carbonbridge.api")


def wants_chinese(request: Request) -> bool:
    lang = request.cookies.get("lang") or request.headers.get("accept-language", "")
    return lang.lower().startswith("zh")


def problem(
    request: Request,
    *,
    status: int,
    code: str,
    title_en: str,
    title_zh: str,
    detail: str,
    issues: list[FieldIssue] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": title_zh if wants_chinese(request) else title_en,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
    }
    if issues:
        body["issues"] = [i.as_dict() for i in issues]
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def _domain(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, CarbonbridgeError):  # pragma: no cover - registered for this type only
        raise exc
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    if isinstance(exc, TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after)}
    return problem(
        request,
        status=exc.status,
        code=exc.code,
        title_en=exc.title_en,
        title_zh=exc.title_zh,
        detail=exc.detail,
        issues=exc.issues,
        headers=headers,
    )


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    issues = [
        FieldIssue(tuple(e.get("loc", ())), _safe_input(e.get("input")), str(e.get("msg", "invalid")))
        for e in errors
    ]
    return problem(
        request,
        status=422,
        code="invalid-input",
        title_en="Invalid input",
        title_zh="输入无效",
        detail=f"{len(issues)} field(s) are invalid; nothing was changed",
        issues=issues,
    )


def _safe_input(value: object) -> object:
    if isinstance(value, dict | list):
        return None  # the whole body: not useful to echo back
    if isinstance(value, bytes):
        return value[:80].decode("utf-8", "replace")
    return value


_HTTP_CODES = {
    400: ("bad-request", "Bad request", "请求无法解析"),
    404: ("not-found", "Not found", "未找到"),
    405: ("method-not-allowed", "Method not allowed", "不允许的方法"),
    413: ("too-large", "Request too large", "请求过大"),
}


async def _http(request: Request, exc: Exception) -> JSONResponse:
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
    code, en, zh = _HTTP_CODES.get(status, ("http-error", "HTTP error", "HTTP 错误"))
    detail = str(exc.detail) if isinstance(exc, StarletteHTTPException) else ""
    headers = dict(exc.headers or {}) if isinstance(exc, StarletteHTTPException) else {}
    if status == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    return problem(
        request, status=status, code=code, title_en=en, title_zh=zh, detail=detail, headers=headers
    )


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at the request's path (RFC 9110 §15.5.6: a 405 carries
    ``Allow``). Starlette's 405 names only the first route matching the path, though another
    router may serve the same path with other methods (``GET`` and ``POST /registry/retirements``
    are in two routers); a mount (static files) serves ``GET`` and ``HEAD``."""
    found: set[str] = set()
    # the app-level scope (a mount's handler sees its own root path), with a method to match
    root = request.scope.get("app_root_path", request.scope.get("root_path", ""))
    scope = {**request.scope, "root_path": root, "method": "GET"}
    for route in iter_route_contexts(request.app.router.routes):
        match, _ = route.matches(scope)
        if match is Match.NONE:
            continue
        methods = route.methods
        found |= set(methods) if methods else {"GET", "HEAD"} if isinstance(route.route, Mount) else set()
    return sorted(found)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # the request id (platform/observability.py) finds this entry and the request's log line; the
    # raw path is not logged (it may name a person)
    request_id = getattr(request.state, "request_id", None)
    log.exception("unhandled error on a %s request, request_id %s", request.method, request_id)
    response = problem(
        request,
        status=500,
        code="internal",
        title_en="Internal error",
        title_zh="内部错误",
        detail="an unexpected error occurred; it has been logged",
    )
    if request_id is None:
        return response
    body = {**json.loads(bytes(response.body)), "request_id": request_id}
    return JSONResponse(body, status_code=500, media_type=PROBLEM_JSON, headers={"X-Request-ID": request_id})


class RejectNulBytes:
    """ASGI middleware: a request whose path or query string carries a NUL byte (``%00``) is
    refused with a 422 problem+json before any route runs. No identifier or text the platform
    stores may contain NUL (PostgreSQL cannot store it in a text column), so this is refused once
    here for every route instead of failing deep inside a query. Costs one substring test."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")):
            request = Request(scope)
            bad = InvalidInput(
                "the request's path or query contains a NUL byte (%00), which no field accepts",
                [FieldIssue(("path",), request.url.path, "remove the NUL byte (%00)")],
            )
            await (await _domain(request, bad))(scope, receive, send)
            return
        await self.app(scope, receive, send)


#: paths a browser never navigates to as a page: the API, the log's tiles, the API docs, assets
_MACHINE_PATHS = ("/api/", "/log/", "/docs", "/static/", "/metrics")

Handler = Callable[[Request, Exception], Awaitable[Response]]


def wants_page(request: Request) -> bool:
    """A browser navigating to a page (``Accept: text/html``, outside the API's paths) gets an
    HTML page in its language, never raw problem+json (``docs/errors.md``)."""
    return "text/html" in request.headers.get("accept", "") and not request.url.path.startswith(
        _MACHINE_PATHS
    )


def _for_browsers(handler: Handler) -> Handler:
    """``handler``'s problem, rendered as an error page for a browser (:func:`wants_page`) with
    the same status and headers; as problem+json for everyone else."""

    async def handle(request: Request, exc: Exception) -> Response:
        response = await handler(request, exc)
        if not wants_page(request) or not isinstance(response, JSONResponse):
            return response
        from carbonbridge.platform.web import error_page  # the web shell renders; problems decide

        body = json.loads(bytes(response.body))
        headers = {k: v for k, v in response.headers.items() if k.lower() in _KEPT_HEADERS}
        return error_page(request, body, headers)

    return handle


_KEPT_HEADERS = frozenset({"allow", "retry-after", "www-authenticate", "x-request-id"})


def install(app: FastAPI) -> None:
    """Register the problem+json handlers (and the NUL-byte guard) on ``app``, and document them
    on every operation of its OpenAPI (``platform/openapi.py``)."""
    openapi.install(app)
    app.add_middleware(RejectNulBytes)
    app.add_exception_handler(CarbonbridgeError, _for_browsers(_domain))
    app.add_exception_handler(RequestValidationError, _for_browsers(_validation))
    app.add_exception_handler(StarletteHTTPException, _for_browsers(_http))
    app.add_exception_handler(Exception, _for_browsers(_unexpected))
