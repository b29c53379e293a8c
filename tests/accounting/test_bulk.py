"""The bulk engine (``accounting.bulk`` on DuckDB) equals the row engine's framework views.

Tolerance, per (organisation, year, framework, line) and per headline gas group:
``|bulk − row| ≤ 1e-9 × |row| + 1e-6 kg × n``, where ``n`` is the number of (record, gas)
contributions the row engine summed. The row engine rounds each contribution half-to-even to 1 mg
(≤ 0.5 mg off the exact figure); the bulk engine multiplies exact-to-5e-19-kg coefficients in float64
(relative error ~1e-16 per product and sum), so 1e-9 relative covers float summation with room.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carbonbridge.accounting import bulk
from carbonbridge.accounting.engine import calculate, calculate_all, combustion_sectors
from carbonbridge.accounting.frameworks import cn_mee, ghg_protocol, iso14064, placements
from carbonbridge.accounting.model import ActivityRecord, FrameworkView, Organisation
from carbonbridge.accounting.plan import KEY_COLUMNS, PLAN_QUANTITY, PlanKey, build_plan
from carbonbridge.demo.region import generate_region
from carbonbridge.factors.model import GwpSet
from carbonbridge.factors.service import shipped_library
from carbonbridge.kernel.errors import FactorNotFound, InvalidInput

REGION = generate_region()
LIBRARY = shipped_library()
GWP = GwpSet.AR5
SECTORS = combustion_sectors(REGION.organisations)
ORGS = {o.id: o for o in REGION.organisations}
#: one demo record per distinct key (activity, unit, region, grid region, year, instrument)
TEMPLATES: list[ActivityRecord] = list(
    {(r.activity, r.unit, r.region, r.grid_region, r.year, r.instrument): r for r in REGION.records}.values()
)
#: organisations of different kinds, so that combustion sectors differ between them
ORG_IDS = sorted({o.kind: o.id for o in REGION.organisations}.values())
PROFILE = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

quantities = st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False)


def _rows(records: Sequence[ActivityRecord]) -> list[dict[str, object]]:
    return [
        {
            "organisation_id": r.organisation_id,
            "activity": r.activity,
            "unit": r.unit,
            "region": r.region,
            "grid_region": r.grid_region,
            "year": r.year,
            "sector": SECTORS[r.organisation_id],
            "instrument": r.instrument,
            "quantity": float(r.quantity),
        }
        for r in records
    ]


_SCHEMA = pa.schema(
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


def _arrow(records: Sequence[ActivityRecord]) -> pa.Table:
    return pa.Table.from_pylist(_rows(records), schema=_SCHEMA)


def _row_views(
    records: Sequence[ActivityRecord],
) -> tuple[list[tuple[int, FrameworkView]], dict[tuple[str, int, str, str], int]]:
    """The row engine's views per (organisation, year) and the number of contributions per line."""
    emissions = calculate_all(records, LIBRARY, GWP, sectors=SECTORS)
    counts: dict[tuple[str, int, str, str], int] = defaultdict(int)
    for e in emissions:
        for framework, items in placements(e).items():
            for c in items:
                counts[e.record.organisation_id, e.record.year, framework, c.line] += 1
    out = []
    for org_id, year in sorted({(r.organisation_id, r.year) for r in records}):
        org: Organisation = ORGS[org_id]
        mine = [e for e in emissions if e.record.organisation_id == org_id and e.record.year == year]
        out += [(year, view(org, mine)) for view in (ghg_protocol, iso14064, cn_mee)]
    return out, counts


def _close(bulk_kg: float, row_kg: Decimal, contributions: int) -> bool:
    return abs(bulk_kg - float(row_kg)) <= 1e-9 * abs(float(row_kg)) + 1e-6 * max(contributions, 1)


