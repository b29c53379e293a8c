"""Registry use cases: open accounts, take a project through its lifecycle, issue credits from
verified monitoring reports (``issuance.py``); the reads live in ``reads.py`` and the unit
movements, exports and expiry in the ``units`` sub-package (``units/service.py``,
``units/exports.py``). Each call is one
transaction that writes the registry rows and appends the log entries (``events.py``) together;
it returns :class:`~carbonbridge.registry.model.Receipt` s. A failed call changes nothing and raises
a typed error saying why.

Roles (``docs/registry.md``): developers draft projects and submit monitoring reports for their own
organisation, verifiers validate projects and verify reports, the regulator registers projects,
issues credits, opens accounts and handles reversals; holders (developers, reporters) transfer,
retire, cancel and request exports from their own organisation's holding account; the regulator
confirms or rejects exports and expires units; admins may do everything.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import service as accounting
from carbonbridge.factors import service as factor_service
from carbonbridge.kernel.canonical import canonical_json
from carbonbridge.kernel.clock import Clock, utc_now
from carbonbridge.kernel.errors import Conflict, FieldIssue, InvalidInput, NotFound
from carbonbridge.kernel.ids import new_id
from carbonbridge.methodologies import service as methodologies
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.registry import lifecycle, store
from carbonbridge.registry.errors import ImplausibleCalculation
from carbonbridge.registry.events import project_facts, report_facts, verification_facts
from carbonbridge.registry.lifecycle import Step
from carbonbridge.registry.location import location_issues
from carbonbridge.registry.model import (
    Account,
    AccountKind,
    MonitoringReport,
    OpenedAccounts,
    OperationKind,
    Project,
    ProjectDraft,
    ProjectStatus,
    Receipt,
    ReportStatus,
)
from carbonbridge.registry.serials import PROJECT_CODE, REGION
from carbonbridge.registry.writes import (
    PendingOperation,
    check_text,
    ensure_registry_accounts,
    locked_project,
    locked_report,
    new_operation,
    record,
)

# --- accounts -----------------------------------------------------------------------------------


def open_accounts(
    sessions: sessionmaker[Session], principal: Principal, organisation_id: str, *, clock: Clock = utc_now
) -> OpenedAccounts:
    """Admit an accounting-context organisation to the registry: its holding, retirement and
    cancellation accounts (regulator; idempotent: existing accounts are returned, with no receipt
    since nothing changed). The opening is logged; its receipt is ``.receipt``."""
    principal.require(Role.REGULATOR)
    known = {o.id for o in accounting.list_organisations(sessions, principal)}
    if organisation_id not in known:
        raise NotFound(
            f"organisation {organisation_id!r} is not registered in accounting",
            [FieldIssue(("organisation_id",), organisation_id, "unknown organisation")],
        )
    with unit_of_work(sessions) as session:
        ensure_registry_accounts(session)
        have = store.accounts_of(session, organisation_id)
        missing = [
            k
            for k in (AccountKind.HOLDING, AccountKind.RETIREMENT, AccountKind.CANCELLATION)
            if k not in have
        ]
        opened = OpenedAccounts(have)
        if not missing:
            return opened
        for kind in missing:
            account = Account(new_id("acc"), organisation_id, kind)
            store.add_account(session, account)
            opened[kind] = account
        details = {
            "organisation_id": organisation_id,
            "accounts": {k.value: a.id for k, a in sorted(opened.items())},
        }
        op = new_operation(principal, OperationKind.ACCOUNTS_OPENED, None, details, clock)
        (opened.receipt,) = record(session, principal, [PendingOperation(op, [], [], {})])
        return opened


def accounts(
    sessions: sessionmaker[Session], principal: Principal, organisation_id: str
) -> dict[AccountKind, Account]:
    """An organisation's accounts (its own users, the regulator, verifiers)."""
    principal.require(Role.REGULATOR, Role.VERIFIER, Role.DEVELOPER, Role.REPORTER)
    principal.require_organisation(organisation_id)
    with unit_of_work(sessions) as session:
        return store.accounts_of(session, organisation_id)


# --- projects -----------------------------------------------------------------------------------


