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

AMS = "AMS-III.C v16.0 logic"

#: fuel densities (kg/L): diesel EN 590 0.820–0.845, GB 19147 0.810–0.850; petrol EN 228
#: 0.720–0.775 at 15 °C, GB 17930 0.720–0.775 at 20 °C
DENSITY = {"diesel": Decimal("0.84"), "motor_gasoline": Decimal("0.74")}
#: share of the energy drawn at the charger that reaches the battery (AC charging of light EVs
#: loses roughly 10 %; parameter)
CHARGING_EFFICIENCY = Decimal("0.90")


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
        with localcontext(decimal_context()):
            return self._calculate(parameters, factors or emission_factors.shipped_factors())

    def _calculate(self, parameters: Mapping[str, Any], factors: FactorResolver) -> Calculation:
        r = Reader(f"{self.id}@{self.version}")
        p = r.mapping(parameters, ())
        region = r.text(p, "region", ())
        year = r.integer(p, "year", (), minimum=1990, maximum=2100)
        vehicles = r.number(p, "vehicles", (), minimum=Decimal(0))
        days = r.number(p, "operating_days", (), minimum=Decimal(0), maximum=Decimal(366))
        distance = r.number(p, "distance_km", (), minimum=Decimal(0))
        base = r.mapping(p.get("baseline"), ("baseline",))
        fuel = r.text(base, "fuel", ("baseline",), choices=tuple(DENSITY), default="diesel")
        sfc = r.number(base, "fuel_l_per_100km", ("baseline",), minimum=Decimal(0), exclusive_minimum=True)
        density = r.number(
            base,
            "density_kg_per_l",
            ("baseline",),
            default=DENSITY.get(fuel, DENSITY["diesel"]),
            minimum=Decimal("0.6"),
            maximum=Decimal("0.9"),
        )
        ir = r.number(
            base,
            "improvement_factor",
            ("baseline",),
            default=Decimal(1),
            minimum=Decimal("0.5"),
            maximum=Decimal(1),
        )
        ir_years = r.integer(base, "years", ("baseline",), minimum=0, maximum=50) if "years" in base else 0
        proj = r.mapping(p.get("project"), ("project",))
        electricity = r.number(proj, "electricity_kwh", ("project",), minimum=Decimal(0))
        metered_at = r.text(
            proj, "metered_at", ("project",), choices=("charger", "battery"), default="charger"
        )
        eta = r.fraction(
            proj, "charging_efficiency", ("project",), default=CHARGING_EFFICIENCY, positive=True
        )
        tdl = r.fraction(proj, "transmission_loss", ("project",), default=Decimal(0))
        leak = r.mapping(p.get("leakage", {}), ("leakage",))
        share = r.fraction(leak, "share", ("leakage",), default=Decimal(0))
        bounds = plausibility.read_bounds(r, p.get("plausibility"), ("plausibility",), plausibility.EV_BOUNDS)
        r.finish()

        fuel_factor = emission_factors.fuel_factor(factors, fuel, road=True)
        grid, grid_line = emission_factors.grid_factor(factors, region, year)
        ef_km = sfc / Decimal(100) * density * fuel_factor.kg_co2_per_kg * ir**ir_years
        baseline_t = ef_km * distance / Decimal(1000)
        at_charger = electricity if metered_at == "charger" else electricity / eta
        grid_kwh = at_charger * (Decimal(1) + tdl)
        project_t = grid_kwh * grid / Decimal(1000)
        leakage_t = share * baseline_t
        net_t = baseline_t - project_t - leakage_t
        lines = [
            Line(
                "DD_y",
                distance,
                "km",
                "distance driven by the project vehicles (monitored)",
                "Distance driven",
                "行驶里程",
                AMS,
            ),
            Line("N", vehicles, "vehicles", "project vehicles in operation", "Vehicles", "车辆数", AMS),
            Line(
                "SFC",
                sfc,
                "L/100 km",
                f"displaced {fuel} vehicle class (parameter)",
                "Baseline fuel consumption",
                "基线车辆油耗",
                AMS,
            ),
            Line(
                "ρ_fuel",
                density,
                "kg/L",
                "EN 590 / EN 228 ranges; parameter baseline.density_kg_per_l",
                "Fuel density",
                "燃料密度",
                "parameter",
            ),
            *fuel_factor.lines,
            Line(
                "IR",
                ir,
                "1",
                f"technology improvement factor, applied ^{ir_years}",
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
            Line(
                "EC_y",
                electricity,
                "kWh",
                f"electricity metered at the {metered_at}",
                "Electricity charged",
                "充电量",
                AMS,
            ),
            Line(
                "EC_grid",
                grid_kwh,
                "kWh",
                "EC × (1 + TDL)" if metered_at == "charger" else "EC / η_charge × (1 + TDL)",
                "Electricity drawn from the grid (incl. charging and transmission losses)",
                "自电网取电量（含充电及输配损耗）",
                AMS,
            ),
            grid_line,
            Line(
                "PE_y", project_t, "t CO2", "EC_grid × EF_grid / 1000", "Project emissions", "项目排放", AMS
            ),
            Line("LE_y", leakage_t, "t CO2", "share × BE_y", "Leakage", "泄漏", AMS),
            Line("ER_y", net_t, "t CO2", "BE_y − PE_y − LE_y", "Emission reductions", "减排量", AMS),
        ]
        flags = plausibility.vehicle_flags(
            distance_km=distance, vehicle_days=vehicles * days, electricity_kwh=grid_kwh, bounds=bounds
        )
        understood = {
            "region": region,
            "year": year,
            "vehicles": plain(vehicles),
            "operating_days": plain(days),
            "distance_km": plain(distance),
            "baseline": {
                "fuel": fuel,
                "fuel_l_per_100km": plain(sfc),
                "density_kg_per_l": plain(density),
                "improvement_factor": plain(ir),
                "years": ir_years,
            },
            "project": {
                "electricity_kwh": plain(electricity),
                "metered_at": metered_at,
                "charging_efficiency": plain(eta),
                "transmission_loss": plain(tdl),
            },
            "leakage": {"share": plain(share)},
            "factors": [*fuel_factor.refs, grid_line.source],
        }
        return Calculation(
            methodology=f"{self.id}@{self.version}",
            kind=self.kind,
            net_t=net_t,
            baseline_t=baseline_t,
            project_t=project_t,
            leakage_t=leakage_t,
            lines=tuple(lines),
            flags=flags,
            parameters=understood,
        )
