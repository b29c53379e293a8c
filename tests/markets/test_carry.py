"""UK reg 6(8): unsold volume spread over the next four auctions, each at most 125 % of its
first-proposed volume."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carbonbridge.markets.auctions.carry import carry_forward


def test_a_quarter_each_when_there_is_room() -> None:
    carry = carry_forward(8000, [100_000, 100_000, 100_000, 100_000, 100_000])
    assert carry.added == (2000, 2000, 2000, 2000)
    assert carry.volumes == (102_000, 102_000, 102_000, 102_000)
    assert carry.unplaced == 0


def test_an_uneven_remainder_goes_to_the_earliest() -> None:
    assert carry_forward(10, [100, 100, 100, 100]).added == (3, 3, 2, 2)


def test_excess_over_125_percent_moves_to_another_of_the_four() -> None:
    """Auction 1 proposes 1,000 (cap 1,250): its quarter of 2,000 (500) exceeds the cap by 250,
    which goes to the first of the others with room."""
    carry = carry_forward(2000, [1000, 10_000, 10_000, 10_000])
    assert carry.added == (250, 750, 500, 500)
    assert carry.unplaced == 0


def test_what_no_auction_can_take_is_returned_unplaced() -> None:
    carry = carry_forward(1000, [100, 100, 100, 100])
    assert carry.added == (25, 25, 25, 25)
    assert carry.unplaced == 900


def test_four_auctions_are_needed() -> None:
    with pytest.raises(ValueError, match="four"):
        carry_forward(10, [100, 100])


@given(st.integers(0, 10**6), st.lists(st.integers(0, 10**6), min_size=4, max_size=6))
def test_nothing_is_lost_and_no_auction_passes_its_cap(unsold: int, proposed: list[int]) -> None:
    carry = carry_forward(unsold, proposed)
    assert sum(carry.added) + carry.unplaced == unsold
    for volume, first in zip(carry.volumes, proposed[:4], strict=True):
        assert first <= volume <= first * 125 // 100
