"""Reconciliation lines between views of the mixed test organisation (tests/accounting/mixed.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carbonbridge.accounting.engine import calculate_all
from carbonbridge.accounting.frameworks import cn_mee, ghg_protocol, iso14064
from carbonbridge.accounting.model import Basis, Cause
from carbonbridge.accounting.reconciliation import reconcile
from carbonbridge.factors.model import GwpSet
from carbonbridge.factors.resolution import FactorLibrary
from carbonbridge.kernel.errors import InvalidInput
from tests.accounting.conftest import FACILITY, ORG, record
from tests.accounting.mixed import hotel_emissions

D = Decimal


def test_ghgp_to_mee_lines(library: FactorLibrary) -> None:
    """GHGP (location) 738,007.94725 → MEE 914,674.790537:
    boundary −(19,235 + 339.4 + 107) = −19,681.4; gases −697.33725; combustion path
    (216,218.8809 − 218,402.91) + (3,095.909637 − 3,186.3) = −2,274.419463; scope-2 basis
    (570,300 − 404,200) + (114,060 − 80,840) = 199,320."""
    emissions = hotel_emissions(library)
    rec = reconcile(ghg_protocol(ORG, emissions), cn_mee(ORG, emissions), emissions)
    lines = {line.cause: line for line in rec.lines}
    assert lines[Cause.BOUNDARY].co2e_kg == D("-19681.4")
    assert lines[Cause.BOUNDARY].record_ids == ("ac", "flight", "hotel")
    assert lines[Cause.GASES_COUNTED].co2e_kg == D("-697.33725")
    assert lines[Cause.COMBUSTION_PATH].co2e_kg == D("-2274.419463")
    assert lines[Cause.SCOPE2_BASIS].co2e_kg == D("199320")
    assert Cause.MARKET_INSTRUMENTS not in lines
    assert rec.total_a + rec.difference == rec.total_b == D("914674.790537")


def test_market_headline_to_mee_splits_instruments(library: FactorLibrary) -> None:
    """GHGP (market) → MEE: the GEC row goes 0 → 80,840 (instrument) → 114,060 (series A)."""
    emissions = hotel_emissions(library)
    view_a = ghg_protocol(ORG, emissions, scope2_basis=Basis.MARKET)
    rec = reconcile(view_a, cn_mee(ORG, emissions), emissions)
    lines = {line.cause: line for line in rec.lines}
    assert lines[Cause.MARKET_INSTRUMENTS].co2e_kg == D("80840")
    assert lines[Cause.MARKET_INSTRUMENTS].record_ids == ("gec",)
    assert lines[Cause.MARKET_INSTRUMENTS].notes == ("GEC",)
    assert lines[Cause.SCOPE2_BASIS].co2e_kg == D("199320")
    assert rec.total_a + rec.difference == rec.total_b


def test_location_to_market_is_instruments_only(library: FactorLibrary) -> None:
    """200 MWh × 0.4042 = 80,840 kg removed by the GEC."""
    emissions = hotel_emissions(library)
    rec = reconcile(
        ghg_protocol(ORG, emissions),
        ghg_protocol(ORG, emissions, scope2_basis=Basis.MARKET),
        emissions,
    )
    assert [(line.cause, line.co2e_kg) for line in rec.lines] == [(Cause.MARKET_INSTRUMENTS, D("-80840"))]


def test_ghgp_and_iso_reconcile_with_no_lines(library: FactorLibrary) -> None:
    emissions = hotel_emissions(library)
    rec = reconcile(ghg_protocol(ORG, emissions), iso14064(ORG, emissions), emissions)
    assert rec.lines == ()
    assert rec.total_a == rec.total_b


def test_mee_fallback_is_named_in_the_combustion_line(library: FactorLibrary) -> None:
    """LPG has no MEE parameters here: zero path difference, and the line says why."""
    emissions = calculate_all(
        [record("fuel.lpg", "1", "t", rid="lpg")],
        library,
        GwpSet.AR5,
        sectors={FACILITY.id: "commercial_institutional"},
    )
    rec = reconcile(ghg_protocol(ORG, emissions), cn_mee(ORG, emissions), emissions)
    line = next(x for x in rec.lines if x.cause is Cause.COMBUSTION_PATH)
    assert line.co2e_kg == 0
    assert "IPCC-path CO2 used" in line.notes[0]


def test_records_missing_from_the_list_are_rejected(library: FactorLibrary) -> None:
    emissions = hotel_emissions(library)
    with pytest.raises(InvalidInput, match="not passed"):
        reconcile(ghg_protocol(ORG, emissions), cn_mee(ORG, emissions), emissions[:2])
