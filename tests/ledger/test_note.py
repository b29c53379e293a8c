"""Tests of signed notes and cosignatures.

Known answers from Go's ``golang.org/x/mod/sumdb/note`` ``note_test.go`` (TestNewVerifier,
TestNewSigner, TestSign, TestOpen): the PeterNeumann and EnochRoot keys and the signed
"If you think cryptography is the answer to your problem" note. Ed25519 is deterministic, so our
signature must equal Go's byte for byte.
"""

from __future__ import annotations

import base64

import pytest

from carbonbridge.ledger.errors import BadSignature, MalformedNote, UnknownSigner
from carbonbridge.ledger.model import NoteSignature
from carbonbridge.ledger.note import (
    SIG_COSIGNATURE_V1,
    Ed25519Signer,
    cosignature_message,
    cosignature_timestamp,
    generate_signer,
    key_id,
    open_note,
    parse_note,
    parse_signer_key,
    parse_verifier_key,
    sign_note,
)

PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6"
    "KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33"
    "WWd1RvMc+QQ=\n"
)


def test_go_signer_key_signs_the_published_note_byte_for_byte() -> None:
    signer = parse_signer_key(PETER_SKEY)
    assert signer.key_id == 0xC74F20A3
    assert signer.verifier().verifier_key() == PETER_VKEY
    assert signer.signer_key() == PETER_SKEY
    assert sign_note(TEXT, signer) == TEXT + "\n" + PETER_SIG


def test_signing_replaces_an_earlier_signature_by_the_same_key() -> None:
    old = NoteSignature("PeterNeumann", 0xC74F20A3, b"bad")
    assert sign_note(TEXT, parse_signer_key(PETER_SKEY), existing=[old]) == TEXT + "\n" + PETER_SIG


def test_key_id_is_truncated_sha256_of_name_type_and_key() -> None:
    verifier = parse_verifier_key(PETER_VKEY)
    assert key_id("PeterNeumann", 1, verifier.public_key) == 0xC74F20A3


@pytest.mark.parametrize("key", [PETER_VKEY, PETER_SKEY])
def test_every_mangled_key_is_rejected(key: str) -> None:
    """Go's TestNewVerifier / TestNewSigner: every proper substring and every one-byte
    increment of a valid key fails to parse."""
    parse = parse_verifier_key if key == PETER_VKEY else parse_signer_key
    for i in range(len(key)):
        for j in range(i + 1, len(key) + 1):
            if (i, j) != (0, len(key)):
                with pytest.raises(MalformedNote):
                    parse(key[i:j])
        mangled = key[:i] + chr(ord(key[i]) + 1) + key[i + 1 :]
        with pytest.raises(MalformedNote):
            parse(mangled)


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_wrong_length_or_unknown_algorithm_keys_are_rejected(vkey: str) -> None:
    with pytest.raises(MalformedNote):
        parse_verifier_key(vkey)


def test_open_ignores_signatures_by_unknown_keys() -> None:
    opened = open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [parse_verifier_key(PETER_VKEY)])
    assert opened.text == TEXT
    assert [s.name for s in opened.verified] == ["PeterNeumann"]
    assert [(s.name, s.key_id) for s in opened.unverified] == [("EnochRoot", 0xAF0CFE78)]


def test_open_verifies_every_known_signature() -> None:
    verifiers = [parse_verifier_key(PETER_VKEY), parse_verifier_key(ENOCH_VKEY)]
    opened = open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, verifiers)
    assert [s.name for s in opened.verified] == ["PeterNeumann", "EnochRoot"]
    assert opened.unverified == ()


def test_open_without_known_signature_names_the_signers() -> None:
    with pytest.raises(UnknownSigner, match=r"EnochRoot\+af0cfe78"):
        open_note(TEXT + "\n" + ENOCH_SIG, [parse_verifier_key(PETER_VKEY)])


def test_open_rejects_a_bad_signature_by_a_known_key() -> None:
    tampered = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(BadSignature, match=r"PeterNeumann\+c74f20a3"):
        open_note(TEXT + "\n" + tampered, [parse_verifier_key(PETER_VKEY)])


