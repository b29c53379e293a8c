"""The log side of c2sp.org/tlog-witness: the witness registry and the push of the latest
checkpoint with a consistency proof, round trip against the witness's HTTP app; the returned
cosignatures (tlog-cosignature, cosignature/v1) are stored and served with the checkpoint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.errors import Conflict, InvalidInput, NotFound
from carbonbridge.ledger import service
from carbonbridge.ledger.api import witness_app
from carbonbridge.ledger.checkpoint import open_signed_checkpoint, sign_checkpoint
from carbonbridge.ledger.merkle import MemoryHashStore
from carbonbridge.ledger.model import Checkpoint
from carbonbridge.ledger.note import SIG_COSIGNATURE_V1, Ed25519Signer, cosignature_timestamp
from carbonbridge.ledger.witness import Witness, format_add_checkpoint
from carbonbridge.platform.db import unit_of_work
from tests.conftest import record_log_key

LOG = Ed25519Signer("carbonbridge.test/log", bytes(range(32)))
WITNESS = Ed25519Signer("witness.test/w1", bytes(range(32, 64)), SIG_COSIGNATURE_V1, clock=lambda: 1764000000)
WITNESS_KEY = WITNESS.verifier().verifier_key()
URL = "http://witness.test/w1"


@pytest.fixture
def sessions(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The shared database, recording LOG as the log's key (this module signs with it)."""
    record_log_key(sessions, LOG)
    return sessions


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from carbonbridge.platform.settings import get_settings

    monkeypatch.setenv("CARBONBRIDGE_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def witness(tmp_path: Path) -> Witness:
    return Witness(WITNESS, [LOG.verifier().verifier_key()], tmp_path / "witness" / "state.json")


@pytest.fixture
def post(witness: Witness) -> service.WitnessPost:
    """The push's transport, into the witness's HTTP app in-process (no network)."""
    client = TestClient(witness_app(witness))

    def post(url: str, body: bytes) -> tuple[int, str, bytes]:
        assert url == f"{URL}/add-checkpoint"
        response = client.post("/add-checkpoint", content=body)
        return response.status_code, response.headers.get("content-type", ""), response.content

    return post


def _append(sessions: sessionmaker[Session], n: int) -> None:
    with unit_of_work(sessions) as session:
        service.append_events(
            session, [service.LogEvent("test.witness", {"n": i}) for i in range(n)], signer=LOG
        )


def test_registry_adds_lists_and_removes_witnesses(sessions: sessionmaker[Session]) -> None:
    added = service.add_witness(sessions, WITNESS_KEY, URL + "/")

    assert added == service.RegisteredWitness("witness.test/w1", WITNESS_KEY, URL, 0)
    assert service.list_witnesses(sessions) == [added]
    with pytest.raises(Conflict):
        service.add_witness(sessions, WITNESS_KEY, URL)
    service.remove_witness(sessions, "witness.test/w1")
    assert service.list_witnesses(sessions) == []
    with pytest.raises(NotFound):
        service.remove_witness(sessions, "witness.test/w1")


def test_registry_refuses_a_log_key_and_a_non_http_url(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(InvalidInput, match="cosignature/v1"):
        service.add_witness(sessions, LOG.verifier().verifier_key(), URL)
    with pytest.raises(InvalidInput, match="http"):
        service.add_witness(sessions, WITNESS_KEY, "ftp://witness.test")
    assert service.list_witnesses(sessions) == []


def test_push_round_trip_stores_and_serves_a_verifying_cosignature(
    sessions: sessionmaker[Session], post: service.WitnessPost, witness: Witness
) -> None:
    service.add_witness(sessions, WITNESS_KEY, URL)
    _append(sessions, 5)

    (result,) = service.push_checkpoint(sessions, post)

    assert (result.witness, result.tree_size, result.cosigned) == ("witness.test/w1", 5, True)
    served = service.latest_checkpoint(sessions, signer=LOG)
    checkpoint, opened = open_signed_checkpoint(served, [LOG.verifier(), WITNESS.verifier()])
    assert checkpoint.tree_size == 5
    cosignature = next(s for s in opened.verified if s.name == "witness.test/w1")
    assert cosignature_timestamp(cosignature) == 1764000000
    assert service.list_witnesses(sessions)[0].cosigned_size == 5
    assert service.audit(sessions, verifier=LOG.verifier()).ok  # the stored cosignature verifies
    latest = witness.latest(LOG.name)
    assert latest is not None
    assert latest.tree_size == 5


def test_later_push_sends_a_consistency_proof_from_the_size_last_cosigned(
    sessions: sessionmaker[Session], post: service.WitnessPost, witness: Witness
) -> None:
    service.add_witness(sessions, WITNESS_KEY, URL)
    _append(sessions, 5)
    service.push_checkpoint(sessions, post)
    _append(sessions, 300)
    sent: list[bytes] = []

    def spy(url: str, body: bytes) -> tuple[int, str, bytes]:
        sent.append(body)
        return post(url, body)

    (result,) = service.push_checkpoint(sessions, spy)

    assert result.cosigned, result.detail
    assert result.tree_size == 305
    head = sent[0].decode().split("\n\n")[0].split("\n")
    assert head[0] == "old 5"
    assert len(head) > 1  # the RFC 9162 consistency proof 5 -> 305
    assert service.list_witnesses(sessions)[0].cosigned_size == 305


def test_push_after_a_409_retries_from_the_witness_size(
    sessions: sessionmaker[Session], post: service.WitnessPost
) -> None:
    service.add_witness(sessions, WITNESS_KEY, URL)
    _append(sessions, 4)
    service.push_checkpoint(sessions, post)
    service.remove_witness(sessions, "witness.test/w1")  # the registry forgets the size (4)
    service.add_witness(sessions, WITNESS_KEY, URL)
    _append(sessions, 6)
    statuses: list[int] = []

    def spy(url: str, body: bytes) -> tuple[int, str, bytes]:
        answer = post(url, body)
        statuses.append(answer[0])
        return answer

    (result,) = service.push_checkpoint(sessions, spy)

    assert statuses == [409, 200]
    assert (result.cosigned, result.tree_size) == (True, 10)


def test_witness_that_saw_another_tree_refuses_and_nothing_is_stored(
    sessions: sessionmaker[Session], post: service.WitnessPost, witness: Witness
) -> None:
    """A split view: the witness cosigned a tree of size 3 with other entries, signed by the same
    log key; the log's real checkpoint of size 8 is not consistent with it (422)."""
    forged = MemoryHashStore()
    for i in range(3):
        forged.append(b"forged %d" % i)
    forged_note = sign_checkpoint(Checkpoint(LOG.name, 3, forged.root()), LOG)
    assert witness.add_checkpoint(format_add_checkpoint(0, [], forged_note)).status == 200
    service.add_witness(sessions, WITNESS_KEY, URL)
    _append(sessions, 8)

    (result,) = service.push_checkpoint(sessions, post)

    assert not result.cosigned
    assert result.detail.startswith("HTTP 422")
    served = service.latest_checkpoint(sessions, signer=LOG)
    assert "witness.test/w1" not in served
    assert service.list_witnesses(sessions)[0].cosigned_size == 0


def test_unreachable_witness_is_reported_and_the_others_still_pushed(
    sessions: sessionmaker[Session], post: service.WitnessPost
) -> None:
    other = Ed25519Signer("witness.test/w0", bytes(range(64, 96)), SIG_COSIGNATURE_V1)
    service.add_witness(sessions, other.verifier().verifier_key(), "http://127.0.0.1:9/unreachable")
    service.add_witness(sessions, WITNESS_KEY, URL)
    _append(sessions, 3)

    def route(url: str, body: bytes) -> tuple[int, str, bytes]:
        if url.startswith(URL):
            return post(url, body)
        return service.http_post(url, body)  # connection refused on the discard port

    results = service.push_checkpoint(sessions, route)

    assert [(r.witness, r.cosigned) for r in results] == [
        ("witness.test/w0", False),
        ("witness.test/w1", True),
    ]
    assert "dependency" in results[0].detail or "unavailable" in results[0].detail.lower()
