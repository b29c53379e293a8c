"""Registry use cases: open accounts, take a project through its lifecycle, issue credits from
verified monitoring reports, and move units (transfer, retire, cancel, reverse), singly or in a
batch; export units to another registry and expire them (``exports.py``). Each call is one
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
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import service as accounting
from carbonbridge.factors import service as factor_service
from carbonbridge.kernel.canonical import canonical_json
from carbonbridge.kernel.clock import Clock, utc_now
from carbonbridge.kernel.errors import (
    Conflict,
    FieldIssue,
    InvalidInput,
    NotFound,
)
from carbonbridge.kernel.exact import to_decimal
from carbonbridge.kernel.ids import new_id
from carbonbridge.methodologies import service as methodologies
from carbonbridge.methodologies.model import Kind
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.registry import blocks, lifecycle, store
from carbonbridge.registry.errors import ImplausibleCalculation, InvalidTransition
from carbonbridge.registry.events import LEDGER_AUDITORS as LEDGER_AUDITORS
from carbonbridge.registry.events import (
    issuance_facts,
    project_facts,
    report_facts,
    verification_facts,
)
from carbonbridge.registry.exports import confirm_export as confirm_export
from carbonbridge.registry.exports import expire as expire
from carbonbridge.registry.exports import reject_export as reject_export
from carbonbridge.registry.exports import request_export as request_export
from carbonbridge.registry.lifecycle import Step
from carbonbridge.registry.location import location_issues
from carbonbridge.registry.model import (
    BUFFER_POOL_ACCOUNT,
    DEFAULT_BUFFER_SHARE,
    Account,
    AccountKind,
    Balance,
    MonitoringReport,
    OpenedAccounts,
    Operation,
    OperationKind,
    Project,
    ProjectDraft,
    ProjectStatus,
    Receipt,
    ReportStatus,
    SerialBlock,
    UnitState,
    VintageTally,
)
from carbonbridge.registry.movements import apply_batch as apply_batch
from carbonbridge.registry.movements import cancel as cancel
from carbonbridge.registry.movements import retire as retire
from carbonbridge.registry.movements import reverse as reverse
from carbonbridge.registry.movements import transfer as transfer
from carbonbridge.registry.serials import PROJECT_CODE, REGION, parse_serial
from carbonbridge.registry.writes import REGISTRY_CANCELLATION_ACCOUNT as REGISTRY_CANCELLATION_ACCOUNT
from carbonbridge.registry.writes import (
    PendingOperation,
    block_id,
    check_text,
    ensure_registry_accounts,
    new_operation,
    record,
    serial_texts,
)
from carbonbridge.registry.writes import UnitRequest as UnitRequest

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
        if not store.lock(session, "project", [project_id]):
            raise NotFound(f"project {project_id} does not exist")
        project = store.get_project(session, project_id)
        if project is None:  # pragma: no cover - locked above
            raise NotFound(f"project {project_id} does not exist")
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
        if not store.lock(session, "project", [project_id]):
            raise NotFound(f"project {project_id} does not exist")
        project = store.get_project(session, project_id)
        if project is None:  # pragma: no cover - locked above
            raise NotFound(f"project {project_id} does not exist")
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
        if not store.lock(session, "report", [report_id]):
            raise NotFound(f"monitoring report {report_id} does not exist")
        report = store.get_report(session, report_id)
        if report is None:  # pragma: no cover - locked above
            raise NotFound(f"monitoring report {report_id} does not exist")
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


# --- issuance -----------------------------------------------------------------------------------


def buffer_share_of(calculation: Mapping[str, Any], default: Decimal = DEFAULT_BUFFER_SHARE) -> Decimal:
    """The non-permanence buffer share for a removal calculation: the calculation's
    ``buffer_share`` if the methodology sets one (or, from plug-ins written before that field, a
    line named ``buffer_share``), else ``default``; zero for reductions."""
    if calculation.get("kind") != Kind.REMOVAL.value:
        return Decimal(0)
    stated = calculation.get("buffer_share")
    if stated is None:
        stated = next(
            (ln.get("value") for ln in calculation.get("lines", []) if ln.get("name") == "buffer_share"), None
        )
    if stated is None:
        return default
    share = to_decimal(stated, field="buffer_share")
    if not 0 <= share <= 1:
        raise InvalidInput("invalid buffer share", [FieldIssue(("buffer_share",), str(share), "0..1")])
    return share


def issuance_quantities(net_t: Decimal, share: Decimal) -> tuple[int, int]:
    """Whole tonnes to issue, ``floor(net_t)``, and the buffer part, ``ceil(q × share)``
    (Gold Standard / Verra AFOLU: buffer credits are rounded up, in favour of permanence)."""
    quantity = int(net_t.to_integral_value(rounding=ROUND_FLOOR))
    return quantity, int((Decimal(quantity) * share).to_integral_value(rounding=ROUND_CEILING))


def issue(
    sessions: sessionmaker[Session],
    principal: Principal,
    report_id: str,
    *,
    default_buffer_share: Decimal = DEFAULT_BUFFER_SHARE,
    clock: Clock = utc_now,
) -> Receipt:
    """Issue a verified report's credits (regulator): ``floor(net_t)`` whole tonnes of the report's
    vintage, serials from the project-vintage counter; for removals the buffer share goes to the
    buffer pool, the rest to the developer organisation's holding account. A report is issued once."""
    principal.require(Role.REGULATOR)
    with unit_of_work(sessions) as session:
        if not store.lock(session, "report", [report_id]):
            raise NotFound(f"monitoring report {report_id} does not exist")
        report = store.get_report(session, report_id)
        if report is None:  # pragma: no cover - locked above
            raise NotFound(f"monitoring report {report_id} does not exist")
        status = lifecycle.report_after(report.status, Step.ISSUE)
        project = store.get_project(session, report.project_id)
        if project is None:  # pragma: no cover - foreign key
            raise NotFound(f"project {report.project_id} does not exist")
        holding = store.accounts_of(session, project.organisation_id).get(AccountKind.HOLDING)
        if holding is None:
            raise Conflict(
                f"organisation {project.organisation_id} has no registry accounts; open them first"
            )
        ensure_registry_accounts(session)
        share = buffer_share_of(report.calculation, default_buffer_share)
        quantity, buffer = issuance_quantities(to_decimal(report.calculation["net_t"], field="net_t"), share)
        if quantity < 1:
            raise Conflict(
                f"report {report_id} verified {report.calculation['net_t']} t: no whole tonne to issue"
            )
        start = store.allocate_serials(session, project.id, report.vintage, quantity)
        op = new_operation(
            principal,
            OperationKind.ISSUANCE,
            project.id,
            {"report_id": report_id, "buffer_share": format(share, "f")},
            clock,
        )
        produced = blocks.issue_range(
            project.id,
            report.vintage,
            start,
            quantity,
            buffer,
            holding.id,
            BUFFER_POOL_ACCOUNT,
            lambda: new_id("blk"),
        )
        row = store.IssuanceRow(
            id=op.id,
            report_id=report_id,
            project_id=project.id,
            vintage=report.vintage,
            serial_start=start,
            serial_end=start + quantity - 1,
            quantity=quantity,
            buffer=buffer,
        )
        store.add_issuance(session, row)
        store.set_report(session, report_id, status=status.value)
        return record(session, principal, [PendingOperation(op, [], list(produced), issuance_facts(row))])[0]


