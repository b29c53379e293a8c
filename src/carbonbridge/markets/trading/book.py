"""The continuous double auction's order book and matching engine: one instrument, one trading day.

**Rules** (each the common practice of continuous-auction exchanges; ``docs/markets.md`` cites them):

- **Price-time priority**: an incoming order trades with the best-priced resting orders first, and
  within a price level with the earliest first (FIFO); every fill is at the *resting* (maker)
  order's price; orders fill partly.
- **Order types**: a limit order (``price_fen`` given) trades what crosses and, if GTC, rests the
  remainder; IOC cancels the remainder; FOK fills in full at once or is cancelled whole. A market
  order (``price_fen`` ``None``) walks the book up to the day's limit price and must be IOC or FOK
  (a market order never rests).
- **Cancel and modify**: cancel closes an order's remainder. A modify that only *reduces* the open
  quantity keeps the order's place in the queue; one that changes the price or raises the quantity
  loses it: the order leaves its level and re-enters as if new (it may trade at once), common
  exchange practice (e.g. CME Globex's order-modification rule).
- **Daily price limits**: prices outside [``BookRules.lower_limit_fen``,
  ``BookRules.upper_limit_fen``] (previous close × (1 ± limit)) are refused; **ticks and lots**:
  off-tick prices and quantities not a whole number of lots are refused.
- **Self-trade prevention** by the book's policy (:class:`~.model.SelfTradePrevention`).
- A refused operation raises a typed error and changes nothing; every accepted operation returns
  its events (:mod:`.model`), in the order they happened, for the service to log.

**Why written by hand**: the pure-Python order books on PyPI keep levels in a sorted container, a
tree or sorted lists (``benchmarks/bench_matching.py`` runs two of them beside this one: about half
this book's rate, and a thousandth); the issue asks for 200 k operations/s. With daily price limits
the price range is a bounded array of ticks, so each side is an array of levels indexed by tick,
each level an intrusive doubly linked FIFO of orders: placing, cancelling and filling are O(1), and
finding the next best level after one empties is a scan over at most the limit band. Both sides use
one index space in which the best level is the *lowest* index (bids are stored mirrored), so one
matching loop serves buys and sells.
"""

from __future__ import annotations

import sys

from carbonbridge.kernel.errors import CarbonbridgeError, FieldIssue
from carbonbridge.markets.trading.errors import (
    DuplicateOrder,
    InvalidBookRules,
    InvalidOrder,
    UnknownOrder,
)
from carbonbridge.markets.trading.model import (
    BP,
    Accepted,
    BookRules,
    Cancelled,
    CancelReason,
    Event,
    Fill,
    Level,
    Modified,
    OrderState,
    Rejected,
    SelfTradePrevention,
    Side,
    TimeInForce,
)

_BUY = Side.BUY
_SELL = Side.SELL
_GTC = TimeInForce.GTC
_IOC = TimeInForce.IOC
_FOK = TimeInForce.FOK
_REQUESTED = CancelReason.REQUESTED
_UNFILLED = CancelReason.UNFILLED
_FILL_OR_KILL = CancelReason.FILL_OR_KILL
_SELF_TRADE = CancelReason.SELF_TRADE
#: builds the hot path's events without the NamedTuple's Python-level ``__new__`` (half the cost)
_event = tuple.__new__


class _Order:
    """A resting order: a node of its level's doubly linked FIFO (``prev``/``next``)."""

    __slots__ = (
        "cancelled",
        "filled",
        "index",
        "next",
        "order_id",
        "owner",
        "prev",
        "price_fen",
        "quantity",
        "remaining",
        "side",
    )

    def __init__(self, order_id: int, owner: str, side: Side, price_fen: int, quantity: int) -> None:
        self.order_id = order_id
        self.owner = owner
        self.side = side
        self.price_fen = price_fen
        self.quantity = quantity
        self.remaining = quantity
        self.filled = 0
        self.cancelled = 0
        self.index = 0
        self.prev: _Order | None = None
        self.next: _Order | None = None


