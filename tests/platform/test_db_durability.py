"""SQLite's durability setting and the privacy of its files (issue 9 §5 and §7)."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from carbonbridge.platform.db import make_engine
from carbonbridge.platform.errors import InsecureStorage
from carbonbridge.platform.settings import Settings


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """The common default umask (022): files would be created 0644 and directories 0755 unless
    the platform sets their modes itself."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_sqlite_syncs_every_commit_by_default(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'cb.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    engine.dispose()


def test_sqlite_synchronous_normal_is_a_setting(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, sqlite_synchronous="NORMAL")
    engine = make_engine(settings.resolved_database_url(), synchronous=settings.sqlite_synchronous)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    engine.dispose()
    assert Settings(data_dir=tmp_path).sqlite_synchronous == "full"


def test_an_unknown_synchronous_value_is_refused_naming_the_setting() -> None:
    with pytest.raises(ValidationError, match="sqlite_synchronous"):
        Settings(sqlite_synchronous="off")


def test_the_database_wal_and_shm_are_created_private(tmp_path: Path, permissive_umask: None) -> None:
    directory = tmp_path / "data"
    engine = make_engine(f"sqlite:///{directory / 'cb.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (a INTEGER)")
        connection.exec_driver_sql("INSERT INTO t VALUES (1)")
        # while a connection is open in WAL mode, SQLite keeps the -wal and -shm files
        assert (directory / "cb.db-wal").exists()
        assert (directory / "cb.db-shm").exists()
        modes = {p.name: _mode(p) for p in directory.iterdir()}
    engine.dispose()
    assert _mode(directory) == 0o700
    assert modes == {"cb.db": 0o600, "cb.db-wal": 0o600, "cb.db-shm": 0o600}


@pytest.mark.parametrize("name", ["cb.db", "cb.db-wal"])
def test_a_database_file_others_can_read_is_refused(tmp_path: Path, name: str) -> None:
    (tmp_path / "cb.db").touch(mode=0o600)
    exposed = tmp_path / name
    exposed.touch()
    exposed.chmod(0o644)
    with pytest.raises(InsecureStorage, match=f"{name} has mode 644.*chmod 600"):
        make_engine(f"sqlite:///{tmp_path / 'cb.db'}")
    assert _mode(exposed) == 0o644  # refused, not silently changed


def test_an_existing_directory_others_can_enter_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tmp_path.chmod(0o755)
    with caplog.at_level(logging.WARNING, logger="carbonbridge.db"):
        make_engine(f"sqlite:///{tmp_path / 'cb.db'}").dispose()
    assert "has mode 755" in caplog.text
    assert "chmod 700" in caplog.text
    assert _mode(tmp_path / "cb.db") == 0o600


def test_database_errors_do_not_carry_the_statements_values(tmp_path: Path) -> None:
    """A database error that reaches a log (a 500's traceback) names the statement, not the
    names or texts it was writing."""
    engine = make_engine(f"sqlite:///{tmp_path / 'cb.db'}")
    insert = text("INSERT INTO t VALUES (:name)")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (name TEXT UNIQUE)")
        connection.execute(insert, {"name": "Li Xiaoming"})
    with pytest.raises(IntegrityError) as caught, engine.begin() as connection:
        connection.execute(insert, {"name": "Li Xiaoming"})
    engine.dispose()
    assert "INSERT INTO t" in str(caught.value)
    assert "Xiaoming" not in str(caught.value)
