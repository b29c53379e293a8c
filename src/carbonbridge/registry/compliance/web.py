"""Web: the ETS compliance-status page (an entity's own users see their entity; the regulator and
verifiers see every covered entity; anyone else is told why not, in the page's language)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from carbonbridge.kernel.errors import CarbonbridgeError, Unauthenticated
from carbonbridge.platform.deps import CurrentPrincipal, Sessions
from carbonbridge.platform.identity import Role
from carbonbridge.platform.web import PageRoute, render
from carbonbridge.registry.compliance import service as compliance
from carbonbridge.registry.web_outcome import render_refusal

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.get("/registry/compliance", response_class=HTMLResponse)
def compliance_page(
    request: Request,
    sessions: Sessions,
    principal: CurrentPrincipal,
    period: Annotated[int, Query(ge=1000, le=9999)] = 2024,
) -> Response:
    try:
        if principal.role in (Role.REPORTER, Role.DEVELOPER) and principal.organisation_id:
            rows = [compliance.status(sessions, principal, principal.organisation_id, period)]
        else:
            rows = compliance.overview(sessions, principal, period)
    except Unauthenticated:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    except CarbonbridgeError as exc:
        return render_refusal(request, principal, exc)
    return render(
        request,
        "compliance.html",
        {
            "principal": principal,
            "rows": rows,
            "period": period,
            "share": compliance.configured_offset_share(),
        },
    )
