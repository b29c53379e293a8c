"""The synthetic demo region: deterministic, labelled synthetic, and accepted by intake."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from carbonbridge.accounting.intake import parse_csv
from carbonbridge.accounting.model import OrganisationKind
from carbonbridge.demo.region import DemoRegion, generate_region, write_csvs

ALLOWED_FUELS = {"natural_gas", "diesel", "motor_gasoline", "lpg", "other_bituminous_coal",
                 "residual_fuel_oil"}  # fmt: skip
ALLOWED_MOBILE = {"diesel", "motor_gasoline", "natural_gas"}


@pytest.fixture(scope="module")
def region() -> DemoRegion:
    return generate_region()


def test_same_seed_gives_identical_region(region: DemoRegion) -> None:
    assert generate_region(2024) == region


def test_other_seed_gives_other_quantities(region: DemoRegion) -> None:
    other = generate_region(7)
    assert [r.quantity for r in other.records[:50]] != [r.quantity for r in region.records[:50]]


def test_region_has_the_planned_reporters(region: DemoRegion) -> None:
    kinds = Counter(o.kind for o in region.organisations)
    assert len(region.organisations) == 50
    assert kinds[OrganisationKind.HOTEL] == 20
    assert kinds[OrganisationKind.FARM] == 8
    assert kinds[OrganisationKind.GOVERNMENT] == 10
    facilities = Counter(f.organisation_id for f in region.facilities)
    assert set(facilities.values()) <= {1, 2, 3}
    assert set(facilities) == {o.id for o in region.organisations}


def test_everything_is_labelled_synthetic(region: DemoRegion) -> None:
    assert "SYNTHETIC" in region.notice_en
    assert "虚构" in region.notice_zh
    assert all("[SYNTHETIC]" in o.name_en and "虚构" in o.name_zh for o in region.organisations)
    assert all("[SYNTHETIC]" in f.name for f in region.facilities)
    assert all("synthetic" in r.note for r in region.records)


def test_population_and_gdp_are_plausible_for_the_county(region: DemoRegion) -> None:
    assert sorted(region.population) == [2023, 2024, 2025]
    assert all(150_000 <= p <= 170_000 for p in region.population.values())
    assert all(Decimal("1.2e6") <= g <= Decimal("1.5e6") for g in region.gdp_10k_cny.values())


def test_only_documented_activity_codes_are_used(region: DemoRegion) -> None:
    for code in {r.activity for r in region.records}:
        family, _, rest = code.partition(".")
        if family == "fuel":
            assert rest in ALLOWED_FUELS, code
        elif family == "mobile":
            assert rest in ALLOWED_MOBILE, code
        else:
            assert family in {"electricity", "heat", "refrigerant", "process", "travel",
                              "hotel", "waste"}, code  # fmt: skip


def test_hotel_electricity_is_of_the_right_order(region: DemoRegion) -> None:
    hotels = {o.id for o in region.organisations if o.kind is OrganisationKind.HOTEL}
    kwh = Counter[str]()
    for r in region.records:
        if r.organisation_id in hotels and r.activity == "electricity.grid" and r.year == 2024:
            kwh[r.organisation_id] += int(r.quantity * (1000 if r.unit == "MWh" else 1))
    assert all(5e5 <= v <= 8e6 for v in kwh.values())


def test_some_electricity_is_covered_by_certificates(region: DemoRegion) -> None:
    assert any(r.instrument == "GEC" for r in region.records)


def test_written_csvs_pass_intake_unchanged(region: DemoRegion, tmp_path: Path) -> None:
    paths = write_csvs(region, tmp_path)
    facilities = {f.id: f for f in region.facilities}
    parsed = []
    for organisation, path in zip(region.organisations, paths, strict=True):
        parsed += parse_csv(path.read_bytes(), organisation_id=organisation.id, facilities=facilities)
    assert [replace(r, id="") for r in parsed] == [replace(r, id="") for r in region.records]
    assert (tmp_path / "organisations.csv").exists()
    assert (tmp_path / "NOTICE.txt").exists()


def test_every_demo_record_computes_with_the_shipped_factors(region: DemoRegion) -> None:
    """The demo uses only activities, units and years for which a cited factor ships: no record
    of it fails with FactorNotFound or UnitMismatch under any GWP set."""
    from carbonbridge.accounting.engine import calculate_all, combustion_sectors
    from carbonbridge.factors.model import GwpSet
    from carbonbridge.factors.service import shipped_library

    library = shipped_library()
    for gwp in GwpSet:
        results = calculate_all(
            region.records, library, gwp, sectors=combustion_sectors(region.organisations)
        )
        assert len(results) == len(region.records)


def test_scope3_waste_and_travel_start_in_2025(region: DemoRegion) -> None:
    """Waste (DESNZ 2025 "Waste disposal") and business travel are collected from 2025 only: the
    library never applies a factor published for a later year than the activity."""
    years: dict[str, set[int]] = {}
    for r in region.records:
        family = r.activity.split(".", 1)[0]
        years.setdefault(family, set()).add(r.year)
    assert years["waste"] == {2025}
    assert years["travel"] == {2025}
    waste_orgs = {r.organisation_id for r in region.records if r.activity.startswith("waste.")}
    kinds = Counter(o.kind for o in region.organisations if o.id in waste_orgs)
    assert kinds == Counter(
        {OrganisationKind.HOTEL: 20, OrganisationKind.GOVERNMENT: 10, OrganisationKind.HOSPITAL: 1}
    )


def test_demo_waste_is_quantity_times_the_desnz_2025_factor(region: DemoRegion) -> None:
    """Every 2025 waste record computes to tonnes x the DESNZ 2025 kg CO2e/t of its route, e.g.
    commercial and industrial waste to landfill 520.5327, to combustion 4.68568."""
    from carbonbridge.accounting.engine import calculate
    from carbonbridge.accounting.model import Basis
    from carbonbridge.factors.model import GwpSet
    from carbonbridge.factors.service import shipped_library
    from carbonbridge.kernel.exact import quantize

    printed = {
        "waste.commercial_industrial.landfill": Decimal("520.5327"),
        "waste.commercial_industrial.combustion": Decimal("4.68568"),
        "waste.food_drink.anaerobic_digestion": Decimal("8.98311"),
        "waste.food_drink.composting": Decimal("8.98311"),
        "waste.paper_board_mixed.recycling_closed_loop": Decimal("4.68568"),
    }
    library = shipped_library()
    waste = [r for r in region.records if r.activity.startswith("waste.")]
    assert {r.activity for r in waste} == set(printed)
    for r in waste:
        e = calculate(r, library, GwpSet.AR6)
        assert r.unit == "t"
        # the engine keeps kg CO2e to 6 decimal places (mg)
        assert e.co2e_kg(Basis.DEFAULT) == quantize(r.quantity * printed[r.activity], 6), r.id
