"""Export to another registry (request → confirm / reject) and expiry: exact serial ranges and
balances through a worked sequence, conservation over every CAD Trust state, the public log,
the audit, and errors that change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from carbonbridge.ledger import service as ledger
from carbonbridge.ledger.cli import register_context_auditors
from carbonbridge.ledger.proof import parse_receipt
from carbonbridge.platform.identity import PUBLIC
from carbonbridge.registry import issuance as issuing
from carbonbridge.registry import reads, store
from carbonbridge.registry.errors import InsufficientUnits, InvalidTransition
from carbonbridge.registry.model import (
    BUFFER_POOL_ACCOUNT,
    AccountKind,
    ExpiryRequest,
    ExportRequest,
    OperationKind,
    Project,
    Retirement,
    Transfer,
    Units,
    UnitState,
)
from carbonbridge.registry.units import exports
from carbonbridge.registry.units import service as movements
from tests.registry.conftest import ADMIN, BUYER, DEVELOPER, OUTSIDER, REGULATOR, World
from tests.registry.helpers import issued_report, registered_project
from tests.registry.test_service import _snapshot


@pytest.fixture
def issued(world: World) -> Project:
    """MG001, 2024 report of 100 t: serials 1-80 held by the developer, 81-100 in the buffer."""
    project = registered_project(world.sessions)
    issued_report(world.sessions, project, 2024, {"net_t": "100"})
    return project


def _export(world: World, project: Project, units: Units) -> ExportRequest:
    return ExportRequest(units, "Verra", "VCS-12345", "sold to a buyer abroad")


def _ranges(sessions: sessionmaker[Session], account: str) -> list[tuple[int, int, UnitState]]:
    return [(b.start, b.end, b.state) for b in reads.holdings(sessions, REGULATOR, account)]


def test_request_reject_request_confirm_and_expire(world: World, issued: Project) -> None:
    s = world.sessions
    dev = world.dev[AccountKind.HOLDING].id
    dev_cancel = world.dev[AccountKind.CANCELLATION].id

    first = exports.request_export(
        s, DEVELOPER, _export(world, issued, Units(dev, issued.id, 2024, quantity=30))
    )
    assert first.operation.kind is OperationKind.EXPORT_REQUESTED
    assert first.operation.details["serials"] == ["CB-CN-HI-MG001-2024-1-30"]
    assert _ranges(s, dev) == [(1, 30, UnitState.PENDING_EXPORT), (31, 80, UnitState.HELD)]
    # pending units are out of circulation: neither transferable nor retirable
    with pytest.raises(InsufficientUnits):
        movements.transfer(
            s,
            DEVELOPER,
            Transfer(Units(dev, issued.id, 2024, start=1, end=1), world.buyer[AccountKind.HOLDING].id),
        )
    with pytest.raises(InsufficientUnits):
        movements.retire(s, DEVELOPER, Retirement(Units(dev, issued.id, 2024, start=30, end=31), "x", "y"))

    rejected = exports.reject_export(s, REGULATOR, first.operation.id, "no corresponding adjustment")
    assert rejected.operation.details["serials"] == ["CB-CN-HI-MG001-2024-1-30"]
    assert _ranges(s, dev) == [(1, 30, UnitState.HELD), (31, 80, UnitState.HELD)]
    with pytest.raises(InvalidTransition):  # a request is settled once
        exports.confirm_export(s, REGULATOR, first.operation.id, "VCS-TX-1")

    second = exports.request_export(
        s, DEVELOPER, _export(world, issued, Units(dev, issued.id, 2024, start=11, end=40))
    )
    assert second.operation.details["serials"] == ["CB-CN-HI-MG001-2024-11-30", "CB-CN-HI-MG001-2024-31-40"]
    confirmed = exports.confirm_export(s, REGULATOR, second.operation.id, "VCS-TX-77")
    assert confirmed.operation.details["quantity"] == 30
    assert confirmed.operation.details["destination_reference"] == "VCS-TX-77"
    assert _ranges(s, dev) == [(1, 10, UnitState.HELD), (41, 80, UnitState.HELD)]
    assert _ranges(s, dev_cancel) == [(11, 30, UnitState.EXPORTED), (31, 40, UnitState.EXPORTED)]
    public = parse_receipt(confirmed.receipt).extra or b""
    assert b"CB-CN-HI-MG001-2024-11-30" in public  # plain JSON: a foreign registry can check it
    assert b"VCS-TX-77" in public

    expired = exports.expire(
        s, REGULATOR, ExpiryRequest(Units(dev, issued.id, 2024, quantity=5), "tCER validity ended")
    )
    assert expired.operation.details["serials"] == ["CB-CN-HI-MG001-2024-1-5"]
    planned = issuing.issue_planned(s, REGULATOR, issued.id, 2030, 50, "ex-ante estimate")
    exports.expire(
        s, REGULATOR, ExpiryRequest(Units(dev, issued.id, 2030, start=1, end=20), "estimate lapsed")
    )

    assert _ranges(s, dev) == [
        (6, 10, UnitState.HELD),
        (41, 80, UnitState.HELD),
        (21, 50, UnitState.PLANNED),
    ]
    assert [b.state for b in planned.produced] == [UnitState.PLANNED]
    tallies = {t.vintage: t for t in reads.conservation(s, issued.id)}
    assert tallies[2024].by_state == {
        UnitState.HELD: 45,
        UnitState.EXPORTED: 30,
        UnitState.EXPIRED: 5,
        UnitState.BUFFER: 20,
    }
    assert tallies[2030].by_state == {UnitState.PLANNED: 30, UnitState.EXPIRED: 20}
    assert all(t.balanced for t in tallies.values())
    assert reads.overlapping_blocks(s) == []
    assert [x.state for x in reads.find_serial(s, "CB-CN-HI-MG001-2024-1-12")] == [
        UnitState.EXPIRED,
        UnitState.HELD,
        UnitState.EXPORTED,
    ]

    register_context_auditors()
    assert ledger.audit(s).ok
    with s.begin() as session:  # someone turns the exported units back into held ones
        session.execute(
            update(store.BlockRow)
            .where(store.BlockRow.account_id == dev_cancel, store.BlockRow.closed_by.is_(None))
            .where(store.BlockRow.state == UnitState.EXPORTED.value, store.BlockRow.serial_start == 31)
            .values(state=UnitState.HELD.value)
        )
    report = ledger.audit(s)
    assert [f.record for f in report.findings] == [f"entry {confirmed.operation.log_index}"]
    assert "registry.export_confirmed" in report.findings[0].reason


def test_what_cannot_be_exported_or_expired_changes_nothing(world: World, issued: Project) -> None:
    s = world.sessions
    dev = world.dev[AccountKind.HOLDING].id
    issuing.issue_planned(s, REGULATOR, issued.id, 2030, 10, "ex-ante estimate")
    movements.retire(s, DEVELOPER, Retirement(Units(dev, issued.id, 2024, quantity=10), "county", "2024"))
    pending = exports.request_export(
        s, DEVELOPER, _export(world, issued, Units(dev, issued.id, 2024, quantity=5))
    )
    before = _snapshot(s)
    planned = Units(dev, issued.id, 2030, quantity=1)
    with pytest.raises(InsufficientUnits):  # planned units cannot be exported
        exports.request_export(s, DEVELOPER, _export(world, issued, planned))
    with pytest.raises(InvalidInput):  # buffer units live in the pool, not a holding account
        exports.expire(
            s, REGULATOR, ExpiryRequest(Units(BUFFER_POOL_ACCOUNT, issued.id, 2024, quantity=1), "x")
        )
    with pytest.raises(InvalidInput):  # not even an admin exports buffer units
        exports.request_export(
            s, ADMIN, _export(world, issued, Units(BUFFER_POOL_ACCOUNT, issued.id, 2024, quantity=1))
        )
    retired = world.dev[AccountKind.RETIREMENT].id
    with pytest.raises(InvalidInput):  # retired units never expire
        exports.expire(s, REGULATOR, ExpiryRequest(Units(retired, issued.id, 2024, quantity=1), "x"))
    with pytest.raises(InsufficientUnits):  # pending units do not expire either
        exports.expire(s, REGULATOR, ExpiryRequest(Units(dev, issued.id, 2024, start=11, end=11), "x"))
    with pytest.raises(Forbidden):
        exports.request_export(s, OUTSIDER, _export(world, issued, Units(dev, issued.id, 2024, quantity=1)))
    with pytest.raises(Forbidden):
        exports.request_export(s, BUYER, _export(world, issued, Units(dev, issued.id, 2024, quantity=1)))
    with pytest.raises(Forbidden):  # the holder cannot confirm its own export
        exports.confirm_export(s, DEVELOPER, pending.operation.id, "VCS-TX-1")
    with pytest.raises(Forbidden):
        exports.expire(s, DEVELOPER, ExpiryRequest(Units(dev, issued.id, 2024, quantity=1), "x"))
    with pytest.raises(Unauthenticated):
        exports.reject_export(s, PUBLIC, pending.operation.id, "x")
    with pytest.raises(NotFound) as missing:
        exports.confirm_export(s, REGULATOR, "op_missing", "VCS-TX-1")
    assert missing.value.issues[0].location == ("operation_id",)
    with pytest.raises(InvalidInput) as blank:
        exports.reject_export(s, REGULATOR, pending.operation.id, "  ")
    assert blank.value.issues[0].location == ("reason",)
    with pytest.raises(InvalidInput) as bad:
        exports.request_export(
            s, DEVELOPER, ExportRequest(Units(dev, issued.id, 2024, quantity=1), "", "VCS-1", "why")
        )
    assert bad.value.issues[0].location == ("destination_registry",)
    assert _snapshot(s) == before
