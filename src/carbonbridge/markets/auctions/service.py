"""Sealed-bid auction use cases: open an auction (its seed committed in the log), submit, withdraw
and list bids during the window (each bid sealed by a private log entry: the log holds only its
salted commitment), close it (reveal the seed, open every bid, clear, publish the result with its
digest in the log), and read the public result (``docs/markets.md``).

Each state change is one transaction that writes the auction's rows and appends its log entries
together, under the auction row's lock; a failed call changes nothing and raises a typed error
naming field, value and reason. Roles: a regulator opens and closes auctions; a member of an
organisation (reporter, developer) or an investor bids, for its organisation (or itself).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from carbonbridge.kernel.canonical import canonical_json
from carbonbridge.kernel.clock import Clock, utc_now
from carbonbridge.kernel.errors import Conflict, FieldIssue, InvalidInput, NotFound
from carbonbridge.kernel.ids import new_id
from carbonbridge.markets.auctions import result as results
from carbonbridge.markets.auctions.errors import AuctionWindow, InvalidBid
from carbonbridge.markets.auctions.model import Bid, SealedAuction, SealedBid, Terms
from carbonbridge.markets.auctions.sealed import BidColumns, check_bids, check_terms, clear
from carbonbridge.markets.auctions.ties import SEED_BYTES, commitment

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from carbonbridge.platform.identity import Principal

OPENED_EVENT = "markets.sealed_auction_opened"
BID_EVENT = "markets.sealed_bid"
WITHDRAWN_EVENT = "markets.sealed_bid_withdrawn"
RESULT_EVENT = "markets.sealed_auction_result"


def _bidder(principal: Principal) -> str:
    from carbonbridge.platform.identity import Role

    principal.require(Role.REPORTER, Role.DEVELOPER, Role.INVESTOR)
    who = principal.organisation_id or principal.user_id
    assert who is not None
    return who


def open_auction(
    sessions: sessionmaker[Session],
    principal: Principal,
    title: str,
    terms: Terms,
    opens_at: datetime,
    closes_at: datetime,
) -> SealedAuction:
    """Open a sealed-bid auction (regulator): checks the terms, draws a 32-byte tie-break seed and
    logs the terms and the seed's commitment before any bid can arrive."""
    from carbonbridge.ledger import service as ledger
    from carbonbridge.markets.auctions import store
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.platform.identity import Role

    principal.require(Role.REGULATOR)
    check_terms(terms)
    issues = []
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        issues.append(FieldIssue(("title",), title, "1 to 200 characters"))
    if closes_at <= opens_at:
        issues.append(
            FieldIssue(("closes_at",), closes_at.isoformat(), "the window must close after it opens")
        )
    if issues:
        raise InvalidInput("cannot open the auction", issues)
    seed = os.urandom(SEED_BYTES)
    auction = SealedAuction(
        new_id("auction"), title.strip(), terms, opens_at, closes_at, commitment(seed), "open", -1
    )
    with unit_of_work(sessions) as session:
        entry = ledger.append_event(
            session,
            OPENED_EVENT,
            {
                "auction": auction.id,
                "title": auction.title,
                "terms": results.terms_dict(terms),
                "opens_at": opens_at.isoformat(),
                "closes_at": closes_at.isoformat(),
                "seed_commitment": auction.seed_commitment,
            },
        )
        auction = replace(auction, log_index=entry.index)
        store.add_auction(session, auction, seed.hex())
    return auction


def _locked(session: Session, auction_id: str) -> SealedAuction:
    from carbonbridge.markets.auctions import store

    auction = store.lock_auction(session, auction_id)
    if auction is None:
        raise NotFound(
            f"auction {auction_id} does not exist",
            [FieldIssue(("auction_id",), auction_id, "unknown auction")],
        )
    return auction


def _in_window(auction: SealedAuction, now: datetime) -> None:
    if auction.status != "open" or not auction.opens_at <= now < auction.closes_at:
        raise AuctionWindow(
            f"auction {auction.id}'s bidding window is not open",
            [
                FieldIssue(
                    ("at",),
                    now.isoformat(),
                    f"bids are taken from {auction.opens_at.isoformat()}"
                    f" until {auction.closes_at.isoformat()} (status {auction.status})",
                )
            ],
        )