class _Side:
    """One side's levels, indexed so that the best price has the lowest index; ``best`` is the
    lowest non-empty index (``size`` when the side is empty); ``count`` its resting orders."""

    __slots__ = ("best", "count", "head", "size", "tail", "volume")

    def __init__(self, size: int) -> None:
        self.size = size
        self.head: list[_Order | None] = [None] * size
        self.tail: list[_Order | None] = [None] * size
        self.volume = [0] * size
        self.best = size
        self.count = 0

    def append(self, order: _Order, index: int) -> None:
        tail = self.tail[index]
        order.index = index
        order.prev = tail
        order.next = None
        if tail is None:
            self.head[index] = order
        else:
            tail.next = order
        self.tail[index] = order
        self.volume[index] += order.remaining
        self.count += 1
        if index < self.best:
            self.best = index

    def unlink(self, order: _Order) -> None:
        index = order.index
        prev, nxt = order.prev, order.next
        if prev is None:
            self.head[index] = nxt
        else:
            prev.next = nxt
        if nxt is None:
            self.tail[index] = prev
        else:
            nxt.prev = prev
        order.prev = order.next = None
        self.volume[index] -= order.remaining
        self.count -= 1
        if nxt is None and prev is None and index == self.best:
            self.advance()

    def advance(self) -> None:
        """Move ``best`` to the next non-empty level (the scan is bounded by the limit band)."""
        if not self.count:
            self.best = self.size
            return
        head = self.head
        index = self.best
        while head[index] is None:
            index += 1
        self.best = index


def check_rules(rules: BookRules) -> None:
    """Refuse rules no book can open with; raises :class:`InvalidBookRules`."""
    issues: list[FieldIssue] = []
    if rules.tick_fen < 1:
        issues.append(FieldIssue(("rules", "tick_fen"), rules.tick_fen, "the tick is at least one fen"))
    if rules.lot < 1:
        issues.append(FieldIssue(("rules", "lot"), rules.lot, "the lot is at least one unit"))
    if rules.previous_close_fen < 1:
        issues.append(
            FieldIssue(
                ("rules", "previous_close_fen"),
                rules.previous_close_fen,
                "the previous close is at least one fen",
            )
        )
    if not 0 <= rules.limit_bp < BP:
        issues.append(
            FieldIssue(("rules", "limit_bp"), rules.limit_bp, "the price limit is from 0 to under 10,000 bp")
        )
    if rules.max_quantity is not None and rules.max_quantity < rules.lot:
        issues.append(
            FieldIssue(("rules", "max_quantity"), rules.max_quantity, "the largest order is at least one lot")
        )
    if not issues and rules.lower_limit_fen > rules.upper_limit_fen:
        issues.append(
            FieldIssue(
                ("rules", "limit_bp"),
                rules.limit_bp,
                f"no multiple of the {rules.tick_fen}-fen tick lies within the limits around "
                f"{rules.previous_close_fen} fen",
            )
        )
    if issues:
        raise InvalidBookRules("the order book cannot open with these rules", issues)


def rejected(order_id: int, error: CarbonbridgeError) -> Rejected:
    """The :class:`Rejected` event for a refused operation, for the service's log."""
    if error.issues:
        first = error.issues[0]
        return Rejected(order_id, error.code, first.location, first.value, first.reason)
    return Rejected(order_id, error.code, (), None, error.detail)


