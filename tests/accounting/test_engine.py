"""Worked examples for ``accounting.engine``: each derives its answer from published factors.

Factor sources are the rows of ``tests/accounting/conftest.py`` (copies of
``/work/shared/reference/*.csv``); every docstring shows the arithmetic.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from carbonbridge.accounting.engine import calculate, combustion_sectors
from carbonbridge.accounting.model import Basis, GasAmount, RecordEmissions
from carbonbridge.factors.model import GwpSet
from carbonbridge.factors.resolution import FactorLibrary
from carbonbridge.kernel.errors import FactorNotFound, InvalidInput, UnitMismatch
from tests.accounting.conftest import ORG, record

D = Decimal
COMMERCIAL = "commercial_institutional"


def gas(e: RecordEmissions, basis: Basis, name: str) -> GasAmount:
    return next(g for g in e.gases(basis) if g.gas == name)


# --- fuel combustion: China MEE path -------------------------------------------------------------


def test_mee_natural_gas_100000_nm3(library: FactorLibrary) -> None:
    """shared/reference/README.md worked check, MEE defaults (cn_mee_fuel_defaults.csv):
    10 (10^4 Nm3) × 389.31 GJ/10^4 Nm3 = 3,893.1 GJ; × 15.3 tC/TJ = 59.56443 tC; × 0.99 =
    58.9687857 tC; × 44/12 = 216.2188809 t CO2 (≈ 216.2 t)."""
    e = calculate(record("fuel.natural_gas", "100000", "Nm3"), library, GwpSet.AR5, sector=COMMERCIAL)
    assert [g.gas for g in e.gases(Basis.MEE)] == ["CO2"]
    assert gas(e, Basis.MEE, "CO2").kg == D("216218.8809")


def test_mee_diesel_one_tonne(library: FactorLibrary) -> None:
    """MEE defaults: 1 t × 42.652 GJ/t = 0.042652 TJ; × 20.2 tC/TJ = 0.8615704 tC; × 0.98 =
    0.844338992 tC; × 44/12 = 3.0959096373… t → 3,095.909637 kg (rounded to 1 mg)."""
    e = calculate(record("fuel.diesel", "1", "t"), library, GwpSet.AR5, sector=COMMERCIAL)
    assert gas(e, Basis.MEE, "CO2").kg == D("3095.909637")


def test_mee_path_falls_back_to_ipcc_when_parameters_missing(library: FactorLibrary) -> None:
    """No MEE NCV/CC/OF for LPG in the stub: the MEE basis reuses the IPCC CO2 (IPCC 2006 Table
    1.2 NCV 47.3 TJ/Gg, Table 1.4 EF 63,100 kg/TJ: 1 t → 0.0473 TJ × 63,100 = 2,984.63 kg) and
    the trace says so."""
    e = calculate(record("fuel.lpg", "1", "t"), library, GwpSet.AR5, sector=COMMERCIAL)
    assert e.gases(Basis.MEE) == (gas(e, Basis.IPCC, "CO2"),)
    assert gas(e, Basis.MEE, "CO2").kg == D("2984.63")
    assert "IPCC-path CO2 used" in e.traces[Basis.MEE].notes[0]


# --- fuel combustion: IPCC path -------------------------------------------------------------------


def test_ipcc_diesel_one_tonne_table_path(library: FactorLibrary) -> None:
    """IPCC 2006 Vol.2 Table 1.2 NCV 43.0 TJ/Gg, Table 1.4 EF 74,100 kg/TJ: 1 t = 0.001 Gg →
    0.043 TJ × 74,100 = 3,186.30 kg CO2 (the table path of reference/README.md)."""
    e = calculate(record("fuel.diesel", "1", "t"), library, GwpSet.AR5, sector=COMMERCIAL)
    assert gas(e, Basis.IPCC, "CO2").kg == D("3186.3")
    assert e.traces[Basis.IPCC].equation_id == "IPCC 2006 Vol.2 Ch.2 eq. 2.1"


def test_ipcc_natural_gas_uses_national_ncv_per_volume(library: FactorLibrary) -> None:
    """Gas in Nm3 cannot take the IPCC NCV per mass, so the national NCV (MEE 389.31 GJ/10^4 Nm3)
    gives the energy, as IPCC 2006 Vol.2 Ch.1 §1.4.1.2 prefers: 3.8931 TJ × 56,100 kg/TJ (Table
    1.4) = 218,402.91 kg CO2."""
    e = calculate(record("fuel.natural_gas", "100000", "Nm3"), library, GwpSet.AR5, sector=COMMERCIAL)
    assert gas(e, Basis.IPCC, "CO2").kg == D("218402.91")
    ncv = next(u for u in e.traces[Basis.IPCC].factors if u.role == "ncv")
    assert ncv.resolution.factor.dataset.id == "cn-mee-fuel-defaults"


def test_fuel_reported_as_energy_needs_no_ncv(library: FactorLibrary) -> None:
    """3,893.1 GJ of gas = 3.8931 TJ × 56,100 kg/TJ = 218,402.91 kg CO2, the Nm3 result."""
    e = calculate(record("fuel.natural_gas", "3893.1", "GJ"), library, GwpSet.AR5, sector=COMMERCIAL)
    assert gas(e, Basis.IPCC, "CO2").kg == D("218402.91")


@pytest.mark.parametrize(
    ("gwp", "ch4_co2e", "n2o_co2e"),
    [
        (GwpSet.AR4, "486.6375", "116.01438"),
        (GwpSet.AR5, "545.034", "103.16715"),
        (GwpSet.AR6, "543.08745", "106.28163"),
    ],
)
def test_stationary_gas_ch4_n2o_commercial_sector(
    library: FactorLibrary, gwp: GwpSet, ch4_co2e: str, n2o_co2e: str
) -> None:
    """IPCC 2006 Vol.2 Table 2.4 (commercial/institutional, natural gas): CH4 5, N2O 0.1 kg/TJ.
    3.8931 TJ → CH4 19.4655 kg, N2O 0.38931 kg. GWP-100 (gwp100.csv) CH4 25/28/27.9, N2O
    298/265/273: AR4 486.6375 + 116.01438; AR5 545.034 + 103.16715; AR6 543.08745 + 106.28163."""
    e = calculate(record("fuel.natural_gas", "100000", "Nm3"), library, gwp, sector=COMMERCIAL)
    assert gas(e, Basis.IPCC, "CH4") == GasAmount("CH4", D("19.4655"), D(ch4_co2e))
    assert gas(e, Basis.IPCC, "N2O") == GasAmount("N2O", D("0.38931"), D(n2o_co2e))


def test_diesel_in_manufacturing_takes_table_2_3(library: FactorLibrary) -> None:
    """IPCC 2006 Vol.2 Table 2.3 diesel: CH4 3, N2O 0.6 kg/TJ; 0.043 TJ → 0.129 kg, 0.0258 kg."""
    e = calculate(record("fuel.diesel", "1", "t"), library, GwpSet.AR5, sector="manufacturing_construction")
    assert (gas(e, Basis.IPCC, "CH4").kg, gas(e, Basis.IPCC, "N2O").kg) == (D("0.129"), D("0.0258"))


def test_stationary_without_sector_has_no_ch4_factor(library: FactorLibrary) -> None:
    """CH4/N2O factors differ by sector (Tables 2.2–2.5): without one nothing is guessed."""
    with pytest.raises(FactorNotFound):
        calculate(record("fuel.natural_gas", "1", "Nm3"), library, GwpSet.AR5)


def test_mobile_diesel_road_transport(library: FactorLibrary) -> None:
    """IPCC 2006 Vol.2 Table 3.2.1 (CO2 74,100) and 3.2.2 (CH4 3.9, N2O 3.9 kg/TJ), 1 t diesel =
    0.043 TJ: CO2 3,186.3; CH4 0.1677 kg × 28 = 4.6956; N2O 0.1677 × 265 = 44.4405 (AR5);
    total 3,235.4361 kg CO2e. NCV falls back from mobile.diesel to fuel.diesel (a fuel property)."""
    e = calculate(record("mobile.diesel", "1", "t"), library, GwpSet.AR5)
    assert e.co2e_kg(Basis.IPCC) == D("3235.4361")
    assert e.traces[Basis.IPCC].equation_id == "IPCC 2006 Vol.2 Ch.3 eq. 3.2.1"


def test_co_pollutants_of_natural_gas(library: FactorLibrary) -> None:
    """EMEP/EEA 2019 1.A.4 Tier 1, non-residential gaseous fuels (verify): NOx 74, SO2 0.67,
    PM10 0.78 g/GJ. 3,893.1 GJ → NOx 288.0894 kg, SO2 2.608377 kg, PM10 3.036618 kg."""
    e = calculate(record("fuel.natural_gas", "100000", "Nm3"), library, GwpSet.AR5, sector=COMMERCIAL)
    found = {p.pollutant: p.kg for p in e.co_pollutants}
    assert found["NOx"] == D("288.0894")
    assert found["SO2"] == D("2.608377")
    assert found["PM10"] == D("3.036618")


def test_missing_co_pollutant_factor_is_noted_not_raised(library: FactorLibrary) -> None:
    """No diesel co-pollutant factors are loaded: the GHGs still compute, the trace notes it."""
    e = calculate(record("fuel.diesel", "1", "t"), library, GwpSet.AR5, sector=COMMERCIAL)
    assert e.co_pollutants == ()
    assert "NOx: no factor" in e.traces[Basis.IPCC].notes


# --- purchased electricity ------------------------------------------------------------------------


def test_grid_location_and_mee_reporting_2024(library: FactorLibrary) -> None:
    """cn_grid_factors.csv: 1,000 MWh in the Southern grid, reported for 2024. Location-based uses
    series B, latest data year ≤ 2024 = 2023 South 0.4042 t/MWh → 404,200 kg; the MEE figure uses
    series A prescribed for 2023–2025, 0.5703 → 570,300 kg."""
    e = calculate(record("electricity.grid", "1000", "MWh"), library, GwpSet.AR5)
    assert e.co2e_kg(Basis.LOCATION) == D("404200")
    assert e.co2e_kg(Basis.MEE_GRID) == D("570300")


def test_series_a_and_b_are_never_mixed(library: FactorLibrary) -> None:
    """Each basis's trace holds factors of one series only."""
    e = calculate(record("electricity.grid", "1000", "MWh"), library, GwpSet.AR5)
    loc = {u.resolution.factor.dataset.id for u in e.traces[Basis.LOCATION].factors}
    rep = {u.resolution.factor.dataset.id for u in e.traces[Basis.MEE_GRID].factors}
    assert (loc, rep) == ({"cn-mee-nbs-electricity-co2"}, {"cn-mee-grid-reporting"})


