"""Registry use cases: roles and organisation scoping, typed errors that change nothing, the
implausible-flag override, issuance once, and batch mode."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from carbonbridge.ledger import service as ledger
from carbonbridge.ledger.cli import register_context_auditors
from carbonbridge.ledger.proof import parse_receipt, verify_receipt
from carbonbridge.ledger.service import keys
from carbonbridge.platform.identity import PUBLIC
from carbonbridge.registry import issuance as issuing
from carbonbridge.registry import reads, service, store
from carbonbridge.registry.errors import (
    ImplausibleCalculation,
    InsufficientBuffer,
    InsufficientUnits,
    InvalidTransition,
)
from carbonbridge.registry.model import (
    BUFFER_POOL_ACCOUNT,
    AccountKind,
    Cancellation,
    Project,
    ProjectDraft,
    Retirement,
    Transfer,
    Units,
    UnitState,
)
from carbonbridge.registry.units import service as movements
from tests.registry.conftest import ADMIN, BUYER, DEVELOPER, OUTSIDER, REGULATOR, VERIFIER, World
from tests.registry.helpers import issued_report, registered_project


def _snapshot(sessions: sessionmaker[Session]) -> tuple[int, ...]:
    """Row counts of every registry table and the log size: a failed call must change none."""
    with sessions() as session:
        counts = [
            session.scalar(select(func.count()).select_from(t)) or 0
            for t in (
                store.BlockRow,
                store.OperationRow,
                store.IssuanceRow,
                store.ReportRow,
                store.ProjectRow,
            )
        ]
        closed = session.scalar(select(func.count()).where(store.BlockRow.closed_by.is_not(None))) or 0
    with sessions() as session:
        size = ledger.latest_checkpoint_in(session)[0]
    return (*counts, closed, size)


@pytest.fixture
def issued(world: World) -> Project:
    """MG001 registered, 2024 report of 100 t issued: 80 held by the developer, 20 in the buffer."""
    project = registered_project(world.sessions)
    issued_report(world.sessions, project, 2024, {"net_t": "100"})
    return project


def test_each_step_needs_its_role(world: World) -> None:
    draft = ProjectDraft("MG002", "mangrove-dev", "A", "甲", "TEST-REMOVAL", "CN-HI", "CCER")
    with pytest.raises(Forbidden, match="needs one of: developer"):
        service.draft_project(world.sessions, VERIFIER, draft)
    with pytest.raises(Forbidden, match="may not access organisation 'mangrove-dev'"):
        service.draft_project(world.sessions, OUTSIDER, draft)
    project, _ = service.draft_project(world.sessions, DEVELOPER, draft)
    assert project.methodology == "TEST-REMOVAL@1.0"
    assert project.kind == "removal"
    before = _snapshot(world.sessions)
    with pytest.raises(Forbidden):
        service.validate_project(world.sessions, DEVELOPER, project.id, "self-validated")
    with pytest.raises(Forbidden):
        service.register_project(world.sessions, VERIFIER, project.id, "ok")
    with pytest.raises(Unauthenticated):
        service.register_project(world.sessions, PUBLIC, project.id, "ok")
    with pytest.raises(InvalidTransition, match="must be validated"):
        service.register_project(world.sessions, REGULATOR, project.id, "ok")
    assert _snapshot(world.sessions) == before
    assert service.get_project(world.sessions, project.id).status.value == "draft"


def test_bad_draft_names_every_field(world: World) -> None:
    draft = ProjectDraft("mg-1", "mangrove-dev", "", "甲", "TEST-REMOVAL", "Hainan", "")
    with pytest.raises(InvalidInput) as caught:
        service.draft_project(world.sessions, DEVELOPER, draft)
    assert [i.location for i in caught.value.issues] == [("code",), ("region",), ("name_en",), ("standard",)]
    with pytest.raises(NotFound, match="no methodology 'NOPE'"):
        service.draft_project(
            world.sessions,
            DEVELOPER,
            ProjectDraft("MG9", "mangrove-dev", "A", "甲", "NOPE@1", "CN-HI", "CCER"),
        )


def test_project_code_is_unique(world: World) -> None:
    registered_project(world.sessions, "MG001")
    with pytest.raises(Conflict, match="MG001 is taken"):
        registered_project(world.sessions, "MG001")


def test_implausible_calculation_needs_a_recorded_override(world: World) -> None:
    project = registered_project(world.sessions)
    report, _ = service.submit_report(
        world.sessions,
        DEVELOPER,
        project.id,
        date(2024, 1, 1),
        date(2024, 12, 31),
        {"net_t": "50", "implausible": True},
    )
    with pytest.raises(ImplausibleCalculation) as caught:
        service.verify_report(world.sessions, VERIFIER, report.id, "Looks fine.")
    assert caught.value.issues[0].location == ("flags", "fuel_per_area")
    verified, receipt = service.verify_report(
        world.sessions,
        VERIFIER,
        report.id,
        "Qualified.",
        override_reason="Meter data confirmed on site visit.",
    )
    assert verified.override_reason == "Meter data confirmed on site visit."
    assert b"Meter data confirmed on site visit." in (parse_receipt(receipt.receipt).extra or b"")


def test_a_report_is_issued_once(world: World) -> None:
    project = registered_project(world.sessions)
    report, _ = issued_report(world.sessions, project, 2024, {"net_t": "10.9"})
    before = _snapshot(world.sessions)
    with pytest.raises(InvalidTransition, match="issued"):
        issuing.issue(world.sessions, REGULATOR, report.id)
    assert _snapshot(world.sessions) == before
    with pytest.raises(Conflict, match="overlaps monitoring report"):
        service.submit_report(
            world.sessions, DEVELOPER, project.id, date(2024, 6, 1), date(2025, 5, 31), {"net_t": "1"}
        )


def test_reduction_projects_have_no_buffer_and_floor_the_quantity(world: World) -> None:
    project = registered_project(world.sessions, "SOLAR1", "TEST-REDUCTION@2.0")
    _, receipt = issued_report(world.sessions, project, 2025, {"net_t": "41.99"})
    assert [(b.start, b.end, b.state) for b in receipt.produced] == [(1, 41, UnitState.HELD)]


def test_every_move_authenticates_the_presented_token_in_its_own_transaction(
    world: World, issued: Project
) -> None:
    """One write path (issue 11 §3): the single moves and the batch take the token as a face
    presents it and check it in the write's transaction: a live token moves (logged under its
    user), a revoked one and an unknown one move nothing, as through the group commit."""
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.platform.identity import Credentials, create_user, issue_token, revoke_presented

    with unit_of_work(world.sessions) as session:
        user = create_user(
            session, username="dev2", role=DEVELOPER.role, organisation_id=DEVELOPER.organisation_id
        )
        token = issue_token(session, user)
    units = Units(world.dev[AccountKind.HOLDING].id, issued.id, 2024, quantity=2)
    live = Credentials(token, from_header=True)
    receipt = movements.retire(world.sessions, live, Retirement(units, "Hotel", "2025 stays"))
    assert receipt.operation.actor == "dev2"
    [batched] = movements.apply_batch(world.sessions, live, [Cancellation(units, "correction")])
    assert batched.operation.actor == "dev2"
    with unit_of_work(world.sessions) as session:
        assert revoke_presented(session, token)
    before = _snapshot(world.sessions)
    for caller in (live, Credentials("cb_unknown", from_header=True)):
        with pytest.raises(Unauthenticated):
            movements.transfer(world.sessions, caller, Transfer(units, world.buyer[AccountKind.HOLDING].id))
        with pytest.raises(Unauthenticated):
            movements.apply_batch(world.sessions, caller, [Retirement(units, "Hotel", "2025 stays")])
    assert _snapshot(world.sessions) == before


def test_holders_act_only_on_their_own_accounts(world: World, issued: Project) -> None:
    dev = world.dev[AccountKind.HOLDING].id
    request = Transfer(Units(dev, issued.id, 2024, quantity=5), world.buyer[AccountKind.HOLDING].id)
    before = _snapshot(world.sessions)
    with pytest.raises(Forbidden, match="may not access organisation 'mangrove-dev'"):
        movements.transfer(world.sessions, BUYER, request)
    with pytest.raises(Forbidden):
        movements.transfer(world.sessions, VERIFIER, request)
    with pytest.raises(Forbidden):
        movements.retire(world.sessions, REGULATOR, Retirement(request.units, "x", "y"))
    with pytest.raises(Forbidden):
        reads.balances(world.sessions, BUYER, dev)
    assert _snapshot(world.sessions) == before
    movements.cancel(world.sessions, REGULATOR, Cancellation(request.units, "administrative correction"))


def test_failed_moves_change_nothing_and_say_why(world: World, issued: Project) -> None:
    dev = world.dev[AccountKind.HOLDING].id
    buyer = world.buyer[AccountKind.HOLDING].id
    before = _snapshot(world.sessions)
    with pytest.raises(InsufficientUnits, match="81 t asked for, 80 t available"):
        movements.transfer(
            world.sessions, DEVELOPER, Transfer(Units(dev, issued.id, 2024, quantity=81), buyer)
        )
    with pytest.raises(InsufficientUnits, match="first missing serial: 81"):
        movements.retire(
            world.sessions, DEVELOPER, Retirement(Units(dev, issued.id, 2024, start=70, end=90), "b", "p")
        )
    with pytest.raises(InvalidInput, match="holding account"):
        movements.transfer(
            world.sessions,
            DEVELOPER,
            Transfer(Units(dev, issued.id, 2024, quantity=1), world.buyer[AccountKind.RETIREMENT].id),
        )
    with pytest.raises(InvalidInput) as caught:
        movements.retire(
            world.sessions, DEVELOPER, Retirement(Units(dev, issued.id, 2024, quantity=1), " ", "p")
        )
    assert caught.value.issues[0].location == ("beneficiary",)
    with pytest.raises(NotFound):
        movements.transfer(
            world.sessions, DEVELOPER, Transfer(Units("acc_nope", issued.id, 2024, quantity=1), buyer)
        )
    with pytest.raises(InsufficientBuffer, match="exceeds the buffer pool's 20 t by 5 t"):
        movements.reverse(world.sessions, REGULATOR, issued.id, 25, "fire")
    assert _snapshot(world.sessions) == before
    assert [(b.state, b.tonnes) for b in reads.balances(world.sessions, DEVELOPER, dev)] == [
        (UnitState.HELD, 80)
    ]


def test_batch_applies_in_order_in_one_transaction(world: World, issued: Project) -> None:
    dev, buyer = world.dev[AccountKind.HOLDING].id, world.buyer[AccountKind.HOLDING].id
    requests = [
        *(Transfer(Units(dev, issued.id, 2024, quantity=2), buyer) for _ in range(30)),
        *(
            Retirement(Units(buyer, issued.id, 2024, quantity=1), f"guest {n}", "hotel night")
            for n in range(40)
        ),
        Cancellation(Units(dev, issued.id, 2024, start=61, end=70), "correction"),
    ]
    size = _snapshot(world.sessions)[-1]
    receipts = movements.apply_batch(world.sessions, ADMIN, requests)  # moves for two organisations
    assert len(receipts) == 71
    # 40 public retirements in one entry, 31 private operations in another
    assert _snapshot(world.sessions)[-1] == size + 2
    assert len({r.operation.log_index for r in receipts}) == 2
    retire_serials = [r.operation.details["serials"] for r in receipts[30:70]]
    assert retire_serials[0] == ["CB-CN-HI-MG001-2024-1-1"]
    assert retire_serials[-1] == ["CB-CN-HI-MG001-2024-40-40"]
    # each transfer arrived as its own block; the retirements took the lowest serials first
    assert [(b.start, b.end) for b in reads.holdings(world.sessions, REGULATOR, buyer)] == [
        (n, n + 1) for n in range(41, 60, 2)
    ]
    assert [(b.start, b.end) for b in reads.holdings(world.sessions, REGULATOR, dev)] == [(71, 80)]
    [tally] = reads.conservation(world.sessions, issued.id)
    assert tally.by_state == {
        UnitState.HELD: 30,
        UnitState.RETIRED: 40,
        UnitState.CANCELLED: 10,
        UnitState.BUFFER: 20,
    }
    register_context_auditors()
    assert ledger.audit(world.sessions).ok


def test_a_failing_request_fails_the_whole_batch_and_is_named(world: World, issued: Project) -> None:
    dev, buyer = world.dev[AccountKind.HOLDING].id, world.buyer[AccountKind.HOLDING].id
    requests = [
        Transfer(Units(dev, issued.id, 2024, quantity=50), buyer),
        Transfer(Units(dev, issued.id, 2024, quantity=50), buyer),
    ]
    before = _snapshot(world.sessions)
    with pytest.raises(InsufficientUnits) as caught:
        movements.apply_batch(world.sessions, DEVELOPER, requests)
    assert caught.value.detail.startswith("request 1: 50 t asked for, 30 t available")
    assert caught.value.issues[0].location == ("requests", 1, "quantity")
    assert _snapshot(world.sessions) == before


def test_buffer_pool_is_public_and_reversal_spares_retired_credits(world: World, issued: Project) -> None:
    dev = world.dev[AccountKind.HOLDING].id
    movements.retire(
        world.sessions, DEVELOPER, Retirement(Units(dev, issued.id, 2024, quantity=80), "county", "2024")
    )
    movements.reverse(world.sessions, REGULATOR, issued.id, 20, "storm")
    assert reads.balances(world.sessions, PUBLIC, BUFFER_POOL_ACCOUNT) == []
    [tally] = reads.conservation(world.sessions, issued.id)
    assert tally.by_state == {UnitState.RETIRED: 80, UnitState.CANCELLED: 20}


def test_batches_read_fragmented_accounts_page_by_page(
    world: World, issued: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With pages of 2 blocks the batch reads only what each request needs, and the result is the
    one a full read gives: lowest serials first, ranges across page boundaries."""
    monkeypatch.setattr(movements._Holding, "PAGE", 2)
    dev, buyer = world.dev[AccountKind.HOLDING].id, world.buyer[AccountKind.HOLDING].id
    movements.apply_batch(
        world.sessions,
        DEVELOPER,
        [Transfer(Units(dev, issued.id, 2024, quantity=1), buyer) for _ in range(10)],
    )
    receipts = movements.apply_batch(
        world.sessions,
        ADMIN,
        [
            Retirement(Units(buyer, issued.id, 2024, quantity=3), "a", "p"),
            Transfer(Units(buyer, issued.id, 2024, start=6, end=8), dev),
            Transfer(Units(dev, issued.id, 2024, quantity=4), buyer),
            Retirement(Units(buyer, issued.id, 2024, quantity=5), "b", "p"),
        ],
    )
    assert [r.operation.details["serials"] for r in receipts] == [
        ["CB-CN-HI-MG001-2024-1-1", "CB-CN-HI-MG001-2024-2-2", "CB-CN-HI-MG001-2024-3-3"],
        ["CB-CN-HI-MG001-2024-6-6", "CB-CN-HI-MG001-2024-7-7", "CB-CN-HI-MG001-2024-8-8"],
        [
            "CB-CN-HI-MG001-2024-6-6",
            "CB-CN-HI-MG001-2024-7-7",
            "CB-CN-HI-MG001-2024-8-8",
            "CB-CN-HI-MG001-2024-11-11",
        ],
        [
            "CB-CN-HI-MG001-2024-4-4",
            "CB-CN-HI-MG001-2024-5-5",
            "CB-CN-HI-MG001-2024-6-6",
            "CB-CN-HI-MG001-2024-7-7",
            "CB-CN-HI-MG001-2024-8-8",
        ],
    ]
    assert [(b.start, b.end) for b in reads.holdings(world.sessions, REGULATOR, buyer)] == [
        (9, 9),
        (10, 10),
        (11, 11),
    ]