def issue_planned(
    sessions: sessionmaker[Session],
    principal: Principal,
    project_id: str,
    vintage: int,
    quantity: int,
    basis: str,
    *,
    clock: Clock = utc_now,
) -> Receipt:
    """Issue ex-ante units (regulator) to the developer's holding account in state ``planned``:
    tradable, never retirable, no buffer (nothing is stored yet). ``basis`` names the ex-ante
    estimate (e.g. the validated design's expected removals). Serials come from the same
    project-vintage counter, so they never overlap verified units."""
    principal.require(Role.REGULATOR)
    issues: list[FieldIssue] = []
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        issues.append(FieldIssue(("quantity",), quantity, "a whole number of tonnes ≥ 1"))
    if isinstance(vintage, bool) or not isinstance(vintage, int) or not 1000 <= vintage <= 9999:
        issues.append(FieldIssue(("vintage",), vintage, "a four-digit year"))
    check_text(basis, "basis", 500, issues)
    if issues:
        raise InvalidInput("invalid ex-ante issuance", issues)
    with unit_of_work(sessions) as session:
        if not store.lock(session, "project", [project_id]):
            raise NotFound(f"project {project_id} does not exist")
        project = store.get_project(session, project_id)
        if project is None:  # pragma: no cover - locked above
            raise NotFound(f"project {project_id} does not exist")
        if project.status is ProjectStatus.DRAFT:
            raise InvalidTransition("ex-ante units need a validated project; this one is a draft")
        holding = store.accounts_of(session, project.organisation_id).get(AccountKind.HOLDING)
        if holding is None:
            raise Conflict(
                f"organisation {project.organisation_id} has no registry accounts; open them first"
            )
        start = store.allocate_serials(session, project.id, vintage, quantity)
        op = new_operation(
            principal, OperationKind.ISSUANCE, project.id, {"planned": True, "basis": basis.strip()}, clock
        )
        produced = blocks.issue_range(
            project.id,
            vintage,
            start,
            quantity,
            0,
            holding.id,
            BUFFER_POOL_ACCOUNT,
            block_id,
            state=UnitState.PLANNED,
        )
        row = store.IssuanceRow(
            id=op.id,
            report_id=None,
            project_id=project.id,
            vintage=vintage,
            serial_start=start,
            serial_end=start + quantity - 1,
            quantity=quantity,
            buffer=0,
        )
        store.add_issuance(session, row)
        return record(session, principal, [PendingOperation(op, [], list(produced), issuance_facts(row))])[0]


