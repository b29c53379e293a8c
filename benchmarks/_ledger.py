"""Shared set-up of the ledger benchmarks: a migrated SQLite file database as the platform
configures it (WAL, ``synchronous`` as the settings say: FULL by default), the log key,
realistic events, and a bulk loader that builds a large log quickly (benchmark-only: it writes the
ledger tables directly, bypassing the append path, and computes the stored hashes in memory with
``merkle.stored_hashes_for_leaf_hash``).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.ledger import store
from carbonbridge.ledger.checkpoint import sign_checkpoint
from carbonbridge.ledger.merkle import leaf_hash, stored_hashes_for_leaf_hash, tree_hash
from carbonbridge.ledger.model import Checkpoint, StoredHashIndex
from carbonbridge.ledger.note import NoteSigner
from carbonbridge.ledger.service import LogEvent, init_log, keys
from carbonbridge.ledger.store import LogEntryRow
from carbonbridge.platform.db import make_engine, session_factory, unit_of_work
from carbonbridge.platform.migrate import all_models, upgrade
from carbonbridge.platform.settings import Settings

ACTIVITIES = ("electricity.grid", "fuel.diesel", "fuel.natural_gas", "heat.purchased", "refrigerant.r410a")
UNITS = ("kWh", "L", "m3", "GJ", "kg")
KIND = "accounting.submission"
AT = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def open_database(directory: Path) -> tuple[Engine, sessionmaker[Session], NoteSigner]:
    """A migrated SQLite file database in ``directory`` and the log signer of that data dir
    (created and recorded as ``carbonbridge migrate`` does)."""
    all_models()
    engine = make_engine(f"sqlite:///{directory / 'carbonbridge.db'}")
    upgrade(engine)
    settings = Settings(data_dir=directory)
    sessions = session_factory(engine)
    init_log(sessions, settings)
    return engine, sessions, keys.log_signer(settings)


def submission_event(rng: random.Random, n: int) -> LogEvent:
    """An accounting submission as a context logs it: ~200 bytes of canonical JSON entry."""
    a = rng.randrange(len(ACTIVITIES))
    return LogEvent(
        KIND,
        {
            "submission": f"sub-{n:010d}",
            "organisation": f"org-{rng.randrange(100_000):06d}",
            "year": rng.choice((2023, 2024, 2025)),
            "activity": ACTIVITIES[a],
            "quantity": f"{rng.uniform(1, 100_000):.3f}",
            "unit": UNITS[a],
            "co2e_kg": f"{rng.uniform(1, 50_000):.2f}",
        },
    )


def entry_bytes(rng: random.Random, n: int) -> bytes:
    """The log entry ``service.append_events`` would write for :func:`submission_event` (its
    plain events serialise to RFC 8785 text through ``json.dumps`` with sorted keys)."""
    item = submission_event(rng, n)
    at = (AT + timedelta(microseconds=n)).isoformat()
    logged = {"kind": item.kind, "event": item.event, "at": at}
    return json.dumps(logged, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


class _HashList:
    """A :class:`~carbonbridge.ledger.merkle.HashReader` over the hashes computed so far."""

    def __init__(self) -> None:
        self.hashes: list[bytes] = []

    def read_hashes(self, indexes: Sequence[StoredHashIndex]) -> list[bytes]:
        return [self.hashes[i] for i in indexes]


def bulk_load(
    engine: Engine, sessions: sessionmaker[Session], signer: NoteSigner, size: int, chunk: int = 200_000
) -> None:
    """Build a log of ``size`` entries on an empty SQLite database, ``chunk`` entries per
    transaction, with one signed checkpoint at the end (benchmark-only: raw ``executemany`` into
    the ledger tables; production appends through the service). Stored hashes are kept in memory
    (~2 x 32 bytes per entry)."""
    rng = random.Random(7)
    hashes = _HashList()
    dialect = engine.dialect
    as_stored = LogEntryRow.__table__.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
    created_at = as_stored(AT) if as_stored else AT
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for lo in range(0, size, chunk):
            hi = min(size, lo + chunk)
            first = len(hashes.hashes)
            entries = []
            for n in range(lo, hi):
                entry = entry_bytes(rng, n)
                leaf = leaf_hash(entry)
                hashes.hashes += stored_hashes_for_leaf_hash(n, leaf, hashes)
                entries.append((n, entry, leaf, KIND, created_at))
            cursor.executemany(
                'INSERT INTO ledger_entries ("index", entry, leaf_hash, kind, created_at) '
                "VALUES (?, ?, ?, ?, ?)",
                entries,
            )
            cursor.executemany(
                "INSERT INTO ledger_hashes (storage_index, hash) VALUES (?, ?)",
                zip(range(first, len(hashes.hashes)), hashes.hashes[first:], strict=True),
            )
            raw.commit()
            print(f"  loaded {hi:,} entries", flush=True)
    finally:
        raw.close()
    with unit_of_work(sessions) as session:
        store.lock_log_state(session)
        note = sign_checkpoint(Checkpoint(signer.name, size, tree_hash(size, hashes)), signer)
        store.add_checkpoint(session, size, note, AT)
        store.set_tree_size(session, size)


def open_log(directory: Path, size: int) -> tuple[Engine, sessionmaker[Session], NoteSigner]:
    """The database in ``directory`` holding a log of ``size`` entries, bulk-loaded unless a
    previous run left it there (pass the same ``--dir`` to reuse it)."""
    engine, sessions, signer = open_database(directory)
    with unit_of_work(sessions) as session:
        existing = store.tree_size(session)
    if existing == 0:
        started = time.perf_counter()
        bulk_load(engine, sessions, signer, size)
        print(f"bulk-loaded {size:,} entries in {time.perf_counter() - started:.0f} s (not timed)")
    elif existing != size:
        raise SystemExit(f"{directory} holds a log of {existing:,} entries, not {size:,}")
    return engine, sessions, signer


def batches(total: int, batch: int) -> Iterator[range]:
    for lo in range(0, total, batch):
        yield range(lo, min(total, lo + batch))
