"""The examples in docs/ledger.md are exact: regenerate them from the documented test keys and
compare, and verify the documented receipt as an auditor would."""

from __future__ import annotations

import re
from pathlib import Path

from carbonbridge.ledger.checkpoint import open_signed_checkpoint, sign_checkpoint
from carbonbridge.ledger.merkle import MemoryHashStore, leaf_hash
from carbonbridge.ledger.model import Checkpoint
from carbonbridge.ledger.note import SIG_COSIGNATURE_V1, Ed25519Signer, cosignature_timestamp
from carbonbridge.ledger.proof import encode_receipt, issue_receipt, verify_receipt
from carbonbridge.ledger.tiles import encode_entry_bundle

DOC = (Path(__file__).parents[2] / "docs" / "ledger.md").read_text(encoding="utf-8")
LOG = Ed25519Signer("carbonbridge.example/log", bytes(range(32)))
WITNESS = Ed25519Signer("witness.example/w1", bytes(range(32, 64)), SIG_COSIGNATURE_V1, lambda: 1764000000)


def _documented_receipt() -> str:
    block = re.search(r"```\n(c2sp\.org/tlog-proof@v1\n.*?)```", DOC, re.DOTALL)
    if block is None:
        raise AssertionError("docs/ledger.md has no receipt example")
    return block.group(1)


def _regenerated_receipt() -> str:
    store = MemoryHashStore()
    for i in range(5):
        store.append(b"event %d" % i)
    cp = Checkpoint("carbonbridge.example/log", 5, store.root())
    _, opened = open_signed_checkpoint(sign_checkpoint(cp, LOG), LOG.verifier())
    note = sign_checkpoint(cp, WITNESS, existing=opened.verified)
    return encode_receipt(issue_receipt(2, note, store))


def test_documented_keys_are_the_test_keys() -> None:
    assert LOG.signer_key() in DOC
    assert LOG.verifier().verifier_key() in DOC
    assert WITNESS.verifier().verifier_key() in DOC


def test_documented_receipt_is_reproduced_byte_for_byte() -> None:
    assert _documented_receipt() == _regenerated_receipt()


def test_documented_receipt_verifies_with_log_and_witness_keys() -> None:
    keys = [LOG.verifier().verifier_key(), WITNESS.verifier().verifier_key()]
    got = verify_receipt(_documented_receipt(), keys, b"event 2")
    assert got.leaf_hash.hex() in DOC
    assert leaf_hash(b"event 2") == got.leaf_hash
    assert cosignature_timestamp(got.signatures[1]) == 1764000000


def test_documented_entry_bundle_bytes() -> None:
    assert encode_entry_bundle([b"event 0", b"event 1"]).hex() == (
        "0007" + b"event 0".hex() + "0007" + b"event 1".hex()
    )
    assert "0007 6576656e742030 0007 6576656e742031" in DOC
