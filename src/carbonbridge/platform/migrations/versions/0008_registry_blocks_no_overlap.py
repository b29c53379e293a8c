"""registry: the database refuses an open serial block that overlaps another open block of the
same project and vintage (a trigger on SQLite and on PostgreSQL)

The registry's block algebra never produces an overlap and the partial unique indexes already
refuse two open blocks with the same start or the same end; this trigger closes the remaining gap
(a block strictly inside or straddling another), so that "no overlap within a project and vintage"
(issue 4) holds in the database itself, whatever code writes to it. Open blocks never overlap, so
the only candidate is the open block with the greatest start not after the new block's end: one
index seek on ``uq_registry_blocks_open_start`` per inserted row. Blocks are only ever inserted
(an operation closes the blocks it consumes and inserts the ones it produces), so the check is on
INSERT.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 16:05:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

MESSAGE = "registry_blocks: serial range overlaps an open block of the same project and vintage"

NEIGHBOUR_END = """
    SELECT b.serial_end FROM registry_blocks AS b
    WHERE b.project_id = NEW.project_id AND b.vintage = NEW.vintage AND b.closed_by IS NULL
      AND b.serial_start <= NEW.serial_end
    ORDER BY b.serial_start DESC LIMIT 1
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION registry_blocks_no_overlap() RETURNS trigger AS $$
            BEGIN
              IF NEW.closed_by IS NULL AND ({NEIGHBOUR_END}) >= NEW.serial_start THEN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
              END IF;
              RETURN NEW;
            END
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER registry_blocks_no_overlap BEFORE INSERT ON registry_blocks "
            "FOR EACH ROW EXECUTE FUNCTION registry_blocks_no_overlap()"
        )
    else:
        op.execute(
            f"""
            CREATE TRIGGER registry_blocks_no_overlap BEFORE INSERT ON registry_blocks
            WHEN NEW.closed_by IS NULL AND ({NEIGHBOUR_END}) >= NEW.serial_start
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
            """
        )


def downgrade() -> None:
    op.execute(
        "DROP TRIGGER IF EXISTS registry_blocks_no_overlap"
        + (" ON registry_blocks" if op.get_bind().dialect.name == "postgresql" else "")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS registry_blocks_no_overlap()")
