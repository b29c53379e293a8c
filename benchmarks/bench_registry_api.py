"""REST benchmark (issue 4): p99 latency of a single retirement through the API under 50
concurrent clients. Target: p99 < 50 ms.

The platform runs in uvicorn in a subprocess (one process by default; ``--workers N`` for N
worker processes) on an embedded SQLite file (default) or on a fresh PostgreSQL database
(``--postgres [ADMIN_URL]``, created and dropped by the run); the setup (through the service,
in this process) issues 200,000 t of demand-response credits (DR-AVOIDED: 239,234 MWh × 0.836
t/MWh) to a developer's holding account. Then 50 clients (httpx, asyncio) each send
``--per-client`` retirements of 1 t from that one account, one after the other, and the latency
of every request is recorded (send to last byte). All retirements draw on the same account, the
worst case: the registry serialises writers on the account's row (SQLite: the database write
lock), so the figure is essentially queueing behind the other 49 clients. Timings are noisy on a
shared machine; the load at the time is printed.

    python -m benchmarks.bench_registry_api [--clients 50] [--per-client 40] [--wrk SECONDS]
        [--workers N] [--postgres [ADMIN_URL]] [--rate REQ_PER_S]

With ``--wrk`` (the default, 15 s, when the ``wrk`` program is installed: Debian package ``wrk``)
the same server is then loaded by wrk with ``--clients`` connections, closed loop: a C client that
leaves the cores to the server, so its figure is the server's own; the httpx figure includes the
Python client's share of the two cores. Several workers on SQLite contend for its one write lock
with its busy-wait back-off (sleeps of 1 to 100 ms): use them on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import httpx

from carbonbridge.accounting import service as accounting
from carbonbridge.accounting.model import Organisation, OrganisationKind
from carbonbridge.platform.db import make_engine, session_factory, unit_of_work
from carbonbridge.platform.identity import Principal, Role, create_user, issue_token
from carbonbridge.platform.migrate import upgrade
from carbonbridge.platform.settings import Settings
from carbonbridge.registry import service
from carbonbridge.registry.model import AccountKind, ProjectDraft

TARGET_P99_MS = 50.0
OFFICE = Principal("bench-office", "office", Role.REGULATOR)
DEVELOPER = Principal("bench-dev", "developer", Role.DEVELOPER, "bench-dev")
VERIFIER = Principal("bench-ver", "verifier", Role.VERIFIER)

SERVER = """
import sys, uvicorn
from pathlib import Path
from carbonbridge.platform.app import create_app
from carbonbridge.platform.db import make_engine
from carbonbridge.platform.settings import Settings
settings = Settings(data_dir=Path(sys.argv[1]), database_url=sys.argv[3])
app = create_app(settings, make_engine(settings.resolved_database_url()))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
"""


def server_command(
    data: Path, port: int, database_url: str, workers: int
) -> tuple[list[str], dict[str, str]]:
    """One uvicorn process (the app built here), or ``workers`` worker processes, each building
    the app from the environment (uvicorn's ``--factory``)."""
    if workers == 1:
        return [sys.executable, "-c", SERVER, str(data), str(port), database_url], dict(os.environ)
    env = {**os.environ, "CARBONBRIDGE_DATA_DIR": str(data), "CARBONBRIDGE_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "uvicorn", "carbonbridge.platform.app:create_app", "--factory"]
    command += ["--workers", str(workers), "--host", "127.0.0.1", "--port", str(port)]
    return [*command, "--log-level", "warning", "--no-access-log"], env


def fresh_postgres(admin_url: str) -> tuple[str, Callable[[], None]]:
    """A new, empty database on the server of ``admin_url`` (trust auth) and its drop."""
    import psycopg

    name = f"cb_bench_registry_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    base = admin_url.rpartition("/")[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}", drop


def setup(data: Path, database_url: str = "") -> tuple[str, str, str]:
    """The database with the credits; returns (token, holding account id, project id)."""
    settings = Settings(data_dir=data, database_url=database_url)
    engine = make_engine(settings.resolved_database_url())
    upgrade(engine)
    sessions = session_factory(engine)
    org = Organisation("bench-dev", "Bench VPP", "基准虚拟电厂", OrganisationKind.OTHER, "CN-HI")
    accounting.register_organisation(sessions, OFFICE, org, [])
    holding = service.open_accounts(sessions, OFFICE, org.id)[AccountKind.HOLDING]
    draft = ProjectDraft("DR001", org.id, "Demand response", "需求响应", "DR-AVOIDED", "CN-HI", "CCER", {})
    project, _ = service.draft_project(sessions, DEVELOPER, draft)
    service.validate_project(sessions, VERIFIER, project.id, "ok")
    service.register_project(sessions, OFFICE, project.id, "ok")
    parameters = {
        "regulated_energy_mwh": "239234",
        "grid_factor": {"value": "0.836", "unit": "t CO2/MWh", "source": "benchmark"},
    }
    report, _ = service.submit_report(
        sessions, DEVELOPER, project.id, date(2025, 1, 1), date(2025, 12, 31), parameters
    )
    service.verify_report(sessions, VERIFIER, report.id, "ok")
    service.issue(sessions, OFFICE, report.id)
    with unit_of_work(sessions) as session:
        user = create_user(session, username="bench", role=Role.DEVELOPER, organisation_id=org.id)
        token = issue_token(session, user)
    engine.dispose()
    return token, holding.id, project.id


async def client(
    http: httpx.AsyncClient,
    body: dict[str, object],
    n: int,
    timings: list[float],
    failures: list[str],
    interval: float = 0.0,
) -> None:
    """``n`` retirements one after the other; with ``interval`` > 0, one every ``interval``
    seconds (open loop) instead of as fast as answers come back (closed loop)."""
    next_at = time.perf_counter()
    for i in range(n):
        if interval:
            await asyncio.sleep(
                interval * random.random() if i == 0 else max(0.0, next_at - time.perf_counter())
            )
        start = time.perf_counter()
        next_at = start + interval
        response = await http.post("/api/v1/registry/retirements", json=body)
        timings.append((time.perf_counter() - start) * 1000)
        if response.status_code != 201:
            failures.append(f"{response.status_code} {response.text[:200]}")


async def run(
    port: int, token: str, body: dict[str, object], clients: int, per_client: int, rate: float
) -> tuple[list[float], list[str], float]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers=headers, limits=limits, timeout=60
    ) as http:
        warm: list[float] = []
        await asyncio.gather(*(client(http, body, 2, warm, []) for _ in range(clients)))
        timings: list[float] = []
        failures: list[str] = []
        start = time.perf_counter()
        interval = clients / rate if rate else 0.0
        await asyncio.gather(
            *(client(http, body, per_client, timings, failures, interval) for _ in range(clients))
        )
        return timings, failures, time.perf_counter() - start


def measure(
    data: Path, database_url: str, args: argparse.Namespace
) -> tuple[list[float], list[str], float, str]:
    """Set up, start the server, run the httpx clients then wrk; stop the server."""
    token, account, project = setup(data, database_url)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    command, env = server_command(data, port, database_url, args.workers)
    server = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.1)
        body: dict[str, object] = {
            "account_id": account,
            "project_id": project,
            "vintage": 2025,
            "quantity": 1,
            "beneficiary": "benchmark",
            "purpose": "latency",
        }
        timings, failures, elapsed = asyncio.run(
            run(port, token, body, args.clients, args.per_client, args.rate)
        )
        wrk_report = run_wrk(port, token, body, args.clients, args.wrk, data) if args.wrk else ""
    finally:
        server.terminate()
        server.wait(timeout=30)
    return timings, failures, elapsed, wrk_report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--per-client", type=int, default=40)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="total requests/s (open loop); 0 = closed loop (default)"
    )
    parser.add_argument("--wrk", type=float, default=15.0, help="seconds of wrk load after httpx; 0 = skip")
    parser.add_argument(
        "--postgres",
        nargs="?",
        const="postgresql://postgres@127.0.0.1:5432/test",
        default="",
        metavar="ADMIN_URL",
        help="run on a fresh PostgreSQL database created through ADMIN_URL (default: embedded SQLite)",
    )
    args = parser.parse_args()
    database_url, drop = fresh_postgres(args.postgres) if args.postgres else ("", lambda: None)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            timings, failures, elapsed, wrk_report = measure(Path(tmp), database_url, args)
    finally:
        drop()
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[min(len(timings) - 1, int(0.99 * len(timings)))]
    load = os.getloadavg()
    mode = f"open loop at {args.rate:g} req/s" if args.rate else "closed loop"
    mode += f", {args.workers} uvicorn worker{'s' if args.workers > 1 else ''}"
    mode += ", PostgreSQL" if args.postgres else ", embedded SQLite"
    met = "met" if p99 < TARGET_P99_MS else "NOT met"
    print(f"retirements via REST: {len(timings)} requests, {args.clients} concurrent clients ({mode})")
    print(f"  {len(failures)} failed · {len(timings) / elapsed:.0f} req/s")
    print(f"  p50 {p50:.1f} ms · p99 {p99:.1f} ms · max {timings[-1]:.1f} ms")
    print(f"  target p99 < {TARGET_P99_MS:.0f} ms: ratio p99/target = {p99 / TARGET_P99_MS:.2f} ({met})")
    print(
        f"  load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs (shared: noisy)"
    )
    if failures:
        print("  first failure:", failures[0])
    if wrk_report:
        print(wrk_report)


