"""Issue 10 §1 through the installed ``carbonbridge`` console script: a power plant's raw coal in
tonnes and diesel in litres under the MEE guideline, and a unit that cannot be converted.

Figures: 100 t raw coal × 20.908 GJ/t × 26.37 t C/TJ × 0.94 × 44/12 = 190,029.88488 kg CO2
(MEE guideline 附录二 表2.1); 1,000 L diesel ÷ 1,149 L/t (UNSD 2004 Energy Statistics Yearbook,
conversion factors) × 42.652 GJ/t × 20.2 t C/TJ × 0.98 × 44/12 (MEE guideline).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from carbonbridge.kernel.exact import quantize

HEADER = "facility_id,period_start,period_end,category,activity,quantity,unit,instrument,note\n"
ROWS = (
    "plant,2024-01-01,2024-12-31,stationary_combustion,fuel.raw_coal,100,t,,\n"
    "plant,2024-01-01,2024-12-31,stationary_combustion,fuel.diesel,1000,L,,\n"
)
CONSOLE = str(Path(sys.executable).with_name("carbonbridge"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CONSOLE, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )


def test_power_plant_raw_coal_and_litres_of_diesel_under_cn_mee(tmp_path: Path) -> None:
    path = tmp_path / "plant.csv"
    path.write_text(HEADER + ROWS, encoding="utf-8")

    result = run(
        "inventory",
        "compute",
        str(path),
        "--framework",
        "cn-mee",
        "--kind",
        "energy_industries",
        "--format",
        "json",
    )

    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    diesel = Decimal(1000) / Decimal(1149) * Decimal("42.652") * Decimal("20.2") * Decimal("0.98") * 44 / 12
    (inventory,) = body["inventories"]
    assert Decimal(inventory["views"]["cn-mee"]["total_co2e_kg"]) == Decimal("190029.884880") + quantize(
        diesel, 6
    )


def test_litres_of_a_solid_fuel_fail_in_one_line_naming_the_unit(tmp_path: Path) -> None:
    path = tmp_path / "coke.csv"
    path.write_text(HEADER + "plant,2024-01-01,2024-12-31,stationary_combustion,fuel.coke,5,L,,\n", "utf-8")

    result = run("inventory", "compute", str(path))

    assert result.returncode == 2
    assert result.stderr.startswith("error[invalid-input]")
    assert "rows.2.unit='L'" in result.stderr
    assert "no density of fuel.coke is published" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
