"""Activity-data intake of one large upload: parse, validate, screen for computability, store.

One organisation with 50 facilities uploads a CSV of 200,000 daily rows for 2025 (11 activities
per facility and day: fuels in t and Nm3, road diesel, grid electricity with and without a certificate,
heat, refrigerants, clinker, a flight and waste), the largest upload ``intake.MAX_ROWS`` allows.
Timed, best of ``--runs``:

(a) ``intake.parse_upload`` alone (decode, header, every row's rules), as every upload pays;
(b) the same with the computability screen the service adds (``accounting.computability``:
    the engine's own calculation once per distinct activity/unit/region/year key, under every
    GWP set and framework), when this version has it;
(c) the whole use case ``service.submit_upload`` on a SQLite file (parse, screen, duplicate
    check, insert, the log entry), once.

Times are CPU seconds of this process (the benchmark machine may be shared); (c) also prints the
wall-clock time. Prints each time and (b)/(a).

    python -m benchmarks.bench_intake [--rows N] [--runs R]
"""

from __future__ import annotations

import argparse
import inspect
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from carbonbridge.accounting import intake, service
from carbonbridge.accounting.model import Facility, Organisation, OrganisationKind
from carbonbridge.platform.db import make_engine, session_factory
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.platform.migrate import upgrade

ORG = "bench-org"
ACTIVITIES = (
    ("stationary_combustion", "fuel.natural_gas", "Nm3", ""),
    ("stationary_combustion", "fuel.diesel", "t", ""),
    ("mobile_combustion", "mobile.diesel", "t", ""),
    ("purchased_electricity", "electricity.grid", "kWh", ""),
    ("purchased_electricity", "electricity.grid", "kWh", "GEC"),
    ("purchased_heat", "heat.purchased", "GJ", ""),
    ("refrigerant", "refrigerant.R-410A", "kg", ""),
    ("refrigerant", "refrigerant.HFC-134a", "kg", ""),
    ("process", "process.clinker", "t", ""),
    ("business_travel", "travel.flight.long_haul.economy", "passenger_km", ""),
    ("waste", "waste.commercial_industrial.landfill", "t", ""),
)


def upload(rows: int) -> tuple[bytes, list[Facility]]:
    """A CSV of ``rows`` distinct daily rows and the facilities it names."""
    facilities = [
        Facility(f"{ORG}-f{n:02d}", ORG, f"site {n}", "CN-HI", "CN-GRID-SOUTH") for n in range(1, 51)
    ]
    lines = ["facility_id,period_start,period_end,category,activity,quantity,unit,instrument,note"]
    day = date(2025, 1, 1)
    while len(lines) <= rows:
        for facility in facilities:
            for n, (category, activity, unit, instrument) in enumerate(ACTIVITIES):
                if len(lines) > rows:
                    break
                quantity = f"{(n + 1) * 3 + day.day}.{day.month:02d}"
                lines.append(
                    f"{facility.id},{day},{day},{category},{activity},{quantity},{unit},{instrument},"
                )
        day += timedelta(days=1)
    return ("\n".join(lines) + "\n").encode(), facilities


def best_of(runs: int, job: Callable[[], object]) -> float:
    """Best CPU time of ``runs`` (the machine may be shared: CPU time is what the job costs)."""
    times = []
    for _ in range(runs):
        start = time.process_time()
        job()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data, facilities = upload(args.rows)
    sites = {f.id: f for f in facilities}
    print(f"upload: {args.rows} rows, {len(data) / 1e6:.1f} MB CSV")
    parse = best_of(
        args.runs,
        lambda: intake.parse_upload("bench.csv", data, organisation_id=ORG, facilities=sites),
    )
    print(f"(a) parse and validate: {parse:.2f} s ({args.rows / parse:,.0f} rows/s)")
    if "screen" in inspect.signature(intake.parse_upload).parameters:
        from carbonbridge.factors.service import shipped_library

        library = shipped_library()
        organisation = Organisation(ORG, "Bench", "基准", OrganisationKind.COMMERCIAL, "CN-HI")

        def screened() -> object:
            screen = service.screen_for(library, organisation)
            return intake.parse_upload(
                "bench.csv", data, organisation_id=ORG, facilities=sites, screen=screen
            )

        with_screen = best_of(args.runs, screened)
        print(
            f"(b) parse, validate and screen: {with_screen:.2f} s ({args.rows / with_screen:,.0f} rows/s);"
            f" screen costs {100 * (with_screen / parse - 1):+.1f} %"
        )
    else:
        print("(b) this version has no computability screen")
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        sessions = session_factory(engine)
        admin = Principal("bench", "bench", Role.ADMIN)
        organisation = Organisation(ORG, "Bench", "基准", OrganisationKind.COMMERCIAL, "CN-HI")
        service.register_organisation(sessions, admin, organisation, facilities)
        start, wall = time.process_time(), time.perf_counter()
        result = service.submit_upload(sessions, admin, ORG, "bench.csv", data)
        stored, wall = time.process_time() - start, time.perf_counter() - wall
        engine.dispose()
    rate = result.rows / stored
    print(
        f"(c) submit_upload to SQLite: {stored:.2f} s CPU ({wall:.2f} s wall) for {result.rows} rows "
        f"({rate:,.0f} rows/s)"
    )


if __name__ == "__main__":
    main()
