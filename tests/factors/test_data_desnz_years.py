"""DESNZ annual sets 2023, 2024 and 2025 (``desnz-ghg-conversion-factors``): each applies to its own
reporting year; worked examples through the engine; the year policy and its trace.

Values: UK DESNZ, Greenhouse gas reporting: conversion factors 2023 / 2024 (v1.1) / 2025, flat
file, as listed in ``docs/factor-sources.md`` (every row ``verify``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from carbonbridge.accounting.engine import calculate
from carbonbridge.accounting.model import ActivityCategory, ActivityRecord, Basis
from carbonbridge.factors import reasons
from carbonbridge.factors.datasets import builtin_datasets
from carbonbridge.factors.model import GwpSet, YearPolicy
from carbonbridge.factors.resolution import FactorLibrary
from carbonbridge.kernel.errors import FactorNotFound

STRICT = FactorLibrary(builtin_datasets())
NEAREST = FactorLibrary(builtin_datasets(), year_policy=YearPolicy.NEAREST_EARLIER)
DESNZ = "desnz-ghg-conversion-factors"
SETS = {2023: f"{DESNZ}@2023", 2024: f"{DESNZ}@2024-v1.1", 2025: f"{DESNZ}@2025-v1.0"}


def _record(activity: str, quantity: str, unit: str, year: int) -> ActivityRecord:
    category = {
        "travel": ActivityCategory.BUSINESS_TRAVEL,
        "hotel": ActivityCategory.BUSINESS_TRAVEL,
        "waste": ActivityCategory.WASTE,
    }[activity.split(".", 1)[0]]
    return ActivityRecord(
        id=f"{activity}:{year}",
        organisation_id="org",
        facility_id="fac",
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        category=category,
        activity=activity,
        quantity=Decimal(quantity),
        unit=unit,
        region="CN-HI",
    )


def test_each_set_ships_the_rows_of_the_2025_set() -> None:
    keys = {
        year: {(f.row_id, f.activity, f.unit, f.region, f.variant) for f in STRICT.search(dataset=ref)}
        for year, ref in SETS.items()
    }
    assert len(keys[2025]) == 104
    assert keys[2023] == keys[2024] == keys[2025]
    for year, ref in SETS.items():
        assert {(f.year, f.applies) for f in STRICT.search(dataset=ref)} == {(year, (year, year))}


@pytest.mark.parametrize(
    ("year", "kg"),
    [
        # 1,000 pkm x 0.5802869302013423 (2023, stored unrounded) = 580.2869302... -> 1 mg
        (2023, "580.286930"),
        # 1,000 pkm x 0.58028 (2024 v1.1, Business travel- air, long-haul business, with RF)
        (2024, "580.28"),
        # 1,000 pkm x 0.3394 (2025)
        (2025, "339.4"),
    ],
)
def test_long_haul_business_flight_uses_the_set_of_its_year(year: int, kg: str) -> None:
    """DESNZ Business travel- air, Long-haul to/from UK, Business class, With RF (8% uplift)."""
    flight = _record("travel.flight.long_haul.business", "1000", "passenger_km", year)
    e = calculate(flight, STRICT, GwpSet.AR5)
    assert e.co2e_kg(Basis.DEFAULT) == Decimal(kg)
    [use] = e.traces[Basis.DEFAULT].factors
    assert use.resolution.factor.dataset.ref == SETS[year]
    assert use.resolution.rule.startswith("region=global;year=applies")


def test_2024_commercial_waste_to_landfill_worked_example() -> None:
    """12.5 t C&I waste to landfill x 520.3342 kg CO2e/t (DESNZ 2024 Waste disposal, flat-file ID
    20_507_5313_15_1) = 6,504.1775 kg CO2e; the 2025 set (520.5327) is not used for 2024."""
    e = calculate(_record("waste.commercial_industrial.landfill", "12.5", "t", 2024), STRICT, GwpSet.AR6)
    assert e.co2e_kg(Basis.DEFAULT) == Decimal("6504.1775")


def test_2023_national_rail_worked_example() -> None:
    """2,000 pkm x 0.03546296375838926 (DESNZ 2023 Business travel- land, National rail, as the
    workbook stores it) = 70.92592751677852 -> 70.925928 kg CO2e."""
    record = _record("travel.rail.national", "2000", "passenger_km", 2023)
    record = ActivityRecord(**{**record.__dict__, "region": "GB"})
    e = calculate(record, STRICT, GwpSet.AR5)
    assert e.co2e_kg(Basis.DEFAULT) == Decimal("70.925928")


def test_hotel_night_in_china_2024() -> None:
    """10 room-nights x 53.5 kg CO2e (DESNZ 2024 Hotel stay, China; unchanged since 2023) = 535."""
    e = calculate(_record("hotel.CN", "10", "room_night", 2024), STRICT, GwpSet.AR5)
    assert e.co2e_kg(Basis.DEFAULT) == Decimal("535.0")


def test_a_year_before_every_set_is_refused_with_the_later_year_reason() -> None:
    with pytest.raises(FactorNotFound) as caught:
        calculate(_record("hotel.CN", "1", "room_night", 2022), NEAREST, GwpSet.AR5)
    assert caught.value.detail.endswith(
        "candidates rejected: published for a later year (2023 > 2022) "
        f"({SETS[2023]}#hotel-CN) | published for a later year (2024 > 2022) ({SETS[2024]}#hotel-CN)"
        f" | published for a later year (2025 > 2022) ({SETS[2025]}#hotel-CN)"
    )


def test_strict_policy_refuses_a_year_no_set_applies_to() -> None:
    with pytest.raises(FactorNotFound) as caught:
        calculate(_record("hotel.CN", "1", "room_night", 2026), STRICT, GwpSet.AR5)
    assert (
        "prescribed for reporting years 2025, not 2026; the region's year policy is strict "
        f"(nearest-earlier would use it) ({SETS[2025]}#hotel-CN)"
    ) in caught.value.detail


def test_nearest_earlier_policy_uses_the_2025_set_for_2026_and_the_trace_says_so() -> None:
    """10 room-nights in 2026 x 53.5 (the 2025 set standing in) = 535 kg CO2e, noted."""
    e = calculate(_record("hotel.CN", "10", "room_night", 2026), NEAREST, GwpSet.AR5)
    assert e.co2e_kg(Basis.DEFAULT) == Decimal("535.0")
    trace = e.traces[Basis.DEFAULT]
    assert trace.factors[0].resolution.factor.dataset.ref == SETS[2025]
    assert trace.factors[0].resolution.rule.startswith("region=global;year=nearest-earlier")
    assert (
        reasons.STAND_IN % {"year": 2026, "factor": f"{SETS[2025]}#hotel-CN", "applies": "2025"}
        in trace.notes
    )
