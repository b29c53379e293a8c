from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, MetaData, String, Table, select
from sqlalchemy.engine import Engine

from carbonbridge.platform.db import Base
from carbonbridge.platform.types import ExactDecimal


def test_migrations_match_the_models(engine: Engine) -> None:
    """``alembic check`` in a test: the migrated schema equals the ORM metadata on each backend."""
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


@pytest.mark.parametrize(
    "value",
    ["0.1", "3186.30", "123456789012345678901234.000000000001", "0", "1E-12"],
)
def test_exact_decimal_round_trips_without_float(engine: Engine, value: str) -> None:
    meta = MetaData()
    table = Table("t_exact", meta, Column("k", String(10), primary_key=True), Column("v", ExactDecimal()))
    meta.create_all(engine)
    try:
        with engine.begin() as conn:
            conn.execute(table.insert().values(k="a", v=Decimal(value)))
            stored = conn.execute(select(table.c.v)).scalar_one()
        assert stored == Decimal(value)
    finally:
        meta.drop_all(engine)


def test_exact_decimal_refuses_a_float(engine: Engine) -> None:
    meta = MetaData()
    table = Table("t_exact_f", meta, Column("k", String(10), primary_key=True), Column("v", ExactDecimal()))
    meta.create_all(engine)
    try:
        with pytest.raises(Exception, match="needs a Decimal"), engine.begin() as conn:
            conn.execute(table.insert().values(k="a", v=0.1))
    finally:
        meta.drop_all(engine)


def test_sqlite_engines_for_a_file_and_in_memory(tmp_path: Path) -> None:
    """A file database keeps a pool as large as the API can use; an in-memory URL (with or
    without ``:memory:``) takes SQLAlchemy's own pool and creates no directory."""
    from carbonbridge.platform.db import SQLITE_POOL_SIZE, make_engine

    on_file = make_engine(f"sqlite:///{tmp_path / 'sub' / 'cb.db'}")
    assert on_file.pool.size() == SQLITE_POOL_SIZE  # type: ignore[attr-defined]
    assert (tmp_path / "sub").is_dir()
    for url in ("sqlite://", "sqlite:///:memory:"):
        with make_engine(url).connect() as connection:
            assert connection.exec_driver_sql("select 1").scalar() == 1
    assert not Path("sqlite:").exists()
