"""REST: organisations, activity-data submission, inventories, explain, the regional inventory."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from carbonbridge.accounting import service
from carbonbridge.accounting.model import Facility, Organisation, OrganisationKind
from carbonbridge.accounting.schemas import (
    ComputeIn,
    ComputeOut,
    ExplainOut,
    FinaliseIn,
    InventoryOut,
    OrganisationIn,
    OrganisationOut,
    RecordPageOut,
    RegionalOut,
    ReopenIn,
    ReopeningOut,
    ReportingStatusOut,
    RosterLineOut,
    RosterOut,
    RowsIn,
    StatementOut,
    SubmissionInfoOut,
    SubmissionOut,
    VerificationIn,
)
from carbonbridge.accounting.service import adhoc, corrections, records, release, roster, statements
from carbonbridge.accounting.template import template_csv, template_xlsx
from carbonbridge.factors.model import GwpSet
from carbonbridge.kernel.bounds import Year
from carbonbridge.kernel.errors import FieldIssue, InvalidInput
from carbonbridge.platform.bodies import multipart_body, read_uploads
from carbonbridge.platform.deps import AppSettings, CurrentPrincipal, Sessions
from carbonbridge.platform.guard import GuardedRoute, public

router = APIRouter(tags=["accounting"], route_class=GuardedRoute)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: ``?replaces=<submission id>``: the upload corrects that earlier submission (docs/accounting.md)
Replaces = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="id of an earlier submission of this organisation that this upload replaces "
        "(a correction: both stay in the log; inventories use the latest)",
    ),
]


def _kind(value: str, field: tuple[str | int, ...]) -> OrganisationKind:
    try:
        return OrganisationKind(value)
    except ValueError:
        choices = ", ".join(k.value for k in OrganisationKind)
        raise InvalidInput(
            "unknown organisation kind", [FieldIssue(field, value, f"one of {choices}")]
        ) from None


def _org_out(o: Organisation) -> OrganisationOut:
    return OrganisationOut(id=o.id, name_en=o.name_en, name_zh=o.name_zh, kind=o.kind.value, region=o.region)


def inventory_out(inv: service.OrganisationInventory) -> InventoryOut:
    return InventoryOut.of(inv)


@router.get("/organisations", response_model=list[OrganisationOut])
def list_organisations(sessions: Sessions, principal: CurrentPrincipal) -> list[OrganisationOut]:
    """Organisations the caller may see (a reporter sees its own)."""
    return [_org_out(o) for o in service.list_organisations(sessions, principal)]


@router.post("/organisations", response_model=OrganisationOut, status_code=201)
def register_organisation(
    sessions: Sessions, principal: CurrentPrincipal, body: OrganisationIn
) -> OrganisationOut:
    """Register a reporting organisation with its facilities (regulator)."""
    org = Organisation(
        id=body.id,
        name_en=body.name_en,
        name_zh=body.name_zh,
        kind=_kind(body.kind, ("body", "kind")),
        region=body.region,
        credit_code=body.credit_code,
    )
    facilities = [Facility(f.id, body.id, f.name, f.region, f.grid_region) for f in body.facilities]
    service.register_organisation(sessions, principal, org, facilities)
    return _org_out(org)


@router.post(
    "/organisations/{organisation_id}/activity",
    response_model=SubmissionOut,
    status_code=201,
    openapi_extra=multipart_body(file="activity data, CSV (UTF-8/GB18030) or XLSX template"),
)
async def upload_activity(
    request: Request,
    sessions: Sessions,
    principal: CurrentPrincipal,
    settings: AppSettings,
    organisation_id: str,
    replaces: Replaces = None,
) -> SubmissionOut:
    """Submit an activity-data file (``multipart/form-data``, part ``file``): every row is
    validated; one bad row rejects the file. Who may submit is checked before the file is read;
    a file past the installation's cap (50 MiB by default) is refused with 413, unread. With
    ``?replaces=<submission id>`` the file replaces that earlier submission (a correction)."""
    service.check_submitter(principal, organisation_id)
    upload = (await read_uploads(request, ("file",), settings.max_upload_bytes))["file"]
    result = service.submit_upload(
        sessions, principal, organisation_id, upload.filename, upload.data, replaces=replaces
    )
    return SubmissionOut(**result.__dict__)


@router.post("/organisations/{organisation_id}/activity.json", response_model=SubmissionOut, status_code=201)
def submit_activity_rows(
    sessions: Sessions,
    principal: CurrentPrincipal,
    organisation_id: str,
    body: RowsIn,
    replaces: Replaces = None,
) -> SubmissionOut:
    """Submit activity rows as JSON (the template's columns); issues name the array index. With
    ``?replaces=<submission id>`` the rows replace that earlier submission (a correction)."""
    result = service.submit_rows(sessions, principal, organisation_id, body.rows, replaces=replaces)
    return SubmissionOut(**result.__dict__)


@router.get("/organisations/{organisation_id}/submissions", response_model=list[SubmissionInfoOut])
def list_submissions(
    sessions: Sessions, principal: CurrentPrincipal, organisation_id: str
) -> list[SubmissionInfoOut]:
    """Every submission of the organisation, oldest first: which replaced which, when, by whom."""
    return [
        SubmissionInfoOut(
            id=x.id,
            filename=x.filename,
            rows=x.rows,
            sha256=x.sha256,
            submitted_at=x.submitted_at,
            submitted_by=x.submitted_by,
            log_index=x.log_index,
            years=list(x.years),
            replaces=x.replaces,
            replaced_by=x.replaced_by,
        )
        for x in corrections.submission_history(sessions, principal, organisation_id)
    ]


@router.get("/organisations/{organisation_id}/inventory", response_model=InventoryOut)
def organisation_inventory(
    sessions: Sessions,
    principal: CurrentPrincipal,
    organisation_id: str,
    year: Annotated[int, Query(ge=1990, le=2100)],
    gwp: GwpSet = GwpSet.AR6,
) -> InventoryOut:
    """The organisation's inventory for a year under GHG Protocol, ISO 14064-1 and China MEE,
    with the reconciliations between them."""
    return inventory_out(service.organisation_inventory(sessions, principal, organisation_id, year, gwp))


@router.get("/records/{record_id}/explain", response_model=ExplainOut)
def explain(
    sessions: Sessions, principal: CurrentPrincipal, record_id: str, gwp: GwpSet = GwpSet.AR6
) -> ExplainOut:
    """Which factors, why, which equation and GWP set produced each figure of one record."""
    return ExplainOut.of(service.explain_record(sessions, principal, record_id, gwp))


#: ``?framework=``: any accepted spelling; the response names the canonical one
FrameworkQuery = Annotated[
    str | None,
    Query(
        max_length=60,
        description="the framework to report under: ghgp (ghg-protocol), iso14064 (iso-14064-1) or "
        "cn-mee, any case; `framework` in the response is the canonical name used",
    ),
]


#: ``?results=``: how much of each record the response carries
ResultsQuery = Annotated[
    Literal["trace", "gases", "none"],
    Query(
        description="per record: `trace` (per-gas masses, factors, rules, equation, GWP set; the "
        "default), `gases` (per-gas masses only) or `none`",
    ),
]


@router.post("/inventory/compute", response_model=ComputeOut)
@public
def compute(
    sessions: Sessions,
    body: ComputeIn,
    gwp: GwpSet = GwpSet.AR6,
    framework: FrameworkQuery = None,
    results: ResultsQuery = "trace",
) -> ComputeOut:
    """Compute inventories from rows without storing anything (any caller): one per
    organisation and reporting year, with every record's per-gas masses and trace. The region's
    pinned factor datasets are searched first, as for stored data."""
    kind = _kind(body.organisation_kind, ("body", "organisation_kind"))
    organisations = [
        Organisation(o.id, o.id, o.id, _kind(o.kind, ("body", "organisations", n, "kind")), o.region)
        for n, o in enumerate(body.organisations)
    ]
    facilities = [Facility(f.id, f.organisation_id, f.name, f.region, f.grid_region) for f in body.facilities]
    result = adhoc.compute_rows(
        sessions, body.rows, facilities, gwp, kind=kind, organisations=organisations, framework=framework
    )
    return ComputeOut.of(result, results)


@router.post(
    "/inventory/compute-file",
    response_model=ComputeOut,
    openapi_extra=multipart_body(file="activity data, CSV (UTF-8/GB18030) or XLSX template"),
)
@public
async def compute_file(
    request: Request,
    sessions: Sessions,
    settings: AppSettings,
    gwp: GwpSet = GwpSet.AR6,
    framework: FrameworkQuery = None,
    region: Annotated[str, Query(min_length=2, max_length=20)] = "CN-HI",
    grid_region: Annotated[str, Query(min_length=2, max_length=40)] = "CN-GRID-SOUTH",
    kind: Annotated[str, Query(max_length=40)] = "other",
    results: ResultsQuery = "trace",
) -> ComputeOut:
    """Compute an activity file (``multipart/form-data``, part ``file``) without storing
    anything (any caller), exactly as ``carbonbridge inventory compute FILE`` does: the file's
    facilities are in ``region`` and ``grid_region``; one inventory per reporting year."""
    chosen = _kind(kind, ("query", "kind"))
    upload = (await read_uploads(request, ("file",), settings.max_upload_bytes))["file"]
    facilities = adhoc.file_facilities(upload.filename, upload.data, region, grid_region)
    result = adhoc.compute_file(
        sessions, upload.filename, upload.data, facilities, gwp, kind=chosen, framework=framework
    )
    return ComputeOut.of(result, results)


@router.get("/organisations/{organisation_id}/records", response_model=RecordPageOut)
def list_records(
    sessions: Sessions,
    principal: CurrentPrincipal,
    organisation_id: str,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    limit: Annotated[int, Query(ge=1, le=records.MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> RecordPageOut:
    """The organisation's current activity records, a page at a time (oldest period first), each
    with the address of its ``explain``. Scoped like the organisation's inventory."""
    page = records.list_records(sessions, principal, organisation_id, year=year, limit=limit, offset=offset)
    return RecordPageOut.of(page)


@router.get("/inventory/region", response_model=RegionalOut)
@public
def region(
    sessions: Sessions, settings: AppSettings, principal: CurrentPrincipal, gwp: GwpSet = GwpSet.AR6
) -> RegionalOut:
    """The territory's inventory by IPCC and GPC sector per year, with per-capita and per-GDP
    intensities and co-pollutants (public). Figures that would disclose one organisation, and those
    that would let them be derived, are `null` and named in `withheld` (disclosure control,
    docs/accounting.md); with a regulator's or an administrator's token every figure is given."""
    result = release.regional_release(sessions, principal, settings.region, gwp, release.rules_of(settings))
    return RegionalOut.of(result)


@router.get("/reporting/organisations", response_model=RosterOut)
def reporting_roster(
    sessions: Sessions,
    principal: CurrentPrincipal,
    year: Annotated[int, Query(ge=roster.FIRST_YEAR, le=roster.LAST_YEAR)],
    q: Annotated[str, Query(max_length=roster.MAX_QUERY, description="part of an id or name")] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=roster.MAX_PER_PAGE)] = roster.PER_PAGE,
    gwp: GwpSet = GwpSet.AR6,
) -> RosterOut:
    """The organisations the caller may see (a reporter: its own), searched by id or name and
    paged, each with its reporting stage and totals for ``year``. A page past the last is a 422."""
    found = roster.roster(sessions, principal, year=year, gwp=gwp, query=q, page=page, per_page=per_page)
    lines = [
        RosterLineOut(
            organisation=_org_out(x.organisation),
            stage=x.stage.value,
            records=x.records,
            ghgp_co2e_kg=x.ghgp_co2e_kg,
            cn_mee_co2e_kg=x.cn_mee_co2e_kg,
            not_computable=x.not_computable,
        )
        for x in found.lines
    ]
    return RosterOut(
        year=found.year,
        gwp=found.gwp.value,
        q=found.query,
        page=found.page,
        per_page=found.per_page,
        total=found.total,
        pages=found.pages,
        lines=lines,
    )


