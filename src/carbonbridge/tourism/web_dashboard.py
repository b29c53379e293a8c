"""Web: the destination office's dashboard (``/tourism/dashboard``, the carbon office signed in):
visitors' emissions by arrival segment, by item and by month, per visitor-night, the share
compensated and the credits retired, each figure with its method and sources; and the same
figures as CSV (``/tourism/dashboard.csv``)."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from carbonbridge.platform.deps import CurrentPrincipal, Sessions
from carbonbridge.platform.web import PageRoute, render
from carbonbridge.tourism import service
from carbonbridge.tourism.dashboard import DestinationSummary

router = APIRouter(include_in_schema=False, route_class=PageRoute)

Region = Annotated[str, Query(min_length=2, max_length=10, pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")]


def _chart(summary: DestinationSummary) -> dict[str, Any]:
    return {
        "months": [m.key for m in summary.by_month],
        "kg": [m.grams / 1000 for m in summary.by_month],
        "compensated_kg": [m.compensated_grams / 1000 for m in summary.by_month],
        "items": [{"name": i.kind, "value": i.grams / 1000} for i in summary.by_item],
    }


@router.get("/tourism/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request, sessions: Sessions, principal: CurrentPrincipal, region: Region = "CN-HI"
) -> Response:
    summary = service.destination_dashboard(sessions, principal, region)
    context = {"principal": principal, "s": summary, "chart": _chart(summary)}
    return render(request, "tourism_dashboard.html", context)


def dashboard_csv(summary: DestinationSummary) -> str:
    """Every figure of the dashboard, one row each: table, key, bills, grams, compensated grams,
    method and sources."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["table", "key", "bills_or_lines", "grams_co2e", "compensated_grams_co2e", "method", "sources"]
    )
    per_night = summary.grams_per_visitor_night
    writer.writerow(
        [
            "total",
            summary.region,
            summary.bills,
            summary.grams,
            summary.compensated_grams,
            "sum of bill lines",
            "",
        ]
    )
    writer.writerow(
        [
            "per_visitor_night",
            summary.region,
            summary.nights,
            "" if per_night is None else per_night,
            "",
            "sum of grams / sum of nights",
            "",
        ]
    )
    for f in summary.by_segment:
        writer.writerow(["segment", f.key, f.bills, f.grams, f.compensated_grams, "first transport line", ""])
    for i in summary.by_item:
        writer.writerow(["item", i.kind, i.lines, i.grams, "", "; ".join(i.methods), "; ".join(i.sources)])
    for f in summary.by_month:
        writer.writerow(["month", f.key, f.bills, f.grams, f.compensated_grams, "trip start month", ""])
    writer.writerow(
        [
            "retired",
            "tonnes",
            "",
            summary.retired_tonnes * 1_000_000,
            summary.allocated_grams,
            "pool retirements; allocated grams",
            "",
        ]
    )
    return out.getvalue()


@router.get("/tourism/dashboard.csv")
def dashboard_export(sessions: Sessions, principal: CurrentPrincipal, region: Region = "CN-HI") -> Response:
    summary = service.destination_dashboard(sessions, principal, region)
    disposition = f'attachment; filename="tourism-dashboard-{summary.region}.csv"'
    return Response(
        dashboard_csv(summary),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": disposition},
    )
