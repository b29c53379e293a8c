"""Web: the review queue of verifiers and the regulator (``/registry/review``).

A verifier sees the projects awaiting validation (``draft``) and the monitoring reports awaiting
verification (``submitted``), each with its key figures (methodology; the calculation's net tonnes
and plausibility flags), and validates or verifies them with a written opinion (and, for a
calculation flagged implausible, a written override reason). The regulator sees the projects
awaiting registration (``validated``) and the verified reports awaiting issuance (with the whole
tonnes and buffer the issuance would make, :func:`issuing.issuance_quantities`), registers and
issues them, and issues ex-ante (``planned``) units for a validated or registered project. Admins
see both. Anyone else is told why not, in the page's language.

Every form post calls the registry service (one transaction each) and shows its receipt's log
entry, or the error that refused it (and changed nothing), through :mod:`web_outcome`. The forms
carry no token of their own, like the registry's other pages: the session cookie is
``SameSite=Lax`` (``platform/web.py``), so a cross-site form post arrives without it and is
refused as the public's.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from carbonbridge.kernel.errors import CarbonbridgeError, FieldIssue, InvalidInput
from carbonbridge.kernel.exact import to_decimal
from carbonbridge.platform.deps import CurrentPrincipal, Sessions
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.platform.web import PageRoute
from carbonbridge.registry import issuance as issuing
from carbonbridge.registry import service, views
from carbonbridge.registry.model import MonitoringReport, Project, ProjectStatus, Receipt, ReportStatus
from carbonbridge.registry.web_outcome import render_outcome, render_refusal, settle, settle_form

router = APIRouter(include_in_schema=False, route_class=PageRoute)

_WHOLE = re.compile(r"-?\d{1,9}")


@dataclass(frozen=True)
class QueuedReport:
    """A monitoring report in the queue with its project, its net tonnes (as the calculation
    stored them, a decimal string) and, for a verified report, the whole tonnes the issuance would
    make and the buffer part of them (``None`` if the calculation's buffer share is unusable: the
    issue step then says why)."""

    report: MonitoringReport
    project: Project
    net_t: Decimal
    implausible: bool
    to_issue: int | None = None
    buffer: int | None = None


@dataclass(frozen=True)
class ReviewQueue:
    """What waits for the principal: for a verifier, drafts and submitted reports; for the
    regulator, validated projects, verified reports and the projects that may get ex-ante units."""

    to_validate: list[Project]
    to_verify: list[QueuedReport]
    to_register: list[Project]
    to_issue: list[QueuedReport]
    for_planned: list[Project]


def _queued(report: MonitoringReport, project: Project) -> QueuedReport:
    net = to_decimal(report.calculation.get("net_t", "0"), field="net_t")
    implausible = any(f.get("severity") == "implausible" for f in report.calculation.get("flags", []))
    if report.status is not ReportStatus.VERIFIED:
        return QueuedReport(report, project, net, implausible)
    try:
        share = issuing.buffer_share_of(report.calculation)
    except CarbonbridgeError:
        return QueuedReport(report, project, net, implausible)
    quantity, buffer = issuing.issuance_quantities(net, share)
    return QueuedReport(report, project, net, implausible, quantity, buffer)


def review_queue(sessions: Sessions, principal: Principal) -> ReviewQueue:
    """The principal's queue (verifier, regulator or admin; anyone else is refused), projects by
    code and each project's reports by period. Reads only public records (projects and reports)."""
    principal.require(Role.VERIFIER, Role.REGULATOR)
    verifier = principal.role in (Role.VERIFIER, Role.ADMIN)
    regulator = principal.role in (Role.REGULATOR, Role.ADMIN)
    projects = views.list_projects(sessions)
    reports = [
        (r, p)
        for p in projects
        if p.status is ProjectStatus.REGISTERED
        for r in service.reports(sessions, p.id)
    ]
    return ReviewQueue(
        [p for p in projects if p.status is ProjectStatus.DRAFT] if verifier else [],
        [_queued(r, p) for r, p in reports if r.status is ReportStatus.SUBMITTED] if verifier else [],
        [p for p in projects if p.status is ProjectStatus.VALIDATED] if regulator else [],
        [_queued(r, p) for r, p in reports if r.status is ReportStatus.VERIFIED] if regulator else [],
        [p for p in projects if p.status is not ProjectStatus.DRAFT] if regulator else [],
    )


