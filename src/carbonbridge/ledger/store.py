"""Storage of the transparency log: entries, stored hashes (Go tlog layout), signed checkpoints,
witness cosignatures, private-payload commitments and the one-row log state.

The log is append-only: nothing here updates or deletes a row except :class:`LogStateRow`'s tree
size. Appends are serialised by :func:`lock_log_state`, which takes the database's write lock (row
lock on PostgreSQL, the database write lock on SQLite) as its first statement, so two appenders
never see the same tree size. Functions flush, never commit.
"""

from __future__ import annotations

import functools
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from carbonbridge.ledger.errors import HashStoreError
from carbonbridge.ledger.model import StoredHashIndex
from carbonbridge.platform.db import Base
from carbonbridge.platform.types import UtcDateTime

_STATE_ID = 1


class LogEntryRow(Base):
    """One log entry (the leaf data, RFC 9162 §2.1.1 "D[n]"), by zero-based index."""

    __tablename__ = "ledger_entries"

    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entry: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    kind: Mapped[str] = mapped_column(String(80), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class StoredHashRow(Base):
    """One stored hash at its dense storage index (``merkle.stored_hash_index``)."""

    __tablename__ = "ledger_hashes"

    storage_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class CheckpointRow(Base):
    """The log's signed checkpoint note (c2sp.org/tlog-checkpoint) for one tree size."""

    __tablename__ = "ledger_checkpoints"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CosignatureRow(Base):
    """A witness cosignature (c2sp.org/tlog-cosignature) of one checkpoint, as its signature line."""

    __tablename__ = "ledger_cosignatures"

    tree_size: Mapped[int] = mapped_column(
        ForeignKey("ledger_checkpoints.tree_size", ondelete="CASCADE"), primary_key=True
    )
    witness: Mapped[str] = mapped_column(String(200), primary_key=True)
    witness_key: Mapped[str] = mapped_column(Text)
    signature_line: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CommitmentRow(Base):
    """The salt and private payload behind a private entry's commitment (never published)."""

    __tablename__ = "ledger_commitments"

    entry_index: Mapped[int] = mapped_column(
        ForeignKey("ledger_entries.index", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    salt: Mapped[bytes] = mapped_column(LargeBinary(32))
    payload: Mapped[bytes] = mapped_column(LargeBinary)


class LogStateRow(Base):
    """The single row holding the current tree size and the log's verifier key; its lock
    serialises appends.

    ``verifier_key`` is the c2sp.org/signed-note verifier key (origin, key ID, public key) of the
    key that signs the log's checkpoints, recorded when the log is initialised (``carbonbridge
    migrate`` on an empty log, ``carbonbridge ledger init``) or its key rotated; ``None`` until
    then. Every append reads it with the tree size, under the lock, and refuses to sign with any
    other key."""

    __tablename__ = "ledger_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tree_size: Mapped[int] = mapped_column(BigInteger)
    verifier_key: Mapped[str | None] = mapped_column(Text)


class WitnessRow(Base):
    """A witness the log pushes its checkpoints to (c2sp.org/tlog-witness): its key name, its
    cosignature/v1 verifier key, its submission prefix and the tree size it last cosigned."""

    __tablename__ = "ledger_witnesses"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    verifier_key: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    cosigned_size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


@dataclass(frozen=True)
class StoredEntry:
    index: int
    entry: bytes
    leaf_hash: bytes
    kind: str
    created_at: datetime


class LogState(NamedTuple):
    """The log state row: the tree size and the recorded verifier key (``None``: not recorded)."""

    tree_size: int
    verifier_key: str | None


def lock_log_state(session: Session) -> LogState:
    """Take the append lock and return the current tree size and recorded verifier key.

    The first statement is a write (an ``INSERT ... ON CONFLICT DO NOTHING`` of the state row), so
    that SQLite takes its write lock at once (waiting under ``busy_timeout``) instead of failing
    with "database is locked" when a read transaction upgrades; PostgreSQL then locks the row with
    ``SELECT ... FOR UPDATE`` until the transaction ends.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_PG_ENSURE_STATE)
        row = connection.execute(_LOCKED_STATE).first()
    else:
        connection.execute(_SQLITE_ENSURE_STATE)
        row = connection.execute(_STATE).first()
    if row is None:  # pragma: no cover - the row was inserted above
        raise HashStoreError("ledger state row is missing")
    return LogState(int(row[0]), row[1])


def recorded_verifier_key(session: Session) -> str | None:
    """The log's recorded verifier key, read without the append lock (``None``: not recorded)."""
    return session.connection().execute(_STATE_KEY).scalar()


def set_verifier_key(session: Session, verifier_key: str) -> None:
    """Record the log's verifier key; the caller holds the append lock (:func:`lock_log_state`)."""
    if session.connection().execute(_SET_KEY, {"key": verifier_key}).rowcount != 1:
        raise HashStoreError("ledger state row is missing")  # pragma: no cover - lock_log_state inserts it


def tree_size(session: Session) -> int:
    """The committed tree size (0 for a new log)."""
    return session.connection().execute(_TREE_SIZE).scalar() or 0


def set_tree_size(session: Session, size: int) -> None:
    if session.connection().execute(_SET_TREE_SIZE, {"size": size}).rowcount != 1:
        raise HashStoreError("ledger state row is missing")  # pragma: no cover - lock_log_state inserts it


def add_entry_rows(
    session: Session, rows: Sequence[tuple[int, bytes, bytes, str]], created_at: datetime
) -> None:
    """Insert entries ``(index, entry, leaf hash, kind)`` made at ``created_at`` (:func:`_executemany`)."""
    if not rows:
        return
    connection = session.connection()
    process = _ENTRY_CREATED_AT.type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
    at = process(created_at) if process is not None else created_at
    _executemany(
        session,
        LogEntryRow.__tablename__,
        ("index", "entry", "leaf_hash", "kind", "created_at"),
        [(*row, at) for row in rows],
    )


def add_hashes(session: Session, first: StoredHashIndex, hashes: Sequence[bytes]) -> None:
    """Insert stored hashes at storage indexes ``first``, ``first + 1``, ..."""
    rows = list(zip(range(first, first + len(hashes)), hashes, strict=True))
    if rows:
        _executemany(session, StoredHashRow.__tablename__, ("storage_index", "hash"), rows)


_ENTRY_CREATED_AT = LogEntryRow.__table__.c.created_at

#: DB-API placeholders by paramstyle (PEP 249); psycopg and sqlite3 take the positional ones
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


@functools.cache
def _insert_sql(paramstyle: str, table: str, columns: tuple[str, ...]) -> str:
    """``INSERT`` with ANSI-quoted names (``index`` is a keyword), for SQLite and PostgreSQL."""
    mark = _PLACEHOLDERS[paramstyle]
    names = ", ".join(f'"{c}"' for c in columns)
    return f'INSERT INTO "{table}" ({names}) VALUES ({", ".join(mark for _ in columns)})'


def _executemany(
    session: Session, table: str, columns: tuple[str, ...], rows: Sequence[tuple[object, ...]]
) -> None:
    """``executemany`` on the raw DB-API cursor of the session's connection: the same
    transaction as everything else the caller does in ``session``, without SQLAlchemy's per-row
    parameter processing (a quarter of an append's time). Values must already be in the
    driver's form (bytes, int, str; ``created_at`` through the column type's bind processor)."""
    connection = session.connection()
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(_insert_sql(connection.dialect.paramstyle, table, columns), rows)
    finally:
        cursor.close()


def add_commitment(session: Session, index: int, salt: bytes, payload: bytes) -> None:
    session.execute(insert(CommitmentRow), [{"entry_index": index, "salt": salt, "payload": payload}])


def add_checkpoint(session: Session, size: int, note: str, at: datetime) -> None:
    session.connection().execute(_ADD_CHECKPOINT, {"tree_size": size, "note": note, "created_at": at})


#: one statement for every read (an expanding parameter, so that SQLAlchemy neither coerces each
#: index nor builds a cache key per call); run on the session's connection, not the ORM
_HASHES_AT = select(StoredHashRow.storage_index, StoredHashRow.hash).where(
    StoredHashRow.storage_index.in_(bindparam("indexes", expanding=True))
)
_TREE_SIZE = select(LogStateRow.tree_size).where(LogStateRow.id == _STATE_ID)
_STATE = select(LogStateRow.tree_size, LogStateRow.verifier_key).where(LogStateRow.id == _STATE_ID)
_STATE_KEY = select(LogStateRow.verifier_key).where(LogStateRow.id == _STATE_ID)
#: the append lock's statements, built once (a statement built per call costs a cache key)
_STATE_VALUES = {"id": _STATE_ID, "tree_size": 0}
_PG_ENSURE_STATE = postgresql.insert(LogStateRow).values(_STATE_VALUES).on_conflict_do_nothing()
_SQLITE_ENSURE_STATE = sqlite.insert(LogStateRow).values(_STATE_VALUES).on_conflict_do_nothing()
_LOCKED_STATE = _STATE.with_for_update()
_SET_TREE_SIZE = update(LogStateRow).where(LogStateRow.id == _STATE_ID).values(tree_size=bindparam("size"))
_SET_KEY = update(LogStateRow).where(LogStateRow.id == _STATE_ID).values(verifier_key=bindparam("key"))
_ADD_CHECKPOINT = insert(CheckpointRow)


def hashes_at(session: Session, indexes: Sequence[StoredHashIndex]) -> dict[StoredHashIndex, bytes]:
    """Stored hashes by storage index (missing ones are absent from the result)."""
    found: dict[StoredHashIndex, bytes] = {}
    wanted = sorted(set(indexes))
    connection = session.connection()
    for chunk in range(0, len(wanted), 500):
        rows = connection.execute(_HASHES_AT, {"indexes": wanted[chunk : chunk + 500]})
        found.update((i, bytes(h)) for i, h in rows)
    return found


class SessionHashReader:
    """A :class:`~carbonbridge.ledger.merkle.HashReader` over the stored hashes, also seeing
    ``pending`` hashes an append has computed but not yet written.

    Stored hashes never change, so those read once are kept for the reader's life (one
    transaction): the receipts of a batch share most of their proof hashes.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self.pending: dict[StoredHashIndex, bytes] = {}
        self._read: dict[StoredHashIndex, bytes] = {}

    def read_hashes(self, indexes: Sequence[StoredHashIndex]) -> list[bytes]:
        pending, read = self.pending, self._read
        missing = [i for i in indexes if i not in pending and i not in read]
        if missing:
            read.update(hashes_at(self._session, missing))
        out = []
        for i in indexes:
            h = pending.get(i) or read.get(i)
            if h is None:
                raise HashStoreError(f"stored hash {i} is missing from the log's hash store")
            out.append(h)
        return out


def entry(session: Session, index: int) -> StoredEntry | None:
    row = session.get(LogEntryRow, index)
    if row is None:
        return None
    return StoredEntry(row.index, bytes(row.entry), bytes(row.leaf_hash), row.kind, row.created_at)


def entries_between(session: Session, start: int, stop: int) -> list[bytes]:
    """Entry bytes of indexes ``start`` .. ``stop - 1`` that exist, in order."""
    rows = session.scalars(
        select(LogEntryRow.entry)
        .where(LogEntryRow.index >= start, LogEntryRow.index < stop)
        .order_by(LogEntryRow.index)
    )
    return [bytes(e) for e in rows]


def entries_of_kind(session: Session, kind: str) -> list[StoredEntry]:
    """The entries of one kind, in log order (the ``kind`` column is indexed)."""
    rows = session.scalars(select(LogEntryRow).where(LogEntryRow.kind == kind).order_by(LogEntryRow.index))
    return [StoredEntry(r.index, bytes(r.entry), bytes(r.leaf_hash), r.kind, r.created_at) for r in rows]


def iter_entries(session: Session) -> Generator[StoredEntry, None, None]:
    rows = session.execute(select(LogEntryRow).order_by(LogEntryRow.index).execution_options(yield_per=1000))
    try:
        for (row,) in rows:
            yield StoredEntry(row.index, bytes(row.entry), bytes(row.leaf_hash), row.kind, row.created_at)
    finally:
        rows.close()  # a server-side cursor on PostgreSQL, even if the caller stops early


def iter_hashes(session: Session) -> Iterator[tuple[int, bytes]]:
    rows = session.execute(
        select(StoredHashRow.storage_index, StoredHashRow.hash)
        .order_by(StoredHashRow.storage_index)
        .execution_options(yield_per=5000)
    )
    try:
        for i, h in rows:
            yield i, bytes(h)
    finally:
        rows.close()


def commitment(session: Session, index: int) -> tuple[bytes, bytes] | None:
    row = session.get(CommitmentRow, index)
    return None if row is None else (bytes(row.salt), bytes(row.payload))


def commitments(session: Session) -> dict[int, tuple[bytes, bytes]]:
    return {
        i: (bytes(s), bytes(p))
        for i, s, p in session.execute(
            select(CommitmentRow.entry_index, CommitmentRow.salt, CommitmentRow.payload)
        )
    }


def checkpoint_note(
    session: Session, size: int | None = None, *, first: bool = False
) -> tuple[int, str] | None:
    """The checkpoint of ``size``, or the latest one (the earliest one if ``first``)."""
    query = select(CheckpointRow.tree_size, CheckpointRow.note)
    if size is None:
        order = CheckpointRow.tree_size.asc() if first else CheckpointRow.tree_size.desc()
        query = query.order_by(order).limit(1)
    else:
        query = query.where(CheckpointRow.tree_size == size)
    row = session.execute(query).first()
    return None if row is None else (row[0], row[1])


def checkpoint_time(session: Session, size: int) -> datetime | None:
    """When the checkpoint of ``size`` was signed."""
    return session.scalar(select(CheckpointRow.created_at).where(CheckpointRow.tree_size == size))


def iter_checkpoints(session: Session) -> Iterator[tuple[int, str]]:
    rows = session.execute(
        select(CheckpointRow.tree_size, CheckpointRow.note)
        .order_by(CheckpointRow.tree_size)
        .execution_options(yield_per=1000)
    )
    try:
        for size, note in rows:
            yield int(size), str(note)
    finally:
        rows.close()


def cosignature_lines(session: Session, size: int) -> list[str]:
    return list(
        session.scalars(
            select(CosignatureRow.signature_line)
            .where(CosignatureRow.tree_size == size)
            .order_by(CosignatureRow.witness)
        )
    )


def put_cosignature(
    session: Session, size: int, witness: str, witness_key: str, line: str, at: datetime
) -> None:
    """Store or replace (a newer cosignature by the same witness) a cosignature line."""
    row = session.get(CosignatureRow, (size, witness))
    if row is None:
        session.add(
            CosignatureRow(
                tree_size=size, witness=witness, witness_key=witness_key, signature_line=line, created_at=at
            )
        )
    else:
        row.witness_key, row.signature_line, row.created_at = witness_key, line, at
    session.flush()


def cosignature_key(session: Session, size: int, line: str) -> str:
    """The witness verifier key stored with a cosignature line."""
    key = session.scalar(
        select(CosignatureRow.witness_key).where(
            CosignatureRow.tree_size == size, CosignatureRow.signature_line == line
        )
    )
    if key is None:  # pragma: no cover - the line was just read
        raise HashStoreError(f"cosignature of checkpoint {size} vanished")
    return key


def witnesses(session: Session) -> list[WitnessRow]:
    return list(session.scalars(select(WitnessRow).order_by(WitnessRow.name)))


def witness(session: Session, name: str) -> WitnessRow | None:
    return session.get(WitnessRow, name)


def add_witness(session: Session, name: str, verifier_key: str, url: str, at: datetime) -> None:
    session.add(WitnessRow(name=name, verifier_key=verifier_key, url=url, cosigned_size=0, created_at=at))
    session.flush()


def remove_witness(session: Session, row: WitnessRow) -> None:
    session.delete(row)
    session.flush()
