"""Alembic, driven from code: the migrations live in ``carbonbridge/platform/migrations``."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

#: contexts whose ``store`` module defines tables
STORE_CONTEXTS = ("factors", "accounting", "ledger", "registry", "tourism")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", "carbonbridge.platform:migrations")
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (idempotent)."""
    command.upgrade(alembic_config(engine), revision)


def all_models() -> None:
    """Import every context's store so that ``Base.metadata`` holds every table."""
    import carbonbridge.platform.identity  # noqa: F401
    from carbonbridge.platform.optional import optional_module

    for context in STORE_CONTEXTS:
        optional_module(f"carbonbridge.{context}.store")
    optional_module("carbonbridge.registry.compliance_store")  # the registry's ETS and CAD Trust tables
