"""Regional inventory of a territory built from two organisations (figures from mixed.py, AR5)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carbonbridge.accounting.engine import calculate_all
from carbonbridge.accounting.model import Organisation, OrganisationKind
from carbonbridge.accounting.regional import regional_inventory
from carbonbridge.factors.model import GwpSet
from carbonbridge.factors.resolution import FactorLibrary
from carbonbridge.kernel.errors import InvalidInput
from tests.accounting.conftest import ORG, record
from tests.accounting.mixed import hotel_emissions

D = Decimal
CEMENT = Organisation("org-cement", "Cement Co", "水泥公司", OrganisationKind.CEMENT, "CN-HI")


def _inventory(library: FactorLibrary):  # type: ignore[no-untyped-def]
    cement = calculate_all(
        [
            record("process.clinker", "1000", "t", rid="kiln", org=CEMENT.id),
            record("fuel.diesel", "1", "t", rid="loader", org=CEMENT.id),
        ],
        library,
        GwpSet.AR5,
        sectors={CEMENT.id: "manufacturing_construction"},
    )
    return regional_inventory(
        "CN-HI-Baoting",
        [ORG, CEMENT],
        [*hotel_emissions(library), *cement],
        population={2024: D("160000")},
        gdp_10k_cny={2024: D("1000000")},
    )


def test_ipcc_energy_subsectors(library: FactorLibrary) -> None:
    """1.A.4 hotel gas 219,051.11115; 1.A.3 van 3,235.4361; 1.A.2 cement diesel (IPCC Table 2.3:
    3,186.3 + 0.129×28 + 0.0258×265 = 3,186.3 + 3.612 + 6.837 = 3,196.749)."""
    year = _inventory(library).year(2024)
    assert year.ipcc_sector("1.A.4").co2e_kg == D("219051.11115")
    assert year.ipcc_sector("1.A.3").co2e_kg == D("3235.4361")
    assert year.ipcc_sector("1.A.2").co2e_kg == D("3196.749")
    assert not year.ipcc_sector("1.A.1").reported
    assert year.ipcc_sector("1").co2e_kg == D("225483.29625")


def test_ipcc_ippu_and_territorial_total(library: FactorLibrary) -> None:
    """2 IPPU = clinker 520,000 + R-410A 19,235 = 539,235; total = 225,483.29625 + 539,235 =
    764,718.29625. Electricity, heat, travel and hotel stays are outside the territorial total."""
    year = _inventory(library).year(2024)
    assert year.ipcc_sector("2").co2e_kg == D("539235")
    assert not year.ipcc_sector("3").reported
    assert year.ipcc_total_kg == D("764718.29625")
    assert set(year.outside_ipcc[0].record_ids) == {"grid", "gec", "heat", "flight", "hotel"}


def test_gpc_sectors_and_scopes(library: FactorLibrary) -> None:
    """GPC I/1 = 219,051.11115 + 3,196.749 = 222,247.86015; I/2 = 496,040 (location-based);
    II/1 = 3,235.4361; II/3 = 339.4 (flight); IV/1 = 539,235.
    BASIC = I/1 + I/2 + II/1 = 721,523.29625; BASIC+ adds IV/1 and II/3 = 1,261,097.69625."""
    year = _inventory(library).year(2024)
    assert year.gpc_sector("I/1").co2e_kg == D("222247.86015")
    assert year.gpc_sector("I/2").co2e_kg == D("496040")
    assert year.gpc_sector("II/3").co2e_kg == D("339.4")
    assert year.gpc_basic_kg == D("721523.29625")
    assert year.gpc_basic_plus_kg == D("1261097.69625")


def test_intensities(library: FactorLibrary) -> None:
    """764,718.29625 kg / 160,000 persons = 4.779489… → 4.779 kg; / 10^6 (10^4 CNY) = 0.765 kg
    (rounded half-even to 1 g)."""
    year = _inventory(library).year(2024)
    assert year.per_capita_kg == D("4.779")
    assert year.per_10k_cny_kg == D("0.765")


def test_unknown_organisation_is_rejected(library: FactorLibrary) -> None:
    with pytest.raises(InvalidInput, match="kiln"):
        regional_inventory(
            "X",
            [ORG],
            calculate_all(
                [record("process.clinker", "1", "t", rid="kiln", org="nobody")], library, GwpSet.AR5
            ),
        )
