"""Tests of checkpoints; the example body is the one in c2sp.org/tlog-checkpoint."""

from __future__ import annotations

import base64

import pytest

from carbonbridge.ledger.checkpoint import (
    format_checkpoint,
    open_checkpoint,
    open_signed_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)
from carbonbridge.ledger.errors import BadSignature, MalformedCheckpoint, UnknownSigner
from carbonbridge.ledger.model import Checkpoint
from carbonbridge.ledger.note import SIG_COSIGNATURE_V1, Ed25519Signer, generate_signer

SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
ROOT = base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")


def test_spec_example_parses_and_formats_back() -> None:
    cp = parse_checkpoint(SPEC_BODY)
    assert cp == Checkpoint("example.com/behind-the-sofa", 20852163, ROOT)
    assert format_checkpoint(cp) == SPEC_BODY


def test_extension_lines_are_kept() -> None:
    cp = parse_checkpoint(SPEC_BODY + "ext one\next two\n")
    assert cp.extensions == ("ext one", "ext two")
    assert format_checkpoint(cp) == SPEC_BODY + "ext one\next two\n"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("\n1\n" + SPEC_BODY.split("\n")[2] + "\n", "line 1: origin is empty"),
        (SPEC_BODY.replace("20852163", "020852163"), "line 2: .* leading zero"),
        (SPEC_BODY.replace("20852163", "-1"), "line 2: .* not an ASCII decimal"),
        (SPEC_BODY.replace("20852163", "+5"), "line 2"),
        (SPEC_BODY.replace("20852163", "١٢"), "line 2"),
        (SPEC_BODY.replace("20852163", str(1 << 64)), "line 2: .* exceeds"),
        (SPEC_BODY.replace("CsUY", "!sUY"), "line 3: .* not base64"),
        (SPEC_BODY.replace("2I=", "2=="), "line 3"),
        (SPEC_BODY + "\n", "line 4: extension line is empty"),
        ("origin\n1\n", "has 2 lines"),
        (SPEC_BODY[:-1], "does not end with a newline"),
    ],
)
def test_malformed_bodies_name_the_line(body: str, reason: str) -> None:
    with pytest.raises(MalformedCheckpoint, match=reason):
        parse_checkpoint(body)


def test_signed_checkpoint_opens_with_the_log_key() -> None:
    log = generate_signer("example.com/log")
    cp = Checkpoint("example.com/log", 5, ROOT)
    note = sign_checkpoint(cp, log)
    assert open_checkpoint(note, log.verifier(), origin="example.com/log") == cp


def test_wrong_origin_is_rejected() -> None:
    log = generate_signer("example.com/log")
    note = sign_checkpoint(Checkpoint("example.com/other", 5, ROOT), log)
    with pytest.raises(MalformedCheckpoint, match="line 1: origin"):
        open_checkpoint(note, log.verifier(), origin="example.com/log")


def test_checkpoint_signed_by_another_key_is_rejected() -> None:
    note = sign_checkpoint(Checkpoint("example.com/log", 5, ROOT), generate_signer("example.com/log"))
    with pytest.raises(UnknownSigner):
        open_checkpoint(note, generate_signer("example.com/log").verifier())


def test_altered_tree_size_breaks_the_signature() -> None:
    log = generate_signer("example.com/log")
    note = sign_checkpoint(Checkpoint("example.com/log", 5, ROOT), log)
    with pytest.raises(BadSignature):
        open_checkpoint(note.replace("\n5\n", "\n6\n", 1), log.verifier())


def test_witness_cosignature_is_added_and_reported() -> None:
    log = generate_signer("example.com/log")
    witness = Ed25519Signer("w.example", bytes(32), SIG_COSIGNATURE_V1, lambda: 1700000000)
    cp = Checkpoint("example.com/log", 5, ROOT)
    _, opened = open_signed_checkpoint(sign_checkpoint(cp, log), log.verifier())
    cosigned = sign_checkpoint(cp, witness, existing=opened.verified)
    got, opened2 = open_signed_checkpoint(cosigned, [log.verifier(), witness.verifier()])
    assert got == cp
    assert [s.name for s in opened2.verified] == ["example.com/log", "w.example"]
