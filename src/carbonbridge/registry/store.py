"""The registry's tables and repository functions. Flushes, never commits (the service does).

Serial blocks are never edited in place: a move closes the blocks it consumes (``closed_by`` = the
operation) and inserts the blocks it produces (``opened_by``), so every block ever produced stays
on record and each logged operation can be recomputed from its rows (``events.py``). The database
itself guarantees, on SQLite and PostgreSQL alike:

* ``serial_count = serial_end - serial_start + 1`` and ``serial_start >= 1`` (CHECK constraints);
* issuance ranges come from a per-project-vintage counter row advanced under its row lock; an
  issuance's range is unique per project+vintage start, and a monitoring report is issued at most
  once (UNIQUE ``report_id``);
* among the *open* blocks of a project+vintage no two share a first or a last serial (partial
  UNIQUE indexes ``WHERE closed_by IS NULL``), so a second owner of the same serial range cannot be
  written even by a faulty caller; the full no-overlap rule is kept by the block algebra and checked
  by :func:`carbonbridge.registry.service.conservation`.

Writers lock before they read: the first statement of every registry write transaction is an
``UPDATE ... SET version = version + 1`` of the rows it will change (:func:`lock`), which takes
SQLite's write lock at once (``BEGIN IMMEDIATE`` semantics under ``busy_timeout``) and a row lock on
PostgreSQL; the blocks are read after it, so two requests for the same units are serialised and the
second sees what the first left.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from carbonbridge.platform.db import Base
from carbonbridge.registry.model import (
    Account,
    AccountKind,
    MonitoringReport,
    Operation,
    OperationKind,
    Project,
    ProjectStatus,
    ReportStatus,
    SerialBlock,
    UnitState,
)


class AccountRow(Base):
    __tablename__ = "registry_accounts"
    __table_args__ = (UniqueConstraint("organisation_id", "kind", name="uq_registry_accounts_org_kind"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=0)


class ProjectRow(Base):
    __tablename__ = "registry_projects"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    methodology: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    region: Mapped[str] = mapped_column(String(10))
    standard: Mapped[str] = mapped_column(String(40))
    parameters: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=0)


class ReportRow(Base):
    __tablename__ = "registry_reports"
    __table_args__ = (
        UniqueConstraint("project_id", "period_start", name="uq_registry_reports_period"),
        CheckConstraint("period_end >= period_start", name="period_order"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("registry_projects.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    vintage: Mapped[int] = mapped_column(Integer)
    calculation: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    opinion: Mapped[str] = mapped_column(Text, default="")
    override_reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=0)


class SerialCounterRow(Base):
    """The next free serial of a project's vintage; advanced under its row lock."""

    __tablename__ = "registry_serial_counters"
    __table_args__ = (CheckConstraint("next_serial >= 1", name="next_positive"),)

    project_id: Mapped[str] = mapped_column(ForeignKey("registry_projects.id"), primary_key=True)
    vintage: Mapped[int] = mapped_column(Integer, primary_key=True)
    next_serial: Mapped[int] = mapped_column(BigInteger)


