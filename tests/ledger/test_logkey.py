"""One log, one key (issue 9 §2), on both backends: the database records the log's verifier key;
an append or a signature with any other key (a missing or different key file, another signer) is
refused with a typed error naming the expected key and the absolute path looked at, and the
caller's whole transaction rolls back; keys are created only by :func:`service.init_log`
(idempotent, never for a log that already has checkpoints) and replaced only by a logged, dual-signed
rotation the audit follows."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.errors import Conflict, InvalidInput
from carbonbridge.ledger import service, store
from carbonbridge.ledger.checkpoint import open_checkpoint, parse_checkpoint, sign_checkpoint
from carbonbridge.ledger.errors import LogKeyMismatch, LogKeyUnavailable, LogNotInitialised, UnknownSigner
from carbonbridge.ledger.note import Ed25519Signer, generate_signer
from carbonbridge.ledger.proof import parse_receipt, verify_receipt
from carbonbridge.ledger.service import appends, keys
from carbonbridge.platform.db import Base, unit_of_work
from carbonbridge.platform.identity import Role, create_user
from carbonbridge.platform.settings import Settings, get_settings
from tests.conftest import record_log_key

ORIGIN = "carbonbridge.local/CN-HI/log"


@pytest.fixture(autouse=True)
def _process_key() -> Iterator[None]:
    """Tests here point the process at other key files; later tests get the session's back."""
    yield
    keys.use_settings(get_settings())


def _installation(tmp_path: Path, name: str) -> Settings:
    """Settings of an installation whose data directory is ``tmp_path/name`` (key file inside it,
    not the test session's ``CARBONBRIDGE_LOG_KEY_FILE``)."""
    return Settings(data_dir=tmp_path / name, log_key_file=None)


def _with_key(tmp_path: Path, name: str) -> tuple[Settings, Ed25519Signer]:
    settings = _installation(tmp_path, name)
    return settings, keys.new_key_file(keys.key_path(settings), ORIGIN)


def _vkey(signer: Ed25519Signer) -> str:
    return signer.verifier().verifier_key()


def _append(sessions: sessionmaker[Session], n: int, kind: str = "test.key") -> list[service.PendingEntry]:
    out = []
    for i in range(n):
        with unit_of_work(sessions) as session:
            out.append(service.append_event(session, kind, {"n": i}))
    return out


def _snapshot(sessions: sessionmaker[Session]) -> tuple[object, ...]:
    """Row counts of every table, the tree size, the latest checkpoint and the recorded key."""
    with unit_of_work(sessions) as session:
        counts = {
            t.name: session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }
        return (
            counts,
            store.tree_size(session),
            store.checkpoint_note(session),
            store.recorded_verifier_key(session),
        )


def _write_then_append(sessions: sessionmaker[Session]) -> None:
    """A use case: its own write, then its log entry, in one transaction."""
    with unit_of_work(sessions) as session:
        create_user(session, username="written-before-the-append", role=Role.REGULATOR)
        service.append_event(session, "test.key", {"n": 99})


def _forget_recorded_key(sessions: sessionmaker[Session]) -> None:
    """As a database migrated from before the record (0011) looks: no verifier key recorded."""
    with unit_of_work(sessions) as session:
        session.execute(update(store.LogStateRow).values(verifier_key=None))


# --- refusals -----------------------------------------------------------------------------------


