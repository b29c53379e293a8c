"""The demo region loaded through the services, on each backend: every organisation's GHG Protocol
and ISO 14064-1 totals agree, and every difference to the China MEE view is itemised."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import service
from carbonbridge.demo.load import LOADER, load_demo_if_empty
from carbonbridge.factors.model import GwpSet
from carbonbridge.registry import reads
from carbonbridge.registry import views as registry_views


@pytest.fixture
def demo(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    assert load_demo_if_empty(sessions, Console(quiet=True))
    return sessions


def test_demo_loads_once(demo: sessionmaker[Session]) -> None:
    assert not load_demo_if_empty(demo, Console(quiet=True))
    assert service.organisation_count(demo) == 50


def test_ghgp_and_iso_agree_and_mee_differences_are_itemised(demo: sessionmaker[Session]) -> None:
    organisations = service.list_organisations(demo, LOADER)
    checked = 0
    for org in organisations:
        for year in service.years_of(demo, LOADER, org.id):
            inv = service.organisation_inventory(demo, LOADER, org.id, year, GwpSet.AR6)
            assert inv.ghgp.total_co2e_kg == inv.iso14064.total_co2e_kg, (org.id, year)
            assert inv.ghgp_vs_iso.lines == () or inv.ghgp_vs_iso.difference == 0
            bridge = inv.ghgp_vs_mee
            assert bridge.total_a + bridge.difference == bridge.total_b, (org.id, year)
            assert all(line.record_ids for line in bridge.lines)
            checked += 1
    assert checked >= 140  # 50 organisations x 3 years, less any without data in a year


def test_regional_inventory_by_sector_and_intensity(demo: sessionmaker[Session]) -> None:
    result = service.regional(demo, "CN-HI", GwpSet.AR6)
    assert result.synthetic
    assert [y.year for y in result.inventory.years] == [2023, 2024, 2025]
    for year in result.inventory.years:
        energy = year.ipcc_sector("1").co2e_kg
        assert energy > 0
        assert year.ipcc_total_kg >= energy
        assert year.per_capita_kg == (year.ipcc_total_kg / year.population).quantize(Decimal("0.001"))  # type: ignore[operator]
        assert year.gpc_basic_plus_kg >= year.gpc_basic_kg > 0
    # Waste (IPCC 4, GPC III) is collected from 2025, the first year a cited factor set covers.
    by_year = {y.year: y for y in result.inventory.years}
    for early in (2023, 2024):
        assert by_year[early].ipcc_sector("4").co2e_kg == 0
    waste_2025 = by_year[2025].ipcc_sector("4").co2e_kg
    assert waste_2025 > 0
    assert by_year[2025].gpc_sector("III").co2e_kg == waste_2025


def test_regional_api_is_public(app_client: Any, demo: sessionmaker[Session]) -> None:
    body = app_client.get("/api/v1/inventory/region?gwp=AR5").json()
    assert body["synthetic"] is True
    assert body["gwp"] == "AR5"
    assert len(body["years"]) == 3


def test_demo_region_log_verifies_from_tiles_alone(demo: sessionmaker[Session], tmp_path: Any) -> None:
    """Issue 3 acceptance: export the demo region's log as static tiles, then, with nothing but the
    tiles and the log's public key, check the signed checkpoint, recompute the tree root from the
    hash tiles and every leaf from the entry bundles."""
    from carbonbridge.ledger import keys
    from carbonbridge.ledger import service as ledger
    from carbonbridge.ledger.verify import (
        directory_fetcher,
        open_published_checkpoint,
        verify_checkpoint_tiles,
        verify_entries,
    )

    ledger.export_tiles(demo, tmp_path)
    vkey = keys.verifier_key()
    from carbonbridge.ledger.note import parse_verifier_key

    fetch = directory_fetcher(tmp_path)
    checkpoint = open_published_checkpoint(fetch, [parse_verifier_key(vkey)])
    assert checkpoint.tree_size >= 100  # 50 registrations, 50 submissions, 3 statistics years
    verify_checkpoint_tiles(checkpoint, fetch)
    assert verify_entries(checkpoint, fetch) == checkpoint.tree_size


def test_demo_region_has_credits_issued_transferred_and_retired(demo: sessionmaker[Session]) -> None:
    """The demo's three synthetic projects ran through the real registry use cases and calculators:
    MG001 625 + 631 credits (buffer 125 + 127), PV001 581, EV001 399 (the acceptance scenarios'
    figures), and three public retirements; every project+vintage conserves its units."""
    projects = {p.code: p for p in registry_views.list_projects(demo)}
    assert sorted(projects) == ["EV001", "MG001", "PV001"]
    tallies = reads.conservation(demo)
    assert all(t.balanced for t in tallies)
    code_of = {p.id: code for code, p in projects.items()}
    issued = {(code_of[t.project_id], t.vintage): t.issued for t in tallies}
    assert issued == {("MG001", 2024): 625, ("MG001", 2025): 631, ("PV001", 2024): 581, ("EV001", 2023): 399}
    retired = {(r.beneficiary, r.quantity) for r in registry_views.all_retirements(demo)}
    assert retired == {
        ("Demo Bay Hotel 01 guests [SYNTHETIC]", 120),
        ("Demo County Government Office 02 [SYNTHETIC]", 50),
        ("Demo Bay Hotel 02 conference [SYNTHETIC]", 40),
    }
