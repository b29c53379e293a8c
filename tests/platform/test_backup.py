"""``carbonbridge backup`` / ``restore`` (issue 9 §7): an online backup taken while the log keeps
growing restores into a fresh database whose log extends the checkpoint taken before the backup
and passes the audit, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, table
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.ledger import service as ledger
from carbonbridge.ledger.checkpoint import open_checkpoint
from carbonbridge.ledger.cli import register_context_auditors
from carbonbridge.ledger.rfc9162 import check_tree
from carbonbridge.ledger.service import keys
from carbonbridge.platform import backup as backups
from carbonbridge.platform.db import make_engine, session_factory, unit_of_work
from carbonbridge.platform.errors import BackupInvalid, RestoreTargetNotEmpty, RestoreUnverified
from carbonbridge.platform.settings import get_settings
from tests.conftest import PG_ADMIN_URL, _pg_url_for, init_log_key

pytestmark = pytest.mark.xdist_group("backup")


def _append(sessions: sessionmaker[Session], n: int, tag: str) -> None:
    with unit_of_work(sessions) as session:
        events = [ledger.LogEvent("test.backup", {"tag": tag, "n": i}) for i in range(n)]
        events.append(ledger.LogEvent("test.backup", {"tag": tag, "secret": "private"}, private=True))
        ledger.append_events(session, events)


class _Writer:
    """Appends to the log, one transaction after another, until stopped; counts its commits."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.commits = 0
        self.changed = threading.Condition()
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                _append(self.sessions, 2, f"live {self.commits}")
                with self.changed:
                    self.commits += 1
                    self.changed.notify_all()
        except BaseException as exc:  # reported by the test, never swallowed
            self.error = exc
            with self.changed:
                self.changed.notify_all()

    def wait_for(self, commits: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: self.commits >= commits or self.error, timeout=60)
        assert self.error is None, self.error


@pytest.fixture
def fresh_url(engine: Engine, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Make an empty database of the same backend as ``engine`` (dropped after the test)."""
    made: list[str] = []

    def make() -> str:
        if engine.dialect.name == "sqlite":
            return f"sqlite:///{tmp_path / f'restored-{len(made)}' / 'cb.db'}"
        import psycopg

        name = f"cbt_restore_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return _pg_url_for(name)

    yield make
    if made:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            for name in made:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _rows(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as connection:
        names = ["ledger_entries", "ledger_checkpoints", "ledger_commitments"]
        counts = {
            n: connection.execute(select(func.count()).select_from(table(n))).scalar_one() for n in names
        }
    engine.dispose()
    return counts


def test_a_backup_taken_during_writes_restores_a_log_consistent_with_an_earlier_checkpoint(
    engine: Engine, sessions: sessionmaker[Session], fresh_url: Callable[[], str], tmp_path: Path
) -> None:
    _append(sessions, 5, "before")
    before = open_checkpoint(ledger.latest_checkpoint(sessions), keys.log_signer().verifier())
    writer = _Writer(sessions)
    writer.thread.start()
    writer.wait_for(1)
    during: list[int] = []

    def progress(_step: str, _done: int, _total: int | None) -> None:
        # the first report comes from inside the backup's snapshot: let the writer commit twice
        # more before the backup goes on, so the log provably grew while it was taken
        if not during:
            during.append(writer.commits)
            writer.wait_for(writer.commits + 2)

    try:
        manifest = backups.backup(_url(engine), tmp_path / "bk", progress=progress)
    finally:
        writer.stop.set()
        writer.thread.join()
    assert writer.error is None
    with unit_of_work(sessions) as session:
        live_size = ledger.latest_checkpoint_in(session)[0]
    cp = manifest.checkpoint
    assert cp is not None
    assert before.tree_size < cp.tree_size < live_size  # a snapshot taken mid-stream, not the end
    assert cp.tree_size == manifest.rows["ledger_entries"]

    target = fresh_url()
    restored = backups.restore(tmp_path / "bk", target)

    assert restored.audited_entries == cp.tree_size
    target_engine = make_engine(target)
    target_sessions = session_factory(target_engine)
    try:
        now = open_checkpoint(ledger.latest_checkpoint(target_sessions), keys.log_signer().verifier())
        assert (now.tree_size, base64.b64encode(now.root_hash).decode()) == (cp.tree_size, cp.root_hash)
        proof = ledger.consistency_proof(target_sessions, before.tree_size, now.tree_size)
        check_tree(proof, now.tree_size, now.root_hash, before.tree_size, before.root_hash)
        register_context_auditors()
        report = ledger.audit(target_sessions)
        assert report.ok, report.findings[:3]
        assert report.entries == cp.tree_size
        with unit_of_work(target_sessions) as session:  # private payloads came along
            assert ledger.commitment_opening(session, cp.tree_size - 1) is not None
    finally:
        target_engine.dispose()


def test_restore_refuses_a_target_that_holds_rows_and_changes_nothing(
    engine: Engine, sessions: sessionmaker[Session], fresh_url: Callable[[], str], tmp_path: Path
) -> None:
    _append(sessions, 3, "first")
    backups.backup(_url(engine), tmp_path / "bk")
    target = fresh_url()
    backups.restore(tmp_path / "bk", target)
    target_engine = make_engine(target)
    _append(session_factory(target_engine), 4, "after the restore")
    target_engine.dispose()
    before = _rows(target)

    with pytest.raises(RestoreTargetNotEmpty, match="holds rows"):
        backups.restore(tmp_path / "bk", target)

    assert _rows(target) == before
    backups.restore(tmp_path / "bk", target, force=True)  # forced: the backup's content again
    assert _rows(target) == _rows(_url(engine))


def test_restore_refuses_an_altered_backup_file(
    engine: Engine, sessions: sessionmaker[Session], fresh_url: Callable[[], str], tmp_path: Path
) -> None:
    _append(sessions, 3, "x")
    manifest = backups.backup(_url(engine), tmp_path / "bk")
    with (tmp_path / "bk" / manifest.file).open("r+b") as f:
        f.seek(200)
        f.write(b"\x00altered\x00")
    target = fresh_url()
    with pytest.raises(BackupInvalid, match="SHA-256"):
        backups.restore(tmp_path / "bk", target)


def test_restore_verifies_the_log_against_the_manifest(
    engine: Engine, sessions: sessionmaker[Session], fresh_url: Callable[[], str], tmp_path: Path
) -> None:
    """A manifest whose checkpoint is not the database's (here: another root hash) fails the
    restore's verification, naming both."""
    _append(sessions, 3, "x")
    backups.backup(_url(engine), tmp_path / "bk")
    path = tmp_path / "bk" / backups.MANIFEST
    data = json.loads(path.read_text())
    data["checkpoint"]["root_hash"] = base64.b64encode(bytes(32)).decode()
    path.write_text(json.dumps(data))
    with pytest.raises(RestoreUnverified, match=r"the backup recorded .* root AAAA"):
        backups.restore(tmp_path / "bk", fresh_url())


def test_backup_files_are_private_and_a_used_directory_is_refused(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _append(sessions, 1, "x")
    previous = os.umask(0o022)
    try:
        manifest = backups.backup(_url(engine), tmp_path / "bk")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "bk").stat().st_mode) == 0o700
    for name in (manifest.file, backups.MANIFEST):
        assert stat.S_IMODE((tmp_path / "bk" / name).stat().st_mode) == 0o600
    with pytest.raises(BackupInvalid, match="not empty"):
        backups.backup(_url(engine), tmp_path / "bk")


