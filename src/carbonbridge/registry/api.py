"""REST: registry accounts and balances, projects and their lifecycle, monitoring reports,
issuance, transfers, retirements, cancellations, reversals, exports and expiries, serial search and the public
retirement records. Every state change answers with its ledger receipt; every error is RFC 9457
problem+json (``platform/problems.py``)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from carbonbridge.platform.deps import CurrentPrincipal, Sessions, credentials_of, get_sessions
from carbonbridge.platform.guard import GuardedRoute, public
from carbonbridge.platform.identity import Credentials
from carbonbridge.platform.openapi import CALLER_RESPONSES
from carbonbridge.registry import issuance as issuing
from carbonbridge.registry import reads, service, views
from carbonbridge.registry.cadt import api as cadt_api
from carbonbridge.registry.compliance import api as compliance_api
from carbonbridge.registry.model import (
    Cancellation,
    ExpiryRequest,
    ExportRequest,
    ProjectDraft,
    Receipt,
    Retirement,
    Transfer,
    Units,
)
from carbonbridge.registry.schemas import (
    AccountOut,
    BalanceOut,
    BlockOut,
    CancellationIn,
    ExpiryIn,
    ExportConfirmIn,
    ExportIn,
    ExportRejectIn,
    IssuanceOut,
    IssuanceReceiptOut,
    OperationOut,
    OpinionIn,
    PlannedIssuanceIn,
    ProjectIn,
    ProjectOut,
    ProjectStepOut,
    ReceiptOut,
    ReportIn,
    ReportOut,
    ReportStepOut,
    RetirementIn,
    RetirementRecordOut,
    ReversalIn,
    SerialStatusOut,
    SheetOut,
    TallyOut,
    TransferIn,
    UnitsIn,
    VerifyIn,
)
from carbonbridge.registry.units import exports
from carbonbridge.registry.units import service as movements

router = APIRouter(prefix="/registry", tags=["registry"], route_class=GuardedRoute)
#: single transfers, retirements and cancellations: the registry's hot write path, included by the
#: app ahead of every other API router (FastAPI matches routes in order, every router level
#: twice; with this router last, a retirement was matched against 59 routes, half the request's
#: CPU time in a profile)
hot_router = moves = APIRouter(
    prefix="/registry", tags=["registry"], route_class=GuardedRoute, responses=CALLER_RESPONSES
)
# single moves are group-committed behind the units service: drain and stop its writer threads
router.on_shutdown.append(movements.stop_group_commits)


def receipt_out(sessions: Sessions, receipt: Receipt) -> ReceiptOut:
    return ReceiptOut.of(receipt, views.serials_of(sessions, list(receipt.produced)))


async def _answered(http: Request, receipt: Awaitable[Receipt]) -> ReceiptOut:
    """The receipt of a move, once its use case has committed, with its serial numbers (from the
    project prefixes already read, else read off the event loop)."""
    done = await receipt
    produced = list(done.produced)
    serials = views.cached_serials(produced)
    if serials is None:
        serials = await run_in_threadpool(views.serials_of, get_sessions(http), produced)
    return ReceiptOut.of(done, serials)


def _moving(http: Request) -> tuple[Sessions, Credentials | None]:
    """The session factory and the caller's token as presented (bearer header or session cookie,
    read without touching the database): the use case authenticates it in its own transaction.
    Read off the request, not declared as dependencies: FastAPI resolves each dependency per
    request, and on this path that was the largest single cost after routing."""
    return get_sessions(http), credentials_of(http)


def _units(body: UnitsIn) -> Units:
    return Units(body.account_id, body.project_id, body.vintage, body.quantity, body.start, body.end)


# --- accounts -----------------------------------------------------------------------------------


@router.post("/organisations/{organisation_id}/accounts", response_model=list[AccountOut], status_code=201)
def open_accounts(sessions: Sessions, principal: CurrentPrincipal, organisation_id: str) -> list[AccountOut]:
    """Admit an organisation to the registry: its holding, retirement and cancellation accounts
    (regulator; idempotent)."""
    found = service.open_accounts(sessions, principal, organisation_id)
    return [
        AccountOut(id=a.id, organisation_id=a.organisation_id, kind=k.value) for k, a in sorted(found.items())
    ]


@router.get("/organisations/{organisation_id}/accounts", response_model=list[AccountOut])
def accounts(sessions: Sessions, principal: CurrentPrincipal, organisation_id: str) -> list[AccountOut]:
    """An organisation's accounts (its users, the regulator, verifiers)."""
    found = service.accounts(sessions, principal, organisation_id)
    return [
        AccountOut(id=a.id, organisation_id=a.organisation_id, kind=k.value) for k, a in sorted(found.items())
    ]


