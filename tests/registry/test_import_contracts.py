"""The registry's import contracts (issue 11 §5, ``pyproject.toml``, ``docs/map.md``) fail on a
deliberately wrong import.

Each case copies the package to a temporary directory, adds one import the map forbids, and runs
``lint-imports`` on the copy (``PYTHONPATH`` puts the copy first); the unmodified copy is the
control, so a contract that could never break would fail the cases, not pass them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_copy(tmp_path: Path, module: str | None = None, line: str = "") -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on a copy of ``src/carbonbridge`` with ``line`` appended to ``module``."""
    shutil.copytree(
        ROOT / "src" / "carbonbridge",
        tmp_path / "src" / "carbonbridge",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    # the rule-based contract types of pyproject.toml (lint-imports finds them from its directory)
    shutil.copytree(ROOT / "devtools", tmp_path / "devtools", ignore=shutil.ignore_patterns("__pycache__"))
    if module is not None:
        path = tmp_path / "src" / Path(*module.split(".")).with_suffix(".py")
        path.write_text(path.read_text("utf-8") + f"\n{line}\n", "utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src")}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )


def test_the_unmodified_package_keeps_every_contract(tmp_path: Path) -> None:
    result = _lint_copy(tmp_path)

    assert result.returncode == 0, result.stdout
    assert "BROKEN" not in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        (  # a use case importing its read model (a lower layer importing a higher one)
            "carbonbridge.registry.units.service",
            "from carbonbridge.registry.units import views as _v  # noqa",
            "Registry sub-packages are layered",
        ),
        (  # a sibling reached other than through its service
            "carbonbridge.registry.compliance.service",
            "from carbonbridge.registry.cadt import store as _s  # noqa",
            "Registry siblings meet only service to service",
        ),
        (  # the shared rules depending on a sub-package
            "carbonbridge.registry.writes",
            "from carbonbridge.registry.units import service as _u  # noqa",
            "Registry shared rules and project use cases import no sub-package",
        ),
        (  # a face reaching storage
            "carbonbridge.registry.compliance.web",
            "from carbonbridge.registry.compliance import store as _s  # noqa",
            "Faces (api, cli, web) reach storage only through a service",
        ),
    ],
)
def test_a_wrong_import_breaks_its_contract(module: str, line: str, broken: str, tmp_path: Path) -> None:
    result = _lint_copy(tmp_path, module, line)

    assert result.returncode != 0
    assert any(row.startswith(f"{broken} BROKEN") for row in result.stdout.splitlines())
