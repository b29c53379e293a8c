"""Registry CLI start-up (issue 11 §2): ``carbonbridge registry --help`` and the help of its groups
and commands import neither the database nor the web stack; the commands import their use cases
when they run.

Before, the registry's CLI modules imported the services, read models and schemas at module level,
which pulled in SQLAlchemy, pint and numpy (2.4 s; ``benchmarks/bench_cli.py``). What a fresh
interpreter holds in ``sys.modules`` does not depend on the machine's speed, so a later module-level
import cannot silently undo the lazy loading.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

#: none of which printing help needs
HEAVY = ("sqlalchemy", "alembic", "psycopg", "fastapi", "starlette", "jinja2", "uvicorn", "pint", "numpy")


def _heavy_after_running(args: list[str], tmp_path: Path) -> tuple[set[str], str]:
    """The modules of ``HEAVY`` a fresh interpreter holds after ``carbonbridge <args>``, and what
    the command printed."""
    probe = (
        "import io, json, sys, contextlib\n"
        "from carbonbridge.platform.cli import run\n"
        "out = io.StringIO()\n"
        f"with contextlib.redirect_stdout(out):\n    code = run({args!r})\n"
        f"print(json.dumps([code, sorted(m for m in {list(HEAVY)!r} if m in sys.modules), out.getvalue()]))\n"
    )
    env = {**os.environ, "CARBONBRIDGE_DATA_DIR": str(tmp_path / "var"), "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    code, heavy, printed = json.loads(result.stdout.splitlines()[-1])
    assert code == 0, printed
    return set(heavy), printed


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["registry", "--help"], ["retire", "allowances", "cadt", "recognition", "export-confirm"]),
        (["registry", "project", "--help"], ["draft", "register"]),
        (["registry", "retire", "--help"], ["--beneficiary"]),
        (["registry", "allowances", "--help"], ["allocate", "surrender", "status"]),
        (["registry", "cadt", "--help"], ["export", "import"]),
    ],
)
def test_registry_help_imports_no_database_or_web_stack(
    args: list[str], shown: list[str], tmp_path: Path
) -> None:
    heavy, printed = _heavy_after_running(args, tmp_path)

    assert heavy == set()
    for word in shown:
        assert word in printed, word


def test_a_registry_command_still_loads_its_use_cases_when_it_runs(tmp_path: Path) -> None:
    """The control: the same probe sees SQLAlchemy once a command touches the database, so the
    empty sets above are not an artefact of the probe."""
    heavy, printed = _heavy_after_running(["registry", "retirements", "--format", "json"], tmp_path)

    assert "sqlalchemy" in heavy
    assert json.loads(printed) == []
