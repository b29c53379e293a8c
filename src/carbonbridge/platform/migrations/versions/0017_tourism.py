"""tourism: the tourist carbon-neutral bill and its compensation pool (issue 13)

``tourism_bills`` holds each computed bill (its traced lines as JSON, total whole grams, status and,
once compensated, the amount in fen and the payment reference); ``tourism_pools`` the compensation
pools (a registry holding account and a price in fen per tonne); ``tourism_pool_retirements`` the
whole tonnes each pool retired in the registry and how many grams of them are allocated (checked
to stay within tonnes × 1,000,000); ``tourism_allocations`` the grams of a retirement given to a
bill. Nothing is filled; downgrading drops the four tables.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 08:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tourism_pools",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("organisation_id", sa.String(length=40), nullable=False),
        sa.Column("fen_per_tonne", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("fen_per_tonne > 0", name=op.f("ck_tourism_pools_price_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tourism_pools")),
    )
    op.create_table(
        "tourism_bills",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=False),
        sa.Column("region", sa.String(length=10), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("visitor", sa.String(length=120), nullable=False),
        sa.Column("grams", sa.BigInteger(), nullable=False),
        sa.Column("lines", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("log_index", sa.BigInteger(), nullable=False),
        sa.Column("pool_id", sa.String(length=40), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("payment_reference", sa.String(length=120), nullable=False),
        sa.Column("compensated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("end_date >= start_date", name=op.f("ck_tourism_bills_date_order")),
        sa.CheckConstraint("grams >= 0", name=op.f("ck_tourism_bills_grams_not_negative")),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["tourism_pools.id"], name=op.f("fk_tourism_bills_pool_id_tourism_pools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tourism_bills")),
    )
    with op.batch_alter_table("tourism_bills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tourism_bills_reference"), ["reference"], unique=False)

    op.create_table(
        "tourism_pool_retirements",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("pool_id", sa.String(length=40), nullable=False),
        sa.Column("operation_id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("vintage", sa.Integer(), nullable=False),
        sa.Column("tonnes", sa.BigInteger(), nullable=False),
        sa.Column("serials", sa.Text(), nullable=False),
        sa.Column("allocated_grams", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "allocated_grams >= 0 AND allocated_grams <= tonnes * 1000000",
            name=op.f("ck_tourism_pool_retirements_allocated_within_retired"),
        ),
        sa.CheckConstraint("tonnes > 0", name=op.f("ck_tourism_pool_retirements_tonnes_positive")),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["tourism_pools.id"], name=op.f("fk_tourism_pool_retirements_pool_id_tourism_pools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tourism_pool_retirements")),
        sa.UniqueConstraint("operation_id", name=op.f("uq_tourism_pool_retirements_operation_id")),
    )
    with op.batch_alter_table("tourism_pool_retirements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tourism_pool_retirements_pool_id"), ["pool_id"], unique=False)

    op.create_table(
        "tourism_allocations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("bill_id", sa.String(length=40), nullable=False),
        sa.Column("retirement_id", sa.String(length=40), nullable=False),
        sa.Column("grams", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("grams > 0", name=op.f("ck_tourism_allocations_grams_positive")),
        sa.ForeignKeyConstraint(
            ["bill_id"], ["tourism_bills.id"], name=op.f("fk_tourism_allocations_bill_id_tourism_bills")
        ),
        sa.ForeignKeyConstraint(
            ["retirement_id"],
            ["tourism_pool_retirements.id"],
            name=op.f("fk_tourism_allocations_retirement_id_tourism_pool_retirements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tourism_allocations")),
    )
    with op.batch_alter_table("tourism_allocations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tourism_allocations_bill_id"), ["bill_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_tourism_allocations_retirement_id"), ["retirement_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("tourism_allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tourism_allocations_retirement_id"))
        batch_op.drop_index(batch_op.f("ix_tourism_allocations_bill_id"))

    op.drop_table("tourism_allocations")
    with op.batch_alter_table("tourism_pool_retirements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tourism_pool_retirements_pool_id"))

    op.drop_table("tourism_pool_retirements")
    with op.batch_alter_table("tourism_bills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tourism_bills_reference"))

    op.drop_table("tourism_bills")
    op.drop_table("tourism_pools")
