"""Inclusion proofs for random entries of a 10-million-entry log on SQLite.

Builds the log once with the benchmark's bulk loader (``benchmarks/_ledger.py``: entries and
stored hashes written directly, one signed checkpoint; not timed; reuse it with ``--dir``), then
times ``service.inclusion_proof(sessions, index, size)`` (a transaction, the stored-hash read, the
proof) for ``--proofs`` random indexes, and checks each proof against the checkpoint's root.

Prints the median and p99 and the ratio to the target (median < 1 ms).
Usage: ``python -m benchmarks.bench_ledger_proof [--entries N] [--proofs K] [--dir DIR]``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks._ledger import open_log

from carbonbridge.ledger import service, store
from carbonbridge.ledger.merkle import check_record, tree_hash
from carbonbridge.platform.db import unit_of_work

TARGET_MEDIAN_MS = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--proofs", type=int, default=1_000)
    parser.add_argument("--dir", type=Path, default=None, help="keep (or reuse) the database here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="carbonbridge-bench-") as tmp:
        directory = args.dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        engine, sessions, _ = open_log(directory, args.entries)
        size = args.entries
        with unit_of_work(sessions) as session:
            reader = store.SessionHashReader(session)
            root = tree_hash(size, reader)
        rng = random.Random(3)
        indexes = [rng.randrange(size) for _ in range(args.proofs)]
        service.inclusion_proof(sessions, 0, size)  # warm the connection pool
        timings = []
        for index in indexes:
            started = time.perf_counter()
            proof = service.inclusion_proof(sessions, index, size)
            timings.append(time.perf_counter() - started)
            with unit_of_work(sessions) as session:
                found = store.entry(session, index)
            if found is None:
                raise SystemExit(f"entry {index} is missing")
            check_record(proof, size, root, index, found.leaf_hash)
        engine.dispose()
    ms = sorted(t * 1000 for t in timings)
    median = statistics.median(ms)
    p99 = ms[min(len(ms) - 1, int(0.99 * len(ms)))]
    print(f"{args.proofs:,} inclusion proofs (each checked) in a log of {size:,} entries on SQLite:")
    print(f"  median {median:.3f} ms, p99 {p99:.3f} ms, mean {statistics.fmean(ms):.3f} ms")
    print(
        f"  target median < {TARGET_MEDIAN_MS:.0f} ms: {median / TARGET_MEDIAN_MS:.2f}× the target, "
        f"{'met' if median < TARGET_MEDIAN_MS else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
