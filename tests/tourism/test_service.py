"""Bills stored and compensated through the service, on both databases."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.errors import InvalidInput, NotFound
from carbonbridge.platform.identity import PUBLIC
from carbonbridge.tourism import service
from carbonbridge.tourism.compensation import amount_fen
from carbonbridge.tourism.errors import AlreadyCompensated, PoolInsufficient, UnknownAirport
from carbonbridge.tourism.model import BillStatus
from tests.tourism.conftest import HAINAN_TRIP, POOL_OPERATOR, PRICE_FEN_PER_TONNE, PoolWorld

TABLES = ("ledger_entries", "tourism_bills", "tourism_allocations", "tourism_pool_retirements")


def _counts(sessions: sessionmaker[Session]) -> dict[str, object]:
    with sessions() as session:
        counts: dict[str, object] = {t: session.scalar(text(f"SELECT count(*) FROM {t}")) for t in TABLES}
        counts["allocated"] = session.scalar(
            text("SELECT coalesce(sum(allocated_grams), 0) FROM tourism_pool_retirements")
        )
        counts["compensated"] = session.scalar(
            text("SELECT count(*) FROM tourism_bills WHERE status = 'compensated'")
        )
    return counts


def _trip(grams_hint: int = 0, **changes: object) -> dict[str, object]:
    trip = copy.deepcopy(HAINAN_TRIP)
    trip.update(changes)
    return trip


def test_bill_is_stored_with_its_lines_and_logged(sessions: sessionmaker[Session]) -> None:
    stored = service.create_bill(sessions, PUBLIC, _trip())
    again = service.get_bill(sessions, stored.id)
    assert again.grams == stored.grams == sum(int(str(line["grams"])) for line in again.lines)
    assert again.status is BillStatus.OPEN
    assert again.log_index >= 0


def test_bulk_bookings_all_or_nothing(sessions: sessionmaker[Session]) -> None:
    bad = _trip(items=[{"type": "flight", "origin": "PEK", "destination": "QQQ"}])
    before = _counts(sessions)
    with pytest.raises(UnknownAirport) as caught:
        service.create_bills(sessions, POOL_OPERATOR, [_trip(), bad])
    assert caught.value.issues[0].location == ("bookings", 1, "items", 0, "destination")
    assert _counts(sessions) == before
    assert len(service.create_bills(sessions, POOL_OPERATOR, [_trip(), _trip(reference="BK-2")])) == 2


def test_compensation_allocates_grams_of_a_retirement(pool_world: PoolWorld) -> None:
    w = pool_world
    retired = service.retire_into_pool(w.sessions, POOL_OPERATOR, w.pool.id, w.project_id, w.vintage, 2)
    assert retired.tonnes == 2
    bill = service.create_bill(w.sessions, PUBLIC, _trip())
    done = service.compensate(w.sessions, POOL_OPERATOR, bill.id, w.pool.id, "WX-PAY-0001")
    assert sum(a.grams for a in done.allocations) == bill.grams
    assert done.amount_fen == amount_fen(bill.grams, PRICE_FEN_PER_TONNE)
    assert done.bill.status is BillStatus.COMPENSATED
    assert done.allocations[0].receipt.startswith("c2sp.org/tlog-proof@v1")
    assert service.pool_balance(w.sessions, w.pool.id) == (bill.grams, 2_000_000)


def test_remainder_waits_for_the_next_bill_and_spans_retirements(pool_world: PoolWorld) -> None:
    w = pool_world
    service.retire_into_pool(w.sessions, POOL_OPERATOR, w.pool.id, w.project_id, w.vintage, 1)
    service.retire_into_pool(w.sessions, POOL_OPERATOR, w.pool.id, w.project_id, w.vintage, 1)
    bills = [service.create_bill(w.sessions, PUBLIC, _trip(reference=f"B{n}")) for n in range(3)]
    assert 2 * bills[0].grams < 1_000_000 < 3 * bills[0].grams  # ~413 kg each
    done = [
        service.compensate(w.sessions, POOL_OPERATOR, b.id, w.pool.id, f"P{n}") for n, b in enumerate(bills)
    ]
    assert [len(d.allocations) for d in done] == [1, 1, 2]
    first_tonne = done[0].allocations[0].retirement_id
    assert done[2].allocations[0].retirement_id == first_tonne
    assert done[2].allocations[0].grams == 1_000_000 - 2 * bills[0].grams


def test_already_compensated_bill_changes_nothing(pool_world: PoolWorld) -> None:
    w = pool_world
    service.retire_into_pool(w.sessions, POOL_OPERATOR, w.pool.id, w.project_id, w.vintage, 2)
    bill = service.create_bill(w.sessions, PUBLIC, _trip())
    service.compensate(w.sessions, POOL_OPERATOR, bill.id, w.pool.id, "P1")
    before = _counts(w.sessions)
    with pytest.raises(AlreadyCompensated) as caught:
        service.compensate(w.sessions, POOL_OPERATOR, bill.id, w.pool.id, "P1-again")
    assert caught.value.issues[0].value == bill.id
    assert _counts(w.sessions) == before


def test_pool_too_small_changes_nothing(pool_world: PoolWorld) -> None:
    w = pool_world
    bill = service.create_bill(w.sessions, PUBLIC, _trip())
    before = _counts(w.sessions)
    with pytest.raises(PoolInsufficient, match=f"needs {bill.grams} g"):
        service.compensate(w.sessions, POOL_OPERATOR, bill.id, w.pool.id, "P1")
    assert _counts(w.sessions) == before
    assert service.get_bill(w.sessions, bill.id).status is BillStatus.OPEN


def test_unknown_bill_and_blank_payment_are_refused(pool_world: PoolWorld) -> None:
    w = pool_world
    with pytest.raises(NotFound):
        service.compensate(w.sessions, POOL_OPERATOR, "bill_nope", w.pool.id, "P1")
    with pytest.raises(InvalidInput) as caught:
        service.compensate(w.sessions, POOL_OPERATOR, "bill_nope", w.pool.id, " ")
    assert caught.value.issues[0].location == ("payment_reference",)


def test_retirement_is_recorded_once_per_registry_operation(pool_world: PoolWorld) -> None:
    w = pool_world
    r = service.retire_into_pool(w.sessions, POOL_OPERATOR, w.pool.id, w.project_id, w.vintage, 1)
    again = service.record_retirement(
        w.sessions, w.pool, r.operation_id, r.project_id, r.vintage, 1, r.serials
    )
    assert again.id == r.id
    assert len(service.pool_retirements(w.sessions, w.pool.id)) == 1


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["hotel", "meals", "flight"]), min_size=1, max_size=6))
def test_conservation_allocations_never_exceed_retirements(pool_world: PoolWorld, kinds: list[str]) -> None:
    """Whatever bills arrive, the pool's allocated grams equal the compensated bills' grams and
    never exceed its retired grams; bills the pool cannot cover stay open."""
    w = pool_world
    items = {
        "hotel": {"type": "hotel", "country": "CN", "nights": 4, "rooms": 3},
        "meals": {"type": "meals", "count": 40},
        "flight": {"type": "flight", "origin": "PEK", "destination": "SYX"},
    }
    if not service.pool_retirements(w.sessions, w.pool.id):
        service.retire_into_pool(w.sessions, POOL_OPERATOR, w.pool.id, w.project_id, w.vintage, 1)
    for n, kind in enumerate(kinds):
        bill = service.create_bill(w.sessions, PUBLIC, _trip(items=[items[kind]], reference=f"H-{n}"))
        try:
            service.compensate(w.sessions, POOL_OPERATOR, bill.id, w.pool.id, f"P-{n}")
        except PoolInsufficient:
            assert service.get_bill(w.sessions, bill.id).status is BillStatus.OPEN
    allocated, retired = service.pool_balance(w.sessions, w.pool.id)
    with w.sessions() as session:
        compensated = session.scalar(
            text("SELECT coalesce(sum(grams), 0) FROM tourism_bills WHERE status = 'compensated'")
        )
    assert allocated == compensated
    assert allocated <= retired


def test_ledger_audit_recomputes_bills_and_compensations(pool_world: PoolWorld) -> None:
    """The log's audit recomputes each tourism entry from the database: untouched, nothing is
    found; a bill's grams changed after it was logged is a finding."""
    from carbonbridge.ledger import service as ledger

    w = pool_world
    for kind, auditor in service.LEDGER_AUDITORS.items():
        ledger.register_auditor(kind, auditor)
    service.retire_into_pool(w.sessions, POOL_OPERATOR, w.pool.id, w.project_id, w.vintage, 1)
    bill = service.create_bill(w.sessions, PUBLIC, _trip())
    service.compensate(w.sessions, POOL_OPERATOR, bill.id, w.pool.id, "P-1")
    assert ledger.audit(w.sessions).ok
    with w.sessions.begin() as session:
        session.execute(text("UPDATE tourism_bills SET grams = grams - 1 WHERE id = :id"), {"id": bill.id})
    findings = ledger.audit(w.sessions).findings
    assert any("tourism.bill state differs" in f.reason for f in findings)
    assert any("tourism.compensation state differs" in f.reason for f in findings)
