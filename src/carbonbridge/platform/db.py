"""The database: one engine per process, one transaction per use case.

SQLite (embedded default) runs in WAL mode with foreign keys on and a busy timeout, so that the API
and a CLI job can share the file; PostgreSQL is used as is. Stores flush; services commit through
:func:`unit_of_work`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from carbonbridge.kernel.errors import DependencyUnavailable

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


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create the process's engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``)."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else ""  # "" = in memory
        pool: dict[str, int] = {}
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            # a file's pool keeps every connection the API's thread pool (40 threads) and the
            # registry's writer can hold at once: a connection returned to a full pool is closed,
            # and opening one (with its pragmas) costs more than the query it serves
            pool = {"pool_size": SQLITE_POOL_SIZE, "max_overflow": SQLITE_POOL_SIZE}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


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
