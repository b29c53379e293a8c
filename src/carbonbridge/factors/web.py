"""Web: the factor library page (datasets and search, htmx)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from carbonbridge.factors import service
from carbonbridge.factors.model import Parameter
from carbonbridge.platform.deps import CurrentPrincipal, Sessions
from carbonbridge.platform.web import PageRoute, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)

#: what each parameter is, for the table (English gettext ids, zh in ``locale/zh/.../sources.po``)
PARAMETER_LABELS: dict[Parameter, str] = {
    Parameter.EMISSION_FACTOR: "emission factor (EF)",
    Parameter.NET_CALORIFIC_VALUE: "net calorific value (NCV)",
    Parameter.CARBON_CONTENT: "carbon content (CC)",
    Parameter.OXIDATION_FACTOR: "oxidation factor (OF)",
    Parameter.GWP: "global warming potential (GWP)",
    Parameter.MASS_FRACTION: "mass fraction in a blend",
    Parameter.DENSITY: "density (mass per volume)",
}


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
            "labels": PARAMETER_LABELS,
        },
    )
