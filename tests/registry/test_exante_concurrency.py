"""A verified issuance converting planned units while their holders trade them, committed for real
(threads, on SQLite and PostgreSQL): the issuance locks every account holding planned units of the
vintage before it reads them for good, so the conversion and the transfers serialise and the
oldest 64 serials end up held whoever holds them."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.errors import CarbonbridgeError
from carbonbridge.ledger import service as ledger
from carbonbridge.ledger.cli import register_context_auditors
from carbonbridge.platform.identity import Principal
from carbonbridge.registry import issuance as issuing
from carbonbridge.registry import reads, service, store
from carbonbridge.registry.errors import InsufficientUnits
from carbonbridge.registry.model import BUFFER_POOL_ACCOUNT, AccountKind, Transfer, Units, UnitState
from carbonbridge.registry.units import service as movements
from tests.registry.conftest import BUYER, DEVELOPER, REGULATOR, VERIFIER, World
from tests.registry.helpers import registered_project

TRANSFERS = 40


def _transfer(sessions: sessionmaker[Session], principal: Principal, request: Transfer) -> str:
    try:
        movements.transfer(sessions, principal, request)
    except InsufficientUnits:
        return "refused"
    except CarbonbridgeError as exc:  # pragma: no cover - shown in the failure
        return f"error: {exc}"
    return "moved"


def test_conversion_racing_transfers_of_planned_units(world: World) -> None:
    """100 t planned for 2025 (1-100) split between developer and buyer, 40 transfers of 3 t back
    and forth racing the issuance of an 80 t removal report (64 to holders, 16 buffer)."""
    s = world.sessions
    dev, buyer = world.dev[AccountKind.HOLDING].id, world.buyer[AccountKind.HOLDING].id
    project = registered_project(s)
    issuing.issue_planned(s, REGULATOR, project.id, 2025, 100, "validated design, ex-ante")
    movements.transfer(s, DEVELOPER, Transfer(Units(dev, project.id, 2025, quantity=50), buyer))
    report, _ = service.submit_report(
        s, DEVELOPER, project.id, date(2025, 1, 1), date(2025, 12, 31), {"net_t": "80"}
    )
    service.verify_report(s, VERIFIER, report.id, "ok")
    go = threading.Event()

    def issue() -> str:
        go.wait()
        issuing.issue(s, REGULATOR, report.id)
        return "issued"

    def trade(n: int) -> str:
        go.wait()
        source, to, principal = (dev, buyer, DEVELOPER) if n % 2 else (buyer, dev, BUYER)
        return _transfer(s, principal, Transfer(Units(source, project.id, 2025, quantity=3), to))

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(trade, n) for n in range(TRANSFERS // 2)]
        futures.append(pool.submit(issue))
        futures += [pool.submit(trade, n) for n in range(TRANSFERS // 2, TRANSFERS)]
        go.set()
        outcomes = Counter(f.result() for f in futures)

    assert outcomes == Counter({"issued": 1, "moved": TRANSFERS})
    with s.begin() as session:
        found = store.open_blocks(session, project_id=project.id, vintage=2025)
    by_serial = {n: (b.state, b.account_id) for b in found for n in range(b.start, b.end + 1)}
    assert sorted(by_serial) == list(range(1, 117))
    assert {by_serial[n][0] for n in range(1, 65)} == {UnitState.HELD}
    assert {by_serial[n][0] for n in range(65, 101)} == {UnitState.PLANNED}
    assert {by_serial[n] for n in range(101, 117)} == {(UnitState.BUFFER, BUFFER_POOL_ACCOUNT)}
    assert {by_serial[n][1] for n in range(1, 101)} <= {dev, buyer}
    [tally] = reads.conservation(s, project.id)
    assert (tally.issued, tally.balanced) == (116, True)
    assert reads.overlapping_blocks(s) == []
    register_context_auditors()
    assert ledger.audit(s).ok
