"""platform identity: tokens expire, have a public id and a kind; users can be disabled

``api_tokens`` gains ``id`` (the token's public name for listing and revoking, never the secret nor
its digest), ``kind`` (``api`` or ``session``: a browser's login) and ``expires_at``; ``users``
gains ``disabled_at``. The authenticating query checks all three conditions at once.

Existing tokens are given an id, a kind (``session`` for the web logins, labelled "web session")
and an expiry counted from the upgrade, with the default lifetimes (12 hours for sessions, 90 days
for API tokens), so that no client is cut off by the upgrade itself; every existing user stays
active. Downgrading drops the columns (expiry and disabling are then forgotten).

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None

_SESSION_LIFETIME = timedelta(hours=12)
_API_TOKEN_LIFETIME = timedelta(days=90)


def _new_id() -> str:
    # kernel.ids.new_id, copied: a migration must not change when the application code does
    millis = time.time_ns() // 1_000_000
    return f"tok_{millis:012x}{os.urandom(5).hex()}"


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("kind", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    tokens = sa.table(
        "api_tokens",
        sa.column("token_sha256", sa.String),
        sa.column("label", sa.String),
        sa.column("id", sa.String),
        sa.column("kind", sa.String),
        sa.column("expires_at", sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    now = datetime.now(UTC)
    rows = [
        {
            "digest": digest,
            "new_id": _new_id(),
            "new_kind": "session" if label == "web session" else "api",
            "new_expiry": now + (_SESSION_LIFETIME if label == "web session" else _API_TOKEN_LIFETIME),
        }
        for digest, label in connection.execute(sa.select(tokens.c.token_sha256, tokens.c.label)).all()
    ]
    if rows:  # one statement, executed for every row
        connection.execute(
            tokens.update()
            .where(tokens.c.token_sha256 == sa.bindparam("digest"))
            .values(
                id=sa.bindparam("new_id"),
                kind=sa.bindparam("new_kind"),
                expires_at=sa.bindparam("new_expiry"),
            ),
            rows,
        )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column("id", existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column("kind", existing_type=sa.String(length=10), nullable=False)
        batch_op.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_api_tokens_id"), ["id"])


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_api_tokens_id"), type_="unique")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("kind")
        batch_op.drop_column("id")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("disabled_at")
