"""Regional dashboard benchmark (issue 10 §3): ``GET /inventory/region`` for 100,000 organisations
× 3 years answers in under 100 ms (median); one organisation's change applied incrementally
against a full rebuild, in the same run.

The database (SQLite file, as embedded) is seeded with bulk inserts, not through the API: N
organisations, each modelled on one of the demo region's 50 (its kind, one facility, the first
activity record of each of 2023-2025 with the quantity scaled by one of 97 factors), so N × 3
current records, and the region's population and GDP. Their **contributions** are computed in
bulk, exactly: the engine computes each distinct (model organisation, year, scale) once (at most
50 × 3 × 97 records per GWP set, the real ``upkeep.contributions_from``) and the rows are copied
to every organisation that has those inputs (the engine is deterministic in them), inserted in
bulk; the statement is then summed from them (``upkeep.store_statement``). Then:

1. the page is fetched from the real app in uvicorn on loopback, as the public, ``--runs`` times
   after one warm-up;
2. one organisation's change, ``--changes`` times (each a different organisation): a one-record
   upload through ``service.submit_records`` (intake, log entry, contributions and statement in
   its transaction), and ``upkeep.apply_change`` alone;
3. the full rebuild (``release.rebuild_regional_statement``: the row-by-row engine for every
   record under every GWP set, then the statement) -- and its statement is compared with the one
   the incremental changes left: they must be equal, figure for figure.

    python benchmarks/bench_regional.py [--organisations 100000] [--runs 50] [--changes 5]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import threading
import time
from dataclasses import asdict, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import service, store
from carbonbridge.accounting.model import ActivityRecord, Organisation
from carbonbridge.accounting.service import release, upkeep
from carbonbridge.accounting.stored_statement import decode_header, decode_year
from carbonbridge.demo.region import generate_region
from carbonbridge.demo.service.load import LOADER
from carbonbridge.factors.model import GwpSet
from carbonbridge.factors.service import library_in
from carbonbridge.ledger.service import init_log, keys
from carbonbridge.platform.app import create_app
from carbonbridge.platform.db import make_engine, session_factory, unit_of_work
from carbonbridge.platform.identity import PUBLIC
from carbonbridge.platform.migrate import upgrade
from carbonbridge.platform.settings import Settings

TARGET_MS = 100.0
YEARS = (2023, 2024, 2025)
CHUNK = 20_000


def _models() -> tuple[list[Organisation], dict[tuple[str, int], ActivityRecord], dict[str, object]]:
    demo = generate_region()
    firsts: dict[tuple[str, int], ActivityRecord] = {}
    for r in demo.records:
        firsts.setdefault((r.organisation_id, r.year), r)
    models = [o for o in demo.organisations if all((o.id, y) in firsts for y in YEARS)]
    grid = {f.organisation_id: f for f in demo.facilities}
    return models, firsts, grid  # type: ignore[return-value]


def _scale(i: int) -> Decimal:
    return Decimal(100 + i % 97) / 100


def _seed(engine: object, n: int) -> int:
    """N organisations × 3 years of records, by bulk insert (returns the number of records)."""
    models, firsts, grid = _models()
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
            {"id": fid, "organisation_id": oid, "name": "site", "region": site.region,  # type: ignore[attr-defined]
             "grid_region": site.grid_region}  # type: ignore[attr-defined]
        )  # fmt: skip
        submissions.append(
            {"id": sid, "organisation_id": oid, "filename": "bench.csv", "sha256": "0" * 64, "row_count": 3,
             "submitted_by": "", "submitted_at": now, "submitted_by_name": "bench", "replaces": None,
             "log_index": None}
        )  # fmt: skip
        for y in YEARS:
            r = firsts[(model.id, y)]
            records.append(
                {"id": f"{oid}-{y}", "submission_id": sid, "organisation_id": oid, "facility_id": fid,
                 "period_start": r.period_start, "period_end": r.period_end, "year": y,
                 "category": r.category.value, "activity": r.activity, "quantity": r.quantity * _scale(i),
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


def _seed_contributions(sessions: sessionmaker[Session], n: int) -> int:
    """Every organisation's contribution rows, computed in bulk and exactly: the engine computes
    each distinct (model, year, scale) record once; its rows are copied to the organisations with
    those inputs. Returns the number of rows inserted."""
    models, firsts, _ = _models()
    with unit_of_work(sessions) as session:
        library = library_in(session)
    distinct: dict[tuple[int, int], list[dict[str, object]]] = {}
    values: list[dict[str, object]] = []
    for i in range(n):
        m, k = i % len(models), i % 97
        if (m, k) not in distinct:
            model = models[m]
            own = [
                replace(firsts[(model.id, y)], quantity=firsts[(model.id, y)].quantity * _scale(i))
                for y in YEARS
            ]
            rows, exclusions = upkeep.contributions_from([model], own, library)
            if exclusions:
                raise SystemExit(f"a model record cannot be computed: {exclusions[0]}")
            distinct[(m, k)] = [asdict(c) for c in rows]
        oid = f"bench-{i:06d}"
        values += [{**row, "organisation_id": oid} for row in distinct[(m, k)]]
    with unit_of_work(sessions) as session:
        store.insert_contributions(session, values)
    return len(values)


def _change(sessions: sessionmaker[Session], i: int) -> tuple[float, float]:
    """One organisation's change: a one-record upload through the use case (its transaction
    updates the contributions and the statement), then ``apply_change`` alone; seconds each."""
    models, firsts, _ = _models()
    model = models[i % len(models)]
    r = firsts[(model.id, 2024)]
    oid = f"bench-{i:06d}"
    day = date(2024, 6, 15)
    record = replace(
        r, id=f"{oid}-extra", organisation_id=oid, facility_id=f"{oid}-f", period_start=day, period_end=day
    )
    t0 = time.perf_counter()
    service.submit_records(sessions, LOADER, oid, [record], source="bench")
    upload = time.perf_counter() - t0
    t0 = time.perf_counter()
    with unit_of_work(sessions) as session:
        store.bump_regional_version(session)
        upkeep.apply_change(session, [oid])
    return upload, time.perf_counter() - t0


def _bodies(sessions: sessionmaker[Session], region: str) -> dict[tuple[str, int], object]:
    with unit_of_work(sessions) as session:
        return {(r.gwp, r.year): decode(r) for r in store.regional_statement_rows(session, region)}


def decode(row: store.RegionalStatementRow) -> object:
    return decode_header(row.body) if row.year == 0 else decode_year(row.body)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--organisations", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--changes", type=int, default=5)
    parser.add_argument("--no-full-rebuild", action="store_true", help="skip the full rebuild (minutes)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        engine = make_engine(settings.resolved_database_url())
        upgrade(engine)
        sessions = session_factory(engine)
        init_log(sessions, settings)  # as `carbonbridge migrate` does
        keys.use_settings(settings)  # this process signs with that key, as the server will
        rules = release.rules_of(settings)
        t0 = time.perf_counter()
        count = _seed(engine, args.organisations)
        seeded_records = time.perf_counter() - t0
        t0 = time.perf_counter()
        contributions = _seed_contributions(sessions, args.organisations)
        seeded_contributions = time.perf_counter() - t0
        for year, population, gdp in (
            (2023, 1_020_000, 5.1e6),
            (2024, 1_030_000, 5.4e6),
            (2025, 1_040_000, 5.7e6),
        ):
            service.set_region_statistics(
                sessions, LOADER, settings.region, year, population, Decimal(str(gdp)), synthetic=True,
                source="bench",
            )  # fmt: skip
        t0 = time.perf_counter()
        with unit_of_work(sessions) as session:  # the contributions are current: mark them so, sum them
            store.lock_regional(session)
            digest = release.factors_digest(library_in(session))
            now = datetime.now(UTC)
            store.claim_rebuild(session, "bench", now, now)
            upkeep.summarise_all(session, rules)
            upkeep.store_statement(session, settings.region, rules, digest, None)
            store.finish_rebuild(session, "bench", digest, now)
        summed = time.perf_counter() - t0
        reads: list[float] = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            result = release.regional_release(sessions, PUBLIC, settings.region, GwpSet.AR6, rules)
            reads.append((time.perf_counter() - t0) * 1000)
        if result.stale_since is not None:
            raise SystemExit("the seeded statement reads as stale")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
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
            f"target {TARGET_MS:.0f} ms, ratio {median / TARGET_MS:.2f}",
            flush=True,
        )
        print(
            "stored statement read alone (release.regional_release, in process): "
            f"median {statistics.median(reads):.1f} ms",
            flush=True,
        )
        print(
            f"seeding: records {seeded_records:.1f} s; {contributions:,} contribution rows computed in bulk "
            f"{seeded_contributions:.1f} s; statement summed from them {summed:.1f} s",
            flush=True,
        )
        uploads, applies = [], []
        for k in range(args.changes):
            upload, apply = _change(sessions, 1 + k * (args.organisations // max(args.changes, 1)))
            uploads.append(upload)
            applies.append(apply)
        incremental = statistics.median(applies)
        print(
            f"one organisation's change, median of {args.changes}: upload use case "
            f"{statistics.median(uploads):.2f} s (intake, log entry, contributions, statement: one "
            f"transaction); apply_change alone "
            f"{incremental:.2f} s",
            flush=True,
        )
        if args.no_full_rebuild:
            return
        before = _bodies(sessions, settings.region)
        t0 = time.perf_counter()
        release.rebuild_regional_statement(sessions, settings.region, rules)
        rebuild = time.perf_counter() - t0
        after = _bodies(sessions, settings.region)
        print(
            f"full rebuild (row-by-row engine for {count + args.changes:,} records × 3 GWP sets, then the "
            f"statement): {rebuild:.1f} s; incremental change / full rebuild = "
            f"1 : {rebuild / incremental:,.0f}; "
            f"incremental statement {'equals' if before == after else 'DIFFERS FROM'} the full rebuild",
            flush=True,
        )
        if before != after:
            raise SystemExit("the incrementally kept statement differs from the full rebuild")


if __name__ == "__main__":
    main()
