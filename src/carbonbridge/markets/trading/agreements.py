"""The China national ETS's agreement modes beside the continuous auction, and the day's close.

- **Listed agreement** (挂牌协议): a member lists an order (side, price, quantity); listings do not
  match each other. A counterparty *takes* one (摘牌): it picks a listing whose price is within the
  best five price levels of that side, and trades at the listing's price, part or all of it. Prices
  lie within ±10 % of the previous close; one order is under 100,000 t.
- **Block agreement** (大宗协议): two parties agree a trade of at least 100,000 t at a price within
  ±30 % of the previous close, in its own session; the venue checks and records it.
- **Close**: the volume-weighted average price of the day's listed-agreement trades
  (:func:`closing_price`).

Sources: the SEEE announcement on national ETS trading (上海环境能源交易所《关于全国碳排放权交易
相关事项的公告》, 2021-06), as reported by Securities Times on 2021-07-16: listed agreement orders
under 100,000 t, a ±10 % limit, a 0.01-yuan tick and a 1-t step. The best-five rule, the block mode's
100,000 t and ±30 %, and the close as the day's volume-weighted average price are as issue 14 states
them; the announcement's own text was not read here (marked so in ``docs/markets.md``).

Why a plain dictionary rather than :class:`~.book.OrderBook`'s tick arrays: listings never match
each other and takes are rare (agreement trading is a few hundred trades a day), so the best five
levels are found by sorting the side's distinct prices on each take.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from carbonbridge.kernel.errors import FieldIssue
from carbonbridge.markets.trading.errors import (
    DuplicateOrder,
    InvalidBookRules,
    InvalidOrder,
    TakeRefused,
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
    Side,
    TimeInForce,
)


@dataclass(frozen=True, slots=True)
class AgreementRules:
    """One day's agreement-mode rules (defaults: the national ETS's, see the module docstring).

    ``listed_max_quantity``: the largest listed-agreement order (under 100,000 t: 99,999);
    ``block_min_quantity``: the smallest block trade; ``best_levels``: how deep a taker may pick."""

    previous_close_fen: int
    tick_fen: int = 1
    lot: int = 1
    listed_limit_bp: int = 1_000
    block_limit_bp: int = 3_000
    listed_max_quantity: int = 99_999
    block_min_quantity: int = 100_000
    best_levels: int = 5

    def _band(self, limit_bp: int) -> BookRules:
        return BookRules(self.previous_close_fen, limit_bp=limit_bp, tick_fen=self.tick_fen, lot=self.lot)

    @property
    def listed_band(self) -> tuple[int, int]:
        """The listed-agreement price limits (fen), rounded inwards to the tick."""
        band = self._band(self.listed_limit_bp)
        return band.lower_limit_fen, band.upper_limit_fen

    @property
    def block_band(self) -> tuple[int, int]:
        """The block-agreement price limits (fen), rounded inwards to the tick."""
        band = self._band(self.block_limit_bp)
        return band.lower_limit_fen, band.upper_limit_fen


class BlockTrade(NamedTuple):
    """A block-agreement trade the venue accepted."""

    trade_id: int
    buyer: str
    seller: str
    price_fen: int
    quantity: int


def _check_rules(rules: AgreementRules) -> None:
    issues: list[FieldIssue] = []
    for name in ("previous_close_fen", "tick_fen", "lot", "best_levels"):
        if getattr(rules, name) < 1:
            issues.append(FieldIssue(("rules", name), getattr(rules, name), "at least one"))
    for name in ("listed_limit_bp", "block_limit_bp"):
        if not 0 <= getattr(rules, name) < BP:
            issues.append(FieldIssue(("rules", name), getattr(rules, name), "from 0 to under 10,000 bp"))
    if rules.listed_max_quantity < rules.lot:
        issues.append(
            FieldIssue(("rules", "listed_max_quantity"), rules.listed_max_quantity, "at least one lot")
        )
    if issues:
        raise InvalidBookRules("the agreement modes cannot open with these rules", issues)


def _check(
    rules: AgreementRules,
    price_fen: int,
    quantity: int,
    band: tuple[int, int],
    mode: str,
) -> list[FieldIssue]:
    issues: list[FieldIssue] = []
    lower, upper = band
    if price_fen % rules.tick_fen:
        issues.append(
            FieldIssue(
                ("price_fen",), price_fen, f"the price is a whole multiple of the {rules.tick_fen}-fen tick"
            )
        )
    if not lower <= price_fen <= upper:
        issues.append(
            FieldIssue(("price_fen",), price_fen, f"{mode} prices lie within {lower}-{upper} fen today")
        )
    if quantity < rules.lot or quantity % rules.lot:
        issues.append(
            FieldIssue(("quantity",), quantity, f"the quantity is a whole number of {rules.lot}-unit lots")
        )
    return issues


class _Listing:
    __slots__ = ("listing_id", "owner", "price_fen", "remaining", "side")

    def __init__(self, listing_id: int, owner: str, side: Side, price_fen: int, quantity: int) -> None:
        self.listing_id = listing_id
        self.owner = owner
        self.side = side
        self.price_fen = price_fen
        self.remaining = quantity


class ListedBoard:
    """One day's listed-agreement board (挂牌协议): list, take, cancel."""

    def __init__(self, rules: AgreementRules) -> None:
        _check_rules(rules)
        self.rules = rules
        self._listings: dict[int, _Listing] = {}
        self._used: set[int] = set()

    def list_order(
        self, listing_id: int, owner: str, side: Side, price_fen: int, quantity: int
    ) -> list[Event]:
        """List an order; raises :class:`InvalidOrder` (off tick, outside ±10 %, not whole lots, not
        under 100,000 t) or :class:`DuplicateOrder`; then nothing changed."""
        if listing_id in self._used:
            raise DuplicateOrder(
                "the id is already used today", [FieldIssue(("listing_id",), listing_id, "used once a day")]
            )
        issues = _check(self.rules, price_fen, quantity, self.rules.listed_band, "listed-agreement")
        if quantity > self.rules.listed_max_quantity:
            issues.append(
                FieldIssue(
                    ("quantity",),
                    quantity,
                    f"a listed-agreement order is at most {self.rules.listed_max_quantity} units; "
                    "larger trades are block agreements",
                )
            )
        if issues:
            raise InvalidOrder("the listing breaks the listed-agreement rules", issues)
        self._used.add(listing_id)
        self._listings[listing_id] = _Listing(listing_id, owner, side, price_fen, quantity)
        return [Accepted(listing_id, owner, side, price_fen, quantity, TimeInForce.GTC)]

    def best_prices(self, side: Side) -> list[int]:
        """The side's distinct listed prices, best first, as deep as a taker may pick."""
        prices = {o.price_fen for o in self._listings.values() if o.side is side}
        return sorted(prices, reverse=side is Side.BUY)[: self.rules.best_levels]

    def depth(self, side: Side, levels: int | None = 5) -> list[Level]:
        """The side's listings by price level, best first."""
        by_price: dict[int, list[int]] = {}
        for o in self._listings.values():
            if o.side is side:
                by_price.setdefault(o.price_fen, []).append(o.remaining)
        prices = sorted(by_price, reverse=side is Side.BUY)[:levels]
        return [Level(p, sum(by_price[p]), len(by_price[p])) for p in prices]

    def take(self, taker_id: int, owner: str, listing_id: int, quantity: int) -> list[Event]:
        """Take ``quantity`` units of a listing (摘牌) at its price.

        Refused, changing nothing: an unknown listing (:class:`UnknownOrder`); a quantity not whole
        lots (:class:`InvalidOrder`); the taker's own listing, a listing outside the best five price
        levels of its side, or more than it has open (:class:`TakeRefused`)."""
        listing = self._listings.get(listing_id)
        if listing is None:
            raise UnknownOrder(
                "no such listing",
                [FieldIssue(("listing_id",), listing_id, "not listed (unknown, taken or cancelled)")],
            )
        if taker_id in self._used:
            raise DuplicateOrder(
                "the id is already used today", [FieldIssue(("taker_id",), taker_id, "used once a day")]
            )
        if quantity < self.rules.lot or quantity % self.rules.lot:
            raise InvalidOrder(
                "the take breaks the listed-agreement rules",
                [
                    FieldIssue(
                        ("quantity",),
                        quantity,
                        f"the quantity is a whole number of {self.rules.lot}-unit lots",
                    )
                ],
            )
        best = self.best_prices(listing.side)
        reason = None
        if listing.owner == owner:
            reason = "a member cannot take its own listing (self-trade)"
        elif listing.price_fen not in best:
            reason = (
                f"its price {listing.price_fen} fen is not within the best {self.rules.best_levels} "
                f"price levels ({best[0]}-{best[-1]} fen)"
            )
        elif quantity > listing.remaining:
            reason = f"the listing has {listing.remaining} units open"
        if reason is not None:
            raise TakeRefused(
                "the listing cannot be taken", [FieldIssue(("listing_id",), listing_id, reason)]
            )
        self._used.add(taker_id)
        listing.remaining -= quantity
        if not listing.remaining:
            del self._listings[listing_id]
        taker_side = Side.SELL if listing.side is Side.BUY else Side.BUY
        return [
            Accepted(taker_id, owner, taker_side, listing.price_fen, quantity, TimeInForce.FOK),
            Fill(listing_id, taker_id, listing.price_fen, quantity, taker_side),
        ]

    def cancel(self, listing_id: int) -> list[Event]:
        """Withdraw a listing's open units; raises :class:`UnknownOrder` if it is not listed."""
        listing = self._listings.pop(listing_id, None)
        if listing is None:
            raise UnknownOrder(
                "no such listing",
                [FieldIssue(("listing_id",), listing_id, "not listed (unknown, taken or cancelled)")],
            )
        return [Cancelled(listing_id, listing.remaining, CancelReason.REQUESTED)]


