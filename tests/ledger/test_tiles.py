"""Tests of tlog-tiles paths, bundles and the tile hash reader.

Path examples from c2sp.org/tlog-tiles ("x001/x234/067" for 1234067) and Go's
``golang.org/x/mod/sumdb/tlog`` ``tlog_test.go`` (``tilePaths``, adapted to height 8); the tile
counts for a tree of 70,000 are the spec's own example.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonbridge.ledger.errors import MalformedTile, RootMismatch, TileNotFound
from carbonbridge.ledger.merkle import MemoryHashStore, prove_record, prove_tree, tree_hash
from carbonbridge.ledger.model import ENTRIES_LEVEL, Tile
from carbonbridge.ledger.tiles import (
    TileHashReader,
    decode_entry_bundle,
    encode_entry_bundle,
    entry_bundle_path,
    entry_bundles_for_size,
    new_tiles,
    parse_tile_path,
    tile_hashes,
    tile_path,
    tiles_for_size,
)


@pytest.mark.parametrize(
    ("path", "tile"),
    [
        ("tile/0/000", Tile(0, 0, 256)),
        ("tile/0/001.p/5", Tile(0, 1, 5)),
        ("tile/3/x001/x234/067", Tile(3, 1234067, 256)),
        ("tile/3/x123/x456/078.p/2", Tile(3, 123456078, 2)),
        ("tile/1/x003/x057/500", Tile(1, 3057500, 256)),
        ("tile/entries/x001/x234/067.p/255", Tile(ENTRIES_LEVEL, 1234067, 255)),
    ],
)
def test_tile_paths_round_trip(path: str, tile: Tile) -> None:
    assert tile_path(tile) == path
    assert parse_tile_path(path) == tile


@pytest.mark.parametrize(
    "path",
    [
        "tile/3/5/123/456/078",
        "tile/3/-1/123/456/078",
        "tile/3/123/456/078",
        "tile/03/001",
        "tile/64/001",
        "tile/0/x000/001",
        "tile/0/001.p/0",
        "tile/0/001.p/256",
        "tile/0/001.p/05",
        "tile/0/1",
        "tiles/0/001",
        "tile/data/001",
    ],
)
def test_malformed_tile_paths_are_rejected(path: str) -> None:
    with pytest.raises(MalformedTile):
        parse_tile_path(path)


def test_entry_bundle_round_trips_and_rejects_oversized_entries() -> None:
    entries = [b"", b"a", bytes(300), bytes(65535)]
    data = encode_entry_bundle(entries)
    assert data[:5] == b"\x00\x00\x00\x01a"
    assert decode_entry_bundle(data) == entries
    with pytest.raises(MalformedTile, match="65536 bytes"):
        encode_entry_bundle([bytes(65536)])
    with pytest.raises(MalformedTile, match="declares 2 bytes"):
        decode_entry_bundle(b"\x00\x02a")
    assert entry_bundle_path(1234067, 7) == "tile/entries/x001/x234/067.p/7"


def test_tiles_for_spec_example_size_70000() -> None:
    tiles = list(tiles_for_size(70000))
    assert [t for t in tiles if t.level == 0 and not t.is_partial] == [Tile(0, n, 256) for n in range(273)]
    assert [t for t in tiles if t.is_partial] == [Tile(0, 273, 112), Tile(1, 1, 17), Tile(2, 0, 1)]
    assert [t for t in tiles if t.level == 1 and not t.is_partial] == [Tile(1, 0, 256)]


def test_tree_of_256_has_full_tile_and_partial_level_one() -> None:
    assert list(tiles_for_size(256)) == [Tile(0, 0, 256), Tile(1, 0, 1)]
    assert list(entry_bundles_for_size(257)) == [
        Tile(ENTRIES_LEVEL, 0, 256),
        Tile(ENTRIES_LEVEL, 1, 1),
    ]


def test_new_tiles_lists_only_changed_tiles() -> None:
    assert list(new_tiles(256, 258)) == [Tile(0, 1, 2)]
    assert list(new_tiles(255, 256)) == [Tile(0, 0, 256), Tile(1, 0, 1)]
    assert list(new_tiles(10, 10)) == []


class _TileServer:
    """Tiles of a growing log, as a static server would hold them."""

    def __init__(self) -> None:
        self.store = MemoryHashStore()
        self.files: dict[str, bytes] = {}
        self.fetched: list[str] = []

    def grow(self, n: int) -> None:
        old = self.store.tree_size
        for i in range(old, old + n):
            self.store.append(b"entry %d" % i)
        for t in new_tiles(old, self.store.tree_size):
            self.files[tile_path(t)] = tile_hashes(t.level, t.index, t.width, self.store)

    def fetch(self, path: str) -> bytes:
        self.fetched.append(path)
        if path not in self.files:
            raise TileNotFound(f"no {path}")
        return self.files[path]


_SERVER = _TileServer()
_SERVER.grow(70000)
_SIZES = [1, 2, 255, 256, 257, 1000, 65535, 65536, 65537, 70000]


@pytest.mark.parametrize("size", _SIZES)
def test_tile_reader_recomputes_roots_of_every_smaller_tree(size: int) -> None:
    store = _SERVER.store
    reader = TileHashReader(70000, tree_hash(70000, store), _SERVER.fetch)
    assert tree_hash(size, reader) == tree_hash(size, store)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(_SIZES), st.data())
def test_tile_reader_proofs_equal_store_proofs(size: int, data: st.DataObject) -> None:
    store = _SERVER.store
    reader = TileHashReader(size, tree_hash(size, store), _SERVER.fetch)
    index = data.draw(st.integers(0, size - 1))
    assert prove_record(size, index, reader) == prove_record(size, index, store)
    old = data.draw(st.integers(1, size))
    assert prove_tree(size, old, reader) == prove_tree(size, old, store)


def test_tile_reader_rejects_a_wrong_root() -> None:
    reader = TileHashReader(1000, bytes(32), _SERVER.fetch)
    with pytest.raises(RootMismatch, match="not to the checkpoint's root"):
        tree_hash(1000, reader)


def test_tile_reader_rejects_a_tampered_full_tile() -> None:
    server = _TileServer()
    server.grow(600)
    bad = bytearray(server.files["tile/0/000"])
    bad[0] ^= 1
    server.files["tile/0/000"] = bytes(bad)
    reader = TileHashReader(600, tree_hash(600, server.store), server.fetch)
    with pytest.raises(RootMismatch, match="tile/0/000 does not hash"):
        prove_record(600, 3, reader)


def test_tile_reader_falls_back_to_the_full_tile_when_partial_is_gone() -> None:
    server = _TileServer()
    server.grow(10)
    root10 = tree_hash(10, server.store)
    server.grow(300)
    del server.files["tile/0/000.p/10"]
    reader = TileHashReader(10, root10, server.fetch)
    assert tree_hash(10, reader) == root10
    assert "tile/0/000" in server.fetched
