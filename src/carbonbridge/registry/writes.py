"""How every registry use case records what it did: an operation with the blocks it consumed and
produced is logged (one entry, or ``registry.batch`` chunks) and stored in the caller's
transaction; plus the checks and helpers the use-case modules share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from carbonbridge.kernel.bounds import MAX_EXACT_INT, YEAR_MAX, YEAR_MIN, text_issue
from carbonbridge.kernel.clock import Clock
from carbonbridge.kernel.errors import (
    FieldIssue,
    Forbidden,
    NotFound,
)
from carbonbridge.kernel.ids import new_id
from carbonbridge.ledger import service as ledger
from carbonbridge.platform.identity import ORGANISATION_ROLES, Principal, Role
from carbonbridge.registry import store
from carbonbridge.registry.events import (
    BATCH_CHUNK,
    BATCH_EVENT,
    EVENT_PREFIX,
    operation_event,
)
from carbonbridge.registry.model import (
    BUFFER_POOL_ACCOUNT,
    PUBLIC_OPERATIONS,
    Account,
    AccountKind,
    Cancellation,
    MonitoringReport,
    Operation,
    OperationKind,
    Project,
    Receipt,
    Retirement,
    SerialBlock,
    Transfer,
    Units,
)
from carbonbridge.registry.serials import Serial, format_serial

#: where units cancelled by a reversal go (the registry's own cancellation account)
#: where units cancelled by a reversal go (the registry's own cancellation account)
REGISTRY_CANCELLATION_ACCOUNT = "acc_registry_cancellation"

UnitRequest = Transfer | Retirement | Cancellation


@dataclass
class PendingOperation:
    """An operation being written: the blocks it consumes and produces, and its facts."""

    operation: Operation
    consumed: list[str]
    produced: list[SerialBlock]
    facts: Mapping[str, object]


def new_operation(
    principal: Principal,
    kind: OperationKind,
    project_id: str | None,
    details: Mapping[str, Any],
    clock: Clock,
) -> Operation:
    return Operation(new_id("op"), kind, project_id, clock(), principal.name, details, -1)


def record(
    session: Session, principal: Principal, steps: Sequence[PendingOperation], *, batch: bool = False
) -> list[Receipt]:
    """Store the steps' blocks (:func:`store_blocks`), then log them and store the operations with
    their log index (:func:`log_steps`), in the caller's transaction."""
    store_blocks(session, steps)
    return log_steps(session, [principal] * len(steps), steps, batch=batch)


def store_blocks(session: Session, steps: Sequence[PendingOperation]) -> None:
    """Close the blocks the steps consumed and insert the blocks they produced (blocks produced
    and consumed within ``steps`` are inserted already closed). The operations themselves are
    stored by :func:`log_steps`, once their log index is known; nothing reads an operation row
    before then, and no block row references one."""
    closed_by = {b: s.operation.id for s in steps for b in s.consumed}
    fresh = {b.id for s in steps for b in s.produced}
    # close before inserting: the open-block unique indexes see one owner per serial at any time
    store.close_blocks(session, [(b, op) for b, op in closed_by.items() if b not in fresh])
    store.add_blocks(session, [(b, s.operation.id, closed_by.get(b.id)) for s in steps for b in s.produced])


def log_steps(
    session: Session,
    actors: Sequence[Principal],
    steps: Sequence[PendingOperation],
    *,
    batch: bool = False,
) -> list[Receipt]:
    """Log the steps in ONE ``append_events`` call (one entry each, each step keeping its own entry
    and receipt; or, with ``batch``, ``registry.batch`` chunks), then store the operations with
    their log index, each under its actor (``actors[n]`` did ``steps[n]``). Returns the receipts
    in the order of ``steps``."""
    if not steps:
        return []
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
    by_actor: dict[str, list[Operation]] = {}
    for actor, stored in zip(actors, operations, strict=True):
        if stored is not None:
            by_actor.setdefault(actor.user_id or "", []).append(stored)
    for user, ops in by_actor.items():
        store.add_operations(session, ops, user)
    return [r for r in receipts if r is not None]


def require_holder(principal: Principal, organisation_id: str | None, *roles: Role) -> None:
    principal.require(*roles)
    if organisation_id is None:
        if principal.role in ORGANISATION_ROLES:
            raise Forbidden("only the registry administers its own accounts")
        return
    principal.require_organisation(organisation_id)


