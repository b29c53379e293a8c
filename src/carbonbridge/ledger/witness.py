"""A transparency-log witness speaking the C2SP witness protocol (c2sp.org/tlog-witness,
"add-checkpoint"), and the request format a log uses to reach one.

A witness is a name, an Ed25519 ``cosignature/v1`` key (c2sp.org/tlog-cosignature) and, for each
log it knows (by origin, with the log's verifier keys), the latest checkpoint it cosigned. On
``POST <prefix>/add-checkpoint`` with the body

    old <size>\\n
    <base64 hash>\\n          (0 to 63 lines: RFC 6962 §2.1.2 consistency proof old -> new)
    \\n
    <checkpoint note>

it answers, in the order the specification checks them: 400 for a malformed body or an old size
above the checkpoint's; 404 for an unknown origin; 403 when no signature by a trusted log key
verifies; 409 (``text/x.tlog.size``, the size it last cosigned) when the old size is not that
size, or when the sizes are equal but the roots are not; 422 when the consistency proof does not
verify; else 200 with its timestamped cosignature line, after persisting the new checkpoint.
Checking the old size and persisting the new checkpoint happen under one lock (a thread lock and
an ``flock`` on the state file's lock file), so two concurrent requests can never roll the
witness back (the race the specification describes).

The state is one JSON file (``{"logs": {origin: checkpoint note}}``) replaced atomically; the key
is a ``PRIVATE+KEY`` file of mode 0600 (as the log's key, :mod:`carbonbridge.ledger.service.keys`).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from carbonbridge.kernel.errors import CarbonbridgeError, FieldIssue, InvalidInput
from carbonbridge.ledger.checkpoint import checkpoint_text, open_checkpoint, parse_checkpoint
from carbonbridge.ledger.errors import MalformedNote
from carbonbridge.ledger.merkle import verify_consistency
from carbonbridge.ledger.model import HASH_SIZE, Checkpoint, NoteSignature
from carbonbridge.ledger.note import (
    SIG_COSIGNATURE_V1,
    Ed25519Signer,
    NoteVerifier,
    format_signature_line,
    generate_signer,
    parse_note,
    parse_signer_key,
    parse_verifier_key,
)

#: the path of the call under the witness's submission prefix
ADD_CHECKPOINT = "add-checkpoint"
#: Content-Type of a 409 answer's body: the witness's latest cosigned size and a newline
SIZE_CONTENT_TYPE = "text/x.tlog.size"
TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"
#: "The client MUST NOT send more than 63 consistency proof lines."
MAX_PROOF_LINES = 63


@dataclass(frozen=True)
class AddCheckpoint:
    """An add-checkpoint request: the old size, the consistency proof, the checkpoint note."""

    old_size: int
    proof: tuple[bytes, ...]
    checkpoint_note: str


@dataclass(frozen=True)
class WitnessAnswer:
    """An HTTP answer of the witness: status, body text and its Content-Type."""

    status: int
    body: str
    content_type: str = TEXT_CONTENT_TYPE


def format_add_checkpoint(old_size: int, proof: Sequence[bytes], checkpoint_note: str) -> bytes:
    """The request body of c2sp.org/tlog-witness add-checkpoint."""
    lines = [f"old {old_size}\n", *(base64.b64encode(h).decode() + "\n" for h in proof), "\n"]
    return ("".join(lines) + checkpoint_note).encode()


def _bad(what: str, value: object, why: str) -> InvalidInput:
    return InvalidInput("malformed add-checkpoint request", [FieldIssue((what,), value, why)])


def parse_add_checkpoint(body: bytes) -> AddCheckpoint:
    """Parse an add-checkpoint body; :class:`InvalidInput` names the line that is wrong."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad("body", f"byte {exc.start}", "not UTF-8") from exc
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise _bad("body", text[:40], "no empty line before the checkpoint")
    lines = head.split("\n")
    old = lines[0].removeprefix("old ")
    if old == lines[0] or not old.isascii() or not old.isdigit() or (old != "0" and old.startswith("0")):
        raise _bad("line 1", lines[0], "'old <size>', the size in decimal without leading zeros")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise _bad("proof", len(lines) - 1, f"at most {MAX_PROOF_LINES} consistency proof lines")
    proof = []
    for number, line in enumerate(lines[1:], start=2):
        try:
            h = base64.b64decode(line, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _bad(f"line {number}", line, "not base64") from exc
        if len(h) != HASH_SIZE:
            raise _bad(f"line {number}", line, f"a {len(h)}-byte hash, not {HASH_SIZE} bytes")
        proof.append(h)
    return AddCheckpoint(int(old), tuple(proof), note)


def parse_size_answer(body: bytes) -> int:
    """The size in a 409 answer (``text/x.tlog.size``: decimal and a newline)."""
    text = body.decode("ascii", errors="replace")
    if not text.endswith("\n") or not text[:-1].isdigit():
        raise _bad("409 body", text[:40], "a tree size in decimal followed by a newline")
    return int(text[:-1])


def load_or_create_key(path: Path, name: str) -> Ed25519Signer:
    """The witness's cosignature/v1 signer from ``path`` (created 0600 in a 0700 directory, with
    key name ``name``, if missing); refuses a key file others can read or a key of another type."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        signer = generate_signer(name, SIG_COSIGNATURE_V1)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(signer.signer_key() + "\n")
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise MalformedNote(f"witness key {path} has mode {mode:o}; it must be readable by its owner only")
    signer = parse_signer_key(path.read_text().strip())
    if signer.sig_type != SIG_COSIGNATURE_V1:
        raise MalformedNote(f"{path} is not a cosignature/v1 (type 0x04) key")
    return signer


class Witness:
    """The witness: its signer, the logs it knows (verifier keys, grouped by key name = origin,
    c2sp.org/tlog-checkpoint) and its state file."""

    def __init__(self, signer: Ed25519Signer, log_keys: Sequence[str | NoteVerifier], state: Path) -> None:
        if signer.sig_type != SIG_COSIGNATURE_V1:
            raise MalformedNote(f"witness key {signer.name} is not a cosignature/v1 (type 0x04) key")
        self.signer = signer
        self.state = state
        self.logs: dict[str, list[NoteVerifier]] = {}
        for key in log_keys:
            verifier = parse_verifier_key(key) if isinstance(key, str) else key
            self.logs.setdefault(verifier.name, []).append(verifier)
        self._lock = threading.Lock()

    def verifier_key(self) -> str:
        """The witness's public key (type 0x04), for the logs' registries."""
        return self.signer.verifier().verifier_key()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, str]]:
        """The stored checkpoints by origin, under the thread lock and an exclusive ``flock``
        (other processes serving the same state), for one check-and-update."""
        self.state.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with self._lock, open(self.state.with_name(self.state.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield json.loads(self.state.read_text())["logs"] if self.state.exists() else {}
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _persist(self, logs: dict[str, str]) -> None:
        tmp = self.state.with_name(f".{self.state.name}.{os.getpid()}.{threading.get_ident()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump({"logs": logs}, handle, sort_keys=True, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.state)

    def latest(self, origin: str) -> Checkpoint | None:
        """The latest checkpoint this witness cosigned for ``origin``."""
        with self._locked() as logs:
            note = logs.get(origin)
        return None if note is None else parse_checkpoint(checkpoint_text(note))

    def add_checkpoint(self, body: bytes) -> WitnessAnswer:
        """c2sp.org/tlog-witness add-checkpoint: check, cosign and persist (see the module)."""
        try:
            request = parse_add_checkpoint(body)
            text, _ = parse_note(request.checkpoint_note)
            origin = parse_checkpoint(text).origin
        except CarbonbridgeError as exc:
            return WitnessAnswer(400, f"{exc}\n")
        verifiers = self.logs.get(origin)
        if not verifiers:
            return WitnessAnswer(404, f"unknown log origin {origin!r}\n")
        try:
            new = open_checkpoint(request.checkpoint_note, verifiers)
        except CarbonbridgeError as exc:
            return WitnessAnswer(403, f"{exc}\n")
        if request.old_size > new.tree_size:
            return WitnessAnswer(
                400, f"old size {request.old_size} exceeds the checkpoint's {new.tree_size}\n"
            )
        with self._locked() as logs:
            stored = logs.get(origin)
            old = None if stored is None else parse_checkpoint(checkpoint_text(stored))
            known = 0 if old is None else old.tree_size
            if request.old_size != known:
                return WitnessAnswer(409, f"{known}\n", SIZE_CONTENT_TYPE)
            if old is not None and old.tree_size == new.tree_size and old.root_hash != new.root_hash:
                return WitnessAnswer(409, f"{known}\n", SIZE_CONTENT_TYPE)
            if request.old_size == 0 and request.proof:
                return WitnessAnswer(422, "the consistency proof from size 0 must be empty\n")
            if old is not None and not verify_consistency(
                old.tree_size, new.tree_size, request.proof, old.root_hash, new.root_hash
            ):
                return WitnessAnswer(
                    422,
                    f"consistency proof does not show tree size {old.tree_size} to be a prefix of "
                    f"tree size {new.tree_size}\n",
                )
            signature = NoteSignature(self.signer.name, self.signer.key_id, self.signer.sign(text.encode()))
            logs[origin] = request.checkpoint_note
            self._persist(logs)
        return WitnessAnswer(200, format_signature_line(signature))
