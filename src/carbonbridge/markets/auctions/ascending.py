"""The open ascending (English) auction, as Shenzhen sold mangrove carbon-sink credits.

Shenzhen's first mangrove-conservation carbon-sink auction (2023-09-26, Futian reserve; Hong Kong
Commercial Daily and Shenzhen Evening News reports of that day): about a tenth of 38,745.44 t, start
183 yuan/t, 17 bidders, 92 rounds, hammered at 485 yuan/t. This module is the rule set of such an
auction (增价拍卖, the price rising by an increment each round) as a pure state machine; the service
gives it the clock and records each event.

- **Terms** (:class:`AscendingTerms`): the lot (units), the start price, an increment ladder
  (the step depends on the price reached: :meth:`AscendingTerms.step_at`), an optional reserve
  price (保留价), each round's time limit, and the deposit each bidder must have paid.
- **A round**: the auctioneer announces a price (the start price, then the standing price plus the
  step at it); a registered bidder who has paid the deposit accepts it (raises the paddle); the first
  acceptance becomes the standing bid and opens the next round. The standing bidder cannot bid
  against itself.
- **The hammer**: when a round's time limit passes without a bid, the lot is hammered to the
  standing bidder at the standing price, if that price meets the reserve; otherwise it is unsold
  (reserve not met). With no bid at the start price the lot is unsold (流拍).

Money is integer fen per unit; the lot is whole units; times are seconds on the service's clock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from carbonbridge.kernel.errors import FieldIssue
from carbonbridge.markets.auctions.errors import BidRefused, InvalidAuctionTerms


@dataclass(frozen=True, slots=True)
class Step:
    """From ``from_fen`` (inclusive) upwards the price rises by ``step_fen`` a round."""

    from_fen: int
    step_fen: int


@dataclass(frozen=True, slots=True)
class AscendingTerms:
    """What the auctioneer announces before the auction (the increment ladder sorted by price)."""

    lot: int
    start_fen: int
    ladder: tuple[Step, ...]
    reserve_fen: int | None = None
    round_seconds: float = 60.0
    deposit_fen: int = 0

    def step_at(self, price_fen: int) -> int:
        """The increment that applies at ``price_fen``: the step of the highest rung at or below it."""
        step = self.ladder[0].step_fen
        for rung in self.ladder:
            if rung.from_fen <= price_fen:
                step = rung.step_fen
        return step


def check_ascending_terms(terms: AscendingTerms) -> None:
    """Refuse terms no auction can run with; raises :class:`InvalidAuctionTerms`."""
    issues: list[FieldIssue] = []
    if terms.lot < 1:
        issues.append(FieldIssue(("terms", "lot"), terms.lot, "the lot is at least one unit"))
    if terms.start_fen < 1:
        issues.append(
            FieldIssue(("terms", "start_fen"), terms.start_fen, "the start price is at least one fen")
        )
    if not terms.ladder:
        issues.append(FieldIssue(("terms", "ladder"), [], "the increment ladder needs at least one step"))
    for n, rung in enumerate(terms.ladder):
        if rung.step_fen < 1:
            issues.append(
                FieldIssue(("terms", "ladder", n, "step_fen"), rung.step_fen, "a step is at least one fen")
            )
        if n and rung.from_fen <= terms.ladder[n - 1].from_fen:
            issues.append(
                FieldIssue(("terms", "ladder", n, "from_fen"), rung.from_fen, "the ladder's prices must rise")
            )
    if terms.ladder and terms.ladder[0].from_fen > terms.start_fen:
        issues.append(
            FieldIssue(
                ("terms", "ladder", 0, "from_fen"),
                terms.ladder[0].from_fen,
                "the first step starts at or below the start price",
            )
        )
    if terms.round_seconds <= 0:
        issues.append(FieldIssue(("terms", "round_seconds"), terms.round_seconds, "a round lasts some time"))
    if terms.deposit_fen < 0:
        issues.append(FieldIssue(("terms", "deposit_fen"), terms.deposit_fen, "a deposit cannot be negative"))
    if terms.reserve_fen is not None and terms.reserve_fen < 0:
        issues.append(
            FieldIssue(("terms", "reserve_fen"), terms.reserve_fen, "a reserve price cannot be negative")
        )
    if issues:
        raise InvalidAuctionTerms("the ascending auction's terms cannot run", issues)


class Phase(StrEnum):
    """Where an ascending auction is."""

    OPEN = "open"
    #: sold to the standing bidder at the standing price
    HAMMERED = "hammered"
    #: no bid at the start price (流拍), or the last price under the reserve
    UNSOLD = "unsold"


@dataclass(frozen=True, slots=True)
class AcceptedBid:
    """One accepted bid: round number (1 = the start price), bidder, price, time."""

    round: int
    bidder: str
    price_fen: int
    at: float


@dataclass(frozen=True, slots=True)
class Ascending:
    """The state of an open ascending auction; every transition returns a new state."""

    terms: AscendingTerms
    opened_at: float
    #: bidders registered and whose deposit is paid (eligibility is checked before registration)
    bidders: frozenset[str] = frozenset()
    bids: tuple[AcceptedBid, ...] = ()
    phase: Phase = Phase.OPEN
    closed_at: float | None = None
    reason: str = ""

    @classmethod
    def open(cls, terms: AscendingTerms, at: float, bidders: frozenset[str]) -> Ascending:
        check_ascending_terms(terms)
        return cls(terms=terms, opened_at=at, bidders=bidders)

    # -- what a bidder's page shows -------------------------------------------------------------

    @property
    def standing(self) -> AcceptedBid | None:
        return self.bids[-1] if self.bids else None

    @property
    def round(self) -> int:
        """The round now open: 1 is the start price's."""
        return len(self.bids) + 1

    @property
    def announced_fen(self) -> int:
        """The price a bid must accept in the round now open."""
        top = self.standing
        if top is None:
            return self.terms.start_fen
        return top.price_fen + self.terms.step_at(top.price_fen)

    @property
    def round_deadline(self) -> float:
        """When the round now open ends without a bid."""
        top = self.standing
        return (top.at if top is not None else self.opened_at) + self.terms.round_seconds

    @property
    def amount_fen(self) -> int | None:
        """What the winner owes (hammer price × lot), once hammered."""
        top = self.standing
        if self.phase is not Phase.HAMMERED or top is None:
            return None
        return top.price_fen * self.terms.lot

    # -- transitions ----------------------------------------------------------------------------

    def bid(self, bidder: str, price_fen: int, at: float) -> Ascending:
        """Accept ``bidder``'s acceptance of ``price_fen`` at time ``at``, or refuse it with the
        reason (:class:`BidRefused`); a refused bid changes nothing."""

        def refuse(field_name: str, value: object, reason: str) -> BidRefused:
            return BidRefused(
                f"round {self.round}: bid refused", [FieldIssue(("bid", field_name), value, reason)]
            )

        if self.phase is not Phase.OPEN:
            raise refuse("at", at, f"the auction is {self.phase.value}")
        if at > self.round_deadline:
            raise refuse("at", at, "after the round's time limit: the round is closed")
        if at < (self.standing.at if self.standing else self.opened_at):
            raise refuse("at", at, "earlier than the last event: the clock cannot go back")
        if bidder not in self.bidders:
            raise refuse("bidder", bidder, "not a registered bidder with its deposit paid")
        if self.standing is not None and self.standing.bidder == bidder:
            raise refuse("bidder", bidder, "already the standing bidder: cannot bid against itself")
        if price_fen != self.announced_fen:
            raise refuse("price_fen", price_fen, f"the announced price is {self.announced_fen} fen")
        return replace(self, bids=(*self.bids, AcceptedBid(self.round, bidder, price_fen, at)))

    def close(self, at: float) -> Ascending:
        """The hammer: once the round's time limit has passed (``at`` after the deadline), the lot is
        sold to the standing bidder if the reserve is met, else unsold. Before the deadline the state
        is unchanged (the round is still open)."""
        if self.phase is not Phase.OPEN or at <= self.round_deadline:
            return self
        top = self.standing
        if top is None:
            return replace(self, phase=Phase.UNSOLD, closed_at=at, reason="no bid at the start price (流拍)")
        reserve = self.terms.reserve_fen
        if reserve is not None and top.price_fen < reserve:
            return replace(
                self,
                phase=Phase.UNSOLD,
                closed_at=at,
                reason=f"the last price {top.price_fen} fen is under the reserve price: not sold",
            )
        return replace(
            self,
            phase=Phase.HAMMERED,
            closed_at=at,
            reason=f"hammered to {top.bidder} at {top.price_fen} fen per unit after {len(self.bids)} rounds",
        )
