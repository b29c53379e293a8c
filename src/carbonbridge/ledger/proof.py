"""Receipts in the C2SP transparency-log proof format (c2sp.org/tlog-proof, "Format")::

    c2sp.org/tlog-proof@v1
    extra <base64 opaque data>          (optional, unauthenticated)
    index <zero-based decimal index>
    <base64 hash>                       (inclusion proof, leaf's sibling first, RFC 6962 §2.1.1)
    ...
                                        (empty line)
    <signed checkpoint note, verbatim>

:func:`verify_receipt` checks, in order: the format, the checkpoint's signature by a trusted
key, that the entry (if given) hashes to the leaf, and the inclusion of the leaf at the index in
the checkpoint's tree. Each failure raises its own ledger error saying what failed.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence

from carbonbridge.ledger.checkpoint import checkpoint_text, open_signed_checkpoint, parse_checkpoint
from carbonbridge.ledger.errors import EntryMismatch, InclusionProofFailed, MalformedReceipt
from carbonbridge.ledger.merkle import HashReader, check_record, leaf_hash, prove_record
from carbonbridge.ledger.model import HASH_SIZE, Receipt, VerifiedReceipt
from carbonbridge.ledger.note import NoteVerifier, parse_verifier_key

HEADER = "c2sp.org/tlog-proof@v1"

TrustedKeys = str | NoteVerifier | Sequence[str | NoteVerifier]


def encode_receipt(receipt: Receipt) -> str:
    """The text of a receipt (file extension ``.tlog-proof``)."""
    lines = [HEADER]
    if receipt.extra is not None:
        lines.append("extra " + base64.b64encode(receipt.extra).decode())
    lines.append(f"index {receipt.index}")
    lines += [base64.b64encode(h).decode() for h in receipt.proof]
    return "".join(line + "\n" for line in lines) + "\n" + receipt.checkpoint_note


def encode_range_receipts(
    first_index: int, siblings: Sequence[Mapping[int, bytes]], checkpoint_note: str, extras: Sequence[bytes]
) -> list[str]:
    """:func:`encode_receipt` for the consecutive entries ``first_index`` .. ``first_index +
    len(extras) - 1`` under one checkpoint, byte-identical, from their proofs by level
    (``tlog.range_siblings``). Entries under one node at level L share their proof lines from L
    up, so those lines are base64-encoded (RFC 4648 §4) and joined once per node, not per entry."""
    last = first_index + len(extras) - 1
    b2a = binascii.b2a_base64
    upper: dict[int, str] = {0: ""}  # above the root: nothing
    for level in range(len(siblings) - 1, -1, -1):
        at_level, lines = siblings[level], {}
        for node in range(first_index >> level, (last >> level) + 1):
            h = at_level.get(node)
            lines[node] = (b2a(h).decode() if h is not None else "") + upper[node >> 1]
        upper = lines
    tail = "\n" + checkpoint_note
    return [
        f"{HEADER}\nextra {b2a(extra, newline=False).decode()}\nindex {index}\n{upper[index]}{tail}"
        for index, extra in enumerate(extras, start=first_index)
    ]


def _b64(text: str, line: int) -> bytes:
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedReceipt(f"line {line}: {text!r} is not base64") from exc
    if base64.b64encode(data).decode() != text:
        raise MalformedReceipt(f"line {line}: {text!r} is not canonical base64")
    return data


def parse_receipt(text: str) -> Receipt:
    """Parse a receipt; errors name the (1-based) line that is wrong."""
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise MalformedReceipt("receipt has no empty line before the checkpoint")
    if not note:
        raise MalformedReceipt("receipt has no checkpoint after the empty line")
    lines = head.split("\n")
    if lines[0] != HEADER:
        raise MalformedReceipt(f"line 1: expected {HEADER!r}, found {lines[0]!r}")
    at = 1
    extra = None
    if at < len(lines) and lines[at].startswith("extra "):
        extra = _b64(lines[at][len("extra ") :], at + 1)
        at += 1
    if at >= len(lines) or not lines[at].startswith("index "):
        found = lines[at] if at < len(lines) else "end of proof"
        raise MalformedReceipt(f"line {at + 1}: expected 'index <N>', found {found!r}")
    index_text = lines[at][len("index ") :]
    if (
        not index_text.isascii()
        or not index_text.isdigit()
        or (index_text != "0" and index_text.startswith("0"))
    ):
        raise MalformedReceipt(f"line {at + 1}: index {index_text!r} is not a decimal")
    proof = []
    for number, line in enumerate(lines[at + 1 :], start=at + 2):
        h = _b64(line, number)
        if len(h) != HASH_SIZE:
            raise MalformedReceipt(f"line {number}: proof hash is {len(h)} bytes, not 32")
        proof.append(h)
    return Receipt(int(index_text), tuple(proof), note, extra)


def issue_receipt(
    index: int, checkpoint_note: str, reader: HashReader, extra: bytes | None = None
) -> Receipt:
    """The receipt for entry ``index`` under a signed checkpoint, with its proof read from the
    log's stored hashes."""
    checkpoint = parse_checkpoint(checkpoint_text(checkpoint_note))
    proof = prove_record(checkpoint.tree_size, index, reader)
    return Receipt(index, tuple(proof), checkpoint_note, extra)


