"""Bulk accounting throughput: Ibis on DuckDB vs a straightforward pandas implementation.

Generates ``--rows`` synthetic activity rows to Parquet (not timed; ``benchmarks/_data.py``), then
times, in the same run:

(a) the bulk engine (``accounting.bulk``) on DuckDB from the Parquet file to the three framework
    views (every line by gas, and headline totals by gas group), including reading the distinct
    keys and building the coefficient plan with the row engine;
(b) pandas: read the Parquet file, merge every row with the same coefficient plan on the factor keys
    (one framework at a time, to bound memory), multiply, group by. pandas gets the plan for free.

Prints rows/s of each (and the CPU seconds of the bulk run, a steadier figure than wall time on a
shared machine), the ratio, and whether the target (≤ 5 s for 10M rows, ≥ 10× pandas) is
met. Usage: ``python benchmarks/bench_bulk.py [--rows N] [--path FILE]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import pandas as pd
from benchmarks._data import write_activities

from carbonbridge.accounting import bulk
from carbonbridge.accounting.plan import KEY_COLUMNS, build_plan, plan_columns
from carbonbridge.factors.model import GwpSet
from carbonbridge.factors.service import shipped_library

GWP = GwpSet.AR5
TARGET_SECONDS_PER_10M = 5.0
TARGET_RATIO = 10.0


def run_bulk_duckdb(path: Path) -> tuple[float, float, pd.DataFrame]:
    """Seconds from the Parquet file to both views (plan included), CPU seconds of the process
    (all threads) meanwhile, and the totals."""
    start, cpu = time.perf_counter(), time.process_time()
    views = bulk.run_bulk(bulk.read_activities(bulk.connect_duckdb(), path), shipped_library(), GWP)
    views.lines.to_pyarrow()
    totals = views.totals.to_pandas()
    return time.perf_counter() - start, time.process_time() - cpu, totals


def run_pandas(path: Path, plan: pd.DataFrame) -> tuple[float, pd.DataFrame]:
    """Seconds and headline totals of the straightforward pandas calculation."""
    start = time.perf_counter()
    df = pd.read_parquet(path)
    for name in ("grid_region", "sector", "instrument"):
        df[name] = df[name].fillna("")
    df.loc[~df["activity"].str.startswith("fuel."), "sector"] = ""  # as the engine reads it
    lines = []
    for _, coefficients in plan.groupby("framework"):
        m = df.merge(coefficients, on=list(KEY_COLUMNS), how="inner")
        m["kg"] = m["quantity"] * m["kg_per_unit"]
        m["co2e_kg"] = m["quantity"] * m["co2e_kg_per_unit"]
        group = ["organisation_id", "year", "framework", "line", "headline", "gas", "gas_group"]
        lines.append(m.groupby(group, as_index=False)[["kg", "co2e_kg"]].sum())
    by_line = pd.concat(lines)
    counted = by_line[by_line["headline"]]
    totals = counted.groupby(["organisation_id", "year", "framework", "gas_group"], as_index=False)[
        ["kg", "co2e_kg"]
    ].sum()
    return time.perf_counter() - start, totals


def largest_difference(a: pd.DataFrame, b: pd.DataFrame) -> float:
    """Largest relative difference of headline CO2e between two totals tables."""
    keys = ["organisation_id", "year", "framework", "gas_group"]
    both = a.merge(b, on=keys, suffixes=("_a", "_b"), how="outer").fillna(0.0)
    scale = both["co2e_kg_a"].abs().clip(lower=1.0)
    return float(((both["co2e_kg_a"] - both["co2e_kg_b"]).abs() / scale).max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--path", type=Path, default=None, help="Parquet file to write (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="carbonbridge-bench-") as tmp:
        path = args.path or Path(tmp) / "activities.parquet"
        t0 = time.perf_counter()
        write_activities(path, args.rows)
        print(f"generated {args.rows:,} rows in {time.perf_counter() - t0:.1f} s → {path}")
        shipped_library()  # load the factor datasets before timing (once per process)

        # median of three runs (the first also warms the file cache and DuckDB's threads)
        runs = [run_bulk_duckdb(path) for _ in range(3)]
        first_s = runs[0][0]
        bulk_s, bulk_cpu, bulk_totals = sorted(runs, key=lambda run: run[0])[1]
        keys = bulk.activity_keys(bulk.read_activities(bulk.connect_duckdb(), path))
        plan = build_plan(keys, shipped_library(), GWP)
        plan_df = pd.DataFrame(plan_columns(plan))
        pandas_s, pandas_totals = run_pandas(path, plan_df)

    rows = args.rows
    target_s = TARGET_SECONDS_PER_10M * rows / 10_000_000
    ratio = pandas_s / bulk_s
    print(f"plan: {len(plan):,} coefficients for {len(plan_df[list(KEY_COLUMNS)].drop_duplicates()):,} keys")
    print(
        f"(a) Ibis/DuckDB bulk : {bulk_s:6.2f} s  {rows / bulk_s:>14,.0f} rows/s  "
        f"(median of 3; the first run, cold: file cache and plan built, {first_s:.2f} s; "
        f"later runs reuse the plan cached for this factor library and GWP set); "
        f"CPU {bulk_cpu:.2f} s on {os.cpu_count()} cores"
    )
    print(f"(b) pandas           : {pandas_s:6.2f} s  {rows / pandas_s:>14,.0f} rows/s")
    print(f"ratio pandas / bulk  : {ratio:.1f}×")
    print(
        f"largest relative difference of headline totals (bulk vs pandas): "
        f"{largest_difference(bulk_totals, pandas_totals):.2e}"
    )
    print(
        f"target ≤ {target_s:.2f} s for {rows:,} rows: {'met' if bulk_s <= target_s else 'NOT met'}; "
        f"target ≥ {TARGET_RATIO:.0f}× pandas: {'met' if ratio >= TARGET_RATIO else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
