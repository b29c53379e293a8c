"""Appending to the transparency log inside the caller's transaction (group commit).

Other contexts call :func:`append_event` (or :func:`append_events`) with *their* session, before
their commit, so that a state change and its log entry commit or roll back together; the returned
:class:`PendingEntry` carries a c2sp.org/tlog-proof receipt against the checkpoint signed in that
same transaction, valid once the transaction commits. Entries are RFC 8785 canonical JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from carbonbridge.kernel.canonical import canonical_json
from carbonbridge.kernel.clock import Clock, utc_now
from carbonbridge.kernel.errors import FieldIssue, InvalidInput, NotFound
from carbonbridge.ledger import store
from carbonbridge.ledger.checkpoint import sign_checkpoint
from carbonbridge.ledger.merkle import (
    leaf_hash,
    range_siblings,
    stored_hash_index,
    stored_hashes_for_leaf_hash,
    tree_hash,
)
from carbonbridge.ledger.model import (
    ROTATION_EVENT,
    Checkpoint,
)
from carbonbridge.ledger.note import (
    NoteSigner,
)
from carbonbridge.ledger.proof import encode_range_receipts
from carbonbridge.ledger.service import keys

#: c2sp.org/tlog-tiles entry bundles length-prefix entries with a uint16
MAX_ENTRY_BYTES = 0xFFFF


@dataclass(frozen=True)
class LogEvent:
    """An event to log: ``kind`` (e.g. ``accounting.submission``), the event, and whether its
    payload is private (then only a salted commitment is logged)."""

    kind: str
    event: Mapping[str, object]
    private: bool = False


@dataclass(frozen=True)
class PendingEntry:
    """An appended entry whose transaction has not necessarily committed yet."""

    index: int
    leaf_hash: bytes
    entry: bytes
    tree_size: int
    receipt_text: str

    def receipt(self) -> str:
        """The c2sp.org/tlog-proof receipt (entry bytes in its ``extra`` line) against the
        checkpoint signed in the appending transaction; valid once that transaction commits."""
        return self.receipt_text


#: RFC 8785 §3.2.2.3: integers outside ±(2**53 - 1) have no exact I-JSON number
_MAX_EXACT_INT = 2**53 - 1


class _NotSimple(Exception):
    """A value :func:`_simple_plain` leaves to the full RFC 8785 serialiser."""


def _simple_plain(value: object) -> object:
    """``kernel.canonical``'s plain form of ``value`` when it holds only strings, exact integers,
    booleans, null, Decimals, datetimes/dates, lists and objects with ASCII keys; else raises
    :class:`_NotSimple`. For such values ``json.dumps`` with sorted keys and no whitespace emits
    exactly the RFC 8785 text (same escapes, §3.2.2.2; ASCII keys sort the same by code point as
    by UTF-16 unit, §3.2.3), an order of magnitude faster than the general serialiser."""
    t = type(value)
    if t is str or t is bool or value is None:
        return value
    if t is int:
        if -_MAX_EXACT_INT <= value <= _MAX_EXACT_INT:  # type: ignore[operator]
            return value
        raise _NotSimple
    if t is dict:
        out = {}
        for k, v in value.items():  # type: ignore[attr-defined]
            if type(k) is not str or not k.isascii():
                raise _NotSimple
            tv = type(v)
            # the usual flat event: scalars inline, without a call per value
            if tv is str or tv is bool or v is None or (tv is int and -_MAX_EXACT_INT <= v <= _MAX_EXACT_INT):
                out[k] = v
            else:
                out[k] = _simple_plain(v)
        return out
    if t is list or t is tuple:
        return [_simple_plain(v) for v in value]  # type: ignore[attr-defined]
    if t is Decimal:
        return format(value, "f")
    if t is datetime or t is date:
        return value.isoformat()  # type: ignore[attr-defined]
    raise _NotSimple


def _canonical(value: object) -> bytes:
    """``kernel.canonical.canonical_json(value)``, through the fast path where it applies."""
    try:
        return json.dumps(
            _simple_plain(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
        ).encode()
    except (_NotSimple, UnicodeEncodeError):  # floats, enums, lone surrogates...: the general path
        return canonical_json(value)


class _EntryEncoder:
    """The entries of one batch: RFC 8785 is compositional (an object is ``{`` + its members
    sorted by key, each ``"key":`` + the canonical value, + ``}``), so the public entry
    ``{"at","event","kind"}`` is assembled from the canonical event and the batch's canonical
    time and kinds, each encoded once per batch."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self._prefix = b'{"at":' + _canonical(at) + b',"event":'
        self._kinds: dict[str, bytes] = {}

    def _kind(self, kind: str) -> bytes:
        found = self._kinds.get(kind)
        if found is None:
            if not kind or len(kind) > 80:
                raise InvalidInput("cannot log event", [FieldIssue(("kind",), kind, "1-80 characters")])
            try:
                found = self._kinds[kind] = _canonical(kind)
            except ValueError as exc:  # a lone surrogate has no UTF-8 form
                raise InvalidInput("cannot log event", [FieldIssue(("kind",), kind, str(exc))]) from exc
        return found

    def entry(self, item: LogEvent) -> tuple[bytes, tuple[bytes, bytes] | None]:
        """The entry bytes, and for a private event its (salt, canonical payload)."""
        kind = self._kind(item.kind)
        try:
            payload = _canonical(item.event)
        except ValueError as exc:  # rfc8785.CanonicalizationError: NaN, huge integers, other types
            raise InvalidInput("cannot log event", [FieldIssue(("event",), item.kind, str(exc))]) from exc
        if not item.private:
            return b"".join((self._prefix, payload, b',"kind":', kind, b"}")), None
        salt = os.urandom(32)
        commitment = hashlib.sha256(salt + payload).hexdigest().encode()
        return b'{"commitment":"' + commitment + b'","kind":' + kind + b"}", (salt, payload)


