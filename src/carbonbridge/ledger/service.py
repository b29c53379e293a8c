"""Ledger use cases: append events inside the caller's transaction, serve checkpoints, proofs,
receipts and tiles, export the log for offline audit, audit it, and accept witness cosignatures.

Other contexts call :func:`append_event` (or :func:`append_events`) with *their* session, before
their commit, so that a state change and its log entry commit or roll back together; the returned
:class:`PendingEntry` carries a c2sp.org/tlog-proof receipt against the checkpoint signed in that
same transaction, valid once the transaction commits.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.canonical import canonical_json
from carbonbridge.kernel.clock import Clock, utc_now
from carbonbridge.kernel.errors import FieldIssue, InvalidInput, NotFound
from carbonbridge.ledger import keys, store
from carbonbridge.ledger.audit import (
    AuditFinding as AuditFinding,
)
from carbonbridge.ledger.audit import (
    Auditor as Auditor,
)
from carbonbridge.ledger.audit import (
    AuditReport as AuditReport,
)
from carbonbridge.ledger.audit import (
    audit as audit,
)
from carbonbridge.ledger.audit import (
    register_auditor as register_auditor,
)
from carbonbridge.ledger.checkpoint import checkpoint_text, parse_checkpoint, sign_checkpoint
from carbonbridge.ledger.errors import HashStoreError, LedgerVerificationFailed, TileNotFound
from carbonbridge.ledger.merkle import (
    leaf_hash,
    prove_record,
    prove_records,
    prove_tree,
    stored_hash_index,
    stored_hashes_for_leaf_hash,
    tree_hash,
)
from carbonbridge.ledger.model import (
    ENTRIES_LEVEL,
    TILE_HEIGHT,
    TILE_WIDTH,
    Checkpoint,
    Receipt,
)
from carbonbridge.ledger.note import (
    SIG_COSIGNATURE_V1,
    NoteSigner,
    format_signature_line,
    open_note,
    parse_note,
    parse_verifier_key,
)
from carbonbridge.ledger.proof import encode_receipt, issue_receipt
from carbonbridge.ledger.tiles import (
    encode_entry_bundle,
    entry_bundles_for_size,
    parse_tile_path,
    tile_hashes,
    tile_path,
    tiles_for_size,
)
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Principal, Role

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


def _entry_bytes(item: LogEvent, at: datetime) -> tuple[bytes, tuple[bytes, bytes] | None]:
    if not item.kind or len(item.kind) > 80:
        raise InvalidInput("cannot log event", [FieldIssue(("kind",), item.kind, "1-80 characters")])
    try:
        if not item.private:
            return _canonical({"kind": item.kind, "event": item.event, "at": at}), None
        payload = _canonical(item.event)
    except ValueError as exc:  # rfc8785.CanonicalizationError: NaN, huge integers, other types
        raise InvalidInput("cannot log event", [FieldIssue(("event",), item.kind, str(exc))]) from exc
    salt = os.urandom(32)
    commitment = hashlib.sha256(salt + payload).hexdigest()
    return canonical_json({"kind": item.kind, "commitment": commitment}), (salt, payload)


def append_events(
    session: Session,
    events: Sequence[LogEvent],
    *,
    signer: NoteSigner | None = None,
    clock: Clock = utc_now,
) -> list[PendingEntry]:
    """Append a batch of events and sign ONE checkpoint for the new tree size (group commit).

    Runs in the caller's transaction: takes the append lock (held until the caller commits or
    rolls back), writes entries and the 1 + trailing-ones(n) stored hashes per entry (RFC 9162
    §2.1 tree, Go tlog storage layout), bumps the tree size and stores the checkpoint note
    (c2sp.org/tlog-checkpoint) signed by the log key. Flushes, never commits.
    """
    if not events:
        return []
    signer = signer or keys.log_signer()
    size = store.lock_log_state(session)
    at = clock()
    reader = store.SessionHashReader(session)
    first_hash = stored_hash_index(0, size)
    new_hashes: list[bytes] = []
    rows: list[store.StoredEntry] = []
    logged: list[bytes] = []
    for offset, item in enumerate(events):
        index = size + offset
        entry, private = _entry_bytes(item, at)
        if len(entry) > MAX_ENTRY_BYTES:
            raise InvalidInput(
                "cannot log event",
                [FieldIssue(("event",), item.kind, f"{len(entry)} bytes logged; at most {MAX_ENTRY_BYTES}")],
            )
        leaf = leaf_hash(entry)
        hashes = stored_hashes_for_leaf_hash(index, leaf, reader)
        start = stored_hash_index(0, index)
        reader.pending.update((start + i, h) for i, h in enumerate(hashes))
        new_hashes += hashes
        logged.append(entry)
        rows.append(store.StoredEntry(index, entry, leaf, item.kind, at))
        if private is not None:
            store.add_entries(session, rows)
            rows = []
            store.add_commitment(session, index, *private)
    store.add_entries(session, rows)
    store.add_hashes(session, first_hash, new_hashes)
    new_size = size + len(events)
    checkpoint = Checkpoint(signer.name, new_size, tree_hash(new_size, reader))
    note = sign_checkpoint(checkpoint, signer)
    store.add_checkpoint(session, new_size, note, at)
    store.set_tree_size(session, new_size)
    pending = []
    proofs = prove_records(new_size, range(size, new_size), reader)
    for offset, (entry, proof) in enumerate(zip(logged, proofs, strict=True)):
        receipt = Receipt(size + offset, tuple(proof), note, entry)
        pending.append(
            PendingEntry(size + offset, leaf_hash(entry), entry, new_size, encode_receipt(receipt))
        )
    return pending


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


# --- read path ---------------------------------------------------------------------------------


def _served_note(session: Session, size: int, note: str) -> str:
    """The log's checkpoint note with the witness cosignatures collected for it."""
    return note + "".join(store.cosignature_lines(session, size))


