"""Unsold volume carried into later auctions (UK reg 6(8)).

SI 2021/484 reg 6(8): unsold allowances "are to be added to the next four auctions ..., evenly
distributed, so that a quarter of the unsold allowances is added at each subsequent auction"; where
that would take any of those auctions above 125 % of the volume first proposed for it, the excess
goes to another of the four for which that is not the case. The regulation's last branch (every one
of the four at its 125 % volume) is not placed here: it is returned as ``unplaced`` for the
auctioneer to decide, and the reader is told so (``docs/markets.md``).

Allowances are whole: a quarter that is not whole is rounded down and the remainder goes one each to
the earliest of the four (our rule, marked so in the docs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: reg 6(8)(b): at most 125 % of the volume first proposed
CAP_PERCENT = 125


@dataclass(frozen=True, slots=True)
class Carry:
    """Volumes of the next auctions after the carry-forward, and what could not be placed."""

    volumes: tuple[int, ...]
    added: tuple[int, ...]
    unplaced: int


def carry_forward(unsold: int, proposed: Sequence[int]) -> Carry:
    """Spread ``unsold`` over the next four auctions whose first-proposed volumes are ``proposed``
    (reg 6(8)); each may end at no more than 125 % of its proposed volume (rounded down)."""
    if unsold < 0:
        raise ValueError("unsold volume cannot be negative")
    nxt = list(proposed[:4])
    if len(nxt) < 4:
        raise ValueError("reg 6(8) spreads unsold volume over the next four auctions: four are needed")
    caps = [v * CAP_PERCENT // 100 for v in nxt]
    quarter, rest = divmod(unsold, 4)
    want = [quarter + (1 if n < rest else 0) for n in range(4)]
    added = [0, 0, 0, 0]
    excess = 0
    for n in range(4):
        room = caps[n] - nxt[n]
        added[n] = min(want[n], room)
        excess += want[n] - added[n]
    for n in range(4):
        if excess == 0:
            break
        room = caps[n] - nxt[n] - added[n]
        take = min(room, excess)
        added[n] += take
        excess -= take
    return Carry(tuple(v + a for v, a in zip(nxt, added, strict=True)), tuple(added), excess)
