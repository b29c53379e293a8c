"""Group commit of single transfers, retirements and cancellations (registry/units/group_commit.py,
behind registry/units/service.py), on
SQLite and PostgreSQL: each request decided in turn in one transaction, one log append per batch,
every caller answered with its own receipt after the commit."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.errors import (
    CarbonbridgeError,
    Conflict,
    DependencyUnavailable,
    Forbidden,
    InvalidInput,
)
from carbonbridge.ledger import service as ledger
from carbonbridge.ledger.cli import register_context_auditors
from carbonbridge.ledger.proof import parse_receipt, verify_receipt
from carbonbridge.ledger.service import keys
from carbonbridge.platform.identity import Principal
from carbonbridge.registry import reads, store
from carbonbridge.registry.errors import InsufficientUnits
from carbonbridge.registry.model import (
    AccountKind,
    Cancellation,
    OperationKind,
    Project,
    Receipt,
    Retirement,
    Transfer,
    Units,
    UnitState,
)
from carbonbridge.registry.units import service as movements
from carbonbridge.registry.units.group_commit import Coalescer
from carbonbridge.registry.units.service import Caller, commit_batch
from carbonbridge.registry.writes import PendingOperation, UnitRequest
from tests.registry.conftest import ADMIN, BUYER, DEVELOPER, OUTSIDER, World
from tests.registry.helpers import issued_report, registered_project
from tests.registry.test_service import _snapshot

Writer = Coalescer[Caller, UnitRequest, Receipt]


@pytest.fixture
def issued(world: World) -> Project:
    """MG001 registered, 2024 report of 100 t issued: 80 held by the developer, 20 in the buffer."""
    project = registered_project(world.sessions)
    issued_report(world.sessions, project, 2024, {"net_t": "100"})
    return project


@pytest.fixture
def writer(world: World) -> Iterator[Writer]:
    found = movements.group_commit(world.sessions, max_batch=16)
    yield found
    found.shutdown()


def _retire(world: World, project: Project, quantity: int, beneficiary: str = "Hotel") -> Retirement:
    units = Units(world.dev[AccountKind.HOLDING].id, project.id, 2024, quantity=quantity)
    return Retirement(units, beneficiary, "2025 guest stays")


def _verifies(receipt: Receipt) -> int:
    """The receipt proves its own entry; returns the tree size its checkpoint commits to."""
    parsed = parse_receipt(receipt.receipt)
    verified = verify_receipt(receipt.receipt, keys.verifier_key(), entry=parsed.extra)
    assert verified.index == receipt.operation.log_index
    return verified.checkpoint.tree_size


def _audit_clean(sessions: sessionmaker[Session]) -> None:
    register_context_auditors()
    report = ledger.audit(sessions)
    assert report.ok, report


def _stored_log_indexes(sessions: sessionmaker[Session], ids: Sequence[str]) -> dict[str, int]:
    with sessions() as session:
        return {i: o.log_index for i, o in store.operations_by_id(session, ids).items()}


def test_concurrent_callers_each_get_their_own_committed_receipt(
    world: World, issued: Project, writer: Writer
) -> None:
    """60 threads retire 1 t each and 10 transfer 1 t to the buyer: 70 acknowledged, each stored
    with its own log entry and a receipt that verifies; fewer checkpoints than requests (batches)."""
    go = threading.Event()

    def one(n: int) -> Receipt:
        go.wait()
        if n < 60:
            return writer.submit(DEVELOPER, _retire(world, issued, 1, f"guest {n}"))
        units = Units(world.dev[AccountKind.HOLDING].id, issued.id, 2024, quantity=1)
        return writer.submit(DEVELOPER, Transfer(units, world.buyer[AccountKind.HOLDING].id))

    with ThreadPoolExecutor(32) as pool:
        futures = [pool.submit(one, n) for n in range(70)]
        go.set()
        receipts = [f.result() for f in futures]

    indexes = [r.operation.log_index for r in receipts]
    assert len(set(indexes)) == 70
    assert Counter(r.operation.kind for r in receipts) == {
        OperationKind.RETIREMENT: 60,
        OperationKind.TRANSFER: 10,
    }
    assert sorted(r.operation.details.get("beneficiary", "") for r in receipts)[10:] == sorted(
        f"guest {n}" for n in range(60)
    )
    sizes = {_verifies(r) for r in receipts}
    assert len(sizes) < 70  # at least one batch carried several requests
    stored = _stored_log_indexes(world.sessions, [r.operation.id for r in receipts])
    assert stored == {r.operation.id: r.operation.log_index for r in receipts}
    [tally] = reads.conservation(world.sessions, issued.id)
    assert tally.by_state == {UnitState.HELD: 20, UnitState.RETIRED: 60, UnitState.BUFFER: 20}
    assert tally.balanced
    buyer = reads.balances(world.sessions, ADMIN, world.buyer[AccountKind.HOLDING].id)
    assert [(b.state, b.tonnes) for b in buyer] == [(UnitState.HELD, 10)]
    assert reads.overlapping_blocks(world.sessions) == []
    _audit_clean(world.sessions)


def test_racing_for_the_same_units_moves_exactly_what_is_held(
    world: World, issued: Project, writer: Writer
) -> None:
    """200 callers each retire 1 t of the 80 held: exactly 80 succeed, 120 are told the units are
    insufficient; nothing is double-spent."""
    go = threading.Event()

    def one() -> str:
        go.wait()
        try:
            writer.submit(DEVELOPER, _retire(world, issued, 1))
        except InsufficientUnits:
            return "refused"
        return "moved"

    with ThreadPoolExecutor(32) as pool:
        futures = [pool.submit(one) for _ in range(200)]
        go.set()
        outcomes = Counter(f.result() for f in futures)

    assert outcomes == {"moved": 80, "refused": 120}
    [tally] = reads.conservation(world.sessions, issued.id)
    assert tally.by_state == {UnitState.RETIRED: 80, UnitState.BUFFER: 20}
    assert tally.balanced
    assert reads.balances(world.sessions, ADMIN, world.dev[AccountKind.HOLDING].id) == []
    assert reads.overlapping_blocks(world.sessions) == []
    _audit_clean(world.sessions)


def test_a_bad_request_fails_alone_and_the_next_sees_the_state_before_it(
    world: World, issued: Project
) -> None:
    """One batch: a forbidden transfer, 50 t retired, 50 t more refused (30 left), an invalid
    cancellation, 30 t retired. The refused ones leave nothing."""
    dev = world.dev[AccountKind.HOLDING].id
    outcomes = commit_batch(
        world.sessions,
        [
            (
                OUTSIDER,
                Transfer(Units(dev, issued.id, 2024, quantity=5), world.buyer[AccountKind.HOLDING].id),
            ),
            (DEVELOPER, _retire(world, issued, 50)),
            (DEVELOPER, _retire(world, issued, 50)),
            (DEVELOPER, Cancellation(Units(dev, issued.id, 2024, quantity=1), "  ")),
            (BUYER, _retire(world, issued, 30)),  # not the buyer's account
            (DEVELOPER, _retire(world, issued, 30)),
        ],
    )
    assert [type(o) for o in outcomes] == [
        Forbidden,
        Receipt,
        InsufficientUnits,
        InvalidInput,
        Forbidden,
        Receipt,
    ]
    first, second = outcomes[1], outcomes[5]
    assert isinstance(first, Receipt)
    assert isinstance(second, Receipt)
    assert first.operation.details["quantity"] == 50
    assert second.operation.details["quantity"] == 30
    assert first.operation.details["serials"] == ["CB-CN-HI-MG001-2024-1-50"]
    assert second.operation.details["serials"] == ["CB-CN-HI-MG001-2024-51-80"]
    assert second.operation.log_index == first.operation.log_index + 1
    assert _verifies(first) == _verifies(second)  # one append, one checkpoint
    [tally] = reads.conservation(world.sessions, issued.id)
    assert tally.by_state == {UnitState.RETIRED: 80, UnitState.BUFFER: 20}
    _audit_clean(world.sessions)


def test_a_request_refused_after_its_move_was_decided_leaves_nothing(
    world: World, issued: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request refused AFTER the mover took its units (here: a 7 t retirement made to fail once
    decided) leaves nothing: the holdings are restored, and the next request of the batch retires
    all 80 t, serials 1-80."""
    real = movements.UnitMover.move

    def failing_after_move(
        self: movements.UnitMover, principal: Principal, request: UnitRequest
    ) -> PendingOperation:
        step = real(self, principal, request)
        if step.operation.details["quantity"] == 7:
            raise Conflict("made to fail after the move was decided")
        return step

    monkeypatch.setattr(movements.UnitMover, "move", failing_after_move)
    outcomes = commit_batch(
        world.sessions, [(DEVELOPER, _retire(world, issued, 7)), (DEVELOPER, _retire(world, issued, 80))]
    )
    assert isinstance(outcomes[0], Conflict)
    assert isinstance(outcomes[1], Receipt)
    assert outcomes[1].operation.details["serials"] == ["CB-CN-HI-MG001-2024-1-80"]
    [tally] = reads.conservation(world.sessions, issued.id)
    assert tally.by_state == {UnitState.RETIRED: 80, UnitState.BUFFER: 20}
    assert tally.balanced
    assert reads.overlapping_blocks(world.sessions) == []
    _audit_clean(world.sessions)


