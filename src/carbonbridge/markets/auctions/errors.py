"""The auctions' domain errors (each with a section in ``docs/errors.md``)."""

from __future__ import annotations

from carbonbridge.kernel.errors import Conflict, InvalidInput


class InvalidAuctionTerms(InvalidInput):
    """The auction's terms break a rule of its scheme (e.g. a UK auction without a reserve price);
    nothing was cleared."""

    code = "markets-invalid-auction-terms"
    title_en = "Invalid auction terms"
    title_zh = "拍卖条款无效"


class InvalidBid(InvalidInput):
    """A bid breaks the auction's terms (off tick, under a lot, over the bidder's cap …); the
    issues name each bid, field, value and reason; nothing was cleared or recorded."""

    code = "markets-invalid-bid"
    title_en = "Invalid bid"
    title_zh = "出价无效"


class BidRefused(Conflict):
    """A bid in an open ascending auction that the auction's state does not allow (not the
    announced price, from an unregistered bidder or one without a deposit, from the standing
    bidder, after the round's time limit or after the hammer); nothing changed."""

    code = "markets-bid-refused"
    title_en = "Bid refused"
    title_zh = "竞价不被接受"
