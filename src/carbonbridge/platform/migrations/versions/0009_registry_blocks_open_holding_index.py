"""registry: an account's open blocks are found through a partial index on open blocks only

``ix_registry_blocks_holding`` (account, project, vintage, serial start) indexed every block, open
or closed, so reading the open blocks of an account above a serial scanned past every block the
account had ever held: one closed block per past transfer or retirement (87,549 of them after a
few thousand single retirements from one account, 14 ms per read, growing with the account's
history). Every query by account is on open blocks (``closed_by IS NULL``), so the index becomes
partial on open blocks, and ``ix_registry_blocks_account_open`` (account, closed_by), whose
leading column the new index also serves, is dropped: one index fewer to write per block.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OPEN = sa.text("closed_by IS NULL")


def upgrade() -> None:
    op.drop_index("ix_registry_blocks_holding", table_name="registry_blocks")
    op.drop_index("ix_registry_blocks_account_open", table_name="registry_blocks")
    op.create_index(
        "ix_registry_blocks_holding_open",
        "registry_blocks",
        ["account_id", "project_id", "vintage", "serial_start"],
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_registry_blocks_holding_open", table_name="registry_blocks")
    op.create_index("ix_registry_blocks_account_open", "registry_blocks", ["account_id", "closed_by"])
    op.create_index(
        "ix_registry_blocks_holding",
        "registry_blocks",
        ["account_id", "project_id", "vintage", "serial_start"],
    )
