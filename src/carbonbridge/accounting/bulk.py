"""The bulk accounting engine: framework views of millions of activity rows as one Ibis expression.

The expression is written once and runs where its activity table lives: DuckDB in-process by
default (:func:`connect_duckdb`), Apache Spark when a region outgrows one machine
(:func:`connect_spark`). Backend-specific code stays behind those two functions and
:func:`read_activities`; :func:`compute_bulk` knows no backend.

How: every calculation path is linear in quantity, so the rows are first summed per organisation
and key (``plan.KEY_COLUMNS``), the sums are joined to the coefficient plan that the row engine
built for those keys (``accounting.plan``), multiplied, and summed per organisation, year,
framework, line and gas. Scanning and summing stream, so memory is bounded by the number of
(organisation, key) groups, not by the number of rows.

The key id. Grouping millions of rows on seven text columns is the costly step, so the rows are
grouped on one integer instead: the backend's own hash of the key columns as stored
(:func:`_key_id`). A hash may collide, so it is used only after an exact check: the distinct keys
of the table (a few thousand, computed on the text columns themselves) are counted against their
distinct ids (:func:`_ids_distinct`). Grouping by id equals grouping by key exactly when the id is
injective on the keys present; when it is not (never seen, but possible), the engine groups on the
key columns as before. The plan is joined to the distinct keys on the key columns, so each id
takes exactly its key's coefficients, and the line sums run on small integer line ids.

Activity table columns: ``organisation_id``, ``activity``, ``unit``, ``region``, ``grid_region``,
``year`` (reporting year), ``sector`` (IPCC combustion sector, see ``engine.combustion_sectors``),
``instrument`` and ``quantity`` (in ``unit``). ``grid_region``, ``sector`` and ``instrument`` may be
null. Other columns are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa

from carbonbridge.accounting.calculation import DEFAULT_SOURCES, MEE_GRID_REPORTING, Sources
from carbonbridge.accounting.model import Basis
from carbonbridge.accounting.plan import KEY_COLUMNS, Coefficient, PlanKey, build_plan, plan_columns
from carbonbridge.factors.model import FactorResolver, GwpSet
from carbonbridge.kernel.errors import FieldIssue, InvalidInput

__all__ = [
    "ACTIVITY_COLUMNS",
    "BulkViews",
    "activity_keys",
    "compute_bulk",
    "connect_duckdb",
    "connect_spark",
    "missing_keys",
    "plan_table",
    "read_activities",
    "run_bulk",
]

#: columns :func:`compute_bulk` reads from an activity table
ACTIVITY_COLUMNS: tuple[str, ...] = ("organisation_id", *KEY_COLUMNS, "quantity")

_TEXT_KEYS = ("grid_region", "sector", "instrument")
_LINE_GROUP = ("organisation_id", "year", "framework", "line", "headline", "gas", "gas_group")

_PLAN_SCHEMA = pa.schema(
    [
        ("activity", pa.string()),
        ("unit", pa.string()),
        ("region", pa.string()),
        ("grid_region", pa.string()),
        ("year", pa.int64()),
        ("sector", pa.string()),
        ("instrument", pa.string()),
        ("framework", pa.string()),
        ("line", pa.string()),
        ("headline", pa.bool_()),
        ("basis", pa.string()),
        ("gas", pa.string()),
        ("gas_group", pa.string()),
        ("kg_per_unit", pa.float64()),
        ("co2e_kg_per_unit", pa.float64()),
    ]
)


@dataclass(frozen=True)
class BulkViews:
    """The framework views of an activity table, as unexecuted Ibis expressions.

    ``lines``: ``organisation_id, year, framework, line, headline, gas, gas_group, kg, co2e_kg`` —
    every line of every framework (``ghg_protocol``, ``iso14064-1``, ``cn_mee``), including lines
    outside the headline (both Scope 2 bases, ``cat2.market``, MEE ``excluded.*``).
    ``totals``: ``organisation_id, year, framework, gas_group, kg, co2e_kg`` — the headline total
    of each framework by gas group (as :attr:`FrameworkView.by_gas_group`).
    """

    lines: ibis.Table
    totals: ibis.Table


def plan_table(plan: Iterable[Coefficient]) -> ibis.Table:
    """The coefficient plan as an in-memory Ibis table (any backend uploads it on execution)."""
    return ibis.memtable(pa.table(plan_columns(plan), schema=_PLAN_SCHEMA))


def _typed(activities: ibis.Table) -> ibis.Table:
    """The columns the engine reads, typed, key columns as stored (nulls kept)."""
    t = activities
    return t.select(
        organisation_id=t.organisation_id.cast("string"),
        **{name: t[name].cast("int64" if name == "year" else "string") for name in KEY_COLUMNS},
        quantity=t.quantity.cast("float64"),
    )


def _normalised(keyed: ibis.Table) -> ibis.Table:
    """``keyed`` (typed key columns and any others) with null text keys as ``""``, so that keys
    join by equality, and the sector blanked where the engine does not read it (as ``PlanKey.of``)."""
    text = {name: keyed[name].fill_null("") for name in _TEXT_KEYS}
    # The engine reads the combustion sector only for stationary fuel (IPCC 2006 Vol.2 Ch.2 CH4/N2O
    # by sector; road transport has its own); blanking it elsewhere merges keys that are equal.
    text["sector"] = ibis.ifelse(keyed.activity.startswith("fuel."), text["sector"], "")
    return keyed.mutate(**text)


@ibis.udf.scalar.builtin(name="hash")  # type: ignore[untyped-decorator]
def _backend_hash(
    activity: str, unit: str, region: str, grid_region: str, year: int, sector: str, instrument: str
) -> dt.int64:
    """The backend's own hash of its arguments: DuckDB ``hash`` (64-bit, unsigned), Spark ``hash``
    (32-bit Murmur3, signed). Used as a key id only once :func:`_ids_distinct` has checked it."""


def _key_id(t: ibis.Table) -> ibis.IntegerValue:
    """The key id of each row of ``t`` (typed key columns, as stored): the backend's hash of the
    key, shifted right one bit so that DuckDB's unsigned 64-bit value fits a signed ``int64``."""
    hashed = _backend_hash(*(t[name] for name in KEY_COLUMNS))
    return (hashed >> 1).cast("int64")


