"""Web: the visitor's pages, phone first (zh/en): enter a trip (``/tourism``), see the itemised
bill with a chart and, once compensated, the retirement it draws on and the log receipts
(``/tourism/bills/{id}``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from carbonbridge.kernel.errors import CarbonbridgeError
from carbonbridge.platform.bodies import read_form
from carbonbridge.platform.deps import CurrentPrincipal, Sessions
from carbonbridge.platform.guard import public
from carbonbridge.platform.web import PageRoute, render
from carbonbridge.tourism import service, web_certificate, web_dashboard
from carbonbridge.tourism.model import StoredBill

router = APIRouter(include_in_schema=False, route_class=PageRoute)
router.include_router(web_certificate.router)
router.include_router(web_dashboard.router)

#: the trip form's fields and their defaults (a 4-day Hainan trip, as a hotel's QR code prefills it)
FORM_DEFAULTS = {
    "reference": "",
    "start": "",
    "end": "",
    "origin": "",
    "destination": "SYX",
    "cabin": "economy",
    "nights": "",
    "taxi_km": "",
    "taxi_fuel": "electric",
    "meals": "",
    "diet": "meat",
    "diving": "",
}


def trip_from_form(form: dict[str, str]) -> dict[str, Any]:
    """The trip a filled form describes (empty fields add no item)."""
    items: list[dict[str, Any]] = []
    if form["origin"] or form["destination"] != FORM_DEFAULTS["destination"]:
        items.append(
            {
                "type": "flight",
                "origin": form["origin"],
                "destination": form["destination"],
                "cabin": form["cabin"],
            }
        )
    if form["nights"]:
        items.append({"type": "hotel", "country": "CN", "nights": _int(form["nights"])})
    if form["taxi_km"]:
        items.append(
            {"type": "road", "mode": "taxi", "fuel": form["taxi_fuel"], "distance_km": form["taxi_km"]}
        )
    if form["meals"]:
        items.append({"type": "meals", "count": _int(form["meals"]), "diet": form["diet"]})
    if form["diving"]:
        items.append({"type": "activity", "activity": "diving", "participants": _int(form["diving"])})
    return {
        "reference": form["reference"] or "web",
        "region": "CN-HI",
        "start": form["start"],
        "end": form["end"],
        "items": items,
    }


def _int(text: str) -> int | str:
    try:
        return int(text)
    except ValueError:
        return text  # the service names it: "a whole number"


@router.get("/tourism", response_class=HTMLResponse)
def trip_page(request: Request, principal: CurrentPrincipal) -> Response:
    values = {k: request.query_params.get(k, v) for k, v in FORM_DEFAULTS.items()}
    return render(request, "tourism_trip.html", {"principal": principal, "form": values, "error": None})


@router.post("/tourism", response_class=HTMLResponse)
@public
async def trip_submit(request: Request, sessions: Sessions, principal: CurrentPrincipal) -> Response:
    """Compute and store the bill, then show it (303); bad input re-renders the form, naming it."""
    async with read_form(request) as posted:
        values = {k: str(posted.get(k, v)).strip() for k, v in FORM_DEFAULTS.items()}
    try:
        bill = await run_in_threadpool(service.create_bill, sessions, principal, trip_from_form(values))
    except CarbonbridgeError as exc:
        context = {"principal": principal, "form": values, "error": exc}
        return render(request, "tourism_trip.html", context, exc.status)
    return RedirectResponse(f"/tourism/bills/{bill.id}", status_code=303)


def _by_kind(bill: StoredBill) -> list[dict[str, Any]]:
    totals: dict[str, int] = {}
    for line in bill.lines:
        kind = str(line["kind"])
        totals[kind] = totals.get(kind, 0) + int(str(line["grams"]))
    return [{"kind": k, "grams": g} for k, g in sorted(totals.items(), key=lambda kv: -kv[1])]


@router.get("/tourism/bills/{bill_id}", response_class=HTMLResponse)
def bill_page(request: Request, sessions: Sessions, principal: CurrentPrincipal, bill_id: str) -> Response:
    """The itemised bill, its chart by kind, and the compensation with its receipts."""
    bill = service.get_bill(sessions, bill_id)
    context = {"principal": principal, "bill": bill, "by_kind": _by_kind(bill)}
    return render(request, "tourism_bill.html", context)
