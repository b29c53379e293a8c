"""Tampering with any stored row is caught by the audit, which names the first bad record."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.ledger import service, store
from carbonbridge.ledger.merkle import stored_hash_index
from carbonbridge.ledger.note import Ed25519Signer
from carbonbridge.platform.db import unit_of_work
from tests.conftest import record_log_key

SIGNER = Ed25519Signer("carbonbridge.test/log", bytes(range(32)))


@pytest.fixture
def sessions(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The shared database, recording SIGNER as the log's key (this module signs with it)."""
    record_log_key(sessions, SIGNER)
    return sessions


def _log(sessions: sessionmaker[Session], n: int = 6) -> None:
    for i in range(n):
        with unit_of_work(sessions) as session:
            service.append_event(session, "test.fault", {"n": i}, signer=SIGNER)


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def _first_finding(sessions: sessionmaker[Session]) -> service.AuditFinding:
    report = service.audit(sessions, verifier=SIGNER.verifier())
    assert not report.ok
    return report.findings[0]


def test_untampered_log_audits_clean(sessions: sessionmaker[Session]) -> None:
    _log(sessions)

    report = service.audit(sessions, verifier=SIGNER.verifier())

    assert (report.ok, report.entries, report.checkpoints, report.tree_size) == (True, 6, 6, 6)


def test_flipped_entry_byte_is_named(sessions: sessionmaker[Session]) -> None:
    _log(sessions)
    with unit_of_work(sessions) as session:
        row = session.get(store.LogEntryRow, 3)
        assert row is not None
        row.entry = _flip(row.entry, 10)

    finding = _first_finding(sessions)

    assert finding.record == "entry 3"
    assert "leaf hash" in finding.reason


def test_flipped_stored_hash_byte_is_named(sessions: sessionmaker[Session]) -> None:
    _log(sessions)
    target = stored_hash_index(1, 1)  # the node over entries 2 and 3
    with unit_of_work(sessions) as session:
        old = session.scalar(
            select(store.StoredHashRow.hash).where(store.StoredHashRow.storage_index == target)
        )
        assert old is not None
        session.execute(
            update(store.StoredHashRow)
            .where(store.StoredHashRow.storage_index == target)
            .values(hash=_flip(old, 0))
        )

    finding = _first_finding(sessions)

    assert finding.record == f"stored hash {target}"


def test_flipped_checkpoint_byte_is_named(sessions: sessionmaker[Session]) -> None:
    _log(sessions)
    with unit_of_work(sessions) as session:
        row = session.get(store.CheckpointRow, 4)
        assert row is not None
        lines = row.note.split("\n")
        lines[2] = ("B" if lines[2][0] != "B" else "C") + lines[2][1:]
        row.note = "\n".join(lines)

    finding = _first_finding(sessions)

    assert finding.record == "checkpoint 4"
    assert "signature" in finding.reason


def test_missing_entry_is_named(sessions: sessionmaker[Session]) -> None:
    _log(sessions)
    with unit_of_work(sessions) as session:
        session.execute(delete(store.LogEntryRow).where(store.LogEntryRow.index == 2))

    finding = _first_finding(sessions)

    assert finding.record == "entry 2"
    assert "missing" in finding.reason


def test_registered_auditor_catches_state_that_differs_from_the_log(sessions: sessionmaker[Session]) -> None:
    _log(sessions, 3)
    service.register_auditor("test.fault", lambda _s, event: {"n": 1} if event["n"] == 1 else None)
    try:
        report = service.audit(sessions, verifier=SIGNER.verifier())
    finally:
        service.register_auditor("test.fault", lambda _s, event: event)

    assert [f.record for f in report.findings] == ["entry 0", "entry 2"]
    assert "no longer exists" in report.findings[0].reason
