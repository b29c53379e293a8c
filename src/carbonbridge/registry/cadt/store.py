"""Tables and repository functions of CAD Trust imports: where an imported project came from, and
the serial counter an import raises. Flushes, never commits (the service does)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from carbonbridge.platform.db import Base
from carbonbridge.registry.cadt.model import ImportedProject
from carbonbridge.registry.store import SerialCounterRow
from carbonbridge.registry.store_tables import BlockRow


class ImportedProjectRow(Base):
    """A project imported from another registry through CAD Trust records: its origin."""

    __tablename__ = "registry_imported_projects"
    __table_args__ = (
        UniqueConstraint("origin_registry", "origin_project_id", name="uq_registry_imported_origin"),
    )

    project_id: Mapped[str] = mapped_column(ForeignKey("registry_projects.id"), primary_key=True)
    origin_registry: Mapped[str] = mapped_column(String(100))
    origin_project_id: Mapped[str] = mapped_column(String(100))
    operation_id: Mapped[str] = mapped_column(String(40))


# --- CAD Trust imports --------------------------------------------------------------------------


def _imported(row: ImportedProjectRow) -> ImportedProject:
    return ImportedProject(row.project_id, row.origin_registry, row.origin_project_id, row.operation_id)


def add_imported_projects(session: Session, imported: Sequence[ImportedProject]) -> None:
    session.add_all([ImportedProjectRow(**dataclasses.asdict(i)) for i in imported])
    session.flush()


def imported_project(
    session: Session, origin_registry: str, origin_project_id: str
) -> ImportedProject | None:
    row = session.execute(
        select(ImportedProjectRow).where(
            ImportedProjectRow.origin_registry == origin_registry,
            ImportedProjectRow.origin_project_id == origin_project_id,
        )
    ).scalar_one_or_none()
    return None if row is None else _imported(row)


def origins(session: Session) -> dict[str, ImportedProject]:
    return {r.project_id: _imported(r) for r in session.scalars(select(ImportedProjectRow))}


def raise_serial_counter(session: Session, project_id: str, vintage: int, next_serial: int) -> None:
    """Make the project-vintage counter at least ``next_serial`` (after importing serials up to
    ``next_serial - 1``), so that a later issuance never reuses an imported serial."""
    row = session.get(SerialCounterRow, (project_id, vintage))
    if row is None:
        session.add(SerialCounterRow(project_id=project_id, vintage=vintage, next_serial=next_serial))
    elif row.next_serial < next_serial:
        row.next_serial = next_serial
    session.flush()


def opened_by(session: Session, block_ids: Sequence[str]) -> dict[str, str]:
    """The operation that produced each block (its status date and reason for the export)."""
    found: dict[str, str] = {}
    ids = list(set(block_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = select(BlockRow.id, BlockRow.opened_by).where(BlockRow.id.in_(chunk))
        for block, operation in session.execute(query):
            found[block] = operation
    return found
