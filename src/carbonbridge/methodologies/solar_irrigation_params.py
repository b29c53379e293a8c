"""The parameters of the AMS-I.B solar irrigation calculator (``solar_irrigation.py``), typed.

Units and ranges are in the field types; defaults are the cited values of ``solar_irrigation``.
The baseline's activity datum depends on its route: ``diesel_litres`` (L), ``volume_m3`` (m³ pumped)
or ``kwh`` (shaft energy), the one the route names being required.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator

from carbonbridge.methodologies.params import OneOf, Parameters, Quantity, rejection
from carbonbridge.methodologies.plausibility import BoundOverride, IrrigationCheck

#: diesel density (kg/L): EN 590:2013 allows 0.820–0.845 kg/L at 15 °C, GB 19147-2016 0.810–0.850
#: kg/L at 20 °C; 0.84 is the customary value near the top of both ranges.
DIESEL_DENSITY = Decimal("0.84")
#: small diesel engines convert 25–35 % of fuel energy to shaft work; irrigation centrifugal pumps
#: 50–70 % of shaft work to water (Fraenkel, FAO Irrigation and Drainage Paper 43, "Water lifting
#: devices", 1986, ch. 4); the low ends are used (conservative for the baseline).
ENGINE_EFFICIENCY = Decimal("0.30")
PUMP_EFFICIENCY = Decimal("0.50")
#: the baseline routes and the activity datum each reads
AMOUNT_KEY = {"diesel_litres": "diesel_litres", "pumped_volume": "volume_m3", "shaft_energy": "kwh"}
ROUTES = tuple(AMOUNT_KEY)
AREA_UNITS = {"ha": Decimal(1), "mu": Decimal(1) / Decimal(15)}

Efficiency = Annotated[Decimal, Quantity("1", gt=0, le=1)]
Share = Annotated[Decimal, Quantity("1", ge=0, le=1)]


class IrrigatedArea(Parameters):
    """The irrigated area; the unit has no default: a per-mu figure read per hectare is a factor of
    15 (the Ghana claim)."""

    value: Annotated[Decimal, Quantity("", gt=0)]
    unit: Annotated[str, OneOf(tuple(AREA_UNITS))]

    @property
    def hectares(self) -> Decimal:
        return self.value * AREA_UNITS[self.unit]


class Diesel(Parameters):
    """The baseline pumpset's fuel and efficiencies (FAO I&D Paper 43 defaults)."""

    density_kg_per_l: Annotated[Decimal, Quantity("kg/L", ge="0.7", le="0.9")] = DIESEL_DENSITY
    engine_efficiency: Efficiency = ENGINE_EFFICIENCY
    pump_efficiency: Efficiency = PUMP_EFFICIENCY


class Baseline(Parameters):
    """The diesel the baseline pumpset would have burnt, by one of :data:`ROUTES`."""

    route: Annotated[str, OneOf(ROUTES)]
    diesel_litres: Annotated[Decimal, Quantity("L", ge=0)] | None = Field(None, validate_default=True)
    volume_m3: Annotated[Decimal, Quantity("m³", ge=0)] | None = Field(None, validate_default=True)
    kwh: Annotated[Decimal, Quantity("kWh", ge=0)] | None = Field(None, validate_default=True)

    @field_validator("diesel_litres", "volume_m3", "kwh")
    @classmethod
    def _route_needs_it(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        route = info.data.get("route")
        if value is None and route is not None and AMOUNT_KEY[route] == info.field_name:
            raise rejection("required")
        return value

    @property
    def amount(self) -> Decimal:
        """The route's activity datum (litres, m³ or kWh)."""
        value = getattr(self, AMOUNT_KEY[self.route])
        return value if isinstance(value, Decimal) else Decimal(0)


class Project(Parameters):
    """Fossil fuel the project still burns (back-up diesel)."""

    diesel_litres: Annotated[Decimal, Quantity("L", ge=0)] = Decimal(0)


class Leakage(Parameters):
    """The share of baseline emissions that continues where pumps are transferred elsewhere."""

    transferred_equipment_share: Share = Decimal(0)


class SolarIrrigationParameters(Parameters):
    """Everything an AMS-I.B monitoring report gives (``docs/methodologies.md``)."""

    irrigated_area: IrrigatedArea
    period_years: Annotated[Decimal, Quantity("yr", gt=0)] = Decimal(1)
    head_m: Annotated[Decimal, Quantity("m", gt=0)]
    diesel: Diesel = Diesel()
    baseline: Baseline
    project: Project = Project()
    leakage: Leakage = Leakage()
    plausibility: dict[IrrigationCheck, BoundOverride] = Field(default_factory=dict)