def test_ex_ante_units_trade_but_never_retire(world: World) -> None:
    project = registered_project(world.sessions)
    receipt = issuing.issue_planned(
        world.sessions, REGULATOR, project.id, 2030, 50, "validated design, ex-ante estimate"
    )
    assert [(b.start, b.end, b.state) for b in receipt.produced] == [(1, 50, UnitState.PLANNED)]
    dev, buyer = world.dev[AccountKind.HOLDING].id, world.buyer[AccountKind.HOLDING].id
    movements.transfer(world.sessions, DEVELOPER, Transfer(Units(dev, project.id, 2030, quantity=20), buyer))
    with pytest.raises(InsufficientUnits, match="0 t available in state held"):
        movements.retire(
            world.sessions, BUYER, Retirement(Units(buyer, project.id, 2030, quantity=1), "b", "p")
        )
    [tally] = reads.conservation(world.sessions, project.id)
    assert (tally.issued, tally.by_state) == (50, {UnitState.PLANNED: 50})
    _, verified = issued_report(world.sessions, project, 2030, {"net_t": "10"})
    # 10 t verified, 2 to the buffer: the 8 oldest planned serials (the buyer's) convert in place,
    # only the buffer part is newly serialised, after the planned serials
    assert [(b.start, b.end, b.account_id, b.state) for b in verified.produced] == [
        (1, 8, buyer, UnitState.HELD),
        (9, 20, buyer, UnitState.PLANNED),
        (51, 52, BUFFER_POOL_ACCOUNT, UnitState.BUFFER),
    ]
    register_context_auditors()
    assert ledger.audit(world.sessions).ok


