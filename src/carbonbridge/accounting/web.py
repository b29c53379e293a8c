"""Web: organisations, upload, an organisation's inventory, explain, the regional dashboard."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from carbonbridge.accounting import publication, service
from carbonbridge.accounting.coverage import PER_CAPITA_NOTE
from carbonbridge.accounting.disclosure import Withheld
from carbonbridge.accounting.service import adhoc, corrections, release, roster, statements
from carbonbridge.factors.model import GwpSet
from carbonbridge.kernel.clock import utc_now
from carbonbridge.kernel.errors import (
    CarbonbridgeError,
    FieldIssue,
    InvalidInput,
    PayloadTooLarge,
    Unauthenticated,
)
from carbonbridge.platform import i18n
from carbonbridge.platform.bodies import read_upload_form
from carbonbridge.platform.deps import AppSettings, CurrentPrincipal, Sessions
from carbonbridge.platform.guard import public
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.platform.web import PageRoute, page_language, refusal_page, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)

_T = Decimal(1000)


def _login_redirect(request: Request) -> Response:
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


@router.get("/organisations", response_class=HTMLResponse)
def organisations_page(
    request: Request,
    sessions: Sessions,
    principal: CurrentPrincipal,
    year: Annotated[int | None, Query(ge=roster.FIRST_YEAR, le=roster.LAST_YEAR)] = None,
    q: Annotated[str, Query(max_length=roster.MAX_QUERY)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    gwp: GwpSet = GwpSet.AR6,
) -> Response:
    """The roster: the organisations the caller may see, searched and paged on the server, each
    with its reporting stage and totals for the year (the latest with data unless asked)."""
    if principal.role is Role.PUBLIC:
        return _login_redirect(request)
    with_data = roster.years(sessions)
    chosen = year or (with_data[-1] if with_data else utc_now().year - 1)
    found = roster.roster(sessions, principal, year=chosen, gwp=gwp, query=q, page=page)
    context = {
        "principal": principal,
        "roster": found,
        "status": roster.reporting_status(sessions, chosen),
        # the asked-for year is offered even without data, so the selector and the table agree
        "years": sorted({*with_data, chosen}),
        "has_data": chosen in with_data,
        "gwp_sets": list(GwpSet),
    }
    return render(request, "organisations.html", context)


@router.get("/organisations/{organisation_id}", response_class=HTMLResponse)
def organisation_page(
    request: Request,
    sessions: Sessions,
    principal: CurrentPrincipal,
    organisation_id: str,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    gwp: GwpSet = GwpSet.AR6,
) -> Response:
    try:
        years = service.years_of(sessions, principal, organisation_id)
        chosen = year or (years[-1] if years else 2024)
        inventory = service.organisation_inventory(sessions, principal, organisation_id, chosen, gwp)
        done = statements.statements(sessions, principal, organisation_id, chosen, superseded=True)
        history = corrections.submission_history(sessions, principal, organisation_id)
        reopened = statements.reopenings(sessions, principal, organisation_id, chosen)
    except Unauthenticated:
        return _login_redirect(request)
    kinds = {s.kind for s in done if not s.superseded}
    own = principal.role is Role.REPORTER and principal.organisation_id == organisation_id
    can_finalise = (
        "finalised" not in kinds
        and bool(inventory.records)
        and not inventory.not_computable
        and (own or principal.role is Role.REGULATOR)
    )
    return render(
        request,
        "inventory.html",
        {
            "principal": principal,
            "inv": inventory,
            "co_pollutants": service.co_pollutant_totals(inventory.records),
            "statements": done,
            "can_finalise": can_finalise,
            "can_verify": "finalised" in kinds
            and "verified" not in kinds
            and principal.role is Role.VERIFIER,
            "opinions": list(statements.Opinion),
            # the asked-for year is offered even without data, so the selector and the page agree
            "years": sorted({*years, chosen}),
            "has_data": chosen in years,
            "gwp_sets": list(GwpSet),
            "errors": None,
            "uploaded": request.query_params.get("uploaded"),
            "entry": request.query_params.get("entry", "")[:20],
            "submissions": history,
            "replaceable": [x for x in history if x.current],
            "replace": request.query_params.get("replace", "")[:40],
            "reopenings": reopened,
            "can_reopen": "finalised" in kinds and principal.role in (Role.REGULATOR, Role.ADMIN),
        },
    )


@router.post("/organisations/{organisation_id}/upload", response_class=HTMLResponse)
async def upload(
    request: Request,
    sessions: Sessions,
    principal: CurrentPrincipal,
    settings: AppSettings,
    organisation_id: str,
) -> Response:
    def refused(exc: CarbonbridgeError) -> Response:
        context = {"principal": principal, "error": exc, "missing": False, "organisation_id": organisation_id}
        return render(request, "upload_result.html", context, exc.status)

    try:
        # the cookie says who is calling: a stranger is refused before the body is read, and the
        # body is read only up to the cap (platform/bodies.py)
        service.check_submitter(principal, organisation_id)
        uploads, texts = await read_upload_form(
            request, ("file",), settings.max_upload_bytes, fields=("replaces",)
        )
    except InvalidInput:  # no file in the form
        context = {"principal": principal, "error": None, "missing": True}
        return render(request, "upload_result.html", context, 422)
    except PayloadTooLarge as exc:
        return refusal_page(request, exc)
    except CarbonbridgeError as exc:
        return refused(exc)
    try:
        upload = uploads["file"]
        result = service.submit_upload(
            sessions, principal, organisation_id, upload.filename, upload.data, replaces=texts.get("replaces")
        )
    except CarbonbridgeError as exc:
        return refused(exc)
    year = _latest_year(sessions, principal, organisation_id)
    return RedirectResponse(
        f"/organisations/{organisation_id}?uploaded={result.rows}&entry={result.log_index}{year}",
        status_code=303,
    )


def _latest_year(sessions: service.SessionFactory, principal: Principal, organisation_id: str) -> str:
    """``&year=`` for the organisation's latest year with data (empty when it has none)."""
    years = service.years_of(sessions, principal, organisation_id)
    return f"&year={years[-1]}" if years else ""


