"""Demand response: the placeholder interface the virtual-power-plant work will fill.

Avoided emissions of verified demand-response events:

    AE = E_reg × EF_DR        (t CO2 = MWh × t CO2/MWh)

``E_reg`` is the verified regulated energy (调节电量) of the monitoring period and ``EF_DR`` an
avoided-emission factor that must be given *with its provenance* (no default: which factor applies to
shifted or shed load — marginal, build margin, regional average — is exactly what the VPP issue has
to settle). Worked example: the Shenzhen VPP management centre reports about 4.18 million kWh
regulated and about 3,494 t CO2 reduced, i.e. 0.836 t CO2/MWh (shared/reference/seeds_figures.md).

This is not a published methodology: lines are marked ``carbonbridge placeholder``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, localcontext
from typing import Annotated, Any

from carbonbridge.kernel.exact import decimal_context
from carbonbridge.methodologies.model import Calculation, Kind, Line
from carbonbridge.methodologies.params import OneOf, Parameters, Quantity, Text, parse, plain

PLACEHOLDER = "carbonbridge placeholder (no published methodology)"


class AvoidedEmissionFactor(Parameters):
    """EF_DR with its provenance: no default (which factor applies to shifted or shed load is the
    VPP issue's to settle)."""

    value: Annotated[Decimal, Quantity("t CO2/MWh", ge=0, le=2)]
    unit: Annotated[str, OneOf(("t CO2/MWh",))] = "t CO2/MWh"
    source: Annotated[str, Text()]


class DemandResponseParameters(Parameters):
    """Verified regulated energy and the avoided-emission factor."""

    regulated_energy_mwh: Annotated[Decimal, Quantity("MWh", ge=0)]
    grid_factor: AvoidedEmissionFactor


class DemandResponse:
    """Demand-response avoided emissions (module docstring)."""

    id: str = "DR-AVOIDED"
    version: str = "0.1"
    kind: Kind = Kind.REDUCTION
    title_en: str = "Demand response avoided emissions (placeholder)"
    title_zh: str = "需求响应避免排放（占位）"

    def example(self) -> Mapping[str, Any]:
        """The Shenzhen VPP's cumulative figures (seed report)."""
        return {
            "regulated_energy_mwh": "4180",
            "grid_factor": {
                "value": "0.836",
                "unit": "t CO2/MWh",
                "source": "Shenzhen VPP management centre, cumulative: ~3,494 t CO2 / ~4.18 million kWh",
            },
        }

    def calculate(self, parameters: Mapping[str, Any]) -> Calculation:
        p = parse(DemandResponseParameters, parameters, f"{self.id}@{self.version}")
        with localcontext(decimal_context()):
            return self.compute(p)

    def compute(self, p: DemandResponseParameters) -> Calculation:
        """AE = E_reg × EF_DR (t CO2; module docstring), placeholder for the VPP settlement."""
        energy, ef, source = p.regulated_energy_mwh, p.grid_factor.value, p.grid_factor.source
        avoided = energy * ef
        lines = (
            Line(
                "E_reg",
                energy,
                "MWh",
                "verified regulated energy",
                "Verified regulated energy",
                "核证调节电量",
                PLACEHOLDER,
            ),
            Line("EF_DR", ef, "t CO2/MWh", source, "Avoided-emission factor", "避免排放因子", "parameter"),
            Line("AE", avoided, "t CO2", "E_reg × EF_DR", "Avoided emissions", "避免排放", PLACEHOLDER),
        )
        return Calculation(
            methodology=f"{self.id}@{self.version}",
            kind=self.kind,
            net_t=avoided,
            baseline_t=avoided,
            project_t=Decimal(0),
            leakage_t=Decimal(0),
            lines=lines,
            parameters={
                "regulated_energy_mwh": plain(energy),
                "grid_factor": {"value": plain(ef), "unit": "t CO2/MWh", "source": source},
            },
        )