def test_grid_national_factor_when_no_grid_region(library: FactorLibrary) -> None:
    """Series B national 2023: 0.5306 t/MWh; 1,000 MWh → 530,600 kg."""
    e = calculate(record("electricity.grid", "1000", "MWh", grid_region=None), library, GwpSet.AR5)
    assert e.co2e_kg(Basis.LOCATION) == D("530600")


def test_grid_data_year_not_after_reporting_year(library: FactorLibrary) -> None:
    """A 2022 report takes series B 2022 national 0.5366 (not 2023): 1,000 MWh → 536,600 kg;
    series A has no factor prescribed for 2022 in the set, so no MEE figure is produced."""
    e = calculate(record("electricity.grid", "1000", "MWh", year=2022, grid_region=None), library, GwpSet.AR5)
    assert e.co2e_kg(Basis.LOCATION) == D("536600")
    assert Basis.MEE_GRID not in e.method_results


def test_grid_in_kwh(library: FactorLibrary) -> None:
    """500,000 kWh = 500 MWh × 0.4042 = 202,100 kg."""
    e = calculate(record("electricity.grid", "500000", "kWh"), library, GwpSet.AR5)
    assert e.co2e_kg(Basis.LOCATION) == D("202100")


def test_market_based_with_gec_is_zero(library: FactorLibrary) -> None:
    """GHG Protocol Scope 2 Guidance Table 6.3: a GEC-backed MWh is zero-emission renewable."""
    e = calculate(record("electricity.grid", "200", "MWh", instrument="GEC"), library, GwpSet.AR5)
    assert e.co2e_kg(Basis.MARKET) == 0
    assert e.co2e_kg(Basis.LOCATION) == D("80840")


