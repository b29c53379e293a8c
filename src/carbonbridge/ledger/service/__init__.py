"""Ledger use cases, the one module other contexts and the faces import: append events inside the
caller's transaction, serve checkpoints, proofs, receipts and tiles, export the log for offline
audit, audit it, and accept witness cosignatures.

Each group lives in its own module and is re-exported here unchanged:

* :mod:`~carbonbridge.ledger.service.appends`: :func:`append_event`, :func:`append_events` (group commit),
  :class:`LogEvent`, :class:`PendingEntry`, :func:`commitment_opening`;
* :mod:`~carbonbridge.ledger.service.reading`: checkpoints, receipts, inclusion and consistency proofs,
  pages of recent entries (:func:`entry_page`);
* :mod:`~carbonbridge.ledger.service.tileserving`: c2sp.org/tlog-tiles tiles, their cache, the export;
* :mod:`~carbonbridge.ledger.service.witnessing`: witness cosignatures (c2sp.org/tlog-cosignature), the
  registry of witnesses and the push to them (c2sp.org/tlog-witness);
* :mod:`~carbonbridge.ledger.service.audit`: the audit and the contexts' auditors;
* :mod:`~carbonbridge.ledger.service.logkey`: the log's recorded key: :func:`init_log` (the only way a
  key is created), :func:`rotate_key`, :func:`key_schedule`.
"""

from __future__ import annotations

from carbonbridge.ledger.model import ROTATION_EVENT, CheckpointSummary
from carbonbridge.ledger.service.appends import (
    MAX_ENTRY_BYTES,
    LogEvent,
    PendingEntry,
    append_event,
    append_events,
    commitment_opening,
)
from carbonbridge.ledger.service.audit import AuditFinding, Auditor, AuditReport, audit, register_auditor
from carbonbridge.ledger.service.logkey import (
    KeyRotation,
    KeySchedule,
    LogKeyStatus,
    init_log,
    key_schedule,
    log_keys,
    rotate_key,
)
from carbonbridge.ledger.service.reading import (
    b64,
    checkpoint_summary,
    consistency_proof,
    entry_page,
    inclusion_proof,
    latest_checkpoint,
    latest_checkpoint_in,
    receipt,
    served_note,
    verifier_key,
)
from carbonbridge.ledger.service.tileserving import FULL_TILE_CACHE_BYTES, cached_tile, export_tiles, tile
from carbonbridge.ledger.service.witnessing import (
    PushResult,
    RegisteredWitness,
    WitnessPost,
    add_cosignature,
    add_witness,
    http_post,
    list_witnesses,
    push_checkpoint,
    remove_witness,
)

__all__ = [
    "FULL_TILE_CACHE_BYTES",
    "MAX_ENTRY_BYTES",
    "ROTATION_EVENT",
    "AuditFinding",
    "AuditReport",
    "Auditor",
    "CheckpointSummary",
    "KeyRotation",
    "KeySchedule",
    "LogEvent",
    "LogKeyStatus",
    "PendingEntry",
    "PushResult",
    "RegisteredWitness",
    "WitnessPost",
    "add_cosignature",
    "add_witness",
    "append_event",
    "append_events",
    "audit",
    "b64",
    "cached_tile",
    "checkpoint_summary",
    "commitment_opening",
    "consistency_proof",
    "entry_page",
    "export_tiles",
    "http_post",
    "inclusion_proof",
    "init_log",
    "key_schedule",
    "latest_checkpoint",
    "latest_checkpoint_in",
    "list_witnesses",
    "log_keys",
    "push_checkpoint",
    "receipt",
    "register_auditor",
    "remove_witness",
    "rotate_key",
    "served_note",
    "tile",
    "verifier_key",
]
