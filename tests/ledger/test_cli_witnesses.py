"""Push mode end to end in two processes: ``carbonbridge witness serve`` (a subprocess on a
loopback port) and the log's ``carbonbridge ledger witnesses add|list|push|remove``; the
checkpoint is then served with the witness's cosignature (c2sp.org/tlog-witness)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from carbonbridge.ledger import service
from carbonbridge.ledger.checkpoint import open_signed_checkpoint
from carbonbridge.ledger.cli import COMMANDS
from carbonbridge.ledger.note import parse_verifier_key
from carbonbridge.ledger.service import keys
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.settings import get_settings

runner = CliRunner()


@pytest.fixture
def cli(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    monkeypatch.setenv("CARBONBRIDGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CARBONBRIDGE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    keys.use_settings(get_settings())
    root = typer.Typer()
    for name, sub in COMMANDS.items():
        root.add_typer(sub, name=name)
    yield root
    get_settings.cache_clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _witness_cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from carbonbridge.platform.cli import main; main()", "witness", *args]


@pytest.fixture
def served_witness(cli: typer.Typer, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A witness process for the log's key; yields (its verifier key, its URL)."""
    env = {**os.environ, "CARBONBRIDGE_DATA_DIR": str(tmp_path / "witness-data")}
    key = subprocess.run(
        _witness_cli("key", "--name", "witness.test/w1"),
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    port = _free_port()
    args = ("serve", "--log-key", keys.verifier_key(), "--port", str(port))
    proc = subprocess.Popen(_witness_cli(*args), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:  # wait until it answers (405 to a GET: up)
            try:
                urllib.request.urlopen(f"{url}/add-checkpoint", timeout=1)
            except urllib.error.HTTPError as answered:
                answered.close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        proc.stderr.read().decode() if proc.stderr else "witness died"
                    ) from None
                time.sleep(0.1)
        yield key, url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()


def test_push_to_a_witness_process_round_trip(
    cli: typer.Typer, sessions: sessionmaker[Session], served_witness: tuple[str, str]
) -> None:
    key, url = served_witness
    with unit_of_work(sessions) as session:
        service.append_events(session, [service.LogEvent("test.push", {"n": i}) for i in range(12)])

    added = runner.invoke(cli, ["ledger", "witnesses", "add", key, url])
    pushed = runner.invoke(cli, ["ledger", "witnesses", "push"])
    listed = runner.invoke(cli, ["ledger", "witnesses", "list"])

    assert added.exit_code == 0, added.output
    assert pushed.exit_code == 0, pushed.output
    assert "cosigned witness.test/w1 tree size 12" in pushed.output
    assert "witness.test/w1" in listed.output
    served = service.latest_checkpoint(sessions)
    _, opened = open_signed_checkpoint(
        served, [parse_verifier_key(keys.verifier_key()), parse_verifier_key(key)]
    )
    assert {s.name for s in opened.verified} == {keys.log_signer().name, "witness.test/w1"}


def test_push_without_witnesses_succeeds_and_remove_unknown_fails(cli: typer.Typer) -> None:
    pushed = runner.invoke(cli, ["ledger", "witnesses", "push"])
    removed = runner.invoke(cli, ["ledger", "witnesses", "remove", "nobody.test/w"])

    assert pushed.exit_code == 0, pushed.output
    assert removed.exit_code == 1
    assert "not-found" in removed.output
