"""The parameters of the AMS-III.C electric logistics vehicles calculator (``ev_fleet.py``), typed.

Units and ranges are in the field types; the fuel density defaults to the displaced fuel's
(:data:`DENSITY`), the charging efficiency to :data:`CHARGING_EFFICIENCY`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field

from carbonbridge.methodologies.params import OneOf, Parameters, Quantity, Text, WholeNumber
from carbonbridge.methodologies.plausibility import BoundOverride, VehicleCheck

#: fuel densities (kg/L): diesel EN 590 0.820–0.845, GB 19147 0.810–0.850; petrol EN 228
#: 0.720–0.775 at 15 °C, GB 17930 0.720–0.775 at 20 °C
DENSITY = {"diesel": Decimal("0.84"), "motor_gasoline": Decimal("0.74")}
#: share of the energy drawn at the charger that reaches the battery (AC charging of light EVs
#: loses roughly 10 %; parameter)
CHARGING_EFFICIENCY = Decimal("0.90")


class VehicleBaseline(Parameters):
    """The displaced vehicle class: fuel, specific consumption, technology improvement."""

    fuel: Annotated[str, OneOf(tuple(DENSITY))] = "diesel"
    fuel_l_per_100km: Annotated[Decimal, Quantity("L/100 km", gt=0)]
    density_kg_per_l: Annotated[Decimal, Quantity("kg/L", ge="0.6", le="0.9")] | None = None
    improvement_factor: Annotated[Decimal, Quantity("1", ge="0.5", le=1)] = Decimal(1)
    years: Annotated[int, WholeNumber(0, 50)] = 0

    @property
    def density(self) -> Decimal:
        """ρ_fuel: as given, else the displaced fuel's customary density."""
        return self.density_kg_per_l if self.density_kg_per_l is not None else DENSITY[self.fuel]


class Charging(Parameters):
    """Electricity charged to the project fleet and where it was metered."""

    electricity_kwh: Annotated[Decimal, Quantity("kWh", ge=0)]
    metered_at: Annotated[str, OneOf(("charger", "battery"))] = "charger"
    charging_efficiency: Annotated[Decimal, Quantity("1", gt=0, le=1)] = CHARGING_EFFICIENCY
    transmission_loss: Annotated[Decimal, Quantity("1", ge=0, le=1)] = Decimal(0)


class VehicleLeakage(Parameters):
    """Displaced vehicles kept in service elsewhere, as a share of baseline emissions."""

    share: Annotated[Decimal, Quantity("1", ge=0, le=1)] = Decimal(0)


class ElectricFleetParameters(Parameters):
    """Everything an AMS-III.C monitoring report gives (``docs/methodologies.md``)."""

    region: Annotated[str, Text()]
    year: Annotated[int, WholeNumber(1990, 2100)]
    vehicles: Annotated[Decimal, Quantity("vehicles", ge=0)]
    operating_days: Annotated[Decimal, Quantity("days", ge=0, le=366)]
    distance_km: Annotated[Decimal, Quantity("km", ge=0)]
    baseline: VehicleBaseline
    project: Charging
    leakage: VehicleLeakage = VehicleLeakage()
    plausibility: dict[VehicleCheck, BoundOverride] = Field(default_factory=dict)
