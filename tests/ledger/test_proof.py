"""Tests of C2SP tlog-proof receipts: round trip, and one test per failure that
:func:`verify_receipt` must name. The format is c2sp.org/tlog-proof, "Format"."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonbridge.ledger.checkpoint import sign_checkpoint
from carbonbridge.ledger.errors import (
    BadSignature,
    EntryMismatch,
    InclusionProofFailed,
    MalformedReceipt,
    ProofTreeSizeMismatch,
    TruncatedProof,
    UnknownSigner,
)
from carbonbridge.ledger.merkle import MemoryHashStore, leaf_hash, prove_record, range_siblings
from carbonbridge.ledger.model import Checkpoint, Receipt
from carbonbridge.ledger.note import Ed25519Signer, generate_signer
from carbonbridge.ledger.proof import (
    encode_range_receipts,
    encode_receipt,
    issue_receipt,
    parse_receipt,
    verify_receipt,
)

ORIGIN = "carbonbridge.example/log"
LOG = Ed25519Signer(ORIGIN, bytes(range(32)))
VKEY = LOG.verifier().verifier_key()


def _log(size: int) -> MemoryHashStore:
    store = MemoryHashStore()
    for i in range(size):
        store.append(b"event %d" % i)
    return store


def _note(store: MemoryHashStore, size: int, signer: Ed25519Signer = LOG) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, size, store.root(size)), signer)


STORE = _log(16)
NOTE8 = _note(STORE, 8)


def _receipt(index: int = 5, extra: bytes | None = None) -> str:
    return encode_receipt(issue_receipt(index, NOTE8, STORE, extra))


def test_receipt_text_follows_the_spec_layout() -> None:
    text = _receipt(5, extra=b"salt")
    lines = text.split("\n")
    assert lines[:3] == [
        "c2sp.org/tlog-proof@v1",
        "extra " + base64.b64encode(b"salt").decode(),
        "index 5",
    ]
    assert len(lines[3:6]) == 3
    assert lines[6] == ""
    assert text.endswith(NOTE8)
    assert parse_receipt(text) == Receipt(5, tuple(prove_record(8, 5, STORE)), NOTE8, b"salt")


def test_valid_receipt_verifies_with_entry() -> None:
    got = verify_receipt(_receipt(5, b"x"), VKEY, b"event 5", origin=ORIGIN)
    assert got.index == 5
    assert got.leaf_hash == leaf_hash(b"event 5")
    assert got.checkpoint.tree_size == 8
    assert got.extra == b"x"
    assert [s.name for s in got.signatures] == [ORIGIN]


def test_valid_receipt_verifies_with_leaf_hash_only() -> None:
    assert verify_receipt(_receipt(0), [VKEY], leaf=leaf_hash(b"event 0")).index == 0


def test_bad_signature_is_named() -> None:
    text = _receipt().replace("\n8\n", "\n9\n")
    with pytest.raises(BadSignature, match=r"invalid signature for key carbonbridge\.example/log"):
        verify_receipt(text, VKEY, b"event 5")


def test_unknown_key_is_named() -> None:
    other = generate_signer(ORIGIN).verifier().verifier_key()
    with pytest.raises(UnknownSigner, match="no signature by a known key"):
        verify_receipt(_receipt(), other, b"event 5")


def test_proof_for_another_tree_size_is_named() -> None:
    proof16 = prove_record(16, 5, STORE)
    text = encode_receipt(Receipt(5, tuple(proof16), NOTE8))
    with pytest.raises(ProofTreeSizeMismatch, match="made for another tree size"):
        verify_receipt(text, VKEY, b"event 5")


def test_index_beyond_the_tree_is_named() -> None:
    text = encode_receipt(Receipt(8, (), NOTE8))
    with pytest.raises(ProofTreeSizeMismatch, match="index 8 is outside"):
        verify_receipt(text, VKEY, b"event 8")


def test_truncated_proof_is_named() -> None:
    r = issue_receipt(5, NOTE8, STORE)
    text = encode_receipt(Receipt(5, r.proof[:-1], NOTE8))
    with pytest.raises(TruncatedProof, match="truncated: 2 hashes"):
        verify_receipt(text, VKEY, b"event 5")


def test_entry_not_matching_the_leaf_is_named() -> None:
    with pytest.raises(EntryMismatch, match="entry hashes to leaf"):
        verify_receipt(_receipt(), VKEY, b"event 6", leaf=leaf_hash(b"event 5"))


def test_wrong_entry_fails_inclusion_and_says_so() -> None:
    with pytest.raises(InclusionProofFailed, match="not the one logged at index 5"):
        verify_receipt(_receipt(), VKEY, b"event 6")


def test_altered_proof_hash_fails_inclusion() -> None:
    r = issue_receipt(5, NOTE8, STORE)
    bad = (bytes([r.proof[0][0] ^ 1]) + r.proof[0][1:], *r.proof[1:])
    with pytest.raises(InclusionProofFailed, match="does not lead from leaf hash"):
        verify_receipt(encode_receipt(Receipt(5, bad, NOTE8)), VKEY, leaf=leaf_hash(b"event 5"))


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda t: t.replace("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2"), "line 1"),
        (lambda t: t.replace("index 5", "index 05"), "line 2: index '05'"),
        (lambda t: t.replace("index 5", "idx 5"), "line 2: expected 'index <N>'"),
        (lambda t: t.replace("index 5\n", "index 5\n!!!!\n"), "line 3: '!!!!' is not base64"),
        (lambda t: t.replace("index 5\n", "index 5\nAAAA\n"), "line 3: proof hash is 3 bytes"),
        (lambda t: t.split("\n\n")[0], "no empty line"),
    ],
)
def test_malformed_receipts_name_the_line(mutate: object, reason: str) -> None:
    text = mutate(_receipt())  # type: ignore[operator]
    with pytest.raises(MalformedReceipt, match=reason):
        verify_receipt(text, VKEY, b"event 5")


def test_neither_entry_nor_leaf_is_an_error() -> None:
    with pytest.raises(MalformedReceipt, match="needs the entry"):
        verify_receipt(_receipt(), VKEY)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=600), st.data())
def test_range_encoding_is_byte_identical_to_one_receipt_at_a_time(size: int, data: st.DataObject) -> None:
    """``encode_range_receipts`` over ``range_siblings`` (proof lines shared per tree node, the
    append path's form) gives the reference receipt of every entry of any range of any tree."""
    store = _log(size)
    note = _note(store, size)
    lo = data.draw(st.integers(min_value=0, max_value=size - 1))
    hi = data.draw(st.integers(min_value=lo + 1, max_value=size))
    extras = [b"event %d" % i for i in range(lo, hi)]

    batch = encode_range_receipts(lo, range_siblings(size, lo, hi, store), note, extras)

    assert batch == [
        encode_receipt(Receipt(i, tuple(prove_record(size, i, store)), note, e))
        for i, e in zip(range(lo, hi), extras, strict=True)
    ]
