"""The store-backed tree (Go tlog layout in SQL) equals the RFC 9162 reference on both backends,
and the append lock survives an emptied state table."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.ledger import service, store
from carbonbridge.ledger.merkle import (
    consistency_path,
    inclusion_path,
    leaf_hash,
    root_hash,
    stored_hash_count,
    tree_hash,
)
from carbonbridge.ledger.note import Ed25519Signer
from carbonbridge.platform.db import unit_of_work
from tests.conftest import record_log_key

SIGNER = Ed25519Signer("carbonbridge.test/log", bytes(range(32)))


@pytest.fixture
def sessions(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The shared database, recording SIGNER as the log's key (this module signs with it)."""
    record_log_key(sessions, SIGNER)
    return sessions


def test_stored_tree_equals_the_rfc_9162_reference(sessions: sessionmaker[Session]) -> None:
    """Roots, inclusion proofs (§2.1.3.1) and consistency proofs (§2.1.4.1) read from the SQL
    store equal those computed from the list of leaves, for batches of random sizes."""
    rng = random.Random(9162)
    leaves: list[bytes] = []
    while len(leaves) < 70:
        batch = [service.LogEvent("test.store", {"n": len(leaves) + k}) for k in range(rng.randint(1, 6))]
        with unit_of_work(sessions) as session:
            pending = service.append_events(session, batch, signer=SIGNER)
        leaves += [p.leaf_hash for p in pending]

    with unit_of_work(sessions) as session:
        reader = store.SessionHashReader(session)
        for size in (1, 2, 3, 7, 8, 9, 31, 64, 65, len(leaves)):
            assert tree_hash(size, reader) == root_hash(leaves[:size])
        assert sum(1 for _ in store.iter_hashes(session)) == stored_hash_count(len(leaves))
    for index, size in ((0, 1), (5, 6), (13, 64), (64, 70), (69, 70)):
        assert service.inclusion_proof(sessions, index, size) == inclusion_path(leaves[:size], index)
    for old, new in ((1, 2), (3, 7), (8, 64), (13, 70), (64, 70)):
        assert service.consistency_proof(sessions, old, new) == consistency_path(leaves[:new], old)


def test_entries_keep_their_bytes_and_leaf_hashes(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        pending = service.append_event(session, "test.store", {"amount": "1.50"}, signer=SIGNER)
    with unit_of_work(sessions) as session:
        stored = store.entry(session, pending.index)

    assert stored is not None
    assert (stored.entry, stored.leaf_hash, stored.kind) == (
        pending.entry,
        leaf_hash(pending.entry),
        "test.store",
    )


def test_append_lock_recreates_an_emptied_state_row(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        session.execute(delete(store.LogStateRow))

    with unit_of_work(sessions) as session:
        state = store.lock_log_state(session)
        store.set_verifier_key(session, SIGNER.verifier().verifier_key())
        first = service.append_event(session, "test.store", {"n": 0}, signer=SIGNER)

    assert (state, first.index) == (store.LogState(0, None), 0)
    with unit_of_work(sessions) as session:
        assert store.tree_size(session) == 1
