"""The web shell: Jinja2 templates from every context, i18n, static files, language switch."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from datetime import timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from carbonbridge.kernel.display import shown
from carbonbridge.kernel.errors import CarbonbridgeError, PayloadTooLarge, TooManyRequests, Unauthenticated
from carbonbridge.platform import i18n, throttle, users
from carbonbridge.platform.bodies import OverCap, capped, read_form, size
from carbonbridge.platform.deps import (
    SESSION_COOKIE,
    AppSettings,
    CurrentPrincipal,
    Sessions,
    get_app_settings,
)
from carbonbridge.platform.guard import is_public, public, require_credentials
from carbonbridge.platform.optional import optional_module

#: contexts whose ``templates/`` directory the shell loads (platform first)
TEMPLATE_PACKAGES = (
    "platform",
    "accounting",
    "factors",
    "ledger",
    "methodologies",
    "registry",
    "tourism",
    "overview",
)


def _template_dirs() -> list[str]:
    dirs: list[str] = []
    for package in TEMPLATE_PACKAGES:
        if optional_module(f"carbonbridge.{package}") is None:
            continue
        path = Path(str(resources.files(f"carbonbridge.{package}"))) / "templates"
        if path.is_dir():
            dirs.append(str(path))
    return dirs


def make_environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(d) for d in _template_dirs()]),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # the display rule, the one number filter (kernel/display.py, docs/display.md): a figure is
    # ``| shown`` (a measure) or ``| shown("money" | "percent" | "count")``
    env.filters["shown"] = shown
    return env


def page_language(request: Request) -> str:
    """``?lang=``, else the ``lang`` cookie (the page's language switch), else the browser's first
    choice (``Accept-Language``: an English browser gets English pages, as its problem+json
    errors already are), else Chinese."""
    chosen = request.query_params.get("lang") or request.cookies.get("lang")
    if not chosen:
        chosen = request.headers.get("accept-language", "").split(",")[0].strip()
    return i18n.normalise(chosen, "zh")


@lru_cache(maxsize=len(i18n.LOCALES))
def _environment(lang: str) -> Environment:
    """The shell's environment with ``lang``'s gettext, one per language for the process, each
    with its own template cache. (An overlay per request compiled every template on every request,
    ~200 ms of the regional dashboard, issue 10 §3; and overlays share their parent's globals,
    where the i18n extension installs gettext, so one overlay per language would not do.)"""
    translate: Callable[[str], str] = lambda message: i18n.gettext(lang, message)  # noqa: E731
    env = make_environment()
    env.install_gettext_callables(  # type: ignore[attr-defined]
        translate, lambda s, p, n: translate(s if n == 1 else p), newstyle=True
    )
    # a sentence the code built in English (a reason, a note), in the page's language
    env.filters["tr"] = lambda text: i18n.localise(lang, str(text))
    return env


def render(request: Request, template: str, context: Mapping[str, Any], status: int = 200) -> HTMLResponse:
    """Render ``template`` in the caller's language."""
    lang = page_language(request)
    principal = context.get("principal")
    html = (
        _environment(lang)
        .get_template(template)
        .render({**context, "lang": lang, "request": request, "principal": principal})
    )
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang"):
        response.set_cookie("lang", lang, samesite="lax")
    return response


#: methods whose requests carry a body (a form): a page answering one needs a logged-in caller
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def error_page(request: Request, problem: Mapping[str, Any], headers: Mapping[str, str]) -> HTMLResponse:
    """The page a browser gets for a problem no page of its own rendered (an unknown address, a
    method the page does not take, an error no page caught, a bug): the problem's status, title
    in the page's language, and what happened; the request id of a 500 to quote."""
    lang = page_language(request)
    status = int(problem.get("status", 500))
    title = i18n.gettext(lang, _ERROR_TITLES.get(status, "This request could not be served"))
    context = {"principal": None, "status": status, "title": title, "problem": problem}
    response = render(request, "error.html", context, status)
    response.headers.update(headers)
    return response


#: what a browser is told, by status, where no page explains it better
_ERROR_TITLES = {
    400: "This request could not be read",
    401: "Please log in first",
    403: "You may not open this page",
    404: "There is no page at this address",
    405: "This page does not take this kind of request",
    409: "This conflicts with the current state",
    413: "Request too large",
    422: "Some input is not valid",
    429: "Too many attempts",
    500: "Something went wrong on our side",
    503: "A service the platform needs is unavailable",
}


def refusal_page(request: Request, error: CarbonbridgeError) -> HTMLResponse:
    """The page a browser gets when its request is refused before being read: not logged in
    (401, with a link to log in), or too large (413)."""
    limit = size(error.limit) if isinstance(error, PayloadTooLarge) else ""
    context = {"principal": None, "error": error, "limit": limit}
    return render(request, "refused.html", context, error.status)


class PageRoute(APIRoute):
    """A web page: a form post to a page that is not :func:`~carbonbridge.platform.guard.public`
    needs a session (else a 401 page, before the form is read), and every body is capped
    (``Settings.max_upload_bytes``: a 413 page as soon as it passes, the rest unread). The pages
    check who the caller is, and what they may do, as before."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        needs_login = bool((self.methods or set()) & _WRITES) and not is_public(self.endpoint)

        async def guarded(request: Request) -> Response:
            try:
                if needs_login:
                    require_credentials(request)
            except Unauthenticated as exc:
                return refusal_page(request, exc)
            try:
                return await handler(capped(request, get_app_settings(request).max_upload_bytes))
            except OverCap as exc:
                return refusal_page(request, exc.error())

        return guarded


router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, principal: CurrentPrincipal) -> Response:
    return render(request, "login.html", {"principal": principal, "error": None})


@router.post("/login", response_class=HTMLResponse)
@public
async def login_submit(
    request: Request, sessions: Sessions, principal: CurrentPrincipal, settings: AppSettings
) -> Response:
    """Password login, throttled per user name and per address (``platform/throttle.py``): a
    refused attempt gets a 429 page saying when to retry (and ``Retry-After``)."""
    try:
        async with read_form(request) as form:
            username, password = str(form.get("username", "")), str(form.get("password", ""))
    except PayloadTooLarge as exc:
        return refusal_page(request, exc)
    address = request.client.host if request.client else "unknown"
    lifetime = timedelta(hours=settings.session_lifetime_hours)
    try:
        token = await run_in_threadpool(
            throttle.sign_in, throttle.of(request.app), sessions, username, password, address, lifetime
        )
    except TooManyRequests as exc:
        context = {"principal": principal, "error": "throttled", "retry_after": exc.retry_after}
        refused = render(request, "login.html", context, 429)
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    except Unauthenticated:
        return render(request, "login.html", {"principal": principal, "error": "bad-credentials"}, 401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=int(lifetime.total_seconds()), httponly=True, samesite="lax"
    )
    return response


@router.post("/logout")
@public
async def logout(request: Request, sessions: Sessions) -> Response:
    """Log out: the session's token is revoked on the server (it no longer works anywhere, as a
    cookie or as a bearer token), then the cookie is cleared."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await run_in_threadpool(users.end_session, sessions, token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
