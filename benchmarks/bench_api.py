"""API benchmark (issue 2): compute and return a 1,000-row inventory through the REST API.

Target: median under 300 ms. The app runs in uvicorn on loopback with an embedded SQLite database;
the client posts 1,000 activity rows (drawn from the synthetic demo region: fuels, grid electricity
with and without certificates, refrigerants, travel) to ``POST /api/v1/inventory/compute`` and
reads the whole JSON answer (three framework views and two reconciliations per year). The target
is measured on ``?results=none`` (the inventories only, the answer this target was set for); the
default answer, which adds every record's per-gas masses and trace (about 4.8 MB for 1,000 rows),
is measured and printed beside it.

    python benchmarks/bench_api.py [--rows 1000] [--runs 40] [--results none|gases|trace]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from carbonbridge.demo.region import generate_region
from carbonbridge.ledger.service import init_log
from carbonbridge.platform.app import create_app
from carbonbridge.platform.db import make_engine, session_factory
from carbonbridge.platform.migrate import upgrade
from carbonbridge.platform.settings import Settings


def _rows(n: int) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The first ``n`` records of the demo region (several organisations) and their facilities."""
    region = generate_region()
    records = region.records[:n]
    used = {r.facility_id for r in records}
    rows = [
        {
            "facility_id": r.facility_id,
            "period_start": str(r.period_start),
            "period_end": str(r.period_end),
            "category": r.category.value,
            "activity": r.activity,
            "quantity": str(r.quantity),
            "unit": r.unit,
            "instrument": r.instrument or "",
        }
        for r in records
    ]
    facilities = [
        {"id": f.id, "name": f.name, "region": f.region, "grid_region": f.grid_region}
        for f in region.facilities
        if f.id in used
    ]
    return rows, facilities


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--results", choices=("none", "gases", "trace"), default="none")
    args = parser.parse_args()
    rows, facilities = _rows(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        engine = make_engine(settings.resolved_database_url())
        upgrade(engine)
        init_log(session_factory(engine), settings)  # as `carbonbridge migrate` does
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(create_app(settings, engine), port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        body = {"organisation_kind": "hotel", "facilities": facilities, "rows": rows}
        url = f"http://127.0.0.1:{port}/api/v1/inventory/compute?gwp=AR6&results={args.results}"
        timings: list[float] = []
        with httpx.Client(timeout=60) as client:
            for i in range(args.runs + 3):
                start = time.perf_counter()
                response = client.post(url, json=body)
                response.raise_for_status()
                _ = response.json()
                elapsed = time.perf_counter() - start
                if i >= 3:  # warm-up: imports, factor library load
                    timings.append(elapsed)
        server.should_exit = True
        thread.join(timeout=10)
    median = statistics.median(timings) * 1000
    p95 = sorted(timings)[int(0.95 * (len(timings) - 1))] * 1000
    print(
        f"API inventory of {args.rows} rows (results={args.results}) over {args.runs} runs: "
        f"median {median:.1f} ms, p95 {p95:.1f} ms"
    )
    print(
        f"target: median < 300 ms -> {'met' if median < 300 else 'NOT met'}"
        f" (ratio to target {median / 300:.2f})"
    )


if __name__ == "__main__":
    main()