def draft_project(
    sessions: sessionmaker[Session], principal: Principal, draft: ProjectDraft, *, clock: Clock = utc_now
) -> tuple[Project, Receipt]:
    """Open a project in ``draft`` (developer of the organisation). The methodology must be
    installed; it is recorded as ``id@version``. An optional map point
    ``parameters["location"] = {"lat": ..., "lon": ...}`` must be WGS-84 decimal degrees in range
    (:mod:`carbonbridge.registry.location`)."""
    principal.require(Role.DEVELOPER)
    principal.require_organisation(draft.organisation_id)
    issues: list[FieldIssue] = []
    if not isinstance(draft.code, str) or not PROJECT_CODE.fullmatch(draft.code):
        issues.append(FieldIssue(("code",), draft.code, "1-20 upper-case letters or digits"))
    if not isinstance(draft.region, str) or not REGION.fullmatch(draft.region):
        issues.append(FieldIssue(("region",), draft.region, "an ISO 3166-2 subdivision such as CN-HI"))
    check_text(draft.name_en, "name_en", 200, issues)
    check_text(draft.name_zh, "name_zh", 200, issues)
    check_text(draft.standard, "standard", 40, issues)
    if isinstance(draft.parameters, Mapping):
        issues.extend(location_issues(draft.parameters))
    try:
        parameters_json = canonical_json(dict(draft.parameters)).decode()
    except (ValueError, TypeError) as exc:
        issues.append(FieldIssue(("parameters",), "...", f"not JSON: {exc}"))
        parameters_json = "{}"
    if issues:
        raise InvalidInput("cannot draft project", issues)
    methodology = methodologies.get(draft.methodology)
    project = Project(
        new_id("prj"),
        draft.code,
        draft.organisation_id,
        draft.name_en.strip(),
        draft.name_zh.strip(),
        f"{methodology.id}@{methodology.version}",
        methodology.kind.value,
        draft.region,
        draft.standard.strip(),
        json.loads(parameters_json),
        ProjectStatus.DRAFT,
    )
    try:
        with unit_of_work(sessions) as session:
            if store.project_by_code(session, draft.code) is not None:
                raise Conflict(
                    f"project code {draft.code} is taken", [FieldIssue(("code",), draft.code, "already used")]
                )
            store.add_project(session, project, parameters_json)
            op = new_operation(
                principal, OperationKind.PROJECT_DRAFTED, project.id, {"status": "draft"}, clock
            )
            receipt = record(session, principal, [PendingOperation(op, [], [], project_facts(project))])[0]
    except IntegrityError as exc:
        raise InvalidInput(
            "cannot draft project",
            [FieldIssue(("organisation_id",), draft.organisation_id, "unknown organisation, or code taken")],
        ) from exc
    return project, receipt


def _project_step(
    sessions: sessionmaker[Session],
    principal: Principal,
    project_id: str,
    step: Step,
    opinion: str,
    clock: Clock,
) -> tuple[Project, Receipt]:
    principal.require(Role(lifecycle.ROLE_OF_STEP[step]))
    issues: list[FieldIssue] = []
    check_text(opinion, "opinion", 5000, issues)
    if issues:
        raise InvalidInput(f"cannot {step.value} project", issues)
    kind = OperationKind.PROJECT_VALIDATED if step is Step.VALIDATE else OperationKind.PROJECT_REGISTERED
    with unit_of_work(sessions) as session:
        project = locked_project(session, project_id)
        status = lifecycle.project_after(project.status, step)
        store.set_project_status(session, project_id, status)
        op = new_operation(principal, kind, project_id, {"status": status.value, "opinion": opinion}, clock)
        receipt = record(session, principal, [PendingOperation(op, [], [], {})])[0]
        return replace(project, status=status), receipt


def validate_project(
    sessions: sessionmaker[Session],
    principal: Principal,
    project_id: str,
    opinion: str,
    *,
    clock: Clock = utc_now,
) -> tuple[Project, Receipt]:
    """A verifier's validation of a drafted project's design (ISO 14064-3 validation)."""
    return _project_step(sessions, principal, project_id, Step.VALIDATE, opinion, clock)


def register_project(
    sessions: sessionmaker[Session],
    principal: Principal,
    project_id: str,
    note: str,
    *,
    clock: Clock = utc_now,
) -> tuple[Project, Receipt]:
    """The regulator's registration of a validated project."""
    return _project_step(sessions, principal, project_id, Step.REGISTER, note, clock)


