"""The continuous double auction's matching engine: worked examples of each rule, and refusals that
change nothing. The book of each example is small enough to check by hand."""

from __future__ import annotations

import pytest

from carbonbridge.markets.trading.book import OrderBook, rejected
from carbonbridge.markets.trading.errors import (
    DuplicateOrder,
    InvalidBookRules,
    InvalidOrder,
    UnknownOrder,
)
from carbonbridge.markets.trading.model import (
    Accepted,
    BookRules,
    Cancelled,
    CancelReason,
    Fill,
    Level,
    Modified,
    SelfTradePrevention,
    Side,
    TimeInForce,
)

BUY, SELL = Side.BUY, Side.SELL
IOC, FOK = TimeInForce.IOC, TimeInForce.FOK
# previous close 50.00 yuan/t, ±10 %: 45.00-55.00; tick 1 jiao (10 fen); lot 10 t
RULES = BookRules(previous_close_fen=5_000, limit_bp=1_000, tick_fen=10, lot=10)


def book(rules: BookRules = RULES) -> OrderBook:
    return OrderBook(rules)


def fills(events: list[object]) -> list[tuple[int, int, int]]:
    return [(e.maker_id, e.price_fen, e.quantity) for e in events if isinstance(e, Fill)]


def test_the_limits_are_the_previous_close_plus_minus_ten_percent_on_the_tick() -> None:
    assert (RULES.lower_limit_fen, RULES.upper_limit_fen) == (4_500, 5_500)
    # 33.33 yuan ± 10 %: 29.997 → up to 30.00, 36.663 → down to 36.60 (tick 10 fen)
    odd = BookRules(previous_close_fen=3_333, tick_fen=10)
    assert (odd.lower_limit_fen, odd.upper_limit_fen) == (3_000, 3_660)


def test_price_time_priority_fills_at_the_makers_prices_best_first_then_fifo() -> None:
    b = book()
    b.submit(1, "A", SELL, 30, 5_020)
    b.submit(2, "B", SELL, 20, 5_010)
    b.submit(3, "C", SELL, 20, 5_010)
    events = b.submit(4, "D", BUY, 60, 5_030)
    assert events[0] == Accepted(4, "D", BUY, 5_030, 60, TimeInForce.GTC)
    # 5,010 before 5,020; at 5,010 order 2 (earlier) before order 3; each at the maker's price
    assert events[1:] == [
        Fill(2, 4, 5_010, 20, BUY),
        Fill(3, 4, 5_010, 20, BUY),
        Fill(1, 4, 5_020, 20, BUY),
    ]


def test_a_partly_filled_maker_keeps_its_place_and_the_rest() -> None:
    b = book()
    b.submit(1, "A", SELL, 50, 5_000)
    b.submit(2, "B", SELL, 50, 5_000)
    b.submit(3, "C", BUY, 20, 5_000)
    assert b.queue(SELL, 5_000) == [1, 2]
    state = b.order(1)
    assert state is not None
    assert (state.remaining, state.filled, state.cancelled, state.quantity) == (30, 20, 0, 50)


def test_a_limit_orders_unfilled_rest_rests_at_its_price() -> None:
    b = book()
    b.submit(1, "A", SELL, 10, 5_000)
    b.submit(2, "B", BUY, 50, 5_010)
    assert b.depth(BUY) == [Level(5_010, 40, 1)]
    assert b.best_ask() is None


def test_a_market_order_walks_several_levels_and_its_remainder_is_cancelled() -> None:
    b = book()
    b.submit(1, "A", SELL, 10, 5_000)
    b.submit(2, "B", SELL, 10, 5_100)
    b.submit(3, "C", SELL, 10, 5_500)
    events = b.submit(4, "D", BUY, 40, None, IOC)
    assert fills(events) == [(1, 5_000, 10), (2, 5_100, 10), (3, 5_500, 10)]
    assert events[-1] == Cancelled(4, 10, CancelReason.UNFILLED)
    assert len(b) == 0