@router.get("/reporting/status", response_model=ReportingStatusOut)
@public
def reporting_status(
    sessions: Sessions, year: Annotated[int, Query(ge=roster.FIRST_YEAR, le=roster.LAST_YEAR)]
) -> ReportingStatusOut:
    """How many registered organisations reported, finalised and were verified for ``year``
    (public: counts only, no organisation named)."""
    s = roster.reporting_status(sessions, year)
    return ReportingStatusOut(
        year=s.year,
        organisations=s.organisations,
        reported=s.reported,
        finalised=s.finalised,
        verified=s.verified,
        coverage_percent=s.coverage_percent,
    )


@router.get("/activity-template.csv", response_class=Response)
@public
def template_as_csv() -> Response:
    return Response(template_csv(), media_type="text/csv; charset=utf-8")


@router.get("/activity-template.xlsx", response_class=Response)
@public
def template_as_xlsx() -> Response:
    return Response(template_xlsx(), media_type=XLSX)


def _statement_out(st: statements.Statement, receipt: str | None = None) -> StatementOut:
    return StatementOut(
        id=st.id,
        organisation_id=st.organisation_id,
        year=st.year,
        kind=st.kind,
        gwp=st.gwp,
        figures=dict(st.figures),
        opinion=st.opinion,
        by=st.by_name,
        log_index=st.log_index,
        receipt=receipt,
        revision=st.revision,
        superseded=st.superseded,
    )


