"""``carbonbridge witness``: one round checks the log's new checkpoint against the last one seen,
from tiles over HTTP, cosigns it and submits the cosignature; a forked log is refused."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from carbonbridge.ledger import service
from carbonbridge.ledger.api import mount_log
from carbonbridge.ledger.checkpoint import sign_checkpoint
from carbonbridge.ledger.cli import COMMANDS, witness_once
from carbonbridge.ledger.errors import ConsistencyProofFailed, TileNotFound
from carbonbridge.ledger.model import Checkpoint
from carbonbridge.ledger.note import SIG_COSIGNATURE_V1, Ed25519Signer, open_note
from carbonbridge.ledger.service import keys
from carbonbridge.platform.db import unit_of_work
from tests.conftest import make_user

WITNESS = Ed25519Signer("witness.test/w1", bytes(range(32, 64)), SIG_COSIGNATURE_V1)


@pytest.fixture
def client(app_client: Any) -> TestClient:
    mount_log(app_client.app)
    return app_client  # type: ignore[no-any-return]


def _signer(client: TestClient) -> Ed25519Signer:
    return keys.log_signer(client.app.state.settings)  # type: ignore[attr-defined]


def _append(client: TestClient, sessions: sessionmaker[Session], n: int) -> None:
    with unit_of_work(sessions) as session:
        service.append_events(
            session, [service.LogEvent("test.witness", {"n": i}) for i in range(n)], signer=_signer(client)
        )


def _round(client: TestClient, headers: dict[str, str], state: Path) -> int:
    def fetch(path: str) -> bytes:
        response = client.get(f"/log/{path}")
        if response.status_code == 404:
            raise TileNotFound(path)
        return response.content

    def post(url: str, body: bytes) -> bytes:
        response = client.post(url, content=body, headers={**headers, "Content-Type": "application/json"})
        assert response.status_code == 201, response.text
        return response.content

    log_key = _signer(client).verifier().verifier_key()
    return witness_once(fetch, post, "/api/v1", WITNESS, log_key, state)


def test_witness_rounds_cosign_consistent_checkpoints(
    client: TestClient, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    headers = make_user(sessions, "wit", "witness")
    state = tmp_path / "witness.json"
    _append(client, sessions, 3)
    assert _round(client, headers, state) == 3
    _append(client, sessions, 300)

    size = _round(client, headers, state)

    assert size == 303
    served = client.get("/log/checkpoint").text
    opened = open_note(served, [_signer(client).verifier(), WITNESS.verifier()])
    assert {s.name for s in opened.verified} == {_signer(client).name, WITNESS.name}


def test_witness_refuses_a_forked_log(
    client: TestClient, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    headers = make_user(sessions, "wit", "witness")
    state = tmp_path / "witness.json"
    _append(client, sessions, 4)
    _round(client, headers, state)
    # the witness remembers a size-2 checkpoint the log signed for a different tree (a fork)
    fork = sign_checkpoint(Checkpoint(_signer(client).name, 2, bytes(32)), _signer(client))
    log_key = _signer(client).verifier().verifier_key()
    state.write_text(json.dumps({"log_key": log_key, "checkpoint": fork}))

    with pytest.raises(ConsistencyProofFailed, match="forked"):
        _round(client, headers, state)


@pytest.fixture
def live_url(client: TestClient) -> Iterator[str]:
    """The same app served over real HTTP by uvicorn in a thread."""
    import socket
    import threading

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(client.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)


def test_witness_command_cosigns_over_http(
    client: TestClient, live_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    headers = make_user(sessions, "wit", "witness")
    _append(client, sessions, 5)
    key_file = tmp_path / "witness.key"
    key_file.write_text(WITNESS.signer_key() + "\n")
    root = typer.Typer()
    root.add_typer(COMMANDS["witness"], name="witness")
    args = [
        "witness",
        "--log",
        live_url,
        "--key-file",
        str(key_file),
        "--state",
        str(tmp_path / "state.json"),
        "--log-key",
        _signer(client).verifier().verifier_key(),
        "--token",
        headers["Authorization"].removeprefix("Bearer "),
    ]

    result = CliRunner().invoke(root, args)

    assert result.exit_code == 0, result.output
    assert "cosigned tree size 5" in result.output
    served = client.get("/log/checkpoint").text
    assert len(open_note(served, [_signer(client).verifier(), WITNESS.verifier()]).verified) == 2
