"""Every command group through the INSTALLED console script (``carbonbridge`` beside
``sys.executable``), in a subprocess, as a script or CI job runs it: the exact exit status of
``docs/errors.md#exit-codes`` and, on failure, exactly one ``error[<code>]: ...`` line on stderr.

One table, ``CASES``: a new command adds a row (a success and a failure). Rows marked ``db`` touch
the database and run on SQLite and PostgreSQL; the others run once. Each backend gets one data
directory per test module (``CARBONBRIDGE_DATA_DIR``, ``CARBONBRIDGE_DATABASE_URL``), loaded with
the demo region by the CLI itself; users and tokens are made in-process (``make_user``) to save
process starts (each costs ~2 s of CPU).

On the original code, ``registry`` refusals, ``verify`` of a tampered receipt and a failing
``ledger audit`` exited 0: ``platform/cli.py`` dropped the status Click returns in non-standalone
mode.
"""

from __future__ import annotations

import base64
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select, update

from carbonbridge.ledger import store as ledger_store
from carbonbridge.platform.db import make_engine, session_factory, unit_of_work
from carbonbridge.platform.migrate import all_models
from tests.conftest import _pg_admin, _pg_url_for, make_user

CARBONBRIDGE = Path(sys.executable).parent / "carbonbridge"
ORG = "demo-org-001"  # a hotel of the demo region
UNREACHABLE_DB = "postgresql+psycopg://postgres@127.0.0.1:1/none"

ACTIVITY = (
    "facility_id,period_start,period_end,category,activity,quantity,unit,instrument,note\n"
    "f1,2024-01-01,2024-12-31,stationary_combustion,fuel.natural_gas,100000,Nm3,,\n"
)


@dataclass(frozen=True)
class Case:
    """One command line and what it must end with. ``{name}`` in ``args`` and ``env`` values is
    replaced by the prepared file or token of that name (see ``_prepare``)."""

    name: str
    args: tuple[str, ...]
    status: int
    error: str | None = None  # the code of the one error line on stderr
    stdout: str | None = None  # text the output must contain
    stderr: str | None = None  # text stderr must contain (besides the error line)
    env: dict[str, str] = field(default_factory=dict)
    db: bool = False  # touches the database: run on PostgreSQL too


def ok(name: str, *args: str, stdout: str | None = None, **kw: object) -> Case:
    return Case(name, args, 0, stdout=stdout, **kw)  # type: ignore[arg-type]


def fails(name: str, status: int, error: str, *args: str, **kw: object) -> Case:
    return Case(name, args, status, error=error, **kw)  # type: ignore[arg-type]


