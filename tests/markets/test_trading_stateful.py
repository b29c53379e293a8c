"""The matching engine against a reference book, over random sequences of operations (hypothesis
stateful): after every operation the events and the book equal the reference's, the book is not
crossed, each level is in time priority, and every order's units are conserved.

The reference keeps the resting orders in one plain list and sorts it by price-time priority on
every match: slow and obviously right, sharing no code with ``book``."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from carbonbridge.kernel.errors import CarbonbridgeError
from carbonbridge.markets.trading.book import OrderBook
from carbonbridge.markets.trading.model import (
    Accepted,
    BookRules,
    Cancelled,
    CancelReason,
    Event,
    Fill,
    Level,
    Modified,
    SelfTradePrevention,
    Side,
    TimeInForce,
)

CLOSE, TICK, LOT = 1_000, 10, 5  # limits 900-1,100 fen: 21 levels
OWNERS = ("A", "B", "C")
prices = st.one_of(st.integers(88, 112).map(lambda p: p * TICK), st.integers(880, 1_120))
quantities = st.one_of(st.integers(1, 8).map(lambda n: n * LOT), st.integers(0, 45))


@dataclass
class _Ref:
    order_id: int
    owner: str
    side: Side
    price: int
    remaining: int
    seq: int


class Reference:
    """The rules restated as plainly as possible."""

    def __init__(self, rules: BookRules) -> None:
        self.rules = rules
        self.resting: list[_Ref] = []
        self.seq = 0
        self.used: set[int] = set()

    def _valid(self, price: int | None, quantity: int) -> bool:
        r = self.rules
        price_ok = price is None or (
            price % r.tick_fen == 0 and r.lower_limit_fen <= price <= r.upper_limit_fen
        )
        return price_ok and quantity >= r.lot and quantity % r.lot == 0

    def _priority(self, side: Side) -> list[_Ref]:
        same = [o for o in self.resting if o.side is side]
        return sorted(same, key=lambda o: (-o.price if side is Side.BUY else o.price, o.seq))

    @staticmethod
    def _crosses(side: Side, limit: int | None, maker_price: int) -> bool:
        return limit is None or (maker_price <= limit if side is Side.BUY else maker_price >= limit)

    def _match(
        self, taker: int, owner: str, side: Side, qty: int, limit: int | None, out: list[Event]
    ) -> int:
        opposite = Side.SELL if side is Side.BUY else Side.BUY
        for maker in self._priority(opposite):
            if not qty or not self._crosses(side, limit, maker.price):
                break
            if maker.owner == owner:
                if self.rules.self_trade is SelfTradePrevention.CANCEL_INCOMING:
                    return -qty
                out.append(Cancelled(maker.order_id, maker.remaining, CancelReason.SELF_TRADE))
                self.resting.remove(maker)
                continue
            q = min(qty, maker.remaining)
            out.append(Fill(maker.order_id, taker, maker.price, q, side))
            maker.remaining -= q
            qty -= q
            if not maker.remaining:
                self.resting.remove(maker)
        return qty

    def _fillable(self, owner: str, side: Side, qty: int, limit: int | None) -> bool:
        opposite = Side.SELL if side is Side.BUY else Side.BUY
        total = 0
        for maker in self._priority(opposite):
            if not self._crosses(side, limit, maker.price):
                break
            if maker.owner == owner:
                if self.rules.self_trade is SelfTradePrevention.CANCEL_INCOMING:
                    break
                continue
            total += maker.remaining
        return total >= qty

    def _rest(self, order_id: int, owner: str, side: Side, price: int, qty: int) -> None:
        self.seq += 1
        self.resting.append(_Ref(order_id, owner, side, price, qty, self.seq))

    def submit(
        self, order_id: int, owner: str, side: Side, qty: int, price: int | None, tif: TimeInForce
    ) -> list[Event] | None:
        if order_id in self.used or not self._valid(price, qty) or (price is None and tif is TimeInForce.GTC):
            return None
        self.used.add(order_id)
        out: list[Event] = [Accepted(order_id, owner, side, price, qty, tif)]
        if tif is TimeInForce.FOK and not self._fillable(owner, side, qty, price):
            return [*out, Cancelled(order_id, qty, CancelReason.FILL_OR_KILL)]
        left = self._match(order_id, owner, side, qty, price, out)
        if left < 0:
            out.append(Cancelled(order_id, -left, CancelReason.SELF_TRADE))
        elif left and tif is TimeInForce.GTC and price is not None:
            self._rest(order_id, owner, side, price, left)
        elif left:
            out.append(Cancelled(order_id, left, CancelReason.UNFILLED))
        return out

    def find(self, order_id: int) -> _Ref | None:
        return next((o for o in self.resting if o.order_id == order_id), None)

    def cancel(self, order_id: int) -> list[Event] | None:
        o = self.find(order_id)
        if o is None:
            return None
        self.resting.remove(o)
        return [Cancelled(order_id, o.remaining, CancelReason.REQUESTED)]

    def modify(self, order_id: int, price: int | None, qty: int | None) -> list[Event] | None:
        o = self.find(order_id)
        if o is None:
            return None
        new_price = o.price if price is None else price
        new_qty = o.remaining if qty is None else qty
        if not self._valid(new_price, new_qty):
            return None
        if new_price == o.price and new_qty <= o.remaining:
            o.remaining = new_qty
            return [Modified(order_id, new_price, new_qty, True)]
        self.resting.remove(o)
        out: list[Event] = [Modified(order_id, new_price, new_qty, False)]
        left = self._match(order_id, o.owner, o.side, new_qty, new_price, out)
        if left < 0:
            out.append(Cancelled(order_id, -left, CancelReason.SELF_TRADE))
        elif left:
            self._rest(order_id, o.owner, o.side, new_price, left)
        return out

    def depth(self, side: Side) -> list[Level]:
        levels: dict[int, list[int]] = {}
        for o in self._priority(side):
            levels.setdefault(o.price, []).append(o.remaining)
        return [Level(p, sum(q), len(q)) for p, q in levels.items()]


class MatchingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.rules = BookRules(previous_close_fen=CLOSE, tick_fen=TICK, lot=LOT)
        self.book: OrderBook | None = None
        self.ref: Reference | None = None
        self.next_id = 1
        # per order: units entered, filled, cancelled (from the events alone)
        self.entered: dict[int, int] = {}
        self.filled: dict[int, int] = {}
        self.cancelled: dict[int, int] = {}

    @precondition(lambda self: self.book is None)
    @rule(stp=st.sampled_from(SelfTradePrevention))
    def open_book(self, stp: SelfTradePrevention) -> None:
        self.rules = BookRules(previous_close_fen=CLOSE, tick_fen=TICK, lot=LOT, self_trade=stp)
        self.book = OrderBook(self.rules)
        self.ref = Reference(self.rules)

    def _apply(self, mine: list[Event] | None, theirs: list[Event] | None) -> None:
        assert mine == theirs
        for e in mine or []:
            if isinstance(e, Fill):
                self.filled[e.maker_id] = self.filled.get(e.maker_id, 0) + e.quantity
                self.filled[e.taker_id] = self.filled.get(e.taker_id, 0) + e.quantity
            elif isinstance(e, Cancelled):
                self.cancelled[e.order_id] = self.cancelled.get(e.order_id, 0) + e.quantity

    def _call(self, op: object, *args: object, **kwargs: object) -> list[Event] | None:
        assert self.book is not None
        before = (self.book.depth(Side.BUY, None), self.book.depth(Side.SELL, None))
        try:
            return op(*args, **kwargs)  # type: ignore[operator,no-any-return]
        except CarbonbridgeError:
            assert (self.book.depth(Side.BUY, None), self.book.depth(Side.SELL, None)) == before
            return None

    @precondition(lambda self: self.book is not None)
    @rule(
        owner=st.sampled_from(OWNERS),
        side=st.sampled_from(Side),
        qty=quantities,
        price=st.one_of(st.none(), prices),
        tif=st.sampled_from(TimeInForce),
        reuse=st.booleans(),
    )
    def submit(
        self, owner: str, side: Side, qty: int, price: int | None, tif: TimeInForce, reuse: bool
    ) -> None:
        assert self.book is not None
        assert self.ref is not None
        order_id = self.next_id - 1 if reuse and self.next_id > 1 else self.next_id
        mine = self._call(self.book.submit, order_id, owner, side, qty, price, tif)
        theirs = self.ref.submit(order_id, owner, side, qty, price, tif)
        if theirs is not None:
            self.next_id += 1
            self.entered[order_id] = qty
        self._apply(mine, theirs)

    @precondition(lambda self: self.book is not None)
    @rule(pick=st.integers(0, 200))
    def cancel(self, pick: int) -> None:
        assert self.book is not None
        assert self.ref is not None
        order_id = pick % (self.next_id + 1)
        self._apply(self._call(self.book.cancel, order_id), self.ref.cancel(order_id))

    @precondition(lambda self: self.book is not None)
    @rule(pick=st.integers(0, 200), price=st.one_of(st.none(), prices), qty=st.one_of(st.none(), quantities))
    def modify(self, pick: int, price: int | None, qty: int | None) -> None:
        assert self.book is not None
        assert self.ref is not None
        order_id = pick % (self.next_id + 1)
        before = self.ref.find(order_id)
        old = before.remaining if before else 0
        mine = self._call(self.book.modify, order_id, price_fen=price, quantity=qty)
        theirs = self.ref.modify(order_id, price, qty)
        if theirs is not None and qty is not None and qty > old:
            self.entered[order_id] += qty - old
        elif theirs is not None and qty is not None and qty < old:
            self.cancelled[order_id] = self.cancelled.get(order_id, 0) + old - qty
        self._apply(mine, theirs)

    @invariant()
    def same_book_as_the_reference(self) -> None:
        if self.book is None or self.ref is None:
            return
        for side in Side:
            assert self.book.depth(side, None) == self.ref.depth(side)
            for level in self.book.depth(side, None):
                expected = [o.order_id for o in self.ref._priority(side) if o.price == level.price_fen]
                assert self.book.queue(side, level.price_fen) == expected  # FIFO within the level

    @invariant()
    def never_crossed(self) -> None:
        if self.book is None:
            return
        bid, ask = self.book.best_bid(), self.book.best_ask()
        assert bid is None or ask is None or bid < ask

    @invariant()
    def units_are_conserved(self) -> None:
        if self.book is None:
            return
        for order_id, entered in self.entered.items():
            state = self.book.order(order_id)
            remaining = state.remaining if state else 0
            assert self.filled.get(order_id, 0) + self.cancelled.get(order_id, 0) + remaining == entered
            if state:
                assert state.filled + state.remaining + state.cancelled == state.quantity == entered
                assert state.filled == self.filled.get(order_id, 0)


MatchingMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=60, deadline=None)
test_matching_engine_equals_the_reference = MatchingMachine.TestCase
