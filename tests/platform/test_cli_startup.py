"""CLI start-up (issue 10 §2): ``carbonbridge`` loads a command group only when it runs, every
group's ``--help`` imports none of the heavy libraries, and the commands that need neither the
database nor the web stack do not import them; a command finding its database at head does not
load Alembic.

Before the lazy root every command, ``--help`` included, imported SQLAlchemy, Alembic, FastAPI and
pint first (2-3.5 s; ``benchmarks/bench_cli.py``). These tests check what a fresh interpreter has
imported (``sys.modules``), which does not depend on the machine's speed, so that a later module-level
import cannot silently undo it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from carbonbridge.platform import cli, migrate

#: the web, database and bulk stacks, and the heavy libraries, none of which ``--help`` needs
HEAVY = (
    "pydantic",
    "pydantic_settings",
    "cryptography",
    "argon2",
    "httpx",
    "ssl",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "fastapi",
    "starlette",
    "jinja2",
    "uvicorn",
    "ibis",
    "duckdb",
    "pandas",
    "pyarrow",
    "pint",
    "numpy",
    "rich.progress",
)


def _imported_after(code: str, tmp_path: Path) -> tuple[set[str], str]:
    """The top-level modules of ``HEAVY`` a fresh interpreter holds after running ``code``, and
    what ``code`` printed."""
    probe = (
        "import io, json, sys\n"
        "out = io.StringIO(); real = sys.stdout; sys.stdout = out\n"
        f"{code}\n"
        "sys.stdout = real\n"
        f"print(json.dumps([sorted(m for m in {list(HEAVY)!r} if m in sys.modules), out.getvalue()]))\n"
    )
    env = {**os.environ, "CARBONBRIDGE_DATA_DIR": str(tmp_path / "var"), "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    heavy, printed = json.loads(result.stdout.splitlines()[-1])
    return set(heavy), printed


def test_importing_the_cli_root_imports_no_database_web_or_bulk_stack(tmp_path: Path) -> None:
    heavy, _ = _imported_after("import carbonbridge.platform.cli", tmp_path)
    assert heavy == set()


def test_help_lists_every_group_with_its_help_without_importing_them(tmp_path: Path) -> None:
    heavy, printed = _imported_after(
        "from carbonbridge.platform.cli import run\nassert run(['--help']) == 0", tmp_path
    )
    assert heavy == set()
    for name, entry in cli.LAZY_COMMANDS.items():
        assert name in printed
        assert entry.help.split(" / ")[0] in printed, name
    assert "carbonbridge.accounting.cli" not in printed  # sanity: it printed help, not a module list


@pytest.mark.parametrize("group", sorted(cli.LAZY_COMMANDS))
def test_a_groups_help_imports_no_heavy_library(group: str, tmp_path: Path) -> None:
    """Every group's ``--help`` (and a single command's, ``backup``) builds its commands, with
    their options' types, without the database, pydantic, the settings or cryptography: those are
    imported inside the commands (before: ``users --help`` 1.5 s, ``ledger --help`` 0.8 s)."""
    heavy, printed = _imported_after(
        f"from carbonbridge.platform.cli import run\nassert run([{group!r}, '--help']) == 0", tmp_path
    )
    assert heavy == set()
    assert f" {group} [OPTIONS]" in printed


def test_methodologies_calculate_imports_no_database_or_web_stack(tmp_path: Path) -> None:
    """AMS-III.C's shipped worked example, calculated offline; the calculators need pint and
    numpy, not the database (before: SQLAlchemy through the factor service)."""
    params = tmp_path / "params.json"
    params.write_text(json.dumps(_example("AMS-III.C")), encoding="utf-8")
    heavy, printed = _imported_after(
        "from carbonbridge.platform.cli import run\n"
        f"assert run(['methodologies', 'calculate', 'AMS-III.C', {str(params)!r}, '--format', 'json']) == 0",
        tmp_path,
    )
    assert heavy.isdisjoint({"sqlalchemy", "alembic", "psycopg", "fastapi", "starlette", "jinja2", "ibis"})
    assert json.loads(printed)["methodology"].startswith("AMS-III.C")


def _example(ref: str) -> object:
    from carbonbridge.methodologies import service

    return service.get(ref).example()


def test_every_context_group_has_a_row_in_the_lazy_table() -> None:
    """A group a context adds to its ``COMMANDS`` runs through the slow path, but ``--help`` lists
    only the table: a missing row fails here."""
    tabled = {n for n, e in cli.LAZY_COMMANDS.items() if not e.attribute}
    offered: set[str] = set()
    for module in {e.module for e in cli.LAZY_COMMANDS.values() if not e.attribute}:
        offered |= set(__import__(module, fromlist=["COMMANDS"]).COMMANDS)
    assert offered == tabled


@pytest.mark.parametrize("name", sorted(cli.LAZY_COMMANDS))
def test_the_tables_help_is_the_loaded_commands_help(name: str) -> None:
    command = cli.load_command(name)
    assert command is not None
    assert command.name == name
    shown = command.short_help or (command.help or "").strip()
    assert shown == cli.LAZY_COMMANDS[name].help


def test_a_name_missing_from_the_table_still_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The slow path: ``verify`` removed from the table is found in the ledger's ``COMMANDS``."""
    monkeypatch.delitem(cli.LAZY_COMMANDS, "verify")
    root = cli.LazyGroup(name="carbonbridge")
    assert "verify" not in root.list_commands(None)  # type: ignore[arg-type]
    command = root.get_command(None, "verify")  # type: ignore[arg-type]
    assert command is not None
    assert command.name == "verify"
    assert root.get_command(None, "no-such-group") is None  # type: ignore[arg-type]