def get_project(sessions: sessionmaker[Session], project_id: str) -> Project:
    """A project's sheet (public)."""
    with unit_of_work(sessions) as session:
        project = store.get_project(session, project_id)
    if project is None:
        raise NotFound(f"project {project_id} does not exist")
    return project


# --- monitoring reports -------------------------------------------------------------------------


def submit_report(
    sessions: sessionmaker[Session],
    principal: Principal,
    project_id: str,
    period_start: date,
    period_end: date,
    parameters: Mapping[str, Any],
    *,
    clock: Clock = utc_now,
) -> tuple[MonitoringReport, Receipt]:
    """Submit a monitoring report (developer of the project's organisation): the project's
    methodology computes the period's net removals or reductions now, and the calculation is
    stored and its digest logged. The vintage is the year the period ends."""
    principal.require(Role.DEVELOPER)
    if period_end < period_start:
        raise InvalidInput(
            "invalid monitoring period",
            [FieldIssue(("period_end",), period_end.isoformat(), "before period_start")],
        )
    with unit_of_work(sessions) as session:
        project = locked_project(session, project_id)
        principal.require_organisation(project.organisation_id)
        lifecycle.can_submit_report(project.status)
        for other in store.reports_of(session, project_id):
            if other.period_start <= period_end and period_start <= other.period_end:
                raise Conflict(
                    f"the period overlaps monitoring report {other.id} "
                    f"({other.period_start}..{other.period_end})",
                    [FieldIssue(("period_start",), period_start.isoformat(), "overlaps an earlier report")],
                )
        # the region's factor library (shipped + imported datasets, pins) as of this transaction
        factors = factor_service.library_in(session)
        calculation = methodologies.calculate(project.methodology, parameters, factors=factors)
        calc = calculation.as_dict()
        calc_json = canonical_json(calc).decode()
        report = MonitoringReport(
            new_id("mr"),
            project_id,
            period_start,
            period_end,
            period_end.year,
            json.loads(calc_json),
            ReportStatus.SUBMITTED,
        )
        store.add_report(session, report, calc_json)
        op = new_operation(
            principal, OperationKind.REPORT_SUBMITTED, project_id, {"report_id": report.id}, clock
        )
        receipt = record(session, principal, [PendingOperation(op, [], [], report_facts(report))])[0]
        return report, receipt


def verify_report(
    sessions: sessionmaker[Session],
    principal: Principal,
    report_id: str,
    opinion: str,
    *,
    override_reason: str = "",
    clock: Clock = utc_now,
) -> tuple[MonitoringReport, Receipt]:
    """A verifier's opinion on a submitted monitoring report. A calculation flagged implausible is
    verified only with a written ``override_reason``, which is recorded and logged."""
    principal.require(Role.VERIFIER)
    issues: list[FieldIssue] = []
    check_text(opinion, "opinion", 5000, issues)
    if override_reason and len(override_reason) > 2000:
        issues.append(FieldIssue(("override_reason",), override_reason[:80], "at most 2,000 characters"))
    if issues:
        raise InvalidInput("cannot verify monitoring report", issues)
    with unit_of_work(sessions) as session:
        report = locked_report(session, report_id)
        status = lifecycle.report_after(report.status, Step.VERIFY_REPORT)
        implausible = [f for f in report.calculation.get("flags", []) if f.get("severity") == "implausible"]
        if implausible and not override_reason.strip():
            raise ImplausibleCalculation(
                f"the calculation of {report_id} is flagged implausible; "
                "give an override reason to verify it",
                [
                    FieldIssue(("flags", str(f.get("check"))), f.get("value"), str(f.get("reason_en")))
                    for f in implausible
                ],
            )
        store.set_report(
            session, report_id, status=status.value, opinion=opinion, override_reason=override_reason.strip()
        )
        report = replace(report, status=status, opinion=opinion, override_reason=override_reason.strip())
        op = new_operation(
            principal, OperationKind.REPORT_VERIFIED, report.project_id, {"report_id": report_id}, clock
        )
        receipt = record(session, principal, [PendingOperation(op, [], [], verification_facts(report))])[0]
        return report, receipt


def reports(sessions: sessionmaker[Session], project_id: str) -> list[MonitoringReport]:
    """A project's monitoring reports (public: the project sheet shows them)."""
    with unit_of_work(sessions) as session:
        return store.reports_of(session, project_id)