# fmt: off
CASES = [
    # platform: migrate, serve, users
    ok("migrate", "migrate", stdout="database at head", db=True),
    fails("migrate: database unreachable", 1, "dependency-unavailable", "migrate",
          env={"CARBONBRIDGE_DATABASE_URL": UNREACHABLE_DB}),
    fails("serve: bad option", 2, "usage", "serve", "--workers", "0"),
    ok("users add", "users", "add", "newcomer", "--role", "regulator",
       stdout="user newcomer (regulator) created"),
    fails("users add: exists", 1, "conflict", "users", "add", "office", "--role", "regulator", db=True),
    ok("users list", "users", "list", stdout="office", db=True),
    fails("users disable: unknown", 1, "not-found", "users", "disable", "nobody", db=True),
    # backup and restore
    ok("backup", "backup", "{dir}/backup", stdout='"format": "carbonbridge-backup/1"', db=True),
    fails("restore: not a backup", 2, "backup-invalid", "restore", "{dir}/no-backup-here", db=True),
    # factors
    ok("factors search", "factors", "search", "HFC-134a", stdout="ipcc-gwp100"),
    fails("factors resolve: no factor", 1, "factor-not-found", "factors", "resolve", "no.such.activity"),
    # inventory (accounting)
    ok("inventory compute", "inventory", "compute", "{activity}", "--format", "csv",
       stdout="ghgp,total,Total", db=True),
    fails("inventory compute: bad row", 2, "invalid-input", "inventory", "compute", "{bad_activity}"),
    ok("inventory region", "inventory", "region", stdout="CN-HI", db=True),
    fails("inventory submit: unknown organisation", 1, "not-found",
          "inventory", "submit", "{activity}", "--organisation", "NOPE"),
    # ledger
    fails("ledger proof: no such entry", 1, "not-found", "ledger", "proof", "1000000", db=True),
    ok("ledger audit", "ledger", "audit", stdout="OK: ", db=True),
    ok("ledger init: the recorded key", "ledger", "init", stdout="+", db=True),
    fails("ledger init: another key file", 1, "ledger-log-key-mismatch", "ledger", "init",
          env={"CARBONBRIDGE_LOG_KEY_FILE": "{dir}/elsewhere/log.key"}, db=True),
    fails("ledger witnesses remove: unknown", 1, "not-found",
          "ledger", "witnesses", "remove", "nobody.test/w"),
    # verify (offline)
    ok("verify", "verify", "{receipt}", "--key-file", "{log_key}", stdout="OK: entry 1 is in"),
    fails("verify: tampered receipt", 3, "ledger-inclusion-proof-failed",
          "verify", "{tampered}", "--key-file", "{log_key}"),
    fails("verify: malformed receipt", 2, "ledger-malformed-receipt",
          "verify", "{malformed}", "--key-file", "{log_key}"),
    # witness
    ok("witness key", "witness", "key", "--dir", "{dir}/witness", stdout="+"),
    fails("witness: pull mode without a token", 2, "invalid-input", "witness", "--log", "http://127.0.0.1:1",
          "--key-file", "{log_key}", "--state", "{dir}/w.json", "--log-key", "x"),
    # methodologies
    ok("methodologies list", "methodologies", "list", stdout="AMS-I.B"),
    fails("methodologies example: unknown", 1, "not-found", "methodologies", "example", "NOPE"),
    fails("methodologies calculate: not JSON", 2, "invalid-input",
          "methodologies", "calculate", "AMS-I.B", "{activity}"),
    # registry and its sub-groups; no token = the local administrator
    ok("registry project list", "registry", "project", "list", stdout="EV001", db=True),
    fails("registry project show: unknown", 1, "not-found", "registry", "project", "show", "NOPE"),
    fails("registry accounts open: forbidden", 1, "forbidden",
          "registry", "--token-file", "{reporter_file}", "accounts", "open", ORG, db=True),
    fails("registry monitoring verify: unknown report", 1, "not-found",
          "registry", "monitoring", "verify", "NOPE", "--opinion", "fine"),
    fails("registry retirements: the environment's token is checked", 1, "unauthenticated",
          "registry", "retirements", env={"CARBONBRIDGE_TOKEN": "cb_not_a_token"}),
    ok("registry allowances status", "registry", "allowances", "status", "2024",
       stdout="ETS compliance 2024"),
    fails("registry allowances surrender: not verified", 1, "conflict",
          "registry", "allowances", "surrender", ORG, "2024", "5"),
    ok("registry cadt export", "registry", "cadt", "export", "{dir}/cadt", stdout="project: 3"),
    fails("registry cadt import: no directory", 2, "usage",
          "registry", "cadt", "import", "{dir}/absent", "--holder", ORG),
    ok("registry recognition show", "registry", "recognition", "show", "CCER", "CCER-14-002-V01", "VER",
       stdout="criterion"),
    fails("registry recognition show: bad table", 2, "invalid-input",
          "registry", "recognition", "show", "X", "Y", "Z", "--table", "{activity}"),
    # registry: where the token comes from (precedence: --token, --token-file, CARBONBRIDGE_TOKEN)
    ok("registry accounts show: token file beats the environment", "registry", "--token-file",
       "{office_file}", "accounts", "show", ORG, stdout="holding",
       env={"CARBONBRIDGE_TOKEN": "cb_not_a_token"}),
    fails("registry: --token beats the environment, with a warning", 1, "unauthenticated",
          "registry", "--token", "cb_not_a_token", "accounts", "show", ORG,
          env={"CARBONBRIDGE_TOKEN": "{office}"}, stderr="warning: a token given with --token is visible"),
    fails("registry: token file readable by others", 2, "invalid-input",
          "registry", "--token-file", "{open_file}", "project", "list", stderr="chmod 600"),
    # demo
    ok("demo load (already loaded)", "demo", "load", db=True),
    fails("demo export: not a directory", 1, "os-error", "demo", "export", "{activity}/demo"),
]
# fmt: on


