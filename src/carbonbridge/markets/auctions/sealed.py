"""Clearing a sealed-bid, single-round auction (issue 14, "Auctions").

The rules, each as its source states it (``docs/markets.md`` quotes and links them):

- **EU** — Commission Regulation (EU) No 1031/2010, Art. 7. Bids are sorted by price, ties by random
  selection (Art. 7(2); ``ties``); volumes are added from the highest price; "the price of the bid at
  which the sum of volumes matches or exceeds the volume of allowances auctioned" is the clearing
  price (7(2)); every bid in that sum is allocated at it (7(3)); the bid that completes the sum gets
  the remaining volume (7(4)); the auction is cancelled when bids fall short of the volume (7(5)) or
  when the clearing price is significantly under the secondary market's price (7(6)).
- **UK** — Greenhouse Gas Emissions Trading Scheme Auctioning Regulations 2021 (SI 2021/484) regs 6-7
  as amended by SI 2021/513: as the EU, ignoring bids below the auction reserve price (6(4)-(5));
  where bids fall short of the volume the clearing price is "the price of the lowest bid" (7(1)(b));
  where the clearing price would be significantly below the secondary market, it is "the price of
  the lowest bid that is not significantly below" it (7(1)(c)), and if every bid is, no price is
  determined (7(1A)); unsold allowances go to the next four auctions (6(8), ``carry``).
- **RGGI** — bids "ranked from high to low and allowances are tentatively awarded in this order until
  cumulative demand is greater than the supply ... All allowances are then sold at a clearing price
  determined by the value of the highest rejected bid" (Maryland Department of the Environment,
  "RGGI Auctions"); bids below the reserve price are not accepted, and the clearing price is never
  below it. Our reading, marked so in ``docs/markets.md``: the unfilled part of a partly filled bid
  is a rejected bid at its price; where no bid at or above the reserve is rejected, the clearing
  price is the reserve price.
- **Pay-as-bid** — not used by these schemes: the same order and allocation as the EU rule, each
  accepted bid paying its own price; undersubscribed, every acceptable bid is filled.

Everything is integer: prices in fen per unit, quantities in units, amounts in fen. Bids are held in
columns (``BidColumns``); the sort is NumPy's on 64-bit integers, and only the bids at the clearing
price are hashed for the tie-break (the order among bids above it does not change what they win).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import numpy.typing as npt

from carbonbridge.kernel.errors import FieldIssue
from carbonbridge.markets.auctions.errors import InvalidAuctionTerms, InvalidBid
from carbonbridge.markets.auctions.model import Allocation, Bid, Outcome, Rule, Status, Terms
from carbonbridge.markets.auctions.ties import SEED_BYTES, tie_order

#: the largest price (fen per unit: 100 million yuan) and quantity (units) a bid may carry: the
#: running sum of a million bids' quantities stays far inside 64-bit integers (amounts are
#: computed in Python integers)
MAX_PRICE_FEN = 10**10
MAX_QUANTITY = 10**10
#: at most this many issues are listed in one InvalidBid (the detail says how many there were)
MAX_ISSUES = 50
_RATIO = Decimal("0.0001")

Int64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class BidColumns:
    """Bids as columns: what a store reads in one query and what clearing sorts."""

    ids: list[str]
    bidders: list[str]
    prices: Int64
    quantities: Int64

    @classmethod
    def from_bids(cls, bids: Sequence[Bid]) -> BidColumns:
        return cls(
            ids=[b.bid_id for b in bids],
            bidders=[b.bidder for b in bids],
            prices=_int64([b.price_fen for b in bids], "price_fen"),
            quantities=_int64([b.quantity for b in bids], "quantity"),
        )

    def __len__(self) -> int:
        return len(self.ids)


def _int64(values: list[int], name: str) -> Int64:
    for n, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, int) or not -(2**62) < v < 2**62:
            raise InvalidBid(
                "a bid's price and quantity are whole numbers",
                [FieldIssue(("bids", n, name), v, "must be a whole number (fen or units)")],
            )
    return np.asarray(values, dtype=np.int64)


def check_terms(terms: Terms) -> None:
    """Refuse terms the rule cannot clear with; raises :class:`InvalidAuctionTerms`."""
    issues: list[FieldIssue] = []

    def bad(name: str, value: object, reason: str) -> None:
        issues.append(FieldIssue(("terms", name), value, reason))

    if terms.volume <= 0:
        bad("volume", terms.volume, "the volume auctioned must be at least one unit")
    if terms.lot < 1:
        bad("lot", terms.lot, "a lot is at least one unit")
    if terms.tick_fen < 1:
        bad("tick_fen", terms.tick_fen, "the price tick is at least one fen")
    if terms.bidder_cap is not None and terms.bidder_cap < max(terms.lot, 1):
        bad("bidder_cap", terms.bidder_cap, "a bidder's cap must allow at least one lot")
    if terms.reserve_fen is not None and terms.reserve_fen < 0:
        bad("reserve_fen", terms.reserve_fen, "a reserve price cannot be negative")
    if terms.rule in (Rule.UK, Rule.RGGI) and terms.reserve_fen is None:
        bad("reserve_fen", None, f"the {terms.rule.value} rule needs a reserve price")
    if terms.rule is Rule.EU and terms.reserve_fen is not None:
        bad("reserve_fen", terms.reserve_fen, "the EU rule (Reg. 1031/2010 Art. 7) has no reserve price")
    if terms.secondary_floor_fen is not None and terms.rule not in (Rule.EU, Rule.UK):
        bad(
            "secondary_floor_fen",
            terms.secondary_floor_fen,
            f"the {terms.rule.value} rule has no secondary-market test (EU Art. 7(6), UK reg 7(2) only)",
        )
    if issues:
        raise InvalidAuctionTerms("the auction's terms cannot be cleared", issues)


def check_bids(terms: Terms, bids: BidColumns) -> None:
    """Refuse bids that break the terms (EU Art. 6, UK reg 5: price and volume format; the bidder's
    cap); raises :class:`InvalidBid` naming each bid, field, value and reason, up to
    :data:`MAX_ISSUES` of them."""
    issues: list[FieldIssue] = []
    total = 0

    def flag(mask: npt.NDArray[np.bool_], name: str, column: Int64, reason: str) -> None:
        nonlocal total
        where = np.flatnonzero(mask)
        total += int(where.size)
        for n in where[: max(0, MAX_ISSUES - len(issues))].tolist():
            issues.append(FieldIssue(("bids", n, name), int(column[n]), reason))

    p, q = bids.prices, bids.quantities
    flag(p <= 0, "price_fen", p, "a price is at least one fen")
    flag(p > MAX_PRICE_FEN, "price_fen", p, f"a price is at most {MAX_PRICE_FEN} fen per unit")
    flag(
        (p > 0) & (p % terms.tick_fen != 0), "price_fen", p, f"off tick: prices step by {terms.tick_fen} fen"
    )
    flag(q < terms.lot, "quantity", q, f"under one lot ({terms.lot} units)")
    flag(q > MAX_QUANTITY, "quantity", q, f"a bid is at most {MAX_QUANTITY} units")
    flag((q >= terms.lot) & (q % terms.lot != 0), "quantity", q, f"not a whole number of lots of {terms.lot}")
    if len(set(bids.ids)) != len(bids.ids):
        seen: set[str] = set()
        for n, bid_id in enumerate(bids.ids):
            if bid_id in seen:
                total += 1
                if len(issues) < MAX_ISSUES:
                    issues.append(FieldIssue(("bids", n, "bid_id"), bid_id, "a bid id is used once"))
            seen.add(bid_id)
    if terms.bidder_cap is not None and len(bids):
        codes: dict[str, int] = {}
        inverse = np.fromiter(
            (codes.setdefault(b, len(codes)) for b in bids.bidders), dtype=np.int64, count=len(bids)
        )
        names = list(codes)
        sums = np.zeros(len(names), dtype=np.int64)
        np.add.at(sums, inverse, q)
        for k in np.flatnonzero(sums > terms.bidder_cap).tolist():
            total += 1
            if len(issues) < MAX_ISSUES:
                issues.append(
                    FieldIssue(
                        ("bidders", names[k], "quantity"),
                        int(sums[k]),
                        f"over the bidder's cap of {terms.bidder_cap} units in all",
                    )
                )
    if total:
        shown = f" (the first {len(issues)} listed)" if total > len(issues) else ""
        raise InvalidBid(f"{total} problem(s) in the bids{shown}; nothing was cleared", issues)


def _cover(demand: int, volume: int) -> Decimal:
    return (Decimal(demand) / Decimal(volume)).quantize(_RATIO, rounding=ROUND_HALF_EVEN)


def clear(terms: Terms, bids: BidColumns | Sequence[Bid], seed: bytes) -> Outcome:
    """Clear a sealed-bid auction under ``terms.rule`` (module docstring), breaking ties at the
    clearing price with the revealed ``seed`` (``ties``). Checks the terms and the bids first; an
    invalid bid clears nothing."""
    check_terms(terms)
    if len(seed) != SEED_BYTES:
        raise InvalidAuctionTerms(
            "the tie-break seed has the wrong length",
            [FieldIssue(("seed",), len(seed), f"a seed has {SEED_BYTES} bytes")],
        )
    cols = bids if isinstance(bids, BidColumns) else BidColumns.from_bids(bids)
    check_bids(terms, cols)
    return _Clearing(terms, cols, seed).run()


class _Clearing:
    """One clearing: the eligible bids sorted by descending price (stable), their running sum."""

    def __init__(self, terms: Terms, cols: BidColumns, seed: bytes) -> None:
        self.terms, self.cols, self.seed = terms, cols, seed
        p, q = cols.prices, cols.quantities
        self.demand = int(q.sum()) if len(cols) else 0
        self.bidders = len(set(cols.bidders))
        reserve = terms.reserve_fen
        eligible = np.flatnonzero(p >= reserve) if reserve is not None else np.arange(len(cols))
        self.order = eligible[np.argsort(-p[eligible], kind="stable")]
        self.sp = p[self.order]
        self.cum = np.cumsum(q[self.order])
        self.total = int(self.cum[-1]) if self.cum.size else 0

    # -- results -------------------------------------------------------------------------------

    def _outcome(
        self,
        status: Status,
        price: int | None,
        awards: Allocation,
        marginal: str | None,
        reason: str,
    ) -> Outcome:
        sold = sum(awards.quantities)
        return Outcome(
            rule=self.terms.rule,
            status=status,
            volume=self.terms.volume,
            clearing_price_fen=price,
            allocation=awards,
            sold=sold,
            unsold=self.terms.volume - sold,
            demand=self.demand,
            cover_ratio=_cover(self.demand, self.terms.volume),
            bidders=self.bidders,
            marginal_bid=marginal,
            reason=reason,
        )

    def _nothing(self, status: Status, reason: str) -> Outcome:
        return self._outcome(status, None, Allocation([], [], [], []), None, reason)

    def _full(self, positions: Int64, price: int | None) -> Allocation:
        """The bids at ``positions`` (indices into the columns) filled in full, at ``price``
        (``None``: each at its own price, pay-as-bid)."""
        ids, bidders = self.cols.ids, self.cols.bidders
        at = positions.tolist()
        quantities = self.cols.quantities[positions].tolist()
        prices = self.cols.prices[positions].tolist() if price is None else [price] * len(at)
        return Allocation([ids[n] for n in at], [bidders[n] for n in at], quantities, prices)

    def _uniform(self) -> bool:
        return self.terms.rule is not Rule.PAY_AS_BID

    # -- the cases -----------------------------------------------------------------------------

    def run(self) -> Outcome:
        rule, volume = self.terms.rule, self.terms.volume
        if self.total == 0:
            if rule is Rule.EU:
                return self._nothing(Status.CANCELLED, "no bids: cancelled (Reg. 1031/2010 Art. 7(5))")
            return self._nothing(Status.NO_SALE, "no bid at or above the reserve price: nothing sold")
        if self.total >= volume:
            return self._covered()
        return self._undersubscribed()

    def _covered(self) -> Outcome:
        terms, sp, cum = self.terms, self.sp, self.cum
        volume, rule = terms.volume, terms.rule
        k = int(np.searchsorted(cum, volume, side="left"))
        marginal_price = int(sp[k])
        descending = -sp
        n_above = int(np.searchsorted(descending, -marginal_price, side="left"))
        n_level = int(np.searchsorted(descending, -marginal_price, side="right"))
        floor = terms.secondary_floor_fen
        if floor is not None and marginal_price < floor:
            if rule is Rule.EU:
                return self._nothing(
                    Status.CANCELLED,
                    f"clearing price {marginal_price} fen is under the secondary-market floor {floor} fen:"
                    " cancelled (Reg. 1031/2010 Art. 7(6))",
                )
            return self._above_floor(floor, marginal_price)
        d_above = int(cum[n_above - 1]) if n_above else 0
        level = self.order[n_above:n_level]
        remaining = volume - d_above
        level_ids = [self.cols.ids[n] for n in level.tolist()]
        level_q = self.cols.quantities[level].tolist()
        filled: list[tuple[int, int]] = []
        marginal: str | None = None
        for pos in tie_order(self.seed, level_ids):
            if remaining == 0:
                break
            take = min(level_q[pos], remaining)
            filled.append((int(level[pos]), take))
            remaining -= take
            marginal = level_ids[pos]
        level_unfilled = sum(level_q) > volume - d_above
        price: int
        if rule is Rule.RGGI:
            if level_unfilled:
                price = marginal_price
                how = "the unfilled part of the marginal price level"
            elif n_level < len(sp):
                price = int(sp[n_level])
                how = "the highest bid below the marginal price level"
            else:
                price = int(terms.reserve_fen or 0)
                how = "no rejected bid at or above the reserve: the reserve price"
            reason = f"covered; RGGI: the clearing price is the highest rejected bid ({how})"
        else:
            price = marginal_price
            reason = (
                "covered; pay-as-bid: each accepted bid pays its own price"
                if rule is Rule.PAY_AS_BID
                else "covered: the price of the bid at which cumulative demand reaches the volume"
                " (Reg. 1031/2010 Art. 7(2); UK reg 7(1)(a))"
            )
        unit = price if self._uniform() else None
        awards = self._full(self.order[:n_above], unit)
        ids, bidders, prices = self.cols.ids, self.cols.bidders, self.cols.prices
        for n, take in filled:
            awards.bid_ids.append(ids[n])
            awards.bidders.append(bidders[n])
            awards.quantities.append(take)
            awards.prices_fen.append(unit if unit is not None else int(prices[n]))
        return self._outcome(Status.CLEARED, price, awards, marginal, reason)

    def _above_floor(self, floor: int, would_be: int) -> Outcome:
        """UK reg 7(1)(c) and (1A): only bids at or above the floor, at the lowest of them."""
        n_ok = int(np.searchsorted(-self.sp, -floor, side="right"))
        if n_ok == 0:
            return self._nothing(
                Status.NO_SALE,
                f"every bid is under the secondary-market floor {floor} fen: no clearing price;"
                " the volume is carried forward (UK reg 7(1A), 6(8))",
            )
        price = int(self.sp[n_ok - 1])
        awards = self._full(self.order[:n_ok], price)
        return self._outcome(
            Status.CLEARED,
            price,
            awards,
            None,
            f"the price {would_be} fen would be under the secondary-market floor {floor} fen: cleared at the"
            " lowest bid not under it, the rest unsold (UK reg 7(1)(c), 6(8))",
        )

    def _undersubscribed(self) -> Outcome:
        terms, rule = self.terms, self.terms.rule
        if rule is Rule.EU:
            return self._nothing(
                Status.CANCELLED,
                f"bids for {self.total} units fall short of the volume {terms.volume}:"
                " cancelled (Reg. 1031/2010 Art. 7(5))",
            )
        if rule is Rule.UK:
            lowest = int(self.sp[-1])
            floor = terms.secondary_floor_fen
            if floor is not None and lowest < floor:
                return self._above_floor(floor, lowest)
            awards = self._full(self.order, lowest)
            return self._outcome(
                Status.CLEARED,
                lowest,
                awards,
                None,
                "undersubscribed: every bid at or above the reserve is filled at the lowest bid's price;"
                " the unsold volume is carried forward (UK reg 7(1)(b), 6(8))",
            )
        if rule is Rule.RGGI:
            reserve = int(terms.reserve_fen or 0)
            awards = self._full(self.order, reserve)
            return self._outcome(
                Status.CLEARED,
                reserve,
                awards,
                None,
                "undersubscribed: no bid at or above the reserve is rejected, so every such bid is filled"
                " at the reserve price (RGGI)",
            )
        awards = self._full(self.order, None)
        return self._outcome(
            Status.CLEARED,
            int(self.sp[-1]),
            awards,
            None,
            "undersubscribed; pay-as-bid: every acceptable bid is filled at its own price",
        )
