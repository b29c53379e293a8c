"""The sealed-bid auctions' domain types. Money is integer fen (分) per tonne or in total;
quantities are whole units (one unit = one tonne CO2e of a credit or allowance)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class Rule(StrEnum):
    """The rule set a sealed-bid, single-round auction clears by (``docs/markets.md`` cites each)."""

    #: Commission Regulation (EU) No 1031/2010, Art. 7: uniform price, the price of the bid at
    #: which cumulative demand reaches the volume; cancelled when undersubscribed or significantly
    #: below the secondary market
    EU = "eu"
    #: UK ETS Auctioning Regulations 2021 (SI 2021/484 as amended by SI 2021/513), regs 6-7: as the
    #: EU, with an auction reserve price; undersubscribed, it clears at the lowest bid and the
    #: unsold volume is carried into the next four auctions
    UK = "uk"
    #: RGGI: uniform price set by the highest rejected bid, never below the reserve price
    RGGI = "rggi"
    #: pay-as-bid (discriminatory): each accepted bid pays its own price; none of the three schemes
    #: above uses it, offered for comparison and for a region that chooses it
    PAY_AS_BID = "pay-as-bid"


class Status(StrEnum):
    """How an auction ended."""

    #: allowances were allocated (all, or part where the rule allows an undersubscribed sale)
    CLEARED = "cleared"
    #: cancelled by the rule (EU Art. 7(5) and 7(6)); nothing allocated
    CANCELLED = "cancelled"
    #: no clearing price could be determined (no acceptable bid; UK reg 7(1A)); nothing allocated
    NO_SALE = "no-sale"


@dataclass(frozen=True, slots=True)
class Bid:
    """One sealed bid: ``quantity`` units at ``price_fen`` per unit.

    ``bid_id`` is unique within the auction and is what the tie-break hashes (``ties``)."""

    bid_id: str
    bidder: str
    price_fen: int
    quantity: int


@dataclass(frozen=True, slots=True)
class Terms:
    """What the auctioneer publishes before the bidding window opens.

    ``reserve_fen``: the auction reserve price (UK, RGGI: required; EU: none; pay-as-bid: optional);
    bids below it are not accepted. ``lot``: the minimum bid and its multiple (UK reg 5(1): 500
    allowances). ``tick_fen``: the price step (UK reg 5(2)(d): two decimal places, i.e. 1 penny).
    ``bidder_cap``: the most units one bidder may bid for in total (EU Art. 57 "maximum bid-size"),
    ``None`` for no cap. ``secondary_floor_fen``: the price under which a clearing price counts as
    "significantly below the secondary market" (EU Art. 7(6), UK reg 7(2)), fixed before the window
    by the platform's published methodology; ``None`` where the scheme or region has none."""

    volume: int
    rule: Rule
    reserve_fen: int | None = None
    lot: int = 1
    tick_fen: int = 1
    bidder_cap: int | None = None
    secondary_floor_fen: int | None = None


@dataclass(frozen=True, slots=True)
class Award:
    """What one bid won: ``quantity`` units at ``price_fen`` each, ``amount_fen`` in all."""

    bid_id: str
    bidder: str
    quantity: int
    price_fen: int
    amount_fen: int


@dataclass(frozen=True, slots=True)
class Allocation:
    """What the winning bids won, as columns (one row per winning bid, highest price first and,
    within the clearing price, in tie-break order): a store writes it in one statement, and the
    per-bid :class:`Award` objects are built only when asked for (:attr:`Outcome.awards`)."""

    bid_ids: list[str]
    bidders: list[str]
    quantities: list[int]
    prices_fen: list[int]

    def __len__(self) -> int:
        return len(self.bid_ids)

    def awards(self) -> tuple[Award, ...]:
        return tuple(
            Award(i, b, q, p, q * p)
            for i, b, q, p in zip(self.bid_ids, self.bidders, self.quantities, self.prices_fen, strict=True)
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of clearing a sealed-bid auction.

    ``clearing_price_fen`` is the uniform price (for pay-as-bid: the lowest accepted bid's price,
    reported as the marginal price); ``None`` when cancelled or without a sale. ``allocation`` holds
    what each winning bid won (``awards`` as objects). ``cover_ratio`` is units bid (every bid,
    including those under the reserve) ÷ volume, rounded half-even to 4 decimal places.
    ``marginal_bid`` is the bid that completed the volume and was filled in part or in full
    (EU Art. 7(4)), if any. ``reason`` says, in English, why the auction ended as it did, citing
    the rule."""

    rule: Rule
    status: Status
    volume: int
    clearing_price_fen: int | None
    allocation: Allocation
    sold: int
    unsold: int
    demand: int
    cover_ratio: Decimal
    bidders: int
    marginal_bid: str | None
    reason: str

    @property
    def awards(self) -> tuple[Award, ...]:
        """One :class:`Award` per winning bid, in the allocation's order."""
        return self.allocation.awards()

    @property
    def proceeds_fen(self) -> int:
        """Total money owed by the winners, in fen (exact: Python integers)."""
        a = self.allocation
        return sum(q * p for q, p in zip(a.quantities, a.prices_fen, strict=True))


@dataclass(frozen=True, slots=True)
class SealedAuction:
    """A sealed-bid auction as the platform runs it: its terms, its bidding window, the
    commitment to its tie-break seed (published when it opens; the seed is revealed when it
    closes) and, once closed, its status. ``log_index`` is the log entry that opened it."""

    id: str
    title: str
    terms: Terms
    opens_at: datetime
    closes_at: datetime
    seed_commitment: str
    status: str
    log_index: int
    result_log_index: int | None = None


@dataclass(frozen=True, slots=True)
class SealedBid:
    """A bid as stored: ``log_index`` is the private log entry whose salted commitment seals it
    (the log shows only the commitment until the auction closes)."""

    id: str
    auction_id: str
    bidder: str
    price_fen: int
    quantity: int
    status: str
    log_index: int
    submitted_at: datetime
