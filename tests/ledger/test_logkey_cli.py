"""One log, one key, through the installed ``carbonbridge`` console script in subprocesses, on both
backends (issue 9 §2): a command run from another folder (another relative ``var``, same database)
fails loudly, names the expected key and the absolute key path, and changes nothing, while the log
still verifies with the published key from there; ``migrate`` creates and records the key of an
empty log, ``ledger init`` is idempotent, and a second process sharing the data directory signs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from carbonbridge.accounting import service as accounting
from carbonbridge.accounting.model import Facility, Organisation, OrganisationKind
from carbonbridge.ledger import service, store
from carbonbridge.ledger.checkpoint import open_checkpoint
from carbonbridge.ledger.cli import COMMANDS
from carbonbridge.ledger.errors import LogNotInitialised
from carbonbridge.ledger.note import parse_verifier_key
from carbonbridge.ledger.service import keys
from carbonbridge.platform.db import Base, make_engine, session_factory, unit_of_work
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.platform.settings import get_settings
from tests.conftest import _pg_admin, _pg_url_for

RUNNER = CliRunner()

CARBONBRIDGE = str(Path(sys.executable).with_name("carbonbridge"))
#: what an operator's shell does not have: the test session's data directory and key file
SESSION_ONLY = ("CARBONBRIDGE_DATA_DIR", "CARBONBRIDGE_LOG_KEY_FILE", "CARBONBRIDGE_DATABASE_URL")
OFFICE = Principal("u-office", "Carbon office", Role.REGULATOR)
ACTIVITY = (
    "facility_id,period_start,period_end,category,activity,quantity,unit,instrument,note\n"
    "f1,2024-01-01,2024-12-31,stationary_combustion,fuel.natural_gas,100000,Nm3,,\n"
)


def carbonbridge(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The console script as an operator runs it in ``cwd``, with ``env`` as its configuration."""
    clean = {k: v for k, v in os.environ.items() if k not in SESSION_ONLY}
    return subprocess.run(
        [CARBONBRIDGE, *args],
        cwd=cwd,
        env={**clean, "COLUMNS": "400", **env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _snapshot(sessions: sessionmaker[Session]) -> tuple[object, ...]:
    with unit_of_work(sessions) as session:
        counts = {
            t.name: session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }
        return (
            counts,
            store.tree_size(session),
            store.checkpoint_note(session),
            store.recorded_verifier_key(session),
        )


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """Another folder on the same machine, with no ``var`` of its own."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


@pytest.fixture
def logged(sessions: sessionmaker[Session]) -> str:
    """An organisation with a facility, registered (entry 0); returns entry 0's receipt."""
    organisation = Organisation("hotel-k", "Hotel K", "K酒店", OrganisationKind.HOTEL, "CN-HI")
    facility = Facility("f1", "hotel-k", "Main building", "CN-HI", "CN-GRID-SOUTH")
    accounting.register_organisation(sessions, OFFICE, organisation, [facility])
    return service.receipt(sessions, 0)


def test_a_command_from_another_folder_fails_loudly_and_changes_nothing(
    engine: Engine, sessions: sessionmaker[Session], logged: str, elsewhere: Path
) -> None:
    (elsewhere / "activity.csv").write_text(ACTIVITY, encoding="utf-8")
    recorded = service.verifier_key(sessions)
    before = _snapshot(sessions)

    result = carbonbridge(
        "inventory", "submit", "activity.csv", "--organisation", "hotel-k",
        cwd=elsewhere, CARBONBRIDGE_DATABASE_URL=_url(engine),
    )  # fmt: skip

    looked_at = elsewhere / "var" / "ledger" / "log.key"
    assert result.returncode != 0, result.stdout + result.stderr  # the code itself: docs/errors.md
    assert result.stderr.startswith("error[ledger-log-key-mismatch]")
    assert f"the database records verifier key {recorded}" in result.stderr
    assert f"the key file {looked_at} is missing" in result.stderr
    assert _snapshot(sessions) == before
    assert not looked_at.exists()


def test_the_server_refuses_to_start_from_another_folder_and_the_log_still_verifies_there(
    engine: Engine,
    sessions: sessionmaker[Session],
    logged: str,
    elsewhere: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (elsewhere / "old-receipt").write_text(logged)
    before = _snapshot(sessions)

    migrate = carbonbridge("migrate", cwd=elsewhere, CARBONBRIDGE_DATABASE_URL=_url(engine))
    audit = carbonbridge("ledger", "audit", cwd=elsewhere, CARBONBRIDGE_DATABASE_URL=_url(engine))
    key, verify = _in_process(
        monkeypatch, elsewhere, _url(engine), ["ledger", "key"], ["verify", "old-receipt"]
    )

    assert migrate.returncode != 0
    assert "error[ledger-log-key-mismatch]" in migrate.stderr
    assert f"data directory: {elsewhere / 'var'}" in migrate.stdout
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert audit.stdout.startswith("OK: 1 entries")
    assert (key.exit_code, key.stdout) == (0, service.verifier_key(sessions) + "\n")  # the published key
    assert verify.exit_code == 0, verify.output
    assert "OK: entry 0 is in carbonbridge.local/CN-HI/log" in verify.stdout
    assert _snapshot(sessions) == before


def _in_process(
    monkeypatch: pytest.MonkeyPatch, cwd: Path, url: str, key_args: list[str], verify_args: list[str]
) -> tuple[Result, Result]:
    """``ledger key`` in ``cwd`` against ``url``, then ``verify`` with the key it printed (in
    this process: reading needs no key file, whatever the folder)."""
    for name in SESSION_ONLY:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CARBONBRIDGE_DATABASE_URL", url)
    monkeypatch.chdir(cwd)
    get_settings.cache_clear()
    try:
        key = RUNNER.invoke(_ledger_cli(), key_args)
        verify = RUNNER.invoke(_ledger_cli(), [*verify_args, "--key", key.stdout.strip()])
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    return key, verify


def _ledger_cli() -> typer.Typer:
    root = typer.Typer()
    for name, sub in COMMANDS.items():
        root.add_typer(sub, name=name)
    return root


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new database, not migrated, used by this test alone."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'installation.db'}"
        return
    admin, reason = _pg_admin()
    if admin is None:
        pytest.skip(reason)
    name = f"cbk_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[attr-defined]
    try:
        yield _pg_url_for(name)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[attr-defined]
        admin.close()  # type: ignore[attr-defined]


def test_migrate_creates_and_records_the_key_of_an_empty_log_once(
    empty_database: str, tmp_path: Path, elsewhere: Path
) -> None:
    installation = {
        "CARBONBRIDGE_DATABASE_URL": empty_database,
        "CARBONBRIDGE_DATA_DIR": str(tmp_path / "srv"),
    }
    key_file = tmp_path / "srv" / "ledger" / "log.key"

    first = carbonbridge("migrate", cwd=tmp_path, **installation)
    init = carbonbridge("ledger", "init", cwd=elsewhere, **installation)
    other = carbonbridge("ledger", "init", cwd=elsewhere, CARBONBRIDGE_DATABASE_URL=empty_database)
    shared = carbonbridge("ledger", "checkpoint", cwd=elsewhere, **installation)

    assert first.returncode == 0, first.stdout + first.stderr
    signer = keys.read_key_file(key_file)
    assert signer is not None
    vkey = signer.verifier().verifier_key()
    assert f"log key created and recorded: {vkey} (key file {key_file})" in first.stdout
    assert (key_file.stat().st_mode & 0o777, key_file.parent.stat().st_mode & 0o777) == (0o600, 0o700)
    engine = make_engine(empty_database)
    try:
        assert service.verifier_key(session_factory(engine)) == vkey
    finally:
        engine.dispose()
    assert (init.returncode, init.stdout) == (0, vkey + "\n")
    assert "log key already recorded; the key file matches" in init.stderr
    assert other.returncode != 0
    assert f"verifier key {vkey}" in other.stderr
    assert not (elsewhere / "var" / "ledger").exists()
    assert shared.returncode == 0, shared.stderr  # a second process sharing the data dir signs
    assert open_checkpoint(shared.stdout, parse_verifier_key(vkey)).tree_size == 0


def test_other_commands_migrate_the_schema_but_create_no_key(
    empty_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARBONBRIDGE_DATABASE_URL", empty_database)
    monkeypatch.setenv("CARBONBRIDGE_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.delenv("CARBONBRIDGE_LOG_KEY_FILE")
    get_settings.cache_clear()
    keys.use_settings(get_settings())
    try:
        result = RUNNER.invoke(_ledger_cli(), ["ledger", "checkpoint"])
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        keys.use_settings(get_settings())
    engine = make_engine(empty_database)
    try:
        with unit_of_work(session_factory(engine)) as session:
            recorded = store.recorded_verifier_key(session)
    finally:
        engine.dispose()

    assert isinstance(result.exception, LogNotInitialised)
    assert recorded is None
    assert not (tmp_path / "d" / "ledger").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_serve_demo_on_a_fresh_folder_creates_records_and_publishes_the_key(tmp_path: Path) -> None:
    """``make run`` on a fresh clone: ``carbonbridge serve --demo`` migrates (creating and recording
    the key), loads the demo region (which only appends) and serves the log it signed."""
    port = _free_port()
    clean = {k: v for k, v in os.environ.items() if k not in SESSION_ONLY}
    server = subprocess.Popen(
        [CARBONBRIDGE, "serve", "--demo", "--port", str(port), "--no-access-log"],
        cwd=tmp_path,
        env=clean,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        checkpoint = _when_served(server, f"http://127.0.0.1:{port}/log/checkpoint", deadline=300)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/ledger/key", timeout=10) as answer:
            published = answer.read().decode().strip()
    finally:
        server.terminate()
        output = server.communicate(timeout=60)[0]

    signer = keys.read_key_file(tmp_path / "var" / "ledger" / "log.key")
    assert signer is not None, output
    assert published == signer.verifier().verifier_key()
    assert "log key created and recorded" in output
    assert open_checkpoint(checkpoint, parse_verifier_key(published)).tree_size > 100  # the demo's entries


def _when_served(server: subprocess.Popen[str], url: str, *, deadline: float) -> str:
    """Poll ``url`` until it answers 200 (the demo loads before the server listens)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if server.poll() is not None:
            raise AssertionError(f"server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                return str(answer.read().decode())
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {deadline} s")
