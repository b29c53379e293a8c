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
from typing import Any

from carbonbridge.kernel.exact import decimal_context
from carbonbridge.methodologies.model import Calculation, Kind, Line
from tests.methodologies.legacy.params import Reader, plain

PLACEHOLDER = "carbonbridge placeholder (no published methodology)"


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
        with localcontext(decimal_context()):
            r = Reader(f"{self.id}@{self.version}")
            p = r.mapping(parameters, ())
            energy = r.number(p, "regulated_energy_mwh", (), minimum=Decimal(0))
            factor = r.mapping(p.get("grid_factor"), ("grid_factor",))
            ef = r.number(factor, "value", ("grid_factor",), minimum=Decimal(0), maximum=Decimal(2))
            r.text(factor, "unit", ("grid_factor",), choices=("t CO2/MWh",), default="t CO2/MWh")
            source = r.text(factor, "source", ("grid_factor",))
            r.finish()
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
                Line(
                    "EF_DR", ef, "t CO2/MWh", source, "Avoided-emission factor", "避免排放因子", "parameter"
                ),
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
