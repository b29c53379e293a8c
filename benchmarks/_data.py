"""Synthetic activity tables for the bulk benchmarks, written to Parquet in chunks with pyarrow.

Organisations sit in seven provinces on six regional grids (so grid factors resolve by region) and
report for 2021-2025 (so factors resolve by year: series-B grid factors of data year ≤ reporting
year, the series-A factor prescribed for the year). Each organisation has one IPCC combustion
sector. Rows mix stationary and mobile fuels, grid electricity (some under green certificates),
purchased heat, clinker and refrigerants. Quantities are log-normal around each activity's typical
monthly size. Synthetic data: it describes no real organisation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

#: (province, grid region) pairs
PLACES: tuple[tuple[str, str], ...] = (
    ("CN-HI", "CN-GRID-SOUTH"),
    ("CN-GD", "CN-GRID-SOUTH"),
    ("CN-BJ", "CN-GRID-NORTH"),
    ("CN-SH", "CN-GRID-EAST"),
    ("CN-HB", "CN-GRID-CENTRAL"),
    ("CN-SN", "CN-GRID-NORTHWEST"),
    ("CN-SC", "CN-GRID-SOUTHWEST"),
)
YEARS: tuple[int, ...] = (2021, 2022, 2023, 2024, 2025)
SECTORS: tuple[str, ...] = (
    "energy_industries",
    "manufacturing_construction",
    "commercial_institutional",
    "residential_agriculture",
)
#: (activity, unit, instrument or "", typical quantity per row, weight in the mix)
ACTIVITIES: tuple[tuple[str, str, str, float, float], ...] = (
    ("electricity.grid", "kWh", "", 40_000.0, 0.30),
    ("electricity.grid", "MWh", "", 40.0, 0.08),
    ("electricity.grid", "kWh", "GEC", 10_000.0, 0.05),
    ("fuel.natural_gas", "Nm3", "", 5_000.0, 0.12),
    ("fuel.diesel", "t", "", 3.0, 0.08),
    ("fuel.lpg", "t", "", 1.0, 0.04),
    ("fuel.other_bituminous_coal", "t", "", 50.0, 0.05),
    ("fuel.residual_fuel_oil", "t", "", 5.0, 0.02),
    ("mobile.diesel", "t", "", 2.0, 0.08),
    ("mobile.motor_gasoline", "t", "", 1.0, 0.06),
    ("heat.purchased", "GJ", "", 300.0, 0.04),
    ("process.clinker", "t", "", 2_000.0, 0.02),
    ("refrigerant.R-410A", "kg", "", 5.0, 0.03),
    ("refrigerant.R-404A", "kg", "", 5.0, 0.02),
    ("refrigerant.HFC-134a", "kg", "", 3.0, 0.01),
)

SCHEMA = pa.schema(
    [
        ("organisation_id", pa.string()),
        ("activity", pa.string()),
        ("unit", pa.string()),
        ("region", pa.string()),
        ("grid_region", pa.string()),
        ("year", pa.int64()),
        ("sector", pa.string()),
        ("instrument", pa.string()),
        ("quantity", pa.float64()),
    ]
)


def _text(indices: np.ndarray, values: list[str]) -> pa.Array:
    """Plain string column built through a dictionary (fast), as a reporter's file would hold."""
    dictionary = pa.DictionaryArray.from_arrays(pa.array(indices, pa.int32()), pa.array(values, pa.string()))
    return dictionary.cast(pa.string())


def chunk(rows: int, rng: np.random.Generator, organisations: int) -> pa.Table:
    """``rows`` synthetic activity rows of ``organisations`` organisations."""
    org = rng.integers(0, organisations, rows)
    # an organisation's place and sector are fixed: derived from its number
    place = org % len(PLACES)
    sector = (org // len(PLACES)) % len(SECTORS)
    weights = np.array([a[4] for a in ACTIVITIES])
    act = rng.choice(len(ACTIVITIES), size=rows, p=weights / weights.sum())
    typical = np.array([a[3] for a in ACTIVITIES])
    quantity = np.round(typical[act] * rng.lognormal(0.0, 0.5, rows), 3)
    year = np.array(YEARS, dtype=np.int64)[rng.integers(0, len(YEARS), rows)]
    org_names = [f"org-{i:06d}" for i in range(organisations)]
    instrument = _text(act, [a[2] for a in ACTIVITIES])
    instrument = pc.if_else(pc.equal(instrument, ""), pa.scalar(None, pa.string()), instrument)
    return pa.table(
        {
            "organisation_id": _text(org, org_names),
            "activity": _text(act, [a[0] for a in ACTIVITIES]),
            "unit": _text(act, [a[1] for a in ACTIVITIES]),
            "region": _text(place, [p[0] for p in PLACES]),
            "grid_region": _text(place, [p[1] for p in PLACES]),
            "year": pa.array(year),
            "sector": _text(sector, list(SECTORS)),
            "instrument": instrument,
            "quantity": pa.array(quantity),
        },
        schema=SCHEMA,
    )


def write_activities(
    path: Path, rows: int, *, organisations: int = 5_000, seed: int = 7, chunk_rows: int = 5_000_000
) -> Path:
    """Write ``rows`` synthetic rows to the Parquet file ``path`` chunk by chunk (bounded memory)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    with pq.ParquetWriter(path, SCHEMA, compression="zstd") as writer:
        left = rows
        while left > 0:
            n = min(chunk_rows, left)
            writer.write_table(chunk(n, rng, organisations), row_group_size=1_000_000)
            left -= n
    return path
