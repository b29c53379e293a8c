"""Checkpoints (c2sp.org/tlog-checkpoint): the signed tree head as a signed note.

Body::

    <origin>
    <tree size, ASCII decimal, no leading zeroes>
    <base64 root hash>
    [<extension line>...]

Parsing is strict and every error names the line (1-based) that is wrong.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from carbonbridge.ledger.errors import MalformedCheckpoint, MalformedNote
from carbonbridge.ledger.model import HASH_SIZE, Checkpoint, NoteSignature, OpenedNote
from carbonbridge.ledger.note import NoteSigner, NoteVerifier, open_note, sign_note

#: Tree sizes are uint64 in every tlog implementation.
MAX_TREE_SIZE = (1 << 64) - 1


def format_checkpoint(checkpoint: Checkpoint) -> str:
    """The note text of a checkpoint (c2sp.org/tlog-checkpoint, "Note text")."""
    _check(checkpoint)
    lines = [
        checkpoint.origin,
        str(checkpoint.tree_size),
        base64.b64encode(checkpoint.root_hash).decode(),
        *checkpoint.extensions,
    ]
    return "".join(line + "\n" for line in lines)


def _check(cp: Checkpoint) -> None:
    if not cp.origin or "\n" in cp.origin:
        raise MalformedCheckpoint(f"origin {cp.origin!r} is empty or contains a newline")
    if not 0 <= cp.tree_size <= MAX_TREE_SIZE:
        raise MalformedCheckpoint(f"tree size {cp.tree_size} is outside 0..2^64-1")
    if len(cp.root_hash) != HASH_SIZE:
        raise MalformedCheckpoint(f"root hash is {len(cp.root_hash)} bytes, not 32")
    for i, ext in enumerate(cp.extensions, start=4):
        if not ext or "\n" in ext:
            raise MalformedCheckpoint(f"line {i}: extension line is empty or has a newline")


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint body (the note text, ending in a newline)."""
    if not text.endswith("\n"):
        raise MalformedCheckpoint("checkpoint text does not end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise MalformedCheckpoint(
            f"checkpoint has {len(lines)} lines; origin, tree size and root hash are required"
        )
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise MalformedCheckpoint("line 1: origin is empty")
    if not size_text.isascii() or not size_text.isdigit():
        raise MalformedCheckpoint(f"line 2: tree size {size_text!r} is not an ASCII decimal")
    if size_text != "0" and size_text.startswith("0"):
        raise MalformedCheckpoint(f"line 2: tree size {size_text!r} has a leading zero")
    tree_size = int(size_text)
    if tree_size > MAX_TREE_SIZE:
        raise MalformedCheckpoint(f"line 2: tree size {size_text} exceeds 2^64-1")
    try:
        root = base64.b64decode(root_text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedCheckpoint(f"line 3: root hash {root_text!r} is not base64") from exc
    if len(root) != HASH_SIZE or base64.b64encode(root).decode() != root_text:
        raise MalformedCheckpoint(f"line 3: root hash {root_text!r} is not 32 bytes of base64")
    for i, ext in enumerate(extensions, start=4):
        if not ext:
            raise MalformedCheckpoint(f"line {i}: extension line is empty")
    return Checkpoint(origin, tree_size, root, tuple(extensions))


def sign_checkpoint(
    checkpoint: Checkpoint, *signers: NoteSigner, existing: Sequence[NoteSignature] = ()
) -> str:
    """The signed note of a checkpoint; the log's key name SHOULD equal the origin."""
    return sign_note(format_checkpoint(checkpoint), *signers, existing=existing)


def open_signed_checkpoint(
    note_text: str | bytes,
    verifiers: NoteVerifier | Sequence[NoteVerifier],
    *,
    origin: str | None = None,
) -> tuple[Checkpoint, OpenedNote]:
    """Verify a checkpoint note and parse its body; also return the opened note (for its
    verified and unverified signatures, e.g. witness cosignatures)."""
    listed = [verifiers] if not isinstance(verifiers, Sequence) else list(verifiers)
    opened = open_note(note_text, listed)
    checkpoint = parse_checkpoint(opened.text)
    if origin is not None and checkpoint.origin != origin:
        raise MalformedCheckpoint(f"line 1: origin {checkpoint.origin!r} is not the expected {origin!r}")
    return checkpoint, opened


def open_checkpoint(
    note_text: str | bytes,
    verifier: NoteVerifier | Sequence[NoteVerifier],
    *,
    origin: str | None = None,
) -> Checkpoint:
    """Verify a checkpoint note (at least one signature by a given verifier) and parse it."""
    return open_signed_checkpoint(note_text, verifier, origin=origin)[0]


def checkpoint_text(note_text: str) -> str:
    """The body of a checkpoint note without verifying it (for display only)."""
    split = note_text.rfind("\n\n")
    if split < 0:
        raise MalformedNote("note has no blank line between its text and its signatures")
    return note_text[: split + 1]
