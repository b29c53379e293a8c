"""Use cases that take units out of circulation towards another registry or because their validity
ended: export (request, then the regulator confirms or rejects) and expiry. Re-exported by
:mod:`carbonbridge.registry.service`.

CAD Trust unit statuses (CAD Trust Data Model v2, ``unitStatus``: Held, Retired, Cancelled,
Buffer, Exported, Pending Export, Expired):

==================  ================  ==================  ==============================  =========
step                from              to                  account                         role
==================  ================  ==================  ==============================  =========
request export      held              pending_export      the holder's holding account    holder
confirm export      pending_export    exported (final)    the holder's cancellation acct  regulator
reject export       pending_export    held                the holder's holding account    regulator
expire              held / planned    expired (final)     the holder's cancellation acct  regulator
==================  ================  ==================  ==============================  =========

Pending units stay in the holder's holding account (as :mod:`~carbonbridge.registry.cadt.service`
maps them): the holder stays accountable and sees them in its balances, a rejection gives back the
very same serials in place, and no registry-wide account has to be locked by every export. They are
out of circulation all the same: ``pending_export`` is neither transferable nor retirable. Exported
and expired units land in the organisation's cancellation account, as CAD Trust's exchange maps
them. Every step is a public log entry, so a foreign registry can check an export's serials.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.clock import Clock, utc_now
from carbonbridge.kernel.errors import Conflict, FieldIssue, InvalidInput, NotFound
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.registry import blocks, store
from carbonbridge.registry.errors import InvalidTransition
from carbonbridge.registry.model import (
    EXPIRABLE,
    EXPORTABLE,
    Account,
    AccountKind,
    ExpiryRequest,
    ExportRequest,
    OperationKind,
    Receipt,
    SerialBlock,
    Units,
    UnitState,
)
from carbonbridge.registry.writes import (
    PendingOperation,
    block_id,
    check_text,
    check_units,
    new_operation,
    record,
    require_holder,
    serial_texts,
)

#: who asks for an export (the holding organisation's users; admins pass every check)
_HOLDERS = (Role.DEVELOPER, Role.REPORTER)


def _source(session: Session, principal: Principal, units: Units, *roles: Role) -> Account:
    """Lock and check the source holding account (the transaction's first statement)."""
    if not store.lock(session, "account", [units.account_id]):
        raise NotFound(
            f"account {units.account_id} does not exist",
            [FieldIssue(("units", "account_id"), units.account_id, "unknown account")],
        )
    account = store.get_accounts(session, [units.account_id])[units.account_id]
    require_holder(principal, account.organisation_id, *roles)
    if account.kind is not AccountKind.HOLDING:
        raise InvalidInput(
            "units leave only a holding account",
            [FieldIssue(("units", "account_id"), units.account_id, f"a {account.kind.value} account")],
        )
    return account


def _take(
    session: Session,
    principal: Principal,
    units: Units,
    account: Account,
    allowed: frozenset[UnitState],
    to_account: str,
    to_state: UnitState,
    kind: OperationKind,
    details: dict[str, Any],
    clock: Clock,
) -> Receipt:
    project = store.get_project(session, units.project_id)
    if project is None:
        raise NotFound(
            f"project {units.project_id} does not exist",
            [FieldIssue(("units", "project_id"), units.project_id, "unknown project")],
        )
    held = store.open_blocks(
        session, account_ids=[account.id], project_id=units.project_id, vintage=units.vintage
    )
    move = blocks.take(
        held,
        allowed=allowed,
        to_account=to_account,
        to_state=to_state,
        new_id=block_id,
        quantity=units.quantity,
        start=units.start,
        end=units.end,
        presorted=True,
    )
    details["quantity"] = move.quantity
    details["serials"] = serial_texts(project, move.moved)
    op = new_operation(principal, kind, project.id, details, clock)
    return record(
        session, principal, [PendingOperation(op, [b.id for b in move.consumed], list(move.produced), {})]
    )[0]


def request_export(
    sessions: sessionmaker[Session], principal: Principal, request: ExportRequest, *, clock: Clock = utc_now
) -> Receipt:
    """Ask to export held units to another registry (holder of the source account): they become
    ``pending_export`` in place, out of circulation, until the regulator confirms or rejects the
    request (its operation id is the receipt's ``operation.id``). Planned and buffer units cannot be
    exported. Public log entry."""
    principal.require(*_HOLDERS)
    issues: list[FieldIssue] = []
    check_units(request.units, issues)
    check_text(request.destination_registry, "destination_registry", 200, issues)
    check_text(request.destination_account, "destination_account", 200, issues)
    check_text(request.reason, "reason", 500, issues)
    if issues:
        raise InvalidInput("invalid export request", issues)
    with unit_of_work(sessions) as session:
        account = _source(session, principal, request.units, *_HOLDERS)
        details: dict[str, Any] = {
            "from": account.id,
            "organisation_id": account.organisation_id,
            "destination_registry": request.destination_registry.strip(),
            "destination_account": request.destination_account.strip(),
            "reason": request.reason.strip(),
        }
        return _take(
            session,
            principal,
            request.units,
            account,
            EXPORTABLE,
            account.id,
            UnitState.PENDING_EXPORT,
            OperationKind.EXPORT_REQUESTED,
            details,
            clock,
        )


def _settle(
    sessions: sessionmaker[Session],
    principal: Principal,
    operation_id: str,
    text: tuple[str, str],
    confirm: bool,
    clock: Clock,
) -> Receipt:
    principal.require(Role.REGULATOR)
    name, value = text
    issues: list[FieldIssue] = []
    check_text(value, name, 500, issues)
    if issues:
        raise InvalidInput("invalid export decision", issues)
    with unit_of_work(sessions) as session:
        found = store.operations_by_id(session, [operation_id]).get(operation_id)
        if found is None or found.kind is not OperationKind.EXPORT_REQUESTED:
            raise NotFound(
                f"export request {operation_id} does not exist",
                [FieldIssue(("operation_id",), operation_id, "no export request with this id")],
            )
        holding = str(found.details["from"])
        store.lock(session, "account", [holding])
        produced, _ = store.blocks_of_operations(session, [operation_id])
        pending = {b.id for b in produced.get(operation_id, []) if b.state is UnitState.PENDING_EXPORT}
        still = [b for b in store.open_blocks(session, account_ids=[holding]) if b.id in pending]
        if len(still) != len(pending):
            raise InvalidTransition(
                f"export request {operation_id} was already confirmed or rejected",
                [FieldIssue(("operation_id",), operation_id, "no longer pending")],
            )
        account = store.get_accounts(session, [holding])[holding]
        if confirm:
            own = store.accounts_of(session, account.organisation_id or "")
            if AccountKind.CANCELLATION not in own:  # pragma: no cover - opened with the holding
                raise Conflict(f"organisation {account.organisation_id} has no cancellation account")
            to_account, to_state = own[AccountKind.CANCELLATION].id, UnitState.EXPORTED
            kind = OperationKind.EXPORT_CONFIRMED
        else:
            to_account, to_state, kind = holding, UnitState.HELD, OperationKind.EXPORT_REJECTED
        moved = [
            SerialBlock(block_id(), b.project_id, b.vintage, b.start, b.end, to_account, to_state)
            for b in still
        ]
        project = store.get_project(session, found.project_id or "")
        details: dict[str, Any] = {
            "request": operation_id,
            "destination_registry": found.details["destination_registry"],
            "destination_account": found.details["destination_account"],
            name: value.strip(),
            "quantity": sum(b.count for b in moved),
            "serials": [] if project is None else serial_texts(project, moved),
        }
        op = new_operation(principal, kind, found.project_id, details, clock)
        return record(session, principal, [PendingOperation(op, [b.id for b in still], moved, {})])[0]


def confirm_export(
    sessions: sessionmaker[Session],
    principal: Principal,
    operation_id: str,
    destination_reference: str,
    *,
    clock: Clock = utc_now,
) -> Receipt:
    """The regulator confirms an export request once the destination registry has received the
    units (``destination_reference``: its transaction id): the pending units become ``exported``
    for good, in the holder's cancellation account. Public log entry."""
    return _settle(
        sessions, principal, operation_id, ("destination_reference", destination_reference), True, clock
    )


def reject_export(
    sessions: sessionmaker[Session],
    principal: Principal,
    operation_id: str,
    reason: str,
    *,
    clock: Clock = utc_now,
) -> Receipt:
    """The regulator rejects an export request: the pending units are ``held`` again in the
    holder's holding account, with the same serials. Public log entry."""
    return _settle(sessions, principal, operation_id, ("reason", reason), False, clock)


def expire(
    sessions: sessionmaker[Session], principal: Principal, request: ExpiryRequest, *, clock: Clock = utc_now
) -> Receipt:
    """Expire held or planned units whose validity has ended (regulator), e.g. temporary
    credits (CDM tCER expire at the end of the commitment period following their issuance): they
    become ``expired`` for good in the holder's cancellation account. Retired, cancelled, buffer
    and pending-export units never expire. Public log entry."""
    principal.require(Role.REGULATOR)
    issues: list[FieldIssue] = []
    check_units(request.units, issues)
    check_text(request.reason, "reason", 500, issues)
    if issues:
        raise InvalidInput("invalid expiry", issues)
    with unit_of_work(sessions) as session:
        account = _source(session, principal, request.units, Role.REGULATOR)
        own = store.accounts_of(session, account.organisation_id or "")
        if AccountKind.CANCELLATION not in own:  # pragma: no cover - opened with the holding
            raise Conflict(f"organisation {account.organisation_id} has no cancellation account")
        details: dict[str, Any] = {"from": account.id, "reason": request.reason.strip()}
        return _take(
            session,
            principal,
            request.units,
            account,
            EXPIRABLE,
            own[AccountKind.CANCELLATION].id,
            UnitState.EXPIRED,
            OperationKind.EXPIRY,
            details,
            clock,
        )
