"""Worked examples for ``accounting.engine``: each derives its answer from published factors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carbonbridge.accounting.engine import calculate
from carbonbridge.accounting.model import Basis
from carbonbridge.factors.model import GwpSet
from carbonbridge.kernel.errors import FactorNotFound, InvalidInput, UnitMismatch
from tests.accounting.conftest import StubLibrary, record

D = Decimal


def _gas(emissions, basis, gas):  # type: ignore[no-untyped-def]
    return next(g for g in emissions.gases(basis) if g.gas == gas)


def test_mee_natural_gas_100000_nm3(library: StubLibrary) -> None:
    """shared/reference/README.md worked check, MEE guideline defaults (cn_mee_fuel_defaults.csv):
    10 (10^4 Nm3) × 389.31 GJ/10^4 Nm3 = 3,893.1 GJ; × 15.3 tC/TJ = 59.56443 tC; × 0.99 =
    58.9687857 tC; × 44/12 = 216.2188809 t CO2 (≈ 216.2 t)."""
    e = calculate(
        record("fuel.natural_gas", "100000", "Nm3"),
        library,
        GwpSet.AR5,
        sector="commercial_institutional",
    )
    assert e.gases(Basis.MEE) == (_gas(e, Basis.MEE, "CO2"),)
    assert _gas(e, Basis.MEE, "CO2").kg == D("216218.8809")
