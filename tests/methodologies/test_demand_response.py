"""DR-AVOIDED placeholder: the Shenzhen VPP worked example."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carbonbridge.kernel.errors import InvalidInput
from carbonbridge.methodologies.demand_response import DemandResponse

CALC = DemandResponse()


def test_shenzhen_vpp_worked_example() -> None:
    """Shenzhen VPP (seeds_figures.md): 4.18 million kWh = 4,180 MWh × 0.836 t/MWh = 3,494.48 t ≈ 3,494 t."""
    calc = CALC.calculate(CALC.example())
    assert calc.net_t == Decimal("3494.480")
    assert round(calc.net_t) == 3494
    factor = next(ln for ln in calc.lines if ln.name == "EF_DR")
    assert "Shenzhen VPP" in factor.equation


def test_factor_without_provenance_is_rejected() -> None:
    with pytest.raises(InvalidInput) as caught:
        CALC.calculate({"regulated_energy_mwh": "10", "grid_factor": {"value": "0.8"}})
    assert [i.location for i in caught.value.issues] == [("grid_factor", "source")]
