"""The compensation rule (``docs/tourism.md``, "Compensation"): grams of the pool's whole-tonne
retirements are allocated to a bill, oldest retirement first. The allocations of a retirement
never exceed its grams (1 t = 1,000,000 g); what a bill does not use waits for the next bills; a
bill is allocated all its grams or nothing. The amount is ceil(grams × fen per tonne ÷ 1,000,000)
fen, in integers (never a float)."""

from __future__ import annotations

from collections.abc import Sequence

from carbonbridge.tourism.model import GRAMS_PER_TONNE, PoolRetirement


def amount_fen(grams: int, fen_per_tonne: int) -> int:
    """ceil(grams × fen_per_tonne ÷ 1,000,000), exact in integers."""
    return -((-grams * fen_per_tonne) // GRAMS_PER_TONNE)


def allocate(grams: int, retirements: Sequence[PoolRetirement]) -> list[tuple[PoolRetirement, int]] | None:
    """The grams each retirement gives to a bill of ``grams``, oldest first (the order given);
    ``None`` when their remainders together are too few (then nothing is allocated)."""
    plan: list[tuple[PoolRetirement, int]] = []
    left = grams
    for retirement in retirements:
        if left == 0:
            break
        take = min(left, retirement.remaining_grams)
        if take > 0:
            plan.append((retirement, take))
            left -= take
    return plan if left == 0 else None


def available(retirements: Sequence[PoolRetirement]) -> int:
    return sum(max(r.remaining_grams, 0) for r in retirements)
