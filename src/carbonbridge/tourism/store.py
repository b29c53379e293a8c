"""The tourism tables and their repository: bills, the compensation pool, its retirements and the
allocations of their grams to bills. Flushes, never commits (the service owns the transaction).

Guarantees the database itself keeps: an allocation is positive; a retirement's allocated grams
stay between 0 and its tonnes × 1,000,000; a bill has at most one compensation (its status), and a
pool retirement is recorded once per registry operation. Writers that allocate first take the
pool row's lock (:func:`lock_pool`, an ``UPDATE`` of its version: SQLite's write lock, a
PostgreSQL row lock), so concurrent compensations from one pool run one after the other.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import cast

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from carbonbridge.platform.db import Base
from carbonbridge.platform.types import UtcDateTime
from carbonbridge.tourism.model import (
    Allocation,
    BillStatus,
    Pool,
    PoolRetirement,
    StoredBill,
)


class BillRow(Base):
    __tablename__ = "tourism_bills"
    __table_args__ = (
        CheckConstraint("grams >= 0", name="grams_not_negative"),
        CheckConstraint("end_date >= start_date", name="date_order"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    reference: Mapped[str] = mapped_column(String(80), index=True)
    region: Mapped[str] = mapped_column(String(10))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    visitor: Mapped[str] = mapped_column(String(120), default="")
    grams: Mapped[int] = mapped_column(BigInteger)
    lines: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    log_index: Mapped[int] = mapped_column(BigInteger)
    pool_id: Mapped[str | None] = mapped_column(ForeignKey("tourism_pools.id"), nullable=True)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    payment_reference: Mapped[str] = mapped_column(String(120), default="")
    compensated_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class PoolRow(Base):
    __tablename__ = "tourism_pools"
    __table_args__ = (CheckConstraint("fen_per_tonne > 0", name="price_positive"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[str] = mapped_column(String(40))
    organisation_id: Mapped[str] = mapped_column(String(40))
    fen_per_tonne: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer, default=0)


class PoolRetirementRow(Base):
    __tablename__ = "tourism_pool_retirements"
    __table_args__ = (
        CheckConstraint("tonnes > 0", name="tonnes_positive"),
        CheckConstraint(
            "allocated_grams >= 0 AND allocated_grams <= tonnes * 1000000", name="allocated_within_retired"
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    pool_id: Mapped[str] = mapped_column(ForeignKey("tourism_pools.id"), index=True)
    operation_id: Mapped[str] = mapped_column(String(40), unique=True)
    project_id: Mapped[str] = mapped_column(String(40))
    vintage: Mapped[int] = mapped_column(Integer)
    tonnes: Mapped[int] = mapped_column(BigInteger)
    serials: Mapped[str] = mapped_column(Text)
    allocated_grams: Mapped[int] = mapped_column(BigInteger, default=0)
    log_index: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class AllocationRow(Base):
    __tablename__ = "tourism_allocations"
    __table_args__ = (CheckConstraint("grams > 0", name="grams_positive"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    bill_id: Mapped[str] = mapped_column(ForeignKey("tourism_bills.id"), index=True)
    retirement_id: Mapped[str] = mapped_column(ForeignKey("tourism_pool_retirements.id"), index=True)
    grams: Mapped[int] = mapped_column(BigInteger)
    log_index: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


def _table(row: type[Base]) -> Table:
    return cast(Table, row.__table__)


# --- bills --------------------------------------------------------------------------------------


def add_bill(session: Session, bill: StoredBill, visitor: str) -> None:
    session.add(
        BillRow(
            id=bill.id,
            reference=bill.reference,
            region=bill.region,
            start_date=bill.start,
            end_date=bill.end,
            visitor=visitor,
            grams=bill.grams,
            lines=json.dumps(list(bill.lines), ensure_ascii=False, sort_keys=True),
            status=bill.status.value,
            created_at=bill.created_at,
            log_index=bill.log_index,
            payment_reference="",
            version=0,
        )
    )


def _bill(row: BillRow, allocations: tuple[Allocation, ...] = ()) -> StoredBill:
    return StoredBill(
        row.id,
        row.reference,
        row.region,
        row.start_date,
        row.end_date,
        row.grams,
        tuple(json.loads(row.lines)),
        BillStatus(row.status),
        row.created_at,
        row.log_index,
        row.amount_fen,
        row.payment_reference,
        row.compensated_at,
        allocations,
    )


def get_bill(session: Session, bill_id: str) -> StoredBill | None:
    row = session.get(BillRow, bill_id)
    if row is None:
        return None
    return _bill(row, tuple(allocations_of(session, bill_id)))


def lock_bill(session: Session, bill_id: str) -> bool:
    table = _table(BillRow)
    statement = update(table).where(table.c.id == bill_id).values(version=table.c.version + 1)
    return bool(session.connection().execute(statement).rowcount)


def set_compensated(
    session: Session, bill_id: str, pool_id: str, amount_fen: int, payment_reference: str, at: datetime
) -> None:
    table = _table(BillRow)
    session.connection().execute(
        update(table)
        .where(table.c.id == bill_id)
        .values(
            status=BillStatus.COMPENSATED.value,
            pool_id=pool_id,
            amount_fen=amount_fen,
            payment_reference=payment_reference,
            compensated_at=at,
        )
    )


# --- pool ---------------------------------------------------------------------------------------


def add_pool(session: Session, pool: Pool) -> None:
    session.add(
        PoolRow(
            id=pool.id,
            name=pool.name,
            account_id=pool.account_id,
            organisation_id=pool.organisation_id,
            fen_per_tonne=pool.fen_per_tonne,
            version=0,
        )
    )
    session.flush()


def get_pool(session: Session, pool_id: str) -> Pool | None:
    row = session.get(PoolRow, pool_id)
    if row is None:
        return None
    return Pool(row.id, row.name, row.account_id, row.organisation_id, row.fen_per_tonne)


def lock_pool(session: Session, pool_id: str) -> bool:
    table = _table(PoolRow)
    statement = update(table).where(table.c.id == pool_id).values(version=table.c.version + 1)
    return bool(session.connection().execute(statement).rowcount)


def _retirement(row: PoolRetirementRow) -> PoolRetirement:
    return PoolRetirement(
        row.id,
        row.pool_id,
        row.operation_id,
        row.project_id,
        row.vintage,
        row.tonnes,
        tuple(json.loads(row.serials)),
        row.allocated_grams,
        row.log_index,
    )


def retirement_by_operation(session: Session, operation_id: str) -> PoolRetirement | None:
    row = session.scalars(
        select(PoolRetirementRow).where(PoolRetirementRow.operation_id == operation_id)
    ).first()
    return None if row is None else _retirement(row)


def retirement(session: Session, retirement_id: str) -> PoolRetirement | None:
    row = session.get(PoolRetirementRow, retirement_id)
    return None if row is None else _retirement(row)


def add_retirement(session: Session, retirement: PoolRetirement, at: datetime) -> None:
    session.add(
        PoolRetirementRow(
            id=retirement.id,
            pool_id=retirement.pool_id,
            operation_id=retirement.operation_id,
            project_id=retirement.project_id,
            vintage=retirement.vintage,
            tonnes=retirement.tonnes,
            serials=json.dumps(list(retirement.serials)),
            allocated_grams=0,
            log_index=retirement.log_index,
            at=at,
        )
    )
    session.flush()


def retirements(session: Session, pool_id: str, *, open_only: bool = False) -> list[PoolRetirement]:
    """The pool's retirements, oldest first (by log index, then id)."""
    query = select(PoolRetirementRow).where(PoolRetirementRow.pool_id == pool_id)
    if open_only:
        query = query.where(PoolRetirementRow.allocated_grams < PoolRetirementRow.tonnes * 1_000_000)
    query = query.order_by(PoolRetirementRow.log_index, PoolRetirementRow.id)
    return [_retirement(r) for r in session.scalars(query)]


