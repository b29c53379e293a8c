"""The MEE series-A grid factor by reporting year, with the shipped data: which value serves which
year, and what the trace says when none is confirmed for the year (``docs/factor-datasets.md``,
"The MEE series-A grid factor, by reporting year")."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carbonbridge.accounting.engine import calculate
from carbonbridge.accounting.frameworks import check_placeable
from carbonbridge.accounting.model import Basis
from carbonbridge.factors import reasons
from carbonbridge.factors.datasets import builtin_datasets
from carbonbridge.factors.model import GwpSet, YearPolicy
from carbonbridge.factors.resolution import FactorLibrary
from carbonbridge.kernel.errors import FactorNotFound
from tests.accounting.conftest import record

STRICT = FactorLibrary(builtin_datasets())
NEAREST = FactorLibrary(builtin_datasets(), year_policy=YearPolicy.NEAREST_EARLIER)
A = "cn-mee-grid-reporting@2023"


def test_2024_uses_the_factor_the_2023_2025_notice_prescribes_without_a_fallback_note() -> None:
    """1,000 MWh x 0.5703 t/MWh (环办气候函〔2023〕43号, reporting years 2023-2025) = 570,300 kg."""
    e = calculate(record("electricity.grid", "1000", "MWh", year=2024), STRICT, GwpSet.AR6)
    assert e.co2e_kg(Basis.MEE_GRID) == Decimal("570300")
    assert e.traces[Basis.MEE_GRID].notes == ()


def test_strict_2026_has_no_mee_figure_and_says_why_on_the_trace_and_in_the_mee_view() -> None:
    e = calculate(record("electricity.grid", "1000", "MWh", year=2026), STRICT, GwpSet.AR6)
    assert Basis.MEE_GRID not in e.method_results
    [note] = e.traces[Basis.LOCATION].notes
    assert note.startswith("no MEE reporting factor (series A) for 2026: no eligible factor")
    assert (
        "prescribed for reporting years 2023-2025, not 2026; the region's year policy is strict "
        f"(nearest-earlier would use it) ({A}#A-2023-2025)"
    ) in note
    with pytest.raises(FactorNotFound) as caught:
        check_placeable(e)
    assert caught.value.detail == f"record {e.record.id}: {note}"


@pytest.mark.parametrize(
    ("year", "row", "applies", "kg"),
    [
        # no series-A value is confirmed for 2026: 0.5703 (2023-2025) stands in -> 570,300 kg
        (2026, "A-2023-2025", "2023-2025", "570300"),
        # none is confirmed for 2022: 0.5810 (prescribed for 2021) stands in -> 581,000 kg
        (2022, "A-2021", "2021", "581000"),
    ],
)
def test_nearest_earlier_uses_the_latest_earlier_value_and_the_trace_says_which(
    year: int, row: str, applies: str, kg: str
) -> None:
    e = calculate(record("electricity.grid", "1000", "MWh", year=year), NEAREST, GwpSet.AR6)
    assert e.co2e_kg(Basis.MEE_GRID) == Decimal(kg)
    expected = reasons.STAND_IN % {"year": year, "factor": f"{A}#{row}", "applies": applies}
    assert e.traces[Basis.MEE_GRID].notes == (expected,)
    check_placeable(e)


def test_series_b_never_stands_in_for_series_a() -> None:
    e = calculate(record("electricity.grid", "1000", "MWh", year=2026), STRICT, GwpSet.AR6)
    assert "cn-mee-nbs-electricity-co2" not in e.traces[Basis.LOCATION].notes[0]
