"""Durable appends to the transparency log with group commit, against ``pymerkle.SqliteTree``.

Both run on a SQLite file database configured as the platform configures it (WAL, ``synchronous``
as ``CARBONBRIDGE_SQLITE_SYNCHRONOUS`` says, FULL by default; pymerkle's connection gets the same
pragmas) and take the same batches of
the same ~200-byte canonical JSON events. Timed, per batch:

(a) carbonbridge: ``service.append_events`` in one transaction (entries, stored hashes, one
    Ed25519-signed checkpoint, a c2sp.org/tlog-proof receipt per entry), then the commit; an entry
    counts as acknowledged once its batch has committed.
(b) pymerkle: canonical JSON of the same events, ``SqliteTree.append_entries`` (one transaction),
    one inclusion proof per entry against the new size, and one Ed25519 signature of the new root
    with the same key (so both sides sign once per batch).

Prints entries/s of each, the ratio, and whether the target (≥ 20,000 entries/s, ahead of
pymerkle) is met. Usage: ``python -m benchmarks.bench_ledger_append [--entries N] [--batch B ...]``.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from benchmarks._ledger import AT, batches, open_database, submission_event
from pymerkle import SqliteTree

from carbonbridge.kernel.canonical import canonical_json
from carbonbridge.ledger import service
from carbonbridge.ledger.checkpoint import sign_checkpoint
from carbonbridge.ledger.model import Checkpoint
from carbonbridge.ledger.note import NoteSigner
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.settings import get_settings

TARGET_PER_S = 20_000


def run_carbonbridge(directory: Path, events: list[service.LogEvent], batch: int) -> tuple[float, int]:
    """Seconds to append and commit every event in batches; and the receipts' total length."""
    engine, sessions, signer = open_database(directory)
    acknowledged = 0
    start = time.perf_counter()
    for chunk in batches(len(events), batch):
        with unit_of_work(sessions) as session:
            pending = service.append_events(session, events[chunk.start : chunk.stop], signer=signer)
        acknowledged += sum(len(p.receipt()) for p in pending)  # committed: receipts are valid
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed, acknowledged


def run_pymerkle(directory: Path, events: list[service.LogEvent], batch: int, signer: NoteSigner) -> float:
    tree = SqliteTree(str(directory / "pymerkle.db"))
    tree.con.execute("PRAGMA journal_mode=WAL")
    tree.con.execute(f"PRAGMA synchronous={get_settings().sqlite_synchronous.upper()}")
    start = time.perf_counter()
    for chunk in batches(len(events), batch):
        entries = [
            canonical_json({"kind": e.kind, "event": e.event, "at": AT})
            for e in events[chunk.start : chunk.stop]
        ]
        size = tree.append_entries(entries)
        sign_checkpoint(Checkpoint(signer.name, size, tree.get_root(size)), signer)
        for index in range(chunk.start + 1, chunk.stop + 1):  # pymerkle counts leaves from one
            tree.prove_inclusion(index, size)
    elapsed = time.perf_counter() - start
    tree.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--batch", type=int, nargs="+", default=[1_000, 10_000])
    args = parser.parse_args()
    rng = random.Random(1)
    events = [submission_event(rng, n) for n in range(args.entries)]
    size = len(canonical_json({"kind": events[0].kind, "event": events[0].event, "at": AT}))
    sync = get_settings().sqlite_synchronous.upper()
    print(f"sqlite {sqlite3.sqlite_version}, WAL, synchronous={sync}; {args.entries:,} entries of ~{size} B")
    for batch in args.batch:
        with tempfile.TemporaryDirectory(prefix="carbonbridge-bench-") as tmp:
            ours, receipts = run_carbonbridge(Path(tmp), events, batch)
            _, _, signer = open_database(Path(tmp))
            theirs = run_pymerkle(Path(tmp), events, batch, signer)
        rate, their_rate = args.entries / ours, args.entries / theirs
        print(f"batch {batch:>6,}:")
        print(
            f"  (a) carbonbridge append_events + commit : {ours:7.2f} s  {rate:>10,.0f} entries/s "
            f"({receipts / args.entries:.0f}-byte receipt each; {rate / TARGET_PER_S:.2f}× the "
            f"{TARGET_PER_S:,}/s target: {'met' if rate >= TARGET_PER_S else 'NOT met'})"
        )
        print(f"  (b) pymerkle SqliteTree + proofs         : {theirs:7.2f} s  {their_rate:>10,.0f} entries/s")
        print(
            f"  ratio carbonbridge / pymerkle            : {rate / their_rate:.2f}× "
            f"({'ahead' if rate > their_rate else 'behind'})"
        )


if __name__ == "__main__":
    main()
