"""The display rule (``kernel/display.py``, ``docs/display.md``): 6 significant figures for a
measure, never dropping an integer digit; money 2 places, percent 1, counts exact."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carbonbridge.kernel.display import SIGNIFICANT_FIGURES, FigureKind, quantise, shown


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("999.99999999999999999999999995", "1,000"),  # the L/mu figure
        ("216218.8809", "216,219"),  # 100,000 Nm3 natural gas, kg CO2 (MEE guideline)
        ("570300", "570,300"),
        ("1234567.89", "1,234,568"),  # integer digits are never dropped
        ("0.0023456789", "0.00234568"),
        ("-12.3456789", "-12.3457"),
        ("9.9999951", "10"),
        ("12.5", "12.5"),
        ("0", "0"),
        ("0.000", "0"),
    ],
)
def test_a_measure_is_shown_to_six_significant_figures(value: str, text: str) -> None:
    assert shown(Decimal(value)) == text


def test_money_percent_and_count_have_fixed_places() -> None:
    assert shown(Decimal("1234.565"), FigureKind.MONEY) == "1,234.56"  # half-to-even
    assert shown(Decimal("99.95"), FigureKind.PERCENT) == "100.0"
    assert shown(7, FigureKind.COUNT) == "7"
    assert shown(None) == "—"


@given(st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, places=20))
def test_quantising_moves_a_measure_by_at_most_half_its_last_shown_figure(value: Decimal) -> None:
    q = quantise(value)
    if value.is_zero():
        assert q == 0
        return
    last = min(value.adjusted() - SIGNIFICANT_FIGURES + 1, 0)
    assert abs(q - value) <= Decimal(5).scaleb(last - 1) * 2  # within half a unit, after a carry
    digits = len(q.as_tuple().digits)
    assert digits <= max(SIGNIFICANT_FIGURES, q.adjusted() + 1) + 1


def test_a_template_names_the_kind_and_may_pass_a_decimal_s_text() -> None:
    """``{{ tonnes | shown("count") }}``; a calculation stored as JSON holds its values as text."""
    assert shown(12000, "count") == "12,000"
    assert shown("999.99999999999999999999999995") == "1,000"
    assert shown("0.5999999999999999999999999999700000", "measure") == "0.6"
    with pytest.raises(ValueError, match="'tonnes'"):
        shown(1, "tonnes")


def test_a_count_is_exact_never_rounded() -> None:
    assert shown(Decimal("600.000"), FigureKind.COUNT) == "600"
    with pytest.raises(ValueError, match="whole number"):
        shown(Decimal("600.25"), FigureKind.COUNT)
