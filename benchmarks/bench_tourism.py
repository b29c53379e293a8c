"""Tourist carbon bills and compensations per second through the tourism service, on a SQLite
file database configured as the platform configures it (WAL, ``synchronous`` FULL).

Timed, each in the same run:

1. bills computed in memory (``bill.compute_bill``, the pure core) for the 4-day Hainan trip of
   ``tests/tourism`` (flight PEK-SYX, 4 hotel nights, an electric taxi, a dive, 12 meals);
2. bills computed and stored one booking per call (``service.create_bill``: one transaction and
   one log entry each) — the named peer;
3. the same bookings stored through ``service.create_bills`` in calls of ``--batch`` bookings (one
   transaction, one signed checkpoint per call); the ratio to (2) is printed;
4. compensations, one bill per call (``service.compensate``: the pool's lock, allocation, two
   log entries), from a pool that retired enough whole tonnes through the registry service.

Then the ledger audit (untimed) confirms every entry still matches the stored rows and the pool's
allocated grams equal the compensated bills' grams. The issue's batch-compensation target
(10,000/s) and the 1 M-booking bulk engine are later work; figure (4) is printed beside that target.
Usage: ``python -m benchmarks.bench_tourism [--bookings N] [--batch B]``.
"""

from __future__ import annotations

import argparse
import copy
import os
import tempfile
import time
from datetime import date
from pathlib import Path

from benchmarks.bench_registry import ADMIN, DEVELOPER, REGULATOR, VERIFIER, BenchMethodology

from carbonbridge.accounting import service as accounting
from carbonbridge.accounting.model import Organisation, OrganisationKind
from carbonbridge.ledger import service as ledger
from carbonbridge.ledger.cli import register_context_auditors
from carbonbridge.methodologies import catalogue
from carbonbridge.platform.db import make_engine, session_factory
from carbonbridge.platform.identity import PUBLIC
from carbonbridge.platform.migrate import all_models, upgrade
from carbonbridge.platform.settings import get_settings
from carbonbridge.registry import issuance as issuing
from carbonbridge.registry import service as registry
from carbonbridge.registry.model import AccountKind, ProjectDraft, Transfer, Units
from carbonbridge.registry.units import service as movements
from carbonbridge.tourism import bill, service
from carbonbridge.tourism.parse import parse_trip

COMPENSATION_TARGET_PER_S = 10_000
TRIP = {
    "reference": "BENCH",
    "region": "CN-HI",
    "start": "2025-03-01",
    "end": "2025-03-05",
    "items": [
        {"type": "flight", "origin": "PEK", "destination": "SYX"},
        {"type": "hotel", "country": "CN", "nights": 4},
        {"type": "road", "mode": "taxi", "fuel": "electric", "distance_km": "30"},
        {"type": "activity", "activity": "diving"},
        {"type": "meals", "count": 12},
    ],
}


def _bookings(n: int, prefix: str) -> list[dict[str, object]]:
    out = []
    for i in range(n):
        trip = copy.deepcopy(TRIP)
        trip["reference"] = f"{prefix}-{i}"
        out.append(trip)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=2_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    catalogue.installed.cache_clear()
    catalogue.installed = lambda: {"BENCH": BenchMethodology()}  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        os.environ["CARBONBRIDGE_DATA_DIR"] = str(directory)
        get_settings.cache_clear()
        all_models()
        engine = make_engine(f"sqlite:///{directory / 'carbonbridge.db'}", synchronous="full")
        upgrade(engine)
        sessions = session_factory(engine)
        ledger.init_log(sessions, get_settings())

        ctx = service.bill_context()
        trip = parse_trip(TRIP)
        start = time.perf_counter()
        for _ in range(args.bookings):
            bill.compute_bill(ctx, trip)
        pure = args.bookings / (time.perf_counter() - start)

        start = time.perf_counter()
        for booking in _bookings(args.bookings, "ONE"):
            service.create_bill(sessions, PUBLIC, booking)
        single = args.bookings / (time.perf_counter() - start)

        batched_bookings = _bookings(args.bookings, "BULK")
        start = time.perf_counter()
        stored = []
        for first in range(0, args.bookings, args.batch):
            stored += service.create_bills(sessions, ADMIN, batched_bookings[first : first + args.batch])
        bulk = args.bookings / (time.perf_counter() - start)

        for ident in ("bench-dev", "bench-office"):
            org = Organisation(ident, ident, ident, OrganisationKind.OTHER, "CN-HI")
            accounting.register_organisation(sessions, REGULATOR, org, [])
        dev = registry.open_accounts(sessions, REGULATOR, "bench-dev")[AccountKind.HOLDING].id
        office = registry.open_accounts(sessions, REGULATOR, "bench-office")[AccountKind.HOLDING].id
        draft = ProjectDraft("BENCH1", "bench-dev", "Bench", "基准", "BENCH@1", "CN-HI", "CCER")
        project, _ = registry.draft_project(sessions, DEVELOPER, draft)
        registry.validate_project(sessions, VERIFIER, project.id, "ok")
        registry.register_project(sessions, REGULATOR, project.id, "ok")
        tonnes = sum(b.grams for b in stored) // 1_000_000 + 1
        report, _ = registry.submit_report(
            sessions, DEVELOPER, project.id, date(2025, 1, 1), date(2025, 12, 31), {"net_t": str(tonnes * 2)}
        )
        registry.verify_report(sessions, VERIFIER, report.id, "ok")
        issuing.issue(sessions, REGULATOR, report.id)
        movements.transfer(
            sessions, DEVELOPER, Transfer(Units(dev, project.id, 2025, quantity=tonnes), office)
        )
        pool = service.open_pool(sessions, REGULATOR, "bench pool", "bench-office", 8_000)
        service.retire_into_pool(sessions, ADMIN, pool.id, project.id, 2025, tonnes)

        start = time.perf_counter()
        for n, b in enumerate(stored):
            service.compensate(sessions, ADMIN, b.id, pool.id, f"PAY-{n}")
        compensations = len(stored) / (time.perf_counter() - start)

        register_context_auditors()
        audit = ledger.audit(sessions)
        allocated, retired = service.pool_balance(sessions, pool.id)
        if not audit.ok or allocated != sum(b.grams for b in stored) or allocated > retired:
            raise SystemExit(
                f"check failed: audit {audit.findings[:3]}, allocated {allocated}, retired {retired}"
            )
        engine.dispose()

    print(f"bills computed in memory:          {pure:10.0f} /s")
    print(f"bills stored, one per call (peer): {single:10.0f} /s")
    print(f"bills stored, {args.batch} per call:        {bulk:10.0f} /s  ({bulk / single:.1f}x the peer)")
    print(
        f"compensations, one per call:       {compensations:10.0f} /s  "
        f"({compensations / COMPENSATION_TARGET_PER_S:.2f}x the batch target {COMPENSATION_TARGET_PER_S}/s)"
    )
    print(
        f"ledger audit: ok over {audit.entries} entries; pool allocated {allocated} g of {retired} g retired"
    )


if __name__ == "__main__":
    main()
