"""Registry issuance use cases: issue a verified monitoring report's credits (with the
non-permanence buffer share for removals) and issue ex-ante (``planned``) units. Each call is one
transaction that writes the registry rows and appends the log entries (``events.py``) together;
it returns a :class:`~carbonbridge.registry.model.Receipt`. Split out of ``service.py``, which
re-exports every name here.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.clock import Clock, utc_now
from carbonbridge.kernel.errors import Conflict, FieldIssue, InvalidInput, NotFound
from carbonbridge.kernel.exact import to_decimal
from carbonbridge.methodologies.model import Kind
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.registry import blocks, lifecycle, store
from carbonbridge.registry.errors import InvalidTransition
from carbonbridge.registry.events import issuance_facts
from carbonbridge.registry.lifecycle import Step
from carbonbridge.registry.model import (
    BUFFER_POOL_ACCOUNT,
    DEFAULT_BUFFER_SHARE,
    AccountKind,
    Issuance,
    OperationKind,
    ProjectStatus,
    Receipt,
    SerialBlock,
    UnitState,
)
from carbonbridge.registry.writes import (
    PendingOperation,
    block_id,
    check_text,
    ensure_registry_accounts,
    locked_project,
    locked_report,
    new_operation,
    record,
)


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
    """Issue a verified report's credits (regulator): ``q = floor(net_t)`` whole tonnes of the
    report's vintage, ``b`` of them (removals) to the buffer pool. Of the ``q - b`` tonnes for
    holders, up to all of the project-vintage's outstanding planned (ex-ante) units are first
    converted into held units in place, oldest serials first, wherever they are held now
    (:func:`carbonbridge.registry.blocks.convert_planned`: Gold Standard converts Planned Emission
    Reductions into Verified Emission Reductions upon verification); only the rest,
    ``q - b - converted``, are new serials to the developer organisation's holding account, and
    the ``b`` buffer units are new serials to the pool. Planned units of other vintages are left
    alone (GS issues PERs by expected vintage year; the same-vintage rule is ours, to verify).
    The issuance row records the newly serialised ``quantity`` and the ``converted`` count apart,
    so that no tonne is counted as issued twice. A report is issued once; one transaction, one
    log entry."""
    principal.require(Role.REGULATOR)
    with unit_of_work(sessions) as session:
        report = locked_report(session, report_id)
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
        # no ex-ante issuance adds planned units meanwhile (it locks the project first)
        store.lock(session, "project", [project.id])
        planned = _locked_planned_blocks(session, project.id, report.vintage)
        conversion = blocks.convert_planned(planned, quantity - buffer, block_id)
        converted = conversion.quantity
        fresh = quantity - converted
        op = new_operation(
            principal,
            OperationKind.ISSUANCE,
            project.id,
            {"report_id": report_id, "buffer_share": format(share, "f"), "converted": converted},
            clock,
        )
        if fresh:
            start = store.allocate_serials(session, project.id, report.vintage, fresh)
            produced = blocks.issue_range(
                project.id,
                report.vintage,
                start,
                fresh,
                buffer,
                holding.id,
                BUFFER_POOL_ACCOUNT,
                block_id,
            )
        else:
            start, produced = store.next_serial(session, project.id, report.vintage), ()
        row = Issuance(
            id=op.id,
            report_id=report_id,
            project_id=project.id,
            vintage=report.vintage,
            serial_start=start,
            serial_end=start + fresh - 1,
            quantity=fresh,
            buffer=buffer,
            converted=converted,
        )
        store.add_issuance(session, row)
        store.set_report(session, report_id, status=status.value)
        step = PendingOperation(
            op,
            [b.id for b in conversion.consumed],
            [*conversion.produced, *produced],
            issuance_facts(row, conversion.moved),
        )
        return record(session, principal, [step])[0]


def _locked_planned_blocks(session: Session, project_id: str, vintage: int) -> list[SerialBlock]:
    """The open planned blocks of a project's vintage, every account holding them locked before
    the blocks are read for good (``store.py``: writers lock before they read): lock the holders
    seen, read again, until no new holder appears (a transfer between two unlocked accounts may
    have moved some meanwhile)."""
    locked: set[str] = set()
    while True:
        found = store.open_blocks(session, project_id=project_id, vintage=vintage, state=UnitState.PLANNED)
        holders = {b.account_id for b in found} - locked
        if not holders:
            return found
        store.lock(session, "account", holders)
        locked |= holders


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
        project = locked_project(session, project_id)
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
        row = Issuance(
            id=op.id,
            report_id=None,
            project_id=project.id,
            vintage=vintage,
            serial_start=start,
            serial_end=start + quantity - 1,
            quantity=quantity,
            buffer=0,
            converted=0,
        )
        store.add_issuance(session, row)
        return record(session, principal, [PendingOperation(op, [], list(produced), issuance_facts(row))])[0]
