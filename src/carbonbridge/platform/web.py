"""The web shell: Jinja2 templates from every context, i18n, static files, language switch."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from carbonbridge.platform import i18n
from carbonbridge.platform.deps import SESSION_COOKIE, CurrentPrincipal, Sessions
from carbonbridge.platform.optional import optional_module

#: contexts whose ``templates/`` directory the shell loads (platform first)
TEMPLATE_PACKAGES = ("platform", "accounting", "factors", "ledger", "methodologies", "registry")


def _template_dirs() -> list[str]:
    dirs: list[str] = []
    for package in TEMPLATE_PACKAGES:
        if optional_module(f"carbonbridge.{package}") is None:
            continue
        path = Path(str(resources.files(f"carbonbridge.{package}"))) / "templates"
        if path.is_dir():
            dirs.append(str(path))
    return dirs


def fmt_number(value: object, places: int = 1) -> str:
    """Thousands-separated fixed-point rendering for tables (display only)."""
    if value is None:
        return "—"
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return f"{number:,.{places}f}"


def make_environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(d) for d in _template_dirs()]),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = fmt_number
    return env


_ENV = make_environment()


def page_language(request: Request) -> str:
    """``?lang=``, else the ``lang`` cookie (the page's language switch), else the browser's first
    choice (``Accept-Language``: an English browser gets English pages, as its problem+json
    errors already are), else Chinese."""
    chosen = request.query_params.get("lang") or request.cookies.get("lang")
    if not chosen:
        chosen = request.headers.get("accept-language", "").split(",")[0].strip()
    return i18n.normalise(chosen, "zh")


def render(request: Request, template: str, context: Mapping[str, Any], status: int = 200) -> HTMLResponse:
    """Render ``template`` in the caller's language."""
    lang = page_language(request)
    translate: Callable[[str], str] = lambda message: i18n.gettext(lang, message)  # noqa: E731
    env = _ENV.overlay()
    env.install_gettext_callables(  # type: ignore[attr-defined]
        translate, lambda s, p, n: translate(s if n == 1 else p), newstyle=True
    )
    principal = context.get("principal")
    html = env.get_template(template).render(
        {**context, "lang": lang, "request": request, "principal": principal}
    )
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang"):
        response.set_cookie("lang", lang, samesite="lax")
    return response


router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, principal: CurrentPrincipal) -> Response:
    return render(request, "home.html", {"principal": principal})


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, principal: CurrentPrincipal) -> Response:
    return render(request, "login.html", {"principal": principal, "error": None})


@router.post("/login", response_class=HTMLResponse)
async def login_submit(request: Request, sessions: Sessions, principal: CurrentPrincipal) -> Response:
    from carbonbridge.kernel.errors import Unauthenticated
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.platform.identity import login

    async with request.form() as form:
        username, password = str(form.get("username", "")), str(form.get("password", ""))
    try:
        with unit_of_work(sessions) as session:
            token = login(session, username, password)
    except Unauthenticated:
        return render(request, "login.html", {"principal": principal, "error": "bad-credentials"}, 401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax")
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
