"""accounting: each organisation's contribution to the regional statement, kept incrementally

``regional_contributions`` holds, per organisation, year, GWP set and atom of the statement
(IPCC leaf, GPC sector/scope, gas or co-pollutant), its CO2e and mass in whole milligrams, its
record count and the GWP the engine used; ``regional_exclusions`` its records the engine cannot
compute, grouped; ``regional_atoms`` every organisation's contributions to each atom summed
(what the figures are summed from) and ``regional_cells`` what disclosure control needs of each
published cell (contributors, sum, largest contributions), both kept by delta;
``regional_rebuild`` one row: the factor digest the contributions were computed with and the full
rebuild running now (the guard: one at a time across processes).

Backfill: every organisation's contributions are computed from its current records by the
installed release's engine (``upkeep.backfill``, the rebuild's code, in this migration's
transaction), and the stored statement is summed again from them, so the first read after the
upgrade is current. On a large installation this takes the time of a full rebuild (minutes at
100,000 organisations). Downgrading drops the five tables (derived data; 0015's statement stays
and its version counter is bumped so that the old code rebuilds it).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 08:00:00
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "regional_contributions",
        sa.Column("organisation_id", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("gwp", sa.String(length=8), nullable=False),
        sa.Column("ipcc", sa.String(length=16), nullable=False),
        sa.Column("gpc", sa.String(length=8), nullable=False),
        sa.Column("gas", sa.String(length=40), nullable=False),
        sa.Column("co2e_mg", sa.BigInteger(), nullable=False),
        sa.Column("mass_mg", sa.BigInteger(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("weight", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint(
            "organisation_id", "year", "gwp", "ipcc", "gpc", "gas", name=op.f("pk_regional_contributions")
        ),
    )
    op.create_index("ix_regional_contributions_year_gwp", "regional_contributions", ["year", "gwp"])
    op.create_table(
        "regional_exclusions",
        sa.Column("organisation_id", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("gwp", sa.String(length=8), nullable=False),
        sa.Column("activity", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "organisation_id", "year", "gwp", "activity", "reason", name=op.f("pk_regional_exclusions")
        ),
    )
    op.create_table(
        "regional_atoms",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("gwp", sa.String(length=8), nullable=False),
        sa.Column("ipcc", sa.String(length=16), nullable=False),
        sa.Column("gpc", sa.String(length=8), nullable=False),
        sa.Column("gas", sa.String(length=40), nullable=False),
        sa.Column("co2e_mg", sa.BigInteger(), nullable=False),
        sa.Column("mass_mg", sa.BigInteger(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("weight", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("year", "gwp", "ipcc", "gpc", "gas", name=op.f("pk_regional_atoms")),
    )
    op.create_table(
        "regional_cells",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("gwp", sa.String(length=8), nullable=False),
        sa.Column("cell", sa.String(length=80), nullable=False),
        sa.Column("contributors", sa.Integer(), nullable=False),
        sa.Column("total_mg", sa.BigInteger(), nullable=False),
        sa.Column("largest", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("year", "gwp", "cell", name=op.f("pk_regional_cells")),
    )
    op.create_table(
        "regional_rebuild",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("factors", sa.String(length=64), nullable=True),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regional_rebuild")),
    )
    # the backfill is the application's own computation (the engine is not SQL). Imported by name
    # when the migration runs: the platform package, which holds the migrations, does not depend on
    # the accounting context at import time (the contexts' import graph stays acyclic)
    upkeep = importlib.import_module("carbonbridge.accounting.service.upkeep")
    with Session(bind=op.get_bind()) as session:
        upkeep.backfill(session)
        session.flush()


def downgrade() -> None:
    op.drop_table("regional_rebuild")
    op.drop_table("regional_cells")
    op.drop_table("regional_atoms")
    op.drop_table("regional_exclusions")
    op.drop_index("ix_regional_contributions_year_gwp", table_name="regional_contributions")
    op.drop_table("regional_contributions")
    op.execute("UPDATE regional_version SET version = version + 1")