@router.get("/accounts/{account_id}/balances", response_model=list[BalanceOut])
def balances(sessions: Sessions, principal: CurrentPrincipal, account_id: str) -> list[BalanceOut]:
    """Tonnes per project, vintage and state in an account."""
    return [BalanceOut.of(b) for b in reads.balances(sessions, principal, account_id)]


@router.get("/accounts/{account_id}/blocks", response_model=list[BlockOut])
def blocks(sessions: Sessions, principal: CurrentPrincipal, account_id: str) -> list[BlockOut]:
    """The open serial blocks of an account, with their serial numbers."""
    found = reads.holdings(sessions, principal, account_id)
    return [
        BlockOut(
            id=b.id,
            serial=s,
            project_id=b.project_id,
            vintage=b.vintage,
            start=b.start,
            end=b.end,
            count=b.count,
            account_id=b.account_id,
            state=b.state.value,
        )
        for b, s in zip(found, views.serials_of(sessions, found), strict=True)
    ]


# --- projects -----------------------------------------------------------------------------------


@router.get("/projects", response_model=list[ProjectOut])
@public
def projects(sessions: Sessions) -> list[ProjectOut]:
    """Every project (public)."""
    return [ProjectOut.of(p) for p in views.list_projects(sessions)]


@router.post("/projects", response_model=ProjectStepOut, status_code=201)
def draft_project(sessions: Sessions, principal: CurrentPrincipal, body: ProjectIn) -> ProjectStepOut:
    """Open a project in ``draft`` (developer of the organisation)."""
    draft = ProjectDraft(
        body.code,
        body.organisation_id,
        body.name_en,
        body.name_zh,
        body.methodology,
        body.region,
        body.standard,
        body.parameters,
    )
    project, receipt = service.draft_project(sessions, principal, draft)
    return ProjectStepOut(project=ProjectOut.of(project), receipt=receipt_out(sessions, receipt))


@router.get("/projects/{project_id}", response_model=SheetOut)
@public
def project_sheet(sessions: Sessions, project_id: str) -> SheetOut:
    """A project's public sheet: design, monitoring reports with the calculation, issuances with
    serial ranges, the logged timeline and conservation per vintage."""
    sheet = views.project_sheet(sessions, project_id)
    return SheetOut(
        project=ProjectOut.of(sheet.project),
        reports=[ReportOut.of(r) for r in sheet.reports],
        issuances=[IssuanceOut(**i.__dict__) for i in sheet.issuances],
        timeline=[
            OperationOut(
                operation_id=t.operation_id,
                kind=t.kind.value,
                at=t.at,
                actor=t.actor,
                details=dict(t.details),
                log_index=t.log_index,
                verify_url=f"/transparency-log/entries/{t.log_index}",
            )
            for t in sheet.timeline
        ],
        tallies=[
            TallyOut(
                project_id=t.project_id,
                vintage=t.vintage,
                issued=t.issued,
                by_state={k.value: v for k, v in t.by_state.items()},
                balanced=t.balanced,
            )
            for t in sheet.tallies
        ],
    )


