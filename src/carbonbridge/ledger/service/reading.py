"""Reading the log: the latest signed checkpoint (c2sp.org/tlog-checkpoint) with its witness
cosignatures, receipts (c2sp.org/tlog-proof), RFC 9162 inclusion and consistency proofs, and
pages of recent entries for people (:func:`entry_page`)."""

from __future__ import annotations

import base64
from collections.abc import Sequence

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.clock import Clock, utc_now
from carbonbridge.kernel.errors import FieldIssue, InvalidInput, NotFound
from carbonbridge.ledger import store
from carbonbridge.ledger.checkpoint import parse_checkpoint, sign_checkpoint
from carbonbridge.ledger.entries import PROJECT_DRAFTED, EntryPage, parse_entry, project_code
from carbonbridge.ledger.errors import LogNotInitialised
from carbonbridge.ledger.merkle import (
    prove_record,
    prove_tree,
    tree_hash,
)
from carbonbridge.ledger.model import (
    Checkpoint,
    CheckpointSummary,
)
from carbonbridge.ledger.note import (
    NoteSigner,
)
from carbonbridge.ledger.proof import encode_receipt, issue_receipt
from carbonbridge.ledger.service import keys
from carbonbridge.platform.db import unit_of_work


def served_note(session: Session, size: int, note: str) -> str:
    """The log's checkpoint note with the witness cosignatures collected for it."""
    return note + "".join(store.cosignature_lines(session, size))


def latest_checkpoint_in(session: Session) -> tuple[int, str]:
    found = store.checkpoint_note(session)
    if found is None:
        raise NotFound("the log has no checkpoint yet")
    size, note = found
    return size, served_note(session, size, note)


def latest_checkpoint(
    sessions: sessionmaker[Session], *, signer: NoteSigner | None = None, clock: Clock = utc_now
) -> str:
    """The latest signed checkpoint with its cosignatures; a new log signs its empty tree first
    (with the recorded key only: :func:`keys.checked_signer`)."""
    with unit_of_work(sessions) as session:
        if store.checkpoint_note(session) is not None:
            return latest_checkpoint_in(session)[1]
    with unit_of_work(sessions) as session:
        state = store.lock_log_state(session)
        if store.checkpoint_note(session) is None and state.tree_size == 0:
            signer = keys.checked_signer(state.verifier_key, signer)
            reader = store.SessionHashReader(session)
            note = sign_checkpoint(Checkpoint(signer.name, 0, tree_hash(0, reader)), signer)
            store.add_checkpoint(session, 0, note, clock())
        return latest_checkpoint_in(session)[1]


def checkpoint_summary(sessions: sessionmaker[Session]) -> CheckpointSummary:
    """The latest checkpoint's size, root hash and signing time (c2sp.org/tlog-checkpoint: the
    note body is origin, size and base64 root hash, one per line)."""
    note = latest_checkpoint(sessions)
    with unit_of_work(sessions) as session:
        body = note.split("\n\n", 1)[0] + "\n"
        checkpoint = parse_checkpoint(body)
        signed_at = store.checkpoint_time(session, checkpoint.tree_size)
    if signed_at is None:  # pragma: no cover - the note was just read from this table
        raise NotFound(f"checkpoint of size {checkpoint.tree_size} vanished")
    return CheckpointSummary(checkpoint.origin, checkpoint.tree_size, checkpoint.root_hash, signed_at)


def receipt(sessions: sessionmaker[Session], index: int) -> str:
    """A c2sp.org/tlog-proof receipt for entry ``index`` against the latest checkpoint."""
    with unit_of_work(sessions) as session:
        size, note = latest_checkpoint_in(session)
        found = store.entry(session, index)
        if found is None or index >= size:
            raise NotFound(f"log entry {index} does not exist (tree size {size})")
        made = issue_receipt(index, note, store.SessionHashReader(session), extra=found.entry)
        return encode_receipt(made)


def _check_size(session: Session, size: int, what: str) -> None:
    current = store.tree_size(session)
    if not 0 < size <= current:
        raise InvalidInput("no such tree", [FieldIssue((what,), size, f"a tree size in 1..{current}")])


def inclusion_proof(sessions: sessionmaker[Session], index: int, size: int) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(index, D[size]) from the stored hashes."""
    with unit_of_work(sessions) as session:
        _check_size(session, size, "size")
        if not 0 <= index < size:
            raise InvalidInput("no such entry", [FieldIssue(("index",), index, f"0..{size - 1}")])
        return prove_record(size, index, store.SessionHashReader(session))


def consistency_proof(sessions: sessionmaker[Session], old: int, new: int) -> list[bytes]:
    """RFC 9162 §2.1.4.1 PROOF(old, D[new]); empty when ``old`` is 0 or equals ``new``."""
    with unit_of_work(sessions) as session:
        _check_size(session, new, "new")
        if not 0 <= old <= new:
            raise InvalidInput("no such tree", [FieldIssue(("old",), old, f"0..{new}")])
        if old in (0, new):
            return []
        return prove_tree(new, old, store.SessionHashReader(session))


def verifier_key(sessions: sessionmaker[Session]) -> str:
    """The log's verifier key text (c2sp.org/signed-note), as the database records it: the key
    every checkpoint from now on is signed with, whatever key file this process has."""
    with unit_of_work(sessions) as session:
        recorded = store.recorded_verifier_key(session)
    if recorded is None:
        raise LogNotInitialised(
            "the log has no recorded verifier key yet: run `carbonbridge migrate` or `ledger init`"
        )
    return recorded


def b64(hashes: Sequence[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in hashes]


def entry_page(sessions: sessionmaker[Session], page: int, per_page: int = 25) -> EntryPage:
    """Page ``page`` (1 = newest) of the log's entries, newest first, with the project codes the
    log itself published (``registry.project_drafted`` entries) for describing them in words
    (:mod:`~carbonbridge.ledger.entries`). A page past the last is refused (422, ``page``)."""
    with unit_of_work(sessions) as session:
        size = store.tree_size(session)
        pages = max(1, -(-size // per_page))
        if not 1 <= page <= pages:
            issue = FieldIssue(("page",), page, f"a page in 1..{pages}")
            raise InvalidInput("no such page of the log", [issue])
        stop = size - (page - 1) * per_page
        start = max(0, stop - per_page)
        logged = store.entries_between(session, start, stop)
        entries = [parse_entry(i, e) for i, e in enumerate(logged, start)]
        codes = dict(
            found
            for e in store.entries_of_kind(session, PROJECT_DRAFTED)
            if (found := project_code(parse_entry(e.index, e.entry))) is not None
        )
    return EntryPage(size, page, pages, per_page, tuple(reversed(entries)), codes)