def test_an_ioc_limit_order_trades_what_crosses_and_cancels_the_rest() -> None:
    b = book()
    b.submit(1, "A", BUY, 20, 5_000)
    b.submit(2, "B", BUY, 20, 4_990)
    events = b.submit(3, "C", SELL, 50, 5_000, IOC)
    assert fills(events) == [(1, 5_000, 20)]
    assert events[-1] == Cancelled(3, 30, CancelReason.UNFILLED)
    assert b.depth(SELL) == []
    assert b.depth(BUY) == [Level(4_990, 20, 1)]


def test_fok_fills_in_full_when_the_book_holds_enough() -> None:
    b = book()
    b.submit(1, "A", SELL, 20, 5_000)
    b.submit(2, "B", SELL, 20, 5_010)
    events = b.submit(3, "C", BUY, 40, 5_010, FOK)
    assert fills(events) == [(1, 5_000, 20), (2, 5_010, 20)]
    assert len(b) == 0


def test_fok_that_cannot_fill_in_full_is_killed_and_trades_nothing() -> None:
    b = book()
    b.submit(1, "A", SELL, 20, 5_000)
    b.submit(2, "B", SELL, 20, 5_020)
    events = b.submit(3, "C", BUY, 40, 5_010, FOK)  # only 20 within its price
    assert events[1:] == [Cancelled(3, 40, CancelReason.FILL_OR_KILL)]
    assert b.depth(SELL) == [Level(5_000, 20, 1), Level(5_020, 20, 1)]


def test_self_trade_prevention_cancel_resting_removes_the_own_order_and_goes_on() -> None:
    b = book()
    b.submit(1, "A", SELL, 10, 5_000)
    b.submit(2, "X", SELL, 10, 5_000)
    events = b.submit(3, "A", BUY, 10, 5_000)
    assert events[1:] == [Cancelled(1, 10, CancelReason.SELF_TRADE), Fill(2, 3, 5_000, 10, BUY)]
    assert len(b) == 0


def test_self_trade_prevention_cancel_incoming_keeps_earlier_fills_and_cancels_the_rest() -> None:
    b = book(
        BookRules(
            previous_close_fen=5_000, tick_fen=10, lot=10, self_trade=SelfTradePrevention.CANCEL_INCOMING
        )
    )
    b.submit(1, "X", SELL, 10, 5_000)
    b.submit(2, "A", SELL, 10, 5_000)
    events = b.submit(3, "A", BUY, 30, 5_010)
    assert events[1:] == [Fill(1, 3, 5_000, 10, BUY), Cancelled(3, 20, CancelReason.SELF_TRADE)]
    assert b.queue(SELL, 5_000) == [2]
    assert b.depth(BUY) == []


def test_cancel_closes_the_remainder() -> None:
    b = book()
    b.submit(1, "A", BUY, 30, 5_000)
    b.submit(2, "B", SELL, 10, 5_000)
    assert b.cancel(1) == [Cancelled(1, 20, CancelReason.REQUESTED)]
    assert b.depth(BUY) == []
    with pytest.raises(UnknownOrder):
        b.cancel(1)


def test_reducing_quantity_keeps_time_priority() -> None:
    b = book()
    b.submit(1, "A", BUY, 30, 5_000)
    b.submit(2, "B", BUY, 30, 5_000)
    assert b.modify(1, quantity=10) == [Modified(1, 5_000, 10, True)]
    assert b.queue(BUY, 5_000) == [1, 2]
    assert b.depth(BUY) == [Level(5_000, 40, 2)]


def test_raising_quantity_loses_time_priority() -> None:
    b = book()
    b.submit(1, "A", BUY, 30, 5_000)
    b.submit(2, "B", BUY, 30, 5_000)
    assert b.modify(1, quantity=40) == [Modified(1, 5_000, 40, False)]
    assert b.queue(BUY, 5_000) == [2, 1]
    state = b.order(1)
    assert state is not None
    assert (state.quantity, state.remaining) == (40, 40)


