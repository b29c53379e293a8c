"""Real commits on a fresh database per backend: concurrent appenders (threads, and separate
processes) get one total order with no gap and no duplicate, and every receipt verifies; a
process killed with SIGKILL mid-burst leaves a log whose every acknowledged receipt verifies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.ledger import service
from carbonbridge.ledger.proof import verify_receipt
from carbonbridge.ledger.service import keys
from carbonbridge.platform.db import make_engine, session_factory, unit_of_work
from carbonbridge.platform.migrate import upgrade
from carbonbridge.platform.settings import Settings
from tests.conftest import _pg_admin, _pg_url_for, init_log_key

SRC = str(Path(__file__).resolve().parents[2] / "src")

#: appends batches of 1-3 events forever (or COUNT events), printing each index after commit
APPENDER = """
import sys
from carbonbridge.ledger import service
from carbonbridge.platform.db import make_engine, session_factory, unit_of_work
url, worker, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
sessions = session_factory(make_engine(url))
n = 0
while count < 0 or n < count:
    size = 1 + n % 3 if count < 0 else 1
    batch = [service.LogEvent("test.burst", {"worker": worker, "n": n + k}) for k in range(size)]
    with unit_of_work(sessions) as session:
        pending = service.append_events(session, batch)
    for p in pending:
        print(p.index, flush=True)
    n += size
"""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, migrated database used by this test alone."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'log.db'}"
        engine = make_engine(url)
        upgrade(engine)
        init_log_key(engine)
        engine.dispose()
        yield url
        return
    admin, reason = _pg_admin()
    if admin is None:
        pytest.skip(reason)
    name = f"cbl_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[attr-defined]
    url = _pg_url_for(name)
    engine = make_engine(url)
    upgrade(engine)
    init_log_key(engine)
    engine.dispose()
    try:
        yield url
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[attr-defined]
        admin.close()  # type: ignore[attr-defined]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """The appenders' data directory; their log key is the session's (``CARBONBRIDGE_LOG_KEY_FILE``),
    recorded in the database before any appender starts."""
    return tmp_path / "data"


def _env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": SRC, "CARBONBRIDGE_DATA_DIR": str(data_dir)}


def _check_log(sessions: sessionmaker[Session], data_dir: Path, acknowledged: list[int]) -> None:
    signer = keys.log_signer(Settings(data_dir=data_dir))
    report = service.audit(sessions, verifier=signer.verifier())
    assert report.ok, report.findings[:3]
    assert len(acknowledged) == len(set(acknowledged))
    assert set(acknowledged) <= set(range(report.tree_size))
    for index in acknowledged:
        text = service.receipt(sessions, index)
        verified = verify_receipt(text, signer.verifier().verifier_key(), _entry(text))
        assert verified.index == index


def _entry(receipt_text: str) -> bytes:
    from carbonbridge.ledger.proof import parse_receipt

    extra = parse_receipt(receipt_text).extra
    assert extra is not None
    return extra


def test_threads_appending_concurrently_get_one_total_order(fresh_url: str, tmp_path: Path) -> None:
    signer = keys.log_signer(Settings(data_dir=tmp_path / "data"))
    engine = make_engine(fresh_url)
    sessions = session_factory(engine)
    indexes: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def appender(worker: int) -> None:
        try:
            for n in range(15):
                with unit_of_work(sessions) as session:
                    # a use case reads its own state before it appends (SQLite must not deadlock)
                    session.execute(text("SELECT count(*) FROM ledger_entries"))
                    pending = service.append_event(
                        session, "test.thread", {"w": worker, "n": n}, signer=signer
                    )
                with lock:
                    indexes.append(pending.index)
        except BaseException as exc:  # reported to the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=appender, args=(w,)) for w in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors
    assert sorted(indexes) == list(range(45))
    _check_log(sessions, tmp_path / "data", indexes)
    engine.dispose()


def test_processes_appending_concurrently_get_one_total_order(fresh_url: str, data_dir: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", APPENDER, fresh_url, str(w), "20"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(data_dir),
            text=True,
        )
        for w in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]

    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outputs]
    indexes = [int(line) for out, _ in outputs for line in out.split()]
    assert sorted(indexes) == list(range(40))
    engine = make_engine(fresh_url)
    _check_log(session_factory(engine), data_dir, indexes)
    engine.dispose()


def test_sigkill_during_a_burst_loses_no_acknowledged_entry(tmp_path: Path, data_dir: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    engine = make_engine(url)
    upgrade(engine)
    init_log_key(engine)
    proc = subprocess.Popen(
        [sys.executable, "-c", APPENDER, url, "crash", "-1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(data_dir),
        text=True,
    )
    acknowledged: list[int] = []
    assert proc.stdout is not None
    while len(acknowledged) < 150:
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else "appender exited"
        acknowledged.append(int(line))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    acknowledged += [int(line) for line in proc.stdout.read().split()]
    proc.stdout.close()
    if proc.stderr is not None:
        proc.stderr.close()

    _check_log(session_factory(engine), data_dir, acknowledged)
    engine.dispose()
