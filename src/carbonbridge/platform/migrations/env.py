"""Alembic environment: the engine comes from ``config.attributes`` (see platform.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Engine

from carbonbridge.platform.db import Base
from carbonbridge.platform.migrate import all_models

all_models()
engine: Engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=engine.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