def submit_bid(
    sessions: sessionmaker[Session],
    principal: Principal,
    auction_id: str,
    price_fen: int,
    quantity: int,
    *,
    clock: Clock = utc_now,
) -> tuple[SealedBid, str]:
    """Submit a sealed bid during the window; returns the bid and its log receipt. The bid is
    checked against the terms and, with the bidder's other active bids, against the cap; the log
    holds only its salted commitment until the auction closes."""
    from carbonbridge.ledger import service as ledger
    from carbonbridge.markets.auctions import store
    from carbonbridge.platform.db import unit_of_work

    bidder = _bidder(principal)
    for name, value in (("price_fen", price_fen), ("quantity", quantity)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput(
                "a bid's price and quantity are whole numbers", [FieldIssue((name,), value, "a whole number")]
            )
    with unit_of_work(sessions) as session:
        auction = _locked(session, auction_id)
        now = clock()
        _in_window(auction, now)
        bid = Bid(new_id("bid"), bidder, price_fen, quantity)
        mine = store.active_bids(session, auction_id, bidder)
        candidates = [Bid(b.id, b.bidder, b.price_fen, b.quantity) for b in mine] + [bid]
        try:
            check_bids(auction.terms, BidColumns.from_bids(candidates))
        except InvalidBid as exc:  # name the request's own fields: the earlier bids passed already
            last = len(candidates) - 1
            issues = [
                replace(i, location=i.location[2:]) if i.location[:2] == ("bids", last) else i
                for i in exc.issues
            ]
            raise InvalidBid(exc.detail, issues) from None
        entry = ledger.append_event(session, BID_EVENT, results.bid_payload(auction_id, bid), private=True)
        stored = SealedBid(bid.bid_id, auction_id, bidder, price_fen, quantity, "active", entry.index, now)
        store.add_bid(session, stored)
        receipt = entry.receipt()
    return stored, receipt


def withdraw_bid(
    sessions: sessionmaker[Session], principal: Principal, bid_id: str, *, clock: Clock = utc_now
) -> SealedBid:
    """Withdraw one's own active bid during the window (a modification is a withdrawal and a new
    bid). The withdrawal is logged publicly; it reveals nothing of the bid."""
    from carbonbridge.ledger import service as ledger
    from carbonbridge.markets.auctions import store
    from carbonbridge.platform.db import unit_of_work

    bidder = _bidder(principal)
    with unit_of_work(sessions) as session:
        bid = store.get_bid(session, bid_id)
        if bid is None or bid.bidder != bidder:
            raise NotFound(
                f"bid {bid_id} does not exist", [FieldIssue(("bid_id",), bid_id, "not one of your bids")]
            )
        auction = _locked(session, bid.auction_id)
        _in_window(auction, clock())
        bid = store.get_bid(session, bid_id)
        assert bid is not None
        if bid.status != "active":
            raise Conflict(
                f"bid {bid_id} is {bid.status}", [FieldIssue(("bid_id",), bid_id, f"already {bid.status}")]
            )
        entry = ledger.append_event(
            session, WITHDRAWN_EVENT, {"auction": bid.auction_id, "bid": bid.id, "sealed_at": bid.log_index}
        )
        store.withdraw_bid(session, bid_id, entry.index)
    return replace(bid, status="withdrawn")


def my_bids(sessions: sessionmaker[Session], principal: Principal, auction_id: str) -> list[SealedBid]:
    """The caller's active bids in an auction (a bidder sees only its own until the close)."""
    from carbonbridge.markets.auctions import store
    from carbonbridge.platform.db import unit_of_work

    bidder = _bidder(principal)
    with unit_of_work(sessions) as session:
        return store.active_bids(session, auction_id, bidder)


def close_auction(
    sessions: sessionmaker[Session], principal: Principal, auction_id: str, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """Close an auction after its window (regulator): reveal the seed, open every active bid from
    the log's commitments, clear, store and log the result (its digest and headline figures).
    Returns the public result document (:mod:`result`)."""
    from carbonbridge.ledger import service as ledger
    from carbonbridge.markets.auctions import store
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.platform.identity import Role

    principal.require(Role.REGULATOR)
    with unit_of_work(sessions) as session:
        auction = _locked(session, auction_id)
        now = clock()
        if auction.status != "open":
            raise Conflict(
                f"auction {auction_id} is already closed",
                [FieldIssue(("auction_id",), auction_id, f"status {auction.status}")],
            )
        if now < auction.closes_at:
            raise AuctionWindow(
                f"auction {auction_id}'s bidding window is still open",
                [FieldIssue(("at",), now.isoformat(), f"it closes at {auction.closes_at.isoformat()}")],
            )
        seed = bytes.fromhex(store.seed_hex(session, auction_id))
        active = store.active_bids(session, auction_id)
        openings = []
        bids = []
        for b in active:
            salt, payload = ledger.commitment_opening(session, b.log_index)
            openings.append(
                {
                    "bid": b.id,
                    "log_index": b.log_index,
                    "commitment": hashlib.sha256(salt + payload).hexdigest(),
                    "salt": salt.hex(),
                    "payload": payload.decode("utf-8"),
                }
            )
            bids.append(Bid(b.id, b.bidder, b.price_fen, b.quantity))
        outcome = clear(auction.terms, bids, seed)
        document: dict[str, Any] = {
            "format": results.FORMAT,
            "auction": {
                "id": auction.id,
                "title": auction.title,
                "terms": results.terms_dict(auction.terms),
                "opens_at": auction.opens_at.isoformat(),
                "closes_at": auction.closes_at.isoformat(),
                "log_index": auction.log_index,
            },
            "seed_commitment": auction.seed_commitment,
            "seed": seed.hex(),
            "bids": openings,
            "withdrawn": results.withdrawn_entries(store.withdrawn_bids(session, auction_id)),
            "outcome": results.outcome_dict(outcome),
            "closed_at": now.isoformat(),
        }
        event = {
            "auction": auction.id,
            "status": outcome.status.value,
            "clearing_price_fen": outcome.clearing_price_fen,
            "sold": outcome.sold,
            "bids": len(openings),
            "seed": seed.hex(),
            "document_sha256": results.digest(document),
        }
        entry = ledger.append_event(session, RESULT_EVENT, event)
        document["log_event"] = event
        document["result_log_index"] = entry.index
        store.record_result(session, auction_id, outcome.status.value, document, entry.index)
    return document


def get_auction(sessions: sessionmaker[Session], auction_id: str) -> SealedAuction:
    from carbonbridge.markets.auctions import store
    from carbonbridge.platform.db import unit_of_work

    with unit_of_work(sessions) as session:
        auction = store.get_auction(session, auction_id)
    if auction is None:
        raise NotFound(
            f"auction {auction_id} does not exist",
            [FieldIssue(("auction_id",), auction_id, "unknown auction")],
        )
    return auction


def list_auctions(sessions: sessionmaker[Session]) -> list[SealedAuction]:
    from carbonbridge.markets.auctions import store
    from carbonbridge.platform.db import unit_of_work

    with unit_of_work(sessions) as session:
        return store.list_auctions(session)


def result_document(sessions: sessionmaker[Session], auction_id: str) -> dict[str, Any]:
    """The public result of a closed auction (``NotFound`` before it closes: until then the bids
    are sealed)."""
    from carbonbridge.markets.auctions import store
    from carbonbridge.platform.db import unit_of_work

    get_auction(sessions, auction_id)
    with unit_of_work(sessions) as session:
        document = store.result_of(session, auction_id)
    if document is None:
        raise NotFound(
            f"auction {auction_id} has no result yet",
            [FieldIssue(("auction_id",), auction_id, "the result is published when the auction closes")],
        )
    return document


def canonical_document(document: dict[str, Any]) -> bytes:
    """The result document as canonical JSON (what the CLI and the API's download serve)."""
    return canonical_json(document)
