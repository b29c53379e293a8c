"""markets: sealed-bid auctions and their sealed bids (issue 14)

``markets_sealed_auctions`` holds each auction's terms, bidding window, tie-break seed (private until
the close) and its commitment, status and, once closed, the result document; ``markets_sealed_bids``
each bid, its status (active or withdrawn) and the log entries that seal and withdraw it. Nothing is
filled; downgrading drops the two tables.

Revision ID: 0020
Revises: 0017
Create Date: 2026-12-05 11:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "markets_sealed_auctions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("rule", sa.String(length=12), nullable=False),
        sa.Column("volume", sa.BigInteger(), nullable=False),
        sa.Column("reserve_fen", sa.BigInteger(), nullable=True),
        sa.Column("lot", sa.BigInteger(), nullable=False),
        sa.Column("tick_fen", sa.BigInteger(), nullable=False),
        sa.Column("bidder_cap", sa.BigInteger(), nullable=True),
        sa.Column("secondary_floor_fen", sa.BigInteger(), nullable=True),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seed_hex", sa.String(length=64), nullable=False),
        sa.Column("seed_commitment", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("log_index", sa.BigInteger(), nullable=False),
        sa.Column("result_log_index", sa.BigInteger(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("closes_at > opens_at", name=op.f("ck_markets_sealed_auctions_window_order")),
        sa.CheckConstraint("volume > 0", name=op.f("ck_markets_sealed_auctions_volume_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_markets_sealed_auctions")),
    )
    op.create_table(
        "markets_sealed_bids",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("auction_id", sa.String(length=40), nullable=False),
        sa.Column("bidder", sa.String(length=40), nullable=False),
        sa.Column("price_fen", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("log_index", sa.BigInteger(), nullable=False),
        sa.Column("withdrawn_log_index", sa.BigInteger(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("price_fen > 0", name=op.f("ck_markets_sealed_bids_price_positive")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_markets_sealed_bids_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["auction_id"],
            ["markets_sealed_auctions.id"],
            name=op.f("fk_markets_sealed_bids_auction_id_markets_sealed_auctions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_markets_sealed_bids")),
    )
    with op.batch_alter_table("markets_sealed_bids", schema=None) as batch_op:
        batch_op.create_index("ix_markets_sealed_bids_auction_status", ["auction_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("markets_sealed_bids", schema=None) as batch_op:
        batch_op.drop_index("ix_markets_sealed_bids_auction_status")
    op.drop_table("markets_sealed_bids")
    op.drop_table("markets_sealed_auctions")
