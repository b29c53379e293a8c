"""The registry's tables and repository functions. Flushes, never commits (the service does). The
tables live in ``store_tables.py`` and the serial-block and operation functions in
``store_units.py``; both are re-exported here.

Serial blocks are never edited in place: a move closes the blocks it consumes (``closed_by`` = the
operation) and inserts the blocks it produces (``opened_by``), so every block ever produced stays
on record and each logged operation can be recomputed from its rows (``events.py``). The database
itself guarantees, on SQLite and PostgreSQL alike:

* ``serial_count = serial_end - serial_start + 1`` and ``serial_start >= 1`` (CHECK constraints);
* issuance ranges come from a per-project-vintage counter row advanced under its row lock; an
  issuance's non-empty range is unique per project+vintage start (partial UNIQUE index ``WHERE
  quantity > 0``: an issuance that only converted planned units has the empty range at the
  counter's next serial), ``converted >= 0`` and ``quantity + converted >= 1``, and a monitoring
  report is issued at most once (UNIQUE ``report_id``);
* among the *open* blocks of a project+vintage no two share a first or a last serial (partial
  UNIQUE indexes ``WHERE closed_by IS NULL``), so a second owner of the same serial range cannot be
  written even by a faulty caller; the full no-overlap rule is kept by the block algebra and checked
  by :func:`carbonbridge.registry.reads.conservation`.

Writers lock before they read: the first statement of every registry write transaction is an
``UPDATE ... SET version = version + 1`` of the rows it will change (:func:`lock`), which takes
SQLite's write lock at once (``BEGIN IMMEDIATE`` semantics under ``busy_timeout``) and a row lock on
PostgreSQL; the blocks are read after it, so two requests for the same units are serialised and the
second sees what the first left.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from carbonbridge.platform.db import Base
from carbonbridge.registry.model import (
    Account,
    AccountKind,
    Issuance,
    MonitoringReport,
    Project,
    ProjectStatus,
    ReportStatus,
)
from carbonbridge.registry.store_tables import AccountRow as AccountRow
from carbonbridge.registry.store_tables import BlockRow as BlockRow
from carbonbridge.registry.store_tables import IssuanceRow as IssuanceRow
from carbonbridge.registry.store_tables import OperationRow as OperationRow
from carbonbridge.registry.store_tables import ProjectRow as ProjectRow
from carbonbridge.registry.store_tables import ReportRow as ReportRow
from carbonbridge.registry.store_tables import SerialCounterRow as SerialCounterRow
from carbonbridge.registry.store_tables import _table
from carbonbridge.registry.store_units import add_blocks as add_blocks
from carbonbridge.registry.store_units import add_operations as add_operations
from carbonbridge.registry.store_units import blocks_of_operations as blocks_of_operations
from carbonbridge.registry.store_units import close_blocks as close_blocks
from carbonbridge.registry.store_units import count_operations as count_operations
from carbonbridge.registry.store_units import latest_operation_ids as latest_operation_ids
from carbonbridge.registry.store_units import open_blocks as open_blocks
from carbonbridge.registry.store_units import open_blocks_after as open_blocks_after
from carbonbridge.registry.store_units import open_blocks_in_range as open_blocks_in_range
from carbonbridge.registry.store_units import open_blocks_in_state as open_blocks_in_state
from carbonbridge.registry.store_units import operations_by_id as operations_by_id
from carbonbridge.registry.store_units import operations_of_project as operations_of_project

# --- locks --------------------------------------------------------------------------------------

_LOCKABLE: dict[str, type[Base]] = {"account": AccountRow, "project": ProjectRow, "report": ReportRow}
#: the lock statements, built once (a statement built per call costs SQLAlchemy a cache key each time)
_LOCKS = {
    what: update(_table(row))
    .where(_table(row).c.id == bindparam("ident"))
    .values(version=_table(row).c.version + 1)
    for what, row in _LOCKABLE.items()
}


def lock(session: Session, what: str, ids: Iterable[str]) -> set[str]:
    """Bump the version of each row (sorted, so that two writers never wait on each other in a
    cycle) and return the ids that exist. Call it first in a write transaction (module docstring)."""
    statement = _LOCKS[what]
    connection = session.connection()
    found = set()
    for ident in sorted(set(ids)):
        if connection.execute(statement, {"ident": ident}).rowcount:
            found.add(ident)
    return found


def lock_holding(session: Session, organisation_id: str) -> bool:
    """Bump the version of the entity's registry holding account row, the first statement of
    every allowance write (this module's lock-before-read rule: it serialises the entity's
    surrenders, which read holdings afterwards). False if the entity has no registry accounts."""
    result = session.execute(
        update(AccountRow)
        .where(AccountRow.organisation_id == organisation_id, AccountRow.kind == "holding")
        .values(version=AccountRow.version + 1)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- accounts -----------------------------------------------------------------------------------


def _account(row: AccountRow) -> Account:
    return Account(row.id, row.organisation_id, AccountKind(row.kind))


def add_account(session: Session, account: Account) -> None:
    session.add(
        AccountRow(id=account.id, organisation_id=account.organisation_id, kind=account.kind.value, version=0)
    )
    session.flush()


_A = _table(AccountRow)
_ACCOUNTS_BY_ID = select(_A.c.id, _A.c.organisation_id, _A.c.kind).where(
    _A.c.id.in_(bindparam("ids", expanding=True))
)
_ACCOUNTS_OF = select(_A.c.id, _A.c.organisation_id, _A.c.kind).where(
    _A.c.organisation_id == bindparam("organisation_id")
)


def get_accounts(session: Session, ids: Iterable[str]) -> dict[str, Account]:
    rows = session.connection().execute(_ACCOUNTS_BY_ID, {"ids": sorted(set(ids))})
    return {r[0]: Account(r[0], r[1], AccountKind(r[2])) for r in rows}


def accounts_of(session: Session, organisation_id: str) -> dict[AccountKind, Account]:
    rows = session.connection().execute(_ACCOUNTS_OF, {"organisation_id": organisation_id})
    return {AccountKind(r[2]): Account(r[0], r[1], AccountKind(r[2])) for r in rows}


# --- projects and reports -----------------------------------------------------------------------


def _project(row: Any) -> Project:
    """A stored project, from its ORM row or a Core row of the same columns."""
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


_P = _table(ProjectRow)
_PROJECTS_BY_ID = select(
    _P.c.id,
    _P.c.code,
    _P.c.organisation_id,
    _P.c.name_en,
    _P.c.name_zh,
    _P.c.methodology,
    _P.c.kind,
    _P.c.region,
    _P.c.standard,
    _P.c.parameters,
    _P.c.status,
).where(_P.c.id.in_(bindparam("ids", expanding=True)))


def project_ids(session: Session) -> list[str]:
    """Every project of the registry, in code order."""
    return list(session.scalars(select(ProjectRow.id).order_by(ProjectRow.code)))


def projects_by_id(session: Session, ids: Iterable[str]) -> dict[str, Project]:
    rows = session.connection().execute(_PROJECTS_BY_ID, {"ids": sorted(set(ids))})
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


def next_serial(session: Session, project_id: str, vintage: int) -> int:
    """The first serial the project's vintage has not issued yet (1 if it has issued none),
    without reserving it: the empty range of an issuance that only converted planned units."""
    table = _table(SerialCounterRow)
    found = session.execute(
        select(table.c.next_serial).where(table.c.project_id == project_id, table.c.vintage == vintage)
    ).scalar()
    return 1 if found is None else int(found)


def _issuance(row: IssuanceRow) -> Issuance:
    return Issuance(
        row.id,
        row.report_id,
        row.project_id,
        row.vintage,
        row.serial_start,
        row.serial_end,
        row.quantity,
        row.buffer,
        row.converted,
    )


def add_issuance(session: Session, issuance: Issuance) -> None:
    session.add(IssuanceRow(**dataclasses.asdict(issuance)))
    session.flush()


def issuances_of(session: Session, project_id: str) -> list[Issuance]:
    return list(
        map(
            _issuance,
            session.scalars(
                select(IssuanceRow)
                .where(IssuanceRow.project_id == project_id)
                # an issuance that only converted (empty range) comes before one starting at its serial
                .order_by(IssuanceRow.vintage, IssuanceRow.serial_start, IssuanceRow.quantity)
            ),
        )
    )


def issuance_for(session: Session, issuance_id: str) -> Issuance | None:
    row = session.get(IssuanceRow, issuance_id)
    return None if row is None else _issuance(row)


def issued_totals(session: Session, project_id: str | None = None) -> dict[tuple[str, int], int]:
    query = select(IssuanceRow.project_id, IssuanceRow.vintage, IssuanceRow.quantity)
    if project_id is not None:
        query = query.where(IssuanceRow.project_id == project_id)
    totals: dict[tuple[str, int], int] = {}
    for p, v, q in session.execute(query):
        totals[(p, v)] = totals.get((p, v), 0) + int(q)
    return totals