def _entry_bytes(item: LogEvent, at: datetime) -> tuple[bytes, tuple[bytes, bytes] | None]:
    """The entry of one event (see :class:`_EntryEncoder`)."""
    return _EntryEncoder(at).entry(item)


def append_events(
    session: Session,
    events: Sequence[LogEvent],
    *,
    signer: NoteSigner | None = None,
    clock: Clock = utc_now,
) -> list[PendingEntry]:
    """Append a batch of events and sign ONE checkpoint for the new tree size (group commit).

    Runs in the caller's transaction: takes the append lock (held until the caller commits or
    rolls back), checks that the signing key (``signer``, else this process's key file) is the
    verifier key the database records for the log (:func:`keys.checked_signer`: refused with
    ``ledger-log-key-mismatch`` or ``ledger-log-not-initialised`` before anything is written, so
    the caller's transaction rolls back whole), writes entries and the 1 + trailing-ones(n)
    stored hashes per entry (RFC 9162 §2.1 tree, Go tlog storage layout), bumps the tree size and
    stores the checkpoint note (c2sp.org/tlog-checkpoint) signed by the log key. Flushes, never
    commits.
    """
    if not events:
        return []
    for item in events:
        if item.kind == ROTATION_EVENT:
            raise InvalidInput(
                "cannot log event",
                [FieldIssue(("kind",), item.kind, "reserved for `carbonbridge ledger rotate-key`")],
            )
    state = store.lock_log_state(session)
    signer = keys.checked_signer(state.verifier_key, signer)
    return append_locked(session, state.tree_size, events, (signer,), clock)


def append_locked(
    session: Session,
    size: int,
    events: Sequence[LogEvent],
    signers: Sequence[NoteSigner],
    clock: Clock = utc_now,
) -> list[PendingEntry]:
    """Append ``events`` to the log of tree size ``size`` and sign the new checkpoint with
    ``signers``; the caller holds the append lock and has checked the signers against the
    recorded key (:func:`append_events`; a key rotation signs with the old and the new key)."""
    encoder = _EntryEncoder(clock())
    reader = store.SessionHashReader(session)
    pending_hashes = reader.pending
    first_hash = stored_hash_index(0, size)
    new_hashes: list[bytes] = []
    rows: list[tuple[int, bytes, bytes, str]] = []
    commitments: list[tuple[int, bytes, bytes]] = []
    logged: list[bytes] = []
    leaves: list[bytes] = []
    for index, item in enumerate(events, start=size):
        entry, private = encoder.entry(item)
        if len(entry) > MAX_ENTRY_BYTES:
            raise InvalidInput(
                "cannot log event",
                [FieldIssue(("event",), item.kind, f"{len(entry)} bytes logged; at most {MAX_ENTRY_BYTES}")],
            )
        leaf = leaf_hash(entry)
        hashes = stored_hashes_for_leaf_hash(index, leaf, reader)
        start = first_hash + len(new_hashes)
        for i, h in enumerate(hashes, start=start):
            pending_hashes[i] = h
        new_hashes += hashes
        logged.append(entry)
        leaves.append(leaf)
        rows.append((index, entry, leaf, item.kind))
        if private is not None:
            commitments.append((index, *private))
    store.add_entry_rows(session, rows, encoder.at)
    for index, salt, payload in commitments:  # after the entries they reference
        store.add_commitment(session, index, salt, payload)
    store.add_hashes(session, first_hash, new_hashes)
    new_size = size + len(events)
    checkpoint = Checkpoint(signers[0].name, new_size, tree_hash(new_size, reader))
    note = sign_checkpoint(checkpoint, *signers)
    store.add_checkpoint(session, new_size, note, encoder.at)
    store.set_tree_size(session, new_size)
    receipts = encode_range_receipts(size, range_siblings(new_size, size, new_size, reader), note, logged)
    return [
        PendingEntry(index, leaf, entry, new_size, text)
        for index, leaf, entry, text in zip(range(size, new_size), leaves, logged, receipts, strict=True)
    ]


def append_event(
    session: Session,
    kind: str,
    event: Mapping[str, object],
    *,
    private: bool = False,
    signer: NoteSigner | None = None,
    clock: Clock = utc_now,
) -> PendingEntry:
    """Append one event in the caller's transaction (see :func:`append_events`).

    The entry is the RFC 8785 canonical JSON of ``{"kind", "event", "at"}``, or, if ``private``,
    of ``{"kind", "commitment"}`` where the commitment is SHA-256(salt || canonical payload) in
    hex and the 32-byte salt and payload stay in the database (:func:`commitment_opening`).
    """
    return append_events(session, [LogEvent(kind, event, private)], signer=signer, clock=clock)[0]


def commitment_opening(session: Session, index: int) -> tuple[bytes, bytes]:
    """The salt and canonical payload behind private entry ``index`` (for authorised callers;
    the caller's service checks the role)."""
    found = store.commitment(session, index)
    if found is None:
        raise NotFound(f"log entry {index} is not a private entry of this log")
    return found
