"""The bulk expression on Apache Spark (local mode) equals its result on DuckDB.

Same tolerance as ``test_bulk.py``'s float side: ``|spark − duckdb| ≤ 1e-9 × |duckdb| + 1e-6 kg``
(both sum float64 products, in different orders).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from carbonbridge.accounting import bulk
from carbonbridge.accounting.plan import build_plan
from tests.accounting.test_bulk import GWP, LIBRARY, REGION, _arrow

pytestmark = [
    pytest.mark.spark,
    # pyspark 4.3 warns about pandas >= 3 (the lock's pandas) and uses its deprecated ``copy=``
    # keyword internally; not ours, as the ini's ibis/pyarrow exceptions
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:pyspark.*"),
]

pyspark_sql = pytest.importorskip("pyspark.sql")


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    session = (
        pyspark_sql.SparkSession.builder.master("local[2]")
        .appName("carbonbridge-bulk-test")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    yield session
    session.stop()


def _by_key(rows: list[dict[str, object]], keys: tuple[str, ...]) -> dict[tuple[object, ...], float]:
    return {tuple(r[k] for k in keys): float(str(r["co2e_kg"])) for r in rows}


def test_spark_views_equal_duckdb_views(spark: object, tmp_path: Path) -> None:
    path = tmp_path / "activities.parquet"
    pq.write_table(_arrow(REGION.records), path)
    line_keys = ("organisation_id", "year", "framework", "line", "gas")
    total_keys = ("organisation_id", "year", "framework", "gas_group")

    on_duckdb = bulk.run_bulk(bulk.read_activities(bulk.connect_duckdb(), path), LIBRARY, GWP)
    activities = bulk.read_activities(bulk.connect_spark(spark), path)
    # Spark's own (32-bit) hash keeps the demo keys apart: the integer key path runs on Spark
    assert bulk._ids_distinct(bulk._key_ids(activities).to_pyarrow().column("key_id").to_pylist())
    plan = bulk.plan_table(build_plan(bulk.activity_keys(activities), LIBRARY, GWP))
    on_spark = bulk.compute_bulk(activities, plan)  # the whole expression runs on Spark

    for name, keys in (("lines", line_keys), ("totals", total_keys)):
        expected = _by_key(getattr(on_duckdb, name).to_pyarrow().to_pylist(), keys)
        actual = _by_key(getattr(on_spark, name).to_pyarrow().to_pylist(), keys)
        assert actual.keys() == expected.keys()
        for key, value in expected.items():
            assert abs(actual[key] - value) <= 1e-9 * abs(value) + 1e-6, (name, key, actual[key], value)
