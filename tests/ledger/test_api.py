"""The ledger's HTTP faces on both backends: /api/v1/ledger/... and the tlog-tiles read path /log."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.ledger import service
from carbonbridge.ledger.api import IMMUTABLE, mount_log
from carbonbridge.ledger.checkpoint import checkpoint_text, open_checkpoint
from carbonbridge.ledger.errors import TileNotFound
from carbonbridge.ledger.merkle import check_record, check_tree, leaf_hash
from carbonbridge.ledger.note import (
    SIG_COSIGNATURE_V1,
    Ed25519Signer,
    open_note,
    parse_verifier_key,
    sign_note,
)
from carbonbridge.ledger.proof import verify_receipt
from carbonbridge.ledger.service import keys
from carbonbridge.ledger.verify import (
    open_published_checkpoint,
    verify_checkpoint_tiles,
    verify_consistency_from_tiles,
    verify_entries,
)
from carbonbridge.platform.db import unit_of_work
from tests.conftest import make_user

WITNESS = Ed25519Signer("witness.test/w1", bytes(range(32, 64)), SIG_COSIGNATURE_V1)


@pytest.fixture
def client(app_client: Any) -> TestClient:
    mount_log(app_client.app)
    return app_client  # type: ignore[no-any-return]


def _append(client: TestClient, sessions: sessionmaker[Session], n: int) -> list[service.PendingEntry]:
    signer = keys.log_signer(client.app.state.settings)  # type: ignore[attr-defined]
    with unit_of_work(sessions) as session:
        return service.append_events(
            session, [service.LogEvent("test.api", {"n": i}) for i in range(n)], signer=signer
        )


def _fetcher(client: TestClient):  # type: ignore[no-untyped-def]
    def fetch(path: str) -> bytes:
        response = client.get(f"/log/{path}")
        if response.status_code == 404:
            raise TileNotFound(path)
        response.raise_for_status()
        return response.content

    return fetch


def test_key_endpoint_serves_only_the_verifier_key(client: TestClient) -> None:
    text = client.get("/api/v1/ledger/key").text

    assert "PRIVATE" not in text
    assert parse_verifier_key(text.strip()).name == "carbonbridge.local/CN-HI/log"


def test_receipt_endpoint_verifies_with_the_published_key(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    entries = _append(client, sessions, 3)
    key = client.get("/api/v1/ledger/key").text.strip()

    response = client.get("/api/v1/ledger/entries/1/receipt")

    assert response.headers["content-type"].startswith("text/plain")
    assert verify_receipt(response.text, key, entries[1].entry).index == 1


def test_missing_entry_receipt_is_a_problem(client: TestClient, sessions: sessionmaker[Session]) -> None:
    _append(client, sessions, 1)

    response = client.get("/api/v1/ledger/entries/7/receipt")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_proof_endpoints_check_against_the_checkpoint(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    entries = _append(client, sessions, 7)
    verifier = keys.log_signer(client.app.state.settings).verifier()  # type: ignore[attr-defined]
    cp = open_checkpoint(client.get("/api/v1/ledger/checkpoint").text, verifier)
    old_root = open_checkpoint(client.get("/log/checkpoint").text, verifier).root_hash

    inc = client.get("/api/v1/ledger/proof/inclusion", params={"index": 5, "size": 7}).json()
    con = client.get("/api/v1/ledger/proof/consistency", params={"old": 7, "new": 7}).json()

    check_record(
        [base64.b64decode(h) for h in inc["hashes"]], 7, cp.root_hash, 5, leaf_hash(entries[5].entry)
    )
    check_tree([base64.b64decode(h) for h in con["hashes"]], 7, cp.root_hash, 7, old_root)
    bad = client.get("/api/v1/ledger/proof/inclusion", params={"index": 0, "size": 8})
    assert bad.status_code == 422


def test_tiles_served_by_the_api_verify_from_tiles_alone(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    _append(client, sessions, 300)
    key = client.get("/api/v1/ledger/key").text.strip()
    fetch = _fetcher(client)
    old = open_published_checkpoint(fetch, parse_verifier_key(key))
    _append(client, sessions, 20)

    new = open_published_checkpoint(fetch, parse_verifier_key(key))

    verify_checkpoint_tiles(new, fetch)
    assert verify_entries(new, fetch) == 320
    verify_consistency_from_tiles(old, new, fetch)
    full = client.get("/log/tile/0/000")
    assert full.headers["cache-control"] == IMMUTABLE
    assert len(full.content) == 8192
    assert client.get("/log/tile/entries/001.p/64").status_code == 200
    assert client.get("/log/tile/0/002").status_code == 404
    assert client.get("/log/tile/0/0").status_code == 422


def test_witness_cosigns_through_the_api(client: TestClient, sessions: sessionmaker[Session]) -> None:
    _append(client, sessions, 2)
    note = client.get("/log/checkpoint").text
    cosigned = sign_note(checkpoint_text(note), WITNESS)
    body = {"checkpoint": cosigned, "witness_key": WITNESS.verifier().verifier_key()}
    reporter = make_user(sessions, "rep", "reporter", "org_1")
    witness = make_user(sessions, "wit", "witness")

    assert client.post("/api/v1/ledger/cosignatures", json=body).status_code == 401
    assert client.post("/api/v1/ledger/cosignatures", json=body, headers=reporter).status_code == 403
    response = client.post("/api/v1/ledger/cosignatures", json=body, headers=witness)

    assert response.status_code == 201
    served = client.get("/log/checkpoint").text
    verifier = keys.log_signer(client.app.state.settings).verifier()  # type: ignore[attr-defined]
    assert len(open_note(served, [verifier, WITNESS.verifier()]).verified) == 2
