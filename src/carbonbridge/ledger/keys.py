"""The log's Ed25519 signing key (c2sp.org/signed-note key, Go ``sumdb/note`` signer-key text).

Generated at first start at ``<data_dir>/ledger/log.key`` (directory 0700, file 0600) in the form
``PRIVATE+KEY+<origin>+<key ID>+<base64(0x01 || seed)>``. The key name is the log's origin
(c2sp.org/tlog-checkpoint: the key name SHOULD equal the origin line), derived from the region on
first start and fixed thereafter by the key file. The private key is never logged or returned by
any function outside this module; only :func:`verifier_key` text leaves it. Rotation:
docs/ledger.md, "Operating the log".
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

from carbonbridge.kernel.errors import Conflict
from carbonbridge.ledger.errors import MalformedNote
from carbonbridge.ledger.note import Ed25519Signer, generate_signer, is_valid_key_name, parse_signer_key
from carbonbridge.platform.settings import Settings, get_settings

KEY_FILE = Path("ledger") / "log.key"

_lock = threading.Lock()
_cache: dict[Path, Ed25519Signer] = {}


def default_origin(settings: Settings) -> str:
    """``carbonbridge.local/<region>/log``: the origin line of a new log."""
    return f"carbonbridge.local/{settings.region}/log"


def key_path(settings: Settings) -> Path:
    return settings.data_dir / KEY_FILE


def _write_new_key(path: Path, origin: str) -> None:
    """Create the key file atomically: write a private temporary file, then hard-link it into
    place, which fails if another process created the key first."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    signer = generate_signer(origin)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(signer.signer_key() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        # If another process won the race, its key is the log's key.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def create_key(settings: Settings, origin: str) -> str:
    """Create the log key with origin ``origin`` (e.g. a rotated log's ``.../log2``); refuses
    to replace an existing key. Returns the new verifier key."""
    path = key_path(settings)
    if path.exists():
        raise Conflict(f"{path} exists; move the old key away first (docs/ledger.md, key rotation)")
    if not is_valid_key_name(origin):
        raise MalformedNote(f"origin {origin!r} is empty or has a space or '+'")
    _write_new_key(path, origin)
    with _lock:
        _cache.pop(path.resolve(), None)
    return verifier_key(settings)


def load_signer(path: Path) -> Ed25519Signer:
    """Read a signer key file; refuse one that other users can read."""
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise MalformedNote(f"log key {path} has mode {mode:o}; it must be readable by its owner only")
    return parse_signer_key(path.read_text().strip())


_process_settings: list[Settings] = []


def use_settings(settings: Settings) -> None:
    """Make ``settings`` the process's default for :func:`log_signer` (called by the app factory,
    so that events appended by any service are signed with the key the API publishes)."""
    with _lock:
        _process_settings[:] = [settings]


def log_signer(settings: Settings | None = None) -> Ed25519Signer:
    """The log's signer, created on first use (the process caches it)."""
    settings = settings or (_process_settings[0] if _process_settings else get_settings())
    path = key_path(settings).resolve()
    with _lock:
        signer = _cache.get(path)
        if signer is None:
            if not path.exists():
                _write_new_key(path, default_origin(settings))
            signer = load_signer(path)
            _cache[path] = signer
    return signer


def verifier_key(settings: Settings | None = None) -> str:
    """The log's public verifier key text (``<origin>+<key ID>+<base64>``)."""
    return log_signer(settings).verifier().verifier_key()
