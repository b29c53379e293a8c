"""The ``carbonbridge`` command as a user runs it (a subprocess through ``main``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

ACTIVITY = (
    "facility_id,period_start,period_end,category,activity,quantity,unit,instrument,note\n"
    "f1,2024-01-01,2024-12-31,stationary_combustion,fuel.natural_gas,100000,Nm3,,\n"
    "f1,2024-01-01,2024-12-31,purchased_electricity,electricity.grid,1000,MWh,,\n"
)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "carbonbridge.platform.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        check=False,
    )


def test_inventory_compute_mee_json_reproduces_the_guideline_worked_check(tmp_path: Path) -> None:
    """100,000 Nm3 natural gas -> 216,218.8809 kg CO2 (MEE FC x NCV x CC x OF x 44/12, shared
    reference worked check), plus 1,000 MWh x 0.5703 t/MWh (series A, 2024) = 570,300 kg."""
    path = tmp_path / "activity.csv"
    path.write_text(ACTIVITY, encoding="utf-8")
    result = run("inventory", "compute", str(path), "--framework", "cn-mee", "--format", "json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    (inventory,) = body["inventories"]
    assert body["framework"] == "cn-mee"
    total = Decimal(inventory["views"]["cn-mee"]["total_co2e_kg"])
    assert total == Decimal("216218.8809") + Decimal("570300")


def test_inventory_compute_csv_has_a_total_row(tmp_path: Path) -> None:
    path = tmp_path / "activity.csv"
    path.write_text(ACTIVITY, encoding="utf-8")
    result = run("inventory", "compute", str(path), "--format", "csv", "--gwp", "ar5")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith("adhoc,2024,ghgp,total,Total,合计,")


def test_a_bad_file_prints_one_line_and_exits_non_zero(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(ACTIVITY.replace("100000,Nm3", "-3,Nm3"), encoding="utf-8")
    result = run("inventory", "compute", str(path))
    assert result.returncode == 2
    assert result.stderr.startswith("error[invalid-input]")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_missing_argument_is_a_usage_message_not_a_traceback() -> None:
    result = run("ledger", "proof")
    assert result.returncode == 2
    assert "Missing argument 'INDEX'" in result.stderr or "Missing argument 'index'" in result.stderr
    assert "Traceback" not in result.stderr


def test_factors_search_lists_cited_rows() -> None:
    result = run("factors", "search", "HFC-134a")
    assert result.returncode == 0, result.stderr
    assert "ipcc-gwp100" in result.stdout


@pytest.mark.parametrize("fmt", ["table"])
def test_factors_resolve_says_why(fmt: str) -> None:
    result = run(
        "factors",
        "resolve",
        "electricity.grid",
        "--gas",
        "CO2",
        "--region",
        "CN-GRID-SOUTH",
        "--year",
        "2024",
        "--variant",
        "location",
    )
    assert result.returncode == 0, result.stderr
    assert "rule:" in result.stdout