def latest_checkpoint_in(session: Session) -> tuple[int, str]:
    found = store.checkpoint_note(session)
    if found is None:
        raise NotFound("the log has no checkpoint yet")
    size, note = found
    return size, _served_note(session, size, note)


def latest_checkpoint(
    sessions: sessionmaker[Session], *, signer: NoteSigner | None = None, clock: Clock = utc_now
) -> str:
    """The latest signed checkpoint with its cosignatures; a new log signs its empty tree first."""
    with unit_of_work(sessions) as session:
        if store.checkpoint_note(session) is not None:
            return latest_checkpoint_in(session)[1]
    with unit_of_work(sessions) as session:
        size = store.lock_log_state(session)
        if store.checkpoint_note(session) is None and size == 0:
            signer = signer or keys.log_signer()
            reader = store.SessionHashReader(session)
            note = sign_checkpoint(Checkpoint(signer.name, 0, tree_hash(0, reader)), signer)
            store.add_checkpoint(session, 0, note, clock())
        return latest_checkpoint_in(session)[1]


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


def _tile_in(session: Session, path: str, size: int) -> bytes:
    tile = parse_tile_path(path)
    if tile.level == ENTRIES_LEVEL:
        start = tile.index * TILE_WIDTH
        if start + tile.width > size:
            raise TileNotFound(f"{path} is beyond the log's tree size {size}")
        entries = store.entries_between(session, start, start + tile.width)
        if len(entries) != tile.width:
            raise HashStoreError(f"{path}: {len(entries)} entries stored, {tile.width} expected")
        return encode_entry_bundle(entries)
    if tile.index * TILE_WIDTH + tile.width > size >> (TILE_HEIGHT * tile.level):
        raise TileNotFound(f"{path} is beyond the log's tree size {size}")
    return tile_hashes(tile.level, tile.index, tile.width, store.SessionHashReader(session))


class _FullTileCache:
    """Recently served full tiles and entry bundles of one log, least recently used dropped first
    past ``budget`` bytes. Full tiles never change (c2sp.org/tlog-tiles, "Full tiles are
    immutable"), so a cached one is never stale while the log is append-only."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._tiles: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, path: str) -> bytes | None:
        with self._lock:
            data = self._tiles.get(path)
            if data is not None:
                self._tiles.move_to_end(path)
            return data

    def put(self, path: str, data: bytes) -> None:
        with self._lock:
            if path in self._tiles or len(data) > self.budget:
                return
            self._tiles[path] = data
            self._bytes += len(data)
            while self._bytes > self.budget:
                _, dropped = self._tiles.popitem(last=False)
                self._bytes -= len(dropped)


#: bytes of full tiles kept per log (per session factory: one per process in production); all
#: full tiles of a 1M-entry log of ~225-byte entries take ~260 MB
FULL_TILE_CACHE_BYTES = 256 << 20
_full_tiles: weakref.WeakKeyDictionary[sessionmaker[Session], _FullTileCache] = weakref.WeakKeyDictionary()
_full_tiles_lock = threading.Lock()


def _cache_for(sessions: sessionmaker[Session]) -> _FullTileCache:
    with _full_tiles_lock:
        cache = _full_tiles.get(sessions)
        if cache is None:
            cache = _full_tiles[sessions] = _FullTileCache(FULL_TILE_CACHE_BYTES)
        return cache


def cached_tile(sessions: sessionmaker[Session], path: str) -> bytes | None:
    """The full tile at ``path`` if this process has served it before (no database access, so
    an async endpoint may call it on the event loop); else ``None``."""
    return _cache_for(sessions).get(path)


def tile(sessions: sessionmaker[Session], path: str) -> bytes:
    """A c2sp.org/tlog-tiles hash tile or entry bundle by its path (``tile/0/x001/234.p/7``).

    Full tiles never change, and are served from an in-process cache once read; a partial tile of
    width W is served while W entries of that tile exist (so that clients holding an older
    checkpoint can still fetch it).
    """
    cache = _cache_for(sessions)
    cached = cache.get(path)
    if cached is not None:
        return cached
    with unit_of_work(sessions) as session:
        data = _tile_in(session, path, store.tree_size(session))
    if not parse_tile_path(path).is_partial:
        cache.put(path, data)
    return data


def export_tiles(
    sessions: sessionmaker[Session],
    directory: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Checkpoint:
    """Write ``checkpoint``, every ``tile/<L>/...`` and ``tile/entries/...`` of the latest
    checkpoint into ``directory``, as a static web server would serve them (c2sp.org/tlog-tiles);
    ``ledger.verify`` can check the result offline. Returns the exported checkpoint."""
    note = latest_checkpoint(sessions)
    checkpoint = parse_checkpoint(checkpoint_text(note))
    size = checkpoint.tree_size
    wanted = [*tiles_for_size(size), *entry_bundles_for_size(size)]
    directory.mkdir(parents=True, exist_ok=True)
    with unit_of_work(sessions) as session:
        for done, t in enumerate(wanted, start=1):
            path = tile_path(t)
            target = directory / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_tile_in(session, path, size))
            if progress is not None:
                progress(done, len(wanted))
    (directory / "checkpoint").write_text(note)
    return checkpoint


# --- witnesses --------------------------------------------------------------------------------


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
        return _served_note(session, size, found[1])


def verifier_key() -> str:
    """The log's verifier key text (c2sp.org/signed-note)."""
    return keys.verifier_key()


def b64(hashes: Sequence[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in hashes]