def test_market_based_without_residual_mix_uses_location(library: FactorLibrary) -> None:
    """No CN residual mix: the market figure falls to the location factor and the trace says so."""
    e = calculate(record("electricity.grid", "1000", "MWh"), library, GwpSet.AR5)
    assert e.co2e_kg(Basis.MARKET) == e.co2e_kg(Basis.LOCATION)
    assert "no residual mix published for CN" in e.traces[Basis.MARKET].notes[0]


# --- refrigerants ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gwp", "expected"),
    [(GwpSet.AR4, "20875"), (GwpSet.AR5, "19235"), (GwpSet.AR6, "22555")],
)
def test_r410a_blend(library: FactorLibrary, gwp: GwpSet, expected: str) -> None:
    """R-410A = 50 % HFC-32 + 50 % HFC-125 (ASHRAE 34); 10 kg → 5 kg each. AR4 5×675 + 5×3,500 =
    20,875; AR5 5×677 + 5×3,170 = 19,235; AR6 5×771 + 5×3,740 = 22,555 kg CO2e."""
    e = calculate(record("refrigerant.R-410A", "10", "kg"), library, gwp)
    assert {g.gas: g.kg for g in e.gases(Basis.DEFAULT)} == {"HFC-32": D(5), "HFC-125": D(5)}
    assert e.co2e_kg(Basis.DEFAULT) == D(expected)


