"""The witness of c2sp.org/tlog-witness ("add-checkpoint") over its HTTP app: each answer the
specification names (200 with a cosignature/v1 line, 400, 403, 404, 409 with
``text/x.tlog.size``, 422), compare-and-swap under concurrency, and the persisted state."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient

from carbonbridge.kernel.errors import InvalidInput
from carbonbridge.ledger.api import witness_app
from carbonbridge.ledger.checkpoint import checkpoint_text, sign_checkpoint
from carbonbridge.ledger.merkle import MemoryHashStore, prove_tree
from carbonbridge.ledger.model import Checkpoint
from carbonbridge.ledger.note import (
    SIG_COSIGNATURE_V1,
    Ed25519Signer,
    cosignature_message,
    cosignature_timestamp,
    open_note,
    parse_note,
)
from carbonbridge.ledger.witness import (
    Witness,
    format_add_checkpoint,
    load_or_create_key,
    parse_add_checkpoint,
)

ORIGIN = "carbonbridge.test/log"
LOG = Ed25519Signer(ORIGIN, bytes(range(32)))
OTHER = Ed25519Signer(ORIGIN, bytes(range(1, 33)))  # same name, another key
WITNESS = Ed25519Signer("witness.test/w1", bytes(range(32, 64)), SIG_COSIGNATURE_V1, clock=lambda: 1764000000)


def _log(size: int, prefix: bytes = b"event") -> MemoryHashStore:
    store = MemoryHashStore()
    for i in range(size):
        store.append(prefix + b" %d" % i)
    return store


def _note(store: MemoryHashStore, size: int, signer: Ed25519Signer = LOG) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, size, store.root(size)), signer)


def _body(store: MemoryHashStore, old: int, new: int, signer: Ed25519Signer = LOG) -> bytes:
    proof = prove_tree(new, old, store) if 0 < old < new else []
    return format_add_checkpoint(old, proof, _note(store, new, signer))


@pytest.fixture
def witness(tmp_path: Path) -> Witness:
    return Witness(WITNESS, [LOG.verifier().verifier_key()], tmp_path / "witness" / "state.json")


@pytest.fixture
def client(witness: Witness) -> TestClient:
    return TestClient(witness_app(witness))


def test_request_body_round_trips_in_the_spec_layout() -> None:
    store = _log(10)
    body = _body(store, 4, 10)

    parsed = parse_add_checkpoint(body)

    head = body.decode().split("\n\n")[0].split("\n")
    assert head[0] == "old 4"
    assert len(head) == 1 + len(prove_tree(10, 4, store))
    assert (parsed.old_size, list(parsed.proof)) == (4, prove_tree(10, 4, store))
    assert parsed.checkpoint_note == _note(store, 10)


def test_first_checkpoint_is_cosigned_with_a_verifying_timestamped_cosignature(client: TestClient) -> None:
    store = _log(5)
    note = _note(store, 5)

    response = client.post("/add-checkpoint", content=format_add_checkpoint(0, [], note))

    assert response.status_code == 200, response.text
    opened = open_note(note + response.text, [WITNESS.verifier()])
    (cosignature,) = opened.verified
    assert cosignature.name == "witness.test/w1"
    assert cosignature_timestamp(cosignature) == 1764000000
    # tlog-cosignature: Ed25519 over "cosignature/v1\ntime <t>\n" + the checkpoint body
    message = cosignature_message(1764000000, checkpoint_text(note).encode())
    assert message.startswith(b"cosignature/v1\ntime 1764000000\ncarbonbridge.test/log\n5\n")
    Ed25519PublicKey.from_public_bytes(WITNESS.public_key).verify(cosignature.signature[8:], message)


def test_consistent_extension_is_cosigned_and_remembered(client: TestClient, witness: Witness) -> None:
    store = _log(20)
    assert client.post("/add-checkpoint", content=_body(store, 0, 7)).status_code == 200

    response = client.post("/add-checkpoint", content=_body(store, 7, 20))

    assert response.status_code == 200, response.text
    latest = witness.latest(ORIGIN)
    assert latest is not None
    assert (latest.tree_size, latest.root_hash) == (20, store.root(20))


def test_wrong_old_size_is_409_with_the_witness_size(client: TestClient) -> None:
    store = _log(20)
    client.post("/add-checkpoint", content=_body(store, 0, 7))

    response = client.post("/add-checkpoint", content=_body(store, 5, 20))

    assert response.status_code == 409
    assert response.headers["content-type"] == "text/x.tlog.size"
    assert response.text == "7\n"


def test_checkpoint_inconsistent_with_what_it_saw_is_422_and_not_cosigned(
    client: TestClient, witness: Witness
) -> None:
    honest, forked = _log(20), _log(20, prefix=b"forged")
    client.post("/add-checkpoint", content=_body(honest, 0, 7))
    # a proof from the forked tree, for the forked tree's checkpoint, against what the witness saw
    response = client.post("/add-checkpoint", content=_body(forked, 7, 20))

    assert response.status_code == 422
    assert "prefix" in response.text
    latest = witness.latest(ORIGIN)
    assert latest is not None
    assert latest.tree_size == 7


def test_same_size_with_another_root_is_409(client: TestClient) -> None:
    client.post("/add-checkpoint", content=_body(_log(7), 0, 7))

    response = client.post("/add-checkpoint", content=_body(_log(7, prefix=b"other"), 7, 7))

    assert (response.status_code, response.text) == (409, "7\n")


def test_bad_signature_is_403(client: TestClient) -> None:
    store = _log(5)
    note = _note(store, 5)
    text, _ = parse_note(note)
    forged = note.replace(note[len(text) + 1 :], _note(_log(5, b"x"), 5)[len(text) + 1 :])

    assert client.post("/add-checkpoint", content=format_add_checkpoint(0, [], forged)).status_code == 403
    # signed by another key with the log's name: no trusted signature verifies
    assert client.post("/add-checkpoint", content=_body(store, 0, 5, OTHER)).status_code == 403


def test_unknown_origin_is_404(client: TestClient) -> None:
    stranger = Ed25519Signer("elsewhere.test/log", bytes(range(32)))
    note = sign_checkpoint(Checkpoint("elsewhere.test/log", 5, _log(5).root(5)), stranger)

    assert client.post("/add-checkpoint", content=format_add_checkpoint(0, [], note)).status_code == 404


@pytest.mark.parametrize(
    "body",
    [b"old 01\n\n", b"new 1\n\n", b"old 1\nnot-base64!\n\n", b"old 1\n", b"\xff\xfe"],
    ids=["leading-zero", "no-old", "bad-hash", "no-empty-line", "not-utf8"],
)
def test_malformed_requests_are_400(client: TestClient, body: bytes) -> None:
    assert client.post("/add-checkpoint", content=body + _note(_log(5), 5).encode()).status_code == 400
    with pytest.raises(InvalidInput):
        parse_add_checkpoint(body + _note(_log(5), 5).encode())


def test_old_size_above_the_checkpoint_is_400(client: TestClient) -> None:
    assert client.post("/add-checkpoint", content=_body(_log(5), 9, 5)).status_code == 400


def test_non_empty_proof_from_size_zero_is_422(client: TestClient) -> None:
    store = _log(8)
    body = format_add_checkpoint(0, prove_tree(8, 3, store), _note(store, 8))

    assert client.post("/add-checkpoint", content=body).status_code == 422


def test_concurrent_requests_from_one_old_size_cosign_exactly_one(
    client: TestClient, witness: Witness
) -> None:
    """Check and update are atomic: of many requests all claiming old size 4, one wins and the
    rest get 409 with the winner's size (no rollback, c2sp.org/tlog-witness's race)."""
    store = _log(40)
    client.post("/add-checkpoint", content=_body(store, 0, 4))
    sizes = list(range(10, 40, 3))

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda n: client.post("/add-checkpoint", content=_body(store, 4, n)), sizes))

    winners = [n for n, r in zip(sizes, statuses, strict=True) if r.status_code == 200]
    assert len(winners) == 1
    assert {r.text for r in statuses if r.status_code == 409} == {f"{winners[0]}\n"}
    latest = witness.latest(ORIGIN)
    assert latest is not None
    assert latest.tree_size == winners[0]


def test_state_survives_a_restart(tmp_path: Path) -> None:
    store = _log(9)
    state = tmp_path / "w" / "state.json"
    first = Witness(WITNESS, [LOG.verifier().verifier_key()], state)
    assert first.add_checkpoint(_body(store, 0, 6)).status == 200

    again = Witness(WITNESS, [LOG.verifier().verifier_key()], state)

    assert again.add_checkpoint(_body(store, 0, 9)).body == "6\n"
    assert again.add_checkpoint(_body(store, 6, 9)).status == 200


def test_witness_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "w" / "witness.key"

    created = load_or_create_key(path, "witness.test/w9")

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert created.sig_type == SIG_COSIGNATURE_V1
    assert load_or_create_key(path, "ignored") == created
    os.chmod(path, 0o644)
    with pytest.raises(InvalidInput, match="readable by its owner only"):
        load_or_create_key(path, "witness.test/w9")
