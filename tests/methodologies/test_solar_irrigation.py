"""AMS-I.B solar irrigation: worked example, the three baseline routes, and the Ghana claim."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carbonbridge.kernel.errors import InvalidInput
from carbonbridge.methodologies.emission_factors import fuel_factor, shipped_factors
from carbonbridge.methodologies.model import Calculation, Severity
from carbonbridge.methodologies.solar_irrigation import SolarIrrigation

CALC = SolarIrrigation()


def line(calc: Calculation, name: str) -> Decimal:
    return next(ln.value for ln in calc.lines if ln.name == name)


def diesel_kg_co2_per_litre() -> Decimal:
    """From the factors context: IPCC 2006 74,100 kg CO2/TJ × 43.0 TJ/Gg = 3.1863 kg/kg, × 0.84 kg/L."""
    return fuel_factor(shipped_factors(), "diesel").kg_co2_per_kg * Decimal("0.84")


def test_worked_example_pumped_volume() -> None:
    """40,000 m³ lifted 30 m: ρgh V = 1000 × 9.80665 × 30 × 40,000 J = 3,268.8833 kWh hydraulic;
    ÷ 0.50 pump = 6,537.7667 kWh shaft; × 3.6 ÷ 0.30 engine = 78,453.2 MJ of diesel;
    ÷ (43.0 MJ/kg × 0.84 kg/L = 36.12 MJ/L) = 2,172.0155 L; × 2.676492 kg CO2/L = 5.81338212 t
    (equivalently 78,453.2 MJ × 74.1 g CO2/MJ)."""
    calc = CALC.calculate(CALC.example())
    assert line(calc, "E_hyd").quantize(Decimal("0.0001")) == Decimal("3268.8833")
    assert line(calc, "E_fuel") == Decimal("78453.2")
    assert line(calc, "FC_BL").quantize(Decimal("0.0001")) == Decimal("2172.0155")
    assert calc.net_t == calc.baseline_t
    assert calc.net_t.quantize(Decimal("1E-8")) == Decimal("5.81338212")
    assert calc.flags == ()
    assert calc.methodology == "AMS-I.B@13.0"
    assert "ipcc-2006-v2-energy@2006#T1.4-diesel-co2" in calc.parameters["factors"]


def test_litres_route_with_project_diesel_and_leakage() -> None:
    """1,000 L displaced, 100 L back-up diesel, 10 % leakage: ER = (1000 − 100 − 100) × 2.676492 kg/L
    = 2.1411936 t."""
    params = {
        "irrigated_area": {"value": "50", "unit": "mu"},
        "head_m": "20",
        "baseline": {"route": "diesel_litres", "diesel_litres": "1000"},
        "project": {"diesel_litres": "100"},
        "leakage": {"transferred_equipment_share": "0.1"},
    }
    calc = CALC.calculate(params)
    assert calc.baseline_t == Decimal("2.676492")
    assert calc.project_t == Decimal("0.2676492")
    assert calc.leakage_t == Decimal("0.2676492")
    assert calc.net_t == Decimal("2.1411936")


def test_shaft_energy_route() -> None:
    """1,000 kWh at the shaft ÷ 0.30 = 12,000 MJ of diesel × 74.1 g/MJ = 0.8892 t."""
    params = {
        "irrigated_area": {"value": "10", "unit": "ha"},
        "head_m": "10",
        "baseline": {"route": "shaft_energy", "kwh": "1000"},
    }
    assert CALC.calculate(params).net_t == Decimal("0.8892")


def _claim(unit: str) -> dict[str, object]:
    litres = Decimal("1.6") * 1000 / diesel_kg_co2_per_litre()
    return {
        "irrigated_area": {"value": "1", "unit": unit},
        "head_m": "30",
        "baseline": {"route": "diesel_litres", "diesel_litres": str(litres)},
    }


def test_ghana_claim_per_mu_is_flagged_implausible_with_the_reason() -> None:
    """Ghana solar irrigation (CECEP): "1.6 t CO2 per mu per year". 1,600 kg ÷ 2.676492 kg/L
    = 597.8 L of diesel per mu-year (8,967 L/ha); at 15 % diesel-to-water efficiency that lifts
    0.15 × 597.8 L × 36.12 MJ/L ÷ (9,806.65 N/m³ × 30 m) = 11,008 m³ per 666.7 m² = 16.5 m of water."""
    calc = CALC.calculate(_claim("mu"))
    assert calc.net_t.quantize(Decimal("0.001")) == Decimal("1.600")
    per_mu = line(calc, "diesel_per_mu")
    depth = line(calc, "water_depth")
    assert per_mu.quantize(Decimal("0.1")) == Decimal("597.8")
    assert depth.quantize(Decimal("0.1")) == Decimal("16.5")
    assert calc.blocked
    flags = {f.check: f for f in calc.flags}
    assert flags["diesel_per_area"].severity is Severity.IMPLAUSIBLE
    assert flags["water_depth"].severity is Severity.IMPLAUSIBLE
    assert flags["water_depth"].value == depth
    reason = flags["diesel_per_area"].reason_en
    assert "597.8 L of diesel per mu-year" in reason
    assert "16.5 m of water lifted 30 m" in reason
    assert "597.8 升柴油" in flags["diesel_per_area"].reason_zh


def test_ghana_claim_read_per_hectare_passes() -> None:
    """Read as 1.6 t per hectare-year the same claim is 597.8 L/ha = 39.9 L per mu-year and 1.1 m of
    water lifted 30 m: plausible irrigation."""
    calc = CALC.calculate(_claim("ha"))
    assert line(calc, "diesel_per_mu").quantize(Decimal("0.1")) == Decimal("39.9")
    assert line(calc, "water_depth").quantize(Decimal("0.1")) == Decimal("1.1")
    assert calc.flags == ()
    assert not calc.blocked


def test_bounds_are_configurable() -> None:
    params = {**_claim("ha"), "plausibility": {"water_depth": {"warning": "1.0", "implausible": None}}}
    calc = CALC.calculate(params)
    assert [(f.check, f.severity) for f in calc.flags] == [("water_depth", Severity.WARNING)]


def test_bad_parameters_name_every_path() -> None:
    params = {
        "irrigated_area": {"value": "-3", "unit": "acre"},
        "baseline": {"route": "pumped_volume"},
        "diesel": {"engine_efficiency": "1.5"},
        "plausibility": {"nonsense": {}},
    }
    with pytest.raises(InvalidInput) as caught:
        CALC.calculate(params)
    where = {".".join(str(p) for p in i.location) for i in caught.value.issues}
    assert where == {
        "irrigated_area.value",
        "irrigated_area.unit",
        "head_m",
        "baseline.volume_m3",
        "diesel.engine_efficiency",
        "plausibility.nonsense",
    }


def test_area_unit_is_required() -> None:
    """No default unit: a per-mu figure read per hectare is off by a factor of 15."""
    params = {**_claim("mu"), "irrigated_area": {"value": "1"}}
    with pytest.raises(InvalidInput) as caught:
        CALC.calculate(params)
    assert [i.location for i in caught.value.issues] == [("irrigated_area", "unit")]
