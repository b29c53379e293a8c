"""REST: sealed-bid auctions (``/api/v1/markets/auctions/...``). A regulator opens and closes an
auction; members bid, withdraw and list their own bids during the window; anyone reads the
auctions and, once closed, the result document, which anyone can verify (``docs/markets.md``).
Errors are problem+json naming field, value and reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from carbonbridge.kernel.bounds import RequestBody
from carbonbridge.markets.auctions import result as results
from carbonbridge.markets.auctions import service
from carbonbridge.markets.auctions.model import Rule, SealedAuction, SealedBid, Terms
from carbonbridge.markets.auctions.sealed import MAX_PRICE_FEN, MAX_QUANTITY
from carbonbridge.platform.deps import CurrentPrincipal, Sessions
from carbonbridge.platform.guard import GuardedRoute, public

router = APIRouter(prefix="/markets/auctions", tags=["markets"], route_class=GuardedRoute)


class AuctionIn(RequestBody):
    title: str = Field(min_length=1, max_length=200)
    rule: Rule
    volume: int = Field(ge=1, le=MAX_QUANTITY)
    reserve_fen: int | None = Field(default=None, ge=0, le=MAX_PRICE_FEN)
    lot: int = Field(default=1, ge=1, le=MAX_QUANTITY)
    tick_fen: int = Field(default=1, ge=1, le=MAX_PRICE_FEN)
    bidder_cap: int | None = Field(default=None, ge=1, le=MAX_QUANTITY)
    secondary_floor_fen: int | None = Field(default=None, ge=0, le=MAX_PRICE_FEN)
    opens_at: datetime
    closes_at: datetime


class AuctionOut(BaseModel):
    id: str
    title: str
    rule: str
    volume: int
    reserve_fen: int | None
    lot: int
    tick_fen: int
    bidder_cap: int | None
    secondary_floor_fen: int | None
    opens_at: str
    closes_at: str
    seed_commitment: str
    status: str
    log_index: int
    result_log_index: int | None


class BidIn(RequestBody):
    price_fen: int = Field(ge=1, le=MAX_PRICE_FEN)
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class BidOut(BaseModel):
    id: str
    auction_id: str
    bidder: str
    price_fen: int
    quantity: int
    status: str
    log_index: int
    submitted_at: str
    receipt: str = ""


def _auction(a: SealedAuction) -> AuctionOut:
    return AuctionOut(
        **results.terms_dict(a.terms),
        id=a.id,
        title=a.title,
        opens_at=a.opens_at.isoformat(),
        closes_at=a.closes_at.isoformat(),
        seed_commitment=a.seed_commitment,
        status=a.status,
        log_index=a.log_index,
        result_log_index=a.result_log_index,
    )


def _bid(b: SealedBid, receipt: str = "") -> BidOut:
    return BidOut(
        id=b.id,
        auction_id=b.auction_id,
        bidder=b.bidder,
        price_fen=b.price_fen,
        quantity=b.quantity,
        status=b.status,
        log_index=b.log_index,
        submitted_at=b.submitted_at.isoformat(),
        receipt=receipt,
    )


@router.post("", response_model=AuctionOut, status_code=201)
def open_auction(sessions: Sessions, principal: CurrentPrincipal, body: AuctionIn) -> AuctionOut:
    """Open a sealed-bid auction (regulator); the terms and the tie-break seed's commitment are
    logged before any bid arrives."""
    terms = Terms(
        volume=body.volume,
        rule=body.rule,
        reserve_fen=body.reserve_fen,
        lot=body.lot,
        tick_fen=body.tick_fen,
        bidder_cap=body.bidder_cap,
        secondary_floor_fen=body.secondary_floor_fen,
    )
    return _auction(
        service.open_auction(sessions, principal, body.title, terms, body.opens_at, body.closes_at)
    )


@router.get("", response_model=list[AuctionOut])
@public
def list_auctions(sessions: Sessions) -> list[AuctionOut]:
    """Every auction, newest window first (public: terms, window, status, seed commitment)."""
    return [_auction(a) for a in service.list_auctions(sessions)]


@router.get("/{auction_id}", response_model=AuctionOut)
@public
def get_auction(sessions: Sessions, auction_id: str) -> AuctionOut:
    return _auction(service.get_auction(sessions, auction_id))


@router.post("/{auction_id}/bids", response_model=BidOut, status_code=201)
def submit_bid(sessions: Sessions, principal: CurrentPrincipal, auction_id: str, body: BidIn) -> BidOut:
    """A sealed bid during the window; the answer carries the receipt of its log entry, which holds
    only the bid's salted commitment until the auction closes."""
    bid, receipt = service.submit_bid(sessions, principal, auction_id, body.price_fen, body.quantity)
    return _bid(bid, receipt)


@router.get("/{auction_id}/bids/mine", response_model=list[BidOut])
def my_bids(sessions: Sessions, principal: CurrentPrincipal, auction_id: str) -> list[BidOut]:
    """The caller's active bids in the auction."""
    return [_bid(b) for b in service.my_bids(sessions, principal, auction_id)]


@router.delete("/bids/{bid_id}", response_model=BidOut)
def withdraw_bid(sessions: Sessions, principal: CurrentPrincipal, bid_id: str) -> BidOut:
    """Withdraw one's own bid during the window (to modify a bid, withdraw it and bid again)."""
    return _bid(service.withdraw_bid(sessions, principal, bid_id))


@router.post("/{auction_id}/close")
def close_auction(sessions: Sessions, principal: CurrentPrincipal, auction_id: str) -> dict[str, Any]:
    """Close the auction after its window (regulator): reveal the seed, open the bids, clear, and
    publish the result document."""
    return service.close_auction(sessions, principal, auction_id)


@router.get("/{auction_id}/result")
@public
def result(sessions: Sessions, auction_id: str) -> dict[str, Any]:
    """The result document of a closed auction, verifiable by anyone
    (``carbonbridge markets verify-auction FILE``)."""
    return service.result_document(sessions, auction_id)
