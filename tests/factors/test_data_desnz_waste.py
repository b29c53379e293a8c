"""DESNZ 2025 "Waste disposal" rows (``desnz-ghg-conversion-factors@2025-v1.0``): keys, values as
printed in the 2025 flat file, worked examples through the engine, and the year rule."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from carbonbridge.accounting.engine import calculate
from carbonbridge.accounting.model import ActivityCategory, ActivityRecord, Basis
from carbonbridge.factors.datasets import builtin_datasets
from carbonbridge.factors.model import FactorQuery, GwpSet, Parameter
from carbonbridge.factors.resolution import FactorLibrary
from carbonbridge.kernel.errors import FactorNotFound, InvalidInput

LIBRARY = FactorLibrary(builtin_datasets())
DESNZ = "desnz-ghg-conversion-factors"
DESNZ_2025 = "desnz-ghg-conversion-factors@2025-v1.0"
TREATMENTS = {
    "landfill",
    "combustion",
    "composting",
    "anaerobic_digestion",
    "recycling_open_loop",
    "recycling_closed_loop",
}


def _waste_rows() -> list[tuple[str, Decimal]]:
    return [(f.activity, f.value) for f in LIBRARY.search(activity_prefix="waste.", dataset=DESNZ_2025)]


def _record(activity: str, tonnes: str, year: int = 2025) -> ActivityRecord:
    return ActivityRecord(
        id=f"{activity}:{tonnes}t",
        organisation_id="org",
        facility_id="fac",
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        category=ActivityCategory.WASTE,
        activity=activity,
        quantity=Decimal(tonnes),
        unit="t",
        region="CN-HI",
    )


def test_waste_rows_use_the_engine_keys_and_units() -> None:
    """Every row is ``waste.<stream>.<treatment>`` in kg CO2e per tonne, a DESNZ route name."""
    rows = LIBRARY.search(activity_prefix="waste.", dataset=DESNZ_2025)
    assert len(rows) == 56
    for factor in rows:
        _, stream, treatment = factor.activity.split(".")
        assert re.fullmatch(r"[a-z][a-z_]*", stream), factor.row_id
        assert treatment in TREATMENTS, factor.row_id
        assert (factor.gas, factor.unit, factor.year, factor.table) == (
            "CO2e",
            "kg/t",
            2025,
            "Waste disposal",
        )
        assert "flat-file ID 20_5" in factor.note


@pytest.mark.parametrize(
    ("activity", "printed"),
    [
        ("waste.commercial_industrial.landfill", "520.5327"),
        ("waste.household_residual.landfill", "497.24244"),
        ("waste.food_drink.landfill", "700.30886"),
        ("waste.food_drink.anaerobic_digestion", "8.98311"),
        ("waste.food_drink.composting", "8.98311"),
        ("waste.paper_board_mixed.landfill", "1164.4894"),
        ("waste.wood.landfill", "925.34348"),
        ("waste.clothing.landfill", "496.78228"),
        ("waste.plastics_average.landfill", "8.98311"),
        ("waste.glass.recycling_closed_loop", "4.68568"),
        ("waste.commercial_industrial.combustion", "4.68568"),
    ],
)
def test_values_as_printed_in_the_2025_flat_file(activity: str, printed: str) -> None:
    assert dict(_waste_rows())[activity] == Decimal(printed)
    assert str(dict(_waste_rows())[activity]) == printed


def test_commercial_waste_to_landfill_worked_example() -> None:
    """12.5 t commercial and industrial waste to landfill x 520.5327 kg CO2e/t = 6,506.65875 kg
    CO2e (DESNZ 2025, Waste disposal, Refuse); the publisher's CO2e is not re-weighted by GWP set."""
    for gwp in (GwpSet.AR4, GwpSet.AR5, GwpSet.AR6):
        e = calculate(
            _record("waste.commercial_industrial.landfill", "12.5"), LIBRARY, gwp, datasets=(DESNZ,)
        )
        assert e.co2e_kg(Basis.DEFAULT) == Decimal("6506.65875")


def test_food_waste_in_kg_converts_to_tonnes() -> None:
    """2,000 kg food waste to anaerobic digestion = 2 t x 8.98311 = 17.96622 kg CO2e."""
    record = _record("waste.food_drink.anaerobic_digestion", "2000")
    record = ActivityRecord(**{**record.__dict__, "unit": "kg"})
    e = calculate(record, LIBRARY, GwpSet.AR5, datasets=(DESNZ,))
    assert e.co2e_kg(Basis.DEFAULT) == Decimal("17.96622")


def test_waste_before_2023_has_no_factor() -> None:
    """No DESNZ set before 2023 ships and a later set is never used: a 2022 waste record is an
    error naming what is missing and why (published for a later year)."""
    with pytest.raises(FactorNotFound) as caught:
        calculate(
            _record("waste.household_residual.landfill", "1", 2022), LIBRARY, GwpSet.AR5, datasets=(DESNZ,)
        )
    assert "waste.household_residual.landfill" in str(caught.value)
    assert "published for a later year (2023 > 2022)" in str(caught.value)


def test_unknown_route_is_not_invented() -> None:
    """DESNZ publishes no composting factor for glass: the query fails, nothing is guessed."""
    query = FactorQuery(Parameter.EMISSION_FACTOR, "waste.glass.composting", gas="CO2e", year=2025)
    with pytest.raises(FactorNotFound):
        LIBRARY.resolve(query)


def test_negative_waste_is_rejected() -> None:
    with pytest.raises(InvalidInput):
        calculate(_record("waste.glass.landfill", "-1"), LIBRARY, GwpSet.AR5)