def _cases() -> Iterator[object]:
    for case in CASES:
        yield pytest.param(case, "sqlite", id=f"{case.name}[sqlite]")
        if case.db:
            yield pytest.param(case, "postgres", id=f"{case.name}[postgres]", marks=pytest.mark.postgres)


@dataclass
class Prepared:
    """One backend's data directory, database URL and the files and tokens rows refer to."""

    env: dict[str, str]
    cwd: Path
    values: dict[str, str]
    url: str

    def run(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(CARBONBRIDGE), *(a.format(**self.values) for a in args)],
            capture_output=True,
            text=True,
            timeout=180,
            cwd=self.cwd,
            env={**self.env, **{k: v.format(**self.values) for k, v in (env or {}).items()}},
            check=False,
        )


def _base_env(data_dir: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARBONBRIDGE_")}
    return {**env, "CARBONBRIDGE_DATA_DIR": str(data_dir), "CARBONBRIDGE_DATABASE_URL": url, "COLUMNS": "200"}


def _private(path: Path, text: str, mode: int = 0o600) -> str:
    path.write_text(text + "\n")
    path.chmod(mode)
    return str(path)


def _forged(receipt: str) -> str:
    """The receipt with one digit of its logged entry (the ``extra`` line) changed, as a forger
    would change a quantity or a date: the proof no longer leads from it to the signed root."""
    head, extra, rest = receipt.split("\n", 2)
    entry = base64.b64decode(extra.removeprefix("extra "))
    forged = re.sub(rb"\d", lambda m: b"8" if m.group() == b"9" else b"9", entry, count=1)
    assert forged != entry
    return "\n".join((head, "extra " + base64.b64encode(forged).decode(), rest)).rstrip("\n")


def _prepare(root: Path, url: str, receipts: bool) -> Prepared:
    """Migrate (which creates the log key) and load the demo region with the CLI, make two users
    and the files rows name; with ``receipts``, save the log key, a receipt and its forged and
    malformed variants (for the offline rows)."""
    root.mkdir(mode=0o700)
    prepared = Prepared(_base_env(root / "data", url), root, {"dir": str(root)}, url)
    for step in (("migrate",), ("demo", "load")):
        done = prepared.run(*step)
        assert done.returncode == 0, done.stderr
    all_models()
    engine = make_engine(url)
    try:
        sessions = session_factory(engine)
        office = make_user(sessions, "office", "regulator")["Authorization"].removeprefix("Bearer ")
        reporter = make_user(sessions, "rep", "reporter", ORG)["Authorization"].removeprefix("Bearer ")
    finally:
        engine.dispose()
    prepared.values.update(
        office=office,
        office_file=_private(root / "office.token", office),
        reporter_file=_private(root / "reporter.token", reporter),
        open_file=_private(root / "open.token", office, 0o644),
        activity=_private(root / "activity.csv", ACTIVITY.rstrip("\n")),
        bad_activity=_private(root / "bad.csv", ACTIVITY.replace("100000,Nm3", "-3,Nm3").rstrip("\n")),
    )
    if not receipts:
        return prepared
    receipt = prepared.run("ledger", "proof", "1")
    key = prepared.run("ledger", "key")
    assert receipt.returncode == key.returncode == 0, receipt.stderr + key.stderr
    text = receipt.stdout
    assert "\nindex 1\n" in text
    prepared.values.update(
        log_key=_private(root / "log.vkey", key.stdout.strip()),
        receipt=_private(root / "r.tlog-proof", text.removesuffix("\n")),
        tampered=_private(root / "tampered.tlog-proof", _forged(text)),
        malformed=_private(
            root / "malformed.tlog-proof", "c2sp.org/tlog-proof@v0\n" + text.split("\n", 1)[1]
        ),
    )
    return prepared


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Prepared]]:
    """``backend("sqlite" | "postgres")``: that backend's prepared data directory, made on first use."""
    made: dict[str, Prepared] = {}
    dropped: list[Callable[[], None]] = []

    def get(name: str) -> Prepared:
        if name not in made:
            root = tmp_path_factory.mktemp("exit-codes") / name
            if name == "sqlite":
                made[name] = _prepare(root, f"sqlite:///{root / 'data' / 'carbonbridge.db'}", receipts=True)
            else:
                admin, reason = _pg_admin()
                if admin is None:
                    pytest.skip(reason)
                database = f"cbx_{uuid.uuid4().hex[:12]}"
                admin.execute(f'CREATE DATABASE "{database}"')  # type: ignore[attr-defined]
                dropped.append(
                    lambda: admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')  # type: ignore[attr-defined]
                )
                dropped.append(admin.close)  # type: ignore[attr-defined]
                made[name] = _prepare(root, _pg_url_for(database), receipts=False)
        return made[name]

    yield get
    for drop in dropped:
        drop()


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error[")]


def test_the_console_script_is_installed() -> None:
    assert CARBONBRIDGE.is_file(), f"no console script at {CARBONBRIDGE}: run make .venv/.dev-installed"


@pytest.mark.parametrize(("case", "name"), list(_cases()))
def test_exit_status_and_error_line(case: Case, name: str, backend: Callable[[str], Prepared]) -> None:
    result = backend(name).run(*case.args, env=case.env)

    assert result.returncode == case.status, (result.stdout[-2000:], result.stderr[-2000:])
    if case.error is None:
        assert _error_lines(result.stderr) == [], result.stderr
    else:
        [line] = _error_lines(result.stderr)
        assert line.startswith(f"error[{case.error}]: "), result.stderr
    assert "Traceback" not in result.stderr
    if case.stdout is not None:
        assert case.stdout in result.stdout
    if case.stderr is not None:
        assert case.stderr in result.stderr


@pytest.mark.parametrize("name", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_failing_ledger_audit_exits_3(name: str, backend: Callable[[str], Prepared]) -> None:
    """An entry altered in the database: the audit names it and exits 3 (the row is put back)."""
    prepared = backend(name)
    engine = make_engine(prepared.url)
    row = ledger_store.LogEntryRow
    try:
        sessions = session_factory(engine)
        with unit_of_work(sessions) as session:
            original = session.scalars(select(row.entry).where(row.index == 2)).one()
            session.execute(update(row).where(row.index == 2).values(entry=original + b" "))
        try:
            result = prepared.run("ledger", "audit")
        finally:
            with unit_of_work(sessions) as session:
                session.execute(update(row).where(row.index == 2).values(entry=original))
    finally:
        engine.dispose()

    assert result.returncode == 3, result.stderr
    [line] = _error_lines(result.stderr)
    assert line.startswith("error[ledger-audit-failed]: ")
    assert "first bad record: entry 2" in line


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_serve_answers_then_shuts_down_cleanly_on_sigterm(backend: Callable[[str], Prepared]) -> None:
    """``serve`` answers until told to stop (SIGTERM, as systemd and ``docker stop`` do), shuts down
    cleanly, then ends by that signal as uvicorn does (status 143 in a shell, a clean stop for
    systemd): the one command whose success is not status 0."""
    prepared = backend("sqlite")
    port = _free_port()
    server = subprocess.Popen(
        [str(CARBONBRIDGE), "serve", "--port", str(port), "--no-access-log"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=prepared.cwd,
        env=prepared.env,
    )
    try:
        assert server.stderr is not None
        for line in server.stderr:  # wait for the server to say it listens (or to end)
            if "Uvicorn running on" in line:
                break
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=30) as response:
            status = response.status
        server.send_signal(signal.SIGTERM)
        _, rest = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()

    assert status == 200
    assert "Application shutdown complete" in rest
    assert server.returncode == -signal.SIGTERM
