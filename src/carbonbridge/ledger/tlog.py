"""The storage layout of a large persistent Merkle log, ported from the algorithm of Go's
``golang.org/x/mod/sumdb/tlog`` (tlog.go; Crosby and Wallach, "Efficient Data Structures for
Tamper-Evident Logging", §3.3).

Every hash of every complete subtree gets a dense
:data:`~carbonbridge.ledger.model.StoredHashIndex`; appending record *n* stores
1 + trailing-ones(n) new hashes (under two on average, :func:`stored_hashes`), and a root or a
proof needs O(log n) reads through a :class:`HashReader` (:func:`tree_hash`,
:func:`prove_record`, :func:`prove_tree`).

Written by hand because no maintained Python library offers the tlog storage layout; the
proofs it produces are byte-identical to the RFC 9162 ones of :mod:`carbonbridge.ledger.rfc9162`
(property-tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from carbonbridge.ledger.errors import HashStoreError
from carbonbridge.ledger.model import HASH_SIZE, StoredHashIndex
from carbonbridge.ledger.rfc9162 import EMPTY_ROOT, leaf_hash, node_hash, split_point


class HashReader(Protocol):
    """Reads stored hashes by :data:`StoredHashIndex` (Go's ``tlog.HashReader``).

    Must return exactly one 32-byte hash per index, in order; callers ask in increasing order.
    """

    def read_hashes(self, indexes: Sequence[StoredHashIndex]) -> list[bytes]: ...


def stored_hash_index(level: int, n: int) -> StoredHashIndex:
    """Dense position of the hash of node ``n`` at ``level`` (level 0 = leaves).

    Level L's n-th hash is stored right after level L+1's (2n+1)-th; level 0's n-th hash is at
    n + n/2 + n/4 + ... (Crosby-Wallach §3.3, as Go's ``StoredHashIndex``).
    """
    # After ``level`` steps of n -> 2n + 1, sum_k floor(n / 2**k) = 2n - popcount(n).
    n = ((n + 1) << level) - 1
    return 2 * n - n.bit_count() + level


def split_stored_hash_index(index: StoredHashIndex) -> tuple[int, int]:
    """Inverse of :func:`stored_hash_index`: ``(level, n)``."""
    n = index // 2
    index_n = stored_hash_index(0, n)
    while True:
        # Record n adds 1 + trailing zeros of (n+1) hashes.
        nxt = index_n + 1 + _trailing_zeros(n + 1)
        if nxt > index:
            break
        n += 1
        index_n = nxt
    level = index - index_n
    return level, n >> level


def _trailing_zeros(x: int) -> int:
    return (x & -x).bit_length() - 1


def stored_hash_count(n: int) -> int:
    """Number of stored hashes of a tree with ``n`` records."""
    if n == 0:
        return 0
    count = stored_hash_index(0, n - 1) + 1
    i = n - 1
    while i & 1:
        count += 1
        i >>= 1
    return count


def stored_hashes(n: int, entry: bytes, reader: HashReader) -> list[bytes]:
    """Hashes to store, from :func:`stored_hash_index` ``(0, n)`` on, when appending record n."""
    return stored_hashes_for_leaf_hash(n, leaf_hash(entry), reader)


def stored_hashes_for_leaf_hash(n: int, leaf: bytes, reader: HashReader) -> list[bytes]:
    """Like :func:`stored_hashes`, given the leaf hash instead of the entry.

    Each trailing 1 bit of n completes a subtree, whose left sibling is read from the store.
    """
    m = _trailing_zeros(n + 1)
    indexes = [stored_hash_index(i, (n >> i) - 1) for i in reversed(range(m))]
    old = _read(reader, indexes)
    hashes = [leaf]
    h = leaf
    for i in range(m):
        h = node_hash(old[m - 1 - i], h)
        hashes.append(h)
    return hashes


def _read(reader: HashReader, indexes: list[StoredHashIndex]) -> list[bytes]:
    if not indexes:
        return []
    hashes = reader.read_hashes(indexes)
    if len(hashes) != len(indexes) or any(len(h) != HASH_SIZE for h in hashes):
        raise HashStoreError(
            f"hash store returned {len(hashes)} hashes for {len(indexes)} indexes "
            "(or a hash that is not 32 bytes)"
        )
    return hashes


def _subtree_indexes(lo: int, hi: int, need: list[StoredHashIndex]) -> None:
    """Indexes of the complete subtrees making up records [lo, hi), left to right."""
    while lo < hi:
        level = (hi - lo).bit_length() - 1
        need.append(stored_hash_index(level, lo >> level))
        lo += 1 << level


def _subtree_hash(lo: int, hi: int, hashes: list[bytes], at: int) -> tuple[bytes, int]:
    """MTH(D[lo:hi]) from the hashes listed by :func:`_subtree_indexes`; returns the next
    unread position in ``hashes``."""
    count = 0
    while lo < hi:
        lo += 1 << ((hi - lo).bit_length() - 1)
        count += 1
    h = hashes[at + count - 1]
    for i in range(count - 2, -1, -1):
        h = node_hash(hashes[at + i], h)
    return h, at + count


def tree_hash(n: int, reader: HashReader) -> bytes:
    """Root hash of the tree of the first ``n`` records, with one read of <= 1 + log2 n hashes."""
    if n == 0:
        return EMPTY_ROOT
    need: list[StoredHashIndex] = []
    _subtree_indexes(0, n, need)
    return _subtree_hash(0, n, _read(reader, need), 0)[0]


def prove_record(t: int, n: int, reader: HashReader) -> list[bytes]:
    """Inclusion proof (RFC 9162 PATH) that the tree of size ``t`` contains record ``n``.

    Walks up the levels instead of down the RFC's recursion (as Trillian's ``proof.Inclusion``
    does; same hashes): at level L the node holding n has a sibling whose subtree is either
    complete, hence stored, or the partial right edge of the tree, hashed from the complete
    subtrees that make it up, or beyond the tree (no hash at that level). One read, in increasing
    index order, of at most log2 t + 1 hashes.
    """
    if not 0 <= n < t:
        raise ValueError(f"record {n} is outside a tree of size {t}")
    steps: list[StoredHashIndex | list[StoredHashIndex]] = []
    for level in range((t - 1).bit_length()):
        sibling = (n >> level) ^ 1
        if sibling < n >> level or (sibling + 1) << level <= t:
            steps.append(stored_hash_index(level, sibling))
        elif sibling << level < t:
            edge: list[StoredHashIndex] = []
            _subtree_indexes(sibling << level, t, edge)
            steps.append(edge)
    need = sorted(i for step in steps for i in ([step] if isinstance(step, int) else step))
    found = dict(zip(need, _read(reader, need), strict=True))
    proof = []
    for step in steps:
        if isinstance(step, int):
            proof.append(found[step])
            continue
        h = found[step[-1]]
        for i in reversed(step[:-1]):
            h = node_hash(found[i], h)
        proof.append(h)
    return proof


def prove_records(t: int, indexes: Sequence[int], reader: HashReader) -> list[list[bytes]]:
    """:func:`prove_record` for many records of one tree, with one read: the proofs of
    neighbouring records share most sibling hashes (a batch's receipts, for instance)."""
    levels = (t - 1).bit_length()
    siblings: dict[tuple[int, int], StoredHashIndex | list[StoredHashIndex]] = {}
    for n in indexes:
        if not 0 <= n < t:
            raise ValueError(f"record {n} is outside a tree of size {t}")
        for level in range(levels):
            sibling = (n >> level) ^ 1
            if (level, sibling) in siblings:
                continue
            if sibling < n >> level or (sibling + 1) << level <= t:
                siblings[level, sibling] = stored_hash_index(level, sibling)
            elif sibling << level < t:
                edge: list[StoredHashIndex] = []
                _subtree_indexes(sibling << level, t, edge)
                siblings[level, sibling] = edge
    need = sorted({i for step in siblings.values() for i in ([step] if isinstance(step, int) else step)})
    found = dict(zip(need, _read(reader, need), strict=True))
    hashes: dict[tuple[int, int], bytes] = {}
    for key, step in siblings.items():
        if isinstance(step, int):
            hashes[key] = found[step]
            continue
        h = found[step[-1]]
        for i in reversed(step[:-1]):
            h = node_hash(found[i], h)
        hashes[key] = h
    get = hashes.get
    proofs = []
    for n in indexes:
        proof = []
        for level in range(levels):
            sibling_hash = get((level, (n >> level) ^ 1))
            if sibling_hash is not None:
                proof.append(sibling_hash)
        proofs.append(proof)
    return proofs


def range_siblings(t: int, lo: int, hi: int, reader: HashReader) -> list[dict[int, bytes]]:
    """The inclusion proofs of records ``lo`` .. ``hi - 1`` of the tree of size ``t``, by level,
    with one read: ``levels[L][n >> L]`` is the hash of the sibling of record n's ancestor at
    level L, absent where that ancestor has none (the right edge). Record n's RFC 9162 PATH is
    ``[levels[L][n >> L] for L in 0, 1, ... if present]`` (:func:`prove_record`'s hashes): the
    records of a batch share every level above the leaves, so each sibling is found once."""
    if not 0 <= lo < hi <= t:
        raise ValueError(f"records {lo}..{hi - 1} are not inside a tree of size {t}")
    steps: list[dict[int, StoredHashIndex | list[StoredHashIndex]]] = []
    need: set[StoredHashIndex] = set()
    for level in range((t - 1).bit_length()):
        at_level: dict[int, StoredHashIndex | list[StoredHashIndex]] = {}
        for node in range(lo >> level, ((hi - 1) >> level) + 1):
            sibling = node ^ 1
            if sibling < node or (sibling + 1) << level <= t:  # complete subtree: stored
                index = stored_hash_index(level, sibling)
                at_level[node] = index
                need.add(index)
            elif sibling << level < t:  # the partial right edge, hashed from its subtrees
                edge: list[StoredHashIndex] = []
                _subtree_indexes(sibling << level, t, edge)
                at_level[node] = edge
                need.update(edge)
        steps.append(at_level)
    wanted = sorted(need)
    found = dict(zip(wanted, _read(reader, wanted), strict=True))
    levels = []
    for at_level in steps:
        hashes = {}
        for node, step in at_level.items():
            if isinstance(step, int):
                hashes[node] = found[step]
                continue
            h = found[step[-1]]
            for i in reversed(step[:-1]):
                h = node_hash(found[i], h)
            hashes[node] = h
        levels.append(hashes)
    return levels


def _tree_proof_indexes(lo: int, hi: int, n: int, need: list[StoredHashIndex]) -> None:
    if n == hi:
        if lo != 0:
            _subtree_indexes(lo, hi, need)
        return
    k = split_point(hi - lo)
    if n <= lo + k:
        _tree_proof_indexes(lo, lo + k, n, need)
        _subtree_indexes(lo + k, hi, need)
    else:
        _subtree_indexes(lo, lo + k, need)
        _tree_proof_indexes(lo + k, hi, n, need)


def _tree_proof(lo: int, hi: int, n: int, hashes: list[bytes], at: int) -> tuple[list[bytes], int]:
    if n == hi:
        if lo == 0:
            return [], at
        th, at = _subtree_hash(lo, hi, hashes, at)
        return [th], at
    k = split_point(hi - lo)
    if n <= lo + k:
        p, at = _tree_proof(lo, lo + k, n, hashes, at)
        th, at = _subtree_hash(lo + k, hi, hashes, at)
    else:
        th, at = _subtree_hash(lo, lo + k, hashes, at)
        p, at = _tree_proof(lo + k, hi, n, hashes, at)
    return [*p, th], at


def prove_tree(t: int, n: int, reader: HashReader) -> list[bytes]:
    """Consistency proof (RFC 9162 PROOF) that the tree of size ``t`` extends that of size n."""
    if not 0 < n <= t:
        raise ValueError(f"old size {n} must be in 1..{t}")
    need: list[StoredHashIndex] = []
    _tree_proof_indexes(0, t, n, need)
    return _tree_proof(0, t, n, _read(reader, need), 0)[0]


class MemoryHashStore:
    """An in-memory append-only hash store, for tests and small tools."""

    def __init__(self) -> None:
        self._hashes: list[bytes] = []
        self._size = 0

    @property
    def tree_size(self) -> int:
        return self._size

    def append(self, entry: bytes) -> int:
        """Append an entry; return its index."""
        return self.append_leaf_hash(leaf_hash(entry))

    def append_leaf_hash(self, leaf: bytes) -> int:
        index = self._size
        self._hashes.extend(stored_hashes_for_leaf_hash(index, leaf, self))
        self._size += 1
        return index

    def read_hashes(self, indexes: Sequence[StoredHashIndex]) -> list[bytes]:
        return [self._hashes[i] for i in indexes]

    def root(self, tree_size: int | None = None) -> bytes:
        return tree_hash(self._size if tree_size is None else tree_size, self)
