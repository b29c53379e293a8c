"""REST benchmark (issue 4): p99 latency of a single retirement through the API under 50
concurrent clients. Target: p99 < 50 ms.

The platform runs as ``carbonbridge serve --no-access-log`` in a subprocess (one process by
default; ``--workers N`` for N uvicorn worker processes) on an embedded SQLite file (default)
or on a fresh PostgreSQL database (``--postgres [ADMIN_URL]``, created and dropped by the run);
the setup (through the service, in this process) issues 200,000 t of demand-response credits
(DR-AVOIDED: 239,234 MWh × 0.836 t/MWh) to a developer's holding account. Then wrk (a C load
generator, one thread) keeps 50 connections retiring 1 t each from that one account for
``--wrk`` seconds, each sending again as soon as answered (closed loop; wrk leaves the cores to
the server, so the figure is the server's own). With ``--per-client N``, 50 httpx clients first
send N retirements each, their latency recorded from send to last byte (that Python client
shares the two cores with the server: its figure includes its own CPU time); without wrk they
are the measurement. All retirements draw on the same account, the worst case: the registry
serialises writers on the account's row (SQLite: the database write lock), so the figure is
essentially queueing behind the other 49 clients. Afterwards the run counts the retired tonnes
in the registry against the retirements answered 201. Timings are noisy on a shared machine;
the load at the time is printed.

    python -m benchmarks.bench_registry_api [--clients 50] [--wrk SECONDS] [--per-client N]
        [--workers N] [--postgres [ADMIN_URL]] [--rate REQ_PER_S] [--synchronous full normal]

On SQLite the run measures each ``--synchronous`` setting in turn (default: FULL, the platform's
default, then NORMAL; ``CARBONBRIDGE_SQLITE_SYNCHRONOUS`` for the server) and prints the ratio of
their throughputs and p99s; on PostgreSQL it prints the server's ``synchronous_commit``.

Several workers on SQLite contend for its one write lock with its busy-wait back-off (sleeps of
1 to 100 ms): use them on PostgreSQL.
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
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx

from carbonbridge.accounting import service as accounting
from carbonbridge.accounting.model import Organisation, OrganisationKind
from carbonbridge.ledger import keys
from carbonbridge.ledger.service import init_log
from carbonbridge.platform.db import make_engine, session_factory, unit_of_work
from carbonbridge.platform.identity import Principal, Role, create_user, issue_token
from carbonbridge.platform.migrate import upgrade
from carbonbridge.platform.settings import Settings
from carbonbridge.registry import issuance as issuing
from carbonbridge.registry import reads, service
from carbonbridge.registry.model import AccountKind, ProjectDraft, UnitState

TARGET_P99_MS = 50.0
OFFICE = Principal("bench-office", "office", Role.REGULATOR)
DEVELOPER = Principal("bench-dev", "developer", Role.DEVELOPER, "bench-dev")
VERIFIER = Principal("bench-ver", "verifier", Role.VERIFIER)


def server_command(
    data: Path,
    port: int,
    database_url: str,
    workers: int,
    synchronous: str = "full",
    request_log: bool = False,
) -> tuple[list[str], dict[str, str]]:
    """The platform's own ``carbonbridge serve`` (which tunes the garbage collector for serving,
    ``platform.app.prepare_for_serving``), settings from the environment; ``workers`` uvicorn
    worker processes; SQLite's ``synchronous``; the request log (one JSON line per request, to
    the server's log file) only if ``request_log``."""
    env = {**os.environ, "CARBONBRIDGE_DATA_DIR": str(data), "CARBONBRIDGE_DATABASE_URL": database_url}
    if synchronous in ("full", "normal"):  # SQLite's; a PostgreSQL run passes its label
        env["CARBONBRIDGE_SQLITE_SYNCHRONOUS"] = synchronous
    command = [sys.executable, "-c", "from carbonbridge.platform.cli import main; main()", "serve"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    command += [] if request_log else ["--no-access-log"]
    return command, env


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
    init_log(sessions, settings)  # as `carbonbridge migrate` does
    keys.use_settings(settings)  # this process signs with that key, as the server will
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
    issuing.issue(sessions, OFFICE, report.id)
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
) -> tuple[list[float], list[str], float, int]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers=headers, limits=limits, timeout=60
    ) as http:
        warm: list[float] = []
        warm_failures: list[str] = []
        await asyncio.gather(*(client(http, body, 2, warm, warm_failures) for _ in range(clients)))
        if warm_failures:
            raise RuntimeError(f"warm-up retirement refused: {warm_failures[0]}")
        timings: list[float] = []
        failures: list[str] = []
        start = time.perf_counter()
        interval = clients / rate if rate else 0.0
        await asyncio.gather(
            *(client(http, body, per_client, timings, failures, interval) for _ in range(clients))
        )
        return timings, failures, time.perf_counter() - start, len(warm)