def test_r404a_three_component_blend(library: FactorLibrary) -> None:
    """R-404A = 44 % HFC-125, 52 % HFC-143a, 4 % HFC-134a; 10 kg under AR4:
    4.4×3,500 + 5.2×4,470 + 0.4×1,430 = 15,400 + 23,244 + 572 = 39,216 kg CO2e."""
    e = calculate(record("refrigerant.R-404A", "10", "kg"), library, GwpSet.AR4)
    assert e.co2e_kg(Basis.DEFAULT) == D("39216")


@pytest.mark.parametrize(
    ("gwp", "expected"), [(GwpSet.AR4, "4290"), (GwpSet.AR5, "3900"), (GwpSet.AR6, "4590")]
)
def test_hfc134a_pure(library: FactorLibrary, gwp: GwpSet, expected: str) -> None:
    """HFC-134a 3 kg × 1,430 / 1,300 / 1,530 (AR4/AR5/AR6) = 4,290 / 3,900 / 4,590 kg CO2e."""
    e = calculate(record("refrigerant.HFC-134a", "3", "kg"), library, gwp)
    assert e.gases(Basis.DEFAULT) == (GasAmount("HFC-134a", D(3), D(expected)),)


@pytest.mark.parametrize(
    ("gwp", "expected"), [(GwpSet.AR4, "22800"), (GwpSet.AR5, "23500"), (GwpSet.AR6, "25200")]
)
def test_sf6_under_each_gwp_set(library: FactorLibrary, gwp: GwpSet, expected: str) -> None:
    """SF6 (switchgear top-up, same mass-balance path): 1,000 g = 1 kg × 22,800 / 23,500 /
    25,200 kg CO2e (AR4/AR5/AR6)."""
    e = calculate(record("refrigerant.SF6", "1000", "g"), library, gwp)
    assert e.co2e_kg(Basis.DEFAULT) == D(expected)


# --- quantity × factor ----------------------------------------------------------------------------


def test_long_haul_business_flight_with_rf(library: FactorLibrary) -> None:
    """DESNZ 2025 long-haul business, with RF: 1,000 pkm × 0.33940 = 339.40 kg CO2e; the CO2e is
    the publisher's (AR5) and is not re-weighted."""
    e = calculate(record("travel.flight.long_haul.business", "1000", "passenger_km"), library, GwpSet.AR6)
    assert e.gases(Basis.DEFAULT) == (GasAmount("CO2e", D("339.4"), D("339.4")),)
    assert "AR5" in e.traces[Basis.DEFAULT].notes[0]


def test_long_haul_business_flight_without_rf(library: FactorLibrary) -> None:
    """DESNZ 2025 long-haul business, without RF: 1,000 pkm × 0.20083 = 200.83 kg CO2e."""
    rec = record("travel.flight.long_haul.business", "1000", "passenger_km")
    e = calculate(rec, library, GwpSet.AR5, aviation_rf=False)
    assert e.co2e_kg(Basis.DEFAULT) == D("200.83")


def test_national_rail(library: FactorLibrary) -> None:
    """DESNZ 2025 national rail: 500 pkm × 0.03546 = 17.73 kg CO2e."""
    e = calculate(record("travel.rail.national", "500", "pkm"), library, GwpSet.AR5)
    assert e.co2e_kg(Basis.DEFAULT) == D("17.73")


@pytest.mark.parametrize(("country", "nights", "expected"), [("CN", "2", "107.0"), ("GB", "3", "31.2")])
def test_hotel_nights(library: FactorLibrary, country: str, nights: str, expected: str) -> None:
    """DESNZ 2025 hotel stay: China 53.5, UK 10.4 kg CO2e per room-night; 2 × 53.5 = 107.0,
    3 × 10.4 = 31.2."""
    e = calculate(record(f"hotel.{country}", nights, "room_night"), library, GwpSet.AR5)
    assert e.co2e_kg(Basis.DEFAULT) == D(expected)


