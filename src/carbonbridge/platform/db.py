"""The database: one engine per process, one transaction per use case.

SQLite (embedded default) runs in WAL mode with foreign keys on and a busy timeout, so that the API
and a CLI job can share the file, and ``synchronous`` as the settings say (``full`` by default: a
commit is on disk before it is acknowledged); its file is created ``0600`` in a ``0700`` directory.
PostgreSQL is used as is. Stores flush; services commit through :func:`unit_of_work`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import partial
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from carbonbridge.kernel.errors import DependencyUnavailable
from carbonbridge.platform.errors import InsecureStorage
from carbonbridge.platform.settings import get_settings

log = logging.getLogger("carbonbridge.db")

#: SQLite's ``PRAGMA synchronous`` values the platform offers (``docs/operations.md``)
SqliteSynchronous = Literal["full", "normal"]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every context's tables (one schema, one metadata)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: connections an SQLite engine keeps open (file handles are cheap; reconnecting is not)
SQLITE_POOL_SIZE = 48


def _sqlite_pragmas(dbapi_connection: Any, _record: object, *, synchronous: SqliteSynchronous) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # FULL in WAL mode syncs the WAL at every commit (durable across a power loss); NORMAL only
    # at WAL checkpoints (https://sqlite.org/pragma.html#pragma_synchronous)
    cursor.execute("PRAGMA synchronous=FULL" if synchronous == "full" else "PRAGMA synchronous=NORMAL")
    cursor.close()


#: mode bits that let anyone but the owner read, write or enter
_OTHERS = 0o077


def sqlite_file_path(url: str) -> Path | None:
    """The database file of an SQLite URL (``None`` for an in-memory database or another backend)."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///").partition("?")[0]
    return None if not path or path == ":memory:" else Path(path)


def prepare_sqlite_file(path: Path) -> None:
    """Make the database file private before SQLite opens it: a missing directory is created
    ``0700``, a missing file ``0600`` (SQLite gives its ``-wal`` and ``-shm`` files the database
    file's mode). An existing file, ``-wal`` or ``-shm`` that others may read or write is refused
    with :class:`InsecureStorage` (it holds activity data, commitment openings and credential
    hashes); an existing directory others may enter is only warned about, since it may be shared
    on purpose (the files in it are what is private)."""
    directory = path.parent
    if not directory.exists():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(directory, 0o700)  # mkdir's mode is masked by the umask
    elif directory.stat().st_mode & _OTHERS:
        mode = directory.stat().st_mode & 0o777
        log.warning(
            "the database directory %s has mode %o: others can list it; chmod 700 %s",
            directory,
            mode,
            directory,
        )
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists() and file.stat().st_mode & _OTHERS:
            mode = file.stat().st_mode & 0o777
            raise InsecureStorage(
                f"the database file {file} has mode {mode:o}: others may read or write it "
                f"(activity data, commitment openings, credential hashes); run: chmod 600 {file}"
            )


def make_engine(url: str, *, synchronous: SqliteSynchronous | None = None) -> Engine:
    """Create the process's engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``);
    ``synchronous`` is SQLite's (default: the settings' ``sqlite_synchronous``). Statement
    parameters are kept out of error messages (``hide_parameters``): a logged database error must
    not carry the names, texts or token hashes a statement wrote."""
    if url.startswith("sqlite"):
        file = sqlite_file_path(url)
        pool: dict[str, int] = {}
        if file is not None:
            prepare_sqlite_file(file)
            # a file's pool keeps every connection the API's thread pool (40 threads) and the
            # registry's writer can hold at once: a connection returned to a full pool is closed,
            # and opening one (with its pragmas) costs more than the query it serves
            pool = {"pool_size": SQLITE_POOL_SIZE, "max_overflow": SQLITE_POOL_SIZE}
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True, **pool
        )
        chosen = synchronous or get_settings().sqlite_synchronous
        event.listen(engine, "connect", partial(_sqlite_pragmas, synchronous=chosen))
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


@contextmanager
def unit_of_work(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error (nothing partial is stored)."""
    try:
        session = sessions()
    except OperationalError as exc:  # pragma: no cover - connection refused at checkout
        raise DependencyUnavailable(f"database unavailable: {exc.orig}") from exc
    try:
        with session.begin():
            yield session
    except OperationalError as exc:
        raise DependencyUnavailable(f"database error: {exc.orig}") from exc
    finally:
        session.close()
