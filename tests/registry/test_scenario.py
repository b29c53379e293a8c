"""The worked scenario through the service: a removal project from draft to a reversal, every
balance and serial range asserted, every receipt verified and the log audited."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.ledger import keys
from carbonbridge.ledger import service as ledger
from carbonbridge.ledger.cli import register_context_auditors
from carbonbridge.ledger.proof import parse_receipt, verify_receipt
from carbonbridge.registry import issuance as issuing
from carbonbridge.registry import reads, service, store
from carbonbridge.registry.model import (
    BUFFER_POOL_ACCOUNT,
    AccountKind,
    Cancellation,
    Receipt,
    Retirement,
    Transfer,
    Units,
    UnitState,
)
from carbonbridge.registry.units import service as movements
from carbonbridge.registry.writes import REGISTRY_CANCELLATION_ACCOUNT
from tests.registry.conftest import BUYER, DEVELOPER, REGULATOR, VERIFIER, World
from tests.registry.helpers import registered_project


def _ranges(sessions: sessionmaker[Session], account_id: str) -> list[tuple[int, int, int, str]]:
    return [
        (b.vintage, b.start, b.end, b.state.value) for b in reads.holdings(sessions, REGULATOR, account_id)
    ]


def _verifies(receipt: Receipt) -> None:
    entry = parse_receipt(receipt.receipt).extra
    assert (
        verify_receipt(receipt.receipt, keys.verifier_key(), entry=entry).index == receipt.operation.log_index
    )


def test_removal_project_from_draft_to_reversal(world: World) -> None:
    """1000.7 t verified for 2024 → 1000 credits, 20 % (Gold Standard default) = 200 to the buffer;
    500.2 t for 2025 with the methodology's own 15 % share → 500 credits, ceil(75) = 75 buffer."""
    s = world.sessions
    project = registered_project(s)
    receipts: list[Receipt] = []

    first, r = service.submit_report(
        s, DEVELOPER, project.id, date(2024, 1, 1), date(2024, 12, 31), {"net_t": "1000.7"}
    )
    receipts.append(r)
    second, r = service.submit_report(
        s,
        DEVELOPER,
        project.id,
        date(2025, 1, 1),
        date(2025, 12, 31),
        {"net_t": "500.2", "buffer_share": "0.15"},
    )
    receipts.append(r)
    for report in (first, second):
        verified, r = service.verify_report(s, VERIFIER, report.id, "Reasonable assurance.")
        assert verified.opinion == "Reasonable assurance."
        receipts.append(r)
    receipts.append(issuing.issue(s, REGULATOR, first.id))
    receipts.append(issuing.issue(s, REGULATOR, second.id))
    assert [(b.vintage, b.start, b.end, b.account_id, b.state) for b in receipts[-2].produced] == [
        (2024, 1, 800, world.dev[AccountKind.HOLDING].id, UnitState.HELD),
        (2024, 801, 1000, BUFFER_POOL_ACCOUNT, UnitState.BUFFER),
    ]
    assert [(b.start, b.end) for b in receipts[-1].produced] == [(1, 425), (426, 500)]

    dev, buyer = world.dev[AccountKind.HOLDING].id, world.buyer[AccountKind.HOLDING].id
    units = Units(dev, project.id, 2024, quantity=300)
    receipts.append(movements.transfer(s, DEVELOPER, Transfer(units, buyer)))
    retired = movements.retire(
        s,
        BUYER,
        Retirement(
            Units(buyer, project.id, 2024, quantity=120), "Hainan Airlines passengers", "2025 flights"
        ),
    )
    receipts.append(retired)
    cancelled = movements.cancel(
        s, BUYER, Cancellation(Units(buyer, project.id, 2024, start=281, end=300), "sold abroad")
    )
    receipts.append(cancelled)
    reversal = movements.reverse(s, REGULATOR, project.id, 250, "typhoon die-back, stratum 2")
    receipts.append(reversal)

    assert _ranges(s, dev) == [(2024, 301, 800, "held"), (2025, 1, 425, "held")]
    assert _ranges(s, buyer) == [(2024, 121, 280, "held")]
    assert _ranges(s, world.buyer[AccountKind.RETIREMENT].id) == [(2024, 1, 120, "retired")]
    assert _ranges(s, world.buyer[AccountKind.CANCELLATION].id) == [(2024, 281, 300, "cancelled")]
    assert _ranges(s, REGISTRY_CANCELLATION_ACCOUNT) == [
        (2024, 801, 1000, "cancelled"),
        (2025, 426, 475, "cancelled"),
    ]
    assert _ranges(s, BUFFER_POOL_ACCOUNT) == [(2025, 476, 500, "buffer")]
    assert reversal.operation.details["from_project_buffer"] == 250

    tallies = {t.vintage: t for t in reads.conservation(s, project.id)}
    assert tallies[2024].issued == 1000
    assert tallies[2024].by_state == {UnitState.HELD: 660, UnitState.RETIRED: 120, UnitState.CANCELLED: 220}
    assert tallies[2025].issued == 500
    assert tallies[2025].by_state == {UnitState.HELD: 425, UnitState.CANCELLED: 50, UnitState.BUFFER: 25}
    assert all(t.balanced for t in tallies.values())
    assert reads.overlapping_blocks(s) == []

    [record] = reads.retirement_records(s, project.id)
    assert (record.beneficiary, record.purpose, record.quantity) == (
        "Hainan Airlines passengers",
        "2025 flights",
        120,
    )
    assert record.serials == ("CB-CN-HI-MG001-2024-1-120",)
    public = parse_receipt(retired.receipt).extra or b""
    assert b"CB-CN-HI-MG001-2024-1-120" in public
    assert b"Hainan Airlines passengers" in public
    assert b"sold abroad" not in (parse_receipt(cancelled.receipt).extra or b"")  # a commitment only

    for receipt in receipts:
        _verifies(receipt)
    register_context_auditors()
    assert ledger.audit(s).ok

    with s.begin() as session:  # someone edits the buyer's remaining block to the developer's account
        session.execute(
            update(store.BlockRow)
            .where(store.BlockRow.account_id == buyer, store.BlockRow.closed_by.is_(None))
            .values(account_id=dev)
        )
    report = ledger.audit(s)
    assert [f.record for f in report.findings] == [f"entry {cancelled.operation.log_index}"]
    assert "registry.cancellation state differs" in report.findings[0].reason