class OrderBook:
    """One instrument's continuous double auction for one trading day (see the module docstring).

    Order ids are the service's (unique within the book); owners are the trading accounts that
    self-trade prevention compares.
    """

    __slots__ = (
        "_asks",
        "_bids",
        "_lot",
        "_lower",
        "_max_qty",
        "_orders",
        "_size",
        "_stp_resting",
        "_tick",
        "_upper",
        "_used",
        "rules",
    )

    def __init__(self, rules: BookRules) -> None:
        check_rules(rules)
        self.rules = rules
        self._tick = rules.tick_fen
        self._lot = rules.lot
        self._lower = rules.lower_limit_fen
        self._upper = rules.upper_limit_fen
        # no cap is an unreachable one, so the hot paths compare without a None test
        self._max_qty = sys.maxsize if rules.max_quantity is None else rules.max_quantity
        self._stp_resting = rules.self_trade is SelfTradePrevention.CANCEL_RESTING
        self._size = (self._upper - self._lower) // self._tick + 1
        self._bids = _Side(self._size)
        self._asks = _Side(self._size)
        self._orders: dict[int, _Order] = {}
        self._used: set[int] = set()

    # -- reading ---------------------------------------------------------------------------------

    def _price(self, side: Side, index: int) -> int:
        ticks = self._size - 1 - index if side is _BUY else index
        return self._lower + ticks * self._tick

    def best_bid(self) -> int | None:
        """The highest resting buy price, ``None`` when no buy order rests."""
        best = self._bids.best
        return None if best == self._size else self._price(_BUY, best)

    def best_ask(self) -> int | None:
        """The lowest resting sell price, ``None`` when no sell order rests."""
        best = self._asks.best
        return None if best == self._size else self._price(_SELL, best)

    def depth(self, side: Side, levels: int | None = 5) -> list[Level]:
        """The best ``levels`` price levels of one side (``None``: all), best first."""
        book = self._bids if side is _BUY else self._asks
        out: list[Level] = []
        index = book.best
        while index < self._size and (levels is None or len(out) < levels):
            order = book.head[index]
            if order is not None:
                count = 0
                while order is not None:
                    count += 1
                    order = order.next
                out.append(Level(self._price(side, index), book.volume[index], count))
            index += 1
        return out

    def queue(self, side: Side, price_fen: int) -> list[int]:
        """The ids of the orders resting at one price, in time priority."""
        book = self._bids if side is _BUY else self._asks
        ids: list[int] = []
        if self._lower <= price_fen <= self._upper and not (price_fen - self._lower) % self._tick:
            order = book.head[self._index(side, price_fen)]
            while order is not None:
                ids.append(order.order_id)
                order = order.next
        return ids

    def order(self, order_id: int) -> OrderState | None:
        """A resting order's state, ``None`` when it is not resting (unknown, filled or cancelled)."""
        o = self._orders.get(order_id)
        if o is None:
            return None
        return OrderState(
            o.order_id, o.owner, o.side, o.price_fen, o.quantity, o.remaining, o.filled, o.cancelled
        )

    def __len__(self) -> int:
        """The number of resting orders."""
        return len(self._orders)

    # -- checking --------------------------------------------------------------------------------

    def _index(self, side: Side, price_fen: int) -> int:
        ticks = (price_fen - self._lower) // self._tick
        return self._size - 1 - ticks if side is _BUY else ticks

    def _check_price(self, price_fen: int, issues: list[FieldIssue], field: str) -> None:
        if price_fen % self._tick:
            issues.append(
                FieldIssue((field,), price_fen, f"the price is a whole multiple of the {self._tick}-fen tick")
            )
        if not self._lower <= price_fen <= self._upper:
            issues.append(
                FieldIssue(
                    (field,),
                    price_fen,
                    f"the price is outside today's limits {self._lower}-{self._upper} fen",
                )
            )

    def _check_quantity(self, quantity: int, issues: list[FieldIssue]) -> None:
        if quantity < self._lot or quantity % self._lot:
            issues.append(
                FieldIssue(
                    ("quantity",), quantity, f"the quantity is a whole number of {self._lot}-unit lots"
                )
            )
        elif quantity > self._max_qty:
            issues.append(
                FieldIssue(("quantity",), quantity, f"the quantity is over the {self._max_qty}-unit cap")
            )

    def _refuse(
        self, order_id: int, price_fen: int | None, quantity: int, time_in_force: TimeInForce
    ) -> None:
        if order_id in self._used:
            raise DuplicateOrder(
                "the order id is already used in this book",
                [FieldIssue(("order_id",), order_id, "an order id is used once per book")],
            )
        issues: list[FieldIssue] = []
        if price_fen is None:
            if time_in_force is _GTC:
                issues.append(
                    FieldIssue(
                        ("time_in_force",), str(time_in_force), "a market order is IOC or FOK; it never rests"
                    )
                )
        else:
            self._check_price(price_fen, issues, "price_fen")
        self._check_quantity(quantity, issues)
        if issues:
            raise InvalidOrder("the order breaks the book's rules", issues)

    # -- operations ------------------------------------------------------------------------------

    def submit(
        self,
        order_id: int,
        owner: str,
        side: Side,
        quantity: int,
        price_fen: int | None = None,
        time_in_force: TimeInForce = _GTC,
    ) -> list[Event]:
        """Enter an order: a limit order at ``price_fen``, or a market order (``None``, IOC or FOK).

        Returns ``Accepted``, then the fills (maker by maker, in priority), then any ``Cancelled``
        (self-trade prevention on either side, an IOC or market remainder, a killed FOK). Raises
        :class:`InvalidOrder` (off tick, outside the limits, not whole lots, over the cap, a GTC
        market order) or :class:`DuplicateOrder`; then nothing changed.
        """
        # The fast check first; the full one names every issue.
        tick_ok = (
            price_fen is not None and self._lower <= price_fen <= self._upper and not price_fen % self._tick
        )
        if (
            not (tick_ok or (price_fen is None and time_in_force is not _GTC))
            or quantity < self._lot
            or quantity % self._lot
            or quantity > self._max_qty
            or order_id in self._used
        ):
            self._refuse(order_id, price_fen, quantity, time_in_force)
        self._used.add(order_id)
        events: list[Event] = [_event(Accepted, (order_id, owner, side, price_fen, quantity, time_in_force))]
        if side is _BUY:
            opposite, own = self._asks, self._bids
            limit = self._size - 1 if price_fen is None else (price_fen - self._lower) // self._tick
        else:
            opposite, own = self._bids, self._asks
            limit = (
                self._size - 1
                if price_fen is None
                else self._size - 1 - (price_fen - self._lower) // self._tick
            )
        if time_in_force is _FOK and not self._fillable(opposite, limit, owner, quantity):
            events.append(Cancelled(order_id, quantity, _FILL_OR_KILL))
            return events
        remaining = quantity
        if opposite.best <= limit:
            remaining = self._match(opposite, limit, order_id, owner, side, remaining, events)
        if remaining:
            if remaining < 0:  # cancelled by self-trade prevention (cancel incoming)
                events.append(Cancelled(order_id, -remaining, _SELF_TRADE))
            elif time_in_force is _GTC and price_fen is not None:
                order = _Order(order_id, owner, side, price_fen, quantity)
                order.remaining = remaining
                order.filled = quantity - remaining
                self._orders[order_id] = order
                own.append(order, self._size - 1 - limit)
            else:
                events.append(Cancelled(order_id, remaining, _UNFILLED))
        return events

    def cancel(self, order_id: int) -> list[Event]:
        """Cancel a resting order's remainder; raises :class:`UnknownOrder` if it is not resting."""
        order = self._orders.pop(order_id, None)
        if order is None:
            raise UnknownOrder(
                "no such resting order",
                [
                    FieldIssue(
                        ("order_id",), order_id, "not resting in this book (unknown, filled or cancelled)"
                    )
                ],
            )
        (self._bids if order.side is _BUY else self._asks).unlink(order)
        quantity = order.remaining
        order.cancelled += quantity
        order.remaining = 0
        return [Cancelled(order_id, quantity, _REQUESTED)]

    def modify(
        self, order_id: int, *, price_fen: int | None = None, quantity: int | None = None
    ) -> list[Event]:
        """Change a resting order's price and/or open quantity (``quantity``: the new *open*
        quantity; ``None`` keeps either).

        A pure reduction keeps time priority; a price change or an increase loses it: the order
        re-enters at the back of its (new) level and trades at once where it crosses. Returns
        ``Modified`` then any fills and cancellations. Raises :class:`UnknownOrder` or
        :class:`InvalidOrder`; then nothing changed.
        """
        order = self._orders.get(order_id)
        if order is None:
            raise UnknownOrder(
                "no such resting order",
                [
                    FieldIssue(
                        ("order_id",), order_id, "not resting in this book (unknown, filled or cancelled)"
                    )
                ],
            )
        new_price = order.price_fen if price_fen is None else price_fen
        new_qty = order.remaining if quantity is None else quantity
        if (
            not self._lower <= new_price <= self._upper
            or new_price % self._tick
            or new_qty < self._lot
            or new_qty % self._lot
            or new_qty > self._max_qty
        ):
            issues: list[FieldIssue] = []
            self._check_price(new_price, issues, "price_fen")
            self._check_quantity(new_qty, issues)
            raise InvalidOrder("the modification breaks the book's rules", issues)
        side = order.side
        if side is _BUY:
            own, opposite = self._bids, self._asks
            limit = (new_price - self._lower) // self._tick
        else:
            own, opposite = self._asks, self._bids
            limit = self._size - 1 - (new_price - self._lower) // self._tick
        old_qty = order.remaining
        if new_price == order.price_fen and new_qty <= old_qty:
            order.remaining = new_qty
            order.cancelled += old_qty - new_qty
            own.volume[order.index] -= old_qty - new_qty
            return [Modified(order_id, new_price, new_qty, True)]
        if new_qty > old_qty:
            order.quantity += new_qty - old_qty
        else:
            order.cancelled += old_qty - new_qty
        order.price_fen = new_price
        if opposite.best > limit:
            # The common move trades nothing: relink at the back of the new level, inline
            # (``_Side.unlink`` then ``_Side.append`` without the calls; the order count is unchanged).
            heads, tails, volume = own.head, own.tail, own.volume
            index, prev, nxt = order.index, order.prev, order.next
            if prev is None:
                heads[index] = nxt
            else:
                prev.next = nxt
            if nxt is None:
                tails[index] = prev
            else:
                nxt.prev = prev
            volume[index] -= old_qty
            new_index = self._size - 1 - limit
            tail = tails[new_index]
            order.prev, order.next, order.index, order.remaining = tail, None, new_index, new_qty
            if tail is None:
                heads[new_index] = order
            else:
                tail.next = order
            tails[new_index] = order
            volume[new_index] += new_qty
            if new_index < own.best:
                own.best = new_index
            elif heads[index] is None and index == own.best:
                own.advance()
            return [_event(Modified, (order_id, new_price, new_qty, False))]
        own.unlink(order)
        events: list[Event] = [Modified(order_id, new_price, new_qty, False)]
        remaining = new_qty
        if opposite.best <= limit:
            remaining = self._match(opposite, limit, order_id, order.owner, side, remaining, events)
        order.filled += new_qty - abs(remaining)
        if remaining > 0:
            order.remaining = remaining
            own.append(order, self._size - 1 - limit)
        else:
            order.remaining = 0
            del self._orders[order_id]
            if remaining < 0:
                order.cancelled -= remaining
                events.append(Cancelled(order_id, -remaining, _SELF_TRADE))
        return events

    # -- matching --------------------------------------------------------------------------------

    def _match(
        self,
        opposite: _Side,
        limit: int,
        taker_id: int,
        owner: str,
        side: Side,
        remaining: int,
        events: list[Event],
    ) -> int:
        """Trade ``remaining`` units against ``opposite`` down to index ``limit``; returns what is
        left, negated when self-trade prevention cancelled the incoming order's remainder."""
        heads, tails, volumes, orders = opposite.head, opposite.tail, opposite.volume, self._orders
        append = events.append
        while remaining and opposite.best <= limit:
            index = opposite.best
            maker = heads[index]
            while maker is not None:
                if maker.owner == owner:
                    if not self._stp_resting:
                        return -remaining
                    left = maker.remaining
                    maker.cancelled += left
                    maker.remaining = 0
                    volumes[index] -= left
                    append(Cancelled(maker.order_id, left, _SELF_TRADE))
                else:
                    left = maker.remaining
                    if left > remaining:
                        maker.remaining = left - remaining
                        maker.filled += remaining
                        volumes[index] -= remaining
                        append(_event(Fill, (maker.order_id, taker_id, maker.price_fen, remaining, side)))
                        return 0
                    maker.remaining = 0
                    maker.filled += left
                    volumes[index] -= left
                    remaining -= left
                    append(_event(Fill, (maker.order_id, taker_id, maker.price_fen, left, side)))
                # the head is closed: unlink it
                del orders[maker.order_id]
                opposite.count -= 1
                nxt = maker.next
                maker.next = None
                heads[index] = nxt
                if nxt is None:
                    tails[index] = None
                    break
                nxt.prev = None
                if not remaining:
                    return 0
                maker = nxt
            if heads[index] is None:
                opposite.advance()
        return remaining

    def _fillable(self, opposite: _Side, limit: int, owner: str, quantity: int) -> bool:
        """Whether ``quantity`` units can fill at once down to ``limit`` under the self-trade
        policy (FOK's test; it changes nothing)."""
        total = 0
        index = opposite.best
        heads = opposite.head
        while index <= limit:
            order = heads[index]
            while order is not None:
                if order.owner == owner:
                    if not self._stp_resting:
                        return False
                else:
                    total += order.remaining
                    if total >= quantity:
                        return True
                order = order.next
            index += 1
        return False
