"""ledger: the database records the log's verifier key

``ledger_state.verifier_key`` holds the c2sp.org/signed-note verifier key (origin, key ID, public
key) of the key that signs the log's checkpoints. It is nullable: an existing log has none
recorded until ``carbonbridge migrate`` (or ``carbonbridge ledger init``) records the key file
that verifies its first and latest checkpoints; until then appends are refused
(``ledger-log-not-initialised``), never signed with a key created on the spot. A migration
cannot read the key file (it may live on another machine than the one migrating), so this one
only adds the column.

Downgrading drops the column, and with it the record of which key the log is signed with.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verifier_key", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ledger_state", schema=None) as batch_op:
        batch_op.drop_column("verifier_key")
