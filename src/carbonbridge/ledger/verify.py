"""Offline verification of a published log from its tiles (c2sp.org/tlog-tiles) and
checkpoints, for auditors, monitors and witnesses.

The only module of the ledger core with file I/O: :func:`directory_fetcher` reads a tiles
directory as a static web server would serve it (``<dir>/checkpoint``, ``<dir>/tile/...``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from carbonbridge.ledger.checkpoint import open_checkpoint
from carbonbridge.ledger.errors import (
    ConsistencyProofFailed,
    EntryMismatch,
    MalformedTile,
    TileNotFound,
)
from carbonbridge.ledger.merkle import check_tree, leaf_hash, prove_tree, tree_hash
from carbonbridge.ledger.model import TILE_WIDTH, Checkpoint
from carbonbridge.ledger.note import NoteVerifier
from carbonbridge.ledger.tiles import (
    FetchTile,
    TileHashReader,
    decode_entry_bundle,
    entry_bundle_path,
    entry_bundles_for_size,
)


def directory_fetcher(root: Path) -> FetchTile:
    """A :data:`~carbonbridge.ledger.tiles.FetchTile` reading ``root / path``; paths that
    would leave ``root`` are refused."""
    base = root.resolve()

    def fetch(path: str) -> bytes:
        target = (base / path).resolve()
        if not target.is_relative_to(base):
            raise MalformedTile(f"tile path {path!r} leaves the tiles directory")
        try:
            return target.read_bytes()
        except FileNotFoundError as exc:
            raise TileNotFound(f"{path} is not in {base}") from exc

    return fetch


def open_published_checkpoint(
    fetch_tile: FetchTile,
    verifiers: NoteVerifier | Sequence[NoteVerifier],
    *,
    origin: str | None = None,
) -> Checkpoint:
    """Fetch ``checkpoint`` from the log's prefix and verify it (c2sp.org/tlog-tiles,
    "Checkpoints")."""
    return open_checkpoint(fetch_tile("checkpoint"), verifiers, origin=origin)


def verify_checkpoint_tiles(checkpoint: Checkpoint, fetch_tile: FetchTile) -> TileHashReader:
    """Recompute the checkpoint's root from the tiles; return the authenticated reader, from
    which any proof in that tree can then be computed (:func:`~carbonbridge.ledger.merkle.
    prove_record`, :func:`~carbonbridge.ledger.merkle.prove_tree`).

    Raises :class:`~carbonbridge.ledger.errors.RootMismatch` if the tiles disagree.
    """
    reader = TileHashReader(checkpoint.tree_size, checkpoint.root_hash, fetch_tile)
    reader.check_root()
    return reader


def _same_log(old: Checkpoint, new: Checkpoint) -> None:
    if old.origin != new.origin:
        raise ConsistencyProofFailed(f"checkpoints are of different logs: {old.origin!r} and {new.origin!r}")
    if old.tree_size > new.tree_size:
        raise ConsistencyProofFailed(
            f"old checkpoint's tree size {old.tree_size} exceeds the new one's {new.tree_size}"
        )


def verify_consistency(old: Checkpoint, new: Checkpoint, proof: Sequence[bytes]) -> None:
    """Check an RFC 9162 consistency proof between two (already verified) checkpoints."""
    _same_log(old, new)
    check_tree(proof, new.tree_size, new.root_hash, old.tree_size, old.root_hash)


def verify_consistency_from_tiles(old: Checkpoint, new: Checkpoint, fetch_tile: FetchTile) -> list[bytes]:
    """Check from the tiles of ``new`` that ``old`` is a prefix of it; return the consistency
    proof (which a witness can hand on), after checking it too."""
    _same_log(old, new)
    reader = verify_checkpoint_tiles(new, fetch_tile)
    if old.tree_size == 0 or old.tree_size == new.tree_size:
        check_tree([], new.tree_size, new.root_hash, old.tree_size, old.root_hash)
        return []
    recomputed = tree_hash(old.tree_size, reader)
    if recomputed != old.root_hash:
        raise ConsistencyProofFailed(
            f"the tree of size {old.tree_size} inside the checkpointed tree of size "
            f"{new.tree_size} has root {recomputed.hex()}, not the old checkpoint's "
            f"{old.root_hash.hex()}: the log forked"
        )
    proof = prove_tree(new.tree_size, old.tree_size, reader)
    check_tree(proof, new.tree_size, new.root_hash, old.tree_size, old.root_hash)
    return proof


def verify_entries(checkpoint: Checkpoint, fetch_tile: FetchTile, start: int = 0) -> int:
    """Check that every entry bundle from entry ``start`` on hashes to the authenticated
    level-0 tiles of the checkpoint's tree; return the number of entries checked."""
    reader = verify_checkpoint_tiles(checkpoint, fetch_tile)
    checked = 0
    for bundle in entry_bundles_for_size(checkpoint.tree_size):
        first = bundle.index * TILE_WIDTH
        if first + bundle.width <= start:
            continue
        path = entry_bundle_path(bundle.index, bundle.width)
        try:
            data = fetch_tile(path)
        except TileNotFound:
            if not bundle.is_partial:
                raise
            data = fetch_tile(entry_bundle_path(bundle.index))
        entries = decode_entry_bundle(data)[: bundle.width]
        if len(entries) != bundle.width:
            raise MalformedTile(f"{path} holds {len(entries)} entries, not {bundle.width}")
        leaves = reader.tile(0, bundle.index)
        for offset, entry in enumerate(entries):
            if first + offset < start:
                continue
            if leaf_hash(entry) != leaves[offset]:
                raise EntryMismatch(
                    f"entry {first + offset} in {path} does not hash to its leaf in the tiles"
                )
            checked += 1
    return checked
