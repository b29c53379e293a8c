"""The emission factors the calculators take from the ``factors`` context, with provenance.

Every factor a calculator uses is resolved through a
:class:`~carbonbridge.factors.model.FactorResolver` (by default the datasets shipped with the
platform and its plug-ins, built without a database) and recorded in a :class:`Line` whose
``source`` is ``dataset@version#row``. Nothing is guessed: a missing factor is the resolver's
:class:`~carbonbridge.kernel.errors.FactorNotFound`.

Paths (the reference README notes the IPCC CO2 factors are rounded; this module uses the
*table-factor* path): fuel CO2 per kg = EF_CO2 (kg/TJ, IPCC 2006 Vol.2 Ch.1 Table 1.4, or Ch.3
Table 3.2.1 for road transport) × NCV (TJ/Gg, Table 1.2) / 10^6. Per litre it is further × the
fuel's density, which no shipped dataset publishes, so density is a calculator parameter with its
own citation.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from carbonbridge.factors.datasets import plugin_datasets
from carbonbridge.factors.model import FactorQuery, FactorResolver, Parameter, Resolution
from carbonbridge.factors.resolution import FactorLibrary
from carbonbridge.kernel.errors import FieldIssue, InvalidInput
from carbonbridge.methodologies.model import Line

IPCC_ENERGY = "ipcc-2006-v2-energy"
GRID_SERIES_B = "cn-mee-nbs-electricity-co2"
GWP_DATASET = "ipcc-gwp100"

#: fuels a calculator may name, with the activity codes of the IPCC 2006 energy dataset
FUELS: dict[str, tuple[str, str]] = {
    # name: (stationary activity, road-transport activity)
    "diesel": ("fuel.diesel", "mobile.diesel"),
    "motor_gasoline": ("fuel.motor_gasoline", "mobile.motor_gasoline"),
}


@cache
def shipped_factors() -> FactorResolver:
    """The built-in and plug-in factor datasets (no database): the calculators' default when they
    are called without the region's library (``methodologies.service`` passes it).

    The one place this context reaches past ``factors.model``: a pure module cannot import
    ``factors.service`` (its use cases import SQLAlchemy, which the pure-core contract forbids
    here, also indirectly), and the concrete library is ``factors.resolution.FactorLibrary``.
    Everything else in this module takes the public :class:`~carbonbridge.factors.model.FactorResolver`.
    """
    return FactorLibrary([(d, list(f)) for d, f in plugin_datasets()])


def _expect_unit(resolution: Resolution, unit: str) -> Decimal:
    factor = resolution.factor
    if factor.unit != unit:
        raise InvalidInput(
            f"factor {factor.key} is in {factor.unit}, the calculator needs {unit}",
            [FieldIssue(("factors", factor.key), factor.unit, f"expected {unit}")],
        )
    return factor.value


@dataclass(frozen=True)
class FuelFactor:
    """CO2 of one kilogram of a fuel and the fuel's energy content, with the lines that show how."""

    kg_co2_per_kg: Decimal
    mj_per_kg: Decimal
    lines: tuple[Line, ...]
    refs: tuple[str, ...]


def fuel_factor(factors: FactorResolver, fuel: str, *, road: bool = False) -> FuelFactor:
    """EF_CO2 × NCV for ``fuel`` (IPCC 2006 table-factor path; road transport EF when ``road``)."""
    stationary, mobile = FUELS[fuel]
    ncv = factors.resolve(FactorQuery(Parameter.NET_CALORIFIC_VALUE, stationary, datasets=(IPCC_ENERGY,)))
    ef = factors.resolve(
        FactorQuery(
            Parameter.EMISSION_FACTOR,
            mobile if road else stationary,
            gas="CO2",
            sector="road_transport" if road else None,
            datasets=(IPCC_ENERGY,),
        )
    )
    ncv_tj_per_gg = _expect_unit(ncv, "TJ/Gg")  # = MJ/kg
    ef_kg_per_tj = _expect_unit(ef, "kg/TJ")
    per_kg = ef_kg_per_tj * ncv_tj_per_gg / Decimal(1_000_000)
    lines = (
        Line(
            "NCV_" + fuel,
            ncv_tj_per_gg,
            "MJ/kg",
            f"{ncv.factor.citation()}",
            f"Net calorific value of {fuel}",
            f"{fuel} 低位发热量",
            ncv.factor.key,
        ),
        Line(
            "EF_CO2," + fuel,
            ef_kg_per_tj,
            "kg CO2/TJ",
            f"{ef.factor.citation()}",
            f"CO2 emission factor of {fuel}",
            f"{fuel} CO2 排放因子",
            ef.factor.key,
        ),
        Line(
            "EF_" + fuel + ",kg",
            per_kg,
            "kg CO2/kg",
            "EF_CO2 × NCV / 10^6 (IPCC 2006 Vol.2 Ch.1 eq. 1.1, table-factor path)",
            f"CO2 per kilogram of {fuel}",
            f"每千克{fuel}的CO2排放",
            f"{ef.factor.key}; {ncv.factor.key}",
        ),
    )
    return FuelFactor(per_kg, ncv_tj_per_gg, lines, (ef.factor.key, ncv.factor.key))


def grid_factor(factors: FactorResolver, region: str, year: int) -> tuple[Decimal, Line]:
    """The location-based grid CO2 factor (t/MWh = kg/kWh) for ``region`` and ``year`` from the
    MEE/NBS statistical series (series B), never mixed with the reporting series A."""
    resolution = factors.resolve(
        FactorQuery(
            Parameter.EMISSION_FACTOR,
            "electricity.grid",
            gas="CO2",
            region=region,
            year=year,
            variant="location",
            datasets=(GRID_SERIES_B,),
        )
    )
    value = _expect_unit(resolution, "t/MWh")
    factor = resolution.factor
    return value, Line(
        "EF_grid",
        value,
        "t CO2/MWh",
        f"{factor.citation()} ({factor.region} {factor.year})",
        f"Grid emission factor, {factor.region} {factor.year} (series B)",
        f"电网排放因子，{factor.region} {factor.year}（统计口径B）",
        factor.key,
    )


def gwp(factors: FactorResolver, gas: str, gwp_set: str) -> tuple[Decimal, Line]:
    """The 100-year GWP of ``gas`` in ``gwp_set`` (AR4, AR5, AR6)."""
    resolution = factors.resolve(
        FactorQuery(Parameter.GWP, "gwp", gas=gas, variant=gwp_set, datasets=(GWP_DATASET,))
    )
    value = resolution.factor.value
    return value, Line(
        f"GWP_{gas}",
        value,
        "t CO2e/t",
        resolution.factor.citation(),
        f"GWP-100 of {gas} ({gwp_set})",
        f"{gas} 全球增温潜势（{gwp_set}）",
        resolution.factor.key,
    )
