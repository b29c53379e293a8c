"""The compensation rule's arithmetic: integer fen, allocations that conserve grams."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from carbonbridge.tourism.compensation import allocate, amount_fen, available
from carbonbridge.tourism.model import PoolRetirement


def _retirement(n: int, tonnes: int, allocated: int) -> PoolRetirement:
    return PoolRetirement(f"r{n}", "pool", f"op{n}", "prj", 2025, tonnes, (), allocated, n)


def test_amount_rounds_up_to_the_fen() -> None:
    """1 g at 8,000 fen/t is 0.008 fen: 1 fen; 1 t exactly is the price; 1,000,001 g one fen more."""
    assert amount_fen(1, 8000) == 1
    assert amount_fen(1_000_000, 8000) == 8000
    assert amount_fen(1_000_001, 8000) == 8001
    assert amount_fen(0, 8000) == 0


@given(st.integers(0, 10**12), st.integers(1, 10**7))
def test_amount_is_the_ceiling_of_the_exact_product(grams: int, price: int) -> None:
    fen = amount_fen(grams, price)
    assert fen * 1_000_000 >= grams * price > (fen - 1) * 1_000_000 or grams * price == 0


@given(
    st.lists(st.tuples(st.integers(1, 5), st.integers(0, 999_999)), min_size=0, max_size=5),
    st.integers(1, 6_000_000),
)
def test_allocation_takes_all_or_nothing_and_never_exceeds_a_retirement(
    pools: list[tuple[int, int]], grams: int
) -> None:
    retirements = [_retirement(i, t, min(a, t * 1_000_000)) for i, (t, a) in enumerate(pools)]
    plan = allocate(grams, retirements)
    if available(retirements) < grams:
        assert plan is None
        return
    assert plan is not None
    assert sum(g for _, g in plan) == grams
    assert all(0 < g <= r.remaining_grams for r, g in plan)
