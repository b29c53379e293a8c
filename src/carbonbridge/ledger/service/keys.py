"""The log's Ed25519 signing key file (c2sp.org/signed-note key, Go ``sumdb/note`` signer-key text).

The key lives at ``<data_dir>/ledger/log.key`` (or ``CARBONBRIDGE_LOG_KEY_FILE``; directory 0700,
file 0600) in the form ``PRIVATE+KEY+<origin>+<key ID>+<base64(0x01 || seed)>``. The key name is
the log's origin (c2sp.org/tlog-checkpoint: the key name SHOULD equal the origin line).

This module only reads and writes the file; it never creates a key on its own. A key is created
by an explicit step (``carbonbridge migrate`` on an empty log, ``carbonbridge ledger init``,
``carbonbridge ledger rotate-key``: :mod:`~carbonbridge.ledger.service.logkey`), which also records its
verifier key in the database; every signature is checked against that record first. The private
key is never logged or returned by any function outside this module; only verifier-key text
leaves it. Operating it: docs/ledger.md, "The log key".
"""

from __future__ import annotations

import contextlib
import os
import threading
from functools import lru_cache
from pathlib import Path

from carbonbridge.ledger.errors import LogKeyMismatch, LogKeyUnavailable, LogNotInitialised, MalformedNote
from carbonbridge.ledger.note import (
    Ed25519Signer,
    NoteSigner,
    generate_signer,
    parse_signer_key,
    parse_verifier_key,
)
from carbonbridge.platform.settings import Settings, get_settings

KEY_FILE = Path("ledger") / "log.key"
#: where ``ledger rotate-key`` stages the new key until the rotation has committed
STAGED_SUFFIX = ".next"

_lock = threading.Lock()
_cache: dict[Path, Ed25519Signer] = {}
_process_settings: list[Settings] = []


def default_origin(settings: Settings) -> str:
    """``carbonbridge.local/<region>/log``: the origin line of a new log."""
    return f"carbonbridge.local/{settings.region}/log"


def key_path(settings: Settings | None = None) -> Path:
    """The absolute path of the log key file: ``log_key_file``, else ``<data_dir>/ledger/log.key``
    (both made absolute when the settings load)."""
    settings = settings or process_settings()
    return settings.log_key_file or settings.data_dir / KEY_FILE


def read_key_file(path: Path) -> Ed25519Signer | None:
    """The signer in the key file at ``path``, or ``None`` if there is no file there. Refuses a
    file others can read, or one that is not a signer key (:class:`LogKeyUnavailable`)."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LogKeyUnavailable(f"log key {path} cannot be read: {exc.strerror}") from exc
    if mode & 0o077:
        raise LogKeyUnavailable(
            f"log key {path} has mode {mode:o}; it must be readable by its owner only (chmod 600 {path})"
        )
    try:
        return parse_signer_key(path.read_text().strip())
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, MalformedNote) as exc:
        raise LogKeyUnavailable(f"log key {path} cannot be used: {exc}") from exc


def write_key_file(path: Path, signer: Ed25519Signer) -> Ed25519Signer:
    """Write ``signer`` to ``path`` atomically (a private temporary file hard-linked into place,
    which fails if the file exists) and return the key the file holds afterwards: ``signer``, or
    the key another process wrote there first."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(signer.signer_key() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process won: its key is in the file
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    written = read_key_file(path)
    if written is None:  # pragma: no cover - removed between the link and the read
        raise LogKeyUnavailable(f"log key {path} vanished while it was being created")
    forget(path)
    return written


def new_key_file(path: Path, origin: str) -> Ed25519Signer:
    """Generate a key named ``origin`` into ``path`` (see :func:`write_key_file`)."""
    return write_key_file(path, generate_signer(origin))


def forget(path: Path) -> None:
    """Drop the process's cached key of ``path`` (after the file was replaced)."""
    with _lock:
        _cache.pop(path, None)


def cached_signer(path: Path, *, reread: bool = False) -> Ed25519Signer | None:
    """The key in ``path``, read once per process (again if ``reread``); ``None`` if absent."""
    with _lock:
        signer = None if reread else _cache.get(path)
        if signer is None:
            signer = read_key_file(path)
            if signer is None:
                _cache.pop(path, None)
            else:
                _cache[path] = signer
    return signer


def use_settings(settings: Settings) -> None:
    """Make ``settings`` the process's default for :func:`log_signer` (called by the app factory,
    so that events appended by any service are signed with the key of the app's settings)."""
    with _lock:
        _process_settings[:] = [settings]


def process_settings() -> Settings:
    """The settings :func:`use_settings` set, else the environment's."""
    return _process_settings[0] if _process_settings else get_settings()