class IssuanceRow(Base):
    __tablename__ = "registry_issuances"
    __table_args__ = (
        UniqueConstraint("project_id", "vintage", "serial_start", name="uq_registry_issuances_start"),
        CheckConstraint("quantity = serial_end - serial_start + 1", name="quantity_is_range"),
        CheckConstraint("serial_start >= 1", name="start_positive"),
        CheckConstraint("buffer >= 0 AND buffer <= quantity", name="buffer_within"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: the verified report issued; ``None`` for an ex-ante issuance of planned units
    report_id: Mapped[str | None] = mapped_column(
        ForeignKey("registry_reports.id"), unique=True, nullable=True
    )
    project_id: Mapped[str] = mapped_column(ForeignKey("registry_projects.id"), index=True)
    vintage: Mapped[int] = mapped_column(Integer)
    serial_start: Mapped[int] = mapped_column(BigInteger)
    serial_end: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(BigInteger)
    buffer: Mapped[int] = mapped_column(BigInteger)


class BlockRow(Base):
    __tablename__ = "registry_blocks"
    __table_args__ = (
        CheckConstraint("serial_count = serial_end - serial_start + 1", name="count_is_range"),
        CheckConstraint("serial_start >= 1", name="start_positive"),
        Index(
            "uq_registry_blocks_open_start",
            "project_id",
            "vintage",
            "serial_start",
            unique=True,
            sqlite_where=text("closed_by IS NULL"),
            postgresql_where=text("closed_by IS NULL"),
        ),
        Index(
            "uq_registry_blocks_open_end",
            "project_id",
            "vintage",
            "serial_end",
            unique=True,
            sqlite_where=text("closed_by IS NULL"),
            postgresql_where=text("closed_by IS NULL"),
        ),
        Index("ix_registry_blocks_account_open", "account_id", "closed_by"),
        Index("ix_registry_blocks_holding", "account_id", "project_id", "vintage", "serial_start"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("registry_projects.id"))
    vintage: Mapped[int] = mapped_column(Integer)
    serial_start: Mapped[int] = mapped_column(BigInteger)
    serial_end: Mapped[int] = mapped_column(BigInteger)
    serial_count: Mapped[int] = mapped_column(BigInteger)
    account_id: Mapped[str] = mapped_column(ForeignKey("registry_accounts.id"))
    state: Mapped[str] = mapped_column(String(20))
    opened_by: Mapped[str] = mapped_column(String(40), index=True)
    closed_by: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)


class OperationRow(Base):
    __tablename__ = "registry_operations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    project_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_user: Mapped[str] = mapped_column(String(40))
    actor_name: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text)
    log_index: Mapped[int] = mapped_column(BigInteger, index=True)


def _table(row_class: type[Base]) -> Table:
    return cast(Table, row_class.__table__)


# --- locks --------------------------------------------------------------------------------------

_LOCKABLE: dict[str, type[Base]] = {"account": AccountRow, "project": ProjectRow, "report": ReportRow}


def lock(session: Session, what: str, ids: Iterable[str]) -> set[str]:
    """Bump the version of each row (sorted, so that two writers never wait on each other in a
    cycle) and return the ids that exist. Call it first in a write transaction (module docstring)."""
    table = _table(_LOCKABLE[what])
    found = set()
    for ident in sorted(set(ids)):
        result = session.execute(update(table).where(table.c.id == ident).values(version=table.c.version + 1))
        if result.rowcount:  # type: ignore[attr-defined]
            found.add(ident)
    return found


# --- accounts -----------------------------------------------------------------------------------


def _account(row: AccountRow) -> Account:
    return Account(row.id, row.organisation_id, AccountKind(row.kind))


def add_account(session: Session, account: Account) -> None:
    session.add(
        AccountRow(id=account.id, organisation_id=account.organisation_id, kind=account.kind.value, version=0)
    )
    session.flush()


def get_accounts(session: Session, ids: Iterable[str]) -> dict[str, Account]:
    rows = session.scalars(select(AccountRow).where(AccountRow.id.in_(list(set(ids)))))
    return {r.id: _account(r) for r in rows}


def accounts_of(session: Session, organisation_id: str) -> dict[AccountKind, Account]:
    rows = session.scalars(select(AccountRow).where(AccountRow.organisation_id == organisation_id))
    return {AccountKind(r.kind): _account(r) for r in rows}


# --- projects and reports -----------------------------------------------------------------------


def _project(row: ProjectRow) -> Project:
    return Project(
        row.id,
        row.code,
        row.organisation_id,
        row.name_en,
        row.name_zh,
        row.methodology,
        row.kind,
        row.region,
        row.standard,
        json.loads(row.parameters),
        ProjectStatus(row.status),
    )


def add_project(session: Session, project: Project, parameters_json: str) -> None:
    session.add(
        ProjectRow(
            id=project.id,
            code=project.code,
            organisation_id=project.organisation_id,
            name_en=project.name_en,
            name_zh=project.name_zh,
            methodology=project.methodology,
            kind=project.kind,
            region=project.region,
            standard=project.standard,
            parameters=parameters_json,
            status=project.status.value,
            version=0,
        )
    )
    session.flush()


def get_project(session: Session, project_id: str) -> Project | None:
    row = session.get(ProjectRow, project_id)
    return None if row is None else _project(row)


def project_by_code(session: Session, code: str) -> Project | None:
    row = session.scalar(select(ProjectRow).where(ProjectRow.code == code))
    return None if row is None else _project(row)


def projects_by_id(session: Session, ids: Iterable[str]) -> dict[str, Project]:
    rows = session.scalars(select(ProjectRow).where(ProjectRow.id.in_(list(set(ids)))))
    return {r.id: _project(r) for r in rows}


def raw_project(session: Session, project_id: str) -> ProjectRow | None:
    return session.get(ProjectRow, project_id)


def set_project_status(session: Session, project_id: str, status: ProjectStatus) -> None:
    session.execute(update(ProjectRow).where(ProjectRow.id == project_id).values(status=status.value))


def _report(row: ReportRow) -> MonitoringReport:
    return MonitoringReport(
        row.id,
        row.project_id,
        row.period_start,
        row.period_end,
        row.vintage,
        json.loads(row.calculation),
        ReportStatus(row.status),
        row.opinion,
        row.override_reason,
    )


def add_report(session: Session, report: MonitoringReport, calculation_json: str) -> None:
    session.add(
        ReportRow(
            id=report.id,
            project_id=report.project_id,
            period_start=report.period_start,
            period_end=report.period_end,
            vintage=report.vintage,
            calculation=calculation_json,
            status=report.status.value,
            opinion=report.opinion,
            override_reason=report.override_reason,
            version=0,
        )
    )
    session.flush()


def get_report(session: Session, report_id: str) -> MonitoringReport | None:
    row = session.get(ReportRow, report_id)
    return None if row is None else _report(row)


def raw_report(session: Session, report_id: str) -> ReportRow | None:
    return session.get(ReportRow, report_id)


def reports_of(session: Session, project_id: str) -> list[MonitoringReport]:
    rows = session.scalars(
        select(ReportRow).where(ReportRow.project_id == project_id).order_by(ReportRow.period_start)
    )
    return [_report(r) for r in rows]


def set_report(session: Session, report_id: str, **values: Any) -> None:
    session.execute(update(ReportRow).where(ReportRow.id == report_id).values(**values))


# --- serials and issuances ----------------------------------------------------------------------


def allocate_serials(session: Session, project_id: str, vintage: int, quantity: int) -> int:
    """Reserve ``quantity`` serials of the project's vintage; returns the first. The counter row's
    update holds its row lock until commit, so concurrent issuances get disjoint ranges."""
    table = _table(SerialCounterRow)
    updated = session.execute(
        update(table)
        .where(table.c.project_id == project_id, table.c.vintage == vintage)
        .values(next_serial=table.c.next_serial + quantity)
        .returning(table.c.next_serial)
    ).scalar()
    if updated is None:
        session.execute(
            insert(table).values(project_id=project_id, vintage=vintage, next_serial=1 + quantity)
        )
        return 1
    return int(updated) - quantity


def add_issuance(session: Session, row: IssuanceRow) -> None:
    session.add(row)
    session.flush()


def issuances_of(session: Session, project_id: str) -> list[IssuanceRow]:
    return list(
        session.scalars(
            select(IssuanceRow)
            .where(IssuanceRow.project_id == project_id)
            .order_by(IssuanceRow.vintage, IssuanceRow.serial_start)
        )
    )


def issuance_for(session: Session, issuance_id: str) -> IssuanceRow | None:
    return session.get(IssuanceRow, issuance_id)


def issued_totals(session: Session, project_id: str | None = None) -> dict[tuple[str, int], int]:
    query = select(IssuanceRow.project_id, IssuanceRow.vintage, IssuanceRow.quantity)
    if project_id is not None:
        query = query.where(IssuanceRow.project_id == project_id)
    totals: dict[tuple[str, int], int] = {}
    for p, v, q in session.execute(query):
        totals[(p, v)] = totals.get((p, v), 0) + int(q)
    return totals


# --- blocks -------------------------------------------------------------------------------------

_B = _table(BlockRow)
_BLOCK_COLUMNS = (
    _B.c.id,
    _B.c.project_id,
    _B.c.vintage,
    _B.c.serial_start,
    _B.c.serial_end,
    _B.c.account_id,
    _B.c.state,
)


def _block(row: Sequence[Any]) -> SerialBlock:
    return SerialBlock(row[0], row[1], int(row[2]), int(row[3]), int(row[4]), row[5], UnitState(row[6]))


def open_blocks(
    session: Session,
    *,
    account_ids: Iterable[str] | None = None,
    project_id: str | None = None,
    vintage: int | None = None,
    serials: tuple[int, int] | None = None,
) -> list[SerialBlock]:
    """Open (current) blocks, filtered by account, project, vintage and overlap with a serial
    range, by serial."""
    query = select(*_BLOCK_COLUMNS).where(_B.c.closed_by.is_(None))
    if account_ids is not None:
        query = query.where(_B.c.account_id.in_(list(set(account_ids))))
    if project_id is not None:
        query = query.where(_B.c.project_id == project_id)
    if vintage is not None:
        query = query.where(_B.c.vintage == vintage)
    if serials is not None:
        query = query.where(_B.c.serial_end >= serials[0], _B.c.serial_start <= serials[1])
    query = query.order_by(_B.c.project_id, _B.c.vintage, _B.c.serial_start)
    return [_block(r) for r in session.execute(query)]


def open_blocks_after(
    session: Session,
    account_id: str,
    project_id: str,
    vintage: int,
    after: int,
    *,
    limit: int | None = None,
    upto: int | None = None,
) -> list[SerialBlock]:
    """Open blocks of one account, project and vintage starting above serial ``after`` (and at
    or below ``upto``), in serial order, at most ``limit``."""
    query = (
        select(*_BLOCK_COLUMNS)
        .where(
            _B.c.closed_by.is_(None),
            _B.c.account_id == account_id,
            _B.c.project_id == project_id,
            _B.c.vintage == vintage,
            _B.c.serial_start > after,
        )
        .order_by(_B.c.serial_start)
    )
    if upto is not None:
        query = query.where(_B.c.serial_start <= upto)
    if limit is not None:
        query = query.limit(limit)
    return [_block(r) for r in session.execute(query)]


def _executemany(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """``INSERT INTO table (columns) VALUES (...)`` for many rows through the driver's
    ``executemany``, the columns' bind processors applied once per value: the batch path's hot
    loop, without building a parameter dict per row."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    processors = [table.c[name].type.bind_processor(dialect) for name in columns]
    if any(processors):
        rows = [tuple(v if p is None else p(v) for p, v in zip(processors, row, strict=True)) for row in rows]
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    session.connection().exec_driver_sql(sql, list(rows))


_BLOCK_INSERT = (
    "id",
    "project_id",
    "vintage",
    "serial_start",
    "serial_end",
    "serial_count",
    "account_id",
    "state",
    "opened_by",
    "closed_by",
)


def add_blocks(session: Session, blocks: Sequence[tuple[SerialBlock, str, str | None]]) -> None:
    """Insert ``(block, opened_by, closed_by)`` rows in one executemany."""
    _executemany(
        session,
        _B,
        _BLOCK_INSERT,
        [
            (
                b.id,
                b.project_id,
                b.vintage,
                b.start,
                b.end,
                b.end - b.start + 1,
                b.account_id,
                b.state.value,
                o,
                c,
            )
            for b, o, c in blocks
        ],
    )


def close_blocks(session: Session, closing: Sequence[tuple[str, str]]) -> None:
    """Mark ``(block_id, operation_id)`` blocks consumed, in one executemany; a block already
    closed is a bug in the caller's locking and raises."""
    if not closing:
        return
    mark = "?" if session.get_bind().dialect.paramstyle == "qmark" else "%s"
    result = session.connection().exec_driver_sql(
        f"UPDATE registry_blocks SET closed_by = {mark} WHERE id = {mark} AND closed_by IS NULL",
        [(op, b) for b, op in closing],
    )
    if result.rowcount != len(closing):
        raise RuntimeError("a consumed block was already closed: the caller did not hold the lock")


def blocks_of_operations(
    session: Session, operation_ids: Sequence[str]
) -> tuple[dict[str, list[SerialBlock]], dict[str, list[str]]]:
    """The blocks each operation produced, and the ids of the blocks it consumed."""
    produced: dict[str, list[SerialBlock]] = {}
    consumed: dict[str, list[str]] = {}
    ids = list(set(operation_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in session.execute(select(*_BLOCK_COLUMNS, _B.c.opened_by).where(_B.c.opened_by.in_(chunk))):
            produced.setdefault(row[7], []).append(_block(row))
        for b_id, op in session.execute(select(_B.c.id, _B.c.closed_by).where(_B.c.closed_by.in_(chunk))):
            consumed.setdefault(op, []).append(b_id)
    return produced, consumed


# --- operations ---------------------------------------------------------------------------------

_O = _table(OperationRow)


_OPERATION_INSERT = ("id", "kind", "project_id", "at", "actor_user", "actor_name", "details", "log_index")


def add_operations(session: Session, operations: Sequence[Operation], actor_user: str) -> None:
    _executemany(
        session,
        _O,
        _OPERATION_INSERT,
        [
            (
                o.id,
                o.kind.value,
                o.project_id,
                o.at,
                actor_user,
                o.actor,
                json.dumps(o.details, sort_keys=True, ensure_ascii=False),
                o.log_index,
            )
            for o in operations
        ],
    )


def _operation(row: Sequence[Any]) -> Operation:
    return Operation(row[0], OperationKind(row[1]), row[2], row[3], row[4], json.loads(row[5]), int(row[6]))


_OP_COLUMNS = (_O.c.id, _O.c.kind, _O.c.project_id, _O.c.at, _O.c.actor_name, _O.c.details, _O.c.log_index)


def operations_by_id(session: Session, ids: Sequence[str]) -> dict[str, Operation]:
    found: dict[str, Operation] = {}
    unique = list(set(ids))
    for start in range(0, len(unique), 500):
        for row in session.execute(select(*_OP_COLUMNS).where(_O.c.id.in_(unique[start : start + 500]))):
            found[row[0]] = _operation(row)
    return found


def operations_of_project(session: Session, project_id: str) -> list[Operation]:
    rows = session.execute(
        select(*_OP_COLUMNS).where(_O.c.project_id == project_id).order_by(_O.c.log_index, _O.c.id)
    )
    return [_operation(r) for r in rows]
