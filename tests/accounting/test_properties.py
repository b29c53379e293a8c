"""Invariants of the engine, the views and the reconciliation (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carbonbridge.accounting.engine import calculate, calculate_all
from carbonbridge.accounting.frameworks import cn_mee, ghg_protocol, iso14064
from carbonbridge.accounting.model import ActivityRecord, Basis
from carbonbridge.accounting.reconciliation import reconcile
from carbonbridge.factors.model import GwpSet
from tests.accounting.conftest import FACILITY, ORG, real_library, record

LIBRARY = real_library()
SECTORS = {FACILITY.id: "commercial_institutional"}
PROFILE = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: (activity, unit, instrument) covering every path
KINDS: list[tuple[str, str, str | None]] = [
    ("fuel.natural_gas", "Nm3", None),
    ("fuel.diesel", "t", None),
    ("fuel.lpg", "t", None),
    ("mobile.diesel", "t", None),
    ("electricity.grid", "MWh", None),
    ("electricity.grid", "kWh", "GEC"),
    ("heat.purchased", "GJ", None),
    ("refrigerant.R-410A", "kg", None),
    ("refrigerant.HFC-134a", "kg", None),
    ("process.clinker", "t", None),
    ("travel.flight.long_haul.economy", "passenger_km", None),
    ("travel.rail.national", "passenger_km", None),
    ("hotel.GB", "room_night", None),
]

quantities = st.decimals(min_value=0, max_value=10**7, places=3, allow_nan=False, allow_infinity=False)
gwps = st.sampled_from(list(GwpSet))


@st.composite
def records(draw: st.DrawFn) -> list[ActivityRecord]:
    picks = draw(st.lists(st.tuples(st.sampled_from(KINDS), quantities), min_size=1, max_size=8))
    return [
        record(act, q, unit, instrument=inst, rid=f"r{i}") for i, ((act, unit, inst), q) in enumerate(picks)
    ]


@PROFILE
@given(kind=st.sampled_from(KINDS), q=quantities, k=st.integers(min_value=2, max_value=1000), gwp=gwps)
def test_emissions_are_linear_in_quantity(
    kind: tuple[str, str, str | None], q: Decimal, k: int, gwp: GwpSet
) -> None:
    """E(k·q) = k·E(q) up to the 1 mg rounding of each figure (≤ (k + 1) × 0.5 mg per gas)."""
    act, unit, inst = kind
    one = calculate(record(act, q, unit, instrument=inst), LIBRARY, gwp, sector=SECTORS[FACILITY.id])
    many = calculate(record(act, q * k, unit, instrument=inst), LIBRARY, gwp, sector=SECTORS[FACILITY.id])
    for basis in one.method_results:
        gases = len(one.gases(basis))
        tolerance = Decimal("0.0000005") * (k + 1) * gases
        assert abs(many.co2e_kg(basis) - k * one.co2e_kg(basis)) <= tolerance


@PROFILE
@given(kind=st.sampled_from(KINDS), gwp=gwps)
def test_zero_quantity_gives_zero_on_every_basis(kind: tuple[str, str, str | None], gwp: GwpSet) -> None:
    act, unit, inst = kind
    e = calculate(record(act, "0", unit, instrument=inst), LIBRARY, gwp, sector=SECTORS[FACILITY.id])
    assert all(e.co2e_kg(b) == 0 for b in e.method_results)
    assert all(p.kg == 0 for p in e.co_pollutants)


@PROFILE
@given(rows=records(), gwp=gwps)
def test_ghgp_total_equals_iso_total(rows: list[ActivityRecord], gwp: GwpSet) -> None:
    emissions = calculate_all(rows, LIBRARY, gwp, sectors=SECTORS)
    assert ghg_protocol(ORG, emissions).total_co2e_kg == iso14064(ORG, emissions).total_co2e_kg


@PROFILE
@given(rows=records(), gwp=gwps, market=st.booleans(), reverse=st.booleans())
def test_reconciliation_sums_exactly(
    rows: list[ActivityRecord], gwp: GwpSet, market: bool, reverse: bool
) -> None:
    """total_a + Σ lines == total_b, in the default decimal context, either direction."""
    emissions = calculate_all(rows, LIBRARY, gwp, sectors=SECTORS)
    basis = Basis.MARKET if market else Basis.LOCATION
    a, b = ghg_protocol(ORG, emissions, scope2_basis=basis), cn_mee(ORG, emissions)
    if reverse:
        a, b = b, a
    rec = reconcile(a, b, emissions)
    assert rec.total_a == a.total_co2e_kg
    assert rec.total_b == b.total_co2e_kg
    assert rec.total_a + sum(line.co2e_kg for line in rec.lines) == rec.total_b


@PROFILE
@given(rows=records(), gwp=gwps)
def test_view_totals_equal_their_lines(rows: list[ActivityRecord], gwp: GwpSet) -> None:
    emissions = calculate_all(rows, LIBRARY, gwp, sectors=SECTORS)
    view = ghg_protocol(ORG, emissions)
    counted = [line for line in view.lines if line.key != "scope2.market"]
    assert sum(line.co2e_kg for line in counted) == view.total_co2e_kg
