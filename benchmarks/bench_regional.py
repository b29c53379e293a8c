"""Regional dashboard benchmark (issue 10 §3): ``GET /inventory/region`` for 100,000 organisations
× 3 years answers in under 100 ms (median).

The database (SQLite file, as embedded) is seeded with bulk inserts, not through the API: N
organisations, each modelled on one of the demo region's 50 (its kind, one facility, the first
activity record of each of 2023-2025 with the quantity scaled), so N × 3 current records, and the
region's population and GDP. The regional statement is then built by the real rebuild code
(``release.rebuild_regional_statement``: the row-by-row engine for every GWP set, disclosure
control, coverage) and stored; its time is printed too, as the cost each request paid on the old
path (which recomputed the inventory per process after every change). The page is then fetched
from the real app in uvicorn on loopback, as the public, ``--runs`` times after one warm-up.

    python benchmarks/bench_regional.py [--organisations 100000] [--runs 50]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import insert

from carbonbridge.accounting import release, service, store
from carbonbridge.demo.load import LOADER
from carbonbridge.demo.region import generate_region
from carbonbridge.factors.model import GwpSet
from carbonbridge.ledger import keys
from carbonbridge.ledger.service import init_log
from carbonbridge.platform.app import create_app
from carbonbridge.platform.db import make_engine, session_factory
from carbonbridge.platform.identity import PUBLIC
from carbonbridge.platform.migrate import upgrade
from carbonbridge.platform.settings import Settings

TARGET_MS = 100.0
YEARS = (2023, 2024, 2025)
CHUNK = 20_000


def _seed(engine: object, n: int) -> int:
    """N organisations × 3 years of records, by bulk insert (returns the number of records)."""
    demo = generate_region()
    firsts = {}
    for r in demo.records:
        firsts.setdefault((r.organisation_id, r.year), r)
    models = [o for o in demo.organisations if all((o.id, y) in firsts for y in YEARS)]
    grid = {f.organisation_id: f for f in demo.facilities}
    now = datetime.now(UTC)
    organisations, facilities, submissions, records = [], [], [], []
    for i in range(n):
        model = models[i % len(models)]
        oid, fid, sid = f"bench-{i:06d}", f"bench-{i:06d}-f", f"bench-{i:06d}-s"
        organisations.append(
            {"id": oid, "name_en": f"Bench {i}", "name_zh": f"基准 {i}", "kind": model.kind.value,
             "region": model.region, "credit_code": None, "synthetic": True}
        )  # fmt: skip
        site = grid[model.id]
        facilities.append(
            {"id": fid, "organisation_id": oid, "name": "site", "region": site.region,
             "grid_region": site.grid_region}
        )  # fmt: skip
        submissions.append(
            {"id": sid, "organisation_id": oid, "filename": "bench.csv", "sha256": "0" * 64, "row_count": 3,
             "submitted_by": "", "submitted_at": now, "submitted_by_name": "bench", "replaces": None,
             "log_index": None}
        )  # fmt: skip
        scale = Decimal(100 + i % 97) / 100
        for y in YEARS:
            r = firsts[(model.id, y)]
            records.append(
                {"id": f"{oid}-{y}", "submission_id": sid, "organisation_id": oid, "facility_id": fid,
                 "period_start": r.period_start, "period_end": r.period_end, "year": y,
                 "category": r.category.value, "activity": r.activity, "quantity": r.quantity * scale,
                 "unit": r.unit, "region": r.region, "grid_region": r.grid_region,
                 "instrument_key": r.instrument or "", "note": "", "superseded_by": None}
            )  # fmt: skip
    with engine.begin() as conn:  # type: ignore[attr-defined]
        for table, rows in (
            (store.OrganisationRow, organisations),
            (store.FacilityRow, facilities),
            (store.SubmissionRow, submissions),
            (store.ActivityRow, records),
        ):
            for start in range(0, len(rows), CHUNK):
                conn.execute(insert(table), rows[start : start + CHUNK])
    return len(records)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--organisations", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        engine = make_engine(settings.resolved_database_url())
        upgrade(engine)
        sessions = session_factory(engine)
        init_log(sessions, settings)  # as `carbonbridge migrate` does
        keys.use_settings(settings)  # this process signs with that key, as the server will
        t0 = time.perf_counter()
        count = _seed(engine, args.organisations)
        for year, population, gdp in (
            (2023, 1_020_000, 5.1e6),
            (2024, 1_030_000, 5.4e6),
            (2025, 1_040_000, 5.7e6),
        ):
            service.set_region_statistics(
                sessions, LOADER, settings.region, year, population, Decimal(str(gdp)), synthetic=True,
                source="bench",
            )  # fmt: skip
        seeded = time.perf_counter() - t0
        t0 = time.perf_counter()
        release.rebuild_regional_statement(sessions, settings.region, release.rules_of(settings))
        rebuild = time.perf_counter() - t0
        reads: list[float] = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            release.regional_release(
                sessions, PUBLIC, settings.region, GwpSet.AR6, release.rules_of(settings)
            )
            reads.append((time.perf_counter() - t0) * 1000)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(create_app(settings, engine), port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}/inventory/region?gwp={GwpSet.AR6.value}"
        timings: list[float] = []
        with httpx.Client(timeout=600) as client:
            warm = client.get(url)
            warm.raise_for_status()
            if "region-table" not in warm.text:
                raise SystemExit("the regional page did not render its table")
            for _ in range(args.runs):
                t0 = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - t0) * 1000)
                response.raise_for_status()
        server.should_exit = True
        thread.join()
    timings.sort()
    median = statistics.median(timings)
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    print(
        f"regional page, {args.organisations:,} organisations × {len(YEARS)} years ({count:,} records): "
        f"median {median:.1f} ms, p95 {p95:.1f} ms over {args.runs} requests; "
        f"target {TARGET_MS:.0f} ms, ratio {median / TARGET_MS:.2f}"
    )
    print(
        f"statement rebuild (row-by-row engine, 3 GWP sets, disclosure control, coverage): {rebuild:.1f} s "
        f"— what a request paid on the old path after every change, ratio to the target "
        f"{rebuild * 1000 / TARGET_MS:,.0f}; seeding {seeded:.1f} s"
    )
    print(
        "stored statement read alone (release.regional_release, in process): "
        f"median {statistics.median(reads):.1f} ms"
    )


if __name__ == "__main__":
    main()