def test_public_credit_search_by_serial(world: World, issued: Project) -> None:
    dev = world.dev[AccountKind.HOLDING].id
    movements.retire(
        world.sessions, DEVELOPER, Retirement(Units(dev, issued.id, 2024, start=11, end=30), "b", "p")
    )
    found = reads.find_serial(world.sessions, "CB-CN-HI-MG001-2024-5-85")
    assert [(f.serial, f.state.value) for f in found] == [
        ("CB-CN-HI-MG001-2024-5-10", "held"),
        ("CB-CN-HI-MG001-2024-11-30", "retired"),
        ("CB-CN-HI-MG001-2024-31-80", "held"),
        ("CB-CN-HI-MG001-2024-81-85", "buffer"),
    ]
    assert found[0].methodology == "TEST-REMOVAL@1.0"
    assert found[0].standard == "CCER"
    with pytest.raises(NotFound):
        reads.find_serial(world.sessions, "CB-CN-GD-MG001-2024-5-85")
    with pytest.raises(InvalidInput):
        reads.find_serial(world.sessions, "VCS-1-2")


def test_buffer_share_from_the_calculation_else_the_default() -> None:
    removal = {"kind": "removal", "lines": []}
    assert issuing.buffer_share_of(removal) == Decimal("0.20")  # Gold Standard's flat rate
    assert issuing.buffer_share_of({**removal, "buffer_share": "0.15"}) == Decimal("0.15")
    legacy = {"kind": "removal", "lines": [{"name": "buffer_share", "value": "0.1"}]}
    assert issuing.buffer_share_of(legacy) == Decimal("0.1")
    assert issuing.buffer_share_of({"kind": "reduction", "buffer_share": None}) == 0
    with pytest.raises(InvalidInput):
        issuing.buffer_share_of({**removal, "buffer_share": "1.5"})
    assert issuing.issuance_quantities(Decimal("1000.7"), Decimal("0.20")) == (1000, 200)
    assert issuing.issuance_quantities(Decimal("500.2"), Decimal("0.15")) == (500, 75)
    assert issuing.issuance_quantities(Decimal("7.99"), Decimal("0.15")) == (7, 2)  # ceil(1.05)


def test_opening_accounts_returns_its_receipt_and_reopening_changes_nothing(world: World) -> None:
    opened = world.dev
    assert isinstance(opened, dict)
    receipt = getattr(opened, "receipt", None)
    assert receipt is not None
    entry = parse_receipt(receipt.receipt).extra
    assert entry is not None
    proven = verify_receipt(receipt.receipt, keys.verifier_key(), entry=entry)
    assert proven.index == receipt.operation.log_index
    before = _snapshot(world.sessions)
    again = service.open_accounts(world.sessions, REGULATOR, "mangrove-dev")
    assert dict(again) == dict(opened)
    assert again.receipt is None
    assert _snapshot(world.sessions) == before
