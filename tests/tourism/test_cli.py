"""``carbonbridge tourism bill FILE`` through the installed console script: table, JSON, CSV, and
bad input in one line with a non-zero exit."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from tests.tourism.conftest import HAINAN_TRIP

CARBONBRIDGE = Path(sys.executable).parent / "carbonbridge"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CARBONBRIDGE), *args], capture_output=True, text=True, timeout=120, check=False
    )


def _file(tmp_path: Path, trip: object) -> str:
    path = tmp_path / "trip.json"
    path.write_text(json.dumps(trip), encoding="utf-8")
    return str(path)


def test_json_and_csv_agree_with_the_table(tmp_path: Path) -> None:
    path = _file(tmp_path, HAINAN_TRIP)
    as_json = json.loads(_run("tourism", "bill", path, "--format", "json").stdout)
    rows = list(csv.DictReader(io.StringIO(_run("tourism", "bill", path, "--format", "csv").stdout)))
    table = _run("tourism", "bill", path)
    assert as_json["grams"] == sum(line["grams"] for line in as_json["lines"])
    assert [int(r["grams"]) for r in rows] == [line["grams"] for line in as_json["lines"]]
    assert f"total: {as_json['grams']} g CO2e" in table.stdout


def test_unknown_airport_is_one_line_and_exit_2(tmp_path: Path) -> None:
    trip = dict(HAINAN_TRIP, items=[{"type": "flight", "origin": "PEK", "destination": "XQX"}])
    result = _run("tourism", "bill", _file(tmp_path, trip))
    assert result.returncode == 2
    assert "tourism-unknown-airport" in result.stderr
    assert "items.0.destination" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