def block_trade(
    rules: AgreementRules, trade_id: int, buyer: str, seller: str, price_fen: int, quantity: int
) -> BlockTrade:
    """Check a negotiated block-agreement trade (大宗协议) and return it; raises
    :class:`InvalidOrder` (off tick, outside ±30 %, under 100,000 t or not whole lots, buyer and
    seller the same)."""
    _check_rules(rules)
    issues = _check(rules, price_fen, quantity, rules.block_band, "block-agreement")
    if quantity < rules.block_min_quantity:
        issues.append(
            FieldIssue(
                ("quantity",), quantity, f"a block agreement is at least {rules.block_min_quantity} units"
            )
        )
    if buyer == seller:
        issues.append(FieldIssue(("seller",), seller, "the buyer and the seller are different members"))
    if issues:
        raise InvalidOrder("the block trade breaks the block-agreement rules", issues)
    return BlockTrade(trade_id, buyer, seller, price_fen, quantity)


def closing_price(trades: Iterable[tuple[int, int]], previous_close_fen: int) -> int:
    """The day's close: Σ price × quantity ÷ Σ quantity over ``(price_fen, quantity)`` trades,
    rounded half up to the fen; with no trade, the previous close (our rule, marked so in
    ``docs/markets.md``). Which trades count (listed agreement only, in the national market) is
    the caller's choice."""
    amount = volume = 0
    for price, quantity in trades:
        amount += price * quantity
        volume += quantity
    if not volume:
        return previous_close_fen
    return (2 * amount + volume) // (2 * volume)
