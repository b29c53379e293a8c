"""Signed notes (c2sp.org/signed-note) with Ed25519 keys, and Ed25519 witness cosignatures
(c2sp.org/tlog-cosignature, ``cosignature/v1``).

Keys use the text formats of Go's ``golang.org/x/mod/sumdb/note``:

* verifier key ``<name>+<key ID as 8 hex digits>+<base64(type || public key)>``;
* signer key ``PRIVATE+KEY+<name>+<key ID>+<base64(type || 32-byte seed)>``;

with key ID = SHA-256(name || "\\n" || type || public key)[:4] big-endian and type 0x01 for note
signatures, 0x04 for cosignature/v1. (Go defines the signer-key text for type 0x01 only; this
module accepts the same shape with type 0x04 for a witness's private key.)

Written by hand: ``cryptography`` supplies Ed25519; no maintained Python library implements the
note format.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from carbonbridge.ledger.errors import BadSignature, MalformedNote, UnknownSigner
from carbonbridge.ledger.model import NoteSignature, OpenedNote

SIG_ED25519 = 0x01
SIG_COSIGNATURE_V1 = 0x04
#: Go's limit; c2sp.org/signed-note requires accepting at least 16.
MAX_SIGNATURES = 100
_EM_DASH_PREFIX = "\u2014 "
_COSIGNATURE_HEADER = b"cosignature/v1\n"


class NoteVerifier(Protocol):
    """Checks signatures by one key, identified by (name, key ID)."""

    @property
    def name(self) -> str: ...
    @property
    def key_id(self) -> int: ...
    def verify(self, text: bytes, signature: bytes) -> bool: ...


class NoteSigner(Protocol):
    """Signs note text; ``sign`` returns the signature bytes that follow the key ID."""

    @property
    def name(self) -> str: ...
    @property
    def key_id(self) -> int: ...
    def sign(self, text: bytes) -> bytes: ...


def key_id(name: str, sig_type: int, public_key: bytes) -> int:
    """SHA-256(name || 0x0A || type || public key)[:4] as a big-endian uint32 (signed-note)."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def is_valid_key_name(name: str) -> bool:
    """Non-empty, no Unicode spaces, no '+' (c2sp.org/signed-note, "Format")."""
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def _raw_public(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class Ed25519Verifier:
    """Verifier of Ed25519 note signatures (type 0x01) or cosignatures (type 0x04)."""

    name: str
    public_key: bytes
    sig_type: int = SIG_ED25519

    @property
    def key_id(self) -> int:
        return key_id(self.name, self.sig_type, self.public_key)

    def verifier_key(self) -> str:
        """The vkey text: ``<name>+<key ID hex>+<base64(type || public key)>``."""
        material = base64.b64encode(bytes([self.sig_type]) + self.public_key).decode()
        return f"{self.name}+{self.key_id:08x}+{material}"

    def verify(self, text: bytes, signature: bytes) -> bool:
        if self.sig_type == SIG_COSIGNATURE_V1:
            if len(signature) != 8 + 64:
                return False
            timestamp = int.from_bytes(signature[:8], "big")
            if timestamp >= 1 << 63:
                return False
            text, signature = cosignature_message(timestamp, text), signature[8:]
        if len(signature) != 64:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, text)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Ed25519Signer:
    """Ed25519 signer of notes (type 0x01) or, with ``sig_type=0x04``, of cosignatures whose
    timestamp comes from ``clock`` (POSIX seconds)."""

    name: str
    seed: bytes = field(repr=False)
    sig_type: int = SIG_ED25519
    clock: Callable[[], int] = field(default=lambda: int(time.time()), compare=False)

    def __post_init__(self) -> None:
        if not is_valid_key_name(self.name):
            raise MalformedNote(f"key name {self.name!r} is empty or has a space or '+'")
        if len(self.seed) != 32:
            raise MalformedNote(f"Ed25519 seed is {len(self.seed)} bytes, not 32")
        if self.sig_type not in (SIG_ED25519, SIG_COSIGNATURE_V1):
            raise MalformedNote(f"unsupported signature type 0x{self.sig_type:02x}")

    @property
    def public_key(self) -> bytes:
        return _raw_public(Ed25519PrivateKey.from_private_bytes(self.seed))

    @property
    def key_id(self) -> int:
        return key_id(self.name, self.sig_type, self.public_key)

    def verifier(self) -> Ed25519Verifier:
        return Ed25519Verifier(self.name, self.public_key, self.sig_type)

    def signer_key(self) -> str:
        """The skey text: ``PRIVATE+KEY+<name>+<key ID hex>+<base64(type || seed)>``."""
        material = base64.b64encode(bytes([self.sig_type]) + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{material}"

    def sign(self, text: bytes) -> bytes:
        private = Ed25519PrivateKey.from_private_bytes(self.seed)
        if self.sig_type == SIG_COSIGNATURE_V1:
            timestamp = self.clock()
            return timestamp.to_bytes(8, "big") + private.sign(cosignature_message(timestamp, text))
        return private.sign(text)


def cosignature_message(timestamp: int, checkpoint_body: bytes) -> bytes:
    """The signed message of a cosignature/v1 (c2sp.org/tlog-cosignature, "Ed25519 signed
    message"): ``cosignature/v1\\ntime <timestamp>\\n`` followed by the checkpoint body."""
    return _COSIGNATURE_HEADER + b"time %d\n" % timestamp + checkpoint_body


def cosignature_timestamp(signature: NoteSignature) -> int:
    """The POSIX timestamp a cosignature/v1 signature line carries."""
    if len(signature.signature) != 72:
        raise MalformedNote(
            f"cosignature by {signature.name} is {len(signature.signature)} bytes after the key "
            "ID, not 72 (8-byte timestamp and 64-byte Ed25519 signature)"
        )
    return int.from_bytes(signature.signature[:8], "big")


def generate_signer(name: str, sig_type: int = SIG_ED25519) -> Ed25519Signer:
    """A new random Ed25519 key."""
    return Ed25519Signer(name, os.urandom(32), sig_type)


def _decode_key_parts(text: str, kind: str) -> tuple[str, int, int, bytes]:
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise MalformedNote(f"{kind} key must be <name>+<8 hex digits>+<base64>, got {text!r}")
    name, hex_id, material_b64 = parts
    if not is_valid_key_name(name):
        raise MalformedNote(f"{kind} key name {name!r} is empty or contains a space")
    if len(hex_id) != 8 or any(c not in "0123456789abcdef" for c in hex_id):
        raise MalformedNote(f"{kind} key ID {hex_id!r} is not 8 lowercase hex digits")
    material = _b64(material_b64, f"{kind} key material")
    if not material:
        raise MalformedNote(f"{kind} key material is empty")
    return name, int(hex_id, 16), material[0], material[1:]


def _b64(text: str, what: str) -> bytes:
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedNote(f"{what} is not valid base64: {text!r}") from exc
    if base64.b64encode(data).decode() != text:
        raise MalformedNote(f"{what} is not canonical base64: {text!r}")
    return data


def _check_type_and_size(kind: str, sig_type: int, key: bytes) -> None:
    if sig_type not in (SIG_ED25519, SIG_COSIGNATURE_V1):
        raise MalformedNote(f"{kind} key has unsupported signature type 0x{sig_type:02x}")
    if len(key) != 32:
        raise MalformedNote(f"{kind} key has {len(key)} bytes of Ed25519 key, not 32")


def parse_verifier_key(vkey: str) -> Ed25519Verifier:
    """Parse a verifier key; its key ID must match the name and public key."""
    name, kid, sig_type, public = _decode_key_parts(vkey, "verifier")
    _check_type_and_size("verifier", sig_type, public)
    verifier = Ed25519Verifier(name, public, sig_type)
    if verifier.key_id != kid:
        raise MalformedNote(
            f"verifier key ID {kid:08x} does not match its name and key ({verifier.key_id:08x})"
        )
    return verifier


def parse_signer_key(skey: str) -> Ed25519Signer:
    """Parse a signer key ``PRIVATE+KEY+...``; its key ID must match the derived public key."""
    prefix = "PRIVATE+KEY+"
    if not skey.startswith(prefix):
        raise MalformedNote("signer key does not start with 'PRIVATE+KEY+'")
    name, kid, sig_type, seed = _decode_key_parts(skey[len(prefix) :], "signer")
    _check_type_and_size("signer", sig_type, seed)
    signer = Ed25519Signer(name, seed, sig_type)
    if signer.key_id != kid:
        raise MalformedNote(f"signer key ID {kid:08x} does not match its name and key ({signer.key_id:08x})")
    return signer


def format_signature_line(sig: NoteSignature) -> str:
    """``— <name> <base64(key ID || signature)>\\n``."""
    blob = sig.key_id.to_bytes(4, "big") + sig.signature
    return f"{_EM_DASH_PREFIX}{sig.name} {base64.b64encode(blob).decode()}\n"


def _check_text(text: str, what: str) -> None:
    if not text.endswith("\n"):
        raise MalformedNote(f"{what} does not end with a newline")
    for offset, c in enumerate(text):
        if c < " " and c != "\n":
            raise MalformedNote(f"{what} contains control character U+{ord(c):04X} at {offset}")


def sign_note(text: str, *signers: NoteSigner, existing: Sequence[NoteSignature] = ()) -> str:
    """Sign ``text`` (which must end in a newline) with each signer, keeping ``existing``
    signatures except those by the same keys, which are replaced (as Go's ``note.Sign``)."""
    _check_text(text, "note text")
    if not text.strip("\n"):
        raise MalformedNote("note text is empty")
    ours = {(s.name, s.key_id) for s in signers}
    lines = [format_signature_line(s) for s in existing if (s.name, s.key_id) not in ours]
    for signer in signers:
        if not is_valid_key_name(signer.name):
            raise MalformedNote(f"signer name {signer.name!r} is empty or has a space or '+'")
        sig = NoteSignature(signer.name, signer.key_id, signer.sign(text.encode()))
        lines.append(format_signature_line(sig))
    return text + "\n" + "".join(lines)


def parse_note(message: str | bytes) -> tuple[str, list[NoteSignature]]:
    """Split a signed note into its text and signature lines, checking the syntax only."""
    if isinstance(message, bytes):
        try:
            message = message.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedNote(f"note is not valid UTF-8 (byte {exc.start})") from exc
    _check_text(message, "note")
    split = message.rfind("\n\n")
    if split < 0:
        raise MalformedNote("note has no blank line between its text and its signatures")
    text, sig_block = message[: split + 1], message[split + 2 :]
    if not sig_block:
        raise MalformedNote("note has no signature lines after the blank line")
    lines = sig_block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNote(f"note has {len(lines)} signatures, more than {MAX_SIGNATURES}")
    sigs = []
    for number, line in enumerate(lines, start=1):
        if not line.startswith(_EM_DASH_PREFIX):
            raise MalformedNote(f"signature line {number} does not start with '— ': {line!r}")
        name, space, blob_b64 = line[len(_EM_DASH_PREFIX) :].partition(" ")
        if not space or not is_valid_key_name(name) or " " in blob_b64:
            raise MalformedNote(f"signature line {number} is not '— <name> <base64>': {line!r}")
        blob = _b64(blob_b64, f"signature line {number}")
        if len(blob) < 5:
            raise MalformedNote(f"signature line {number} has {len(blob)} bytes, fewer than 5")
        sigs.append(NoteSignature(name, int.from_bytes(blob[:4], "big"), blob[4:]))
    return text, sigs


def open_note(message: str | bytes, verifiers: Sequence[NoteVerifier]) -> OpenedNote:
    """Parse a signed note and verify its signatures (c2sp.org/signed-note, "Signatures").

    Signatures by unknown keys are ignored (returned as ``unverified``); a failing signature by a
    known key rejects the note (:class:`BadSignature`); a note without any verified signature is
    rejected (:class:`UnknownSigner`).
    """
    text, sigs = parse_note(message)
    by_key: dict[tuple[str, int], list[NoteVerifier]] = {}
    for v in verifiers:
        by_key.setdefault((v.name, v.key_id), []).append(v)
    verified: list[NoteSignature] = []
    unverified: list[NoteSignature] = []
    for sig in sigs:
        candidates = by_key.get((sig.name, sig.key_id), [])
        if not candidates:
            if sig not in unverified:
                unverified.append(sig)
            continue
        distinct: list[NoteVerifier] = []
        for v in candidates:
            if v not in distinct:
                distinct.append(v)
        if len(distinct) > 1:
            raise MalformedNote(f"ambiguous key {sig.name}+{sig.key_id:08x}")
        if any(s.name == sig.name and s.key_id == sig.key_id for s in verified):
            continue
        if not candidates[0].verify(text.encode(), sig.signature):
            raise BadSignature(f"invalid signature for key {sig.name}+{sig.key_id:08x}")
        verified.append(sig)
    if not verified:
        seen = ", ".join(f"{s.name}+{s.key_id:08x}" for s in unverified) or "none"
        raise UnknownSigner(f"note has no signature by a known key (signed by: {seen})")
    return OpenedNote(text, tuple(verified), tuple(unverified))