def check_text(value: str, name: str, limit: int, issues: list[FieldIssue]) -> None:
    """Free text a use case stores: non-blank, at most ``limit`` characters, no NUL."""
    found = text_issue(value, (name,), limit)
    if found is not None:
        issues.append(found)


def check_units(units: Units, issues: list[FieldIssue]) -> None:
    """The bounds of a units request, checked before anything is read with them (a vintage past a
    32-bit column or a serial past the log's exact integers is refused here, for every face,
    rather than raised by the database inside a shared batch): a four-digit vintage, quantity and
    serials within ``1 .. 2**53 - 1``, identifiers without NUL."""
    vintage, quantity, start, end = units.vintage, units.quantity, units.start, units.end
    account, project = units.account_id, units.project_id
    if (  # the usual request, judged in one expression (this runs for every request of a batch)
        type(vintage) is int
        and YEAR_MIN <= vintage <= YEAR_MAX
        and (type(quantity) is not int or quantity <= MAX_EXACT_INT)
        and (type(start) is not int or start <= MAX_EXACT_INT)
        and (type(end) is not int or end <= MAX_EXACT_INT)
        and type(account) is str
        and "\x00" not in account
        and type(project) is str
        and "\x00" not in project
    ):
        return
    if isinstance(vintage, bool) or not isinstance(vintage, int) or not YEAR_MIN <= vintage <= YEAR_MAX:
        issues.append(FieldIssue(("units", "vintage"), vintage, "a four-digit year"))
    for name, value in (("quantity", units.quantity), ("start", units.start), ("end", units.end)):
        if isinstance(value, int) and value > MAX_EXACT_INT:
            issues.append(FieldIssue(("units", name), value, f"at most {MAX_EXACT_INT} (2^53 - 1)"))
    check_identifier(units.account_id, ("units", "account_id"), issues)
    check_identifier(units.project_id, ("units", "project_id"), issues)


def check_identifier(value: str, location: tuple[str, ...], issues: list[FieldIssue]) -> None:
    """An identifier to look up: text without NUL (which PostgreSQL refuses in any query)."""
    if not isinstance(value, str) or "\x00" in value:
        issues.append(FieldIssue(location, value, "an identifier (text without NUL)"))


def ensure_registry_accounts(session: Session) -> None:
    have = store.get_accounts(session, [BUFFER_POOL_ACCOUNT, REGISTRY_CANCELLATION_ACCOUNT])
    if BUFFER_POOL_ACCOUNT not in have:
        store.add_account(session, Account(BUFFER_POOL_ACCOUNT, None, AccountKind.BUFFER))
    if REGISTRY_CANCELLATION_ACCOUNT not in have:
        store.add_account(session, Account(REGISTRY_CANCELLATION_ACCOUNT, None, AccountKind.CANCELLATION))


def serial_texts(project: Project, moved: Sequence[SerialBlock]) -> list[str]:
    """Serial numbers of blocks of a stored project (its region and code were validated when it
    was drafted, so :func:`format_serial`'s checks are not repeated per block)."""
    prefix = format_serial(Serial(project.region, project.code, 2000, 1, 1)).rsplit("-", 3)[0]
    return [f"{prefix}-{b.vintage}-{b.start}-{b.end}" for b in moved]


def block_id() -> str:
    return new_id("blk")


def serial_start(block: SerialBlock) -> int:
    return block.start


def locked_project(session: Session, project_id: str) -> Project:
    """Lock a project's row (the transaction's first statement, ``store.py``'s lock-before-read
    rule) and read it; :class:`NotFound` if there is no such project."""
    if not store.lock(session, "project", [project_id]):
        raise NotFound(f"project {project_id} does not exist")
    project = store.get_project(session, project_id)
    if project is None:  # pragma: no cover - locked above
        raise NotFound(f"project {project_id} does not exist")
    return project


def locked_report(session: Session, report_id: str) -> MonitoringReport:
    """Lock a monitoring report's row and read it (as :func:`locked_project`)."""
    if not store.lock(session, "report", [report_id]):
        raise NotFound(f"monitoring report {report_id} does not exist")
    report = store.get_report(session, report_id)
    if report is None:  # pragma: no cover - locked above
        raise NotFound(f"monitoring report {report_id} does not exist")
    return report