def test_inventory_compute_imports_no_web_or_bulk_stack(tmp_path: Path) -> None:
    """``inventory compute FILE``: the worked check of ``test_cli.py`` (100,000 Nm3 natural gas
    under the MEE guideline, 216,218.8809 kg CO2). It reads the region's pinned datasets from the
    database (issue 10 §2, one answer on every surface), so SQLAlchemy loads; the web and bulk
    stacks do not."""
    path = tmp_path / "activity.csv"
    path.write_text(
        "facility_id,period_start,period_end,category,activity,quantity,unit,instrument,note\n"
        "f1,2024-01-01,2024-12-31,stationary_combustion,fuel.natural_gas,100000,Nm3,,\n",
        encoding="utf-8",
    )
    heavy, printed = _imported_after(
        "from carbonbridge.platform.cli import run\n"
        f"assert run(['inventory', 'compute', {str(path)!r}, '--framework', 'cn-mee',"
        " '--format', 'json']) == 0",
        tmp_path,
    )
    assert heavy.isdisjoint(
        {"fastapi", "starlette", "jinja2", "uvicorn", "ibis", "duckdb", "pandas", "pyarrow"}
    )
    mee = json.loads(printed)["inventories"][0]["views"]["cn-mee"]
    assert Decimal(mee["total_co2e_kg"]) == Decimal("216218.8809")


def test_the_migration_heads_read_from_the_scripts_are_alembics() -> None:
    """``migrate.script_heads`` (what a command compares the database with, without Alembic)
    agrees with Alembic's own reading of the same scripts."""
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    alembic_heads = ScriptDirectory.from_config(
        migrate.alembic_config(create_engine("sqlite://"))
    ).get_heads()
    assert migrate.script_heads() == frozenset(alembic_heads)


def test_script_heads_follow_down_revisions_and_merges(tmp_path: Path) -> None:
    scripts = {
        "a.py": 'revision = "a"\ndown_revision = None\n',
        "b.py": 'revision = "b"\ndown_revision = "a"\n',
        "c.py": 'revision = "c"\ndown_revision = "a"\n',
        "d.py": 'revision = "d"\ndown_revision = ("b", "c")\n',
        "e.py": 'revision: str = "e"\ndown_revision: str | None = "d"\n',  # Alembic's newer template
        "__init__.py": "",
    }
    for name, text in scripts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert migrate.script_heads(tmp_path) == {"e"}


def test_a_database_at_head_is_at_head(engine: Engine) -> None:
    assert migrate.at_head(engine)


def test_a_database_behind_head_is_brought_to_head(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    behind = create_engine(f"sqlite:///{tmp_path / 'behind.db'}")
    assert not migrate.at_head(behind)  # empty: no alembic_version table
    migrate.upgrade(behind, "0014")
    assert not migrate.at_head(behind)
    migrate.ensure_at_head(behind)
    assert migrate.at_head(behind)
    behind.dispose()


def test_a_command_finding_its_database_at_head_does_not_load_alembic(tmp_path: Path) -> None:
    """The second command on a database migrated by the first checks the stored revision against
    the scripts' heads and goes on without Alembic (~0.2 s) or every context's tables."""
    first, _ = _imported_after("from carbonbridge.platform.cli import database\ndatabase()", tmp_path)
    assert "alembic" in first  # a new database: migrated
    second, _ = _imported_after("from carbonbridge.platform.cli import database\ndatabase()", tmp_path)
    assert "alembic" not in second
