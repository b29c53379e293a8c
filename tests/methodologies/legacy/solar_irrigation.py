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
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, localcontext
from typing import Any

from carbonbridge.factors.model import FactorResolver
from carbonbridge.kernel.exact import decimal_context
from carbonbridge.methodologies import emission_factors
from carbonbridge.methodologies.model import Calculation, Kind, Line
from tests.methodologies.legacy import plausibility
from tests.methodologies.legacy.params import Reader, plain

VERSION_NOTE = "AMS-I.B version 13.0 assumed; the UNFCCC text was not retrievable here — verify the version"
AMS = "AMS-I.B logic"
PHYSICS = "physics"

#: diesel density (kg/L): EN 590:2013 allows 0.820–0.845 kg/L at 15 °C, GB 19147-2016 0.810–0.850
#: kg/L at 20 °C; 0.84 is the customary value near the top of both ranges.
DIESEL_DENSITY = Decimal("0.84")
#: small diesel engines convert 25–35 % of fuel energy to shaft work; irrigation centrifugal pumps
#: 50–70 % of shaft work to water (Fraenkel, FAO Irrigation and Drainage Paper 43, "Water lifting
#: devices", 1986, ch. 4); the low ends are used (conservative for the baseline).
ENGINE_EFFICIENCY = Decimal("0.30")
PUMP_EFFICIENCY = Decimal("0.50")
ROUTES = ("diesel_litres", "pumped_volume", "shaft_energy")
AREA_UNITS = {"ha": Decimal(1), "mu": Decimal(1) / Decimal(15)}


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
        with localcontext(decimal_context()):
            return self._calculate(parameters, factors or emission_factors.shipped_factors())

    def _calculate(self, parameters: Mapping[str, Any], factors: FactorResolver) -> Calculation:
        r = Reader(f"{self.id}@{self.version}")
        p = r.mapping(parameters, ())
        area = r.mapping(p.get("irrigated_area"), ("irrigated_area",))
        area_value = r.number(area, "value", ("irrigated_area",), minimum=Decimal(0), exclusive_minimum=True)
        # no default unit: reading a per-mu figure per hectare is a factor of 15 (the Ghana claim)
        area_unit = r.text(area, "unit", ("irrigated_area",), choices=tuple(AREA_UNITS))
        years = r.number(
            p, "period_years", (), default=Decimal(1), minimum=Decimal(0), exclusive_minimum=True
        )
        head = r.number(p, "head_m", (), minimum=Decimal(0), exclusive_minimum=True)
        diesel = r.mapping(p.get("diesel", {}), ("diesel",))
        density = r.number(
            diesel,
            "density_kg_per_l",
            ("diesel",),
            default=DIESEL_DENSITY,
            minimum=Decimal("0.7"),
            maximum=Decimal("0.9"),
        )
        eta_engine = r.fraction(
            diesel, "engine_efficiency", ("diesel",), default=ENGINE_EFFICIENCY, positive=True
        )
        eta_pump = r.fraction(diesel, "pump_efficiency", ("diesel",), default=PUMP_EFFICIENCY, positive=True)
        baseline = r.mapping(p.get("baseline"), ("baseline",))
        route = r.text(baseline, "route", ("baseline",), choices=ROUTES)
        amount_key = {"diesel_litres": "diesel_litres", "pumped_volume": "volume_m3", "shaft_energy": "kwh"}
        amount = (
            r.number(baseline, amount_key[route], ("baseline",), minimum=Decimal(0)) if route else Decimal(0)
        )
        project = r.mapping(p.get("project", {}), ("project",))
        project_litres = r.number(
            project, "diesel_litres", ("project",), default=Decimal(0), minimum=Decimal(0)
        )
        leakage = r.mapping(p.get("leakage", {}), ("leakage",))
        share = r.fraction(leakage, "transferred_equipment_share", ("leakage",), default=Decimal(0))
        bounds = plausibility.read_bounds(
            r, p.get("plausibility"), ("plausibility",), plausibility.IRRIGATION_BOUNDS
        )
        r.finish()

        fuel = emission_factors.fuel_factor(factors, "diesel")
        area_ha = area_value * AREA_UNITS[area_unit]  # unit checked by the reader
        ef_litre = fuel.kg_co2_per_kg * density
        mj_litre = fuel.mj_per_kg * density
        lines: list[Line] = [
            Line(
                "A",
                area_ha,
                "ha",
                f"{plain(area_value)} {area_unit} (1 mu = 1/15 ha)",
                "Irrigated area",
                "灌溉面积",
                PHYSICS,
            ),
            Line("T", years, "yr", "monitoring period", "Period", "监测期", AMS),
            Line("h", head, "m", "total pumping head (parameter)", "Pumping head", "扬程", AMS),
            Line(
                "ρ_diesel",
                density,
                "kg/L",
                "EN 590 / GB 19147 range; parameter diesel.density_kg_per_l",
                "Diesel density",
                "柴油密度",
                "parameter",
            ),
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
        ]
        if route == "diesel_litres":
            litres = amount
            lines.append(
                Line(
                    "FC_BL",
                    litres,
                    "L",
                    "diesel displaced (activity data)",
                    "Baseline diesel",
                    "基线柴油用量",
                    AMS,
                )
            )
        else:
            if route == "pumped_volume":
                hydraulic_kwh = (
                    plausibility.RHO_WATER * plausibility.G * head * amount / plausibility.J_PER_KWH
                )
                shaft_kwh = hydraulic_kwh / eta_pump
                lines += [
                    Line("V", amount, "m³", "water pumped (activity data)", "Water pumped", "抽水量", AMS),
                    Line(
                        "E_hyd",
                        hydraulic_kwh,
                        "kWh",
                        "ρ_w g h V / 3.6×10^6",
                        "Hydraulic energy",
                        "水力能",
                        PHYSICS,
                    ),
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
            else:
                shaft_kwh = amount
                lines.append(
                    Line(
                        "E_shaft",
                        shaft_kwh,
                        "kWh",
                        "shaft energy delivered (activity data)",
                        "Shaft work",
                        "轴功",
                        AMS,
                    )
                )
            fuel_mj = shaft_kwh * Decimal("3.6") / eta_engine
            litres = fuel_mj / mj_litre
            lines += [
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
        baseline_t = litres * ef_litre / Decimal(1000)
        project_t = project_litres * ef_litre / Decimal(1000)
        leakage_t = share * baseline_t
        net_t = baseline_t - project_t - leakage_t
        lines += [
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
        ]
        figures = plausibility.irrigation_figures(
            diesel_litres=litres,
            area_ha=area_ha,
            years=years,
            head_m=head,
            diesel_mj_per_litre=mj_litre,
            overall_efficiency=eta_engine * eta_pump,
        )
        lines += [
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
        understood = {
            "irrigated_area": {"value": plain(area_value), "unit": area_unit},
            "period_years": plain(years),
            "head_m": plain(head),
            "baseline": {"route": route, amount_key[route]: plain(amount)},
            "diesel": {
                "density_kg_per_l": plain(density),
                "engine_efficiency": plain(eta_engine),
                "pump_efficiency": plain(eta_pump),
            },
            "project": {"diesel_litres": plain(project_litres)},
            "leakage": {"transferred_equipment_share": plain(share)},
            "factors": list(fuel.refs),
        }
        return Calculation(
            methodology=f"{self.id}@{self.version}",
            kind=self.kind,
            net_t=net_t,
            baseline_t=baseline_t,
            project_t=project_t,
            leakage_t=leakage_t,
            lines=tuple(lines),
            flags=plausibility.irrigation_flags(figures, bounds),
            parameters=understood,
        )