@router.post("/projects/{project_id}/validate", response_model=ProjectStepOut)
def validate_project(
    sessions: Sessions, principal: CurrentPrincipal, project_id: str, body: OpinionIn
) -> ProjectStepOut:
    """A verifier validates a drafted project's design."""
    project, receipt = service.validate_project(sessions, principal, project_id, body.opinion)
    return ProjectStepOut(project=ProjectOut.of(project), receipt=receipt_out(sessions, receipt))


@router.post("/projects/{project_id}/register", response_model=ProjectStepOut)
def register_project(
    sessions: Sessions, principal: CurrentPrincipal, project_id: str, body: OpinionIn
) -> ProjectStepOut:
    """The regulator registers a validated project."""
    project, receipt = service.register_project(sessions, principal, project_id, body.opinion)
    return ProjectStepOut(project=ProjectOut.of(project), receipt=receipt_out(sessions, receipt))


@router.post("/projects/{project_id}/reports", response_model=ReportStepOut, status_code=201)
def submit_report(
    sessions: Sessions, principal: CurrentPrincipal, project_id: str, body: ReportIn
) -> ReportStepOut:
    """Submit a monitoring report: the methodology computes the period now (plausibility checks
    included); the calculation is stored and its digest logged."""
    report, receipt = service.submit_report(
        sessions, principal, project_id, body.period_start, body.period_end, body.parameters
    )
    return ReportStepOut(report=ReportOut.of(report), receipt=receipt_out(sessions, receipt))


@router.post("/reports/{report_id}/verify", response_model=ReportStepOut)
def verify_report(
    sessions: Sessions, principal: CurrentPrincipal, report_id: str, body: VerifyIn
) -> ReportStepOut:
    """A verifier's opinion; an implausible-flagged calculation needs ``override_reason``."""
    report, receipt = service.verify_report(
        sessions, principal, report_id, body.opinion, override_reason=body.override_reason
    )
    return ReportStepOut(report=ReportOut.of(report), receipt=receipt_out(sessions, receipt))


@router.post("/reports/{report_id}/issue", response_model=IssuanceReceiptOut, status_code=201)
def issue(sessions: Sessions, principal: CurrentPrincipal, report_id: str) -> IssuanceReceiptOut:
    """Issue a verified report's credits (regulator); removals put their buffer share in the pool.
    The vintage's planned (ex-ante) units are converted in place first, oldest serials first,
    wherever they are held; only the rest are new serials (``converted`` / ``newly_serialised``)."""
    receipt = issuing.issue(sessions, principal, report_id)
    return IssuanceReceiptOut.of_issuance(receipt, views.serials_of(sessions, list(receipt.produced)))


@router.post("/projects/{project_id}/planned-issuances", response_model=ReceiptOut, status_code=201)
def issue_planned(
    sessions: Sessions, principal: CurrentPrincipal, project_id: str, body: PlannedIssuanceIn
) -> ReceiptOut:
    """Issue ex-ante (planned) units to the developer's holding account (regulator; a validated
    project): tradable, never retirable, from the project-vintage serial counter; the vintage's
    verified issuance converts them in place."""
    receipt = issuing.issue_planned(sessions, principal, project_id, body.vintage, body.quantity, body.basis)
    return receipt_out(sessions, receipt)


@router.post("/projects/{project_id}/reversals", response_model=ReceiptOut, status_code=201)
def reverse(sessions: Sessions, principal: CurrentPrincipal, project_id: str, body: ReversalIn) -> ReceiptOut:
    """A loss of stored carbon (regulator): cancels buffer units, never retired credits."""
    return receipt_out(sessions, movements.reverse(sessions, principal, project_id, body.loss_t, body.reason))


# --- moving units -------------------------------------------------------------------------------


