"""Worked examples for the inputs people actually have (issue 10 §1), computed with the shipped
factor library: raw coal under the MEE guideline, natural gas in every unit, litres of liquid fuels,
and the energy industries (IPCC 1.A.1).

Sources of the figures (all shipped rows, ``src/carbonbridge/factors/data``):

* MEE: 工业其他行业企业温室气体排放核算方法与报告指南（试行）附录二 表2.1 (``cn-mee-fuel-defaults``):
  raw coal NCV 20.908 GJ/t, CC 26.37 t C/TJ, OF 0.94; natural gas NCV 389.31 GJ/10^4 Nm³, CC 15.3,
  OF 0.99; diesel 42.652 GJ/t, 20.2, 0.98.
* IPCC 2006 Vol.2 Ch.1 Tables 1.2 (NCV) and 1.4 (CO2), Ch.2 Tables 2.2 (energy industries) and 2.4
  (commercial/institutional) CH4/N2O (``ipcc-2006-v2-energy``).
* UNSD 2004 Energy Statistics Yearbook, conversion factors, litres per metric ton
  (``unsd-energy-conversion``): gas diesel oil 1149, motor gasolene 1351, kerosene 1235, jet fuel
  1235, liquefied petroleum gas 1852, residual fuel oil 1053.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from babel.messages.pofile import read_po

from carbonbridge.accounting import calculation, regional
from carbonbridge.accounting.engine import calculate, combustion_sectors
from carbonbridge.accounting.frameworks import check_placeable, cn_mee, ghg_protocol, iso14064
from carbonbridge.accounting.model import Basis, Organisation, OrganisationKind, RecordEmissions
from carbonbridge.factors.datasets import builtin_datasets
from carbonbridge.factors.model import GwpSet
from carbonbridge.factors.resolution import FactorLibrary
from carbonbridge.kernel.errors import UnitMismatch
from carbonbridge.kernel.exact import quantize
from tests.accounting.conftest import ORG, record

D = Decimal
LIBRARY = FactorLibrary(builtin_datasets())
COMMERCIAL = "commercial_institutional"
C_TO_CO2 = D(44) / D(12)


def run(activity: str, quantity: str, unit: str, sector: str = COMMERCIAL) -> RecordEmissions:
    return calculate(record(activity, quantity, unit), LIBRARY, GwpSet.AR6, sector=sector)


def co2(e: RecordEmissions, basis: Basis) -> Decimal:
    return next(g.kg for g in e.gases(basis) if g.gas == "CO2")


def mg(value: Decimal) -> Decimal:
    return quantize(value, 6)


def keys(e: RecordEmissions, basis: Basis) -> set[str]:
    return {u.key for u in e.traces[basis].factors}


# --- raw coal under the MEE guideline -------------------------------------------------------------


def test_raw_coal_under_cn_mee_uses_the_guideline_defaults_only() -> None:
    """MEE guideline 附录二 表2.1, 原煤: 100 t × 20.908 GJ/t = 2,090.8 GJ = 2.0908 TJ; × 26.37 t C/TJ
    = 55.134396 t C; × 0.94 = 51.82633224 t C; × 44/12 = 190.02988488 t CO2."""
    e = run("fuel.raw_coal", "100", "t")

    assert co2(e, Basis.MEE) == D("190029.884880")
    assert keys(e, Basis.MEE) == {
        "cn-mee-fuel-defaults@2015#A2-raw_coal-ncv",
        "cn-mee-fuel-defaults@2015#A2-raw_coal-cc",
        "cn-mee-fuel-defaults@2015#A2-raw_coal-of",
    }
    assert cn_mee(ORG, [e]).line("fuel_combustion").co2e_kg == D("190029.884880")


def test_raw_coal_ipcc_basis_is_tier_2_and_says_why() -> None:
    """IPCC 2006 has no 'raw coal' fuel type: the IPCC basis takes the national parameters
    (Tier 2, Vol.2 Ch.2 §2.3.1); CH4 and N2O, published per coal type only, are not guessed."""
    e = run("fuel.raw_coal", "100", "t")
    trace = e.traces[Basis.IPCC]

    assert co2(e, Basis.IPCC) == co2(e, Basis.MEE)
    assert trace.equation_id == "IPCC 2006 Vol.2 Ch.2 §2.3.1 Tier 2"
    assert "publishes no Tier 1 CO2 factor for fuel.raw_coal" in trace.notes[0]
    assert any(n.startswith("CH4: IPCC 2006 Tables 2.2-2.5 publish no factor") for n in trace.notes)
    assert [g.gas for g in e.gases(Basis.IPCC)] == ["CO2"]
    check_placeable(e)  # every framework view takes it: intake accepts raw coal
    assert ghg_protocol(ORG, [e]).total_co2e_kg == D("190029.884880")


# --- natural gas in t, Nm3, m3, GJ, kWh -----------------------------------------------------------

NG_NCV_MEE = D("389.31") / D(10_000)  # GJ per Nm3
NG_CC, NG_OF = D("15.3"), D("0.99")


def mee_co2_of_gj(gj: Decimal) -> Decimal:
    """MEE: GJ / 1000 = TJ; × CC t C/TJ × 1000 kg/t; × OF; × 44/12 (kg CO2)."""
    return gj * NG_CC * NG_OF * C_TO_CO2


@pytest.mark.parametrize(
    ("quantity", "unit", "gj"),
    [
        ("10000", "Nm3", D(10_000) * NG_NCV_MEE),  # 389.31 GJ: the guideline's own unit
        ("1", "10^4 Nm3", D("389.31")),
        ("29315", "m3", D(27_315) * NG_NCV_MEE),  # 29,315 m³ at 20 °C × 273.15/293.15 = 27,315 Nm³
        ("389.31", "GJ", D("389.31")),
        ("1000000", "kWh", D(3600)),  # 1 kWh = 3.6 MJ
    ],
)
def test_natural_gas_computes_in_every_unit_and_framework(quantity: str, unit: str, gj: Decimal) -> None:
    e = run("fuel.natural_gas", quantity, unit)

    assert co2(e, Basis.MEE) == mg(mee_co2_of_gj(gj))
    for view in (ghg_protocol(ORG, [e]), iso14064(ORG, [e]), cn_mee(ORG, [e])):
        assert view.total_co2e_kg > 0


def test_natural_gas_in_cubic_metres_states_its_reference_conditions() -> None:
    e = run("fuel.natural_gas", "29315", "m3")

    step = e.traces[Basis.MEE].conversions[0]
    assert "20 °C and 101.325 kPa" in step
    assert "= 27315 Nm3 (0 °C, 101.325 kPa; ideal-gas correction)" in step


def test_natural_gas_in_tonnes_ipcc_ncv_per_mass_and_the_mee_trace_says_why() -> None:
    """IPCC 2006 Table 1.2 natural gas 48.0 TJ/Gg: 10 t = 0.48 TJ; × 56,100 kg/TJ = 26,928 kg CO2
    (Table 1.4). The MEE NCV is per 10^4 Nm³ and no density of natural gas is shipped, so the MEE
    path takes that energy and its own CC and OF: 0.48 × 15.3 × 0.99 × 44/12 = 26,658.72 kg."""
    e = run("fuel.natural_gas", "10", "t")

    assert co2(e, Basis.IPCC) == D("26928.000000")
    assert co2(e, Basis.MEE) == D("26658.720000")
    mee = e.traces[Basis.MEE]
    assert "ipcc-2006-v2-energy@2006#T1.2-natural_gas-ncv" in keys(e, Basis.MEE)
    assert "cn-mee-fuel-defaults@2015#A2-natural_gas-cc" in keys(e, Basis.MEE)
    assert "energy from the IPCC path's NCV" in mee.notes[0]
    assert "no density of fuel.natural_gas is published" in mee.notes[0]


def test_energy_units_say_which_calorific_basis() -> None:
    e = run("fuel.natural_gas", "389.31", "GJ")
    assert e.traces[Basis.IPCC].conversions[0] == (
        "389.31 GJ = 0.38931 TJ (energy as reported, read on the net (lower) calorific basis of the factors)"
    )


# --- litres of liquid fuels -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("activity", "litres_per_t", "ncv_tj_per_gg", "ef_kg_per_tj"),
    [
        ("fuel.diesel", "1149", "43.0", "74100"),
        ("fuel.motor_gasoline", "1351", "44.3", "69300"),
        ("fuel.other_kerosene", "1235", "43.8", "71900"),
        ("fuel.jet_kerosene", "1235", "44.1", "71500"),
        ("fuel.lpg", "1852", "47.3", "63100"),
        ("fuel.residual_fuel_oil", "1053", "40.4", "77400"),
        ("mobile.diesel", "1149", "43.0", "74100"),
    ],
)
def test_litres_convert_with_the_unsd_density(
    activity: str, litres_per_t: str, ncv_tj_per_gg: str, ef_kg_per_tj: str
) -> None:
    """E_CO2 = L ÷ (L/t) × NCV (TJ/Gg = GJ/t, /1000 → TJ) × EF (kg/TJ); e.g. 1,000 L diesel
    = 0.870322 t × 0.043 TJ/t = 0.0374238 TJ × 74,100 = 2,773.107 kg CO2."""
    e = run(activity, "1000", "L")

    tonnes = D(1000) / D(litres_per_t)
    expected = tonnes * D(ncv_tj_per_gg) / D(1000) * D(ef_kg_per_tj)
    assert co2(e, Basis.IPCC) == mg(expected)
    fuel = activity.split(".", 1)[1]
    assert any(k.startswith("unsd-energy-conversion@2004#") for k in keys(e, Basis.IPCC)), fuel
    assert f"1000 L with density {litres_per_t} L/t" in " ".join(e.traces[Basis.IPCC].conversions)


def test_litres_of_diesel_under_the_mee_guideline() -> None:
    """1,000 L ÷ 1,149 L/t = 0.8703220 t × 42.652 GJ/t (MEE) × 20.2 t C/TJ × 0.98 × 44/12."""
    e = run("fuel.diesel", "1000", "L")

    tonnes = D(1000) / D(1149)
    expected = tonnes * D("42.652") * D("20.2") * D("0.98") * C_TO_CO2
    assert co2(e, Basis.MEE) == mg(expected)
    assert "cn-mee-fuel-defaults@2015#A2-diesel-ncv" in keys(e, Basis.MEE)


def test_a_volume_of_a_solid_fuel_names_field_value_and_the_missing_density() -> None:
    with pytest.raises(UnitMismatch) as caught:
        calculate(record("fuel.coke", "5", "L", rid="row-9"), LIBRARY, GwpSet.AR6, sector=COMMERCIAL)

    assert caught.value.detail.startswith("record row-9: fuel.coke reported in 'L', a volume (L, m3), cannot")
    assert "#T1.2-coke-ncv (TJ/Gg) applies to a mass (t, kg)" in caught.value.detail
    assert "no density of fuel.coke is published" in caught.value.detail
    [issue] = caught.value.issues
    assert (issue.location, issue.value) == (("unit",), "L")
    assert issue.reason == (
        "report fuel.coke in an energy unit (GJ, TJ, kWh) or in a mass (t, kg), or import a density for it"
    )


# --- energy industries (IPCC 1.A.1) ---------------------------------------------------------------

POWER = Organisation("org-power", "Coastal Power", "滨海电厂", OrganisationKind.ENERGY_INDUSTRIES, "CN-HI")


def test_power_plant_takes_table_2_2_factors() -> None:
    """IPCC 2006 Vol.2 Ch.2 Table 2.2 (energy industries), other bituminous coal: CH4 1 kg/TJ, N2O
    1.5 kg/TJ (Table 2.4, commercial: CH4 10). 1,000 t × 25.8 TJ/Gg = 25.8 TJ: CH4 25.8 kg,
    N2O 38.7 kg, CO2 25.8 × 94,600 = 2,440,680 kg."""
    sector = combustion_sectors([POWER])[POWER.id]
    e = run("fuel.other_bituminous_coal", "1000", "t", sector=sector)

    assert sector == "energy_industries"
    assert {g.gas: g.kg for g in e.gases(Basis.IPCC)} == {
        "CO2": D("2440680.000000"),
        "CH4": D("25.800000"),
        "N2O": D("38.700000"),
    }
    assert "ipcc-2006-v2-energy@2006#T2.2-other_bituminous_coal-ch4" in keys(e, Basis.IPCC)


def test_power_plant_combustion_is_ipcc_1a1_in_the_regional_inventory() -> None:
    e = run("fuel.natural_gas", "10000", "Nm3", sector="energy_industries")
    assert regional.ipcc_sector(e, OrganisationKind.ENERGY_INDUSTRIES) == "1.A.1"


# --- bilingual messages ---------------------------------------------------------------------------


def test_every_unit_message_has_a_chinese_translation_with_the_same_placeholders() -> None:
    path = calculation.__file__.replace("calculation.py", "locale/zh/LC_MESSAGES/units.po")
    with open(path, "rb") as handle:
        catalogue = {m.id: m.string for m in read_po(handle, locale="zh") if m.id}
    for message in (*calculation.UNIT_MESSAGES, "energy_industries"):
        translated = catalogue.get(message)
        assert isinstance(translated, str)
        assert translated
        assert set(re.findall(r"{(\w+)}", translated)) == set(re.findall(r"{(\w+)}", message))
