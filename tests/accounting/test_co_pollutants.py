"""Co-pollutants alongside CO2 with the shipped EMEP/EEA 2023 factors (pollution and carbon co-control)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from carbonbridge.accounting.engine import calculate
from carbonbridge.accounting.model import ActivityCategory, ActivityRecord
from carbonbridge.factors.model import GwpSet
from carbonbridge.factors.service import shipped_library


def _diesel(tonnes: str) -> ActivityRecord:
    return ActivityRecord(
        id="r1",
        organisation_id="o",
        facility_id="f",
        period_start=date(2024, 1, 1),
        period_end=date(2024, 12, 31),
        category=ActivityCategory.STATIONARY_COMBUSTION,
        activity="fuel.diesel",
        quantity=Decimal(tonnes),
        unit="t",
        region="CN-HI",
        grid_region="CN-GRID-SOUTH",
    )


def test_diesel_nox_so2_pm_from_emep_eea_tier1() -> None:
    """1 t gas/diesel oil = 43.0 GJ (IPCC 2006 Vol.2 Table 1.2: 43.0 TJ/Gg); EMEP/EEA 2023 1.A.4
    Table 3-9 Tier 1 liquid fuels: NOx 306, SO2 94, PM10 21, PM2.5 18 g/GJ ->
    NOx 13.158 kg, SO2 4.042 kg, PM10 0.903 kg, PM2.5 0.774 kg."""
    result = calculate(_diesel("1"), shipped_library(), GwpSet.AR6, sector="commercial_institutional")
    amounts = {p.pollutant: p.kg for p in result.co_pollutants}
    assert amounts == {
        "NOx": Decimal("13.158"),
        "SO2": Decimal("4.042"),
        "PM10": Decimal("0.903"),
        "PM2.5": Decimal("0.774"),
    }


def test_co_pollutants_have_no_co2e() -> None:
    """Air pollutants are reported by mass only; the CO2e total is the same with or without them."""
    result = calculate(_diesel("2"), shipped_library(), GwpSet.AR6, sector="commercial_institutional")
    gases = {g.gas for basis in result.method_results.values() for g in basis}
    assert gases.isdisjoint({"NOx", "SO2", "PM10", "PM2.5"})
