"""registry: a verified issuance converts planned (ex-ante) units in place and records how many

``registry_issuances.converted`` counts the planned units of the project and vintage that the
issuance turned into held units, keeping their serials (server default 0, so every existing row,
which converted nothing, stays valid). ``quantity`` keeps meaning the newly serialised range, which
is empty (0) when the verified tonnes all went to converted units; such an issuance's empty range
sits at the vintage's next serial, which the next issuance will start at, so the unique start
becomes a partial unique index over non-empty ranges (``quantity > 0``), on SQLite and PostgreSQL.
A CHECK keeps ``converted >= 0`` and refuses an issuance of nothing (``quantity + converted >= 1``).

Downgrading drops the column; it fails (unique start) if an issuance that only converted shares
its start with a later one, as it should: the old schema cannot hold it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 17:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_WHERE = sa.text("quantity > 0")
_CHECK = "converted >= 0 AND quantity + converted >= 1"


def upgrade() -> None:
    with op.batch_alter_table("registry_issuances", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("converted", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.drop_constraint("uq_registry_issuances_start", type_="unique")
        batch_op.create_check_constraint(batch_op.f("ck_registry_issuances_converted_within"), _CHECK)
    op.create_index(
        "uq_registry_issuances_start",
        "registry_issuances",
        ["project_id", "vintage", "serial_start"],
        unique=True,
        sqlite_where=_WHERE,
        postgresql_where=_WHERE,
    )


def downgrade() -> None:
    op.drop_index(
        "uq_registry_issuances_start",
        table_name="registry_issuances",
        sqlite_where=_WHERE,
        postgresql_where=_WHERE,
    )
    with op.batch_alter_table("registry_issuances", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_registry_issuances_converted_within"), type_="check")
        batch_op.create_unique_constraint(
            "uq_registry_issuances_start", ["project_id", "vintage", "serial_start"]
        )
        batch_op.drop_column("converted")