def _cli(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CARBONBRIDGE_DATABASE_URL": url,
        "CARBONBRIDGE_DATA_DIR": str(get_settings().data_dir),
    }
    command = [sys.executable, "-m", "carbonbridge.platform.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.slow  # seven CLI processes, each importing the whole platform: ~15-50 s on 2 cores
def test_backup_and_restore_commands(tmp_path: Path) -> None:
    """Through the command line, on SQLite: backup, restore into an empty database, `ledger
    audit` and `ledger consistency` from a checkpoint saved before the backup pass there; a second
    restore is refused (exit 1) and an altered backup too (exit 2)."""
    source, target = f"sqlite:///{tmp_path / 'a' / 'cb.db'}", f"sqlite:///{tmp_path / 'b' / 'cb.db'}"
    source_engine = make_engine(source)
    from carbonbridge.platform.migrate import upgrade

    upgrade(source_engine)
    init_log_key(source_engine)  # as `carbonbridge migrate` does
    sessions = session_factory(source_engine)
    signer = keys.log_signer(get_settings())
    with unit_of_work(sessions) as session:
        ledger.append_events(
            session, [ledger.LogEvent("test.backup", {"n": i}) for i in range(4)], signer=signer
        )
    (tmp_path / "old.checkpoint").write_text(ledger.latest_checkpoint(sessions, signer=signer))
    with unit_of_work(sessions) as session:
        ledger.append_events(session, [ledger.LogEvent("test.backup", {"n": 9})], signer=signer)
    source_engine.dispose()

    made = _cli("backup", str(tmp_path / "bk"), url=source)
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["checkpoint"]["tree_size"] == 5
    restored = _cli("restore", str(tmp_path / "bk"), url=target)
    assert restored.returncode == 0, restored.stderr
    assert "audit passed (5 entries" in " ".join(restored.stderr.split())
    audit = _cli("ledger", "audit", url=target)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    consistency = _cli("ledger", "consistency", str(tmp_path / "old.checkpoint"), url=target)
    assert consistency.returncode == 0, consistency.stdout + consistency.stderr
    assert "tree size 4 is a prefix of tree size 5" in consistency.stdout

    again = _cli("restore", str(tmp_path / "bk"), url=target)
    assert again.returncode == 1
    assert "error[restore-target-not-empty]" in again.stderr
    (tmp_path / "bk" / "database.sqlite").write_bytes(b"not a database")
    altered = _cli("restore", "--force", str(tmp_path / "bk"), url=target)
    assert altered.returncode == 2
    assert "error[backup-invalid]" in altered.stderr