def add_allocations(session: Session, allocations: Sequence[Allocation], at: datetime) -> None:
    r_table = _table(PoolRetirementRow)
    for a in allocations:
        session.add(
            AllocationRow(
                id=a.id,
                bill_id=a.bill_id,
                retirement_id=a.retirement_id,
                grams=a.grams,
                log_index=a.log_index,
                at=at,
            )
        )
        session.connection().execute(
            update(r_table)
            .where(r_table.c.id == a.retirement_id)
            .values(allocated_grams=r_table.c.allocated_grams + a.grams)
        )
    session.flush()


def allocations_of(session: Session, bill_id: str) -> list[Allocation]:
    rows = session.execute(
        select(AllocationRow, PoolRetirementRow)
        .join(PoolRetirementRow, AllocationRow.retirement_id == PoolRetirementRow.id)
        .where(AllocationRow.bill_id == bill_id)
        .order_by(AllocationRow.log_index)
    )
    return [
        Allocation(
            a.id, a.bill_id, a.retirement_id, a.grams, r.project_id, tuple(json.loads(r.serials)), a.log_index
        )
        for a, r in rows
    ]


def allocated_total(session: Session, pool_id: str) -> tuple[int, int]:
    """(sum of allocation grams, sum of retired grams) of a pool: the conservation check."""
    allocated = session.scalar(
        select(func.coalesce(func.sum(AllocationRow.grams), 0))
        .join(PoolRetirementRow, AllocationRow.retirement_id == PoolRetirementRow.id)
        .where(PoolRetirementRow.pool_id == pool_id)
    )
    retired = session.scalar(
        select(func.coalesce(func.sum(PoolRetirementRow.tonnes), 0)).where(
            PoolRetirementRow.pool_id == pool_id
        )
    )
    return int(allocated or 0), int(retired or 0) * 1_000_000


# --- the destination's dashboard ----------------------------------------------------------------


def bills_of_region(session: Session, region: str) -> list[StoredBill]:
    """Every bill of ``region`` (without allocations), oldest trip first."""
    query = select(BillRow).where(BillRow.region == region).order_by(BillRow.start_date, BillRow.id)
    return [_bill(row) for row in session.scalars(query)]


def all_retirements(session: Session) -> list[PoolRetirement]:
    """Every pool's retirements (one installation serves one region)."""
    query = select(PoolRetirementRow).order_by(PoolRetirementRow.log_index, PoolRetirementRow.id)
    return [_retirement(r) for r in session.scalars(query)]
