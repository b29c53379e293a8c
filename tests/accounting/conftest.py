"""Test support: a small factor resolver over real published values.

``real_library()`` (and the ``library`` fixture) load these rows into the platform's real
:class:`carbonbridge.factors.resolution.FactorLibrary`, so the engine's worked examples exercise the
same resolution rules (scope, region fallback, year policy, sector, variant) as the application.

Every value below is a published figure; the row's ``table`` names where it is printed. The
reference copies live in ``/work/shared/reference``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from carbonbridge.accounting.model import (
    ActivityCategory,
    ActivityRecord,
    Facility,
    Organisation,
    OrganisationKind,
)
from carbonbridge.factors.model import (
    Confidence,
    Dataset,
    Factor,
    Parameter,
)
from carbonbridge.factors.resolution import FactorLibrary

IPCC_V2 = Dataset(
    "ipcc-2006-v2-energy",
    "2006",
    "IPCC",
    "2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol.2 Energy",
    2006,
    "https://www.ipcc-nggip.iges.or.jp/public/2006gl/vol2.html",
    "public document",
)
IPCC_V3 = Dataset(
    "ipcc-2006-v3-ippu",
    "2006",
    "IPCC",
    "2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol.3 IPPU",
    2006,
    "https://www.ipcc-nggip.iges.or.jp/public/2006gl/vol3.html",
    "public document",
)
MEE = Dataset(
    "cn-mee-fuel-defaults",
    "2015",
    "China MEE",
    "工业其他行业企业温室气体排放核算方法与报告指南（试行） (industry, other sectors)",
    2015,
    "https://www.mee.gov.cn/",
    "public document",
)
GRID_A = Dataset(
    "cn-mee-grid-reporting",
    "2023",
    "China MEE",
    "关于做好2023—2025年发电行业企业温室气体排放报告管理有关工作的通知",
    2023,
    "https://www.mee.gov.cn/",
    "public document",
)
GRID_B = Dataset(
    "cn-mee-nbs-electricity-co2",
    "2026-01",
    "China MEE and NBS",
    "电力二氧化碳排放因子 (electricity CO2 emission factors)",
    2026,
    "https://www.mee.gov.cn/",
    "public document",
)
GWP = Dataset(
    "ipcc-gwp100",
    "2021",
    "IPCC",
    "GWP-100: AR4 WG1 Table 2.14, AR5 WG1 Table 8.A.1, AR6 WG1 Table 7.SM.7",
    2021,
    "https://www.ipcc.ch/",
    "public document",
)
DESNZ = Dataset(
    "desnz-ghg-conversion-factors",
    "2025-v1.0",
    "UK DESNZ",
    "Greenhouse gas reporting: conversion factors 2025",
    2025,
    "https://www.gov.uk/government/publications/greenhouse-gas-reporting-conversion-factors-2025",
    "Open Government Licence v3.0",
)
ASHRAE = Dataset(
    "ashrae-34-blends",
    "2022",
    "ASHRAE",
    "ANSI/ASHRAE Standard 34, Designation and Safety Classification of Refrigerants",
    2022,
    "https://www.ashrae.org/",
    "purchased standard; compositions are widely reprinted",
)
EMEP = Dataset(
    "emep-eea-guidebook",
    "2019",
    "EEA",
    "EMEP/EEA air pollutant emission inventory guidebook 2019, 1.A.4 Small combustion",
    2019,
    "https://www.eea.europa.eu/",
    "public document",
)

_ROW = 0


#: datasets whose reference copy is marked "verify" in /work/shared/reference (secondary copies)
_VERIFY = {"cn-mee-fuel-defaults", "desnz-ghg-conversion-factors", "emep-eea-guidebook"}


def f(
    ds: Dataset,
    parameter: Parameter,
    activity: str,
    gas: str | None,
    value: str,
    unit: str,
    table: str,
    **kw: object,
) -> Factor:
    """One factor row with a fresh row id; confidence follows the reference file's marking."""
    global _ROW
    _ROW += 1
    confidence = Confidence.VERIFY if ds.id in _VERIFY else Confidence.CONFIRMED
    return Factor(
        ds,
        f"r{_ROW}",
        parameter,
        activity,
        gas,
        Decimal(value),
        unit,
        table=table,
        confidence=confidence,
        **kw,  # type: ignore[arg-type]
    )


