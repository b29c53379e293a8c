"""Web: the public registry (projects, issued and retired totals, a chart of the located projects),
a project's sheet (map point, timeline, every calculator figure with its equation, issuances with
serial ranges, receipts to verify), the credit search by serial, the public retirement records, and
a holder's account page with transfer, retirement and export forms, and the regulator's page of
pending export requests (confirm or reject)."""

from __future__ import annotations

import functools

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from carbonbridge.kernel.errors import CarbonbridgeError, FieldIssue, Forbidden, InvalidInput, Unauthenticated
from carbonbridge.platform.deps import CurrentPrincipal, Sessions, credentials_of
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.platform.web import PageRoute, render
from carbonbridge.registry import service, views, web_review
from carbonbridge.registry.compliance import web as web_compliance
from carbonbridge.registry.location import MapPoint
from carbonbridge.registry.model import (
    AccountKind,
    ExportRequest,
    Project,
    Receipt,
    Retirement,
    Transfer,
    Units,
)
from carbonbridge.registry.units import exports
from carbonbridge.registry.units import service as movements
from carbonbridge.registry.units import views as views_exports
from carbonbridge.registry.web_outcome import render_outcome, render_refusal, settle_form

router = APIRouter(include_in_schema=False, route_class=PageRoute)


def _no_organisation() -> InvalidInput:
    return InvalidInput(
        "this page is for an organisation's users",
        [FieldIssue(("organisation_id",), None, "your user belongs to no organisation")],
    )


def _chart_points(located: list[tuple[Project, MapPoint]]) -> list[dict[str, str]]:
    """Map points for ECharts: coordinates as the decimal strings filed (the page's script makes
    numbers of them for plotting only)."""
    return [
        {
            "id": p.id,
            "code": p.code,
            "name_en": p.name_en,
            "name_zh": p.name_zh,
            "lat": str(point.lat),
            "lon": str(point.lon),
        }
        for p, point in located
    ]


@router.get("/registry", response_class=HTMLResponse)
def registry_home(request: Request, sessions: Sessions, principal: CurrentPrincipal) -> Response:
    totals = views.registry_totals(sessions)
    located = views.located_projects([line.project for line in totals.projects])
    return render(
        request,
        "registry_home.html",
        {
            "principal": principal,
            "totals": totals,
            "retirements": views.retirement_count(sessions),
            "points": _chart_points(located),
        },
    )


@router.get("/registry/serials", response_class=HTMLResponse)
def serials_page(request: Request, sessions: Sessions, principal: CurrentPrincipal, q: str = "") -> Response:
    """Public credit search by serial: a block range or one credit."""
    context: dict[str, object] = {"principal": principal, "q": q, "search": None, "error": None}
    if not q.strip():
        return render(request, "registry_serials.html", context)
    try:
        context["search"] = views.serial_search(sessions, q)
    except CarbonbridgeError as exc:
        return render_outcome(request, sessions, "registry_serials.html", context, error=exc)
    return render(request, "registry_serials.html", context)


@router.get("/registry/projects/{project_id}", response_class=HTMLResponse)
def project_page(
    request: Request, sessions: Sessions, principal: CurrentPrincipal, project_id: str
) -> Response:
    try:
        sheet = views.project_sheet(sessions, project_id)
    except CarbonbridgeError as exc:
        return render_refusal(request, principal, exc)
    point = sheet.location
    context = {
        "principal": principal,
        "sheet": sheet,
        "points": _chart_points([(sheet.project, point)] if point is not None else []),
    }
    return render(request, "registry_project.html", context)


@router.get("/registry/retirements", response_class=HTMLResponse)
def retirements_page(request: Request, sessions: Sessions, principal: CurrentPrincipal) -> Response:
    records = views.all_retirements(sessions)
    projects = {p.id: p for p in views.list_projects(sessions)}
    return render(
        request,
        "registry_retirements.html",
        {"principal": principal, "records": records, "projects": projects},
    )


def _account_page(
    request: Request,
    sessions: Sessions,
    principal: Principal,
    *,
    done: Receipt | None = None,
    error: CarbonbridgeError | None = None,
) -> Response:
    if principal.role is Role.PUBLIC:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    if principal.organisation_id is None:
        return render_refusal(request, principal, _no_organisation())
    try:
        account = views.holder_account(sessions, principal, principal.organisation_id)
    except Unauthenticated:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    except CarbonbridgeError as exc:
        return render_refusal(request, principal, exc)
    context = {"principal": principal, "account": account}
    return render_outcome(request, sessions, "registry_account.html", context, done=done, error=error)


@router.get("/registry/account", response_class=HTMLResponse)
def account_page(request: Request, sessions: Sessions, principal: CurrentPrincipal) -> Response:
    return _account_page(request, sessions, principal)


def _units(form: dict[str, str], account_id: str) -> Units:
    issues: list[FieldIssue] = []
    project_id, _, vintage_text = form.get("lot", "").partition(":")
    quantity_text = form.get("quantity", "").strip()
    if not project_id or not vintage_text.isdigit():
        issues.append(FieldIssue(("lot",), form.get("lot", ""), "choose a project and vintage you hold"))
    if not quantity_text.isdigit() or int(quantity_text) < 1:
        issues.append(FieldIssue(("quantity",), quantity_text, "a whole number of tonnes ≥ 1"))
    if issues:
        raise InvalidInput("invalid request", issues)
    return Units(account_id, project_id, int(vintage_text), quantity=int(quantity_text))


