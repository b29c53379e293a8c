"""Solar-powered irrigation replacing diesel pumping, after CDM small-scale methodology AMS-I.B
"Mechanical energy for the user with or without electrical energy".

ER_y = BE_y − PE_y − LE_y (t CO2), where

* BE_y = FC_BL,y × EF_diesel,L / 1000: the diesel the baseline pumpset would have burnt to deliver the
  same water, from one of three activity-data routes a user can read and change:

  - ``diesel_litres``: litres displaced, measured or from records;
  - ``pumped_volume``: E_hyd = ρ_w g h V (J; V m³ pumped, h m total head), shaft work
    E_shaft = E_hyd / η_pump, fuel energy E_fuel = E_shaft / η_engine, FC = E_fuel / (NCV × ρ_diesel);
  - ``shaft_energy``: mechanical energy delivered to the pump shaft (kWh), FC = E / η_engine / (NCV × ρ);

* EF_diesel,L = EF_CO2 × NCV × ρ_diesel (kg CO2/L) from the ``factors`` context (IPCC 2006 Vol.2 Table
  1.4 × Table 1.2, table-factor path) and the density parameter;
* PE_y = fossil fuel the project still burns (back-up diesel, L) × EF_diesel,L;
* LE_y = share × BE_y when baseline pumps are transferred to another activity and keep running
  (AMS-I.B's leakage clause on transferred equipment).

Only CO2 from diesel is counted (CH4 and N2O of small engines are neglected, as the small-scale
methodologies do). The plausibility check (``plausibility.irrigation_flags``) runs on every
calculation: implied diesel per area, depth of water and lift, and pumping energy per area.

Source marking: the equation *structure* (baseline fuel displaced × factor, project fuel, leakage on
transferred equipment) follows AMS-I.B; its text and version could not be retrieved while this was
written (``VERSION_NOTE``), so every line says ``AMS-I.B logic`` rather than citing an equation
number. The physical conversions are standard physics, marked ``physics``.

The calculation is one function per equation group: :func:`diesel_per_litre` (EF_diesel,L and
e_diesel), :func:`pumping_energy` (E_hyd, E_shaft), :func:`fuel_for_shaft_work` (E_fuel, FC_BL),
:func:`emission_reductions` (BE_y, PE_y, LE_y, ER_y) and :func:`implied_figures` (what the baseline
implies per area, for the plausibility check). Parameters are the typed
:class:`~carbonbridge.methodologies.solar_irrigation_params.SolarIrrigationParameters`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, localcontext
from typing import Any

from carbonbridge.factors.model import FactorResolver
from carbonbridge.kernel.exact import decimal_context
from carbonbridge.methodologies import emission_factors, plausibility
from carbonbridge.methodologies.model import Calculation, Kind, Line
from carbonbridge.methodologies.params import parse, plain
from carbonbridge.methodologies.plausibility import IrrigationFigures
from carbonbridge.methodologies.solar_irrigation_params import (
    AMOUNT_KEY,
    AREA_UNITS,
    DIESEL_DENSITY,
    ENGINE_EFFICIENCY,
    PUMP_EFFICIENCY,
    ROUTES,
    SolarIrrigationParameters,
)

__all__ = [
    "AREA_UNITS",
    "DIESEL_DENSITY",
    "ENGINE_EFFICIENCY",
    "PUMP_EFFICIENCY",
    "ROUTES",
    "SolarIrrigation",
    "SolarIrrigationParameters",
]

VERSION_NOTE = "AMS-I.B version 13.0 assumed; the UNFCCC text was not retrievable here — verify the version"
AMS = "AMS-I.B logic"
PHYSICS = "physics"


class SolarIrrigation:
    """AMS-I.B solar irrigation calculator (module docstring)."""

    id: str = "AMS-I.B"
    version: str = "13.0"
    kind: Kind = Kind.REDUCTION
    title_en: str = "Solar-powered irrigation replacing diesel pumping (AMS-I.B)"
    title_zh: str = "光伏灌溉替代柴油抽水（AMS-I.B）"

    def example(self) -> Mapping[str, Any]:
        """100 mu irrigated with 40,000 m³ lifted 30 m in one year (0.6 m of water)."""
        return {
            "irrigated_area": {"value": "100", "unit": "mu"},
            "period_years": "1",
            "head_m": "30",
            "baseline": {"route": "pumped_volume", "volume_m3": "40000"},
            "diesel": {
                "density_kg_per_l": "0.84",
                "engine_efficiency": "0.30",
                "pump_efficiency": "0.50",
            },
            "project": {"diesel_litres": "0"},
            "leakage": {"transferred_equipment_share": "0"},
        }

    def calculate(
        self, parameters: Mapping[str, Any], *, factors: FactorResolver | None = None
    ) -> Calculation:
        p = parse(SolarIrrigationParameters, parameters, f"{self.id}@{self.version}")
        with localcontext(decimal_context()):
            return self.compute(p, factors or emission_factors.shipped_factors())

    def compute(self, p: SolarIrrigationParameters, factors: FactorResolver) -> Calculation:
        """ER_y from typed parameters (module docstring), every equation group in order."""
        fuel = emission_factors.fuel_factor(factors, "diesel")
        ef_litre, mj_litre, fuel_lines = diesel_per_litre(fuel, p.diesel.density_kg_per_l)
        lines = [*site_lines(p), *fuel_lines]
        litres, baseline_lines = baseline_diesel(p, mj_litre)
        lines += baseline_lines
        baseline_t, project_t, leakage_t, net_t, er_lines = emission_reductions(
            litres, p.project.diesel_litres, p.leakage.transferred_equipment_share, ef_litre
        )
        figures, figure_lines = implied_figures(p, litres, mj_litre)
        bounds = plausibility.with_overrides(plausibility.IRRIGATION_BOUNDS, p.plausibility)
        return Calculation(
            methodology=f"{self.id}@{self.version}",
            kind=self.kind,
            net_t=net_t,
            baseline_t=baseline_t,
            project_t=project_t,
            leakage_t=leakage_t,
            lines=(*lines, *er_lines, *figure_lines),
            flags=plausibility.irrigation_flags(figures, bounds),
            parameters=understood(p, fuel.refs),
        )


def site_lines(p: SolarIrrigationParameters) -> list[Line]:
    """The site's figures as the calculation reads them: area (1 mu = 1/15 ha), period, head,
    diesel density (EN 590 / GB 19147)."""
    area = p.irrigated_area
    return [
        Line(
            "A",
            area.hectares,
            "ha",
            f"{plain(area.value)} {area.unit} (1 mu = 1/15 ha)",
            "Irrigated area",
            "灌溉面积",
            PHYSICS,
        ),
        Line("T", p.period_years, "yr", "monitoring period", "Period", "监测期", AMS),
        Line("h", p.head_m, "m", "total pumping head (parameter)", "Pumping head", "扬程", AMS),
        Line(
            "ρ_diesel",
            p.diesel.density_kg_per_l,
            "kg/L",
            "EN 590 / GB 19147 range; parameter diesel.density_kg_per_l",
            "Diesel density",
            "柴油密度",
            "parameter",
        ),
    ]


def diesel_per_litre(
    fuel: emission_factors.FuelFactor, density: Decimal
) -> tuple[Decimal, Decimal, list[Line]]:
    """EF_diesel,L = EF_diesel,kg × ρ_diesel (kg CO2/L, AMS-I.B logic; IPCC 2006 Vol.2 Table 1.4 ×
    Table 1.2) and e_diesel = NCV × ρ_diesel (MJ/L): ``(EF_diesel,L, e_diesel, lines)``."""
    ef_litre = fuel.kg_co2_per_kg * density
    mj_litre = fuel.mj_per_kg * density
    return (
        ef_litre,
        mj_litre,
        [
            *fuel.lines,
            Line(
                "EF_diesel,L",
                ef_litre,
                "kg CO2/L",
                "EF_diesel,kg × ρ_diesel",
                "CO2 per litre of diesel",
                "每升柴油CO2排放",
                AMS,
            ),
            Line(
                "e_diesel",
                mj_litre,
                "MJ/L",
                "NCV × ρ_diesel",
                "Energy per litre of diesel",
                "每升柴油能量",
                PHYSICS,
            ),
        ],
    )


def baseline_diesel(p: SolarIrrigationParameters, mj_litre: Decimal) -> tuple[Decimal, list[Line]]:
    """FC_BL (L), the diesel the baseline pumpset would have burnt, by the report's route
    (AMS-I.B logic): as given, or from the pumping energy (:func:`pumping_energy`,
    :func:`fuel_for_shaft_work`)."""
    amount = p.baseline.amount
    if p.baseline.route == "diesel_litres":
        line = Line(
            "FC_BL", amount, "L", "diesel displaced (activity data)", "Baseline diesel", "基线柴油用量", AMS
        )
        return amount, [line]
    if p.baseline.route == "pumped_volume":
        shaft_kwh, lines = pumping_energy(p.head_m, amount, p.diesel.pump_efficiency)
    else:
        shaft_kwh = amount
        lines = [
            Line(
                "E_shaft",
                shaft_kwh,
                "kWh",
                "shaft energy delivered (activity data)",
                "Shaft work",
                "轴功",
                AMS,
            )
        ]
    litres, fuel_lines = fuel_for_shaft_work(shaft_kwh, p.diesel.engine_efficiency, mj_litre)
    return litres, lines + fuel_lines


def pumping_energy(head: Decimal, volume: Decimal, eta_pump: Decimal) -> tuple[Decimal, list[Line]]:
    """E_hyd = ρ_w g h V / 3.6×10^6 (kWh, physics) and the shaft work E_shaft = E_hyd / η_pump."""
    hydraulic_kwh = plausibility.RHO_WATER * plausibility.G * head * volume / plausibility.J_PER_KWH
    shaft_kwh = hydraulic_kwh / eta_pump
    return shaft_kwh, [
        Line("V", volume, "m³", "water pumped (activity data)", "Water pumped", "抽水量", AMS),
        Line("E_hyd", hydraulic_kwh, "kWh", "ρ_w g h V / 3.6×10^6", "Hydraulic energy", "水力能", PHYSICS),
        Line(
            "η_pump",
            eta_pump,
            "1",
            "FAO I&D Paper 43; parameter diesel.pump_efficiency",
            "Pump efficiency",
            "水泵效率",
            "parameter",
        ),
        Line("E_shaft", shaft_kwh, "kWh", "E_hyd / η_pump", "Shaft work", "轴功", PHYSICS),
    ]


def fuel_for_shaft_work(
    shaft_kwh: Decimal, eta_engine: Decimal, mj_litre: Decimal
) -> tuple[Decimal, list[Line]]:
    """E_fuel = E_shaft × 3.6 / η_engine (MJ, physics) and FC_BL = E_fuel / e_diesel (L, AMS-I.B logic)."""
    fuel_mj = shaft_kwh * Decimal("3.6") / eta_engine
    litres = fuel_mj / mj_litre
    return litres, [
        Line(
            "η_engine",
            eta_engine,
            "1",
            "FAO I&D Paper 43; parameter diesel.engine_efficiency",
            "Diesel engine efficiency",
            "柴油机效率",
            "parameter",
        ),
        Line("E_fuel", fuel_mj, "MJ", "E_shaft × 3.6 / η_engine", "Fuel energy", "燃料能量", PHYSICS),
        Line("FC_BL", litres, "L", "E_fuel / e_diesel", "Baseline diesel", "基线柴油用量", AMS),
    ]


def emission_reductions(
    litres: Decimal, project_litres: Decimal, share: Decimal, ef_litre: Decimal
) -> tuple[Decimal, Decimal, Decimal, Decimal, list[Line]]:
    """AMS-I.B logic: BE_y = FC_BL × EF_diesel,L / 1000, PE_y = FC_PJ × EF_diesel,L / 1000,
    LE_y = share × BE_y (transferred equipment), ER_y = BE_y − PE_y − LE_y (t CO2)."""
    baseline_t = litres * ef_litre / Decimal(1000)
    project_t = project_litres * ef_litre / Decimal(1000)
    leakage_t = share * baseline_t
    net_t = baseline_t - project_t - leakage_t
    return (
        baseline_t,
        project_t,
        leakage_t,
        net_t,
        [
            Line(
                "BE_y",
                baseline_t,
                "t CO2",
                "FC_BL × EF_diesel,L / 1000",
                "Baseline emissions",
                "基线排放",
                AMS,
            ),
            Line(
                "PE_y",
                project_t,
                "t CO2",
                "FC_PJ × EF_diesel,L / 1000",
                "Project emissions (back-up diesel)",
                "项目排放（备用柴油）",
                AMS,
            ),
            Line("LE_y", leakage_t, "t CO2", "share × BE_y (transferred equipment)", "Leakage", "泄漏", AMS),
            Line("ER_y", net_t, "t CO2", "BE_y − PE_y − LE_y", "Emission reductions", "减排量", AMS),
        ],
    )


def implied_figures(
    p: SolarIrrigationParameters, litres: Decimal, mj_litre: Decimal
) -> tuple[IrrigationFigures, list[Line]]:
    """What the baseline implies per hectare-year (``plausibility.irrigation_figures``: diesel,
    water depth η FC e / (ρ_w g h) / (A T), pumping energy), shown as lines."""
    figures = plausibility.irrigation_figures(
        diesel_litres=litres,
        area_ha=p.irrigated_area.hectares,
        years=p.period_years,
        head_m=p.head_m,
        diesel_mj_per_litre=mj_litre,
        overall_efficiency=p.diesel.engine_efficiency * p.diesel.pump_efficiency,
    )
    return figures, [
        Line(
            "diesel_per_mu",
            figures.diesel_l_per_mu_yr,
            "L/mu/yr",
            "FC_BL / (A × 15 × T)",
            "Implied diesel per mu-year",
            "每亩每年隐含柴油",
            "plausibility",
        ),
        Line(
            "diesel_per_ha",
            figures.diesel_l_per_ha_yr,
            "L/ha/yr",
            "FC_BL / (A × T)",
            "Implied diesel per hectare-year",
            "每公顷每年隐含柴油",
            "plausibility",
        ),
        Line(
            "water_depth",
            figures.water_depth_m_yr,
            "m/yr",
            "η_engine η_pump FC_BL e_diesel / (ρ_w g h) / (A × T)",
            "Implied water depth",
            "隐含灌水深度",
            "plausibility",
        ),
        Line(
            "E_hyd_per_ha",
            figures.hydraulic_kwh_per_ha_yr,
            "kWh/ha/yr",
            "ρ_w g h V / (A × T)",
            "Implied pumping energy per hectare-year",
            "每公顷每年隐含抽水能量",
            "plausibility",
        ),
    ]


def understood(p: SolarIrrigationParameters, factor_refs: tuple[str, ...]) -> dict[str, Any]:
    """The parameters as the calculation read them (defaults filled in), for the record."""
    route = p.baseline.route
    return {
        "irrigated_area": {"value": plain(p.irrigated_area.value), "unit": p.irrigated_area.unit},
        "period_years": plain(p.period_years),
        "head_m": plain(p.head_m),
        "baseline": {"route": route, AMOUNT_KEY[route]: plain(p.baseline.amount)},
        "diesel": {
            "density_kg_per_l": plain(p.diesel.density_kg_per_l),
            "engine_efficiency": plain(p.diesel.engine_efficiency),
            "pump_efficiency": plain(p.diesel.pump_efficiency),
        },
        "project": {"diesel_litres": plain(p.project.diesel_litres)},
        "leakage": {"transferred_equipment_share": plain(p.leakage.transferred_equipment_share)},
        "factors": list(factor_refs),
    }
