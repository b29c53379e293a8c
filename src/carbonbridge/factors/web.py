"""Web: the factor library page (datasets and search, htmx)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from carbonbridge.factors import service
from carbonbridge.platform.deps import CurrentPrincipal, Sessions
from carbonbridge.platform.web import PageRoute, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.get("/factors", response_class=HTMLResponse)
def factors_page(
    request: Request,
    sessions: Sessions,
    principal: CurrentPrincipal,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    library = service.library(sessions)
    found = library.search(q)[:300] if q else []
    template = "factor_rows.html" if request.headers.get("hx-request") else "factors.html"
    return render(
        request,
        template,
        {
            "principal": principal,
            "datasets": library.datasets(),
            "factors": found,
            "q": q,
            "pinned": library.pinned,
        },
    )
