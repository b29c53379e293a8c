"""Shared fixtures: one database per backend (SQLite file, PostgreSQL), migrated with Alembic.

Tests that take ``engine`` (or anything built on it) run on both backends. PostgreSQL is found at
``CARBONBRIDGE_TEST_PG_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``); each test
session creates its own database there and drops it afterwards. Where no PostgreSQL is reachable the
PostgreSQL variants are skipped with that reason printed in the summary.

The transparency log signs only with the key its database records (docs/ledger.md, "The log
key"). The test session has ONE log key, created once in the session's data directory and named
by ``CARBONBRIDGE_LOG_KEY_FILE`` (so every ``Settings(...)``, whatever its ``data_dir``, and every
CLI subprocess, which inherits the environment, signs with it), and the ``sessions`` fixture
records it in the freshly emptied database before each test (:func:`init_log_key`). A test that
builds its own database (``make_engine`` + ``upgrade``) calls ``init_log_key(engine)`` before
appending, as ``carbonbridge migrate`` does for an installation; a test that signs with its own
in-memory key records it with :func:`record_log_key`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.ledger.note import Ed25519Signer
from carbonbridge.platform.db import Base, make_engine, session_factory
from carbonbridge.platform.migrate import all_models, upgrade
from carbonbridge.platform.settings import Settings

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

PG_ADMIN_URL = os.environ.get("CARBONBRIDGE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_admin() -> tuple[object | None, str]:
    try:
        import psycopg

        conn = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except Exception as exc:  # any connection failure means "not reachable"
        return None, f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}"
    return conn, ""


def _pg_url_for(dbname: str) -> str:
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{dbname}".replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session", autouse=True)
def _data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keys and files the platform writes go to a temporary data directory, never ``var/``; the
    session's one log key is created there and named by ``CARBONBRIDGE_LOG_KEY_FILE``."""
    from carbonbridge.ledger.service import keys
    from carbonbridge.platform.settings import get_settings

    data = tmp_path_factory.mktemp("data")
    saved = {name: os.environ.get(name) for name in ("CARBONBRIDGE_DATA_DIR", "CARBONBRIDGE_LOG_KEY_FILE")}
    os.environ["CARBONBRIDGE_DATA_DIR"] = str(data)
    os.environ["CARBONBRIDGE_LOG_KEY_FILE"] = str(data / keys.KEY_FILE)
    get_settings.cache_clear()
    keys.new_key_file(data / keys.KEY_FILE, "carbonbridge.local/CN-HI/log")
    yield
    for name, previous in saved.items():
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous
    get_settings.cache_clear()


def init_log_key(target: Engine | sessionmaker[Session], settings: Settings | None = None) -> str:
    """Record the session's log key (or ``settings``' key file) in a database, as ``carbonbridge
    migrate`` does; returns the recorded verifier key. Idempotent."""
    from carbonbridge.ledger import service
    from carbonbridge.platform.settings import get_settings

    sessions = session_factory(target) if isinstance(target, Engine) else target
    return service.init_log(sessions, settings or get_settings()).verifier_key


def record_log_key(sessions: sessionmaker[Session], signer: Ed25519Signer) -> None:
    """Make the database record ``signer``'s verifier key as the log's key (tests that sign with
    an in-memory key; an installation changes its key only by ``carbonbridge ledger rotate-key``)."""
    from carbonbridge.ledger import store
    from carbonbridge.platform.db import unit_of_work

    with unit_of_work(sessions) as session:
        store.lock_log_state(session)
        store.set_verifier_key(session, signer.verifier().verifier_key())


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A migrated database of each backend, shared by the session's tests."""
    all_models()
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "test.db"
        eng = make_engine(f"sqlite:///{path}")
        upgrade(eng)
        yield eng
        eng.dispose()
        return
    admin, reason = _pg_admin()
    if admin is None:
        pytest.skip(reason)
    name = f"cbt_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[attr-defined]
    eng = make_engine(_pg_url_for(name))
    try:
        upgrade(eng)
        yield eng
    finally:
        eng.dispose()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[attr-defined]
        admin.close()  # type: ignore[attr-defined]


@pytest.fixture
def sessions(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """A session factory on a clean database with the session's log key recorded
    (:func:`init_log_key`); every table is emptied after the test."""
    factory = session_factory(engine)
    init_log_key(factory)
    yield factory
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(delete(table))


@pytest.fixture
def app_client(engine: Engine, sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[object]:
    """An HTTP client on the real app and the backend's database."""
    from fastapi.testclient import TestClient

    from carbonbridge.platform.app import create_app
    from carbonbridge.platform.settings import Settings

    app = create_app(Settings(data_dir=tmp_path), engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def make_user(
    sessions: sessionmaker[Session], username: str, role: str, organisation_id: str | None = None
) -> dict[str, str]:
    """Create a user and return the ``Authorization`` header of a fresh token."""
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.platform.identity import Role, create_user, issue_token

    with unit_of_work(sessions) as session:
        user_id = create_user(session, username=username, role=Role(role), organisation_id=organisation_id)
        token = issue_token(session, user_id)
    return {"Authorization": f"Bearer {token}"}
