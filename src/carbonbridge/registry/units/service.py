"""Use cases that move units between accounts: transfer, retirement, cancellation (singly or in a
batch, one transaction and one ``append_events`` call), and reversals drawing on the buffer pool.

One write path per use case (issue 11 §3): :func:`transfer`, :func:`retire` and :func:`cancel` are
the only way units move singly, whatever the face. Each takes the caller as presented (a
:class:`Credentials` token, or a principal already known in-process) and runs
:func:`commit_batch`: the caller is authenticated in the write's own transaction (a token revoked
before the commit moves nothing), the request is decided against the holdings
(:class:`UnitMover`), stored, logged and committed. The ``*_async`` forms are the same use case
for an event loop (the REST face): the request is queued on the process's group commit
(:mod:`carbonbridge.registry.units.group_commit`), whose writer thread runs the same
:func:`commit_batch` on the requests of many concurrent callers at once.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.clock import Clock, utc_now
from carbonbridge.kernel.errors import (
    CarbonbridgeError,
    DependencyUnavailable,
    FieldIssue,
    InvalidInput,
    NotFound,
)
from carbonbridge.kernel.ids import new_id
from carbonbridge.platform import collector
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import PUBLIC, Credentials, Principal, Role, authenticate_all
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
from carbonbridge.registry.units.group_commit import Coalescer, Coalescers, FailedBeforeCommit, write_split
from carbonbridge.registry.writes import (
    REGISTRY_CANCELLATION_ACCOUNT,
    PendingOperation,
    UnitRequest,
    block_id,
    check_identifier,
    check_text,
    check_units,
    ensure_registry_accounts,
    log_steps,
    new_operation,
    record,
    require_holder,
    serial_start,
    serial_texts,
    store_blocks,
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


#: who asks for a move: a principal the process already knows (the CLI's operator, another
#: context's service), a token as presented to a face (checked in the write's own transaction),
#: or ``None`` (the public)
Caller = Principal | Credentials | None

#: who may move units at all (each source account's holder is checked per request)
_MOVERS = (Role.DEVELOPER, Role.REPORTER, Role.REGULATOR)

#: what a request of a batch is answered with: its receipt, the typed error that refused it, or
#: (only for a request that failed alone, see :func:`commit_batch`) the error it raised
Outcome = Receipt | CarbonbridgeError | Exception


def commit_batch(
    sessions: sessionmaker[Session],
    requests: Sequence[tuple[Caller, UnitRequest]],
    clock: Clock = utc_now,
) -> list[Outcome]:
    """Write ``requests`` (each by its caller) in arrival order in ONE transaction: the callers
    authenticated (in this transaction, one query for the batch: a token revoked before the batch
    commits moves nothing), each request decided against the state the ones before it left, the
    accepted ones stored, logged in one ``append_events`` call (one entry and receipt each) and
    committed. Returns, per request, its receipt or the :class:`CarbonbridgeError` that refused
    it (nothing of it stored). The single use cases run it on a batch of one; the group commit on
    the requests of concurrent callers.

    Each request is decided in turn against the holdings the requests before it left, in memory
    (:class:`UnitMover` only reads the database): a refused request gets its error, as it would
    have alone, and the holdings are restored to what they were before it
    (``snapshot``/``restore``). No request writes anything before it is accepted, so no savepoint
    is needed (one per request took 39 % of the writer's CPU time in a profile of 1,200 REST
    retirements). Each request's bounds (:func:`check_request`) are checked before anything is
    read with it.

    A failure that is not a refusal (the database refusing a value, a constraint, a bug) rolls
    the whole transaction back and must not fail the other callers: the batch is written again
    in halves (:func:`~carbonbridge.registry.units.group_commit.write_split`) until the failing
    request is alone; only its caller gets the error. A failure that is no request's doing (the
    database unavailable, a lock timeout, a deadlock: :class:`DependencyUnavailable`) or that
    happens in the commit itself (whose outcome is then unknown: writing again could apply a
    request twice) raises, and every caller of the batch gets it."""
    return write_split(functools.partial(_commit_once, sessions, clock), requests)


def _commit_once(
    sessions: sessionmaker[Session], clock: Clock, requests: Sequence[tuple[Caller, UnitRequest]]
) -> list[Outcome]:
    """:func:`commit_batch` in one transaction; raises :class:`FailedBeforeCommit` for a failure
    before the commit that a request may have caused."""
    outcomes: list[Outcome | None] = [None] * len(requests)
    # a known principal's role first (as every use case checks it), then each request's own
    # bounds, before anything is read with it
    checked: list[tuple[int, Caller, UnitRequest]] = []
    for n, (caller, request) in enumerate(requests):
        try:
            if isinstance(caller, Principal):
                caller.require(*_MOVERS)
            check_request(request)
        except CarbonbridgeError as exc:
            outcomes[n] = exc
            continue
        checked.append((n, caller, request))
    if not checked:
        return [o for o in outcomes if o is not None]
    committing = False
    try:
        with unit_of_work(sessions) as session:
            _decide(session, clock, checked, outcomes)
            session.flush()  # anything still pending fails here, not in the commit
            committing = True  # leaving the block commits
    except DependencyUnavailable:
        raise
    except Exception as exc:
        if committing:
            raise
        raise FailedBeforeCommit(exc) from exc
    return [o for o in outcomes if o is not None]


def _decide(
    session: Session,
    clock: Clock,
    checked: Sequence[tuple[int, Caller, UnitRequest]],
    outcomes: list[Outcome | None],
) -> None:
    """In the batch's transaction: authenticate, decide each request in turn, store and log the
    accepted ones (their receipts into ``outcomes``)."""
    # every source account first, sorted (UnitMover locks them): it serialises this batch against
    # other writers, and its UPDATE opens the transaction
    mover = UnitMover(session, clock, {r.units.account_id for _, _, r in checked})
    mover.read([r for _, _, r in checked])
    callers = _authenticated(session, [c for _, c, _ in checked])
    moved: list[tuple[int, Principal, PendingOperation]] = []
    for (n, _, request), principal in zip(checked, callers, strict=True):
        if isinstance(principal, CarbonbridgeError):
            outcomes[n] = principal
            continue
        # each request is decided against the holdings the requests before it left, in memory
        # (the mover only reads); a refused one restores them and writes nothing
        saved = mover.snapshot()
        try:
            principal.require(*_MOVERS)
            step = mover.move(principal, request)
        except CarbonbridgeError as exc:
            mover.restore(saved)
            outcomes[n] = exc
            continue
        moved.append((n, principal, step))
    # the accepted moves' blocks in one pass (a block produced and consumed within the batch is
    # inserted already closed), then their log entries in one append
    store_blocks(session, [s for _, _, s in moved])
    receipts = log_steps(session, [p for _, p, _ in moved], [s for _, _, s in moved])
    for (n, _, _), receipt in zip(moved, receipts, strict=True):
        outcomes[n] = receipt


def _authenticated(session: Session, callers: Sequence[Caller]) -> list[Principal | CarbonbridgeError]:
    """Each caller as a principal (presented tokens checked in one query, ``authenticate_all``, as
    every face's are), or why it is refused."""
    presented = [c for c in callers if isinstance(c, Credentials)]
    checked = iter(authenticate_all(session, presented) if presented else [])
    return [PUBLIC if c is None else next(checked) if isinstance(c, Credentials) else c for c in callers]


def _one(sessions: sessionmaker[Session], caller: Caller, request: UnitRequest, clock: Clock) -> Receipt:
    [outcome] = commit_batch(sessions, [(caller, request)], clock)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def transfer(
    sessions: sessionmaker[Session], caller: Caller, request: Transfer, *, clock: Clock = utc_now
) -> Receipt:
    """Move units to another organisation's holding account (holder of the source account). A
    partial transfer splits the block; the count is conserved. Logged as a commitment."""
    return _one(sessions, caller, request, clock)


def retire(
    sessions: sessionmaker[Session], caller: Caller, request: Retirement, *, clock: Clock = utc_now
) -> Receipt:
    """Retire held units for a named beneficiary and purpose (holder of the source account):
    they move to the organisation's retirement account for good, and the retirement record with
    its serial ranges is public in the log. Planned (ex-ante) units cannot be retired."""
    return _one(sessions, caller, request, clock)


def cancel(
    sessions: sessionmaker[Session], caller: Caller, request: Cancellation, *, clock: Clock = utc_now
) -> Receipt:
    """Cancel units without a retirement claim (holder, or the regulator), e.g. to correct an
    over-issuance or to use them outside the registry. Distinct from retirement."""
    return _one(sessions, caller, request, clock)


def group_commit(
    sessions: sessionmaker[Session], *, max_batch: int = 64, clock: Clock = utc_now
) -> Coalescer[Caller, UnitRequest, Receipt]:
    """A writer thread group-committing single moves on ``sessions`` with :func:`commit_batch`."""
    write = functools.partial(commit_batch, sessions, clock=clock)
    return Coalescer(write, max_batch=max_batch)


#: the process's group commit, one per session factory (the app's)
group_commits: Coalescers[Caller, UnitRequest, Receipt] = Coalescers(
    lambda sessions: group_commit(cast("sessionmaker[Session]", sessions))
)


async def transfer_async(sessions: sessionmaker[Session], caller: Caller, request: Transfer) -> Receipt:
    """:func:`transfer` from an event loop: group-committed with concurrent callers' moves."""
    return await group_commits.submit_async(sessions, caller, request)


async def retire_async(sessions: sessionmaker[Session], caller: Caller, request: Retirement) -> Receipt:
    """:func:`retire` from an event loop: group-committed with concurrent callers' moves."""
    return await group_commits.submit_async(sessions, caller, request)


async def cancel_async(sessions: sessionmaker[Session], caller: Caller, request: Cancellation) -> Receipt:
    """:func:`cancel` from an event loop: group-committed with concurrent callers' moves."""
    return await group_commits.submit_async(sessions, caller, request)


def stop_group_commits(timeout: float | None = None) -> None:
    """Write every queued move, then stop the process's group-commit threads (app shutdown)."""
    group_commits.shutdown_all(timeout)


def _authenticated_one(session: Session, caller: Caller) -> Principal:
    [found] = _authenticated(session, [caller])
    if isinstance(found, CarbonbridgeError):
        raise found
    return found


def apply_batch(
    sessions: sessionmaker[Session],
    caller: Caller,
    requests: Sequence[UnitRequest],
    *,
    clock: Clock = utc_now,
) -> list[Receipt]:
    """Apply many transfers, retirements and cancellations in order, in ONE transaction with one
    ``append_events`` call (``registry.batch`` entries of up to 100 operations): all or nothing;
    an error names the request (``requests.<n>``). The caller is authenticated in that transaction,
    as for a single move."""
    if isinstance(caller, Principal):
        caller.require(*_MOVERS)
    if not requests:
        raise InvalidInput("empty batch", [FieldIssue(("requests",), 0, "at least one request")])
    for n, request in enumerate(requests):
        try:
            check_request(request)
        except CarbonbridgeError as exc:
            raise _in_request(exc, n) from None
    with collector.bulk_work(), unit_of_work(sessions) as session:
        mover = UnitMover(session, clock, {r.units.account_id for r in requests})
        mover.read(requests)
        principal = _authenticated_one(session, caller)
        principal.require(*_MOVERS)
        steps = []
        for n, request in enumerate(requests):
            try:
                steps.append(mover.move(principal, request))
            except CarbonbridgeError as exc:
                raise _in_request(exc, n) from None
        return record(session, principal, steps, batch=True)


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