def _assert_views_match(records: Sequence[ActivityRecord], views: bulk.BulkViews) -> None:
    lines: dict[tuple[str, int, str, str], float] = defaultdict(float)
    for row in views.lines.to_pyarrow().to_pylist():
        lines[row["organisation_id"], row["year"], row["framework"], row["line"]] += row["co2e_kg"]
    totals: dict[tuple[str, int, str, str], float] = defaultdict(float)
    for row in views.totals.to_pyarrow().to_pylist():
        totals[row["organisation_id"], row["year"], row["framework"], row["gas_group"]] += row["co2e_kg"]
    seen = set()
    row_views, counts = _row_views(records)
    for year, view in row_views:
        for line in (*view.lines, *view.out_of_boundary):
            key = (view.organisation_id, year, view.framework, line.key)
            seen.add(key)
            assert _close(lines.get(key, 0.0), line.co2e_kg, counts[key]), (key, lines.get(key), line)
        n_all = len(view.contributions)
        for group, amount in view.by_gas_group.items():
            key = (view.organisation_id, year, view.framework, group)
            assert _close(totals.get(key, 0.0), amount.co2e_kg, n_all), (key, totals.get(key), amount)
        bulk_total = sum(
            v for k, v in totals.items() if k[:3] == (view.organisation_id, year, view.framework)
        )
        assert _close(bulk_total, view.total_co2e_kg, n_all)
    assert set(lines) <= seen


@st.composite
def activity_rows(draw: st.DrawFn) -> list[ActivityRecord]:
    picks = draw(
        st.lists(
            st.tuples(st.sampled_from(TEMPLATES), st.sampled_from(ORG_IDS), quantities),
            min_size=1,
            max_size=30,
        )
    )
    return [
        dataclasses.replace(t, id=f"r{i}", organisation_id=org, quantity=q)
        for i, (t, org, q) in enumerate(picks)
    ]


@PROFILE
@given(records=activity_rows())
def test_bulk_views_equal_row_engine_views(records: list[ActivityRecord]) -> None:
    """Random demo-region rows (quantities 0 to 10^6, zero included): every line, gas group and
    headline total of the three frameworks agrees within the module's tolerance."""
    views = bulk.run_bulk(ibis.memtable(_arrow(records)), LIBRARY, GWP)

    _assert_views_match(records, views)


def test_plan_coefficient_times_quantity_is_the_engine_figure() -> None:
    """Coefficient × q equals the engine's record at q to within its 0.5 mg rounding."""
    template = next(r for r in TEMPLATES if r.activity == "fuel.natural_gas")
    key = PlanKey.of(
        template.activity,
        template.unit,
        template.region,
        template.grid_region,
        template.year,
        "commercial_institutional",
        None,
    )
    q = Decimal("123456.789")
    plan = build_plan([key], LIBRARY, GWP)
    e = calculate(dataclasses.replace(template, quantity=q), LIBRARY, GWP, sector="commercial_institutional")

    ch4 = next(c for c in plan if c.framework == "ghg_protocol" and c.gas == "CH4")
    engine_ch4 = next(g for g in e.method_results[ch4.basis] if g.gas == "CH4")
    assert abs(ch4.co2e_kg_per_unit * q - engine_ch4.co2e_kg) <= Decimal("0.0000005") + q / PLAN_QUANTITY


def test_missing_factor_raises_naming_the_key() -> None:
    """Electricity in 2020 has no grid factor of data year ≤ 2020 shipped: no silent zero."""
    template = next(r for r in TEMPLATES if r.activity == "electricity.grid")
    records = [
        dataclasses.replace(
            template,
            period_start=template.period_start.replace(year=2020),
            period_end=template.period_end.replace(year=2020),
        )
    ]

    with pytest.raises(FactorNotFound, match=r"activity='electricity.grid'.*year=2020"):
        bulk.run_bulk(ibis.memtable(_arrow(records)), LIBRARY, GWP)


def test_missing_keys_lists_rows_a_stale_plan_does_not_cover() -> None:
    records = [dataclasses.replace(t, organisation_id=ORG_IDS[0]) for t in TEMPLATES[:2]]
    table = ibis.memtable(_arrow(records))
    first = PlanKey.of(**{k: v for k, v in _rows(records[:1])[0].items() if k in PlanKey.__annotations__})
    plan = bulk.plan_table(build_plan([first], LIBRARY, GWP))

    missing = bulk.missing_keys(table, plan).to_pyarrow().to_pylist()

    assert [(m["activity"], m["unit"], m["year"]) for m in missing] == [
        (records[1].activity, records[1].unit, records[1].year)
    ]