EF, NCV, CC, OF, GWPP, MF = (
    Parameter.EMISSION_FACTOR,
    Parameter.NET_CALORIFIC_VALUE,
    Parameter.CARBON_CONTENT,
    Parameter.OXIDATION_FACTOR,
    Parameter.GWP,
    Parameter.MASS_FRACTION,
)


def _ipcc() -> list[Factor]:
    t12, t14 = "Vol.2 Ch.1 Table 1.2", "Vol.2 Ch.1 Table 1.4"
    rows = [
        f(IPCC_V2, NCV, "fuel.diesel", None, "43.0", "TJ/Gg", t12),
        f(IPCC_V2, EF, "fuel.diesel", "CO2", "74100", "kg/TJ", t14),
        f(IPCC_V2, NCV, "fuel.natural_gas", None, "48.0", "TJ/Gg", t12),
        f(IPCC_V2, EF, "fuel.natural_gas", "CO2", "56100", "kg/TJ", t14),
        f(IPCC_V2, NCV, "fuel.lpg", None, "47.3", "TJ/Gg", t12),
        f(IPCC_V2, EF, "fuel.lpg", "CO2", "63100", "kg/TJ", t14),
        # mobile: Vol.2 Ch.3 Table 3.2.1 (CO2) and 3.2.2 (CH4, N2O), road diesel
        f(
            IPCC_V2,
            EF,
            "mobile.diesel",
            "CO2",
            "74100",
            "kg/TJ",
            "Vol.2 Ch.3 Table 3.2.1",
            sector="road_transport",
        ),
        f(
            IPCC_V2,
            EF,
            "mobile.diesel",
            "CH4",
            "3.9",
            "kg/TJ",
            "Vol.2 Ch.3 Table 3.2.2",
            sector="road_transport",
        ),
        f(
            IPCC_V2,
            EF,
            "mobile.diesel",
            "N2O",
            "3.9",
            "kg/TJ",
            "Vol.2 Ch.3 Table 3.2.2",
            sector="road_transport",
        ),
    ]
    # CH4, N2O kg/TJ by sector: Tables 2.2 (energy), 2.3 (manufacturing), 2.4 (commercial)
    for sector, table, diesel, gas_ in (
        ("energy_industries", "Vol.2 Ch.2 Table 2.2", ("3", "0.6"), ("1", "0.1")),
        ("manufacturing_construction", "Vol.2 Ch.2 Table 2.3", ("3", "0.6"), ("1", "0.1")),
        ("commercial_institutional", "Vol.2 Ch.2 Table 2.4", ("10", "0.6"), ("5", "0.1")),
    ):
        pairs = [("fuel.diesel", diesel), ("fuel.natural_gas", gas_)]
        if sector == "commercial_institutional":
            pairs.append(("fuel.lpg", ("5", "0.1")))
        for act, (ch4, n2o) in pairs:
            rows.append(f(IPCC_V2, EF, act, "CH4", ch4, "kg/TJ", table, sector=sector))
            rows.append(f(IPCC_V2, EF, act, "N2O", n2o, "kg/TJ", table, sector=sector))
    # clinker: Vol.3 Ch.2 §2.2.1.2 eq. 2.4 default EF_clc = 0.52 t CO2/t clinker (CKD-corrected)
    rows.append(f(IPCC_V3, EF, "process.clinker", "CO2", "0.52", "t/t", "Vol.3 Ch.2 §2.2.1.2"))
    return rows


