"""AMS-III.C electric logistics vehicles: worked example, metering at the battery, plausibility."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carbonbridge.kernel.errors import FactorNotFound, InvalidInput
from carbonbridge.methodologies.ev_fleet import ElectricFleet
from carbonbridge.methodologies.model import Severity

CALC = ElectricFleet()


def test_worked_example() -> None:
    """2,400,000 km × 10 L/100 km × 0.84 kg/L × 3.1863 kg CO2/kg (IPCC road diesel 74,100 kg/TJ ×
    43.0 TJ/Gg) = 642,358.08 kg; 600,000 kWh × 0.4042 t/MWh (CN-GRID-SOUTH 2023, series B)
    = 242.52 t; ER = 642.35808 − 242.52 = 399.83808 t."""
    calc = CALC.calculate(CALC.example())
    assert calc.baseline_t == Decimal("642.35808")
    assert calc.project_t == Decimal("242.52")
    assert calc.net_t == Decimal("399.83808")
    assert calc.flags == ()
    grid = next(ln for ln in calc.lines if ln.name == "EF_grid")
    assert grid.source == "cn-mee-nbs-electricity-co2@2023#2023-CN-GRID-SOUTH"
    assert calc.methodology == "AMS-III.C@16.0"


def test_battery_metering_adds_charging_losses() -> None:
    """540,000 kWh into the batteries ÷ 0.90 = 600,000 kWh from the grid: the same project emissions."""
    params = dict(CALC.example())
    params["project"] = {"electricity_kwh": "540000", "metered_at": "battery", "charging_efficiency": "0.9"}
    assert CALC.calculate(params).project_t == Decimal("242.52")


def test_transmission_loss_and_improvement_factor() -> None:
    """IR = 0.99 over 2 years: EF_km × 0.9801; TDL 5 %: 630,000 kWh × 0.4042 = 254.646 t."""
    params = dict(CALC.example())
    params["baseline"] = {
        "fuel": "diesel",
        "fuel_l_per_100km": "10",
        "improvement_factor": "0.99",
        "years": 2,
    }
    params["project"] = {"electricity_kwh": "600000", "transmission_loss": "0.05"}
    calc = CALC.calculate(params)
    assert calc.baseline_t == Decimal("642.35808") * Decimal("0.9801")
    assert calc.project_t == Decimal("254.646")


def test_implausible_distance_and_consumption_are_flagged() -> None:
    """1,000 km per vehicle-day and 0.02 kWh/km are beyond any logistics vehicle."""
    params = dict(CALC.example())
    params["distance_km"] = "15000000"  # 50 vehicles × 300 days → 1,000 km a day
    params["project"] = {"electricity_kwh": "300000"}  # 0.02 kWh/km
    calc = CALC.calculate(params)
    flags = {f.check: f.severity for f in calc.flags}
    assert flags == {
        "distance_per_vehicle_day": Severity.IMPLAUSIBLE,
        "electricity_per_km_low": Severity.IMPLAUSIBLE,
    }


def test_unknown_grid_region_is_factor_not_found() -> None:
    params = {**CALC.example(), "region": "GH"}  # Ghana: no grid factor shipped
    with pytest.raises(FactorNotFound):
        CALC.calculate(params)


def test_missing_parameters_are_named() -> None:
    with pytest.raises(InvalidInput) as caught:
        CALC.calculate({"baseline": {"fuel": "kerosene"}})
    where = {".".join(str(p) for p in i.location) for i in caught.value.issues}
    assert {"region", "year", "distance_km", "baseline.fuel", "baseline.fuel_l_per_100km", "project"} <= where
