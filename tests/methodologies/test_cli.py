"""``carbonbridge methodologies``: list, example, calculate (table and JSON), errors in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import typer
from typer.testing import CliRunner

from carbonbridge.methodologies.cli import COMMANDS

runner = CliRunner()


def cli() -> typer.Typer:
    root = typer.Typer()
    for name, sub in COMMANDS.items():
        root.add_typer(sub, name=name)
    return root


def test_list() -> None:
    result = runner.invoke(cli(), ["methodologies", "list"])
    assert result.exit_code == 0
    assert "CCER-14-002-V01" in result.output
    assert "DR-AVOIDED" in result.output


def test_example_then_calculate_json(tmp_path: Path) -> None:
    example = runner.invoke(cli(), ["methodologies", "example", "DR-AVOIDED"])
    assert example.exit_code == 0
    path = tmp_path / "params.json"
    path.write_text(example.output, "utf-8")
    result = runner.invoke(cli(), ["methodologies", "calculate", "DR-AVOIDED", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert Decimal(json.loads(result.output)["net_t"]) == Decimal("3494.48")


def test_calculate_table_shows_flags(tmp_path: Path) -> None:
    path = tmp_path / "ghana.json"
    params = {
        "irrigated_area": {"value": "1", "unit": "mu"},
        "head_m": "30",
        "baseline": {"route": "diesel_litres", "diesel_litres": "597.8"},
    }
    path.write_text(json.dumps(params), "utf-8")
    result = runner.invoke(
        cli(), ["methodologies", "calculate", "AMS-I.B", str(path)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "BE_y" in result.output
    assert "[implausible] diesel_per_area" in result.output
    assert "blocked" in result.output


def test_bad_parameter_file_is_a_domain_error(tmp_path: Path) -> None:
    """The root CLI prints domain errors in one line; here the error itself is checked."""
    from carbonbridge.kernel.errors import InvalidInput

    path = tmp_path / "bad.json"
    path.write_text("[1, 2]", "utf-8")
    result = runner.invoke(cli(), ["methodologies", "calculate", "AMS-I.B", str(path)])
    assert isinstance(result.exception, InvalidInput)


def _installed(*args: str, lang: str = "C.UTF-8") -> subprocess.CompletedProcess[str]:
    """The ``carbonbridge`` command as a user runs it (through ``main``, a subprocess)."""
    return subprocess.run(
        [sys.executable, "-m", "carbonbridge.platform.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "LC_ALL": lang, "COLUMNS": "200"},
        check=False,
    )


def test_bad_parameters_exit_non_zero_naming_each_in_the_terminals_language(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"regulated_energy_mwh": "ten", "grid_factor": {"value": "3", "source": "x"}}))
    en = _installed("methodologies", "calculate", "DR-AVOIDED", str(path))
    assert en.returncode == 2
    assert "error[invalid-input]: invalid parameters for DR-AVOIDED@0.1" in en.stderr
    assert "regulated_energy_mwh = 'ten': not a decimal number" in en.stderr
    assert "grid_factor.value = '3': must be ≤ 2 t CO2/MWh" in en.stderr
    zh = _installed("methodologies", "calculate", "DR-AVOIDED", str(path), lang="zh_CN.UTF-8")
    assert zh.returncode == 2
    assert "grid_factor.value = '3': 必须小于或等于 2 t CO2/MWh" in zh.stderr