def log_signer(settings: Settings | None = None) -> Ed25519Signer:
    """This process's log key, from its key file (cached per process). Never creates one: raises
    :class:`LogKeyUnavailable` when there is no file. Whether it is the log's key is decided
    against the database's record (:func:`carbonbridge.ledger.service.logkey.checked_signer`)."""
    path = key_path(settings)
    signer = cached_signer(path)
    if signer is None:
        raise LogKeyUnavailable(
            f"no log key at {path}; run `carbonbridge migrate` (new log) or `carbonbridge ledger init`, "
            "or point CARBONBRIDGE_DATA_DIR / CARBONBRIDGE_LOG_KEY_FILE at the log's key"
        )
    return signer


def verifier_key(settings: Settings | None = None) -> str:
    """The verifier key text (``<origin>+<key ID>+<base64>``) of this process's key file."""
    return _ed25519_verifier_key(log_signer(settings))


@lru_cache(maxsize=64)
def _ed25519_verifier_key(signer: Ed25519Signer) -> str:
    return signer.verifier().verifier_key()


def signer_verifier_key(signer: NoteSigner) -> str | None:
    """The verifier key of ``signer`` (cached: deriving a public key costs more than an append's
    comparison should), or ``None`` for a signer that does not expose its public key."""
    if isinstance(signer, Ed25519Signer):
        return _ed25519_verifier_key(signer)
    return None


def staged_path(path: Path) -> Path:
    """Where a key rotation stages the new key next to ``path`` (:data:`STAGED_SUFFIX`)."""
    return path.with_name(path.name + STAGED_SUFFIX)


def _matches(signer: NoteSigner, expected: str) -> bool:
    vkey = signer_verifier_key(signer)
    if vkey is not None:
        return vkey == expected
    try:  # a signer without a public key: its name and key ID (a hash of both) must match
        wanted = parse_verifier_key(expected)
    except MalformedNote:
        return False
    return (signer.name, signer.key_id) == (wanted.name, wanted.key_id)


def checked_signer(
    expected: str | None, signer: NoteSigner | None = None, settings: Settings | None = None
) -> NoteSigner:
    """The signer to sign the log's next checkpoint with, given the verifier key the database
    records (``expected``): ``signer`` if given and it is that key, else this process's key file
    if it holds that key. Raises :class:`LogNotInitialised` when nothing is recorded and
    :class:`LogKeyMismatch` (naming the expected key, the absolute path looked at and what to
    do) when the file is missing or holds another key; the caller's transaction then rolls back.

    Cheap on the hot path: the recorded key comes with the state row the append locks anyway,
    the file is read once per process (again only after a mismatch, in case it was restored or
    rotated since), and the comparison is one string comparison."""
    settings = settings or process_settings()
    path = key_path(settings)
    if expected is None:
        raise LogNotInitialised(
            "the log has no recorded verifier key, so nothing can be signed: run `carbonbridge migrate` "
            f"(a new, empty log: creates {path} if absent and records it) or `carbonbridge ledger init`; "
            "nothing was written"
        )
    if signer is not None:
        if _matches(signer, expected):
            return signer
        given = signer_verifier_key(signer) or signer.name
        raise LogKeyMismatch(
            f"the log's recorded verifier key is {expected}, not {given} (the signer given); "
            "nothing was written"
        )
    found = cached_signer(path)
    if found is None or not _matches(found, expected):
        found = cached_signer(path, reread=True)
    if found is not None and _matches(found, expected):
        return found
    raise LogKeyMismatch(mismatch_detail(expected, path, found, settings))


def mismatch_detail(expected: str, path: Path, found: NoteSigner | None, settings: Settings) -> str:
    """Why this process may not sign, and what to do (the detail of :class:`LogKeyMismatch`)."""
    held = "is missing" if found is None else f"holds another key, {signer_verifier_key(found)}"
    staged = read_key_file(staged_path(path)) if staged_path(path).exists() else None
    if staged is not None and _matches(staged, expected):
        todo = (
            f"a key rotation committed but did not put the new key in place: run `carbonbridge ledger init` "
            f"to move {staged_path(path)} to {path}"
        )
    else:
        todo = (
            f"point CARBONBRIDGE_DATA_DIR (now {settings.data_dir}) or CARBONBRIDGE_LOG_KEY_FILE at the "
            "log's key file, or restore it from backup; never create a new key for an existing log "
            '(docs/ledger.md, "The log key")'
        )
    return (
        f"this process cannot sign for the log: the database records verifier key {expected}, "
        f"but the key file {path} {held}. Nothing was written. To fix: {todo}"
    )
