"""``--format table|json|csv`` on every CLI listing, through the installed console script: JSON
is machine-readable (no Rich markup), CSV has a header of column keys, and a table is never cut
at 80 columns (``platform/cli_format.py``)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

CARBONBRIDGE = Path(sys.executable).parent / "carbonbridge"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "80"}
    return subprocess.run(
        [str(CARBONBRIDGE), *args], capture_output=True, text=True, timeout=120, env=env, check=False
    )


def test_factors_search_json_is_plain_json_with_every_digit() -> None:
    result = run("factors", "search", "natural_gas", "--activity", "fuel.", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    ncv = next(r for r in rows if r["row"] == "A2-natural_gas-ncv")
    assert Decimal(ncv["value"]) == Decimal("389.31")  # MEE guideline Appendix 2 Table 2.1
    assert ncv["unit"] == "GJ/(10^4 Nm3)"
    assert "[bold]" not in result.stdout


def test_factors_search_csv_has_a_header_and_one_line_per_factor() -> None:
    result = run("factors", "search", "natural_gas", "--activity", "fuel.", "--format", "csv", "--limit", "3")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 3
    assert list(rows[0])[:6] == ["dataset", "row", "parameter", "activity", "gas", "value"]


def test_a_table_is_not_cut_at_80_columns() -> None:
    result = run("factors", "search", "natural_gas", "--activity", "fuel.", "--limit", "3")
    assert result.returncode == 0, result.stderr
    assert "…" not in result.stdout
    assert "工业其他行业企业温室气体排放核算方法与报告指南（试行） 附录二 表2.1" in result.stdout


def test_factors_resolve_json_says_the_rule() -> None:
    result = run(
        "factors", "resolve", "electricity.grid", "--gas", "CO2", "--region", "CN-GRID-SOUTH",
        "--year", "2024", "--variant", "location", "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["activity"] == "electricity.grid"
    assert body["rule"]
    assert body["citation"]


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_methodologies_list_in_every_format(fmt: str) -> None:
    result = run("methodologies", "list", "--format", fmt)
    assert result.returncode == 0, result.stderr
    assert "AMS-I.B" in result.stdout
    if fmt == "json":
        assert {"id", "version", "kind", "title_en", "title_zh"} <= set(json.loads(result.stdout)[0])
    if fmt == "csv":
        assert result.stdout.splitlines()[0] == "id,version,kind,title_en,title_zh"


def test_an_unknown_format_is_a_usage_error() -> None:
    result = run("methodologies", "list", "--format", "xml")
    assert result.returncode == 2
    assert result.stderr.startswith("error[usage]")