@pytest.fixture(scope="module")
def demo_records() -> list[ActivityRecord]:
    return REGION.records


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_duckdb_reads_activity_files(fmt: str, tmp_path: Path, demo_records: list[ActivityRecord]) -> None:
    """The whole demo region from a Parquet or CSV file on DuckDB equals the row engine."""
    path = tmp_path / f"activities.{fmt}"
    table = _arrow(demo_records)
    if fmt == "parquet":
        pq.write_table(table, path)
    else:
        pacsv.write_csv(table, path)
    con = bulk.connect_duckdb(memory_limit="512MB", threads=2)

    views = bulk.run_bulk(bulk.read_activities(con, path), LIBRARY, GWP)

    _assert_views_match(demo_records, views)


def test_read_activities_rejects_other_formats(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"expected \.parquet or \.csv"):
        bulk.read_activities(bulk.connect_duckdb(), tmp_path / "activities.xlsx")


def _colliding_key_id(t: ibis.Table) -> ibis.IntegerValue:
    """A key id that collides on purpose: every key of a year shares it."""
    return t.year.cast("int64")


@PROFILE
@given(records=activity_rows())
def test_colliding_key_ids_fall_back_to_the_key_columns(records: list[ActivityRecord]) -> None:
    """When two distinct keys share a key id, the engine groups on the key columns instead: the
    views still equal the row engine's (a collision never merges two keys)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bulk, "_key_id", _colliding_key_id)
        views = bulk.run_bulk(ibis.memtable(_arrow(records)), LIBRARY, GWP)

    _assert_views_match(records, views)


def test_key_ids_of_the_demo_region_are_distinct() -> None:
    """The integer key path is the one taken on real data: the backend's hash of every distinct
    demo key (as stored, nulls kept) is distinct."""
    table = _arrow(REGION.records)
    ids = bulk._key_ids(ibis.memtable(table)).to_pyarrow().column("key_id").to_pylist()
    stored = {tuple(row[name] for name in KEY_COLUMNS) for row in table.to_pylist()}

    assert len(ids) == len(stored) > 50
    assert bulk._ids_distinct(ids)
    assert not bulk._ids_distinct([*ids, ids[0]])


@pytest.mark.parametrize("colliding", [False, True])
def test_compute_bulk_with_a_given_plan_equals_the_row_engine(
    colliding: bool, demo_records: list[ActivityRecord]
) -> None:
    """``compute_bulk`` (the expression Spark runs) on DuckDB, by key id or, when ids collide, by
    key columns, equals the row engine on the whole demo region."""
    table = ibis.memtable(_arrow(demo_records))
    plan = bulk.plan_table(build_plan(bulk.activity_keys(table), LIBRARY, GWP))
    with pytest.MonkeyPatch.context() as patch:
        if colliding:
            patch.setattr(bulk, "_key_id", _colliding_key_id)
        views = bulk.compute_bulk(table, plan)
        lines, totals = views.lines.to_pyarrow(), views.totals.to_pyarrow()

    _assert_views_match(demo_records, bulk.BulkViews(ibis.memtable(lines), ibis.memtable(totals)))


def test_null_and_empty_text_keys_are_the_same_key() -> None:
    """A key stored with ``""`` instead of null (and a sector on a non-fuel row, which the engine
    does not read) has its own key id but the same coefficients: the lines are those of the nulls."""
    template = next(r for r in TEMPLATES if r.activity == "electricity.grid" and r.instrument is None)
    records = [
        dataclasses.replace(template, id=f"r{i}", organisation_id=ORG_IDS[0], quantity=Decimal(1000 + i))
        for i in range(2)
    ]
    rows = _rows(records)
    rows[1]["instrument"] = ""
    rows[1]["sector"] = None
    views = bulk.run_bulk(ibis.memtable(pa.Table.from_pylist(rows, schema=_SCHEMA)), LIBRARY, GWP)

    assert len(bulk._key_ids(ibis.memtable(pa.Table.from_pylist(rows, schema=_SCHEMA))).to_pyarrow()) == 2
    _assert_views_match(records, views)