def test_a_price_change_loses_priority_and_trades_where_it_crosses() -> None:
    b = book()
    b.submit(1, "A", SELL, 10, 5_020)
    b.submit(2, "B", BUY, 30, 5_000)
    events = b.modify(2, price_fen=5_020)
    assert events == [Modified(2, 5_020, 30, False), Fill(1, 2, 5_020, 10, BUY)]
    assert b.depth(BUY) == [Level(5_020, 20, 1)]


@pytest.mark.parametrize(
    ("price", "quantity", "location", "value"),
    [
        (5_005, 10, ("price_fen",), 5_005),  # off the 10-fen tick
        (5_510, 10, ("price_fen",), 5_510),  # over the upper limit
        (4_490, 10, ("price_fen",), 4_490),  # under the lower limit
        (5_000, 15, ("quantity",), 15),  # not a whole number of 10-unit lots
        (5_000, 0, ("quantity",), 0),
    ],
)
def test_a_bad_order_is_refused_naming_field_and_value_and_changes_nothing(
    price: int, quantity: int, location: tuple[str], value: int
) -> None:
    b = book()
    b.submit(1, "A", SELL, 10, 5_000)
    with pytest.raises(InvalidOrder) as raised:
        b.submit(2, "B", BUY, quantity, price)
    assert (raised.value.issues[0].location, raised.value.issues[0].value) == (location, value)
    assert b.depth(SELL) == [Level(5_000, 10, 1)]
    assert b.depth(BUY) == []
    assert b.order(2) is None


def test_an_order_over_the_cap_is_refused() -> None:
    b = book(BookRules(previous_close_fen=5_000, lot=10, max_quantity=100))
    with pytest.raises(InvalidOrder, match="cap"):
        b.submit(1, "A", BUY, 110, 5_000)


def test_a_market_order_must_be_ioc_or_fok() -> None:
    with pytest.raises(InvalidOrder) as raised:
        book().submit(1, "A", BUY, 10, None)
    assert raised.value.issues[0].location == ("time_in_force",)


def test_an_order_id_is_used_once() -> None:
    b = book()
    b.submit(1, "A", BUY, 10, 5_000)
    with pytest.raises(DuplicateOrder):
        b.submit(1, "A", SELL, 10, 5_100)
    assert b.depth(SELL) == []


def test_a_bad_modification_changes_nothing() -> None:
    b = book()
    b.submit(1, "A", BUY, 30, 5_000)
    with pytest.raises(InvalidOrder):
        b.modify(1, price_fen=6_000)
    with pytest.raises(UnknownOrder):
        b.modify(9, quantity=10)
    assert b.depth(BUY) == [Level(5_000, 30, 1)]


def test_a_refusal_becomes_a_rejected_event_for_the_log() -> None:
    with pytest.raises(InvalidOrder) as raised:
        book().submit(7, "A", BUY, 10, 5_005)
    event = rejected(7, raised.value)
    assert (event.order_id, event.code, event.location, event.value) == (
        7,
        "markets-invalid-order",
        ("price_fen",),
        5_005,
    )
    assert "tick" in event.reason


@pytest.mark.parametrize(
    "rules",
    [
        BookRules(previous_close_fen=0),
        BookRules(previous_close_fen=5_000, tick_fen=0),
        BookRules(previous_close_fen=5_000, lot=0),
        BookRules(previous_close_fen=5_000, limit_bp=10_000),
        BookRules(previous_close_fen=5_000, lot=10, max_quantity=5),
        BookRules(previous_close_fen=5_005, limit_bp=0, tick_fen=10),  # no tick within the limits
    ],
)
def test_rules_no_book_can_open_with_are_refused(rules: BookRules) -> None:
    with pytest.raises(InvalidBookRules):
        OrderBook(rules)
