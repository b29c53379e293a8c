"""ETS use cases on both databases: allocation, surrender against verified emissions, offsets
retired for compliance under the cap, status; failed operations change nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.errors import Conflict, Forbidden, InvalidInput
from carbonbridge.ledger import service as ledger
from carbonbridge.ledger.cli import register_context_auditors
from carbonbridge.ledger.store import LogEntryRow
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.registry import reads, service, store
from carbonbridge.registry.compliance import service as compliance
from carbonbridge.registry.compliance.allowances import ComplianceState
from carbonbridge.registry.errors import InsufficientUnits
from carbonbridge.registry.model import AccountKind, Transfer, Units, UnitState
from carbonbridge.registry.units import service as movements
from tests.registry.compliance_world import PLANT, PLANT_REPORTER, covered_entity
from tests.registry.conftest import DEVELOPER, REGULATOR, World
from tests.registry.helpers import issued_report, registered_project

OBLIGATION = 787  # ceil(786,518.8809 kg / 1000), the plant's verified 2024 MEE total


def _log_size(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(LogEntryRow)) or 0)


def _credits_for_plant(world: World, tonnes: int) -> tuple[str, str]:
    """A reduction project's 2024 credits, ``tonnes`` of them transferred to the plant."""
    project = registered_project(world.sessions, "EV001", "TEST-REDUCTION@2.0")
    issued_report(world.sessions, project, 2024, {"net_t": "500"})
    plant = service.accounts(world.sessions, REGULATOR, PLANT)[AccountKind.HOLDING]
    movements.transfer(
        world.sessions,
        DEVELOPER,
        Transfer(Units(world.dev[AccountKind.HOLDING].id, project.id, 2024, quantity=tonnes), plant.id),
    )
    return project.id, plant.id


@pytest.fixture
def plant(world: World) -> World:
    assert covered_entity(world.sessions) == Decimal("786518.880900")
    return world


def test_worked_example_allocation_surrender_offsets_status(plant: World) -> None:
    """787 t verified; 700 allowances allocated and surrendered with 39 t of offsets (5 % cap:
    floor(787 × 0.05) = 39) leaves 48 t short; 48 more allowances make the plant compliant."""
    sessions = plant.sessions
    project_id, holding = _credits_for_plant(plant, 60)
    compliance.allocate(sessions, REGULATOR, PLANT, 2024, 700, "2024 free allocation, benchmark method")
    assert compliance.status(sessions, REGULATOR, PLANT, 2024).held_t == 700

    done = compliance.surrender(
        sessions, PLANT_REPORTER, PLANT, 2024, 700, [Units(holding, project_id, 2024, quantity=39)]
    )
    status = compliance.status(sessions, PLANT_REPORTER, PLANT, 2024)
    assert (status.state, status.obligation_t, status.shortfall_t, status.offset_cap_t) == (
        ComplianceState.SHORTFALL,
        OBLIGATION,
        48,
        39,
    )
    assert (status.surrendered_allowances_t, status.surrendered_offsets_t, status.held_t) == (700, 39, 0)
    assert len(done.offset_receipts) == 1
    retired = [b for b in reads.balances(sessions, REGULATOR, holding) if b.project_id == project_id]
    assert [(b.state, b.tonnes) for b in retired] == [(UnitState.HELD, 21)]
    record = reads.retirement_records(sessions, project_id)[0]
    assert (record.beneficiary, record.purpose, record.quantity) == (PLANT, "ETS compliance 2024", 39)

    compliance.allocate(sessions, REGULATOR, PLANT, 2024, 48, "2024 adjustment")
    compliance.surrender(sessions, PLANT_REPORTER, PLANT, 2024, 48)
    final = compliance.status(sessions, REGULATOR, PLANT, 2024)
    assert (final.state, final.shortfall_t, final.surrendered_t) == (ComplianceState.COMPLIANT, 0, OBLIGATION)
    assert all(t.balanced for t in reads.conservation(sessions, project_id))
    register_context_auditors()
    for kind, auditor in compliance.LEDGER_AUDITORS.items():
        ledger.register_auditor(kind, auditor)
    assert ledger.audit(sessions).ok


def test_not_verified_inventory_gives_status_and_refuses_surrender(world: World) -> None:
    covered_entity(world.sessions, verify=False)
    compliance.allocate(world.sessions, REGULATOR, PLANT, 2024, 10, "allocation")
    status = compliance.status(world.sessions, REGULATOR, PLANT, 2024)
    assert (status.state, status.obligation_t, status.held_t) == (ComplianceState.NOT_VERIFIED, None, 10)
    with pytest.raises(Conflict, match="not finalised and verified"):
        compliance.surrender(world.sessions, PLANT_REPORTER, PLANT, 2024, 5)


def _snapshot(world: World, holding: str) -> tuple[object, ...]:
    status = compliance.status(world.sessions, REGULATOR, PLANT, 2024)
    return (
        status,
        tuple(reads.balances(world.sessions, REGULATOR, holding)),
        _log_size(world.sessions),
    )