def run_wrk(port: int, token: str, body: dict[str, object], clients: int, seconds: float, tmp: Path) -> str:
    """Closed-loop load from wrk (``clients`` connections, one thread); its latency percentiles
    and the same target line, or why it did not run."""
    if shutil.which("wrk") is None:
        return "wrk: not installed (apt-get install wrk); skipped"
    script = tmp / "retire.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = [[{json.dumps(body)}]]\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        "done = function(summary, latency, requests)\n"
        '  io.write(string.format("WRK %d %d %d %.1f %.1f %.1f %.1f\\n", summary.requests,\n'
        "    summary.errors.status, summary.duration, latency:percentile(50) / 1000,\n"
        "    latency:percentile(99) / 1000, latency.max / 1000, summary.requests / summary.duration * 1e6))\n"
        "end\n",
        encoding="utf-8",
    )
    url = f"http://127.0.0.1:{port}/api/v1/registry/retirements"
    out = subprocess.run(
        ["wrk", "-t1", f"-c{clients}", f"-d{seconds:g}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("WRK "))
    requests, bad, _, p50, p99, worst, rate = line.split()[1:]
    met = "met" if float(p99) < TARGET_P99_MS else "NOT met"
    return (
        f"retirements via REST, wrk: {requests} requests in {seconds:g} s, "
        f"{clients} connections (closed loop)\n"
        f"  {bad} non-2xx · {float(rate):.0f} req/s\n"
        f"  p50 {float(p50):.1f} ms · p99 {float(p99):.1f} ms · max {float(worst):.1f} ms\n"
        f"  target p99 < {TARGET_P99_MS:.0f} ms: ratio p99/target = {float(p99) / TARGET_P99_MS:.2f} ({met})"
    )


if __name__ == "__main__":
    main()
