"""Electric logistics vehicles replacing fossil-fuelled ones, after CDM small-scale methodology
AMS-III.C "Emission reductions by electric and hybrid vehicles", version 16.0 (valid from
8 September 2022, cdm.unfccc.int).

ER_y = BE_y − PE_y − LE_y (t CO2), where

* BE_y = EF_km × DD_y / 1000, with EF_km = SFC × ρ_fuel × EF_fuel,kg × IR^t (kg CO2/km): the
  displaced vehicle class's specific fuel consumption (L/km), the fuel's CO2 per kg from the
  ``factors`` context (IPCC 2006 Vol.2 Ch.3 Table 3.2.1 road-transport CO2 × Ch.1 Table 1.2 NCV),
  and the technology-improvement factor IR per year since the baseline was set (1 = none);
* PE_y = EC_grid × EF_grid / 1000: electricity drawn from the grid to charge the fleet,
  EC_grid = EC × (1 + TDL) when metered at the charger, or EC / η_charge × (1 + TDL) when metered
  at the battery; EF_grid the regional grid factor for the year (MEE/NBS series B);
* LE_y = share × BE_y (e.g. displaced vehicles kept in service elsewhere).

The plausibility check runs on every calculation: distance per vehicle-day and electricity per km.
Source marking: the equation structure follows AMS-III.C v16.0 as summarised here; the PDF's
equation numbers were not retrievable while this was written, so lines cite ``AMS-III.C v16.0
logic``; the fuel and grid factors cite their dataset rows.

One function per equation group: :func:`baseline_emissions` (EF_km, BE_y), :func:`project_emissions`
(EC_grid, PE_y) and :func:`emission_reductions` (LE_y, ER_y), on the typed
:class:`~carbonbridge.methodologies.ev_fleet_params.ElectricFleetParameters`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, localcontext
from typing import Any

from carbonbridge.factors.model import FactorResolver
from carbonbridge.kernel.exact import decimal_context
from carbonbridge.methodologies import emission_factors, plausibility
from carbonbridge.methodologies.ev_fleet_params import (
    CHARGING_EFFICIENCY,
    DENSITY,
    Charging,
    ElectricFleetParameters,
    VehicleBaseline,
)
from carbonbridge.methodologies.model import Calculation, Kind, Line
from carbonbridge.methodologies.params import parse, plain

__all__ = ["CHARGING_EFFICIENCY", "DENSITY", "ElectricFleet", "ElectricFleetParameters"]

AMS = "AMS-III.C v16.0 logic"


class ElectricFleet:
    """AMS-III.C electric logistics vehicles calculator (module docstring)."""

    id: str = "AMS-III.C"
    version: str = "16.0"
    kind: Kind = Kind.REDUCTION
    title_en: str = "Electric logistics vehicles (AMS-III.C)"
    title_zh: str = "新能源物流车（AMS-III.C）"

    def example(self) -> Mapping[str, Any]:
        """50 light vans, 300 days, 160 km a day, displacing 10 L/100 km diesel vans, charged in the
        China Southern Grid region in 2023 at 0.25 kWh/km metered at the charger."""
        return {
            "region": "CN-GRID-SOUTH",
            "year": 2023,
            "vehicles": "50",
            "operating_days": "300",
            "distance_km": "2400000",
            "baseline": {"fuel": "diesel", "fuel_l_per_100km": "10", "improvement_factor": "1", "years": "0"},
            "project": {"electricity_kwh": "600000", "metered_at": "charger", "transmission_loss": "0"},
            "leakage": {"share": "0"},
        }

    def calculate(
        self, parameters: Mapping[str, Any], *, factors: FactorResolver | None = None
    ) -> Calculation:
        p = parse(ElectricFleetParameters, parameters, f"{self.id}@{self.version}")
        with localcontext(decimal_context()):
            return self.compute(p, factors or emission_factors.shipped_factors())

    def compute(self, p: ElectricFleetParameters, factors: FactorResolver) -> Calculation:
        """ER_y from typed parameters (module docstring), every equation group in order."""
        fuel = emission_factors.fuel_factor(factors, p.baseline.fuel, road=True)
        grid, grid_line = emission_factors.grid_factor(factors, p.region, p.year)
        baseline_t, baseline_lines = baseline_emissions(p, fuel)
        grid_kwh, project_t, project_lines = project_emissions(p.project, grid, grid_line)
        leakage_t, net_t, net_lines = emission_reductions(baseline_t, project_t, p.leakage.share)
        bounds = plausibility.with_overrides(plausibility.EV_BOUNDS, p.plausibility)
        flags = plausibility.vehicle_flags(
            distance_km=p.distance_km,
            vehicle_days=p.vehicles * p.operating_days,
            electricity_kwh=grid_kwh,
            bounds=bounds,
        )
        return Calculation(
            methodology=f"{self.id}@{self.version}",
            kind=self.kind,
            net_t=net_t,
            baseline_t=baseline_t,
            project_t=project_t,
            leakage_t=leakage_t,
            lines=(*fleet_lines(p), *baseline_lines, *project_lines, *net_lines),
            flags=flags,
            parameters=understood(p, [*fuel.refs, grid_line.source]),
        )


def fleet_lines(p: ElectricFleetParameters) -> list[Line]:
    """The monitored activity (AMS-III.C v16.0 logic): distance driven DD_y and vehicles N."""
    return [
        Line(
            "DD_y",
            p.distance_km,
            "km",
            "distance driven by the project vehicles (monitored)",
            "Distance driven",
            "行驶里程",
            AMS,
        ),
        Line("N", p.vehicles, "vehicles", "project vehicles in operation", "Vehicles", "车辆数", AMS),
    ]


def baseline_emissions(
    p: ElectricFleetParameters, fuel: emission_factors.FuelFactor
) -> tuple[Decimal, list[Line]]:
    """AMS-III.C v16.0 logic: EF_km = SFC/100 × ρ_fuel × EF_fuel,kg × IR^t (kg CO2/km) and
    BE_y = EF_km × DD_y / 1000 (t CO2)."""
    base: VehicleBaseline = p.baseline
    ef_km = (
        base.fuel_l_per_100km
        / Decimal(100)
        * base.density
        * fuel.kg_co2_per_kg
        * base.improvement_factor**base.years
    )
    baseline_t = ef_km * p.distance_km / Decimal(1000)
    return baseline_t, [
        Line(
            "SFC",
            base.fuel_l_per_100km,
            "L/100 km",
            f"displaced {base.fuel} vehicle class (parameter)",
            "Baseline fuel consumption",
            "基线车辆油耗",
            AMS,
        ),
        Line(
            "ρ_fuel",
            base.density,
            "kg/L",
            "EN 590 / EN 228 ranges; parameter baseline.density_kg_per_l",
            "Fuel density",
            "燃料密度",
            "parameter",
        ),
        *fuel.lines,
        Line(
            "IR",
            base.improvement_factor,
            "1",
            f"technology improvement factor, applied ^{base.years}",
            "Technology improvement factor",
            "技术进步因子",
            AMS,
        ),
        Line(
            "EF_km",
            ef_km,
            "kg CO2/km",
            "SFC/100 × ρ_fuel × EF_fuel,kg × IR^t",
            "Baseline emissions per km",
            "基线每公里排放",
            AMS,
        ),
        Line("BE_y", baseline_t, "t CO2", "EF_km × DD_y / 1000", "Baseline emissions", "基线排放", AMS),
    ]


def project_emissions(
    charging: Charging, grid: Decimal, grid_line: Line
) -> tuple[Decimal, Decimal, list[Line]]:
    """AMS-III.C v16.0 logic: EC_grid = EC × (1 + TDL) metered at the charger, EC / η_charge ×
    (1 + TDL) at the battery; PE_y = EC_grid × EF_grid / 1000. Returns ``(EC_grid, PE_y, lines)``."""
    electricity = charging.electricity_kwh
    at_charger = (
        electricity if charging.metered_at == "charger" else electricity / charging.charging_efficiency
    )
    grid_kwh = at_charger * (Decimal(1) + charging.transmission_loss)
    project_t = grid_kwh * grid / Decimal(1000)
    return (
        grid_kwh,
        project_t,
        [
            Line(
                "EC_y",
                electricity,
                "kWh",
                f"electricity metered at the {charging.metered_at}",
                "Electricity charged",
                "充电量",
                AMS,
            ),
            Line(
                "EC_grid",
                grid_kwh,
                "kWh",
                "EC × (1 + TDL)" if charging.metered_at == "charger" else "EC / η_charge × (1 + TDL)",
                "Electricity drawn from the grid (incl. charging and transmission losses)",
                "自电网取电量（含充电及输配损耗）",
                AMS,
            ),
            grid_line,
            Line(
                "PE_y", project_t, "t CO2", "EC_grid × EF_grid / 1000", "Project emissions", "项目排放", AMS
            ),
        ],
    )


def emission_reductions(
    baseline_t: Decimal, project_t: Decimal, share: Decimal
) -> tuple[Decimal, Decimal, list[Line]]:
    """AMS-III.C v16.0 logic: LE_y = share × BE_y and ER_y = BE_y − PE_y − LE_y (t CO2)."""
    leakage_t = share * baseline_t
    net_t = baseline_t - project_t - leakage_t
    return (
        leakage_t,
        net_t,
        [
            Line("LE_y", leakage_t, "t CO2", "share × BE_y", "Leakage", "泄漏", AMS),
            Line("ER_y", net_t, "t CO2", "BE_y − PE_y − LE_y", "Emission reductions", "减排量", AMS),
        ],
    )


def understood(p: ElectricFleetParameters, factor_refs: list[str]) -> dict[str, Any]:
    """The parameters as the calculation read them (defaults filled in), for the record."""
    return {
        "region": p.region,
        "year": p.year,
        "vehicles": plain(p.vehicles),
        "operating_days": plain(p.operating_days),
        "distance_km": plain(p.distance_km),
        "baseline": {
            "fuel": p.baseline.fuel,
            "fuel_l_per_100km": plain(p.baseline.fuel_l_per_100km),
            "density_kg_per_l": plain(p.baseline.density),
            "improvement_factor": plain(p.baseline.improvement_factor),
            "years": p.baseline.years,
        },
        "project": {
            "electricity_kwh": plain(p.project.electricity_kwh),
            "metered_at": p.project.metered_at,
            "charging_efficiency": plain(p.project.charging_efficiency),
            "transmission_loss": plain(p.project.transmission_loss),
        },
        "leakage": {"share": plain(p.leakage.share)},
        "factors": factor_refs,
    }
