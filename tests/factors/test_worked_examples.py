"""Worked checks from /work/shared/reference/README.md, computed from the shipped rows with
``Decimal`` and ``kernel.units`` conversions (the unit algebra is spelled out in each test)."""

from __future__ import annotations

from decimal import Decimal, localcontext

from carbonbridge.factors.datasets import builtin_datasets
from carbonbridge.factors.model import FactorQuery, Parameter
from carbonbridge.factors.resolution import FactorLibrary
from carbonbridge.kernel.exact import decimal_context, quantize
from carbonbridge.kernel.units import conversion_factor

LIBRARY = FactorLibrary(builtin_datasets())
C_TO_CO2 = Decimal(44) / Decimal(12)


def _value(parameter: Parameter, activity: str, dataset: str, gas: str | None = None) -> tuple[Decimal, str]:
    query = FactorQuery(parameter, activity, gas=gas, region="CN", datasets=(dataset,))
    factor = LIBRARY.resolve(query).factor
    return factor.value, factor.unit


def test_mee_natural_gas_100000_nm3_emits_216_2_t_co2() -> None:
    """China MEE guideline formula E = AD x NCV x CC x OF x 44/12 (reference README worked check).

    Nm3 x GJ/(10^4 Nm3) -> GJ;  GJ x t(C)/TJ -> t(C) after GJ->TJ;  x OF;  x 44/12 -> t CO2.
    """
    activity_nm3 = Decimal(100_000)
    ncv, ncv_unit = _value(Parameter.NET_CALORIFIC_VALUE, "fuel.natural_gas", "cn-mee-fuel-defaults")
    cc, cc_unit = _value(Parameter.CARBON_CONTENT, "fuel.natural_gas", "cn-mee-fuel-defaults")
    of, _ = _value(Parameter.OXIDATION_FACTOR, "fuel.natural_gas", "cn-mee-fuel-defaults")
    with localcontext(decimal_context()):
        energy_gj = activity_nm3 * ncv * conversion_factor(ncv_unit, "GJ/Nm3")
        carbon_t = energy_gj * conversion_factor("GJ", "TJ") * cc * conversion_factor(cc_unit, "t/TJ")
        co2_t = carbon_t * of * C_TO_CO2
    assert energy_gj == Decimal("3893.1")
    assert quantize(carbon_t, 2) == Decimal("59.56")
    assert quantize(co2_t, 1) == Decimal("216.2")


def test_ipcc_diesel_one_tonne_emits_3186_30_kg_co2_from_the_table_factor() -> None:
    """IPCC 2006 Vol.2: 1 t gas/diesel oil x 43.0 TJ/Gg x 74,100 kg/TJ = 3,186.30 kg CO2
    (the table-factor path; the carbon-content path gives 3,184.87 kg)."""
    query_ncv = FactorQuery(Parameter.NET_CALORIFIC_VALUE, "fuel.diesel", datasets=("ipcc-2006-v2-energy",))
    query_ef = FactorQuery(
        Parameter.EMISSION_FACTOR, "fuel.diesel", gas="CO2", datasets=("ipcc-2006-v2-energy",)
    )
    ncv = LIBRARY.resolve(query_ncv).factor
    ef = LIBRARY.resolve(query_ef).factor
    with localcontext(decimal_context()):
        # t -> Gg, x TJ/Gg -> TJ, x kg/TJ -> kg
        energy_tj = (
            Decimal(1) * conversion_factor("t", "Gg") * ncv.value * conversion_factor(ncv.unit, "TJ/Gg")
        )
        co2_kg = energy_tj * ef.value * conversion_factor(ef.unit, "kg/TJ")
    assert energy_tj == Decimal("0.043")
    assert quantize(co2_kg, 2) == Decimal("3186.30")
