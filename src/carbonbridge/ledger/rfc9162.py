"""RFC 6962 / RFC 9162 Merkle tree hashing on a list of leaf hashes, and the verification of
inclusion and consistency proofs: the reference definitions an auditor reads.

:func:`root_hash`, :func:`inclusion_path` and :func:`consistency_path` are the RFC 9162 §2.1
definitions; :func:`verify_inclusion` (§2.1.3.2) and :func:`verify_consistency` (§2.1.4.2) the
verification algorithms; :func:`check_record` and :func:`check_tree` the same with a typed error
saying what failed. The persistent log computes the same hashes from its storage layout
(:mod:`carbonbridge.ledger.tlog`); property tests compare the two.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from carbonbridge.ledger.errors import (
    ConsistencyProofFailed,
    InclusionProofFailed,
    ProofTreeSizeMismatch,
    TruncatedProof,
)
from carbonbridge.ledger.model import HASH_SIZE

#: MTH({}) = SHA-256() (RFC 6962 §2.1). Go's tlog uses all zeros; C2SP checkpoints use this.
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d), RFC 6962 §2.1 / RFC 9162 §2.1.1."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right), RFC 6962 §2.1 / RFC 9162 §2.1.1."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
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
    k = split_point(n)
    return node_hash(root_hash(leaves[:k]), root_hash(leaves[k:]))


def inclusion_path(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(m, D[n]), the inclusion proof of leaf ``index`` (RFC 9162 §2.1.3.1)."""
    n = len(leaves)
    if not 0 <= index < n:
        raise ValueError(f"index {index} is outside a tree of size {n}")
    if n == 1:
        return []
    k = split_point(n)
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
    k = split_point(n)
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


def inclusion_proof_length(index: int, tree_size: int) -> int:
    """Number of hashes in the inclusion proof of ``index`` in a tree of ``tree_size``."""
    length, lo, hi = 0, 0, tree_size
    while hi - lo > 1:
        k = split_point(hi - lo)
        lo, hi = (lo, lo + k) if index < lo + k else (lo + k, hi)
        length += 1
    return length


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
