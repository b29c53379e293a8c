"""RFC 6962 / RFC 9162 Merkle tree hashing, inclusion and consistency proofs: the ledger's one
import point for tree arithmetic.

Two layers, each in its own module:

* :mod:`carbonbridge.ledger.rfc9162`: the RFC 9162 definitions on an in-memory list of leaf
  hashes (:func:`root_hash`, :func:`inclusion_path`, :func:`consistency_path`) and the
  verification algorithms (:func:`verify_inclusion`, §2.1.3.2; :func:`verify_consistency`,
  §2.1.4.2; :func:`check_record` and :func:`check_tree` with typed errors). These are the
  reference an auditor reads.
* :mod:`carbonbridge.ledger.tlog`: the storage layout of a large persistent log (Go's
  ``golang.org/x/mod/sumdb/tlog``): dense stored-hash indexes, the hashes an append stores, and
  roots and proofs in O(log n) reads through a :class:`HashReader`.
"""

from __future__ import annotations

from carbonbridge.ledger.rfc9162 import (
    EMPTY_ROOT,
    check_record,
    check_tree,
    consistency_path,
    inclusion_path,
    inclusion_proof_length,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from carbonbridge.ledger.tlog import (
    HashReader,
    MemoryHashStore,
    prove_record,
    prove_records,
    prove_tree,
    range_siblings,
    split_stored_hash_index,
    stored_hash_count,
    stored_hash_index,
    stored_hashes,
    stored_hashes_for_leaf_hash,
    tree_hash,
)

__all__ = [
    "EMPTY_ROOT",
    "HashReader",
    "MemoryHashStore",
    "check_record",
    "check_tree",
    "consistency_path",
    "inclusion_path",
    "inclusion_proof_length",
    "leaf_hash",
    "node_hash",
    "prove_record",
    "prove_records",
    "prove_tree",
    "range_siblings",
    "root_hash",
    "split_stored_hash_index",
    "stored_hash_count",
    "stored_hash_index",
    "stored_hashes",
    "stored_hashes_for_leaf_hash",
    "tree_hash",
    "verify_consistency",
    "verify_inclusion",
]
