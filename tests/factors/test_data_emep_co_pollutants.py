"""EMEP/EEA Guidebook 2023, 1.A.4 small combustion, Tier 1 (``emep-eea-guidebook-2023@2023``):
gaseous fuels (Table 3-8), liquid fuels (Table 3-9) and hard/brown coal (Table 3-7), read through
the engine as energy x g/GJ, commercial/institutional sector only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from carbonbridge.accounting.engine import calculate
from carbonbridge.accounting.model import ActivityCategory, ActivityRecord
from carbonbridge.factors.model import FactorQuery, GwpSet, Parameter
from carbonbridge.factors.service import shipped_library

EMEP = "emep-eea-guidebook-2023"
COAL = ("anthracite", "coking_coal", "other_bituminous_coal", "sub_bituminous_coal", "lignite")


def _factor(fuel: str, pollutant: str) -> Decimal:
    query = FactorQuery(
        Parameter.EMISSION_FACTOR,
        f"fuel.{fuel}",
        gas=pollutant,
        sector="commercial_institutional",
        datasets=(EMEP,),
    )
    factor = shipped_library().resolve(query).factor
    assert factor.unit == "g/GJ"
    return factor.value


@pytest.mark.parametrize(
    ("fuel", "table"),
    [("natural_gas", {"NOx": "74", "SO2": "0.67", "PM10": "0.78", "PM2.5": "0.78"})]
    + [(f, {"NOx": "306", "SO2": "94", "PM10": "21", "PM2.5": "18"}) for f in ("diesel", "residual_fuel_oil")]
    + [(f, {"NOx": "173", "SO2": "900", "PM10": "117", "PM2.5": "108"}) for f in COAL],
)
def test_tier1_values_as_read(fuel: str, table: dict[str, str]) -> None:
    """Table 3-8 gaseous NOx 74, SOx 0.67, PM 0.78; Table 3-9 liquid NOx 306, SOx 94, PM10 21,
    PM2.5 18; Table 3-7 coal NOx 173, SOx 900, PM10 117, PM2.5 108 g/GJ."""
    assert {p: _factor(fuel, p) for p in table} == {p: Decimal(v) for p, v in table.items()}


def test_coal_in_a_commercial_boiler_worked_example() -> None:
    """1 t other bituminous coal = 25.8 GJ (IPCC 2006 Vol.2 Table 1.2: 25.8 TJ/Gg) x Table 3-7:
    NOx 173 -> 4.4634 kg, SO2 900 -> 23.22 kg, PM10 117 -> 3.0186 kg, PM2.5 108 -> 2.7864 kg."""
    record = ActivityRecord(
        id="coal",
        organisation_id="o",
        facility_id="f",
        period_start=date(2024, 1, 1),
        period_end=date(2024, 12, 31),
        category=ActivityCategory.STATIONARY_COMBUSTION,
        activity="fuel.other_bituminous_coal",
        quantity=Decimal(1),
        unit="t",
        region="CN-HI",
    )
    result = calculate(record, shipped_library(), GwpSet.AR6, sector="commercial_institutional")
    assert {p.pollutant: p.kg for p in result.co_pollutants} == {
        "NOx": Decimal("4.4634"),
        "SO2": Decimal("23.22"),
        "PM10": Decimal("3.0186"),
        "PM2.5": Decimal("2.7864"),
    }


def test_other_sectors_get_no_small_combustion_factor() -> None:
    """The rows are 1.A.4.a.i (commercial/institutional); a cement kiln's coal gets none."""
    record = ActivityRecord(
        id="kiln",
        organisation_id="o",
        facility_id="f",
        period_start=date(2024, 1, 1),
        period_end=date(2024, 12, 31),
        category=ActivityCategory.STATIONARY_COMBUSTION,
        activity="fuel.other_bituminous_coal",
        quantity=Decimal(1),
        unit="t",
        region="CN-HI",
    )
    result = calculate(record, shipped_library(), GwpSet.AR6, sector="manufacturing_construction")
    assert result.co_pollutants == ()
