"""RFC 6962 / RFC 9162 Merkle tree hashing, inclusion and consistency proofs.

Two layers:

* The RFC 9162 definitions on an in-memory list of leaf hashes (:func:`root_hash`,
  :func:`inclusion_path`, :func:`consistency_path`) and the RFC 9162 verification algorithms
  (:func:`verify_inclusion`, §2.1.3.2; :func:`verify_consistency`, §2.1.4.2). These are the
  reference an auditor reads.
* A storage layout for a large persistent log, ported from the algorithm of Go's
  ``golang.org/x/mod/sumdb/tlog`` (tlog.go; Crosby and Wallach, "Efficient Data Structures for
  Tamper-Evident Logging", §3.3): every hash of every complete subtree gets a dense
  :data:`~carbonbridge.ledger.model.StoredHashIndex`; appending record *n* stores
  1 + trailing-ones(n) new hashes (under two on average, :func:`stored_hashes`), and a root or a
  proof needs O(log n) reads through a :class:`HashReader` (:func:`tree_hash`,
  :func:`prove_record`, :func:`prove_tree`).

Written by hand because no maintained Python library offers the tlog storage layout; the
proofs it produces are byte-identical to the RFC 9162 ones (property-tested).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Protocol

from carbonbridge.ledger.errors import (
    ConsistencyProofFailed,
    HashStoreError,
    InclusionProofFailed,
    ProofTreeSizeMismatch,
    TruncatedProof,
)
from carbonbridge.ledger.model import HASH_SIZE, StoredHashIndex

#: MTH({}) = SHA-256() (RFC 6962 §2.1). Go's tlog uses all zeros; C2SP checkpoints use this.
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d), RFC 6962 §2.1 / RFC 9162 §2.1.1."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right), RFC 6962 §2.1 / RFC 9162 §2.1.1."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """k, the largest power of two smaller than n (n >= 2), RFC 9162 §2.1.1."""
    return 1 << ((n - 1).bit_length() - 1)


# --- RFC 9162 on a list of leaf hashes ------------------------------------------------------


def root_hash(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over leaf hashes (RFC 9162 §2.1.1)."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[0]
    k = _split(n)
    return node_hash(root_hash(leaves[:k]), root_hash(leaves[k:]))


def inclusion_path(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(m, D[n]), the inclusion proof of leaf ``index`` (RFC 9162 §2.1.3.1)."""
    n = len(leaves)
    if not 0 <= index < n:
        raise ValueError(f"index {index} is outside a tree of size {n}")
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return [*inclusion_path(leaves[:k], index), root_hash(leaves[k:])]
    return [*inclusion_path(leaves[k:], index - k), root_hash(leaves[:k])]


def consistency_path(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true), RFC 9162 §2.1.4.1."""
    if not 0 < old_size <= len(leaves):
        raise ValueError(f"old size {old_size} must be in 1..{len(leaves)}")
    return _subproof(old_size, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [root_hash(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), root_hash(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), root_hash(leaves[:k])]


def verify_inclusion(leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does ``proof`` show leaf hash ``leaf`` at ``index`` under ``root``?"""
    if index >= tree_size or index < 0:
        return False
    fn, sn, r = index, tree_size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(r, root)


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> bool:
    """RFC 9162 §2.1.4.2: is the tree (old_size, old_root) a prefix of (new_size, new_root)?

    An empty old tree is consistent with anything (empty proof); equal sizes need an empty proof
    and equal roots.
    """
    if old_size < 0 or old_size > new_size:
        return False
    if old_size == 0:
        return not proof
    if old_size == new_size:
        return not proof and hmac.compare_digest(old_root, new_root)
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(fr, old_root) and hmac.compare_digest(sr, new_root)


# --- tlog storage layout ----------------------------------------------------------------------


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


def inclusion_proof_length(index: int, tree_size: int) -> int:
    """Number of hashes in the inclusion proof of ``index`` in a tree of ``tree_size``."""
    length, lo, hi = 0, 0, tree_size
    while hi - lo > 1:
        k = _split(hi - lo)
        lo, hi = (lo, lo + k) if index < lo + k else (lo + k, hi)
        length += 1
    return length


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


def check_record(proof: Sequence[bytes], t: int, root: bytes, n: int, leaf: bytes) -> None:
    """Check that ``proof`` shows leaf hash ``leaf`` at index ``n`` of the tree (t, root).

    Raises :class:`ProofTreeSizeMismatch` if n is outside the tree or the proof is longer than
    (n, t) needs, :class:`TruncatedProof` if shorter, :class:`InclusionProofFailed` otherwise.
    """
    if not 0 <= n < t:
        raise ProofTreeSizeMismatch(f"index {n} is outside the checkpoint's tree of size {t}")
    want = inclusion_proof_length(n, t)
    if len(proof) < want:
        raise TruncatedProof(
            f"inclusion proof is truncated: {len(proof)} hashes, but index {n} in a tree of "
            f"size {t} needs {want}"
        )
    if len(proof) > want:
        raise ProofTreeSizeMismatch(
            f"inclusion proof has {len(proof)} hashes, but index {n} in a tree of size {t} "
            f"needs {want}: it was made for another tree size"
        )
    for i, h in enumerate(proof):
        if len(h) != HASH_SIZE:
            raise InclusionProofFailed(f"inclusion proof hash #{i} is {len(h)} bytes, not 32")
    if not verify_inclusion(leaf, n, t, proof, root):
        raise InclusionProofFailed(
            f"inclusion proof for index {n} does not lead from leaf hash {leaf.hex()} to the "
            f"root {root.hex()} of the tree of size {t}"
        )


def _tree_proof_indexes(lo: int, hi: int, n: int, need: list[StoredHashIndex]) -> None:
    if n == hi:
        if lo != 0:
            _subtree_indexes(lo, hi, need)
        return
    k = _split(hi - lo)
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
    k = _split(hi - lo)
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


def check_tree(proof: Sequence[bytes], t: int, root: bytes, n: int, old_root: bytes) -> None:
    """Check that ``proof`` shows the tree (n, old_root) to be a prefix of (t, root).

    Raises :class:`ConsistencyProofFailed` naming both sizes.
    """
    if not 0 <= n <= t:
        raise ConsistencyProofFailed(f"old tree size {n} is larger than new tree size {t}")
    if not verify_consistency(n, t, proof, old_root, root):
        raise ConsistencyProofFailed(
            f"consistency proof ({len(proof)} hashes) does not show the tree of size {n} with "
            f"root {old_root.hex()} to be a prefix of the tree of size {t} with root {root.hex()}"
        )


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