@router.get("/records/{record_id}", response_class=HTMLResponse)
def explain_page(
    request: Request,
    sessions: Sessions,
    principal: CurrentPrincipal,
    record_id: str,
    gwp: GwpSet = GwpSet.AR6,
) -> Response:
    try:
        emissions = service.explain_record(sessions, principal, record_id, gwp)
    except Unauthenticated:
        return _login_redirect(request)
    return render(request, "explain.html", {"principal": principal, "e": emissions, "gwp": gwp})


@router.get("/inventory/region", response_class=HTMLResponse)
def region_page(
    request: Request,
    sessions: Sessions,
    principal: CurrentPrincipal,
    settings: AppSettings,
    gwp: GwpSet = GwpSet.AR6,
) -> Response:
    result = release.regional_release(sessions, principal, settings.region, gwp, release.rules_of(settings))
    lang = page_language(request)
    years = result.release.years

    def label(s: object) -> str:
        return str(getattr(s, "label_zh" if lang == "zh" else "label_en"))

    def reason(why: str) -> str:
        return i18n.gettext(lang, publication.REASONS[Withheld(why)])

    def tonnes(kg: Decimal | None) -> float | None:
        return None if kg is None else float(kg / _T)  # a withheld figure is no chart point

    def series(keys: list[str], find: str) -> list[dict[str, object]]:
        return [
            {
                "name": label(getattr(years[0], find)(k)),
                "data": [tonnes(getattr(y, find)(k).co2e_kg) for y in years],
            }
            for k in keys
        ]

    ipcc_keys = [s.key for s in years[0].ipcc if "." not in s.key] if years else []
    gpc_keys = [s.key for s in years[0].gpc if "/" not in s.key] if years else []
    chart = {
        "years": [str(y.year) for y in years],
        "ipcc": series(ipcc_keys, "ipcc_sector"),
        "gpc": series(gpc_keys, "gpc_sector"),
    }
    rules = result.release.rules
    note = publication.PUBLIC_NOTE if result.release.masked else publication.REGULATOR_NOTE
    context = {
        "principal": principal,
        "r": result,
        "chart": chart,
        "gwp_sets": list(GwpSet),
        "label": label,
        "reason": reason,
        "not_computable": result.not_computable,
        "per_capita_note": PER_CAPITA_NOTE,
        "stale_note": None if result.stale_since is None else release.stale_note(lang, result.stale_since),
        "any_withheld": any(
            y.withheld or any(s.withheld for s in (*y.ipcc, *y.gpc, *y.outside_ipcc)) for y in years
        ),
        "disclosure_note": i18n.gettext(lang, note).format(
            min_reporters=rules.min_reporters,
            dominance_n=rules.dominance_n,
            dominance_k=rules.dominance_k,
            protection_percent=rules.protection_percent,
        ),
    }
    return render(request, "region.html", context)


_FRAMEWORKS = ("ghgp", "iso14064", "cn-mee")


def _compute_context(principal: Principal, **values: object) -> dict[str, object]:
    return {
        "principal": principal,
        "frameworks": _FRAMEWORKS,
        "gwp_sets": list(GwpSet),
        "framework": "ghgp",
        "gwp": GwpSet.AR6,
        "region": "CN-HI",
        "grid_region": "CN-GRID-SOUTH",
        "result": None,
        "error": None,
        **values,
    }


@router.get("/inventory/compute", response_class=HTMLResponse)
@public
def compute_page(request: Request, principal: CurrentPrincipal) -> Response:
    """The stateless calculation's form (anyone): a file computed as the API and CLI compute it."""
    return render(request, "compute.html", _compute_context(principal))


