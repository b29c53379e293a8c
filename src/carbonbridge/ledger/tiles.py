"""Tiled logs (c2sp.org/tlog-tiles): tile and entry-bundle paths and encodings, the tiles of a
tree, tile contents from the stored hashes, and :class:`TileHashReader`, which serves stored
hashes out of fetched tiles after authenticating them against a checkpoint (the algorithm of
Go's ``tlog.TileHashReader``), so that a verifier can recompute roots and proofs from tiles
alone.

Tile height is 8: a full tile holds 256 hashes (8,192 bytes). Tile ``(L, N)`` holds the hashes
of the tree nodes at level 8L with indexes N*256 .. N*256+255 (MTH of 256**L leaves each).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from carbonbridge.ledger.errors import MalformedTile, RootMismatch, TileNotFound
from carbonbridge.ledger.merkle import (
    EMPTY_ROOT,
    HashReader,
    node_hash,
    root_hash,
    split_stored_hash_index,
    stored_hash_index,
)
from carbonbridge.ledger.model import (
    ENTRIES_LEVEL,
    HASH_SIZE,
    TILE_HEIGHT,
    TILE_WIDTH,
    StoredHashIndex,
    Tile,
)

#: Fetches the bytes of a tile or entry bundle by its path (``tile/0/001``), relative to the
#: log's prefix; raises :class:`TileNotFound` when it is not there.
FetchTile = Callable[[str], bytes]

MAX_LEVEL = 63
MAX_ENTRY_SIZE = 0xFFFF
#: index elements of the largest tile index a log can have (a tree of at most 2**63 - 1 entries,
#: ``ledger_entries.index`` being BIGINT, has level-0 tiles up to 2**55: 17 digits, 6 elements)
MAX_INDEX_ELEMENTS = 7


def _encode_index(n: int) -> str:
    groups = [f"{n % 1000:03d}"]
    n //= 1000
    while n > 0:
        groups.append(f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(reversed(groups))


def tile_path(tile: Tile) -> str:
    """``tile/<L>/<N>[.p/<W>]`` or, for an entry bundle, ``tile/entries/<N>[.p/<W>]``."""
    if not (tile.level == ENTRIES_LEVEL or 0 <= tile.level <= MAX_LEVEL):
        raise MalformedTile(f"tile level {tile.level} is outside 0..63")
    if tile.index < 0 or not 1 <= tile.width <= TILE_WIDTH:
        raise MalformedTile(f"tile index {tile.index} or width {tile.width} is out of range")
    level = "entries" if tile.level == ENTRIES_LEVEL else str(tile.level)
    partial = f".p/{tile.width}" if tile.is_partial else ""
    return f"tile/{level}/{_encode_index(tile.index)}{partial}"


def entry_bundle_path(index: int, width: int = TILE_WIDTH) -> str:
    """Path of entry bundle ``index`` (entries index*256 .. index*256+width-1)."""
    return tile_path(Tile(ENTRIES_LEVEL, index, width))


def _decimal(text: str, what: str, path: str) -> int:
    # levels (0-63) and widths (1-255) have at most 3 digits: no int() of an arbitrary string
    if not text.isascii() or not text.isdigit() or (text != "0" and text.startswith("0")) or len(text) > 3:
        raise MalformedTile(f"tile path {path[:60]!r}: {what} {text[:20]!r} is not a decimal of 0-255")
    return int(text)


def parse_tile_path(path: str) -> Tile:
    """Parse a tile or entry-bundle path; non-canonical spellings are rejected."""
    if not path.startswith("tile/"):
        raise MalformedTile(f"tile path {path!r} does not start with 'tile/'")
    rest = path[len("tile/") :]
    width = TILE_WIDTH
    if ".p/" in rest:
        rest, width_text = rest.rsplit(".p/", 1)
        width = _decimal(width_text, "width", path)
        if not 1 <= width < TILE_WIDTH:
            raise MalformedTile(f"tile path {path!r}: partial width {width} is not 1..255")
    level_text, _, index_text = rest.partition("/")
    if level_text == "entries":
        level = ENTRIES_LEVEL
    else:
        level = _decimal(level_text, "level", path)
        if level > MAX_LEVEL:
            raise MalformedTile(f"tile path {path!r}: level {level} exceeds 63")
    groups = index_text.split("/")
    if len(groups) > MAX_INDEX_ELEMENTS:
        # well formed, perhaps, but beyond any tree this log can hold: not there (a static tile
        # server answers 404 for it too), judged without converting thousands of digits
        raise TileNotFound(
            f"tile path {path[:60]!r}... has {len(groups)} index elements: beyond the largest "
            f"possible log (at most {MAX_INDEX_ELEMENTS})"
        )
    for i, group in enumerate(groups):
        digits = group[1:] if i < len(groups) - 1 and group.startswith("x") else group
        if len(digits) != 3 or not digits.isascii() or not digits.isdigit():
            raise MalformedTile(f"tile path {path!r}: index element {group!r} is malformed")
        if i < len(groups) - 1 and not group.startswith("x"):
            raise MalformedTile(f"tile path {path!r}: index element {group!r} lacks 'x'")
    index = int("".join(g.lstrip("x") for g in groups))
    tile = Tile(level, index, width)
    if tile_path(tile) != path:
        raise MalformedTile(f"tile path {path!r} is not canonical ({tile_path(tile)!r})")
    return tile


def encode_entry_bundle(entries: Iterable[bytes]) -> bytes:
    """Concatenated big-endian uint16 length-prefixed entries."""
    out = bytearray()
    for i, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_SIZE:
            raise MalformedTile(f"entry {i} is {len(entry)} bytes, more than 65535")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def decode_entry_bundle(data: bytes) -> list[bytes]:
    """Split an entry bundle into its entries."""
    entries: list[bytes] = []
    at = 0
    while at < len(data):
        if at + 2 > len(data):
            raise MalformedTile(f"entry bundle: entry {len(entries)} has a truncated length")
        size = int.from_bytes(data[at : at + 2], "big")
        if at + 2 + size > len(data):
            raise MalformedTile(
                f"entry bundle: entry {len(entries)} declares {size} bytes, {len(data) - at - 2} remain"
            )
        entries.append(data[at + 2 : at + 2 + size])
        at += 2 + size
    return entries


def new_tiles(old_size: int, new_size: int) -> Iterator[Tile]:
    """Hash tiles that exist at ``new_size`` but not (with that width) at ``old_size``."""
    level = 0
    while new_size >> (TILE_HEIGHT * level) > 0 and level <= MAX_LEVEL:
        old_count = old_size >> (TILE_HEIGHT * level)
        new_count = new_size >> (TILE_HEIGHT * level)
        for n in range(old_count >> TILE_HEIGHT, new_count >> TILE_HEIGHT):
            yield Tile(level, n, TILE_WIDTH)
        width = new_count % TILE_WIDTH
        if width and new_count != old_count:
            yield Tile(level, new_count >> TILE_HEIGHT, width)
        level += 1


def tiles_for_size(tree_size: int) -> Iterator[Tile]:
    """Every hash tile, full and partial, of a tree of ``tree_size`` (c2sp.org/tlog-tiles,
    "Partial Tiles": level l has a partial tile of width floor(s / 256**l) mod 256)."""
    return new_tiles(0, tree_size)


def entry_bundles_for_size(tree_size: int) -> Iterator[Tile]:
    """Every entry bundle, full and partial, of a tree of ``tree_size``."""
    for n in range(tree_size >> TILE_HEIGHT):
        yield Tile(ENTRIES_LEVEL, n, TILE_WIDTH)
    if tree_size % TILE_WIDTH:
        yield Tile(ENTRIES_LEVEL, tree_size >> TILE_HEIGHT, tree_size % TILE_WIDTH)


def tile_hashes(level: int, n: int, width: int, reader: HashReader) -> bytes:
    """The content of tile (level, n) of the given width, read from the stored hashes."""
    first = n * TILE_WIDTH
    indexes = [stored_hash_index(TILE_HEIGHT * level, first + i) for i in range(width)]
    hashes = reader.read_hashes(indexes)
    if len(hashes) != width:
        raise TileNotFound(f"hash store returned {len(hashes)} hashes for a tile of {width}")
    return b"".join(hashes)


def split_hashes(data: bytes) -> list[bytes]:
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def _complete_subtrees(width: int) -> Iterator[tuple[int, int]]:
    """(start, count) of the complete subtrees, left to right, of ``width`` tile entries."""
    start = 0
    for bit in reversed(range(TILE_HEIGHT)):
        if width & (1 << bit):
            yield start, 1 << bit
            start += 1 << bit


class TileHashReader:
    """A :class:`~carbonbridge.ledger.merkle.HashReader` over fetched tiles, authenticated
    against the tree (size, root) of a verified checkpoint.

    The partial tiles of the tree's right edge together determine the root, so they are checked
    by recomputing it; every full tile is checked against its entry in the tile above.
    A missing partial tile is replaced by the full tile, truncated, as tlog-tiles allows.
    """

    def __init__(self, tree_size: int, root: bytes, fetch_tile: FetchTile) -> None:
        self.tree_size = tree_size
        self.root = root
        self._fetch = fetch_tile
        self._verified: dict[tuple[int, int], list[bytes]] = {}
        self._edge_checked = False

    def _width(self, level: int, index: int) -> int:
        count = self.tree_size >> (TILE_HEIGHT * level)
        if index < count >> TILE_HEIGHT:
            return TILE_WIDTH
        if index == count >> TILE_HEIGHT:
            return count % TILE_WIDTH
        return 0

    def _fetch_tile(self, tile: Tile) -> list[bytes]:
        try:
            data = self._fetch(tile_path(tile))
        except TileNotFound:
            if not tile.is_partial:
                raise
            data = self._fetch(tile_path(Tile(tile.level, tile.index, TILE_WIDTH)))
            data = data[: tile.width * HASH_SIZE]
        if len(data) != tile.width * HASH_SIZE:
            raise MalformedTile(
                f"{tile_path(tile)} is {len(data)} bytes, not {tile.width} hashes of 32 bytes"
            )
        return split_hashes(data)

    def check_root(self) -> None:
        """Fetch the right-edge tiles and check that they hash to the root."""
        if self._edge_checked:
            return
        edge: dict[tuple[int, int], list[bytes]] = {}
        subtrees: list[bytes] = []
        levels = [
            lv
            for lv in range(MAX_LEVEL + 1)
            if self.tree_size >> (TILE_HEIGHT * lv) and lv * TILE_HEIGHT < 64
        ]
        for level in reversed(levels):
            count = self.tree_size >> (TILE_HEIGHT * level)
            width = count % TILE_WIDTH
            if not width:
                continue
            index = count >> TILE_HEIGHT
            hashes = self._fetch_tile(Tile(level, index, width))
            edge[(level, index)] = hashes
            subtrees += [root_hash(hashes[s : s + c]) for s, c in _complete_subtrees(width)]
        computed = EMPTY_ROOT
        if subtrees:
            computed = subtrees[-1]
            for h in reversed(subtrees[:-1]):
                computed = node_hash(h, computed)
        if computed != self.root:
            raise RootMismatch(
                f"tiles of the tree of size {self.tree_size} hash to {computed.hex()}, "
                f"not to the checkpoint's root {self.root.hex()}"
            )
        self._verified.update(edge)
        self._edge_checked = True

    def tile(self, level: int, index: int) -> list[bytes]:
        """The authenticated hashes of tile (level, index) as of this tree size."""
        key = (level, index)
        if key in self._verified:
            return self._verified[key]
        width = self._width(level, index)
        if width == 0:
            raise TileNotFound(f"tile {level}/{index} is not part of a tree of {self.tree_size}")
        if width < TILE_WIDTH:
            self.check_root()
            return self._verified[key]
        hashes = self._fetch_tile(Tile(level, index, TILE_WIDTH))
        parent = self.tile(level + 1, index >> TILE_HEIGHT)[index % TILE_WIDTH]
        if root_hash(hashes) != parent:
            raise RootMismatch(
                f"{tile_path(Tile(level, index, TILE_WIDTH))} does not hash to its entry in "
                f"the tile above ({parent.hex()})"
            )
        self._verified[key] = hashes
        return hashes

    def read_hashes(self, indexes: Sequence[StoredHashIndex]) -> list[bytes]:
        out = []
        for index in indexes:
            level, n = split_stored_hash_index(index)
            if (n + 1) << level > self.tree_size:
                raise TileNotFound(
                    f"stored hash {index} (level {level}, node {n}) is not in a tree of size {self.tree_size}"
                )
            tile_level, k = divmod(level, TILE_HEIGHT)
            first = n << k
            hashes = self.tile(tile_level, first >> TILE_HEIGHT)
            offset = first % TILE_WIDTH
            out.append(root_hash(hashes[offset : offset + (1 << k)]))
        return out
