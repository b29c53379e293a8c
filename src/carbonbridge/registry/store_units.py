"""Repository functions for the registry's units: serial blocks (read open, insert, close) and the
operations that move them. Flushes, never commits (the service does). Split out of ``store.py``,
which re-exports every public name here; the rules they keep are described there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from carbonbridge.registry.model import Operation, OperationKind, SerialBlock, UnitState
from carbonbridge.registry.store_tables import BlockRow, OperationRow, _table

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
    state: UnitState | None = None,
) -> list[SerialBlock]:
    """Open (current) blocks, filtered by account, project, vintage, overlap with a serial range
    and state, by serial."""
    query = select(*_BLOCK_COLUMNS).where(_B.c.closed_by.is_(None))
    if account_ids is not None:
        query = query.where(_B.c.account_id.in_(list(set(account_ids))))
    if project_id is not None:
        query = query.where(_B.c.project_id == project_id)
    if vintage is not None:
        query = query.where(_B.c.vintage == vintage)
    if serials is not None:
        query = query.where(_B.c.serial_end >= serials[0], _B.c.serial_start <= serials[1])
    if state is not None:
        query = query.where(_B.c.state == state.value)
    query = query.order_by(_B.c.project_id, _B.c.vintage, _B.c.serial_start)
    return [_block(r) for r in session.execute(query)]


def open_blocks_in_range(
    session: Session, project_id: str, vintage: int, start: int, end: int, limit: int
) -> list[tuple[SerialBlock, str]]:
    """The open blocks of a project and vintage overlapping serials ``start..end``, by first
    serial, at most ``limit``, each with the id of the operation that opened it (one bounded read:
    a fragmented range may hold thousands of blocks)."""
    rows = session.execute(
        select(*_BLOCK_COLUMNS, _B.c.opened_by)
        .where(
            _B.c.closed_by.is_(None),
            _B.c.project_id == project_id,
            _B.c.vintage == vintage,
            _B.c.serial_end >= start,
            _B.c.serial_start <= end,
        )
        .order_by(_B.c.serial_start)
        .limit(limit)
    ).all()
    return [(_block(r), str(r[7])) for r in rows]


def open_blocks_in_state(session: Session, state: UnitState) -> list[tuple[SerialBlock, str]]:
    """Every open block in ``state`` (by project, vintage, first serial), each with the id of the
    operation that opened it."""
    rows = session.execute(
        select(*_BLOCK_COLUMNS, _B.c.opened_by)
        .where(_B.c.closed_by.is_(None), _B.c.state == state.value)
        .order_by(_B.c.project_id, _B.c.vintage, _B.c.serial_start)
    ).all()
    return [(_block(r), str(r[7])) for r in rows]


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


#: the columns' bind processors by dialect class, table and columns
_PROCESSORS: dict[tuple[type, str, tuple[str, ...]], list[Any]] = {}


def _executemany(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """``INSERT INTO table (columns) VALUES (...)`` for many rows through the driver's
    ``executemany``, the columns' bind processors applied once per value: the batch path's hot
    loop, without building a parameter dict per row."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    key = (type(dialect), table.name, tuple(columns))
    processors = _PROCESSORS.get(key)
    if processors is None:  # a type's bind processor adapts it to the dialect: once per column
        processors = _PROCESSORS[key] = [table.c[name].type.bind_processor(dialect) for name in columns]
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


def latest_operation_ids(session: Session, kind: OperationKind, limit: int) -> list[str]:
    """The ids of the latest ``limit`` operations of a kind, newest (highest log index) first."""
    return list(
        session.scalars(
            select(_O.c.id).where(_O.c.kind == kind.value).order_by(_O.c.log_index.desc()).limit(limit)
        )
    )


def count_operations(session: Session, kind: OperationKind) -> int:
    return int(session.scalar(select(func.count()).select_from(_O).where(_O.c.kind == kind.value)) or 0)
