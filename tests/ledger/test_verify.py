"""Tests of offline verification from a tiles directory, as an auditor would run it."""

from __future__ import annotations

from pathlib import Path

import pytest

from carbonbridge.ledger.checkpoint import sign_checkpoint
from carbonbridge.ledger.errors import (
    ConsistencyProofFailed,
    EntryMismatch,
    MalformedTile,
    RootMismatch,
    TileNotFound,
)
from carbonbridge.ledger.merkle import MemoryHashStore, check_record, leaf_hash, prove_record
from carbonbridge.ledger.model import Checkpoint
from carbonbridge.ledger.note import generate_signer
from carbonbridge.ledger.tiles import (
    encode_entry_bundle,
    entry_bundle_path,
    entry_bundles_for_size,
    new_tiles,
    tile_hashes,
    tile_path,
)
from carbonbridge.ledger.verify import (
    directory_fetcher,
    open_published_checkpoint,
    verify_checkpoint_tiles,
    verify_consistency,
    verify_consistency_from_tiles,
    verify_entries,
)

ORIGIN = "carbonbridge.example/log"


def _publish(root: Path, store: MemoryHashStore, entries: list[bytes], grow_to: int) -> Checkpoint:
    old = store.tree_size
    for i in range(old, grow_to):
        entries.append(b"event %d" % i)
        store.append(entries[-1])
    for t in new_tiles(old, grow_to):
        target = root / tile_path(t)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(tile_hashes(t.level, t.index, t.width, store))
    for b in entry_bundles_for_size(grow_to):
        target = root / entry_bundle_path(b.index, b.width)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(encode_entry_bundle(entries[b.index * 256 : b.index * 256 + b.width]))
    return Checkpoint(ORIGIN, grow_to, store.root())


@pytest.fixture
def published(tmp_path: Path) -> tuple[Path, Checkpoint, Checkpoint]:
    store, entries = MemoryHashStore(), list[bytes]()
    old = _publish(tmp_path, store, entries, 300)
    new = _publish(tmp_path, store, entries, 700)
    return tmp_path, old, new


def test_checkpoint_root_is_recomputed_from_tiles(
    published: tuple[Path, Checkpoint, Checkpoint],
) -> None:
    root, _, new = published
    reader = verify_checkpoint_tiles(new, directory_fetcher(root))
    proof = prove_record(new.tree_size, 450, reader)
    check_record(proof, new.tree_size, new.root_hash, 450, leaf_hash(b"event 450"))


def test_wrong_checkpoint_root_is_detected(published: tuple[Path, Checkpoint, Checkpoint]) -> None:
    root, _, new = published
    forged = Checkpoint(ORIGIN, new.tree_size, bytes(32))
    with pytest.raises(RootMismatch):
        verify_checkpoint_tiles(forged, directory_fetcher(root))


def test_consistency_between_checkpoints_from_tiles(
    published: tuple[Path, Checkpoint, Checkpoint],
) -> None:
    root, old, new = published
    proof = verify_consistency_from_tiles(old, new, directory_fetcher(root))
    verify_consistency(old, new, proof)


def test_forked_old_checkpoint_is_detected(published: tuple[Path, Checkpoint, Checkpoint]) -> None:
    root, old, new = published
    fork = Checkpoint(ORIGIN, old.tree_size, bytes(32))
    with pytest.raises(ConsistencyProofFailed, match="the log forked"):
        verify_consistency_from_tiles(fork, new, directory_fetcher(root))


def test_checkpoints_of_different_logs_are_not_compared(
    published: tuple[Path, Checkpoint, Checkpoint],
) -> None:
    _, old, new = published
    with pytest.raises(ConsistencyProofFailed, match="different logs"):
        verify_consistency(Checkpoint("other", old.tree_size, old.root_hash), new, [])


def test_every_entry_matches_its_leaf(published: tuple[Path, Checkpoint, Checkpoint]) -> None:
    root, _, new = published
    assert verify_entries(new, directory_fetcher(root)) == 700
    assert verify_entries(new, directory_fetcher(root), start=690) == 10


def test_altered_entry_is_detected(published: tuple[Path, Checkpoint, Checkpoint]) -> None:
    root, _, new = published
    path = root / entry_bundle_path(1)
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(EntryMismatch, match="entry 511"):
        verify_entries(new, directory_fetcher(root))


def test_fetcher_refuses_paths_outside_the_directory(tmp_path: Path) -> None:
    fetch = directory_fetcher(tmp_path)
    with pytest.raises(MalformedTile):
        fetch("../etc/passwd")
    with pytest.raises(TileNotFound):
        fetch("tile/0/000")


def test_published_checkpoint_is_opened_and_its_tiles_checked(
    published: tuple[Path, Checkpoint, Checkpoint],
) -> None:
    root, _, new = published
    log = generate_signer(ORIGIN)
    (root / "checkpoint").write_text(sign_checkpoint(new, log), encoding="utf-8")
    fetch = directory_fetcher(root)
    cp = open_published_checkpoint(fetch, log.verifier(), origin=ORIGIN)
    assert cp == new
    verify_checkpoint_tiles(cp, fetch)


@pytest.mark.parametrize("offset", [0, 31, 32 * 100 + 7, -1])
def test_flipped_hash_tile_byte_is_named(published: tuple[Path, Checkpoint, Checkpoint], offset: int) -> None:
    """Issue 3 fault: one flipped byte in a stored hash tile (level 0, the first full tile). The
    root still recomputes (it uses the level-1 tile above), but every read of the flipped tile is
    authenticated against its hash in the tile above, so checking the entries, or any proof that
    needs it, fails and names the tile."""
    root, _, new = published
    path = root / "tile" / "0" / "000"
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    reader = verify_checkpoint_tiles(new, directory_fetcher(root))
    with pytest.raises(RootMismatch, match="tile/0/000 does not hash to its entry in the tile above"):
        verify_entries(new, directory_fetcher(root))
    with pytest.raises(RootMismatch, match="tile/0/000"):
        prove_record(new.tree_size, 5, reader)