def test_clinker_process(library: FactorLibrary) -> None:
    """IPCC 2006 Vol.3 Ch.2 eq. 2.4, EF_clc 0.52 t CO2/t clinker: 1,000 t → 520,000 kg CO2."""
    e = calculate(record("process.clinker", "1000", "t"), library, GwpSet.AR5)
    assert e.gases(Basis.DEFAULT) == (GasAmount("CO2", D(520000), D(520000)),)


@pytest.mark.parametrize(("quantity", "unit", "expected"), [("100", "GJ", "11000"), ("1", "TJ", "110000")])
def test_purchased_heat(library: FactorLibrary, quantity: str, unit: str, expected: str) -> None:
    """MEE guideline default for purchased heat 0.11 t CO2/GJ: 100 GJ → 11 t; 1 TJ → 110 t."""
    e = calculate(record("heat.purchased", quantity, unit), library, GwpSet.AR5)
    assert e.co2e_kg(Basis.DEFAULT) == D(expected)


# --- errors ---------------------------------------------------------------------------------------


def test_negative_quantity_is_invalid(library: FactorLibrary) -> None:
    with pytest.raises(InvalidInput, match="must not be negative"):
        calculate(record("heat.purchased", "-1", "GJ"), library, GwpSet.AR5)


def test_electricity_in_kg_is_a_unit_mismatch_naming_the_record(library: FactorLibrary) -> None:
    rec = record("electricity.grid", "5", "kg", rid="row-7")
    with pytest.raises(UnitMismatch, match=r"row-7.*'kg'.*\[mass\].*expected"):
        calculate(rec, library, GwpSet.AR5)


def test_diesel_in_litres_without_density_is_a_unit_mismatch(library: FactorLibrary) -> None:
    """Litres need a density, which is a published parameter, not a unit conversion."""
    with pytest.raises(UnitMismatch, match="row-8"):
        calculate(record("fuel.diesel", "100", "L", rid="row-8"), library, GwpSet.AR5, sector=COMMERCIAL)


def test_unknown_activity_is_invalid(library: FactorLibrary) -> None:
    rec = record("fuel.diesel", "1", "t")
    rec = type(rec)(**{**rec.__dict__, "activity": "teleport.beam"})
    with pytest.raises(InvalidInput, match="unknown activity"):
        calculate(rec, library, GwpSet.AR5)


def test_zero_quantity_gives_zero(library: FactorLibrary) -> None:
    e = calculate(record("fuel.natural_gas", "0", "Nm3"), library, GwpSet.AR5, sector=COMMERCIAL)
    assert e.co2e_kg(Basis.IPCC) == 0
    assert e.co2e_kg(Basis.MEE) == 0


# --- provenance -----------------------------------------------------------------------------------


def test_trace_names_factors_gwp_set_and_steps(library: FactorLibrary) -> None:
    """The IPCC trace of gas under AR6 names every factor by key (dataset@version#row), the GWP
    rows used, the GWP set and the unit step 100,000 Nm3 × 389.31 GJ/(10^4 Nm3) = 3.8931 TJ."""
    e = calculate(record("fuel.natural_gas", "100000", "Nm3"), library, GwpSet.AR6, sector=COMMERCIAL)
    trace = e.traces[Basis.IPCC]
    roles = {u.role: u for u in trace.factors}
    assert {"ncv", "ef CO2", "ef CH4", "ef N2O", "gwp CH4", "gwp N2O"} <= set(roles)
    assert roles["ef CO2"].key.startswith("ipcc-2006-v2-energy@2006#")
    assert roles["gwp CH4"].resolution.factor.value == D("27.9")
    assert trace.gwp_set is GwpSet.AR6
    assert trace.conversions[0] == "100000 Nm3 × 389.31 GJ/(10^4 Nm3) = 3.893100000 TJ"


def test_combustion_sectors_follow_organisation_kind() -> None:
    assert combustion_sectors([ORG]) == {ORG.id: "commercial_institutional"}


def test_facility_grid_region_used_when_record_names_none(library: FactorLibrary) -> None:
    """North China grid 2023 (series B) 0.6361 t/MWh: 100 MWh → 63,610 kg."""
    rec = record("electricity.grid", "100", "MWh", grid_region=None)
    e = calculate(rec, library, GwpSet.AR5, grid_region="CN-GRID-NORTH")
    assert e.co2e_kg(Basis.LOCATION) == D("63610")
