"""accounting: corrections without losing history (replacement submissions, reopened years)

``submissions`` gains ``replaces`` (the submission a replacement corrects; unique, so each
submission is replaced at most once, also under concurrent requests), ``log_index`` (its entry in
the transparency log, which a replacement's event references) and ``submitted_by_name``.
``log_index`` is filled for existing submissions from their logged commitments (the private
payload of each ``accounting.submission`` entry names its submission).

``activity_records`` gains ``superseded_by``: a replaced submission's records stay, marked with the
replacement. The unique key (facility, activity, period, unit, instrument) becomes a partial unique
index over the current records (``superseded_by IS NULL``), on SQLite and PostgreSQL, so that a
replacement may restate the same keys while nothing is ever counted twice.

``inventory_statements`` gains ``revision`` (server default 0: every existing statement is on the
first revision) and is unique per (organisation, year, kind, revision); ``inventory_reopenings``
records each reopening of a finalised year with its written reason and log entry.

Downgrading drops all of it; it fails (unique key) when a replacement restated a replaced record's
key, as it should: the old schema cannot hold both.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 16:30:00
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_CURRENT = sa.text("superseded_by IS NULL")
_KEY = ["facility_id", "activity", "period_start", "period_end", "unit", "instrument_key"]


def upgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("submitted_by_name", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("replaces", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("log_index", sa.BigInteger(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_submissions_replaces_submissions"), "submissions", ["replaces"], ["id"]
        )
        batch_op.create_unique_constraint(batch_op.f("uq_submissions_replaces"), ["replaces"])
    with op.batch_alter_table("activity_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("superseded_by", sa.String(length=40), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_activity_records_superseded_by_submissions"),
            "submissions",
            ["superseded_by"],
            ["id"],
        )
        batch_op.drop_constraint("uq_activity_records_once", type_="unique")
    op.create_index(
        "uq_activity_records_current",
        "activity_records",
        _KEY,
        unique=True,
        sqlite_where=_CURRENT,
        postgresql_where=_CURRENT,
    )
    with op.batch_alter_table("inventory_statements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))
        batch_op.drop_constraint("uq_inventory_statements_once", type_="unique")
        batch_op.create_unique_constraint(
            "uq_inventory_statements_revision", ["organisation_id", "year", "kind", "revision"]
        )
    op.create_table(
        "inventory_reopenings",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organisation_id", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by_user", sa.String(length=40), nullable=False),
        sa.Column("by_name", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("log_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_inventory_reopenings_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_reopenings")),
        sa.UniqueConstraint("organisation_id", "year", "revision", name="uq_inventory_reopenings_revision"),
    )
    with op.batch_alter_table("inventory_reopenings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inventory_reopenings_organisation_id"), ["organisation_id"], unique=False
        )
    _fill_log_indexes()


def _fill_log_indexes() -> None:
    """Each existing submission's log entry, from the opened payloads of the submission events."""
    entries = sa.table("ledger_entries", sa.column("index", sa.BigInteger), sa.column("kind", sa.String))
    openings = sa.table(
        "ledger_commitments", sa.column("entry_index", sa.BigInteger), sa.column("payload", sa.LargeBinary)
    )
    submissions = sa.table("submissions", sa.column("id", sa.String), sa.column("log_index", sa.BigInteger))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(openings.c.entry_index, openings.c.payload)
        .select_from(openings.join(entries, entries.c["index"] == openings.c.entry_index))
        .where(entries.c.kind == "accounting.submission")
    )
    for index, payload in rows.all():
        submission_id = json.loads(bytes(payload)).get("submission_id")
        if isinstance(submission_id, str):
            bind.execute(
                submissions.update().where(submissions.c.id == submission_id).values(log_index=index)
            )


def downgrade() -> None:
    with op.batch_alter_table("inventory_reopenings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_reopenings_organisation_id"))
    op.drop_table("inventory_reopenings")
    with op.batch_alter_table("inventory_statements", schema=None) as batch_op:
        batch_op.drop_constraint("uq_inventory_statements_revision", type_="unique")
        batch_op.create_unique_constraint("uq_inventory_statements_once", ["organisation_id", "year", "kind"])
        batch_op.drop_column("revision")
    op.drop_index(
        "uq_activity_records_current",
        table_name="activity_records",
        sqlite_where=_CURRENT,
        postgresql_where=_CURRENT,
    )
    with op.batch_alter_table("activity_records", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_activity_records_once", _KEY)
        batch_op.drop_constraint(
            batch_op.f("fk_activity_records_superseded_by_submissions"), type_="foreignkey"
        )
        batch_op.drop_column("superseded_by")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_submissions_replaces"), type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_submissions_replaces_submissions"), type_="foreignkey")
        batch_op.drop_column("log_index")
        batch_op.drop_column("replaces")
        batch_op.drop_column("submitted_by_name")
