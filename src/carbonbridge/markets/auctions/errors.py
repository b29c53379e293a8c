"""The auctions' domain errors (each with a section in ``docs/errors.md``)."""

from __future__ import annotations

from carbonbridge.kernel.errors import Conflict, ExitCode, InvalidInput


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


class AuctionWindow(Conflict):
    """A bid, withdrawal or close at the wrong time: bids are taken only while the bidding window
    is open, and an auction closes only after it; nothing changed."""

    code = "markets-auction-window"
    title_en = "Outside the bidding window"
    title_zh = "不在竞价时段内"


class ResultNotVerified(InvalidInput):
    """A sealed-bid auction's result document does not verify: the seed, an opening, the
    recomputed clearing or the digest disagrees with what was published (the issues list each)."""

    code = "markets-result-not-verified"
    title_en = "Auction result does not verify"
    title_zh = "拍卖结果验证未通过"
    exit_code = ExitCode.VERIFICATION_FAILED
