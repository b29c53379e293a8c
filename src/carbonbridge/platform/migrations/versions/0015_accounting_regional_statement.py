"""accounting: the stored regional statement and the version it is checked against

``regional_statements`` holds the regional inventory as released, one row per region, GWP set
and year (year 0: the region's facts: record count, computability, registered organisations),
with the data ``version``, the factor library digest (``factors``) and the disclosure ``rules``
it was built with. ``regional_version`` is one row whose ``version`` every change to what the
statement is built from adds one to, in that change's transaction (records, corrections,
organisations, finalisations and verifications, statistics): a server process reads the stored
statement only when its version is current, so no process serves a stale one.

Nothing is filled: the first read after the upgrade builds the statement. Downgrading drops both
tables (the statement is derived data; the next read on the old code recomputes it).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "regional_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regional_version")),
    )
    op.create_table(
        "regional_statements",
        sa.Column("region", sa.String(length=20), nullable=False),
        sa.Column("gwp", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("factors", sa.String(length=64), nullable=False),
        sa.Column("rules", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("region", "gwp", "year", name=op.f("pk_regional_statements")),
    )


def downgrade() -> None:
    op.drop_table("regional_statements")
    op.drop_table("regional_version")