def _mee() -> list[Factor]:
    """cn_mee_fuel_defaults.csv: NCV, CC (tC/TJ), OF; heat 0.11 tCO2/GJ (guideline default)."""
    table = "appendix default table"
    rows = []
    for act, ncv, unit, cc, of in (
        ("fuel.natural_gas", "389.31", "GJ/(10^4 Nm3)", "15.3", "0.99"),
        ("fuel.diesel", "42.652", "GJ/t", "20.2", "0.98"),
        ("fuel.raw_coal", "20.908", "GJ/t", "26.37", "0.94"),
    ):
        rows += [
            f(MEE, NCV, act, None, ncv, unit, table, region="CN"),
            f(MEE, CC, act, None, cc, "t/TJ", table, region="CN"),
            f(MEE, OF, act, None, of, "dimensionless", table, region="CN"),
        ]
    rows.append(
        f(
            MEE,
            EF,
            "heat.purchased",
            "CO2",
            "0.11",
            "t/GJ",
            "§ net purchased heat default",
            region="CN",
        )
    )
    return rows


def _grid() -> list[Factor]:
    """cn_grid_factors.csv: series A (reporting) and series B (statistical, by data year)."""
    rows = [
        f(
            GRID_A,
            EF,
            "electricity.grid",
            "CO2",
            "0.5703",
            "t/MWh",
            "national grid",
            region="CN",
            year=2022,
            applies=(2023, 2025),
        )
    ]
    for region, year, value in (
        ("CN", 2021, "0.5568"),
        ("CN", 2022, "0.5366"),
        ("CN", 2023, "0.5306"),
        ("CN-GRID-SOUTH", 2022, "0.3869"),
        ("CN-GRID-SOUTH", 2023, "0.4042"),
        ("CN-GRID-NORTH", 2022, "0.6776"),
        ("CN-GRID-NORTH", 2023, "0.6361"),
    ):
        rows.append(
            f(
                GRID_B,
                EF,
                "electricity.grid",
                "CO2",
                value,
                "t/MWh",
                "announcement",
                region=region,
                year=year,
                variant="location",
            )
        )
    return rows


def _gwp() -> list[Factor]:
    """gwp100.csv (AR4 WG1 Table 2.14; AR5 WG1 Table 8.A.1 without feedback; AR6 Table 7.SM.7)."""
    rows = []
    for gas, ar4, ar5, ar6 in (
        ("CH4", "25", "28", "27.9"),
        ("N2O", "298", "265", "273"),
        ("SF6", "22800", "23500", "25200"),
        ("NF3", "17200", "16100", "17400"),
        ("HFC-32", "675", "677", "771"),
        ("HFC-125", "3500", "3170", "3740"),
        ("HFC-134a", "1430", "1300", "1530"),
        ("HFC-143a", "4470", "4800", "5810"),
        ("PFC-14", "7390", "6630", "7380"),
    ):
        for variant, value in (("AR4", ar4), ("AR5", ar5), ("AR6", ar6)):
            rows.append(
                f(
                    GWP,
                    GWPP,
                    "gwp",
                    gas,
                    value,
                    "dimensionless",
                    f"{variant} GWP-100",
                    variant=variant,
                )
            )
    return rows


def _desnz() -> list[Factor]:
    """desnz_2025_travel.csv (kg CO2e per unit; flights with and without the RF uplift)."""
    sheet = "Business travel - air"
    return [
        f(
            DESNZ,
            EF,
            "travel.flight.long_haul.business",
            "CO2e",
            "0.33940",
            "kgCO2e/passenger_km",
            sheet,
            variant="with_rf",
        ),
        f(
            DESNZ,
            EF,
            "travel.flight.long_haul.business",
            "CO2e",
            "0.20083",
            "kgCO2e/passenger_km",
            sheet,
            variant="without_rf",
        ),
        f(
            DESNZ,
            EF,
            "travel.flight.long_haul.economy",
            "CO2e",
            "0.11704",
            "kgCO2e/passenger_km",
            sheet,
            variant="with_rf",
        ),
        f(
            DESNZ,
            EF,
            "travel.flight.long_haul.economy",
            "CO2e",
            "0.06926",
            "kgCO2e/passenger_km",
            sheet,
            variant="without_rf",
        ),
        f(
            DESNZ,
            EF,
            "travel.rail.national",
            "CO2e",
            "0.03546",
            "kgCO2e/passenger_km",
            "Business travel - land",
        ),
        f(
            DESNZ,
            EF,
            "travel.rail.international",
            "CO2e",
            "0.00446",
            "kgCO2e/passenger_km",
            "Business travel - land",
        ),
        f(DESNZ, EF, "hotel.CN", "CO2e", "53.5", "kgCO2e/room_night", "Hotel stay"),
        f(DESNZ, EF, "hotel.GB", "CO2e", "10.4", "kgCO2e/room_night", "Hotel stay"),
    ]


