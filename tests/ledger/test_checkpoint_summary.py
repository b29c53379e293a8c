"""The latest checkpoint as a person is shown it (size, root hash, signing time), on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.ledger import service
from carbonbridge.ledger.checkpoint import open_checkpoint
from tests.ledger.test_service import LOG_SIGNER, append
from tests.ledger.test_service import sessions as sessions  # the fixture recording LOG_SIGNER


def test_the_summary_is_the_signed_checkpoint_of_the_latest_tree(sessions: sessionmaker[Session]) -> None:
    before = datetime.now(UTC)
    append(sessions, 3)

    summary = service.checkpoint_summary(sessions)

    signed = open_checkpoint(service.latest_checkpoint(sessions), LOG_SIGNER.verifier())
    assert (summary.tree_size, summary.root_hash, summary.origin) == (3, signed.root_hash, signed.origin)
    assert before - timedelta(seconds=1) <= summary.signed_at <= datetime.now(UTC)


def test_a_new_log_summarises_its_signed_empty_tree(sessions: sessionmaker[Session]) -> None:
    service.latest_checkpoint(sessions, signer=LOG_SIGNER)  # a new log signs its empty tree first
    summary = service.checkpoint_summary(sessions)
    assert summary.tree_size == 0
    # RFC 6962 §2.1: the hash of an empty tree is SHA-256 of the empty string
    assert summary.root_hash.hex().startswith("e3b0c442")
