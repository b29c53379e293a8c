"""Web: the home page (``/``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from carbonbridge.overview import service
from carbonbridge.platform.deps import AppSettings, CurrentPrincipal, Sessions
from carbonbridge.platform.web import PageRoute, page_language, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request, sessions: Sessions, principal: CurrentPrincipal, settings: AppSettings
) -> Response:
    """The region at a glance, as the caller may see it (``overview/service.py``)."""
    figures = service.home(sessions, principal, settings)
    since = figures.regional.stale_since if figures.regional else None
    note = None if since is None else service.stale_note(page_language(request), since)
    return render(request, "home.html", {"principal": principal, "f": figures, "stale_note": note})
