"""The log's key as the database records it: one log, one key at a time.

The database records the verifier key (origin, key ID, public key) of the key that signs the
log's checkpoints, in the ``ledger_state`` row every append locks. A key is created and recorded
only by an explicit step:

* :func:`init_log` (``carbonbridge migrate``, which ``carbonbridge serve`` runs at start, and
  ``carbonbridge ledger init``): on an empty log with nothing recorded, records the key file's
  key, creating the file if there is none; on a log whose checkpoints predate the record (a
  database migrated from before it), records the key file only if it verifies the first and the
  latest checkpoint; with a key recorded, succeeds if the file holds that key and refuses
  otherwise. It never replaces a recorded key.
* :func:`rotate_key` (``carbonbridge ledger rotate-key``): logs a ``ledger.key_rotation`` entry
  naming the old and the new verifier key, signs the checkpoint that includes it with both, and
  records the new key, in one transaction; witnesses and verifiers follow the rotation from the
  log itself (docs/ledger.md, "The log key").

Appends and the empty tree's checkpoint sign only with the recorded key
(:func:`carbonbridge.ledger.service.keys.checked_signer`); :func:`key_schedule` tells the audit which key
signed which checkpoints.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.clock import Clock, utc_now
from carbonbridge.kernel.errors import CarbonbridgeError, Conflict
from carbonbridge.ledger import store
from carbonbridge.ledger.checkpoint import open_checkpoint
from carbonbridge.ledger.errors import LogKeyMismatch, LogNotInitialised, MalformedNote
from carbonbridge.ledger.model import ROTATION_EVENT
from carbonbridge.ledger.note import Ed25519Signer, generate_signer, is_valid_key_name, parse_verifier_key
from carbonbridge.ledger.service import keys
from carbonbridge.ledger.service.appends import LogEvent, PendingEntry, append_locked
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.settings import Settings


@dataclass(frozen=True)
class LogKeyStatus:
    """What :func:`init_log` found or did: the log's verifier key, the absolute key file path,
    whether the file was created now and whether the database's record was written now."""

    verifier_key: str
    path: Path
    created: bool
    recorded: bool

    def summary(self) -> str:
        if self.created:
            done = "created and recorded"
        elif self.recorded:
            done = "recorded"
        else:
            done = "already recorded; the key file matches"
        return f"log key {done}: {self.verifier_key} (key file {self.path})"


@dataclass(frozen=True)
class KeyRotation:
    """A committed rotation: the old and new verifier keys, the rotation entry, the key files."""

    old_key: str
    new_key: str
    entry: PendingEntry
    path: Path
    retired: Path


def _vkey(signer: Ed25519Signer) -> str:
    return signer.verifier().verifier_key()


def _check_origin(origin: str | None, signer: Ed25519Signer, path: Path) -> None:
    if origin is not None and signer.name != origin:
        raise Conflict(f"the log key {path} is for origin {signer.name!r}, not {origin!r}; nothing changed")


def _finish_rotation(path: Path, expected: str) -> Ed25519Signer | None:
    """If a rotation committed but did not move its staged key into place, do it now."""
    staged = keys.staged_path(path)
    found = keys.read_key_file(staged) if staged.exists() else None
    if found is None or _vkey(found) != expected:
        return None
    current = keys.read_key_file(path)
    if current is not None:
        _retire(path, current)
    os.replace(staged, path)
    keys.forget(path)
    return found


def _retired_path(path: Path, signer: Ed25519Signer) -> Path:
    return path.with_name(f"{path.name}.retired-{signer.key_id:08x}")


def _retire(path: Path, signer: Ed25519Signer) -> Path:
    """Keep the old key beside the new one (``log.key.retired-<key ID>``, 0600) for the operator
    to back up or destroy; it signs nothing any more."""
    retired = _retired_path(path, signer)
    if not retired.exists():
        os.link(path, retired)
    return retired


