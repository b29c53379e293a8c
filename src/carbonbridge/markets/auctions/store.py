"""The sealed-bid auctions' tables and repository. Flushes, never commits (the service owns the
transaction).

``markets_sealed_auctions`` holds an auction's terms, window, the commitment to its tie-break seed
and the seed itself (private until the auction closes; the result reveals it), its status and, once
closed, the result document (JSON). ``markets_sealed_bids`` holds each bid, its status (active or
withdrawn) and the log entry that seals it. Writers that change an auction or its bids first take
the auction row's lock (:func:`lock_auction`: an ``UPDATE`` of its version, SQLite's write lock or a
PostgreSQL row lock), so a bid cannot slip in while the auction closes.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from carbonbridge.markets.auctions.model import Rule, SealedAuction, SealedBid, Terms
from carbonbridge.platform.db import Base
from carbonbridge.platform.types import UtcDateTime


class SealedAuctionRow(Base):
    __tablename__ = "markets_sealed_auctions"
    __table_args__ = (
        CheckConstraint("volume > 0", name="volume_positive"),
        CheckConstraint("closes_at > opens_at", name="window_order"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    rule: Mapped[str] = mapped_column(String(12))
    volume: Mapped[int] = mapped_column(BigInteger)
    reserve_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    lot: Mapped[int] = mapped_column(BigInteger)
    tick_fen: Mapped[int] = mapped_column(BigInteger)
    bidder_cap: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    secondary_floor_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    opens_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closes_at: Mapped[datetime] = mapped_column(UtcDateTime())
    seed_hex: Mapped[str] = mapped_column(String(64))
    seed_commitment: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))
    log_index: Mapped[int] = mapped_column(BigInteger)
    result_log_index: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    result: Mapped[str | None] = mapped_column(Text, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class SealedBidRow(Base):
    __tablename__ = "markets_sealed_bids"
    __table_args__ = (
        CheckConstraint("price_fen > 0", name="price_positive"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_markets_sealed_bids_auction_status", "auction_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    auction_id: Mapped[str] = mapped_column(ForeignKey("markets_sealed_auctions.id"))
    bidder: Mapped[str] = mapped_column(String(40))
    price_fen: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12))
    log_index: Mapped[int] = mapped_column(BigInteger)
    withdrawn_log_index: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())


def _auction(row: SealedAuctionRow) -> SealedAuction:
    terms = Terms(
        volume=row.volume,
        rule=Rule(row.rule),
        reserve_fen=row.reserve_fen,
        lot=row.lot,
        tick_fen=row.tick_fen,
        bidder_cap=row.bidder_cap,
        secondary_floor_fen=row.secondary_floor_fen,
    )
    return SealedAuction(
        row.id,
        row.title,
        terms,
        row.opens_at,
        row.closes_at,
        row.seed_commitment,
        row.status,
        row.log_index,
        row.result_log_index,
    )


def _bid(row: SealedBidRow) -> SealedBid:
    return SealedBid(
        row.id,
        row.auction_id,
        row.bidder,
        row.price_fen,
        row.quantity,
        row.status,
        row.log_index,
        row.submitted_at,
    )


def add_auction(session: Session, auction: SealedAuction, seed_hex: str) -> None:
    t = auction.terms
    session.add(
        SealedAuctionRow(
            id=auction.id,
            title=auction.title,
            rule=t.rule.value,
            volume=t.volume,
            reserve_fen=t.reserve_fen,
            lot=t.lot,
            tick_fen=t.tick_fen,
            bidder_cap=t.bidder_cap,
            secondary_floor_fen=t.secondary_floor_fen,
            opens_at=auction.opens_at,
            closes_at=auction.closes_at,
            seed_hex=seed_hex,
            seed_commitment=auction.seed_commitment,
            status=auction.status,
            log_index=auction.log_index,
            version=0,
        )
    )
    session.flush()


def lock_auction(session: Session, auction_id: str) -> SealedAuction | None:
    """Take the auction's row lock and return it (``None`` if it does not exist)."""
    done = session.execute(
        update(SealedAuctionRow)
        .where(SealedAuctionRow.id == auction_id)
        .values(version=SealedAuctionRow.version + 1)
    )
    if done.rowcount == 0:  # type: ignore[attr-defined]
        return None
    return get_auction(session, auction_id)


def get_auction(session: Session, auction_id: str) -> SealedAuction | None:
    row = session.get(SealedAuctionRow, auction_id, populate_existing=True)
    return _auction(row) if row is not None else None


def list_auctions(session: Session, limit: int = 100) -> list[SealedAuction]:
    rows = session.scalars(select(SealedAuctionRow).order_by(SealedAuctionRow.opens_at.desc()).limit(limit))
    return [_auction(r) for r in rows]


def seed_hex(session: Session, auction_id: str) -> str:
    row = session.get(SealedAuctionRow, auction_id)
    assert row is not None
    return row.seed_hex


def add_bid(session: Session, bid: SealedBid) -> None:
    session.add(
        SealedBidRow(
            id=bid.id,
            auction_id=bid.auction_id,
            bidder=bid.bidder,
            price_fen=bid.price_fen,
            quantity=bid.quantity,
            status=bid.status,
            log_index=bid.log_index,
            submitted_at=bid.submitted_at,
        )
    )
    session.flush()


def get_bid(session: Session, bid_id: str) -> SealedBid | None:
    row = session.get(SealedBidRow, bid_id, populate_existing=True)
    return _bid(row) if row is not None else None


def active_bids(session: Session, auction_id: str, bidder: str | None = None) -> list[SealedBid]:
    """The auction's active bids (of one bidder, if named), in submission order."""
    query = select(SealedBidRow).where(SealedBidRow.auction_id == auction_id, SealedBidRow.status == "active")
    if bidder is not None:
        query = query.where(SealedBidRow.bidder == bidder)
    return [_bid(r) for r in session.scalars(query.order_by(SealedBidRow.log_index))]


def withdraw_bid(session: Session, bid_id: str, log_index: int) -> None:
    session.execute(
        update(SealedBidRow)
        .where(SealedBidRow.id == bid_id)
        .values(status="withdrawn", withdrawn_log_index=log_index)
    )


def withdrawn_bids(session: Session, auction_id: str) -> list[tuple[str, int, int]]:
    """(bid id, sealing entry, withdrawal entry) of the auction's withdrawn bids."""
    rows = session.execute(
        select(SealedBidRow.id, SealedBidRow.log_index, SealedBidRow.withdrawn_log_index)
        .where(SealedBidRow.auction_id == auction_id, SealedBidRow.status == "withdrawn")
        .order_by(SealedBidRow.log_index)
    )
    return [(r[0], int(r[1]), int(r[2] or -1)) for r in rows]


def record_result(
    session: Session, auction_id: str, status: str, result: dict[str, Any], result_log_index: int
) -> None:
    session.execute(
        update(SealedAuctionRow)
        .where(SealedAuctionRow.id == auction_id)
        .values(
            status=status, result=json.dumps(result, ensure_ascii=False), result_log_index=result_log_index
        )
    )


def result_of(session: Session, auction_id: str) -> dict[str, Any] | None:
    row = session.get(SealedAuctionRow, auction_id)
    if row is None or row.result is None:
        return None
    loaded: dict[str, Any] = json.loads(row.result)
    return loaded