@router.post("/inventory/compute", response_class=HTMLResponse)
@public
async def compute_file(
    request: Request, sessions: Sessions, principal: CurrentPrincipal, settings: AppSettings
) -> Response:
    """A file computed without storing anything: one inventory per organisation and year."""
    texts: dict[str, str] = {}
    try:
        uploads, texts = await read_upload_form(
            request,
            ("file",),
            settings.max_upload_bytes,
            fields=("framework", "gwp", "region", "grid_region"),
        )
        upload = uploads["file"]
        gwp = texts.get("gwp") or "AR6"
        if gwp not in {g.value for g in GwpSet}:
            choices = ", ".join(g.value for g in GwpSet)
            raise InvalidInput("invalid form", [FieldIssue(("gwp",), gwp, f"one of {choices}")])
        region = texts.get("region") or "CN-HI"
        grid = texts.get("grid_region") or "CN-GRID-SOUTH"
        facilities = adhoc.file_facilities(upload.filename, upload.data, region, grid)
        result = adhoc.compute_file(
            sessions,
            upload.filename,
            upload.data,
            facilities,
            GwpSet(gwp),
            framework=texts.get("framework") or "ghgp",
        )
    except PayloadTooLarge as exc:
        return refusal_page(request, exc)
    except CarbonbridgeError as exc:
        context = _compute_context(principal, error=exc, **_echo(texts))
        return render(request, "compute.html", context, exc.status)
    context = _compute_context(principal, result=result, **_echo(texts), framework=result.framework)
    return render(request, "compute.html", context)


def _echo(texts: dict[str, str]) -> dict[str, object]:
    """The form's region and grid region, as typed, for the page that answers it."""
    return {k: texts[k] for k in ("region", "grid_region") if texts.get(k)}


def _check_form(year: str, choice: tuple[str, str, set[str]]) -> None:
    """The year and one enumerated field of a statement form; every bad field is named."""
    field, value, allowed = choice
    issues = [] if year.isdigit() else [FieldIssue(("year",), year, "a year such as 2024")]
    if value not in allowed:
        issues.append(FieldIssue((field,), value, "one of " + ", ".join(sorted(allowed))))
    if issues:
        raise InvalidInput("invalid form", issues)


def _rejected(
    request: Request, principal: Principal, organisation_id: str, exc: CarbonbridgeError
) -> Response:
    context = {
        "principal": principal,
        "error": exc,
        "missing": False,
        "organisation_id": organisation_id,
        "heading": i18n.gettext(page_language(request), "Request rejected"),
    }
    return render(request, "upload_result.html", context, exc.status)


async def _form(request: Request) -> dict[str, str]:
    async with request.form() as form:
        return {k: v for k, v in form.items() if isinstance(v, str)}


@router.post("/organisations/{organisation_id}/finalise", response_class=HTMLResponse)
async def finalise(
    request: Request, sessions: Sessions, principal: CurrentPrincipal, organisation_id: str
) -> Response:
    form = await _form(request)
    year, gwp = form.get("year", ""), form.get("gwp", "AR6")
    try:
        _check_form(year, ("gwp", gwp, {g.value for g in GwpSet}))
        statements.finalise(sessions, principal, organisation_id, int(year), GwpSet(gwp))
    except CarbonbridgeError as exc:
        return _rejected(request, principal, organisation_id, exc)
    return RedirectResponse(f"/organisations/{organisation_id}?year={year}&gwp={gwp}", status_code=303)


@router.post("/organisations/{organisation_id}/verification", response_class=HTMLResponse)
async def verification(
    request: Request, sessions: Sessions, principal: CurrentPrincipal, organisation_id: str
) -> Response:
    form = await _form(request)
    year, opinion = form.get("year", ""), form.get("opinion", "")
    try:
        _check_form(year, ("opinion", opinion, {o.value for o in statements.Opinion}))
        chosen = statements.Opinion(opinion)
        statements.verify(sessions, principal, organisation_id, int(year), chosen, form.get("statement", ""))
    except CarbonbridgeError as exc:
        return _rejected(request, principal, organisation_id, exc)
    return RedirectResponse(f"/organisations/{organisation_id}?year={year}", status_code=303)


@router.post("/organisations/{organisation_id}/reopen", response_class=HTMLResponse)
async def reopen(
    request: Request, sessions: Sessions, principal: CurrentPrincipal, organisation_id: str
) -> Response:
    """The regulator's reopen form: the year and the written reason."""
    form = await _form(request)
    year, reason = form.get("year", ""), form.get("reason", "")
    try:
        if not (year.isdigit() and len(year) == 4):
            raise InvalidInput("invalid form", [FieldIssue(("year",), year, "a year such as 2024")])
        statements.reopen(sessions, principal, organisation_id, int(year), reason)
    except CarbonbridgeError as exc:
        return _rejected(request, principal, organisation_id, exc)
    return RedirectResponse(f"/organisations/{organisation_id}?year={year}", status_code=303)
