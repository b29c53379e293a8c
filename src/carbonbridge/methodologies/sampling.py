"""Sampling uncertainty and the uncertainty discount of the A/R methodologies.

* Stratified mean and its relative uncertainty, CDM AR-TOOL14 (v4.2) "Estimation of carbon stocks and
  change in carbon stocks of trees and shrubs in A/R CDM project activities":
  b = Σ w_i b_i,  u = t_VAL × sqrt(Σ w_i² s_i² / n_i) / b, t_VAL two-sided 90 % (the 0.95 quantile
  of Student's t) with n − M degrees of freedom (n plots, M strata);
* uncertainty of a change between two measurements: u_Δ = sqrt((u1 C1)² + (u2 C2)²) / |C2 − C1|;
* discount: the share DF of the uncertainty U deducted (U ≤ 10 % → 0; ≤ 15 % → 25 %; ≤ 20 % → 50 %;
  ≤ 30 % → 75 %; above → 100 %), the estimate lowered by DF × U × estimate.

The t table is written out (scipy is not a dependency): values are the 0.95 quantiles of Student's t
to three decimals as printed in standard tables; a df between tabulated rows uses the lower row's
(larger, conservative) value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from carbonbridge.kernel.errors import FieldIssue, InvalidInput

#: Student's t, 0.95 quantile (two-sided 90 %), by degrees of freedom
T_90: dict[int, Decimal] = {
    df: Decimal(t)
    for df, t in (
        (1, "6.314"),
        (2, "2.920"),
        (3, "2.353"),
        (4, "2.132"),
        (5, "2.015"),
        (6, "1.943"),
        (7, "1.895"),
        (8, "1.860"),
        (9, "1.833"),
        (10, "1.812"),
        (11, "1.796"),
        (12, "1.782"),
        (13, "1.771"),
        (14, "1.761"),
        (15, "1.753"),
        (16, "1.746"),
        (17, "1.740"),
        (18, "1.734"),
        (19, "1.729"),
        (20, "1.725"),
        (21, "1.721"),
        (22, "1.717"),
        (23, "1.714"),
        (24, "1.711"),
        (25, "1.708"),
        (26, "1.706"),
        (27, "1.703"),
        (28, "1.701"),
        (29, "1.699"),
        (30, "1.697"),
        (40, "1.684"),
        (60, "1.671"),
        (120, "1.658"),
    )
}
T_90_INFINITY = Decimal("1.645")

#: (upper bound of U, share of U deducted), AR-AM0014 / A/R uncertainty discount table (analogue)
DISCOUNT_TABLE: tuple[tuple[Decimal, Decimal], ...] = (
    (Decimal("0.10"), Decimal(0)),
    (Decimal("0.15"), Decimal("0.25")),
    (Decimal("0.20"), Decimal("0.50")),
    (Decimal("0.30"), Decimal("0.75")),
)


def t_value(df: int) -> Decimal:
    """Two-sided 90 % Student's t for ``df`` degrees of freedom (conservative between rows)."""
    if df < 1:
        raise InvalidInput(
            "too few sample plots to estimate the sampling uncertainty",
            [FieldIssue(("strata",), df, "plots minus strata must be at least 1 (degrees of freedom)")],
        )
    if df in T_90:
        return T_90[df]
    below = [d for d in T_90 if d < df]
    return T_90[max(below)] if df <= max(T_90) else T_90_INFINITY


def discount_share(u: Decimal) -> Decimal:
    """DF for relative uncertainty ``u`` (0.12 = 12 %)."""
    for upper, share in DISCOUNT_TABLE:
        if u <= upper:
            return share
    return Decimal(1)


def mean_and_sd(values: Sequence[Decimal]) -> tuple[Decimal, Decimal]:
    """Sample mean and standard deviation (n − 1); sd 0 for a single value."""
    n = len(values)
    mean = sum(values, Decimal(0)) / n
    if n < 2:
        return mean, Decimal(0)
    variance = sum(((v - mean) ** 2 for v in values), Decimal(0)) / (n - 1)
    return mean, variance.sqrt()


@dataclass(frozen=True)
class Stratified:
    """A stratified mean per hectare and its relative uncertainty at 90 % confidence."""

    mean: Decimal
    relative_u: Decimal
    df: int
    t: Decimal


def stratified(strata: Sequence[tuple[Decimal, Sequence[Decimal]]]) -> Stratified:
    """``strata`` as (area weight w_i, plot values); AR-TOOL14 stratified estimator."""
    measured = [(w, v) for w, v in strata if v]
    if not measured:
        return Stratified(Decimal(0), Decimal(0), 0, Decimal(0))
    total_w = sum((w for w, _ in measured), Decimal(0))
    if total_w == 0:
        return Stratified(Decimal(0), Decimal(0), 0, Decimal(0))
    df = sum(len(v) for _, v in measured) - len(measured)
    t = t_value(df)
    mean = Decimal(0)
    variance = Decimal(0)
    for w, values in measured:
        weight = w / total_w
        m, s = mean_and_sd(values)
        mean += weight * m
        variance += weight**2 * s**2 / len(values)
    relative = t * variance.sqrt() / mean if mean > 0 else Decimal(0)
    return Stratified(mean, relative, df, t)


def change_uncertainty(c1: Decimal, u1: Decimal, c2: Decimal, u2: Decimal) -> Decimal:
    """Relative uncertainty of C2 − C1 (zero when there is no change)."""
    change = c2 - c1
    if change == 0:
        return Decimal(0)
    return ((u1 * c1) ** 2 + (u2 * c2) ** 2).sqrt() / abs(change)
