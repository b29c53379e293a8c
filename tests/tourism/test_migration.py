"""Migration 0017 goes down and up again on both databases, leaving the tourism tables as the
models define them."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from carbonbridge.platform.migrate import upgrade

TABLES = {"tourism_bills", "tourism_pools", "tourism_pool_retirements", "tourism_allocations"}


def test_0017_downgrades_and_upgrades(engine: Engine) -> None:
    from alembic import command

    from carbonbridge.platform.migrate import alembic_config

    command.downgrade(alembic_config(engine), "0017-1")
    assert not TABLES & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