def _key_ids(activities: ibis.Table) -> ibis.Table:
    """The distinct keys of ``activities`` as stored (before normalisation) with their key id."""
    keys = _typed(activities).select(*KEY_COLUMNS).distinct()
    return keys.mutate(key_id=_key_id(keys))


def _ids_distinct(ids: Sequence[object]) -> bool:
    """True when the key ids ``ids`` of the distinct keys of a table are themselves distinct.

    The exactness check of the integer key: grouping rows by key id is grouping them by key
    exactly when the id is injective on the keys present, which counting decides."""
    return len(set(ids)) == len(ids)


def activity_keys(activities: ibis.Table) -> set[PlanKey]:
    """The distinct keys of ``activities`` (executes one small query on their backend)."""
    keys = _typed(activities).select(*KEY_COLUMNS).distinct().to_pyarrow()
    return {PlanKey.of(**row) for row in keys.to_pylist()}


def missing_keys(activities: ibis.Table, plan: ibis.Table) -> ibis.Table:
    """Keys of ``activities`` that ``plan`` does not cover (empty when the plan fits the data)."""
    keys = _normalised(_typed(activities).select(*KEY_COLUMNS).distinct()).distinct()
    return keys.anti_join(plan.select(*KEY_COLUMNS).distinct(), list(KEY_COLUMNS))


def compute_bulk(activities: ibis.Table, plan: ibis.Table) -> BulkViews:
    """The three framework views of ``activities`` (:class:`BulkViews`), per organisation and year.

    ``plan`` must cover every key of ``activities`` (:func:`run_bulk` builds it so; check others
    with :func:`missing_keys`): rows of an unplanned key would be left out of every line.

    Executes one small query first: are the key ids of the distinct keys of ``activities``
    distinct? Then (always, but for a hash collision among those few thousand keys) the rows are
    grouped on the integer key id; otherwise on the key columns. Both give the same sums
    (module docstring); the check keeps a collision from ever merging two keys.
    """
    key_ids = _key_ids(activities)
    ids = key_ids.select("key_id").to_pyarrow().column("key_id").to_pylist()
    lines = _lines_by_id(activities, plan, key_ids) if _ids_distinct(ids) else _lines_by_key(activities, plan)
    return BulkViews(lines=lines, totals=_totals(lines))


def _lines_by_id(activities: ibis.Table, plan: ibis.Table, key_ids: ibis.Table) -> ibis.Table:
    """Lines from rows summed per (organisation, key id).

    ``key_ids`` (:func:`_key_ids`) gives each distinct key its id; normalised, it takes the plan's
    coefficients of its key, and a small integer ``line_id`` numbers the lines (year, framework,
    line, headline, gas, gas group). The sums are joined to the coefficients on the key id and the
    products summed per (organisation, line id); the line's text columns are joined back last.
    Exact only when the key id is injective on the keys of ``activities`` (:func:`_ids_distinct`).
    """
    t = _typed(activities)
    sums = t.group_by(["organisation_id", _key_id(t).name("key_id")]).aggregate(quantity=t.quantity.sum())
    line_columns = [name for name in _LINE_GROUP if name != "organisation_id"]
    keys = _normalised(key_ids.select(*KEY_COLUMNS, "key_id"))
    planned = keys.join(plan, list(KEY_COLUMNS)).select(
        "key_id", *line_columns, "kg_per_unit", "co2e_kg_per_unit"
    )
    # numbered in the order of all their columns: a backend that evaluates this table twice (once
    # per join below; Spark does) numbers it the same way both times
    line_ids = (
        planned.select(*line_columns).distinct().mutate(line_id=ibis.row_number().over(order_by=line_columns))
    )
    coefficients = planned.join(line_ids, line_columns).select(
        "key_id", "line_id", "kg_per_unit", "co2e_kg_per_unit"
    )
    joined = sums.join(coefficients, "key_id")
    by_line = joined.group_by(["organisation_id", "line_id"]).aggregate(
        kg=(joined.quantity * joined.kg_per_unit).sum(),
        co2e_kg=(joined.quantity * joined.co2e_kg_per_unit).sum(),
    )
    return by_line.join(line_ids, "line_id").select(*_LINE_GROUP, "kg", "co2e_kg")