@moves.post("/transfers", response_model=ReceiptOut, status_code=201)
async def transfer(http: Request, body: TransferIn) -> ReceiptOut:
    """Move units to another organisation's holding account."""
    sessions, caller = _moving(http)
    request = Transfer(_units(body), body.to_account_id)
    return await _answered(http, movements.transfer_async(sessions, caller, request))


@moves.post("/retirements", response_model=ReceiptOut, status_code=201)
async def retire(http: Request, body: RetirementIn) -> ReceiptOut:
    """Retire held units for a beneficiary and purpose; the record is public."""
    sessions, caller = _moving(http)
    request = Retirement(_units(body), body.beneficiary, body.purpose)
    return await _answered(http, movements.retire_async(sessions, caller, request))


@router.get("/retirements", response_model=list[RetirementRecordOut])
@public
def retirements(
    sessions: Sessions,
    project_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[RetirementRecordOut]:
    """The public retirement records (beneficiary, purpose, serials, log entry), newest first."""
    if project_id is not None:
        service.get_project(sessions, project_id)
        found = reads.retirement_records(sessions, project_id, limit=limit)
    else:
        found = views.all_retirements(sessions, limit=limit)
    return [RetirementRecordOut.of(r) for r in found]


@moves.post("/cancellations", response_model=ReceiptOut, status_code=201)
async def cancel(http: Request, body: CancellationIn) -> ReceiptOut:
    """Cancel units without a retirement claim (holder, or the regulator)."""
    sessions, caller = _moving(http)
    request = Cancellation(_units(body), body.reason)
    return await _answered(http, movements.cancel_async(sessions, caller, request))


@router.post("/exports", response_model=ReceiptOut, status_code=201)
def request_export(sessions: Sessions, principal: CurrentPrincipal, body: ExportIn) -> ReceiptOut:
    """Ask to export held units to another registry (holder): they wait as ``pending_export``
    until the regulator confirms or rejects; the receipt's operation id names the request."""
    request = ExportRequest(_units(body), body.destination_registry, body.destination_account, body.reason)
    return receipt_out(sessions, exports.request_export(sessions, principal, request))


@router.post("/exports/{operation_id}/confirm", response_model=ReceiptOut, status_code=201)
def confirm_export(
    sessions: Sessions, principal: CurrentPrincipal, operation_id: str, body: ExportConfirmIn
) -> ReceiptOut:
    """The regulator confirms an export: the pending units are ``exported`` for good."""
    receipt = exports.confirm_export(sessions, principal, operation_id, body.destination_reference)
    return receipt_out(sessions, receipt)


@router.post("/exports/{operation_id}/reject", response_model=ReceiptOut, status_code=201)
def reject_export(
    sessions: Sessions, principal: CurrentPrincipal, operation_id: str, body: ExportRejectIn
) -> ReceiptOut:
    """The regulator rejects an export: the pending units are ``held`` again, same serials."""
    return receipt_out(sessions, exports.reject_export(sessions, principal, operation_id, body.reason))


@router.post("/expiries", response_model=ReceiptOut, status_code=201)
def expire(sessions: Sessions, principal: CurrentPrincipal, body: ExpiryIn) -> ReceiptOut:
    """Expire held or planned units whose validity has ended (regulator)."""
    return receipt_out(
        sessions, exports.expire(sessions, principal, ExpiryRequest(_units(body), body.reason))
    )


@router.get("/serials/{serial}", response_model=list[SerialStatusOut])
@public
def find_serial(sessions: Sessions, serial: str) -> list[SerialStatusOut]:
    """Public credit search: the current state of each part of a serial range."""
    return [
        SerialStatusOut(
            serial=s.serial,
            state=s.state.value,
            project_id=s.project_id,
            standard=s.standard,
            methodology=s.methodology,
        )
        for s in reads.find_serial(sessions, serial)
    ]


# allowances, CAD Trust exchange and mutual recognition live in their own face module
router.include_router(compliance_api.router)
router.include_router(cadt_api.router)