def _verify_existing_checkpoints(session: Session, signer: Ed25519Signer, path: Path) -> None:
    """A log signed before its key was recorded: the first and latest checkpoints must verify
    with the key file's key, or it is not the log's key."""
    verifier = signer.verifier()
    for found in (store.checkpoint_note(session, first=True), store.checkpoint_note(session)):
        if found is None:
            continue
        size, note = found
        try:
            open_checkpoint(note, verifier)
        except CarbonbridgeError as exc:
            raise LogKeyMismatch(
                f"the log's checkpoint of tree size {size} is not signed by the key in {path} "
                f"({_vkey(signer)}): {exc}. Nothing was recorded. Point CARBONBRIDGE_DATA_DIR or "
                "CARBONBRIDGE_LOG_KEY_FILE at the key that signed the log, or restore it from backup; "
                "`carbonbridge ledger audit` names every checkpoint"
            ) from exc


def init_log(
    sessions: sessionmaker[Session], settings: Settings | None = None, *, origin: str | None = None
) -> LogKeyStatus:
    """Record the log's key in the database, creating the key file only for a new, empty log.

    Idempotent: with a key recorded, succeeds (changing nothing) if the key file holds that key
    and raises :class:`LogKeyMismatch` otherwise. With none recorded: an empty log (no entry, no
    checkpoint) records the key file's key, generating the file (origin ``origin`` or
    ``carbonbridge.local/<region>/log``) if there is none; a log with checkpoints records the key
    file's key only if it verifies its first and latest checkpoint, and never creates one. All in
    one transaction under the append lock, so concurrent initialisations agree on one key.
    """
    settings = settings or keys.process_settings()
    path = keys.key_path(settings)
    if origin is not None and not is_valid_key_name(origin):
        raise MalformedNote(f"origin {origin!r} is empty or has a space or '+'")
    with unit_of_work(sessions) as session:
        state = store.lock_log_state(session)
        found = keys.cached_signer(path, reread=True)
        if state.verifier_key is not None:
            if found is None or _vkey(found) != state.verifier_key:
                found = _finish_rotation(path, state.verifier_key) or found
            if found is None or _vkey(found) != state.verifier_key:
                raise LogKeyMismatch(keys.mismatch_detail(state.verifier_key, path, found, settings))
            _check_origin(origin, found, path)
            return LogKeyStatus(state.verifier_key, path, created=False, recorded=False)
        created = False
        if found is None:
            checkpoint = store.checkpoint_note(session)
            if state.tree_size > 0 or checkpoint is not None:
                size = checkpoint[0] if checkpoint is not None else state.tree_size
                raise LogKeyMismatch(
                    f"the log (tree size {size}) was signed before its key was recorded, and there is "
                    f"no key file at {path}: a new key would not verify it. Nothing was recorded. Point "
                    "CARBONBRIDGE_DATA_DIR or CARBONBRIDGE_LOG_KEY_FILE at the key that signed the log, "
                    "or restore it from backup"
                )
            found = keys.new_key_file(path, origin or keys.default_origin(settings))
            created = True
        else:
            _check_origin(origin, found, path)
            _verify_existing_checkpoints(session, found, path)
        store.set_verifier_key(session, _vkey(found))
        return LogKeyStatus(_vkey(found), path, created=created, recorded=True)