def _blends() -> list[Factor]:
    """ASHRAE 34 compositions: R-410A = R-32/125 (50/50), R-404A = R-125/143a/134a (44/52/4)."""
    return [
        f(ASHRAE, MF, "refrigerant.R-410A", "HFC-32", "0.50", "dimensionless", "Table 4"),
        f(ASHRAE, MF, "refrigerant.R-410A", "HFC-125", "0.50", "dimensionless", "Table 4"),
        f(ASHRAE, MF, "refrigerant.R-404A", "HFC-125", "0.44", "dimensionless", "Table 4"),
        f(ASHRAE, MF, "refrigerant.R-404A", "HFC-143a", "0.52", "dimensionless", "Table 4"),
        f(ASHRAE, MF, "refrigerant.R-404A", "HFC-134a", "0.04", "dimensionless", "Table 4"),
    ]


def _pollutants() -> list[Factor]:
    """EMEP/EEA 2019, 1.A.4 small combustion, Tier 1 non-residential gaseous fuels (g/GJ);
    secondary reading, marked verify."""
    table = "1.A.4 Tier 1, non-residential, gaseous fuels"
    return [
        f(EMEP, EF, "fuel.natural_gas", "NOx", "74", "g/GJ", table),
        f(EMEP, EF, "fuel.natural_gas", "SO2", "0.67", "g/GJ", table),
        f(EMEP, EF, "fuel.natural_gas", "PM10", "0.78", "g/GJ", table),
        f(EMEP, EF, "fuel.natural_gas", "PM2.5", "0.78", "g/GJ", table),
    ]


def all_factors() -> list[Factor]:
    return _ipcc() + _mee() + _grid() + _gwp() + _desnz() + _blends() + _pollutants()


def real_library() -> FactorLibrary:
    """The real factor library (``factors.resolution.FactorLibrary``) over the published rows
    above: the engine's worked examples exercise the platform's own resolution rules."""
    by_dataset: dict[str, tuple[Dataset, list[Factor]]] = {}
    for f in all_factors():
        by_dataset.setdefault(f.dataset.ref, (f.dataset, []))[1].append(f)
    return FactorLibrary(by_dataset.values())


@pytest.fixture(scope="session")
def library() -> FactorLibrary:
    return real_library()


ORG = Organisation("org-hotel", "Sanya Bay Hotel", "三亚湾酒店", OrganisationKind.HOTEL, "CN-HI")
FACILITY = Facility("fac-1", ORG.id, "main building", "CN-HI", "CN-GRID-SOUTH")

_CATEGORY = {
    "fuel": ActivityCategory.STATIONARY_COMBUSTION,
    "mobile": ActivityCategory.MOBILE_COMBUSTION,
    "electricity": ActivityCategory.PURCHASED_ELECTRICITY,
    "heat": ActivityCategory.PURCHASED_HEAT,
    "refrigerant": ActivityCategory.REFRIGERANT,
    "process": ActivityCategory.PROCESS,
    "travel": ActivityCategory.BUSINESS_TRAVEL,
    "hotel": ActivityCategory.BUSINESS_TRAVEL,
    "waste": ActivityCategory.WASTE,
}


def record(
    activity: str,
    quantity: str | Decimal,
    unit: str,
    *,
    year: int = 2024,
    rid: str | None = None,
    instrument: str | None = None,
    grid_region: str | None = "CN-GRID-SOUTH",
    org: str = ORG.id,
) -> ActivityRecord:
    """An activity record of the test hotel for calendar ``year``."""
    return ActivityRecord(
        id=rid or f"{activity}:{quantity}{unit}",
        organisation_id=org,
        facility_id=FACILITY.id,
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        category=_CATEGORY[activity.split(".", 1)[0]],
        activity=activity,
        quantity=Decimal(quantity),
        unit=unit,
        region="CN-HI",
        grid_region=grid_region if activity.startswith("electricity") else None,
        instrument=instrument,
    )