def _lines_by_key(activities: ibis.Table, plan: ibis.Table) -> ibis.Table:
    """Lines from rows summed per (organisation, key) and the plan joined on the key columns."""
    t = _normalised(_typed(activities))
    sums = t.group_by(["organisation_id", *KEY_COLUMNS]).aggregate(quantity=t.quantity.sum())
    joined = sums.join(plan, list(KEY_COLUMNS))
    return joined.group_by(list(_LINE_GROUP)).aggregate(
        kg=(joined.quantity * joined.kg_per_unit).sum(),
        co2e_kg=(joined.quantity * joined.co2e_kg_per_unit).sum(),
    )


def _totals(lines: ibis.Table) -> ibis.Table:
    """Headline totals by gas group from the lines that count in each framework's total."""
    counted = lines.filter(lines.headline)
    return counted.group_by(["organisation_id", "year", "framework", "gas_group"]).aggregate(
        kg=counted.kg.sum(), co2e_kg=counted.co2e_kg.sum()
    )


def run_bulk(
    activities: ibis.Table,
    resolver: FactorResolver,
    gwp: GwpSet,
    *,
    datasets: tuple[str, ...] = (),
    mee_grid_dataset: str = MEE_GRID_REPORTING,
    aviation_rf: bool = True,
    sources: Sources = DEFAULT_SOURCES,
    scope2_basis: Basis = Basis.LOCATION,
) -> BulkViews:
    """Two queries on the activities' backend: their distinct keys, then the lines.

    The first query fetches the few thousand distinct keys with their key ids; the keys are planned
    with the row engine; the second sums quantity per (organisation, key id) where the rows live
    (DuckDB, Spark), joins the plan on the id and sums the lines, which are fetched through Arrow
    (never the activity rows). Options are those of :func:`plan.build_plan`. Raises
    :class:`FactorNotFound` naming the key whose factor is missing before any emission is computed.
    """
    key_ids = _key_ids(activities).to_pyarrow()
    plan = build_plan(
        {PlanKey.of(**row) for row in key_ids.select(list(KEY_COLUMNS)).to_pylist()},
        resolver,
        gwp,
        datasets=datasets,
        mee_grid_dataset=mee_grid_dataset,
        aviation_rf=aviation_rf,
        sources=sources,
        scope2_basis=scope2_basis,
    )
    table = plan_table(plan)
    if _ids_distinct(key_ids.column("key_id").to_pylist()):
        # the fetched keys go back as a small table: the lines query scans the rows only once
        lines_expr = _lines_by_id(activities, table, ibis.memtable(key_ids))
    else:
        lines_expr = _lines_by_key(activities, table)
    # Materialised through Arrow, not ``Table.cache()``: Ibis 12's DuckDB create_table emits
    # "DROP VIEW IF EXISTS" without a name under sqlglot 30 (a parser error). The lines are
    # computed once; the totals are a small aggregation of them.
    lines = ibis.memtable(lines_expr.to_pyarrow())
    return BulkViews(lines=lines, totals=_totals(lines))


# -- backends: the one seam ----------------------------------------------------------------------


def connect_duckdb(
    *, memory_limit: str | None = None, threads: int | None = None, temp_directory: str | None = None
) -> ibis.BaseBackend:
    """An in-process DuckDB connection; ``memory_limit`` (e.g. ``"2GB"``) bounds its buffers, and
    ``temp_directory`` is where it spills when an operator outgrows them. Insertion order is not
    preserved (``preserve_insertion_order=false``): no view has a row order, and DuckDB then
    needs no order-keeping buffers."""
    config: dict[str, object] = {"preserve_insertion_order": False}
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    if threads is not None:
        config["threads"] = threads
    if temp_directory is not None:
        config["temp_directory"] = temp_directory
    return ibis.duckdb.connect(**config)


def connect_spark(session: object) -> ibis.BaseBackend:
    """An Ibis connection over an existing ``pyspark.sql.SparkSession`` (e.g. ``local[2]``)."""
    return ibis.pyspark.connect(session)


def read_activities(con: ibis.BaseBackend, path: str | Path) -> ibis.Table:
    """An activity table over a Parquet or CSV file (or a directory/glob of Parquet files), read
    lazily by ``con``'s engine; nothing is loaded into Python."""
    text = str(path)
    suffix = Path(text).suffix.lower()
    if suffix == ".csv":
        return con.read_csv(text)
    if suffix == ".parquet" or Path(text).is_dir() or "*" in text:
        return con.read_parquet(text)
    raise InvalidInput(
        f"activity file {text!r}: expected .parquet or .csv",
        [FieldIssue(("path",), text, "expected a .parquet or .csv file")],
    )
