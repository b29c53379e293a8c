"""Serving and exporting c2sp.org/tlog-tiles: hash tiles and entry bundles read from the stored
hashes and entries, full ones kept in an in-process cache (they never change), and the export of a
whole checkpoint's tiles to a directory for a static web server or an offline audit."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.ledger import store
from carbonbridge.ledger.checkpoint import checkpoint_text, parse_checkpoint
from carbonbridge.ledger.errors import HashStoreError, TileNotFound
from carbonbridge.ledger.model import (
    ENTRIES_LEVEL,
    TILE_HEIGHT,
    TILE_WIDTH,
    Checkpoint,
)
from carbonbridge.ledger.service.reading import latest_checkpoint
from carbonbridge.ledger.tiles import (
    encode_entry_bundle,
    entry_bundles_for_size,
    parse_tile_path,
    tile_hashes,
    tile_path,
    tiles_for_size,
)
from carbonbridge.platform.db import unit_of_work


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
