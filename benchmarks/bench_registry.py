"""Transfers and retirements per second through the registry's service layer in batch mode, on a
SQLite file database configured as the platform configures it (WAL; ``synchronous`` FULL, the
default, and NORMAL, each measured in the same run: ``--synchronous full normal``).

Set-up (not timed): two organisations with registry accounts, a registered removal project (a
benchmark stand-in methodology, so no calculator's figures are involved) and one issuance of
1,000,000 t. Timed: ``movements.apply_batch`` calls of ``--batch`` requests, alternately a transfer of
2 t from the developer to the buyer and a retirement of 1 t by the buyer for a named beneficiary,
each call one transaction with its ``registry.batch`` log entries, committed. Then the ledger audit
(untimed) confirms every entry still matches the stored rows, and conservation is checked.

Prints operations/s and the ratio to the issue's target (≥ 10,000/s), which is the named baseline.
Usage: ``python -m benchmarks.bench_registry [--operations N] [--batch B ...] [--synchronous full normal]``.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from carbonbridge.accounting import service as accounting
from carbonbridge.accounting.model import Organisation, OrganisationKind
from carbonbridge.ledger import service as ledger
from carbonbridge.ledger.cli import register_context_auditors
from carbonbridge.methodologies import catalogue
from carbonbridge.methodologies.model import Calculation, Kind, Line
from carbonbridge.platform.db import SqliteSynchronous, make_engine, session_factory
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.platform.migrate import all_models, upgrade
from carbonbridge.platform.settings import get_settings
from carbonbridge.registry import issuance as issuing
from carbonbridge.registry import reads, service
from carbonbridge.registry.model import AccountKind, ProjectDraft, Retirement, Transfer, Units
from carbonbridge.registry.units import service as movements

TARGET_PER_S = 10_000
ISSUED_T = 1_000_000

REGULATOR = Principal("bench-reg", "Regulator", Role.REGULATOR)
VERIFIER = Principal("bench-ver", "Verifier", Role.VERIFIER)
DEVELOPER = Principal("bench-dev", "Developer", Role.DEVELOPER, "bench-dev")
ADMIN = Principal("bench-admin", "Admin", Role.ADMIN)


@dataclass(frozen=True)
class BenchMethodology:
    id: str = "BENCH"
    version: str = "1"
    kind: Kind = Kind.REMOVAL
    title_en: str = "Benchmark"
    title_zh: str = "基准"

    def calculate(self, parameters: Mapping[str, Any]) -> Calculation:
        net = Decimal(str(parameters["net_t"]))
        line = Line("NET", net, "t CO2e", "-", "net", "净")
        return Calculation("BENCH@1", Kind.REMOVAL, net, net, Decimal(0), Decimal(0), (line,), (), {})

    def example(self) -> Mapping[str, Any]:
        return {"net_t": "1"}


def run(
    directory: Path, operations: int, batch: int, synchronous: SqliteSynchronous
) -> tuple[float, float, int]:
    """Wall-clock and CPU seconds to apply ``operations`` requests in batches; and the log entries
    they made. (SQLite runs in-process, so the CPU time covers the database work too; on a
    shared machine it shows what one core achieves when the wall clock waits for others.)"""
    os.environ["CARBONBRIDGE_DATA_DIR"] = str(directory)
    get_settings.cache_clear()
    all_models()
    engine = make_engine(f"sqlite:///{directory / 'carbonbridge.db'}", synchronous=synchronous)
    upgrade(engine)
    sessions = session_factory(engine)
    ledger.init_log(sessions, get_settings())  # as `carbonbridge migrate` does
    for ident in ("bench-dev", "bench-buyer"):
        org = Organisation(ident, ident, ident, OrganisationKind.OTHER, "CN-HI")
        accounting.register_organisation(sessions, REGULATOR, org, [])
    dev = service.open_accounts(sessions, REGULATOR, "bench-dev")[AccountKind.HOLDING].id
    buyer = service.open_accounts(sessions, REGULATOR, "bench-buyer")[AccountKind.HOLDING].id
    draft = ProjectDraft("BENCH1", "bench-dev", "Bench", "基准", "BENCH@1", "CN-HI", "CCER")
    project, _ = service.draft_project(sessions, DEVELOPER, draft)
    service.validate_project(sessions, VERIFIER, project.id, "ok")
    service.register_project(sessions, REGULATOR, project.id, "ok")
    net = {"net_t": str(ISSUED_T * 10 // 8)}  # 80 % to the developer after the 20 % buffer
    report, _ = service.submit_report(
        sessions, DEVELOPER, project.id, date(2025, 1, 1), date(2025, 12, 31), net
    )
    service.verify_report(sessions, VERIFIER, report.id, "ok")
    issuing.issue(sessions, REGULATOR, report.id)

    requests: list[Transfer | Retirement] = []
    for n in range(operations):
        if n % 2 == 0:
            requests.append(Transfer(Units(dev, project.id, 2025, quantity=2), buyer))
        else:
            requests.append(
                Retirement(Units(buyer, project.id, 2025, quantity=1), f"visitor {n}", "trip offset")
            )
    with sessions() as session:
        size_before = ledger.latest_checkpoint_in(session)[0]
    start, cpu = time.perf_counter(), time.process_time()
    for first in range(0, operations, batch):
        movements.apply_batch(sessions, ADMIN, requests[first : first + batch])
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    with sessions() as session:
        entries = ledger.latest_checkpoint_in(session)[0] - size_before
    register_context_auditors()
    report_ = ledger.audit(sessions)
    if not report_.ok:
        raise SystemExit(f"audit failed: {report_.findings[:3]}")
    tallies = reads.conservation(sessions, project.id)
    if not all(t.balanced for t in tallies) or reads.overlapping_blocks(sessions):
        raise SystemExit("conservation failed")
    engine.dispose()
    return elapsed, cpu, entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=100_000)
    parser.add_argument("--batch", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument(
        "--synchronous",
        nargs="+",
        choices=["full", "normal"],
        default=["full", "normal"],
        help="SQLite's PRAGMA synchronous settings to measure, in turn (default: both)",
    )
    args = parser.parse_args()
    catalogue.installed.cache_clear()
    catalogue.installed = lambda: {"BENCH": BenchMethodology()}  # type: ignore[assignment]
    print(f"sqlite {sqlite3.sqlite_version}, WAL; {args.operations:,} operations")
    rates: dict[tuple[int, str], float] = {}
    for batch in args.batch:
        for synchronous in args.synchronous:
            with tempfile.TemporaryDirectory(prefix="carbonbridge-bench-") as tmp:
                elapsed, cpu, entries = run(Path(tmp), args.operations, batch, synchronous)
            rate = rates[batch, synchronous] = args.operations / elapsed
            print(
                f"batch {batch:>6,}, synchronous={synchronous.upper():<6}: transfers+retirements through "
                f"movements.apply_batch + commit: {elapsed:6.2f} s  {rate:>9,.0f} operations/s "
                f"({entries:,} log entries; {rate / TARGET_PER_S:.2f}× the {TARGET_PER_S:,}/s target: "
                f"{'met' if rate >= TARGET_PER_S else 'NOT met'}); "
                f"{args.operations / cpu:,.0f} operations per CPU-second"
            )
        if {"full", "normal"} <= set(args.synchronous):
            ratio = rates[batch, "full"] / rates[batch, "normal"]
            print(f"batch {batch:>6,}: FULL / NORMAL throughput = {ratio:.2f}")


if __name__ == "__main__":
    main()
