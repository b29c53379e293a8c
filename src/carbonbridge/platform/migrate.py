"""Alembic, driven from code: the migrations live in ``carbonbridge/platform/migrations``.

Alembic is imported by the functions that run it: a command line that finds its database at head
(:func:`ensure_at_head`) needs neither Alembic (~0.2 s to import) nor every context's tables that
its environment loads (docs/cli.md, "Start-up time").
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Engine

#: contexts whose ``store`` module defines tables
STORE_CONTEXTS = ("factors", "accounting", "ledger", "registry", "tourism")

#: the migration scripts (``alembic_config``'s ``script_location``)
VERSIONS = Path(__file__).with_name("migrations") / "versions"


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "carbonbridge.platform:migrations")
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (idempotent)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def script_heads(versions: Path = VERSIONS) -> frozenset[str]:
    """The head revisions of the migration scripts in ``versions``: every ``revision`` that no
    script names in its ``down_revision`` (a string, ``None`` or, for a merge, a tuple), read
    from the scripts' module-level assignments without loading Alembic or running the scripts.
    ``tests/platform/test_cli_startup.py`` checks the answer against Alembic's own
    (``ScriptDirectory.get_heads``)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in versions.glob("*.py"):
        assigned: dict[str, ast.expr] = {}
        for node in ast.parse(script.read_text(encoding="utf-8")).body:
            # ``revision = "0015"``, or ``revision: str = "0015"`` as Alembic's newer template writes
            if isinstance(node, ast.Assign):
                assigned |= {t.id: node.value for t in node.targets if isinstance(t, ast.Name)}
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
                assigned[node.target.id] = node.value
        if "revision" not in assigned:  # not a migration (``__init__.py``)
            continue
        revisions.add(str(ast.literal_eval(assigned["revision"])))
        down = ast.literal_eval(assigned["down_revision"]) if "down_revision" in assigned else None
        parents.update([down] if isinstance(down, str) else (down or ()))
    return frozenset(revisions - parents)


def at_head(engine: Engine) -> bool:
    """Whether the database's stored revisions (Alembic's ``alembic_version``) are exactly the
    scripts' heads; one cheap query, no Alembic."""
    from sqlalchemy import inspect, text

    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        stored = frozenset(
            str(row[0]) for row in connection.execute(text("SELECT version_num FROM alembic_version"))
        )
    return stored == script_heads()


def ensure_at_head(engine: Engine) -> None:
    """Bring the schema to head, running Alembic only when it is not there already: what a command
    line does before its work (a database at head is the common case; :func:`upgrade` is
    idempotent but loads Alembic and every context's tables to find that out)."""
    if not at_head(engine):
        upgrade(engine)


def all_models() -> None:
    """Import every context's store so that ``Base.metadata`` holds every table."""
    import carbonbridge.platform.identity  # noqa: F401
    from carbonbridge.platform.optional import optional_module

    for context in STORE_CONTEXTS:
        optional_module(f"carbonbridge.{context}.store")
    optional_module("carbonbridge.registry.compliance.store")  # the registry's ETS tables
    optional_module("carbonbridge.registry.cadt.store")  # the CAD Trust import tables
    optional_module("carbonbridge.markets.auctions.store")  # the sealed-bid auctions
