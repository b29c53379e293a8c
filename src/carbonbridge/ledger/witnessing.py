"""Witness cosignatures (c2sp.org/tlog-cosignature) of the log's checkpoints."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.clock import Clock, utc_now
from carbonbridge.kernel.errors import FieldIssue, InvalidInput, NotFound
from carbonbridge.ledger import store
from carbonbridge.ledger.checkpoint import checkpoint_text, parse_checkpoint
from carbonbridge.ledger.errors import LedgerVerificationFailed
from carbonbridge.ledger.note import (
    SIG_COSIGNATURE_V1,
    format_signature_line,
    open_note,
    parse_note,
    parse_verifier_key,
)
from carbonbridge.ledger.reading import served_note
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Principal, Role


def add_cosignature(
    sessions: sessionmaker[Session],
    principal: Principal,
    note_text: str,
    witness_key: str,
    *,
    clock: Clock = utc_now,
) -> str:
    """Accept a witness's cosignature (c2sp.org/tlog-cosignature, ``cosignature/v1``) on one of
    the log's checkpoints; returns the checkpoint as now served.

    ``note_text`` is the checkpoint note carrying the witness's signature line; ``witness_key``
    the witness's verifier key (type 0x04). The checkpoint body must be byte-identical to the
    one the log signed for that size, and the cosignature must verify.
    """
    principal.require(Role.WITNESS)
    witness = parse_verifier_key(witness_key)
    if witness.sig_type != SIG_COSIGNATURE_V1:
        raise InvalidInput(
            "not a witness key",
            [FieldIssue(("witness_key",), witness_key, "a cosignature/v1 (type 0x04) verifier key")],
        )
    text, _ = parse_note(note_text)
    size = parse_checkpoint(text).tree_size
    opened = open_note(note_text, [witness])
    with unit_of_work(sessions) as session:
        found = store.checkpoint_note(session, size)
        if found is None:
            raise NotFound(f"the log signed no checkpoint of tree size {size}")
        if checkpoint_text(found[1]) != text:
            raise LedgerVerificationFailed(
                f"the cosigned checkpoint of size {size} is not the one this log signed: "
                "the witness saw a different tree (split view?)"
            )
        line = format_signature_line(opened.verified[0])
        store.put_cosignature(session, size, witness.name, witness_key, line, clock())
        return served_note(session, size, found[1])
