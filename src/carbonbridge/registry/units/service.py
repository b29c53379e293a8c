"""Use cases that move units between accounts: transfer, retirement, cancellation (singly or in a
batch, one transaction and one ``append_events`` call), and reversals drawing on the buffer pool.
Re-exported by :mod:`carbonbridge.registry.service`."""

from __future__ import annotations

import bisect
import contextlib
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.clock import Clock, utc_now
from carbonbridge.kernel.errors import (
    CarbonbridgeError,
    FieldIssue,
    InvalidInput,
    NotFound,
)
from carbonbridge.kernel.ids import new_id
from carbonbridge.platform import collector
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.registry import blocks, store
from carbonbridge.registry.errors import InsufficientBuffer
from carbonbridge.registry.model import (
    BUFFER_POOL_ACCOUNT,
    RETIRABLE,
    TRANSFERABLE,
    Account,
    AccountKind,
    Cancellation,
    OperationKind,
    Project,
    Receipt,
    Retirement,
    SerialBlock,
    Transfer,
    UnitState,
)
from carbonbridge.registry.writes import (
    REGISTRY_CANCELLATION_ACCOUNT,
    PendingOperation,
    UnitRequest,
    block_id,
    check_identifier,
    check_text,
    check_units,
    ensure_registry_accounts,
    new_operation,
    record,
    require_holder,
    serial_start,
    serial_texts,
)


def _in_request(exc: CarbonbridgeError, n: int | None) -> CarbonbridgeError:
    if n is None:
        return exc
    exc.detail = f"request {n}: {exc.detail}"
    exc.issues = [FieldIssue(("requests", n, *i.location), i.value, i.reason) for i in exc.issues] or [
        FieldIssue(("requests", n), None, exc.detail)
    ]
    return exc


def check_request(request: UnitRequest) -> None:
    """What a request must satisfy before anything is read with it (:class:`InvalidInput`): its
    units' bounds and identifiers (``writes.check_units``) and its free text."""
    issues: list[FieldIssue] = []
    check_units(request.units, issues)
    if isinstance(request, Transfer):
        check_identifier(request.to_account_id, ("to_account_id",), issues)
    if isinstance(request, Retirement):
        check_text(request.beneficiary, "beneficiary", 200, issues)
        check_text(request.purpose, "purpose", 500, issues)
    elif isinstance(request, Cancellation):
        check_text(request.reason, "reason", 500, issues)
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
            bisect.insort(self.blocks, b, key=serial_start)


#: who moves units out of an organisation's holding account (its own users; admins pass every
#: check); the regulator may also cancel (administrative cancellation)
_HOLDERS = (Role.DEVELOPER, Role.REPORTER)
_CANCELLERS = (Role.DEVELOPER, Role.REPORTER, Role.REGULATOR)


class UnitMover:
    """What one write transaction has read so far for moving units: the source accounts, locked
    on construction (the transaction's first statement: serialise writers, store.py), the
    accounts, projects and organisations' accounts seen, and the holdings (:class:`_Holding`)
    as the moves so far left them. :meth:`move` decides one request against that state.

    A caller that refuses one request after deciding it (the group commit) restores the holdings it saw
    before that request with :meth:`snapshot` / :meth:`restore`; accounts and projects are not
    written by a move, so they stay valid."""

    def __init__(self, session: Session, clock: Clock, sources: Iterable[str]) -> None:
        self.session = session
        self.clock = clock
        sources = set(sources)
        self.locked = store.lock(session, "account", sources)
        self.known: dict[str, Account] = {}
        self.projects: dict[str, Project] = {}
        self.org_accounts: dict[str | None, dict[AccountKind, Account]] = {}
        self.working: dict[tuple[str, str, int], _Holding] = {}
        self._looked_up: set[str] = set()

    def read(self, requests: Sequence[UnitRequest]) -> None:
        """Read the accounts and projects ``requests`` name that are not known yet (one query each)."""
        accounts = {r.units.account_id for r in requests}
        accounts |= {r.to_account_id for r in requests if isinstance(r, Transfer)}
        accounts -= self._looked_up
        if accounts:
            self.known.update(store.get_accounts(self.session, accounts))
            self._looked_up |= accounts
        projects = {r.units.project_id for r in requests} - self.projects.keys()
        if projects:
            self.projects.update(store.projects_by_id(self.session, projects))

    def move(self, principal: Principal, request: UnitRequest) -> PendingOperation:
        """Decide ``request`` (already :func:`check_request`-ed) against the state so far."""
        self.read([request])
        return _move_one(
            principal,
            request,
            self.locked,
            self.known,
            self.projects,
            self.org_accounts,
            self.working,
            self.session,
            self.clock,
        )

    def snapshot(self) -> dict[tuple[str, str, int], tuple[list[SerialBlock], int, bool]]:
        return {k: (list(h.blocks), h.known_upto, h.complete) for k, h in self.working.items()}

    def restore(self, saved: dict[tuple[str, str, int], tuple[list[SerialBlock], int, bool]]) -> None:
        self.working = {}
        for key, (found, upto, complete) in saved.items():
            holding = self.working[key] = _Holding(key)
            holding.blocks, holding.known_upto, holding.complete = found, upto, complete


def move_units(
    session: Session, principal: Principal, requests: Sequence[UnitRequest], clock: Clock, numbered: bool
) -> list[PendingOperation]:
    for n, request in enumerate(requests):
        try:
            check_request(request)
        except CarbonbridgeError as exc:
            raise _in_request(exc, n if numbered else None) from None
    mover = UnitMover(session, clock, {r.units.account_id for r in requests})
    mover.read(requests)
    steps = []
    for n, request in enumerate(requests):
        try:
            steps.append(mover.move(principal, request))
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
) -> PendingOperation:
    units = request.units
    source = known.get(units.account_id)
    if source is None or units.account_id not in locked:
        raise NotFound(
            f"account {units.account_id} does not exist",
            [FieldIssue(("units", "account_id"), units.account_id, "unknown account")],
        )
    roles = _CANCELLERS if isinstance(request, Cancellation) else _HOLDERS
    require_holder(principal, source.organisation_id, *roles)
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
        new_id=block_id,
        quantity=units.quantity,
        start=units.start,
        end=units.end,
        presorted=True,
    )
    for b in move.consumed:
        del available[bisect.bisect_left(available, b.start, key=serial_start)]
    for b in move.remainders:
        bisect.insort(available, b, key=serial_start)
    if to_account in locked:
        to_key = (to_account, units.project_id, units.vintage)
        arriving = working.setdefault(to_key, _Holding(to_key))
        for b in move.moved:
            bisect.insort(arriving.blocks, b, key=serial_start)
    details["quantity"] = move.quantity
    details["serials"] = serial_texts(project, move.moved)
    op = new_operation(principal, kind, project.id, details, clock)
    return PendingOperation(op, [b.id for b in move.consumed], list(move.produced), {})


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
    with collector.bulk_work() if batch else contextlib.nullcontext(), unit_of_work(sessions) as session:
        steps = move_units(session, principal, requests, clock, numbered=batch)
        return record(session, principal, steps, batch=batch)


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
    check_text(reason, "reason", 500, issues)
    if issues:
        raise InvalidInput("invalid reversal", issues)
    with unit_of_work(sessions) as session:
        store.lock(session, "account", [BUFFER_POOL_ACCOUNT])
        ensure_registry_accounts(session)
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
        op = new_operation(principal, OperationKind.REVERSAL, project_id, details, clock)
        return record(session, principal, [PendingOperation(op, consumed, produced, {})])[0]