def _review_page(
    request: Request,
    sessions: Sessions,
    principal: Principal,
    *,
    done: Receipt | None = None,
    error: CarbonbridgeError | None = None,
) -> Response:
    try:
        queue = review_queue(sessions, principal)
    except CarbonbridgeError as exc:  # not the principal's page: the refused step's reason, if any
        return render_refusal(request, principal, error or exc)
    context = {"principal": principal, "queue": queue}
    return render_outcome(request, sessions, "review.html", context, done=done, error=error)


@router.get("/registry/review", response_class=HTMLResponse)
def review_page(request: Request, sessions: Sessions, principal: CurrentPrincipal) -> Response:
    """The review queue of a verifier or the regulator, with a form for each step."""
    return _review_page(request, sessions, principal)


@router.post("/registry/review/projects/{project_id}/validate", response_class=HTMLResponse)
async def validate_form(
    request: Request, sessions: Sessions, principal: CurrentPrincipal, project_id: str
) -> Response:
    def act(form: dict[str, str]) -> Receipt:
        return service.validate_project(sessions, principal, project_id, form.get("opinion", ""))[1]

    return await settle_form(request, act, functools.partial(_review_page, request, sessions, principal))


@router.post("/registry/review/projects/{project_id}/register", response_class=HTMLResponse)
async def register_form(
    request: Request, sessions: Sessions, principal: CurrentPrincipal, project_id: str
) -> Response:
    def act(form: dict[str, str]) -> Receipt:
        return service.register_project(sessions, principal, project_id, form.get("note", ""))[1]

    return await settle_form(request, act, functools.partial(_review_page, request, sessions, principal))


@router.post("/registry/review/reports/{report_id}/verify", response_class=HTMLResponse)
async def verify_form(
    request: Request, sessions: Sessions, principal: CurrentPrincipal, report_id: str
) -> Response:
    def act(form: dict[str, str]) -> Receipt:
        opinion, override = form.get("opinion", ""), form.get("override_reason", "")
        return service.verify_report(sessions, principal, report_id, opinion, override_reason=override)[1]

    return await settle_form(request, act, functools.partial(_review_page, request, sessions, principal))


@router.post("/registry/review/reports/{report_id}/issue", response_class=HTMLResponse)
async def issue_form(
    request: Request, sessions: Sessions, principal: CurrentPrincipal, report_id: str
) -> Response:
    def act() -> Receipt:
        return issuing.issue(sessions, principal, report_id)

    return settle(act, functools.partial(_review_page, request, sessions, principal))


def _whole_numbers(form: dict[str, str]) -> tuple[int, int]:
    """The planned-issuance form's ``vintage`` and ``quantity`` as integers; their ranges are the
    service's to check (:func:`issuing.issue_planned`), text that is no integer is refused here
    with the service's reasons."""
    issues: list[FieldIssue] = []
    values: dict[str, int] = {}
    for name, reason in (("vintage", "a four-digit year"), ("quantity", "a whole number of tonnes ≥ 1")):
        text = form.get(name, "").strip()
        if _WHOLE.fullmatch(text):
            values[name] = int(text)
        else:
            issues.append(FieldIssue((name,), text, reason))
    if issues:
        raise InvalidInput("invalid ex-ante issuance", issues)
    return values["vintage"], values["quantity"]


@router.post("/registry/review/projects/{project_id}/planned", response_class=HTMLResponse)
async def planned_form(
    request: Request, sessions: Sessions, principal: CurrentPrincipal, project_id: str
) -> Response:
    """Issue ex-ante (``planned``) units to the project's developer (regulator)."""

    def act(form: dict[str, str]) -> Receipt:
        principal.require(Role.REGULATOR)
        vintage, quantity = _whole_numbers(form)
        return issuing.issue_planned(
            sessions, principal, project_id, vintage, quantity, form.get("basis", "")
        )

    return await settle_form(request, act, functools.partial(_review_page, request, sessions, principal))