def _verifiers(keys: TrustedKeys) -> list[NoteVerifier]:
    listed = [keys] if isinstance(keys, str) or not isinstance(keys, Sequence) else list(keys)
    return [parse_verifier_key(k) if isinstance(k, str) else k for k in listed]


def verify_receipt(
    receipt_text: str,
    verifier_key: TrustedKeys,
    entry: bytes | None = None,
    *,
    leaf: bytes | None = None,
    origin: str | None = None,
) -> VerifiedReceipt:
    """Verify a receipt against trusted key(s) (verifier-key text or verifiers).

    The leaf is ``leaf`` if given, else the RFC 6962 leaf hash of ``entry``; giving neither is
    an error. Raises :class:`~carbonbridge.ledger.errors.MalformedReceipt`,
    :class:`~carbonbridge.ledger.errors.UnknownSigner`,
    :class:`~carbonbridge.ledger.errors.BadSignature`,
    :class:`~carbonbridge.ledger.errors.EntryMismatch`,
    :class:`~carbonbridge.ledger.errors.TruncatedProof`,
    :class:`~carbonbridge.ledger.errors.ProofTreeSizeMismatch` or
    :class:`~carbonbridge.ledger.errors.InclusionProofFailed`.
    """
    receipt = parse_receipt(receipt_text)
    checkpoint, opened = open_signed_checkpoint(
        receipt.checkpoint_note, _verifiers(verifier_key), origin=origin
    )
    if leaf is None and entry is None:
        raise MalformedReceipt("verify_receipt needs the entry or its leaf hash")
    if entry is not None:
        entry_leaf = leaf_hash(entry)
        if leaf is not None and entry_leaf != leaf:
            raise EntryMismatch(
                f"entry hashes to leaf {entry_leaf.hex()}, not to the leaf {leaf.hex()} "
                f"the receipt is checked for"
            )
        leaf = entry_leaf
    if leaf is None:  # unreachable; narrows the type
        raise MalformedReceipt("verify_receipt needs the entry or its leaf hash")
    try:
        check_record(receipt.proof, checkpoint.tree_size, checkpoint.root_hash, receipt.index, leaf)
    except InclusionProofFailed as exc:
        if entry is None:
            raise
        raise InclusionProofFailed(
            f"{exc.detail}: either the entry given is not the one logged at index "
            f"{receipt.index}, or the proof was altered"
        ) from exc
    return VerifiedReceipt(receipt.index, leaf, checkpoint, opened.verified, receipt.extra)
