"""The national ETS's agreement modes: listed agreement (挂牌协议) takes within the best five levels
at the listing's price, block agreement (大宗协议) checks, and the close as the day's VWAP. Rules as
issue 14 states them and Securities Times (2021-07-16) reports the SEEE announcement."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonbridge.markets.trading.agreements import (
    AgreementRules,
    BlockTrade,
    ListedBoard,
    block_trade,
    closing_price,
)
from carbonbridge.markets.trading.errors import (
    DuplicateOrder,
    InvalidOrder,
    TakeRefused,
    UnknownOrder,
)
from carbonbridge.markets.trading.model import Cancelled, CancelReason, Fill, Level, Side

BUY, SELL = Side.BUY, Side.SELL
# previous close 60.00 yuan/t; tick 0.01 yuan, step 1 t (the national market's)
RULES = AgreementRules(previous_close_fen=6_000)


def board_with_seven_sell_levels() -> ListedBoard:
    board = ListedBoard(RULES)
    for n in range(7):  # 60.00, 60.10, ... 60.60 yuan
        board.list_order(n + 1, f"S{n}", SELL, 6_000 + 10 * n, 1_000)
    return board


def test_the_bands_are_ten_and_thirty_percent() -> None:
    assert RULES.listed_band == (5_400, 6_600)
    assert RULES.block_band == (4_200, 7_800)


def test_a_take_within_the_best_five_trades_at_the_listings_price() -> None:
    board = board_with_seven_sell_levels()
    events = board.take(100, "B", 5, 400)  # 60.40: the fifth level
    assert events[-1] == Fill(5, 100, 6_040, 400, BUY)
    assert board.depth(SELL, None)[4] == Level(6_040, 600, 1)


def test_a_take_beyond_the_best_five_is_refused_and_changes_nothing() -> None:
    board = board_with_seven_sell_levels()
    with pytest.raises(TakeRefused) as raised:
        board.take(100, "B", 6, 400)  # 60.50: the sixth level
    assert raised.value.issues[0].location == ("listing_id",)
    assert "best 5" in raised.value.issues[0].reason
    assert len(board.depth(SELL, None)) == 7
    assert board.depth(SELL, None)[5] == Level(6_050, 1_000, 1)


def test_a_taken_level_lets_the_sixth_into_the_best_five() -> None:
    board = board_with_seven_sell_levels()
    board.take(100, "B", 1, 1_000)
    assert board.take(101, "B", 6, 10)[-1] == Fill(6, 101, 6_050, 10, BUY)


def test_own_listing_and_more_than_open_are_refused() -> None:
    board = board_with_seven_sell_levels()
    with pytest.raises(TakeRefused, match="own listing"):
        board.take(100, "S0", 1, 10)
    with pytest.raises(TakeRefused, match="1000 units open"):
        board.take(100, "B", 1, 1_001)
    with pytest.raises(UnknownOrder):
        board.take(100, "B", 99, 10)


def test_a_listing_outside_ten_percent_or_of_100000_t_is_refused() -> None:
    board = ListedBoard(RULES)
    with pytest.raises(InvalidOrder) as raised:
        board.list_order(1, "S", SELL, 6_601, 100)
    assert raised.value.issues[0].value == 6_601
    with pytest.raises(InvalidOrder, match="block agreements"):
        board.list_order(1, "S", SELL, 6_000, 100_000)
    assert board.list_order(1, "S", SELL, 6_000, 99_999)
    with pytest.raises(DuplicateOrder):
        board.list_order(1, "S", SELL, 6_000, 10)


def test_a_buy_listing_is_taken_by_a_seller() -> None:
    board = ListedBoard(RULES)
    board.list_order(1, "B", BUY, 5_990, 500)
    assert board.take(2, "S", 1, 500)[-1] == Fill(1, 2, 5_990, 500, SELL)
    assert board.depth(BUY) == []


def test_a_listing_can_be_withdrawn() -> None:
    board = ListedBoard(RULES)
    board.list_order(1, "S", SELL, 6_000, 500)
    board.take(2, "B", 1, 200)
    assert board.cancel(1) == [Cancelled(1, 300, CancelReason.REQUESTED)]
    with pytest.raises(UnknownOrder):
        board.cancel(1)


def test_a_block_trade_of_100000_t_within_thirty_percent_is_accepted() -> None:
    assert block_trade(RULES, 1, "B", "S", 7_800, 100_000) == BlockTrade(1, "B", "S", 7_800, 100_000)


@pytest.mark.parametrize(
    ("price", "quantity", "seller", "location"),
    [
        (7_801, 100_000, "S", ("price_fen",)),  # over +30 %
        (4_199, 100_000, "S", ("price_fen",)),  # under -30 %
        (6_000, 99_999, "S", ("quantity",)),  # under 100,000 t
        (6_000, 100_000, "B", ("seller",)),  # with itself
    ],
)
def test_a_bad_block_trade_is_refused(price: int, quantity: int, seller: str, location: tuple[str]) -> None:
    with pytest.raises(InvalidOrder) as raised:
        block_trade(RULES, 1, "B", seller, price, quantity)
    assert raised.value.issues[0].location == location


def test_the_close_is_the_volume_weighted_average_rounded_half_up() -> None:
    # (60.00 × 100 + 61.00 × 300) / 400 = 60.75; (60.00 × 1 + 60.01 × 1) / 2 = 60.005 → 60.01
    assert closing_price([(6_000, 100), (6_100, 300)], 5_900) == 6_075
    assert closing_price([(6_000, 1), (6_001, 1)], 5_900) == 6_001


def test_with_no_trade_the_close_is_the_previous_close() -> None:
    assert closing_price([], 5_900) == 5_900


# (action, member, side, price or listing id, quantity)
Op = tuple[str, str, Side, int, int]
_ops = st.tuples(
    st.sampled_from(("list", "list", "take", "take", "cancel")),
    st.sampled_from("ABC"),
    st.sampled_from(Side),
    st.integers(0, 6_700),
    st.integers(0, 3_000),
)


@settings(max_examples=150, deadline=None)
@given(ops=st.lists(_ops, max_size=60))
def test_takes_stay_within_the_best_five_and_refusals_change_nothing(ops: list[Op]) -> None:
    board = ListedBoard(AgreementRules(previous_close_fen=6_000, best_levels=5))
    listed: dict[int, int] = {}
    done: dict[int, int] = {}  # per listing: units taken or withdrawn
    for next_id, (action, member, side, number, qty) in enumerate(ops, 1):
        before = (board.depth(BUY, None), board.depth(SELL, None))
        try:
            if action == "list":
                board.list_order(next_id, member, side, 5_300 + number % 1_400, qty)
                listed[next_id] = qty
            elif action == "take":
                best = {s: board.best_prices(s) for s in Side}
                fill = board.take(next_id, member, number % 40, qty // 20)[-1]
                assert isinstance(fill, Fill)
                maker_side = Side.SELL if fill.taker_side is Side.BUY else Side.BUY
                assert fill.price_fen in best[maker_side]
                done[fill.maker_id] = done.get(fill.maker_id, 0) + fill.quantity
            else:
                (cancelled,) = board.cancel(number % 40)
                assert isinstance(cancelled, Cancelled)
                done[cancelled.order_id] = done.get(cancelled.order_id, 0) + cancelled.quantity
        except (InvalidOrder, TakeRefused, UnknownOrder, DuplicateOrder):
            assert (board.depth(BUY, None), board.depth(SELL, None)) == before
    open_units = sum(level.quantity for s in Side for level in board.depth(s, None))
    assert open_units + sum(done.values()) == sum(listed.values())
