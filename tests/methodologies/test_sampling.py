"""Sampling uncertainty, the t table and the uncertainty discount (AR-TOOL14 / AR-AM0014)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carbonbridge.kernel.errors import InvalidInput
from carbonbridge.methodologies import allometry, sampling


@pytest.mark.parametrize(
    ("df", "t"),
    [(1, "6.314"), (10, "1.812"), (30, "1.697"), (35, "1.697"), (60, "1.671"), (500, "1.645")],
)
def test_t_value_is_conservative_between_rows(df: int, t: str) -> None:
    assert sampling.t_value(df) == Decimal(t)


def test_no_degrees_of_freedom_is_rejected() -> None:
    with pytest.raises(InvalidInput):
        sampling.t_value(0)


@pytest.mark.parametrize(
    ("u", "share"),
    [
        ("0.05", "0"),
        ("0.10", "0"),
        ("0.12", "0.25"),
        ("0.15", "0.25"),
        ("0.2", "0.50"),
        ("0.3", "0.75"),
        ("0.31", "1"),
    ],
)
def test_discount_table(u: str, share: str) -> None:
    assert sampling.discount_share(Decimal(u)) == Decimal(share)


def test_change_uncertainty() -> None:
    """C1 = 100 ± 10 %, C2 = 200 ± 5 %: sqrt(10² + 10²) / 100 = 0.141421..."""
    u = sampling.change_uncertainty(Decimal(100), Decimal("0.1"), Decimal(200), Decimal("0.05"))
    assert u.quantize(Decimal("0.000001")) == Decimal("0.141421")


def test_stratified_estimate() -> None:
    """Two strata, weights 3:1, plots (10, 12) and (20, 24): mean 0.75 × 11 + 0.25 × 22 = 13.75;
    s² = 2 and 8; sqrt(0.5625 × 2/2 + 0.0625 × 8/2) = sqrt(0.8125) = 0.901388; df = 2, t = 2.920;
    u = 2.920 × 0.901388 / 13.75 = 0.191422."""
    est = sampling.stratified(
        [(Decimal(3), [Decimal(10), Decimal(12)]), (Decimal(1), [Decimal(20), Decimal(24)])]
    )
    assert est.mean == Decimal("13.75")
    assert est.df == 2
    assert est.relative_u.quantize(Decimal("0.000001")) == Decimal("0.191422")


def test_komiyama_common_allometry() -> None:
    """D = 10 cm, ρ = 0.6: 0.251 × 0.6 × 10^2.46 = 0.1506 × 288.40315 = 43.4335 kg."""
    assert allometry.tree_agb_kg(Decimal("0.6"), Decimal(10)).quantize(Decimal("0.0001")) == Decimal(
        "43.4335"
    )


def test_root_shoot_equation() -> None:
    """b = 10 t/ha: exp(−1.085 + 0.9256 × ln 10) = exp(1.046273) = 2.84702 t/ha (R = 0.285)."""
    assert allometry.below_ground(Decimal(10)).quantize(Decimal("0.0001")) == Decimal("2.8470")
    assert allometry.below_ground(Decimal(0)) == 0
