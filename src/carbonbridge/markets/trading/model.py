"""The trading venue's domain types: the day's book rules, orders' sides and time in force, and the
events every operation on the book returns.

Money is integer fen (分) per unit; quantities are whole units (one unit = one tonne CO2e of an
allowance or credit). The events are :class:`typing.NamedTuple` rather than frozen dataclasses:
they are as immutable and typed, and cost a third as much to create, which matters on a matching
engine's hot path (``docs/markets.md``, "Trading").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

#: basis points in one (10,000 bp = 100 %)
BP = 10_000


class Side(StrEnum):
    """Which way an order trades."""

    BUY = "buy"
    SELL = "sell"


class TimeInForce(StrEnum):
    """How long an order's unfilled part lives."""

    #: good till cancelled: the remainder rests in the day's book (the service cancels or carries
    #: what is left at the close)
    GTC = "gtc"
    #: immediate or cancel: what does not fill at once is cancelled (market orders: IOC or FOK)
    IOC = "ioc"
    #: fill or kill: fills in full at once, or not at all and is cancelled
    FOK = "fok"


class SelfTradePrevention(StrEnum):
    """What happens when an order would trade against a resting order of the same owner.

    Both policies are offered by CME Globex's self-match prevention (cancel oldest / cancel newest)
    and Binance's ``EXPIRE_MAKER`` / ``EXPIRE_TAKER`` (from memory; ``docs/markets.md``); China's
    exchanges treat self-trades (自成交) as abnormal trading, so the venue prevents them.
    """

    #: the resting order is cancelled (its whole remainder) and matching continues behind it
    CANCEL_RESTING = "cancel-resting"
    #: the incoming order's remainder is cancelled; fills before the encounter stand
    CANCEL_INCOMING = "cancel-incoming"


class CancelReason(StrEnum):
    """Why (part of) an order was cancelled."""

    #: its owner (or the service on the owner's behalf) cancelled it
    REQUESTED = "requested"
    #: an IOC or market order's unfilled remainder
    UNFILLED = "unfilled"
    #: a FOK order that could not fill in full
    FILL_OR_KILL = "fill-or-kill"
    #: self-trade prevention (:class:`SelfTradePrevention`)
    SELF_TRADE = "self-trade"


@dataclass(frozen=True, slots=True)
class BookRules:
    """One instrument's rules for one trading day.

    ``previous_close_fen``: the reference price the daily limits apply to. ``limit_bp``: the daily
    price limit in basis points either side of it (1,000 = ±10 %, the national ETS's listed
    agreement limit). ``tick_fen``: prices are whole multiples of it. ``lot``: quantities are whole
    multiples of it. ``max_quantity``: the largest order (``None``: no cap). ``self_trade``: the
    self-trade prevention policy.
    """

    previous_close_fen: int
    limit_bp: int = 1_000
    tick_fen: int = 1
    lot: int = 1
    max_quantity: int | None = None
    self_trade: SelfTradePrevention = SelfTradePrevention.CANCEL_RESTING

    @property
    def lower_limit_fen(self) -> int:
        """The lowest price accepted: close × (1 − limit), rounded *up* to the tick (never under
        one tick), so that no accepted price lies outside the percentage."""
        raw = -((-self.previous_close_fen * (BP - self.limit_bp)) // BP)
        ticks = -(-raw // self.tick_fen)
        return max(ticks, 1) * self.tick_fen

    @property
    def upper_limit_fen(self) -> int:
        """The highest price accepted: close × (1 + limit), rounded *down* to the tick."""
        raw = self.previous_close_fen * (BP + self.limit_bp) // BP
        return raw // self.tick_fen * self.tick_fen


class Accepted(NamedTuple):
    """The book accepted an order (``price_fen`` ``None``: a market order)."""

    order_id: int
    owner: str
    side: Side
    price_fen: int | None
    quantity: int
    time_in_force: TimeInForce


class Fill(NamedTuple):
    """A trade: ``quantity`` units at the resting (maker) order's price, between the maker and the
    incoming (taker) order; ``taker_side`` says which is the buyer."""

    maker_id: int
    taker_id: int
    price_fen: int
    quantity: int
    taker_side: Side

    @property
    def buyer_id(self) -> int:
        return self.taker_id if self.taker_side is Side.BUY else self.maker_id

    @property
    def seller_id(self) -> int:
        return self.maker_id if self.taker_side is Side.BUY else self.taker_id


class Cancelled(NamedTuple):
    """``quantity`` units of an order were cancelled, for ``reason``; the order is closed."""

    order_id: int
    quantity: int
    reason: CancelReason


class Modified(NamedTuple):
    """A resting order now has ``price_fen`` and ``quantity`` units open; ``kept_priority`` says
    whether it kept its place in the queue (a pure reduction) or went to the back of its new
    level (a price change or an increase), re-entering as an incoming order."""

    order_id: int
    price_fen: int
    quantity: int
    kept_priority: bool


class Rejected(NamedTuple):
    """An operation the book refused (it changed nothing): the error's code, and its first issue's
    field, value and reason; built by :func:`carbonbridge.markets.trading.book.rejected` so that a
    service logs refusals as it logs everything else."""

    order_id: int
    code: str
    location: tuple[str | int, ...]
    value: object
    reason: str


Event = Accepted | Fill | Cancelled | Modified | Rejected


class Level(NamedTuple):
    """One price level of the book's depth: price, open units, number of orders."""

    price_fen: int
    quantity: int
    orders: int


class OrderState(NamedTuple):
    """A resting order as the book holds it: ``quantity`` is every unit ever entered (raised by an
    increase), so that ``filled + remaining + cancelled == quantity``."""

    order_id: int
    owner: str
    side: Side
    price_fen: int
    quantity: int
    remaining: int
    filled: int
    cancelled: int
