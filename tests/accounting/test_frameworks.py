"""Framework views on the mixed test organisation (tests/accounting/mixed.py has the figures)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carbonbridge.accounting.engine import calculate_all
from carbonbridge.accounting.frameworks import cn_mee, ghg_protocol, iso14064
from carbonbridge.accounting.model import Basis, GasAmount, Organisation, OrganisationKind
from carbonbridge.factors.model import GwpSet
from carbonbridge.factors.resolution import FactorLibrary
from carbonbridge.kernel.errors import FactorNotFound
from tests.accounting.conftest import ORG, record
from tests.accounting.mixed import hotel_emissions

D = Decimal


def test_ghgp_scope_totals(library: FactorLibrary) -> None:
    """Scope 1 = gas 219,051.11115 (218,402.91 + 545.034 + 103.16715) + van 3,235.4361 + R-410A
    19,235 = 241,521.54725; Scope 2 location = 404,200 + 80,840 + 11,000 = 496,040; market =
    404,200 + 0 + 11,000 = 415,200; Scope 3 cat 6 = 339.4 + 107 = 446.4; total (location) =
    738,007.94725 kg CO2e."""
    view = ghg_protocol(ORG, hotel_emissions(library))
    assert view.totals["scope1"] == D("241521.54725")
    assert view.totals["scope2_location"] == D("496040")
    assert view.totals["scope2_market"] == D("415200")
    assert view.totals["scope3"] == D("446.4")
    assert view.total_co2e_kg == D("738007.94725")


def test_ghgp_market_headline(library: FactorLibrary) -> None:
    """Market-based headline: 241,521.54725 + 415,200 + 446.4 = 657,167.94725."""
    view = ghg_protocol(ORG, hotel_emissions(library), scope2_basis=Basis.MARKET)
    assert view.total_co2e_kg == D("657167.94725")


def test_ghgp_lists_all_15_scope3_categories_and_not_reported(library: FactorLibrary) -> None:
    view = ghg_protocol(ORG, hotel_emissions(library))
    cats = [line for line in view.lines if line.key.startswith("scope3.")]
    assert len(cats) == 15
    assert view.line("scope3.cat06").reported
    assert view.line("scope3.cat06").record_ids == ("flight", "hotel")
    assert not view.line("scope3.cat01").reported
    assert view.line("scope3.cat01").co2e_kg == 0


def test_ghgp_gas_groups(library: FactorLibrary) -> None:
    """CH4 = 545.034 + 4.6956 = 549.7296 kg CO2e (19.4655 + 0.1677 = 19.6332 kg); HFCs 19,235;
    publisher CO2e 446.4."""
    groups = ghg_protocol(ORG, hotel_emissions(library)).by_gas_group
    assert groups["CH4"] == GasAmount("CH4", D("19.6332"), D("549.7296"))
    assert groups["HFCs"].co2e_kg == D("19235")
    assert groups["CO2e"].co2e_kg == D("446.4")
    assert sum(g.co2e_kg for g in groups.values()) == D("738007.94725")


def test_ghgp_line_labels_are_bilingual(library: FactorLibrary) -> None:
    line = ghg_protocol(ORG, hotel_emissions(library)).line("scope1.fugitive")
    assert (line.label_en, line.label_zh) == (
        "Scope 1 — fugitive (refrigerants)",
        "范围一 — 逸散排放（制冷剂）",
    )


def test_iso_categories(library: FactorLibrary) -> None:
    """ISO 14064-1: cat 1 241,521.54725; cat 2 (location) 496,040, market 415,200 as additional
    information; cat 3 446.4."""
    view = iso14064(ORG, hotel_emissions(library))
    assert view.totals["cat1"] == D("241521.54725")
    assert view.totals["cat2"] == D("496040")
    assert view.totals["cat2.market"] == D("415200")
    assert view.totals["cat3"] == D("446.4")
    assert not view.line("cat5").reported


@pytest.mark.parametrize("gwp", list(GwpSet))
def test_ghgp_and_iso_totals_agree_exactly(library: FactorLibrary, gwp: GwpSet) -> None:
    emissions = hotel_emissions(library, gwp)
    assert ghg_protocol(ORG, emissions).total_co2e_kg == iso14064(ORG, emissions).total_co2e_kg


def test_cn_mee_lines(library: FactorLibrary) -> None:
    """化石燃料燃烧 216,218.8809 + 3,095.909637 = 219,314.790537; 净购入电力 (1,000 + 200) MWh
    × 0.5703 = 684,360; 净购入热力 11,000; total 914,674.790537 kg CO2."""
    view = cn_mee(ORG, hotel_emissions(library))
    assert view.line("fuel_combustion").co2e_kg == D("219314.790537")
    assert view.line("fuel_combustion").label_zh == "化石燃料燃烧"
    assert view.line("electricity").co2e_kg == D("684360")
    assert view.line("heat").co2e_kg == D("11000")
    assert view.total_co2e_kg == D("914674.790537")
    assert set(view.by_gas_group) == {"CO2"}


def test_cn_mee_lists_out_of_boundary(library: FactorLibrary) -> None:
    """CH4+N2O 545.034 + 103.16715 + 4.6956 + 44.4405 = 697.33725; HFCs 19,235; travel 446.4."""
    outside = {line.key: line.co2e_kg for line in cn_mee(ORG, hotel_emissions(library)).out_of_boundary}
    assert outside == {
        "excluded.ch4_n2o": D("697.33725"),
        "excluded.fluorinated": D("19235"),
        "excluded.travel": D("446.4"),
        "excluded.waste": D(0),
    }


def test_cn_mee_process_line_for_cement(library: FactorLibrary) -> None:
    """工业生产过程: clinker 1,000 t × 0.52 = 520,000 kg CO2 (IPCC 2006 Vol.3 eq. 2.4)."""
    cement = Organisation("org-cement", "Cement Co", "水泥公司", OrganisationKind.CEMENT, "CN-HI")
    emissions = calculate_all(
        [record("process.clinker", "1000", "t", rid="kiln", org=cement.id)], library, GwpSet.AR5
    )
    assert cn_mee(cement, emissions).line("process").co2e_kg == D("520000")


def test_cn_mee_needs_the_series_a_factor(library: FactorLibrary) -> None:
    emissions = calculate_all(
        [record("electricity.grid", "1", "MWh", year=2022, rid="old")], library, GwpSet.AR5
    )
    with pytest.raises(FactorNotFound, match="old"):
        cn_mee(ORG, emissions)
