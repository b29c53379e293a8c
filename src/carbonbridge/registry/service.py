"""Registry use cases: open accounts, take a project through its lifecycle, issue credits from
verified monitoring reports, and move units (transfer, retire, cancel, reverse), singly or in a
batch. Each call is one transaction that writes the registry rows and appends the log entries
(``events.py``) together; it returns :class:`~carbonbridge.registry.model.Receipt` s. A failed call
changes nothing and raises a typed error saying why.

Roles (``docs/registry.md``): developers draft projects and submit monitoring reports for their own
organisation, verifiers validate projects and verify reports, the regulator registers projects,
issues credits, opens accounts and handles reversals; holders (developers, reporters) transfer,
retire and cancel from their own organisation's holding account; admins may do everything.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import service as accounting
from carbonbridge.kernel.canonical import canonical_json
from carbonbridge.kernel.clock import Clock, utc_now
from carbonbridge.kernel.errors import (
    CarbonbridgeError,
    Conflict,
    FieldIssue,
    Forbidden,
    InvalidInput,
    NotFound,
)
from carbonbridge.kernel.exact import to_decimal
from carbonbridge.kernel.ids import new_id
from carbonbridge.ledger import service as ledger
from carbonbridge.methodologies import service as methodologies
from carbonbridge.methodologies.model import Kind
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import ORGANISATION_ROLES, Principal, Role
from carbonbridge.registry import blocks, lifecycle, store
from carbonbridge.registry.errors import ImplausibleCalculation, InsufficientBuffer, InvalidTransition
from carbonbridge.registry.events import (
    BATCH_CHUNK,
    BATCH_EVENT,
    EVENT_PREFIX,
    issuance_facts,
    operation_event,
    project_facts,
    report_facts,
    verification_facts,
)
from carbonbridge.registry.events import LEDGER_AUDITORS as LEDGER_AUDITORS
from carbonbridge.registry.lifecycle import Step
from carbonbridge.registry.model import (
    BUFFER_POOL_ACCOUNT,
    DEFAULT_BUFFER_SHARE,
    PUBLIC_OPERATIONS,
    RETIRABLE,
    TRANSFERABLE,
    Account,
    AccountKind,
    Balance,
    Cancellation,
    MonitoringReport,
    Operation,
    OperationKind,
    Project,
    ProjectDraft,
    ProjectStatus,
    Receipt,
    ReportStatus,
    Retirement,
    SerialBlock,
    Transfer,
    UnitState,
    VintageTally,
)
from carbonbridge.registry.serials import PROJECT_CODE, REGION, Serial, format_serial, parse_serial

#: where units cancelled by a reversal go (the registry's own cancellation account)
REGISTRY_CANCELLATION_ACCOUNT = "acc_registry_cancellation"

UnitRequest = Transfer | Retirement | Cancellation


@dataclass
class _Step:
    """An operation being written: the blocks it consumes and produces, and its facts."""

    operation: Operation
    consumed: list[str]
    produced: list[SerialBlock]
    facts: Mapping[str, object]


def _operation(
    principal: Principal,
    kind: OperationKind,
    project_id: str | None,
    details: Mapping[str, Any],
    clock: Clock,
) -> Operation:
    return Operation(new_id("op"), kind, project_id, clock(), principal.name, details, -1)


def _write(
    session: Session, principal: Principal, steps: Sequence[_Step], *, batch: bool = False
) -> list[Receipt]:
    """Log the steps (one entry each, or ``registry.batch`` chunks), then store the operations and
    blocks. Blocks produced and consumed within the same call are inserted already closed."""
    events = [operation_event(s.operation, s.consumed, s.produced, s.facts) for s in steps]
    if not batch:
        logged = [
            ledger.LogEvent(
                EVENT_PREFIX + s.operation.kind.value, e, s.operation.kind not in PUBLIC_OPERATIONS
            )
            for s, e in zip(steps, events, strict=True)
        ]
        owners = [[n] for n in range(len(steps))]
    else:
        logged, owners = [], []
        for public in (True, False):
            picked = [n for n, s in enumerate(steps) if (s.operation.kind in PUBLIC_OPERATIONS) is public]
            for start in range(0, len(picked), BATCH_CHUNK):
                chunk = picked[start : start + BATCH_CHUNK]
                logged.append(
                    ledger.LogEvent(BATCH_EVENT, {"operations": [events[n] for n in chunk]}, not public)
                )
                owners.append(chunk)
    pending = ledger.append_events(session, logged)
    receipts: list[Receipt | None] = [None] * len(steps)
    operations: list[Operation | None] = [None] * len(steps)
    for entry, chunk in zip(pending, owners, strict=True):
        text = entry.receipt()
        for n in chunk:
            o = steps[n].operation
            op = Operation(o.id, o.kind, o.project_id, o.at, o.actor, o.details, entry.index)
            operations[n] = op
            receipts[n] = Receipt(op, tuple(steps[n].produced), text)
    store.add_operations(session, [o for o in operations if o is not None], principal.user_id or "")
    closed_by = {b: s.operation.id for s in steps for b in s.consumed}
    fresh = {b.id for s in steps for b in s.produced}
    # close before inserting: the open-block unique indexes see one owner per serial at any time
    store.close_blocks(session, [(b, op) for b, op in closed_by.items() if b not in fresh])
    store.add_blocks(session, [(b, s.operation.id, closed_by.get(b.id)) for s in steps for b in s.produced])
    return [r for r in receipts if r is not None]


def _require_org_role(principal: Principal, organisation_id: str | None, *roles: Role) -> None:
    principal.require(*roles)
    if organisation_id is None:
        if principal.role in ORGANISATION_ROLES:
            raise Forbidden("only the registry administers its own accounts")
        return
    principal.require_organisation(organisation_id)


def _text(value: str, name: str, limit: int, issues: list[FieldIssue]) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        issues.append(FieldIssue((name,), value, f"1-{limit} characters"))


# --- accounts -----------------------------------------------------------------------------------


def _ensure_registry_accounts(session: Session) -> None:
    have = store.get_accounts(session, [BUFFER_POOL_ACCOUNT, REGISTRY_CANCELLATION_ACCOUNT])
    if BUFFER_POOL_ACCOUNT not in have:
        store.add_account(session, Account(BUFFER_POOL_ACCOUNT, None, AccountKind.BUFFER))
    if REGISTRY_CANCELLATION_ACCOUNT not in have:
        store.add_account(session, Account(REGISTRY_CANCELLATION_ACCOUNT, None, AccountKind.CANCELLATION))


def open_accounts(
    sessions: sessionmaker[Session], principal: Principal, organisation_id: str, *, clock: Clock = utc_now
) -> dict[AccountKind, Account]:
    """Admit an accounting-context organisation to the registry: its holding, retirement and
    cancellation accounts (regulator; idempotent: existing accounts are returned)."""
    principal.require(Role.REGULATOR)
    known = {o.id for o in accounting.list_organisations(sessions, principal)}
    if organisation_id not in known:
        raise NotFound(
            f"organisation {organisation_id!r} is not registered in accounting",
            [FieldIssue(("organisation_id",), organisation_id, "unknown organisation")],
        )
    with unit_of_work(sessions) as session:
        _ensure_registry_accounts(session)
        have = store.accounts_of(session, organisation_id)
        missing = [
            k
            for k in (AccountKind.HOLDING, AccountKind.RETIREMENT, AccountKind.CANCELLATION)
            if k not in have
        ]
        if not missing:
            return have
        for kind in missing:
            account = Account(new_id("acc"), organisation_id, kind)
            store.add_account(session, account)
            have[kind] = account
        details = {
            "organisation_id": organisation_id,
            "accounts": {k.value: a.id for k, a in sorted(have.items())},
        }
        op = _operation(principal, OperationKind.ACCOUNTS_OPENED, None, details, clock)
        _write(session, principal, [_Step(op, [], [], {})])
        return have


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
    installed; it is recorded as ``id@version``."""
    principal.require(Role.DEVELOPER)
    principal.require_organisation(draft.organisation_id)
    issues: list[FieldIssue] = []
    if not isinstance(draft.code, str) or not PROJECT_CODE.fullmatch(draft.code):
        issues.append(FieldIssue(("code",), draft.code, "1-20 upper-case letters or digits"))
    if not isinstance(draft.region, str) or not REGION.fullmatch(draft.region):
        issues.append(FieldIssue(("region",), draft.region, "an ISO 3166-2 subdivision such as CN-HI"))
    _text(draft.name_en, "name_en", 200, issues)
    _text(draft.name_zh, "name_zh", 200, issues)
    _text(draft.standard, "standard", 40, issues)
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
            op = _operation(principal, OperationKind.PROJECT_DRAFTED, project.id, {"status": "draft"}, clock)
            receipt = _write(session, principal, [_Step(op, [], [], project_facts(project))])[0]
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
    _text(opinion, "opinion", 5000, issues)
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
        op = _operation(principal, kind, project_id, {"status": status.value, "opinion": opinion}, clock)
        receipt = _write(session, principal, [_Step(op, [], [], {})])[0]
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
        calculation = methodologies.calculate(project.methodology, parameters)
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
        op = _operation(
            principal, OperationKind.REPORT_SUBMITTED, project_id, {"report_id": report.id}, clock
        )
        receipt = _write(session, principal, [_Step(op, [], [], report_facts(report))])[0]
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
    _text(opinion, "opinion", 5000, issues)
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
        op = _operation(
            principal, OperationKind.REPORT_VERIFIED, report.project_id, {"report_id": report_id}, clock
        )
        receipt = _write(session, principal, [_Step(op, [], [], verification_facts(report))])[0]
        return report, receipt