def _enum(kind: type[GwpSet] | type[statements.Opinion], value: str, field: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(x.value for x in kind)
        raise InvalidInput(
            f"invalid {field}", [FieldIssue(("body", field), value, f"one of {choices}")]
        ) from None


@router.post(
    "/organisations/{organisation_id}/inventory/{year}/finalise", response_model=StatementOut, status_code=201
)
def finalise(
    sessions: Sessions, principal: CurrentPrincipal, organisation_id: str, year: Year, body: FinaliseIn
) -> StatementOut:
    """Fix the year's inventory; afterwards no activity data can be added to that year."""
    result = statements.finalise(sessions, principal, organisation_id, year, _enum(GwpSet, body.gwp, "gwp"))
    return _statement_out(result.statement, result.receipt)


@router.post(
    "/organisations/{organisation_id}/inventory/{year}/verification",
    response_model=StatementOut,
    status_code=201,
)
def verification(
    sessions: Sessions, principal: CurrentPrincipal, organisation_id: str, year: Year, body: VerificationIn
) -> StatementOut:
    """A verifier's statement on a finalised inventory (ISO 14064-3 opinion)."""
    opinion = _enum(statements.Opinion, body.opinion, "opinion")
    result = statements.verify(sessions, principal, organisation_id, year, opinion, body.statement)
    return _statement_out(result.statement, result.receipt)


@router.get("/organisations/{organisation_id}/statements", response_model=list[StatementOut])
def list_statements(
    sessions: Sessions, principal: CurrentPrincipal, organisation_id: str
) -> list[StatementOut]:
    """Every statement, those a reopening superseded included (``superseded``)."""
    found = statements.statements(sessions, principal, organisation_id, superseded=True)
    return [_statement_out(st) for st in found]


def _reopening_out(r: statements.Reopening, receipt: str | None = None) -> ReopeningOut:
    return ReopeningOut(
        id=r.id,
        organisation_id=r.organisation_id,
        year=r.year,
        revision=r.revision,
        reason=r.reason,
        by=r.by_name,
        at=r.at,
        log_index=r.log_index,
        receipt=receipt,
    )


@router.post(
    "/organisations/{organisation_id}/inventory/{year}/reopen", response_model=ReopeningOut, status_code=201
)
def reopen(
    sessions: Sessions,
    principal: CurrentPrincipal,
    organisation_id: str,
    year: Annotated[int, Path(ge=1990, le=2100)],
    body: ReopenIn,
) -> ReopeningOut:
    """Reopen a finalised year with a written reason (regulator; a public log entry). The year
    takes data and replacements again and needs a new finalisation and verification."""
    result = statements.reopen(sessions, principal, organisation_id, year, body.reason)
    return _reopening_out(result.reopening, result.receipt)


@router.get("/organisations/{organisation_id}/reopenings", response_model=list[ReopeningOut])
def list_reopenings(
    sessions: Sessions, principal: CurrentPrincipal, organisation_id: str
) -> list[ReopeningOut]:
    """The regulator's reopenings of the organisation's finalised years, with their reasons."""
    return [_reopening_out(r) for r in statements.reopenings(sessions, principal, organisation_id)]
