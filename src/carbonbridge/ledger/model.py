"""Value types of the transparency log (frozen dataclasses, validated where they are parsed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

#: A position in the dense, append-only sequence of stored hashes (see
#: :func:`carbonbridge.ledger.merkle.stored_hash_index`).
StoredHashIndex: TypeAlias = int

HASH_SIZE = 32
TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
#: Level value used by :class:`Tile` for entry bundles (``tile/entries/...``), as Go's tlog does.
ENTRIES_LEVEL = -1


@dataclass(frozen=True)
class Checkpoint:
    """A log's signed tree head body (c2sp.org/tlog-checkpoint, "Note text")."""

    origin: str
    tree_size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckpointSummary:
    """What a person is shown of the latest checkpoint: the tree size, the root hash and when the
    log signed it (the note itself is ``GET /log/checkpoint``)."""

    origin: str
    tree_size: int
    root_hash: bytes
    signed_at: datetime


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a signed note (c2sp.org/signed-note, "Signatures").

    ``signature`` is the bytes after the 4-byte key ID (for a cosignature: timestamp and
    Ed25519 signature).
    """

    name: str
    key_id: int
    signature: bytes


@dataclass(frozen=True)
class OpenedNote:
    """A note whose signatures were checked: ``verified`` by trusted keys, ``unverified`` by
    keys the verifier does not know (which c2sp.org/signed-note says to ignore)."""

    text: str
    verified: tuple[NoteSignature, ...]
    unverified: tuple[NoteSignature, ...]


@dataclass(frozen=True)
class Tile:
    """A tile (c2sp.org/tlog-tiles): ``level`` 0..63 (or :data:`ENTRIES_LEVEL` for an entry
    bundle), ``index`` within the level, ``width`` 1..256 (256 = full)."""

    level: int
    index: int
    width: int

    @property
    def is_partial(self) -> bool:
        return self.width < TILE_WIDTH


@dataclass(frozen=True)
class Receipt:
    """A transparency-log proof (c2sp.org/tlog-proof): the entry's index, its inclusion proof in
    the checkpointed tree, the signed checkpoint note verbatim, and optional unauthenticated
    extra data."""

    index: int
    proof: tuple[bytes, ...]
    checkpoint_note: str
    extra: bytes | None = None


@dataclass(frozen=True)
class VerifiedReceipt:
    """What :func:`carbonbridge.ledger.proof.verify_receipt` established."""

    index: int
    leaf_hash: bytes
    checkpoint: Checkpoint
    signatures: tuple[NoteSignature, ...]
    extra: bytes | None


#: the entry a key rotation logs, ``{"old_key": <vkey>, "new_key": <vkey>}``; only
#: :func:`carbonbridge.ledger.service.logkey.rotate_key` appends it (``append_events`` refuses the kind)
ROTATION_EVENT = "ledger.key_rotation"