def rotate_key(
    sessions: sessionmaker[Session], settings: Settings | None = None, *, clock: Clock = utc_now
) -> KeyRotation:
    """Replace the log's key, as an entry of the log itself.

    In one transaction under the append lock: checks this process holds the recorded key,
    generates the new key (same origin) into ``<key file>.next``, appends a ``ledger.key_rotation``
    entry ``{"old_key", "new_key"}`` whose checkpoint is signed by BOTH keys (so a witness or
    verifier pinning the old key accepts it and learns the new one from a logged entry), and
    records the new key. After the commit the old file is kept as ``log.key.retired-<key ID>``
    and the new one moved into place. Other processes pick the new file up at their next append
    (they re-read the file when the recorded key changes).
    """
    settings = settings or keys.process_settings()
    path = keys.key_path(settings)
    staged = keys.staged_path(path)
    with unit_of_work(sessions) as session:
        state = store.lock_log_state(session)
        old = keys.checked_signer(state.verifier_key, None, settings)
        if not isinstance(old, Ed25519Signer):  # pragma: no cover - key files hold Ed25519 keys
            raise LogKeyMismatch(f"the log key {path} is not an Ed25519 key")
        # a staged key left by a rotation that did not commit was never recorded: replace it
        staged.unlink(missing_ok=True)
        new = keys.write_key_file(staged, generate_signer(old.name))
        event = {"old_key": _vkey(old), "new_key": _vkey(new)}
        logged = [LogEvent(ROTATION_EVENT, event)]
        (entry,) = append_locked(session, state.tree_size, logged, (old, new), clock)
        store.set_verifier_key(session, _vkey(new))
    retired = _retire(path, old)
    os.replace(staged, path)
    keys.forget(path)
    return KeyRotation(_vkey(old), _vkey(new), entry, path, retired)


@dataclass(frozen=True)
class KeySchedule:
    """Which key signed which checkpoints: ``keys[0]`` up to the first rotation, ``keys[j]``
    after rotation ``j`` (logged at entry ``rotations[j - 1]``), whose own checkpoint (tree size
    index + 1) both ``keys[j - 1]`` and ``keys[j]`` sign. ``problems`` lists rotation entries that
    do not chain (their old key is not the key before them) or a recorded key that is not the
    last one."""

    keys: tuple[str, ...]
    rotations: tuple[int, ...]
    problems: tuple[tuple[str, str], ...]

    def signers_of(self, size: int) -> tuple[str, ...]:
        """The verifier keys that must each verify the checkpoint of tree size ``size``."""
        j = sum(1 for index in self.rotations if index < size)
        if j and size == self.rotations[j - 1] + 1:
            return (self.keys[j - 1], self.keys[j])
        return (self.keys[j],) if self.keys else ()


def key_schedule(session: Session) -> KeySchedule:
    """The log's keys over time, from its ``ledger.key_rotation`` entries and the recorded key."""
    recorded = store.recorded_verifier_key(session)
    rotations: list[int] = []
    chain: list[str] = []
    problems: list[tuple[str, str]] = []
    for e in store.entries_of_kind(session, ROTATION_EVENT):
        try:
            event = json.loads(e.entry)["event"]
            old, new = str(event["old_key"]), str(event["new_key"])
            parse_verifier_key(old)
            parse_verifier_key(new)
        except (ValueError, KeyError, TypeError, CarbonbridgeError) as exc:
            problems.append((f"entry {e.index}", f"key rotation entry is malformed: {exc}"))
            continue
        if not chain:
            chain.append(old)
        elif chain[-1] != old:
            problems.append((f"entry {e.index}", f"rotates from {old}, but the log's key was {chain[-1]}"))
        rotations.append(e.index)
        chain.append(new)
    if recorded is not None:
        try:
            parse_verifier_key(recorded)
        except CarbonbridgeError as exc:
            problems.append(("log state", f"the recorded verifier key is malformed: {exc}"))
            recorded = None
    if not chain and recorded is not None:
        chain.append(recorded)
    if chain and recorded is not None and chain[-1] != recorded:
        problems.append(
            ("log state", f"records verifier key {recorded}, but the log's last key is {chain[-1]}")
        )
    return KeySchedule(tuple(chain), tuple(rotations), tuple(problems))


def log_keys(sessions: sessionmaker[Session]) -> tuple[str, ...]:
    """Every verifier key the log has been signed with, oldest first (the current one last)."""
    with unit_of_work(sessions) as session:
        schedule = key_schedule(session)
    if not schedule.keys:
        raise LogNotInitialised(
            "the log has no recorded verifier key yet: run `carbonbridge migrate` or `ledger init`"
        )
    return schedule.keys