def test_a_failed_transaction_stores_nothing_and_fails_every_caller(
    world: World, issued: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log append fails after every move was stored: the whole transaction rolls back and
    each caller gets the error."""
    before = _snapshot(world.sessions)

    def broken(*_args: object, **_kwargs: object) -> list[Receipt]:
        raise DependencyUnavailable("log unavailable")

    monkeypatch.setattr(movements, "log_steps", broken)
    with pytest.raises(DependencyUnavailable):
        commit_batch(
            world.sessions, [(DEVELOPER, _retire(world, issued, 10)), (DEVELOPER, _retire(world, issued, 5))]
        )
    writer = movements.group_commit(world.sessions)
    futures = [writer.submit_future(DEVELOPER, _retire(world, issued, 1)) for _ in range(5)]
    writer.shutdown()
    for f in futures:
        with pytest.raises(DependencyUnavailable, match="log unavailable"):
            f.result()
    assert _snapshot(world.sessions) == before
    monkeypatch.undo()
    _audit_clean(world.sessions)


def test_shutdown_drains_the_queue_then_refuses(world: World, issued: Project) -> None:
    writer = movements.group_commit(world.sessions, max_batch=4)
    futures = [writer.submit_future(DEVELOPER, _retire(world, issued, 1)) for _ in range(10)]
    writer.shutdown()
    assert all(f.done() for f in futures)
    assert sorted(f.result().operation.log_index for f in futures) == sorted(
        {f.result().operation.log_index for f in futures}
    )
    with pytest.raises(DependencyUnavailable):
        writer.submit(DEVELOPER, _retire(world, issued, 1))
    held = reads.balances(world.sessions, ADMIN, world.dev[AccountKind.HOLDING].id)
    assert [(b.state, b.tonnes) for b in held] == [(UnitState.HELD, 70)]


def test_errors_reach_the_caller_unchanged(world: World, issued: Project, writer: Writer) -> None:
    with pytest.raises(InsufficientUnits) as caught:
        writer.submit(DEVELOPER, _retire(world, issued, 81))
    assert isinstance(caught.value, CarbonbridgeError)
    assert "request" not in caught.value.detail  # a single request is not numbered
    shared = movements.group_commits.get(world.sessions)
    assert movements.group_commits.get(world.sessions) is shared
    shared.shutdown()  # e.g. another app of the process shut down: a fresh coalescer takes over
    future = movements.group_commits.submit_future(world.sessions, DEVELOPER, _retire(world, issued, 2))
    receipt = future.result()
    assert receipt.operation.details["quantity"] == 2
    assert movements.group_commits.get(world.sessions) is not shared
    movements.stop_group_commits()


def test_credentials_are_checked_by_the_writer_in_one_query_per_batch(world: World, issued: Project) -> None:
    """A batch of callers by token (the API's path): a valid bearer token moves, an unknown one
    is refused as unauthenticated, a stale cookie and no credentials are the public (refused),
    each independently of the others; the valid ones are logged under the token's user."""
    from carbonbridge.kernel.errors import Unauthenticated
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.platform.identity import Credentials, create_user, issue_token

    with unit_of_work(world.sessions) as session:
        user = create_user(
            session, username="dev2", role=DEVELOPER.role, organisation_id=DEVELOPER.organisation_id
        )
        token = issue_token(session, user)
    outcomes = commit_batch(
        world.sessions,
        [
            (Credentials(token, from_header=True), _retire(world, issued, 3)),
            (Credentials("cb_unknown", from_header=True), _retire(world, issued, 5)),
            (Credentials("cb_stale", from_header=False), _retire(world, issued, 7)),
            (None, _retire(world, issued, 11)),
            (Credentials(token, from_header=False), _retire(world, issued, 13)),
        ],
    )
    assert [type(o) for o in outcomes] == [
        Receipt,
        Unauthenticated,
        Unauthenticated,
        Unauthenticated,
        Receipt,
    ]
    assert [o.operation.details["quantity"] for o in outcomes if isinstance(o, Receipt)] == [3, 13]
    assert {o.operation.actor for o in outcomes if isinstance(o, Receipt)} == {"dev2"}
    [tally] = reads.conservation(world.sessions, issued.id)
    assert tally.by_state == {UnitState.HELD: 64, UnitState.RETIRED: 16, UnitState.BUFFER: 20}
    _audit_clean(world.sessions)