def reports(sessions: sessionmaker[Session], project_id: str) -> list[MonitoringReport]:
    """A project's monitoring reports (public: the project sheet shows them)."""
    with unit_of_work(sessions) as session:
        return store.reports_of(session, project_id)


# --- issuance -----------------------------------------------------------------------------------


def buffer_share_of(calculation: Mapping[str, Any], default: Decimal = DEFAULT_BUFFER_SHARE) -> Decimal:
    """The non-permanence buffer share for a removal calculation: a line named ``buffer_share``
    (a fraction) if the methodology gives one, else ``default``; zero for reductions."""
    if calculation.get("kind") != Kind.REMOVAL.value:
        return Decimal(0)
    for line in calculation.get("lines", []):
        if line.get("name") == "buffer_share":
            share = to_decimal(line.get("value"), field="buffer_share")
            if not 0 <= share <= 1:
                raise InvalidInput(
                    "invalid buffer share", [FieldIssue(("buffer_share",), str(share), "0..1")]
                )
            return share
    return default


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
        _ensure_registry_accounts(session)
        share = buffer_share_of(report.calculation, default_buffer_share)
        quantity, buffer = issuance_quantities(to_decimal(report.calculation["net_t"], field="net_t"), share)
        if quantity < 1:
            raise Conflict(
                f"report {report_id} verified {report.calculation['net_t']} t: no whole tonne to issue"
            )
        start = store.allocate_serials(session, project.id, report.vintage, quantity)
        op = _operation(
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
        return _write(session, principal, [_Step(op, [], list(produced), issuance_facts(row))])[0]


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
    _text(basis, "basis", 500, issues)
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
        op = _operation(
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
            _block_id,
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
        return _write(session, principal, [_Step(op, [], list(produced), issuance_facts(row))])[0]


# --- moving units -------------------------------------------------------------------------------


def _serials(project: Project, moved: Sequence[SerialBlock]) -> list[str]:
    """Serial numbers of blocks of a stored project (its region and code were validated when it
    was drafted, so :func:`format_serial`'s checks are not repeated per block)."""
    prefix = format_serial(Serial(project.region, project.code, 2000, 1, 1)).rsplit("-", 3)[0]
    return [f"{prefix}-{b.vintage}-{b.start}-{b.end}" for b in moved]


def _block_id() -> str:
    return new_id("blk")


def _serial_start(block: SerialBlock) -> int:
    return block.start


def _in_request(exc: CarbonbridgeError, n: int | None) -> CarbonbridgeError:
    if n is None:
        return exc
    exc.detail = f"request {n}: {exc.detail}"
    exc.issues = [FieldIssue(("requests", n, *i.location), i.value, i.reason) for i in exc.issues] or [
        FieldIssue(("requests", n), None, exc.detail)
    ]
    return exc


def _check_request(request: UnitRequest) -> None:
    issues: list[FieldIssue] = []
    if isinstance(request, Retirement):
        _text(request.beneficiary, "beneficiary", 200, issues)
        _text(request.purpose, "purpose", 500, issues)
    elif isinstance(request, Cancellation):
        _text(request.reason, "reason", 500, issues)
    if issues:
        raise InvalidInput("invalid request", issues)


class _Holding:
    """The open blocks of one account, project and vintage that a batch has read so far, in serial
    order, plus the blocks that arrived during the batch. Read lazily in serial order
    (:data:`PAGE` blocks at a time), so a batch taking a few tonnes from a fragmented account reads
    only the lowest blocks: every stored open block with a serial ``<= known_upto`` is loaded."""

    PAGE = 512

    def __init__(self, key: tuple[str, str, int]) -> None:
        self.key = key
        self.blocks: list[SerialBlock] = []
        self.known_upto = 0
        self.complete = False

    def _enough(self, allowed: frozenset[UnitState], quantity: int) -> bool:
        found = 0
        for b in self.blocks:
            if b.start > self.known_upto:
                return False
            if b.state in allowed:
                found += b.end - b.start + 1
                if found >= quantity:
                    return True
        return False

    def load_for(
        self, session: Session, allowed: frozenset[UnitState], quantity: int | None, end: int | None
    ) -> None:
        """Read until the request can be decided exactly as if every block had been read: a range
        needs every block starting at or below its ``end``; a quantity needs that many allowed
        tonnes among the lowest blocks (or the whole account, to say how many there are)."""
        account, project, vintage = self.key
        while not self.complete:
            if end is not None and isinstance(end, int):
                if self.known_upto >= end:
                    return
                page = store.open_blocks_after(session, account, project, vintage, self.known_upto, upto=end)
                self._merge(page)
                self.known_upto = max([end, *(b.end for b in page)])
                continue
            if isinstance(quantity, int) and self._enough(allowed, quantity):
                return
            page = store.open_blocks_after(
                session, account, project, vintage, self.known_upto, limit=self.PAGE
            )
            self._merge(page)
            if len(page) < self.PAGE:
                self.complete = True
            else:
                self.known_upto = page[-1].end

    def _merge(self, page: Sequence[SerialBlock]) -> None:
        for b in page:
            bisect.insort(self.blocks, b, key=_serial_start)


def _move_units(
    session: Session, principal: Principal, requests: Sequence[UnitRequest], clock: Clock, numbered: bool
) -> list[_Step]:
    sources = {r.units.account_id for r in requests}
    locked = store.lock(session, "account", sources)  # first statement: serialise writers (store.py)
    known = store.get_accounts(
        session, [*sources, *(r.to_account_id for r in requests if isinstance(r, Transfer))]
    )
    projects = store.projects_by_id(session, {r.units.project_id for r in requests})
    org_accounts: dict[str | None, dict[AccountKind, Account]] = {}
    working: dict[tuple[str, str, int], _Holding] = {}
    steps = []
    for n, request in enumerate(requests):
        try:
            steps.append(
                _move_one(principal, request, locked, known, projects, org_accounts, working, session, clock)
            )
        except CarbonbridgeError as exc:
            raise _in_request(exc, n if numbered else None) from None
    return steps


def _move_one(
    principal: Principal,
    request: UnitRequest,
    locked: set[str],
    known: dict[str, Account],
    projects: dict[str, Project],
    org_accounts: dict[str | None, dict[AccountKind, Account]],
    working: dict[tuple[str, str, int], _Holding],
    session: Session,
    clock: Clock,
) -> _Step:
    _check_request(request)
    units = request.units
    source = known.get(units.account_id)
    if source is None or units.account_id not in locked:
        raise NotFound(
            f"account {units.account_id} does not exist",
            [FieldIssue(("units", "account_id"), units.account_id, "unknown account")],
        )
    roles = (
        (Role.DEVELOPER, Role.REPORTER, Role.REGULATOR)
        if isinstance(request, Cancellation)
        else (
            Role.DEVELOPER,
            Role.REPORTER,
        )
    )
    _require_org_role(principal, source.organisation_id, *roles)
    if source.kind is not AccountKind.HOLDING:
        raise InvalidInput(
            "units move only out of a holding account",
            [FieldIssue(("units", "account_id"), units.account_id, f"a {source.kind.value} account")],
        )
    project = projects.get(units.project_id)
    if project is None:
        raise NotFound(
            f"project {units.project_id} does not exist",
            [FieldIssue(("units", "project_id"), units.project_id, "unknown project")],
        )
    if source.organisation_id not in org_accounts:
        org_accounts[source.organisation_id] = store.accounts_of(session, source.organisation_id or "")
    own = org_accounts[source.organisation_id]
    details: dict[str, Any]
    if isinstance(request, Transfer):
        target = known.get(request.to_account_id)
        if target is None or target.kind is not AccountKind.HOLDING or target.id == source.id:
            raise InvalidInput(
                "invalid destination",
                [
                    FieldIssue(
                        ("to_account_id",), request.to_account_id, "another organisation's holding account"
                    )
                ],
            )
        kind, allowed, to_account, to_state = OperationKind.TRANSFER, TRANSFERABLE, target.id, None
        details = {"from": source.id, "to": target.id}
    elif isinstance(request, Retirement):
        kind, allowed, to_account, to_state = (
            OperationKind.RETIREMENT,
            RETIRABLE,
            own[AccountKind.RETIREMENT].id,
            UnitState.RETIRED,
        )
        details = {
            "organisation_id": source.organisation_id,
            "beneficiary": request.beneficiary.strip(),
            "purpose": request.purpose.strip(),
        }
    else:
        kind, allowed, to_account, to_state = (
            OperationKind.CANCELLATION,
            TRANSFERABLE,
            own[AccountKind.CANCELLATION].id,
            UnitState.CANCELLED,
        )
        details = {"from": source.id, "reason": request.reason.strip()}
    key = (source.id, units.project_id, units.vintage)
    holding = working.setdefault(key, _Holding(key))
    holding.load_for(session, allowed, units.quantity, units.end)
    available = holding.blocks
    move = blocks.take(
        available,
        allowed=allowed,
        to_account=to_account,
        to_state=to_state,  # None for a transfer: held stays held, planned stays planned
        new_id=_block_id,
        quantity=units.quantity,
        start=units.start,
        end=units.end,
        presorted=True,
    )
    for b in move.consumed:
        del available[bisect.bisect_left(available, b.start, key=_serial_start)]
    for b in move.remainders:
        bisect.insort(available, b, key=_serial_start)
    if to_account in locked:
        to_key = (to_account, units.project_id, units.vintage)
        arriving = working.setdefault(to_key, _Holding(to_key))
        for b in move.moved:
            bisect.insort(arriving.blocks, b, key=_serial_start)
    details["quantity"] = move.quantity
    details["serials"] = _serials(project, move.moved)
    op = _operation(principal, kind, project.id, details, clock)
    return _Step(op, [b.id for b in move.consumed], list(move.produced), {})


def _apply(
    sessions: sessionmaker[Session],
    principal: Principal,
    requests: Sequence[UnitRequest],
    clock: Clock,
    batch: bool,
) -> list[Receipt]:
    principal.require(Role.DEVELOPER, Role.REPORTER, Role.REGULATOR)
    if not requests:
        raise InvalidInput("empty batch", [FieldIssue(("requests",), 0, "at least one request")])
    with unit_of_work(sessions) as session:
        steps = _move_units(session, principal, requests, clock, numbered=batch)
        return _write(session, principal, steps, batch=batch)


def transfer(
    sessions: sessionmaker[Session], principal: Principal, request: Transfer, *, clock: Clock = utc_now
) -> Receipt:
    """Move units to another organisation's holding account (holder of the source account). A
    partial transfer splits the block; the count is conserved. Logged as a commitment."""
    return _apply(sessions, principal, [request], clock, batch=False)[0]


def retire(
    sessions: sessionmaker[Session], principal: Principal, request: Retirement, *, clock: Clock = utc_now
) -> Receipt:
    """Retire held units for a named beneficiary and purpose (holder of the source account):
    they move to the organisation's retirement account for good, and the retirement record with
    its serial ranges is public in the log. Planned (ex-ante) units cannot be retired."""
    return _apply(sessions, principal, [request], clock, batch=False)[0]


def cancel(
    sessions: sessionmaker[Session], principal: Principal, request: Cancellation, *, clock: Clock = utc_now
) -> Receipt:
    """Cancel units without a retirement claim (holder, or the regulator), e.g. to correct an
    over-issuance or to use them outside the registry. Distinct from retirement."""
    return _apply(sessions, principal, [request], clock, batch=False)[0]


def apply_batch(
    sessions: sessionmaker[Session],
    principal: Principal,
    requests: Sequence[UnitRequest],
    *,
    clock: Clock = utc_now,
) -> list[Receipt]:
    """Apply many transfers, retirements and cancellations in order, in ONE transaction with one
    ``append_events`` call (``registry.batch`` entries of up to 100 operations): all or nothing;
    an error names the request (``requests.<n>``)."""
    return _apply(sessions, principal, requests, clock, batch=True)


def reverse(
    sessions: sessionmaker[Session],
    principal: Principal,
    project_id: str,
    loss_t: int,
    reason: str,
    *,
    clock: Clock = utc_now,
) -> Receipt:
    """Handle a reversal (a loss of stored carbon, e.g. mangrove die-back) of ``loss_t`` tonnes
    (regulator): cancel that many buffer units, the project's own contribution first (oldest
    vintage, lowest serial), then the pool's other units. Retired credits are never touched. If the
    buffer pool holds less than the loss, :class:`InsufficientBuffer` says by how much and nothing
    is cancelled."""
    principal.require(Role.REGULATOR)
    issues: list[FieldIssue] = []
    if isinstance(loss_t, bool) or not isinstance(loss_t, int) or loss_t < 1:
        issues.append(FieldIssue(("loss_t",), loss_t, "a whole number of tonnes ≥ 1"))
    _text(reason, "reason", 500, issues)
    if issues:
        raise InvalidInput("invalid reversal", issues)
    with unit_of_work(sessions) as session:
        store.lock(session, "account", [BUFFER_POOL_ACCOUNT])
        _ensure_registry_accounts(session)
        project = store.get_project(session, project_id)
        if project is None:
            raise NotFound(f"project {project_id} does not exist")
        pool = [
            b
            for b in store.open_blocks(session, account_ids=[BUFFER_POOL_ACCOUNT])
            if b.state is UnitState.BUFFER
        ]
        available = sum(b.count for b in pool)
        if available < loss_t:
            raise InsufficientBuffer(
                f"a loss of {loss_t} t exceeds the buffer pool's {available} t by {loss_t - available} t; "
                "nothing was cancelled",
                [FieldIssue(("loss_t",), loss_t, f"buffer pool holds {available} t")],
            )
        groups: dict[tuple[str, int], list[SerialBlock]] = {}
        for b in pool:
            groups.setdefault((b.project_id, b.vintage), []).append(b)
        order = sorted(groups, key=lambda k: (k[0] != project_id, k[0], k[1]))
        consumed: list[str] = []
        produced: list[SerialBlock] = []
        own = 0
        remaining = loss_t
        for key in order:
            if not remaining:
                break
            n = min(remaining, sum(b.count for b in groups[key]))
            move = blocks.take(
                groups[key],
                allowed=frozenset({UnitState.BUFFER}),
                to_account=REGISTRY_CANCELLATION_ACCOUNT,
                to_state=UnitState.CANCELLED,
                new_id=lambda: new_id("blk"),
                quantity=n,
            )
            consumed += [b.id for b in move.consumed]
            produced += move.produced
            own += n if key[0] == project_id else 0
            remaining -= n
        details = {
            "loss_t": loss_t,
            "reason": reason.strip(),
            "from_project_buffer": own,
            "from_pool": loss_t - own,
        }
        op = _operation(principal, OperationKind.REVERSAL, project_id, details, clock)
        return _write(session, principal, [_Step(op, consumed, produced, {})])[0]


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
        for b, text in zip(clipped, _serials(project, clipped), strict=True)
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