def _holding_id(sessions: Sessions, principal: Principal) -> str:
    if principal.organisation_id is None:
        raise _no_organisation()
    holding = service.accounts(sessions, principal, principal.organisation_id).get(AccountKind.HOLDING)
    if holding is None:
        raise InvalidInput(
            "your organisation has no registry account",
            [FieldIssue(("account",), None, "no holding account is open")],
        )
    return holding.id


@router.post("/registry/account/retire", response_class=HTMLResponse)
async def retire_form(request: Request, sessions: Sessions, principal: CurrentPrincipal) -> Response:
    caller = credentials_of(request)  # the use case authenticates it, as for every face

    def act(form: dict[str, str]) -> Receipt:
        units = _units(form, _holding_id(sessions, principal))
        retirement = Retirement(units, form.get("beneficiary", ""), form.get("purpose", ""))
        return movements.retire(sessions, caller, retirement)

    return await settle_form(request, act, functools.partial(_account_page, request, sessions, principal))


@router.post("/registry/account/transfer", response_class=HTMLResponse)
async def transfer_form(request: Request, sessions: Sessions, principal: CurrentPrincipal) -> Response:
    caller = credentials_of(request)  # the use case authenticates it, as for every face

    def act(form: dict[str, str]) -> Receipt:
        units = _units(form, _holding_id(sessions, principal))
        return movements.transfer(sessions, caller, Transfer(units, form.get("to_account_id", "").strip()))

    return await settle_form(request, act, functools.partial(_account_page, request, sessions, principal))


def _export_units(form: dict[str, str], account_id: str) -> Units:
    """The units of the export form: the serial range ``start``..``end`` if either is filled in,
    else ``quantity`` tonnes (lowest serials first), as :class:`Units` reads them."""
    start_text, end_text = form.get("start", "").strip(), form.get("end", "").strip()
    if not start_text and not end_text:
        return _units(form, account_id)
    issues: list[FieldIssue] = []
    project_id, _, vintage_text = form.get("lot", "").partition(":")
    if not project_id or not vintage_text.isdigit():
        issues.append(FieldIssue(("lot",), form.get("lot", ""), "choose a project and vintage you hold"))
    for name, text in (("start", start_text), ("end", end_text)):
        if not text.isdigit() or int(text) < 1:
            issues.append(FieldIssue((name,), text, "a serial number ≥ 1"))
    if not issues and int(end_text) < int(start_text):
        issues.append(FieldIssue(("end",), end_text, "the range ends before it starts"))
    if issues:
        raise InvalidInput("invalid request", issues)
    return Units(account_id, project_id, int(vintage_text), start=int(start_text), end=int(end_text))


@router.post("/registry/account/export", response_class=HTMLResponse)
async def export_form(request: Request, sessions: Sessions, principal: CurrentPrincipal) -> Response:
    """Ask to export held units to another registry: they wait as ``pending_export``."""

    def act(form: dict[str, str]) -> Receipt:
        units = _export_units(form, _holding_id(sessions, principal))
        return exports.request_export(
            sessions,
            principal,
            ExportRequest(
                units,
                form.get("destination_registry", ""),
                form.get("destination_account", ""),
                form.get("reason", ""),
            ),
        )

    return await settle_form(request, act, functools.partial(_account_page, request, sessions, principal))


def _exports_page(
    request: Request,
    sessions: Sessions,
    principal: Principal,
    *,
    done: Receipt | None = None,
    error: CarbonbridgeError | None = None,
) -> Response:
    if principal.role is Role.PUBLIC:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    try:
        pending = views_exports.pending_exports(sessions, principal)
    except Forbidden as exc:
        return render_refusal(request, principal, exc)
    context = {"principal": principal, "pending": pending}
    return render_outcome(request, sessions, "registry_exports.html", context, done=done, error=error)


@router.get("/registry/exports", response_class=HTMLResponse)
def exports_page(request: Request, sessions: Sessions, principal: CurrentPrincipal) -> Response:
    """The regulator's list of pending export requests, each with confirm and reject forms."""
    return _exports_page(request, sessions, principal)


@router.post("/registry/exports/{operation_id}/confirm", response_class=HTMLResponse)
async def confirm_export_form(
    request: Request, sessions: Sessions, principal: CurrentPrincipal, operation_id: str
) -> Response:
    def act(form: dict[str, str]) -> Receipt:
        return exports.confirm_export(
            sessions, principal, operation_id, form.get("destination_reference", "")
        )

    return await settle_form(request, act, functools.partial(_exports_page, request, sessions, principal))


@router.post("/registry/exports/{operation_id}/reject", response_class=HTMLResponse)
async def reject_export_form(
    request: Request, sessions: Sessions, principal: CurrentPrincipal, operation_id: str
) -> Response:
    def act(form: dict[str, str]) -> Receipt:
        return exports.reject_export(sessions, principal, operation_id, form.get("reason", ""))

    return await settle_form(request, act, functools.partial(_exports_page, request, sessions, principal))


router.include_router(web_compliance.router)
router.include_router(web_review.router)
