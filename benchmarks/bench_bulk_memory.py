"""Peak memory of the bulk engine over a large Parquet file (default 100 million rows).

Writes the synthetic rows in chunks with pyarrow (``benchmarks/_data.py``; reuses the file when it
exists with the right row count), then runs the computation in a child process with a DuckDB
``memory_limit``; the child prints its peak resident set size (``VmHWM``) against the 4 GiB
budget. Usage: ``python benchmarks/bench_bulk_memory.py [--rows N] [--path FILE] [--memory-limit 2GB]``.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
from benchmarks._data import write_activities

BUDGET_BYTES = 4 * 1024**3


def compute(path: Path, memory_limit: str) -> None:
    """The child: the three framework views of ``path`` on DuckDB, streaming."""
    from carbonbridge.accounting import bulk
    from carbonbridge.factors.model import GwpSet
    from carbonbridge.factors.service import shipped_library

    start = time.perf_counter()
    con = bulk.connect_duckdb(memory_limit=memory_limit, temp_directory=str(path.parent / "duckdb-spill"))
    views = bulk.run_bulk(bulk.read_activities(con, path), shipped_library(), GwpSet.AR5)
    lines = views.lines.to_pyarrow()
    totals = views.totals.to_pyarrow()
    seconds = time.perf_counter() - start
    print(f"child: {lines.num_rows:,} line rows, {totals.num_rows:,} total rows in {seconds:.1f} s")
    peak = _peak_rss()
    print(
        f"peak RSS of the computing process: {peak / 1024**3:.2f} GiB "
        f"({'within' if peak <= BUDGET_BYTES else 'OVER'} the 4 GiB budget)"
    )


def _peak_rss() -> int:
    """This process's peak resident set size in bytes: Linux ``VmHWM``, which starts afresh at
    ``exec`` (``ru_maxrss`` keeps the peak of the process forked before it, i.e. of the parent that
    may just have generated the file), else ``ru_maxrss``."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--path", type=Path, default=Path("/tmp/carbonbridge-bench/activities-100m.parquet"))
    parser.add_argument("--memory-limit", default="2GB")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        compute(args.path, args.memory_limit)
        return
    if not args.path.exists() or pq.ParquetFile(args.path).metadata.num_rows != args.rows:
        t0 = time.perf_counter()
        write_activities(args.path, args.rows)
        print(f"generated {args.rows:,} rows in {time.perf_counter() - t0:.1f} s → {args.path}")
    size = args.path.stat().st_size
    print(
        f"input: {args.rows:,} rows, {size / 1024**3:.2f} GiB Parquet; "
        f"DuckDB memory_limit {args.memory_limit}"
    )
    command = [  # as a module from the repository root, so that ``benchmarks`` is importable
        sys.executable,
        "-m",
        "benchmarks.bench_bulk_memory",
        "--child",
        "--rows",
        str(args.rows),
        "--path",
        str(args.path),
        "--memory-limit",
        args.memory_limit,
    ]
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=Path(__file__).resolve().parent.parent)
    seconds = time.perf_counter() - start
    print(f"wall {seconds:.1f} s, {args.rows / seconds:,.0f} rows/s")


if __name__ == "__main__":
    main()