@dataclass
class Outcome:
    """What one run measured: the httpx phase (if any), wrk's report (if run), how many
    retirements were answered 201, and how many the registry holds as retired afterwards."""

    timings: list[float]
    failures: list[str]
    elapsed: float
    wrk_report: str
    answered: int
    retired: int
    wrk_figure: tuple[float, float] = (0.0, 0.0)  # requests/s, p99 ms
    wrk_cpu_seconds: float = 0.0  # the server's processes during wrk's run


def measure(data: Path, database_url: str, args: argparse.Namespace, synchronous: str = "full") -> Outcome:
    """Set up, start the server, warm up, run the httpx clients (if asked) then wrk; stop the
    server; count the retired tonnes in the registry."""
    token, account, project = setup(data, database_url)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    command, env = server_command(data, port, database_url, args.workers, synchronous, args.request_log)
    log = (data / "server.log").open("wb")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    output = (data / "server.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"the server did not start:\n{output}") from None
                time.sleep(0.1)
        body: dict[str, object] = {
            "account_id": account,
            "project_id": project,
            "vintage": 2025,
            "quantity": 1,
            "beneficiary": "benchmark",
            "purpose": "latency",
        }
        per_client = args.per_client if args.wrk and shutil.which("wrk") else max(args.per_client, 40)
        timings, failures, elapsed, warmed = asyncio.run(
            run(port, token, body, args.clients, per_client, args.rate)
        )
        cpu_before = server_cpu_seconds(server.pid)
        wrk_report, wrk_answered, wrk_figure = (
            run_wrk(port, token, body, args.clients, args.wrk, data) if args.wrk else ("", 0, (0.0, 0.0))
        )
        cpu = server_cpu_seconds(server.pid) - cpu_before
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    settings = Settings(data_dir=data, database_url=database_url)
    engine = make_engine(settings.resolved_database_url())
    [tally] = reads.conservation(session_factory(engine), project)
    engine.dispose()
    answered = warmed + len(timings) - len(failures) + wrk_answered
    retired = tally.by_state.get(UnitState.RETIRED, 0)
    return Outcome(timings, failures, elapsed, wrk_report, answered, retired, wrk_figure, cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--per-client",
        type=int,
        default=0,
        help="retirements per httpx client before wrk (default 0: wrk only; 40 when wrk is absent)",
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="httpx total requests/s (open loop); 0 = closed loop"
    )
    parser.add_argument("--wrk", type=float, default=15.0, help="seconds of wrk load; 0 = skip")
    parser.add_argument(
        "--postgres",
        nargs="?",
        const="postgresql://postgres@127.0.0.1:5432/test",
        default="",
        metavar="ADMIN_URL",
        help="run on a fresh PostgreSQL database created through ADMIN_URL (default: embedded SQLite)",
    )
    parser.add_argument(
        "--synchronous",
        nargs="+",
        choices=["full", "normal"],
        default=["full", "normal"],
        help="SQLite's PRAGMA synchronous settings to measure, in turn (default: both; SQLite only)",
    )
    parser.add_argument(
        "--request-log",
        action="store_true",
        help="serve with the request log on (a JSON line per request to the server's log file)",
    )
    args = parser.parse_args()
    figures: dict[str, tuple[float, float]] = {}
    for synchronous in ["postgres"] if args.postgres else args.synchronous:
        database_url, drop = fresh_postgres(args.postgres) if args.postgres else ("", lambda: None)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                outcome = measure(Path(tmp), database_url, args, synchronous)
                commit = postgres_commit_setting(database_url) if args.postgres else ""
        finally:
            drop()
        figures[synchronous] = report(outcome, args, synchronous, commit)
    if {"full", "normal"} <= figures.keys() and all(figures.values()):
        (full_rate, full_p99), (normal_rate, normal_p99) = figures["full"], figures["normal"]
        print(
            f"synchronous FULL / NORMAL: throughput {full_rate / normal_rate:.2f}×, "
            f"p99 {full_p99 / normal_p99:.2f}× ({full_rate:.0f} vs {normal_rate:.0f} req/s; "
            f"p99 {full_p99:.1f} vs {normal_p99:.1f} ms)"
        )


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and its children (uvicorn's workers), all
    threads, from ``/proc`` (Linux; 0.0 elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    for p in [*pids, *(int(c) for c in children)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def postgres_commit_setting(database_url: str) -> str:
    """The server's ``synchronous_commit`` (``on``: every commit waits for its WAL flush)."""
    import psycopg

    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://", 1)) as connection:
        row = connection.execute("SHOW synchronous_commit").fetchone()
    return str(row[0]) if row else "?"


def report(outcome: Outcome, args: argparse.Namespace, synchronous: str, commit: str) -> tuple[float, float]:
    """Print one setting's figures; return (requests/s, p99 ms) of wrk, else of httpx, else zeros."""
    load = os.getloadavg()
    setting = f"{args.workers} uvicorn worker{'s' if args.workers > 1 else ''}"
    setting += (
        f", PostgreSQL (synchronous_commit={commit})"
        if args.postgres
        else f", embedded SQLite (synchronous={synchronous.upper()})"
    )
    log = "" if args.request_log else " --no-access-log"
    print(f"retirements via REST ({setting}; `carbonbridge serve{log}`)")
    figure = (0.0, 0.0)
    if outcome.wrk_report:
        print(outcome.wrk_report)
        figure = outcome.wrk_figure
        served = outcome.wrk_figure[0] * args.wrk
        if served and outcome.wrk_cpu_seconds:
            # CPU time is what a shared machine's load disturbs least (wall-clock figures vary
            # by ±20 % or more between runs minutes apart)
            per = outcome.wrk_cpu_seconds / served * 1000
            print(f"  server CPU {outcome.wrk_cpu_seconds:.1f} s: {per:.3f} ms per request")
    if outcome.timings:
        timings = sorted(outcome.timings)
        p50 = statistics.median(timings)
        p99 = timings[min(len(timings) - 1, int(0.99 * len(timings)))]
        mode = f"open loop at {args.rate:g} req/s" if args.rate else "closed loop"
        met = "met" if p99 < TARGET_P99_MS else "NOT met"
        rate = len(timings) / outcome.elapsed
        print(f"httpx (Python, same cores): {len(timings)} requests, {args.clients} clients ({mode})")
        print(f"  {len(outcome.failures)} failed · {rate:.0f} req/s")
        print(f"  p50 {p50:.1f} ms · p99 {p99:.1f} ms · max {timings[-1]:.1f} ms")
        print(f"  target p99 < {TARGET_P99_MS:.0f} ms: ratio p99/target = {p99 / TARGET_P99_MS:.2f} ({met})")
        if outcome.failures:
            print("  first failure:", outcome.failures[0])
        if not outcome.wrk_report:
            figure = (rate, p99)
    # every answered retirement is in the registry, and nothing more than what was in flight
    # when wrk stopped (sent, committed, its answer not counted)
    consistent = outcome.answered <= outcome.retired <= outcome.answered + args.clients
    print(
        f"registry afterwards: {outcome.retired} t retired; {outcome.answered} retirements answered 201"
        f" (+ at most {args.clients} in flight at the end): {'consistent' if consistent else 'MISMATCH'}"
    )
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs (shared: noisy)")
    return figure


def run_wrk(
    port: int, token: str, body: dict[str, object], clients: int, seconds: float, tmp: Path
) -> tuple[str, int, tuple[float, float]]:
    """Closed-loop load from wrk (``clients`` connections, one thread): its latency percentiles
    and the target line, or why it did not run; how many requests it counted answered 2xx; and
    its (requests/s, p99 ms)."""
    if shutil.which("wrk") is None:
        return "wrk: not installed (apt-get install wrk, or make wrk); skipped", 0, (0.0, 0.0)
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
    report = (
        f"wrk (C client, 1 thread): {requests} requests in {seconds:g} s, "
        f"{clients} connections (closed loop)\n"
        f"  {bad} non-2xx · {float(rate):.0f} req/s\n"
        f"  p50 {float(p50):.1f} ms · p99 {float(p99):.1f} ms · max {float(worst):.1f} ms\n"
        f"  target p99 < {TARGET_P99_MS:.0f} ms: ratio p99/target = {float(p99) / TARGET_P99_MS:.2f} ({met})"
    )
    return report, int(requests) - int(bad), (float(rate), float(p99))


if __name__ == "__main__":
    main()