# --- moving units -------------------------------------------------------------------------------


# --- reads --------------------------------------------------------------------------------------


def balances(sessions: sessionmaker[Session], principal: Principal, account_id: str) -> list[Balance]:
    """Tonnes per project, vintage and state in an account (its organisation's users, the
    regulator, verifiers; the registry's own accounts are public)."""
    with unit_of_work(sessions) as session:
        account = store.get_accounts(session, [account_id]).get(account_id)
        if account is None:
            raise NotFound(f"account {account_id} does not exist")
        if account.organisation_id is not None:
            principal.require(Role.REGULATOR, Role.VERIFIER, Role.DEVELOPER, Role.REPORTER)
            principal.require_organisation(account.organisation_id)
        totals: dict[tuple[str, int, UnitState], int] = {}
        for b in store.open_blocks(session, account_ids=[account_id]):
            key = (b.project_id, b.vintage, b.state)
            totals[key] = totals.get(key, 0) + b.count
    return [Balance(account_id, p, v, s, t) for (p, v, s), t in sorted(totals.items())]


def holdings(sessions: sessionmaker[Session], principal: Principal, account_id: str) -> list[SerialBlock]:
    """The open serial blocks of an account (same visibility as :func:`balances`)."""
    balances(sessions, principal, account_id)
    with unit_of_work(sessions) as session:
        return store.open_blocks(session, account_ids=[account_id])


def conservation(sessions: sessionmaker[Session], project_id: str | None = None) -> list[VintageTally]:
    """Per project and vintage: tonnes issued and where they stand now (public figures). The
    registry is sound when every tally is balanced and :func:`overlapping_blocks` is empty."""
    with unit_of_work(sessions) as session:
        issued = store.issued_totals(session, project_id)
        states = blocks.tally(store.open_blocks(session, project_id=project_id))
    keys = sorted(set(issued) | set(states))
    return [VintageTally(p, v, issued.get((p, v), 0), dict(states.get((p, v), {}))) for p, v in keys]


@dataclass(frozen=True)
class SerialStatus:
    """Where part of a searched serial range stands now (public: no account is shown)."""

    serial: str
    state: UnitState
    project_id: str
    standard: str
    methodology: str


def find_serial(sessions: sessionmaker[Session], serial: str) -> list[SerialStatus]:
    """Public credit search: the current state of every part of the serial range ``serial``
    (``CB-CN-HI-MG001-2025-1-850``), in serial order; an empty list if none was issued."""
    wanted = parse_serial(serial)
    with unit_of_work(sessions) as session:
        project = store.project_by_code(session, wanted.project)
        if project is None or project.region != wanted.region:
            raise NotFound(
                f"no project {wanted.project} in {wanted.region}",
                [FieldIssue(("serial",), serial, "unknown project")],
            )
        found = store.open_blocks(
            session, project_id=project.id, vintage=wanted.vintage, serials=(wanted.start, wanted.end)
        )
    clipped = [replace(b, start=max(b.start, wanted.start), end=min(b.end, wanted.end)) for b in found]
    return [
        SerialStatus(text, b.state, project.id, project.standard, project.methodology)
        for b, text in zip(clipped, serial_texts(project, clipped), strict=True)
    ]


def overlapping_blocks(sessions: sessionmaker[Session]) -> list[tuple[SerialBlock, SerialBlock]]:
    """Pairs of open blocks that overlap (none in a sound registry)."""
    with unit_of_work(sessions) as session:
        return blocks.overlaps(store.open_blocks(session))


@dataclass(frozen=True)
class RetirementRecord:
    """A public retirement: who it is for, why, which serials, and its log entry."""

    operation_id: str
    project_id: str
    beneficiary: str
    purpose: str
    quantity: int
    serials: tuple[str, ...]
    at: Any
    log_index: int


def retirement_records(
    sessions: sessionmaker[Session], project_id: str, *, limit: int = 1000
) -> list[RetirementRecord]:
    """A project's retirements (public)."""
    with unit_of_work(sessions) as session:
        ops = [
            o for o in store.operations_of_project(session, project_id) if o.kind is OperationKind.RETIREMENT
        ]
    return [
        RetirementRecord(
            o.id,
            project_id,
            str(o.details["beneficiary"]),
            str(o.details["purpose"]),
            int(o.details["quantity"]),
            tuple(o.details["serials"]),
            o.at,
            o.log_index,
        )
        for o in ops[:limit]
    ]


def operations(sessions: sessionmaker[Session], principal: Principal, project_id: str) -> list[Operation]:
    """Every operation on a project, in log order (regulator, verifiers)."""
    principal.require(Role.REGULATOR, Role.VERIFIER)
    with unit_of_work(sessions) as session:
        return store.operations_of_project(session, project_id)
