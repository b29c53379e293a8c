"""The ledger service on both backends: appends in the caller's transaction, receipts that verify
offline with only the verifier key, group commit, proofs, tiles, export and cosignatures."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.canonical import canonical_json
from carbonbridge.kernel.errors import CarbonbridgeError, Forbidden, InvalidInput, NotFound
from carbonbridge.ledger import service
from carbonbridge.ledger.checkpoint import checkpoint_text, open_checkpoint, parse_checkpoint
from carbonbridge.ledger.errors import LedgerVerificationFailed, TileNotFound, UnknownSigner
from carbonbridge.ledger.merkle import check_record, check_tree, leaf_hash
from carbonbridge.ledger.note import (
    SIG_COSIGNATURE_V1,
    Ed25519Signer,
    open_note,
    sign_note,
)
from carbonbridge.ledger.proof import parse_receipt, verify_receipt
from carbonbridge.ledger.service import appends, tileserving
from carbonbridge.ledger.verify import directory_fetcher, verify_checkpoint_tiles, verify_entries
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import PUBLIC, Principal, Role
from tests.conftest import record_log_key

LOG_SIGNER = Ed25519Signer("carbonbridge.test/log", bytes(range(32)))
WITNESS = Ed25519Signer("witness.test/w1", bytes(range(32, 64)), SIG_COSIGNATURE_V1, clock=lambda: 1764000000)
VKEY = LOG_SIGNER.verifier().verifier_key()


@pytest.fixture
def sessions(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The shared database, recording LOG_SIGNER as the log's key (this module signs with it)."""
    record_log_key(sessions, LOG_SIGNER)
    return sessions


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any key the service creates by default goes to a temporary data directory."""
    from carbonbridge.platform.settings import get_settings

    monkeypatch.setenv("CARBONBRIDGE_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def append(sessions: sessionmaker[Session], n: int, kind: str = "test.event") -> list[service.PendingEntry]:
    out = []
    for i in range(n):
        with unit_of_work(sessions) as session:
            out.append(service.append_event(session, kind, {"n": i}, signer=LOG_SIGNER))
    return out


def test_receipt_from_append_verifies_offline_with_only_the_verifier_key(
    sessions: sessionmaker[Session],
) -> None:
    append(sessions, 4)
    with unit_of_work(sessions) as session:
        pending = service.append_event(session, "test.event", {"amount_kg": 12}, signer=LOG_SIGNER)

    verified = verify_receipt(pending.receipt(), VKEY, pending.entry)

    assert (verified.index, verified.checkpoint.tree_size) == (4, 5)
    assert json.loads(pending.entry)["event"] == {"amount_kg": 12}


def test_receipt_after_commit_proves_against_the_latest_checkpoint(sessions: sessionmaker[Session]) -> None:
    first = append(sessions, 3)[0]

    text = service.receipt(sessions, first.index)

    verified = verify_receipt(text, VKEY, first.entry)
    assert verified.checkpoint.tree_size == 3
    assert parse_receipt(text).extra == first.entry


def test_rolled_back_append_leaves_no_trace(sessions: sessionmaker[Session]) -> None:
    append(sessions, 2)

    def failing_use_case() -> None:
        with unit_of_work(sessions) as session:
            service.append_event(session, "test.event", {"n": 99}, signer=LOG_SIGNER)
            raise RuntimeError("the caller's use case failed")

    with pytest.raises(RuntimeError):
        failing_use_case()

    again = append(sessions, 1)[0]

    assert again.index == 2
    assert service.audit(sessions, verifier=LOG_SIGNER.verifier()).ok


def test_group_commit_signs_one_checkpoint_for_the_batch(sessions: sessionmaker[Session]) -> None:
    append(sessions, 2)
    batch = [service.LogEvent("test.batch", {"n": i}) for i in range(5)]
    with unit_of_work(sessions) as session:
        pending = service.append_events(session, batch, signer=LOG_SIGNER)

    assert [p.index for p in pending] == [2, 3, 4, 5, 6]
    assert {p.tree_size for p in pending} == {7}
    for p in pending:
        verify_receipt(p.receipt(), VKEY, p.entry)
    report = service.audit(sessions, verifier=LOG_SIGNER.verifier())
    assert (report.ok, report.checkpoints, report.entries) == (True, 3, 7)


def test_private_event_logs_only_a_salted_commitment(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        pending = service.append_event(
            session, "test.private", {"secret": "42 t"}, private=True, signer=LOG_SIGNER
        )
    with unit_of_work(sessions) as session:
        salt, payload = service.commitment_opening(session, pending.index)

    logged = json.loads(pending.entry)
    assert set(logged) == {"kind", "commitment"}
    assert b"secret" not in pending.entry
    assert json.loads(payload) == {"secret": "42 t"}
    assert len(salt) == 32
    assert service.audit(sessions, verifier=LOG_SIGNER.verifier()).ok


def test_inclusion_and_consistency_proofs_check_against_signed_checkpoints(
    sessions: sessionmaker[Session],
) -> None:
    entries = append(sessions, 9)
    old = parse_checkpoint(checkpoint_text(parse_receipt(entries[3].receipt()).checkpoint_note))
    new = open_checkpoint(service.latest_checkpoint(sessions), LOG_SIGNER.verifier())

    inclusion = service.inclusion_proof(sessions, 6, 9)
    consistency = service.consistency_proof(sessions, 4, 9)

    check_record(inclusion, 9, new.root_hash, 6, leaf_hash(entries[6].entry))
    check_tree(consistency, 9, new.root_hash, old.tree_size, old.root_hash)


def test_proof_of_a_tree_larger_than_the_log_is_refused(sessions: sessionmaker[Session]) -> None:
    append(sessions, 2)
    with pytest.raises(InvalidInput, match="tree size"):
        service.inclusion_proof(sessions, 0, 3)


def test_receipt_for_a_missing_entry_is_not_found(sessions: sessionmaker[Session]) -> None:
    append(sessions, 1)
    with pytest.raises(NotFound):
        service.receipt(sessions, 1)


def test_new_log_serves_a_signed_empty_checkpoint(sessions: sessionmaker[Session]) -> None:
    note = service.latest_checkpoint(sessions, signer=LOG_SIGNER)

    assert open_checkpoint(note, LOG_SIGNER.verifier()).tree_size == 0


def test_exported_tiles_verify_offline(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    with unit_of_work(sessions) as session:
        service.append_events(
            session, [service.LogEvent("test.bulk", {"n": i}) for i in range(600)], signer=LOG_SIGNER
        )
    append(sessions, 3)

    checkpoint = service.export_tiles(sessions, tmp_path / "log")

    fetch = directory_fetcher(tmp_path / "log")
    opened = open_checkpoint(fetch("checkpoint"), LOG_SIGNER.verifier())
    assert opened == checkpoint
    verify_checkpoint_tiles(opened, fetch)
    assert verify_entries(opened, fetch) == 603
    assert (tmp_path / "log" / "tile/0/002.p/91").exists()


def test_tile_of_an_older_partial_width_is_still_served(sessions: sessionmaker[Session]) -> None:
    entries = append(sessions, 5)

    bundle = service.tile(sessions, "tile/entries/000.p/3")
    hashes = service.tile(sessions, "tile/0/000.p/5")

    assert bundle[2:].startswith(entries[0].entry)
    assert hashes[:32] == leaf_hash(entries[0].entry)
    with pytest.raises(TileNotFound):
        service.tile(sessions, "tile/0/000.p/6")


def _cosigned(note: str) -> str:
    text = checkpoint_text(note)
    return sign_note(text, WITNESS)


def test_witness_cosignature_is_served_with_the_checkpoint(sessions: sessionmaker[Session]) -> None:
    append(sessions, 2)
    note = service.latest_checkpoint(sessions)
    witness = Principal("usr_w", "w1", Role.WITNESS)

    served = service.add_cosignature(sessions, witness, _cosigned(note), WITNESS.verifier().verifier_key())

    assert served == service.latest_checkpoint(sessions)
    opened = open_note(served, [LOG_SIGNER.verifier(), WITNESS.verifier()])
    assert {s.name for s in opened.verified} == {LOG_SIGNER.name, WITNESS.name}
    assert service.audit(sessions, verifier=LOG_SIGNER.verifier()).ok


def test_cosignature_of_another_tree_is_refused(sessions: sessionmaker[Session]) -> None:
    append(sessions, 2)
    note = service.latest_checkpoint(sessions)
    forged = note.split("\n")
    forged[2] = "A" * 43 + "="
    body = "\n".join(forged[:3]) + "\n"
    witness = Principal("usr_w", "w1", Role.WITNESS)

    with pytest.raises(LedgerVerificationFailed, match="split view"):
        service.add_cosignature(
            sessions, witness, sign_note(body, WITNESS), WITNESS.verifier().verifier_key()
        )


def test_cosignature_without_the_witness_signature_is_refused(sessions: sessionmaker[Session]) -> None:
    append(sessions, 1)
    note = service.latest_checkpoint(sessions)
    witness = Principal("usr_w", "w1", Role.WITNESS)

    with pytest.raises(UnknownSigner):
        service.add_cosignature(sessions, witness, note, WITNESS.verifier().verifier_key())


def test_only_witnesses_cosign(sessions: sessionmaker[Session]) -> None:
    reporter = Principal("usr_r", "r", Role.REPORTER, "org_1")
    with pytest.raises(Forbidden):
        service.add_cosignature(sessions, reporter, "x\n", WITNESS.verifier().verifier_key())
    with pytest.raises(CarbonbridgeError):
        service.add_cosignature(sessions, PUBLIC, "x\n", WITNESS.verifier().verifier_key())


def test_event_that_has_no_canonical_json_is_invalid_input(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(InvalidInput, match="not representable"), unit_of_work(sessions) as session:
        service.append_event(session, "test.event", {"ratio": float("nan")}, signer=LOG_SIGNER)


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.text()
    | st.decimals(allow_nan=False, places=3)
    | st.datetimes(timezones=st.just(UTC))
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


@given(_json_values)
def test_fast_canonical_json_equals_rfc8785_serialiser(value: object) -> None:
    """The append path's fast serialiser emits the kernel's RFC 8785 bytes (or its error)."""
    try:
        expected: bytes | type[Exception] = canonical_json(value)
    except ValueError as exc:
        expected = type(exc)

    try:
        got: bytes | type[Exception] = appends._canonical(value)
    except ValueError as exc:
        got = type(exc)

    assert got == expected


T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
_kinds = st.text(min_size=1, max_size=80)


@given(
    _kinds,
    st.dictionaries(st.text(max_size=6), _json_values, max_size=4),
    st.datetimes(timezones=st.just(UTC)),
)
def test_entry_assembled_per_batch_equals_rfc8785_of_the_whole_entry(
    kind: str, event: dict[str, object], at: datetime
) -> None:
    """The append path builds ``{"at","event","kind"}`` from parts encoded once per batch; the
    bytes are those of the kernel's RFC 8785 serialiser on the whole entry (or its error)."""
    try:
        expected: bytes | type[Exception] = canonical_json({"kind": kind, "event": event, "at": at})
    except ValueError:
        expected = InvalidInput

    try:
        got: bytes | type[Exception] = appends._entry_bytes(service.LogEvent(kind, event), at)[0]
    except InvalidInput:
        got = InvalidInput

    assert got == expected


def test_private_entry_assembled_per_batch_equals_rfc8785_of_the_commitment() -> None:
    entry, opening = appends._entry_bytes(service.LogEvent("test.private", {"b": 1, "a": "x"}, True), T0)
    assert opening is not None
    salt, payload = opening
    commitment = hashlib.sha256(salt + payload).hexdigest()

    assert payload == b'{"a":"x","b":1}'
    assert entry == canonical_json({"kind": "test.private", "commitment": commitment})


def test_full_tiles_are_cached_and_partial_tiles_are_not(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        service.append_events(
            session, [service.LogEvent("test.event", {"n": i}) for i in range(300)], signer=LOG_SIGNER
        )

    full = service.tile(sessions, "tile/0/000")
    partial = service.tile(sessions, "tile/0/001.p/44")

    cache = tileserving._cache_for(sessions)
    assert cache.get("tile/0/000") == full
    assert cache.get("tile/0/001.p/44") is None
    assert len(partial) == 44 * 32
