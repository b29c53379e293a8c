"""The worked examples' factor rows cannot drift from what the platform ships.

``tests/accounting/conftest.py`` lists the published figures the engine's worked examples use and
loads them into the real ``FactorLibrary``. Each row must equal a shipped row
(same parameter, activity, gas, variant, and the year where the row names one; the
latest shipped year where it does not), so the examples compute with the values users get. Unit
spellings are compared after normalisation (``kgCO2e/x`` = ``kg/x``; a fraction = percent / 100).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from carbonbridge.factors.model import Factor
from carbonbridge.factors.service import shipped_library
from tests.accounting.conftest import all_factors

SHIPPED = shipped_library()


def _normalised(value: Decimal, unit: str) -> tuple[Decimal, str]:
    if unit == "percent":
        return value / 100, "dimensionless"
    for gas in ("CO2e", "CO2", "CH4", "N2O"):
        unit = unit.replace(f"kg{gas}/", "kg/").replace(f"t{gas}/", "t/")
    return value, unit


def _candidates(row: Factor) -> list[Factor]:
    hits = [
        f
        for f in SHIPPED.search(activity_prefix=row.activity)
        if f.activity == row.activity
        and f.parameter is row.parameter
        and f.gas == row.gas
        and f.variant == row.variant
        and (row.sector is None or f.sector == row.sector)
    ]
    if row.year is not None:
        return [f for f in hits if f.year == row.year]
    latest = max((f.year or 0) for f in hits) if hits else 0
    return [f for f in hits if (f.year or 0) == latest]


ROWS = all_factors()


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.dataset.id}:{r.activity}:{r.gas}:{r.variant}")
def test_the_worked_examples_factor_is_the_shipped_one(row: Factor) -> None:
    wanted = _normalised(row.value, row.unit)
    found = [_normalised(f.value, f.unit) for f in _candidates(row)]
    assert wanted in found, f"{row.dataset.id} {row.activity}: test uses {wanted}, shipped {found}"
