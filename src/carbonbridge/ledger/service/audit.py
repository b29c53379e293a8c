"""The log's audit: recompute every leaf, stored hash and checkpoint root from the entries, check
every signature and cosignature, open private commitments, and ask each context (its registered
:data:`Auditor`) whether an entry still matches the state it records."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.canonical import canonical_json
from carbonbridge.kernel.errors import CarbonbridgeError
from carbonbridge.ledger import store
from carbonbridge.ledger.checkpoint import checkpoint_text, open_checkpoint
from carbonbridge.ledger.merkle import (
    leaf_hash,
    stored_hashes_for_leaf_hash,
    tree_hash,
)
from carbonbridge.ledger.model import (
    StoredHashIndex,
)
from carbonbridge.ledger.note import (
    NoteVerifier,
    open_note,
    parse_verifier_key,
)
from carbonbridge.ledger.service.logkey import key_schedule
from carbonbridge.platform.db import unit_of_work

#: c2sp.org/tlog-tiles entry bundles length-prefix entries with a uint16
# --- audit ------------------------------------------------------------------------------------

#: Recomputes a logged event from a context's own state: given the session and the logged event
#: (the ``event`` of a public entry, the opened payload of a private one), returns the event as the
#: context's state says it should be, or ``None`` if that state no longer holds it.
Auditor = Callable[[Session, Mapping[str, object]], Mapping[str, object] | None]

_auditors: dict[str, Auditor] = {}


def register_auditor(kind: str, auditor: Auditor) -> None:
    """Say how entries of ``kind`` are recomputed from their context's state during :func:`audit`."""
    _auditors[kind] = auditor


@dataclass(frozen=True)
class AuditFinding:
    """One thing wrong: ``record`` names it (``entry 12``, ``stored hash 40``, ``checkpoint 7``)."""

    record: str
    reason: str


@dataclass(frozen=True)
class AuditReport:
    tree_size: int
    entries: int
    checkpoints: int
    findings: tuple[AuditFinding, ...]

    @property
    def ok(self) -> bool:
        return not self.findings


class _ListReader:
    def __init__(self, hashes: list[bytes]) -> None:
        self.hashes = hashes

    def read_hashes(self, indexes: Sequence[StoredHashIndex]) -> list[bytes]:
        return [self.hashes[i] for i in indexes]


def _audit_entry(session: Session, e: store.StoredEntry, opening: tuple[bytes, bytes] | None) -> str | None:
    if leaf_hash(e.entry) != e.leaf_hash:
        return "entry bytes do not hash to the stored leaf hash (RFC 9162 §2.1.1)"
    try:
        logged = json.loads(e.entry)
    except ValueError:
        return "entry is not JSON"
    if not isinstance(logged, dict) or logged.get("kind") != e.kind:
        return f"entry's kind is not the stored kind {e.kind!r}"
    if "commitment" in logged:
        if opening is None:
            return "private entry has no stored salt and payload"
        if hashlib.sha256(opening[0] + opening[1]).hexdigest() != logged["commitment"]:
            return "stored salt and payload do not hash to the logged commitment"
        event = json.loads(opening[1])
    else:
        event = logged.get("event")
    auditor = _auditors.get(e.kind)
    if auditor is not None and isinstance(event, dict):
        recomputed = auditor(session, event)
        if recomputed is None:
            return f"the {e.kind} state this entry records no longer exists"
        if canonical_json(recomputed) != canonical_json(event):
            return f"the {e.kind} state differs from what was logged"
    return None


def audit(
    sessions: sessionmaker[Session], *, verifier: NoteVerifier | None = None, limit: int = 100
) -> AuditReport:
    """Recompute every leaf, stored hash and checkpoint root from the entries alone, check every
    checkpoint's signature (and stored cosignatures), the commitments of private entries and,
    where a context registered an :data:`Auditor`, the entry against that context's state.

    Each checkpoint is checked with the key the log was signed with at its size: the verifier
    key the database records, or, across key rotations, the keys the log's own
    ``ledger.key_rotation`` entries name (:func:`~carbonbridge.ledger.service.logkey.key_schedule`; a
    rotation's checkpoint must verify with both). No key file is needed. ``verifier``, if given,
    is used for every checkpoint instead.

    Findings are listed in log order (entries, then stored hashes, then checkpoints), at most
    ``limit``; the first names the first bad record.
    """
    findings: list[AuditFinding] = []

    def found(record: str, reason: str) -> None:
        if len(findings) < limit:
            findings.append(AuditFinding(record, reason))

    recomputed: list[bytes] = []
    reader = _ListReader(recomputed)
    with unit_of_work(sessions) as session:
        state_size = store.tree_size(session)
        openings = store.commitments(session)
        count = 0
        for e in (entries := store.iter_entries(session)):
            if e.index != count:
                found(f"entry {count}", f"missing: the next stored entry is {e.index}")
                entries.close()
                break
            reason = _audit_entry(session, e, openings.get(e.index))
            if reason:
                found(f"entry {e.index}", reason)
            recomputed += stored_hashes_for_leaf_hash(e.index, leaf_hash(e.entry), reader)
            count += 1
        if count != state_size:
            found("log state", f"tree size is {state_size} but {count} contiguous entries are stored")
        seen = 0
        for index, h in store.iter_hashes(session):
            if index >= len(recomputed):
                found(f"stored hash {index}", "beyond the hashes of the stored entries")
            elif h != recomputed[index]:
                found(f"stored hash {index}", "differs from the hash recomputed from the entries")
            seen += 1
        if seen != len(recomputed):
            found("stored hashes", f"{seen} stored, {len(recomputed)} expected for {count} entries")
        schedule = key_schedule(session)
        for record, reason in schedule.problems:
            found(record, reason)
        checkpoints = 0
        for size, note in store.iter_checkpoints(session):
            checkpoints += 1
            expected = (verifier,) if verifier is not None else _verifiers(schedule.signers_of(size))
            if not expected:
                found(f"checkpoint {size}", "the log has no recorded verifier key (`ledger init` records it)")
                continue
            try:
                opened = [open_checkpoint(note, v) for v in expected]
            except CarbonbridgeError as exc:
                found(f"checkpoint {size}", f"signature or format: {exc}")
                continue
            cp = opened[0]
            if cp.tree_size != size or size > count:
                found(f"checkpoint {size}", f"is for tree size {cp.tree_size} of {count} entries")
            elif cp.root_hash != tree_hash(size, reader):
                found(f"checkpoint {size}", "root hash differs from the root recomputed from the entries")
            for line in store.cosignature_lines(session, size):
                try:
                    open_note(checkpoint_text(note) + "\n" + line, [_witness(session, size, line)])
                except CarbonbridgeError as exc:
                    found(f"checkpoint {size} cosignature", str(exc))
    return AuditReport(state_size, count, checkpoints, tuple(findings))


@functools.lru_cache(maxsize=16)
def _verifiers(vkeys: tuple[str, ...]) -> tuple[NoteVerifier, ...]:
    return tuple(parse_verifier_key(k) for k in vkeys)


def _witness(session: Session, size: int, line: str) -> NoteVerifier:
    return parse_verifier_key(store.cosignature_key(session, size, line))