def test_failed_surrenders_change_nothing(plant: World) -> None:
    project_id, holding = _credits_for_plant(plant, 60)
    compliance.allocate(plant.sessions, REGULATOR, PLANT, 2024, 100, "allocation")
    before = _snapshot(plant, holding)
    with pytest.raises(InsufficientUnits):
        compliance.surrender(plant.sessions, PLANT_REPORTER, PLANT, 2024, 101)
    with pytest.raises(InvalidInput, match="cap of 39 t"):
        compliance.surrender(
            plant.sessions, PLANT_REPORTER, PLANT, 2024, 10, [Units(holding, project_id, 2024, quantity=40)]
        )
    with pytest.raises(InsufficientUnits):  # more credits than held: allowances not taken either
        compliance.surrender(
            plant.sessions,
            PLANT_REPORTER,
            PLANT,
            2024,
            10,
            [Units(holding, project_id, 2024, quantity=30), Units(holding, project_id, 2024, quantity=31)],
            offset_share=Decimal("0.5"),
        )
    with pytest.raises(InvalidInput, match="not eligible"):
        compliance.surrender(
            plant.sessions,
            PLANT_REPORTER,
            PLANT,
            2024,
            1,
            [Units(holding, project_id, 2024, quantity=1)],
            eligible_standards={"GS"},
        )
    with pytest.raises(Forbidden):
        compliance.surrender(plant.sessions, DEVELOPER, PLANT, 2024, 1)
    assert _snapshot(plant, holding) == before


def test_offset_share_is_configurable_by_environment(plant: World, monkeypatch: pytest.MonkeyPatch) -> None:
    project_id, holding = _credits_for_plant(plant, 100)
    monkeypatch.setenv(compliance.OFFSET_SHARE_ENV, "0.10")
    compliance.surrender(
        plant.sessions, PLANT_REPORTER, PLANT, 2024, 0, [Units(holding, project_id, 2024, quantity=78)]
    )
    status = compliance.status(plant.sessions, REGULATOR, PLANT, 2024)
    assert (status.offset_cap_t, status.surrendered_offsets_t, status.shortfall_t) == (
        78,
        78,
        OBLIGATION - 78,
    )


def test_overview_lists_each_entity_and_period(plant: World) -> None:
    compliance.allocate(plant.sessions, REGULATOR, PLANT, 2024, 5, "allocation")
    compliance.allocate(plant.sessions, REGULATOR, PLANT, 2025, 7, "allocation")
    rows = compliance.overview(plant.sessions, REGULATOR)
    assert [(s.period, s.state, s.held_t) for s in rows] == [
        (2024, ComplianceState.SHORTFALL, 5),
        (2025, ComplianceState.NOT_VERIFIED, 7),
    ]


def test_concurrent_surrenders_never_take_more_than_held(plant: World) -> None:
    """20 threads each surrender 50 allowances of the 700 held: exactly 14 succeed (700 t), the
    others are refused, on both databases (the entity's holding-account row serialises them)."""
    from concurrent.futures import ThreadPoolExecutor

    compliance.allocate(plant.sessions, REGULATOR, PLANT, 2024, 700, "allocation")

    def attempt(_: int) -> bool:
        try:
            compliance.surrender(plant.sessions, PLANT_REPORTER, PLANT, 2024, 50)
        except InsufficientUnits:
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(20)))
    status = compliance.status(plant.sessions, REGULATOR, PLANT, 2024)
    assert (results.count(True), status.surrendered_allowances_t, status.held_t) == (14, 700, 0)


_ENTITIES = iter(range(10**6))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("allocate"), st.integers(1, 600), st.just(0)),
            st.tuples(st.just("surrender"), st.integers(0, 500), st.integers(0, 30)),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_service_never_surrenders_beyond_holdings_or_cap(
    world: World, steps: list[tuple[str, int, int]]
) -> None:
    """Random allocations and surrenders (allowances and offsets) through the service for a fresh
    entity (787 t verified, cap 39 t): the stored surrenders never exceed what was allocated, the
    offsets never exceed the cap, and a refused step changes nothing."""
    ident = f"entity-{next(_ENTITIES)}"
    covered_entity(world.sessions, ident=ident)
    reporter = Principal(f"u-{ident}", "Entity", Role.REPORTER, ident)
    project = _project(world)
    holding = service.accounts(world.sessions, REGULATOR, ident)[AccountKind.HOLDING].id
    movements.transfer(
        world.sessions,
        DEVELOPER,
        Transfer(Units(world.dev[AccountKind.HOLDING].id, project, 2024, quantity=60), holding),
    )
    allocated = 0
    for kind, a, o in steps:
        if kind == "allocate":
            compliance.allocate(world.sessions, REGULATOR, ident, 2024, a, "allocation")
            allocated += a
            continue
        before = compliance.status(world.sessions, REGULATOR, ident, 2024)
        offsets = [Units(holding, project, 2024, quantity=o)] if o else []
        try:
            compliance.surrender(world.sessions, reporter, ident, 2024, a, offsets)
        except (InvalidInput, InsufficientUnits):
            assert compliance.status(world.sessions, REGULATOR, ident, 2024) == before
        status = compliance.status(world.sessions, REGULATOR, ident, 2024)
        assert status.surrendered_allowances_t <= allocated
        assert status.held_t == allocated - status.surrendered_allowances_t
        assert status.surrendered_offsets_t <= 39
        assert status.surrendered_t <= OBLIGATION


def _project(world: World) -> str:
    with world.sessions() as session:
        found = store.project_by_code(session, "EV001")
    if found is not None:
        return found.id
    project = registered_project(world.sessions, "EV001", "TEST-REDUCTION@2.0")
    issued_report(world.sessions, project, 2024, {"net_t": "5000"})
    return project.id
