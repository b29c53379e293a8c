"""Tables and repository functions for the regional ETS (allowance allocations, compliance
surrenders). Flushes, never commits (the service does). Kept apart from ``registry/store.py`` (the
credit registry's core tables); the holding lock every allowance write takes first is
:func:`carbonbridge.registry.store.lock_holding`.

Allowances are integer tonnes per entity and compliance period, not serial blocks: an entity's
holding of a period is ``Σ allocations − Σ allowances surrendered`` (``docs/registry-compliance.md``
says why). Rows are only ever inserted, so every figure can be recomputed from them and the
logged events (``compliance.LEDGER_AUDITORS``).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from carbonbridge.platform.db import Base
from carbonbridge.platform.types import UtcDateTime
from carbonbridge.registry.compliance.model import Allocation, Surrender


class AllocationRow(Base):
    """Allowances allocated to a covered entity for a compliance period (free allocation)."""

    __tablename__ = "registry_allowance_allocations"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_registry_allowance_allocations_org_period", "organisation_id", "period"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    period: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(BigInteger)
    basis: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor_name: Mapped[str] = mapped_column(String(200))
    log_index: Mapped[int] = mapped_column(BigInteger)


class SurrenderRow(Base):
    """One compliance surrender: allowances and offsets (credits retired for compliance by the
    registry operations ``retirement_operations``) against the verified emissions of
    ``statement_id``."""

    __tablename__ = "registry_compliance_surrenders"
    __table_args__ = (
        CheckConstraint("allowances >= 0 AND offsets >= 0", name="quantities_non_negative"),
        CheckConstraint("allowances + offsets > 0", name="something_surrendered"),
        CheckConstraint("allowances + offsets <= obligation", name="within_obligation"),
        Index("ix_registry_compliance_surrenders_org_period", "organisation_id", "period"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    period: Mapped[int] = mapped_column(Integer)
    allowances: Mapped[int] = mapped_column(BigInteger)
    offsets: Mapped[int] = mapped_column(BigInteger)
    obligation: Mapped[int] = mapped_column(BigInteger)
    offset_share: Mapped[str] = mapped_column(String(20))
    statement_id: Mapped[str] = mapped_column(String(40))
    #: JSON list of the registry retirement operations that retired the offset credits
    retirement_operations: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor_name: Mapped[str] = mapped_column(String(200))
    log_index: Mapped[int] = mapped_column(BigInteger)


# --- allowances ---------------------------------------------------------------------------------


def add_allocation(session: Session, allocation: Allocation) -> None:
    session.add(AllocationRow(**dataclasses.asdict(allocation)))
    session.flush()


def add_surrender(session: Session, surrender: Surrender) -> None:
    values = dataclasses.asdict(surrender)
    values["retirement_operations"] = json.dumps(list(surrender.retirement_operations))
    session.add(SurrenderRow(**values))
    session.flush()


def _allocation(row: AllocationRow) -> Allocation:
    return Allocation(
        row.id,
        row.organisation_id,
        row.period,
        row.quantity,
        row.basis,
        row.at,
        row.actor_name,
        row.log_index,
    )


def _surrender(row: SurrenderRow) -> Surrender:
    return Surrender(
        row.id,
        row.organisation_id,
        row.period,
        row.allowances,
        row.offsets,
        row.obligation,
        row.offset_share,
        row.statement_id,
        tuple(json.loads(row.retirement_operations)),
        row.at,
        row.actor_name,
        row.log_index,
    )


def allocated(session: Session, organisation_id: str, period: int) -> int:
    value = session.execute(
        select(func.coalesce(func.sum(AllocationRow.quantity), 0)).where(
            AllocationRow.organisation_id == organisation_id, AllocationRow.period == period
        )
    ).scalar_one()
    return int(value)


def surrendered(session: Session, organisation_id: str, period: int) -> tuple[int, int]:
    """Allowances and offsets surrendered so far for the period."""
    row = session.execute(
        select(
            func.coalesce(func.sum(SurrenderRow.allowances), 0),
            func.coalesce(func.sum(SurrenderRow.offsets), 0),
        ).where(SurrenderRow.organisation_id == organisation_id, SurrenderRow.period == period)
    ).one()
    return int(row[0]), int(row[1])


def allocations_of(session: Session, organisation_id: str | None = None) -> list[Allocation]:
    query = select(AllocationRow).order_by(AllocationRow.log_index)
    if organisation_id is not None:
        query = query.where(AllocationRow.organisation_id == organisation_id)
    return [_allocation(r) for r in session.scalars(query)]


def surrenders_of(session: Session, organisation_id: str | None = None) -> list[Surrender]:
    query = select(SurrenderRow).order_by(SurrenderRow.log_index)
    if organisation_id is not None:
        query = query.where(SurrenderRow.organisation_id == organisation_id)
    return [_surrender(r) for r in session.scalars(query)]


def allocation(session: Session, ident: str) -> Allocation | None:
    row = session.get(AllocationRow, ident)
    return None if row is None else _allocation(row)


def surrender(session: Session, ident: str) -> Surrender | None:
    row = session.get(SurrenderRow, ident)
    return None if row is None else _surrender(row)


def entities_and_periods(session: Session) -> list[tuple[str, int]]:
    """Every (entity, period) with an allocation or a surrender, sorted."""
    pairs = {
        (r[0], int(r[1]))
        for r in session.execute(select(AllocationRow.organisation_id, AllocationRow.period))
    }
    pairs |= {
        (r[0], int(r[1])) for r in session.execute(select(SurrenderRow.organisation_id, SurrenderRow.period))
    }
    return sorted(pairs)
