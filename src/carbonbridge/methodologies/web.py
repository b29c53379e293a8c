"""Web: the methodology catalogue and a calculator page (JSON parameters in, lines and flags out)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from carbonbridge.kernel.errors import CarbonbridgeError, FieldIssue, InvalidInput
from carbonbridge.methodologies import service
from carbonbridge.methodologies.model import Calculation, Methodology
from carbonbridge.platform.deps import CurrentPrincipal, Sessions
from carbonbridge.platform.guard import public
from carbonbridge.platform.web import PageRoute, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)

MAX_PARAMETERS = 1_000_000


@router.get("/methodologies", response_class=HTMLResponse)
def methodologies_page(request: Request, principal: CurrentPrincipal) -> Response:
    return render(
        request, "methodologies.html", {"principal": principal, "methodologies": service.available()}
    )


def _page(
    request: Request,
    principal: object,
    methodology: Methodology,
    text: str,
    calculation: Calculation | None,
    error: CarbonbridgeError | None,
) -> Response:
    return render(
        request,
        "methodology.html",
        {
            "principal": principal,
            "m": methodology,
            "parameters": text,
            "calc": calculation,
            "error": error,
        },
        status=422 if error is not None else 200,
    )


@router.get("/methodologies/{ref}", response_class=HTMLResponse)
def methodology_page(request: Request, principal: CurrentPrincipal, ref: str) -> Response:
    try:
        methodology = service.get(ref)
    except CarbonbridgeError as exc:
        return render(
            request,
            "methodologies.html",
            {"principal": principal, "methodologies": service.available(), "error": exc},
            status=exc.status,
        )
    text = json.dumps(methodology.example(), ensure_ascii=False, indent=2)
    return _page(request, principal, methodology, text, None, None)


def _parse(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            "the parameters are not JSON", [FieldIssue(("parameters",), "", str(exc))]
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput(
            "the parameters must be a JSON object", [FieldIssue(("parameters",), "", "object")]
        )
    return data


@router.post("/methodologies/{ref}", response_class=HTMLResponse)
@public
async def calculate_page(
    request: Request, sessions: Sessions, principal: CurrentPrincipal, ref: str
) -> Response:
    methodology = service.get(ref)
    async with request.form(max_part_size=MAX_PARAMETERS) as form:
        text = str(form.get("parameters", ""))
    try:
        calculation = service.calculate_in_region(sessions, ref, _parse(text))
    except CarbonbridgeError as exc:
        return _page(request, principal, methodology, text, None, exc)
    return _page(request, principal, methodology, text, calculation, None)