def test_append_with_another_key_file_is_refused_and_rolls_back_the_callers_write(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _append(sessions, 2)
    recorded = service.verifier_key(sessions)
    other, other_key = _with_key(tmp_path, "elsewhere")
    keys.use_settings(other)
    before = _snapshot(sessions)

    with pytest.raises(LogKeyMismatch) as refused:
        _write_then_append(sessions)

    detail = refused.value.detail
    assert recorded in detail
    assert f"{tmp_path / 'elsewhere' / 'ledger' / 'log.key'} holds another key, {_vkey(other_key)}" in detail
    assert "Nothing was written" in detail
    assert refused.value.status == 503
    assert _snapshot(sessions) == before  # the user row went with the refused append


def test_append_without_a_key_file_is_refused_and_creates_no_key(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _append(sessions, 1)
    keys.use_settings(_installation(tmp_path, "fresh-folder"))
    before = _snapshot(sessions)

    with pytest.raises(LogKeyMismatch) as refused, unit_of_work(sessions) as session:
        service.append_event(session, "test.key", {"n": 1})

    path = tmp_path / "fresh-folder" / "ledger" / "log.key"
    assert f"the key file {path} is missing" in refused.value.detail
    assert service.verifier_key(sessions) in refused.value.detail
    assert not path.exists()
    assert not path.parent.exists()
    assert _snapshot(sessions) == before


def test_a_given_signer_that_is_not_the_recorded_key_is_refused(sessions: sessionmaker[Session]) -> None:
    before = _snapshot(sessions)

    with pytest.raises(LogKeyMismatch) as refused, unit_of_work(sessions) as session:
        service.append_event(session, "test.key", {"n": 1}, signer=generate_signer(ORIGIN))

    assert service.verifier_key(sessions) in refused.value.detail
    assert _snapshot(sessions) == before


def test_append_on_a_log_with_no_recorded_key_is_refused(sessions: sessionmaker[Session]) -> None:
    _forget_recorded_key(sessions)
    before = _snapshot(sessions)

    with pytest.raises(LogNotInitialised) as refused, unit_of_work(sessions) as session:
        service.append_event(session, "test.key", {"n": 1})

    assert "carbonbridge migrate" in refused.value.detail
    assert _snapshot(sessions) == before


def test_the_empty_tree_is_signed_only_with_the_recorded_key(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    keys.use_settings(_with_key(tmp_path, "elsewhere")[0])

    with pytest.raises(LogKeyMismatch):
        service.latest_checkpoint(sessions)

    with unit_of_work(sessions) as session:
        assert store.checkpoint_note(session) is None


def test_a_key_file_others_can_read_is_refused(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    settings, signer = _with_key(tmp_path, "loose")
    record_log_key(sessions, signer)
    keys.key_path(settings).chmod(0o644)
    keys.forget(keys.key_path(settings))
    keys.use_settings(settings)

    with pytest.raises(LogKeyUnavailable) as refused, unit_of_work(sessions) as session:
        service.append_event(session, "test.key", {"n": 1})

    assert "mode 644" in refused.value.detail


def test_the_key_file_is_read_once_per_process_and_again_after_a_mismatch(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """The hot path does not read the file per append (a server keeps signing if the file is
    moved away, as a TLS server keeps its key); when the recorded key changes (a rotation by
    another process) it reads the file again and follows it."""
    settings, first = _with_key(tmp_path, "served")
    path = keys.key_path(settings)
    record_log_key(sessions, first)
    keys.use_settings(settings)
    _append(sessions, 1)
    path.rename(path.with_name("moved-away"))

    (second_entry,) = _append(sessions, 1)  # from the process's copy of the key

    assert second_entry.index == 1
    rotated = generate_signer(ORIGIN)
    keys.write_key_file(path, rotated)
    record_log_key(sessions, rotated)
    (third_entry,) = _append(sessions, 1)  # the file is read again and the new key followed
    assert open_checkpoint(parse_receipt(third_entry.receipt()).checkpoint_note, rotated.verifier())


# --- init ---------------------------------------------------------------------------------------


def test_init_on_an_empty_log_creates_records_and_then_is_idempotent(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _forget_recorded_key(sessions)
    settings = _installation(tmp_path, "new")
    path = tmp_path / "new" / "ledger" / "log.key"

    created = service.init_log(sessions, settings)
    again = service.init_log(sessions, settings)

    assert (created.created, created.recorded, created.path) == (True, True, path)
    assert created.verifier_key == _vkey(keys.read_key_file(path))  # type: ignore[arg-type]
    assert created.verifier_key.startswith(ORIGIN + "+")
    assert (path.stat().st_mode & 0o777, path.parent.stat().st_mode & 0o777) == (0o600, 0o700)
    assert (again.created, again.recorded, again.verifier_key) == (False, False, created.verifier_key)
    assert service.verifier_key(sessions) == created.verifier_key


def test_init_records_an_existing_key_file_on_an_empty_log(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _forget_recorded_key(sessions)
    settings, signer = _with_key(tmp_path, "prepared")

    status = service.init_log(sessions, settings)

    assert (status.created, status.recorded, status.verifier_key) == (False, True, _vkey(signer))


def test_init_with_another_key_file_is_refused_and_changes_nothing(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _append(sessions, 1)
    before = _snapshot(sessions)

    with pytest.raises(LogKeyMismatch):
        service.init_log(sessions, _with_key(tmp_path, "other")[0])
    with pytest.raises(LogKeyMismatch) as missing:
        service.init_log(sessions, _installation(tmp_path, "empty"))

    assert "is missing" in missing.value.detail
    assert not (tmp_path / "empty").exists()
    assert _snapshot(sessions) == before


def test_init_of_a_log_signed_before_the_record_adopts_only_the_key_that_signed_it(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings, signer = _with_key(tmp_path, "upgraded")
    record_log_key(sessions, signer)
    keys.use_settings(settings)
    _append(sessions, 3)
    _forget_recorded_key(sessions)

    with pytest.raises(LogKeyMismatch) as wrong:
        service.init_log(sessions, _with_key(tmp_path, "stranger")[0])
    with pytest.raises(LogKeyMismatch) as none:
        service.init_log(sessions, _installation(tmp_path, "nothing"))
    with unit_of_work(sessions) as session:
        assert store.recorded_verifier_key(session) is None
    status = service.init_log(sessions, settings)

    assert "checkpoint of tree size 1 is not signed by the key" in wrong.value.detail
    assert "no key file at" in none.value.detail
    assert not (tmp_path / "nothing").exists()
    assert (status.created, status.recorded, status.verifier_key) == (False, True, _vkey(signer))
    assert len(_append(sessions, 1)) == 1


def test_init_names_the_origin_of_a_new_log_and_refuses_another_for_an_existing_one(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _forget_recorded_key(sessions)
    settings = _installation(tmp_path, "named")

    status = service.init_log(sessions, settings, origin="carbonbridge.local/CN-HI/log2")

    assert status.verifier_key.startswith("carbonbridge.local/CN-HI/log2+")
    with pytest.raises(Conflict):
        service.init_log(sessions, settings, origin="carbonbridge.local/CN-HI/log3")


def test_concurrent_inits_with_different_key_files_agree_on_one_key(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _forget_recorded_key(sessions)
    outcomes: dict[str, object] = {}

    def init(name: str) -> None:
        try:
            outcomes[name] = service.init_log(sessions, _installation(tmp_path, name)).verifier_key
        except LogKeyMismatch as exc:
            outcomes[name] = exc

    threads = [threading.Thread(target=init, args=(name,)) for name in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    won = [v for v in outcomes.values() if isinstance(v, str)]
    assert len(won) == 1
    assert sum(isinstance(v, LogKeyMismatch) for v in outcomes.values()) == 1
    assert service.verifier_key(sessions) == won[0]


# --- reading and auditing need no key file ------------------------------------------------------


def test_key_audit_and_receipts_need_no_key_file(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    entries = _append(sessions, 3)
    published = service.verifier_key(sessions)
    keys.use_settings(_installation(tmp_path, "reader"))

    report = service.audit(sessions)
    receipt = service.receipt(sessions, 1)

    assert report.ok, report.findings
    assert service.verifier_key(sessions) == published
    assert verify_receipt(receipt, published, entry=entries[1].entry).index == 1
    assert verify_receipt(entries[0].receipt(), published, entry=entries[0].entry).index == 0


# --- rotation -----------------------------------------------------------------------------------


@pytest.fixture
def own_key(sessions: sessionmaker[Session], tmp_path: Path) -> tuple[Settings, Ed25519Signer]:
    """A log signed by a key file of this test's own (a rotation replaces it)."""
    settings, signer = _with_key(tmp_path, "rotating")
    record_log_key(sessions, signer)
    keys.use_settings(settings)
    return settings, signer


def test_no_context_can_log_a_key_rotation(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(InvalidInput), unit_of_work(sessions) as session:
        service.append_event(session, service.ROTATION_EVENT, {"old_key": "a", "new_key": "b"})


def test_rotation_is_a_logged_entry_signed_by_both_keys(
    sessions: sessionmaker[Session], own_key: tuple[Settings, Ed25519Signer]
) -> None:
    settings, old = own_key
    before = _append(sessions, 3)

    rotation = service.rotate_key(sessions, settings)
    after = _append(sessions, 2)

    new = keys.read_key_file(keys.key_path(settings))
    assert new is not None
    assert _vkey(new) == rotation.new_key != _vkey(old)
    assert (rotation.old_key, rotation.entry.index) == (_vkey(old), 3)
    assert service.verifier_key(sessions) == rotation.new_key
    assert keys.read_key_file(rotation.retired) == old
    logged = parse_receipt(rotation.entry.receipt())
    assert logged.extra is not None
    assert rotation.new_key.encode() in logged.extra
    for key in (rotation.old_key, rotation.new_key):  # a verifier pinning either key follows it
        assert verify_receipt(rotation.entry.receipt(), key, entry=rotation.entry.entry).index == 3
    assert verify_receipt(before[0].receipt(), rotation.old_key, entry=before[0].entry).index == 0
    assert verify_receipt(after[1].receipt(), rotation.new_key, entry=after[1].entry).index == 5
    with pytest.raises(UnknownSigner):
        verify_receipt(after[1].receipt(), rotation.old_key, entry=after[1].entry)
    report = service.audit(sessions)
    assert report.ok, report.findings
    assert service.log_keys(sessions) == (rotation.old_key, rotation.new_key)


def test_after_a_rotation_a_process_holding_the_old_key_is_refused(
    sessions: sessionmaker[Session], own_key: tuple[Settings, Ed25519Signer], tmp_path: Path
) -> None:
    settings, old = own_key
    stale = _installation(tmp_path, "stale-copy")
    keys.write_key_file(keys.key_path(stale), old)
    rotation = service.rotate_key(sessions, settings)
    keys.use_settings(stale)
    before = _snapshot(sessions)

    with pytest.raises(LogKeyMismatch) as refused, unit_of_work(sessions) as session:
        service.append_event(session, "test.key", {"n": 1})

    assert rotation.new_key in refused.value.detail
    assert _snapshot(sessions) == before


def test_audit_names_a_checkpoint_signed_by_the_old_key_after_the_rotation(
    sessions: sessionmaker[Session], own_key: tuple[Settings, Ed25519Signer]
) -> None:
    settings, old = own_key
    _append(sessions, 2)
    service.rotate_key(sessions, settings)
    _append(sessions, 2)
    with unit_of_work(sessions) as session:
        found = store.checkpoint_note(session, 4)
        assert found is not None
        forged = sign_checkpoint(parse_checkpoint(found[1].split("\n\n")[0] + "\n"), old)
        session.execute(
            update(store.CheckpointRow).where(store.CheckpointRow.tree_size == 4).values(note=forged)
        )

    report = service.audit(sessions)

    assert not report.ok
    assert report.findings[0].record == "checkpoint 4"
    assert "no signature by a known key" in report.findings[0].reason


def test_audit_names_a_rotation_entry_that_does_not_follow_the_log_key(
    sessions: sessionmaker[Session], own_key: tuple[Settings, Ed25519Signer]
) -> None:
    stranger = _vkey(generate_signer(ORIGIN))
    with unit_of_work(sessions) as session:  # as a tampered database would hold it
        event = service.LogEvent(service.ROTATION_EVENT, {"old_key": stranger, "new_key": stranger})
        appends.append_locked(session, store.lock_log_state(session).tree_size, [event], [own_key[1]])

    report = service.audit(sessions)

    assert not report.ok
    assert (
        "log state",
        f"records verifier key {_vkey(own_key[1])}, but the log's last key is {stranger}",
    ) in [(f.record, f.reason) for f in report.findings]


def test_init_finishes_a_rotation_that_committed_before_its_key_file_was_moved(
    sessions: sessionmaker[Session], own_key: tuple[Settings, Ed25519Signer]
) -> None:
    settings, old = own_key
    path = keys.key_path(settings)
    new = keys.write_key_file(keys.staged_path(path), generate_signer(ORIGIN))
    record_log_key(sessions, new)  # as a rotation that crashed right after its commit leaves it

    with pytest.raises(LogKeyMismatch) as refused, unit_of_work(sessions) as session:
        service.append_event(session, "test.key", {"n": 1})
    status = service.init_log(sessions, settings)

    assert (
        f"run `carbonbridge ledger init` to move {keys.staged_path(path)} to {path}" in refused.value.detail
    )
    assert (status.created, status.recorded, status.verifier_key) == (False, False, _vkey(new))
    assert keys.read_key_file(path) == new
    assert keys.read_key_file(path.with_name(f"log.key.retired-{old.key_id:08x}")) == old
    assert not keys.staged_path(path).exists()
    assert len(_append(sessions, 1)) == 1