def test_open_rejects_an_altered_text() -> None:
    with pytest.raises(BadSignature):
        open_note(
            TEXT.replace("problem,", "problems,") + "\n" + PETER_SIG,
            [parse_verifier_key(PETER_VKEY)],
        )


def test_open_rejects_ambiguous_verifiers() -> None:
    peter = parse_verifier_key(PETER_VKEY)
    impostor = _FixedIdVerifier(peter.name, peter.key_id)
    with pytest.raises(MalformedNote, match="ambiguous key"):
        open_note(TEXT + "\n" + PETER_SIG, [peter, impostor])


class _FixedIdVerifier:
    def __init__(self, name: str, kid: int) -> None:
        self.name, self.key_id = name, kid

    def verify(self, text: bytes, signature: bytes) -> bool:
        return False


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (TEXT, "no blank line"),
        (TEXT + "\n", "no signature lines"),
        (TEXT + "\n" + PETER_SIG[:-1], "does not end with a newline"),
        ("\x01" + TEXT + "\n" + PETER_SIG, "control character U\\+0001"),
        (b"\xff" + (TEXT + "\n" + PETER_SIG).encode(), "not valid UTF-8"),
        (TEXT + "\n— Bad Name x08go/ZJku=\n", "not '— <name> <base64>'"),
        (TEXT + "\n" + PETER_SIG + "Unexpected line.\n", "line 2 does not start"),
        (TEXT + "\n" + PETER_SIG * 101, "more than 100"),
        (TEXT + "\n— PeterNeumann AAAA\n", "fewer than 5"),
    ],
)
def test_malformed_notes_say_what_is_wrong(message: str | bytes, reason: str) -> None:
    with pytest.raises(MalformedNote, match=reason):
        open_note(message, [parse_verifier_key(PETER_VKEY)])


def test_text_may_contain_blank_lines() -> None:
    signer = generate_signer("example.com/log")
    text = "a\n\nb\n"
    opened = open_note(sign_note(text, signer), [signer.verifier()])
    assert opened.text == text


def test_cosignature_round_trip_carries_its_timestamp() -> None:
    """c2sp.org/tlog-cosignature: key ID over type 0x04; 8-byte big-endian timestamp, then the
    Ed25519 signature of "cosignature/v1\\ntime <t>\\n" + checkpoint body."""
    body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    witness = Ed25519Signer("witness.example/w1", bytes(range(32)), SIG_COSIGNATURE_V1, lambda: 1679315147)
    verifier = witness.verifier()
    assert verifier.key_id == key_id("witness.example/w1", 0x04, witness.public_key)
    assert verifier.verifier_key().split("+")[2].startswith(base64.b64encode(b"\x04").decode()[:1])
    assert parse_verifier_key(verifier.verifier_key()) == verifier
    opened = open_note(sign_note(body, witness), [verifier])
    (sig,) = opened.verified
    assert cosignature_timestamp(sig) == 1679315147
    assert sig.signature[:8] == (1679315147).to_bytes(8, "big")
    assert cosignature_message(1679315147, body.encode()) == (
        b"cosignature/v1\ntime 1679315147\n" + body.encode()
    )


def test_cosignature_with_altered_timestamp_fails() -> None:
    body = "log.example\n1\n" + base64.b64encode(bytes(32)).decode() + "\n"
    witness = Ed25519Signer("w.example", bytes(32), SIG_COSIGNATURE_V1, lambda: 100)
    _, (sig,) = parse_note(sign_note(body, witness))
    forged = NoteSignature(sig.name, sig.key_id, (101).to_bytes(8, "big") + sig.signature[8:])
    note = sign_note(body, existing=[forged])
    with pytest.raises(BadSignature):
        open_note(note, [witness.verifier()])


def test_cosignature_is_not_a_note_signature() -> None:
    """The same Ed25519 key as a type 0x01 verifier has another key ID, so the cosignature is
    ignored rather than mis-verified."""
    body = "log.example\n1\n" + base64.b64encode(bytes(32)).decode() + "\n"
    witness = Ed25519Signer("w.example", bytes(32), SIG_COSIGNATURE_V1, lambda: 100)
    plain = Ed25519Signer("w.example", bytes(32))
    with pytest.raises(UnknownSigner):
        open_note(sign_note(body, witness), [plain.verifier()])
