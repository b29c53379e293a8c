"""A failing command explains itself in the terminal's language: on a Chinese locale the detail and
each reason are Chinese, the ``error[<code>]`` prefix, field paths and values as they are (through the
installed console script, as a person runs it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from carbonbridge.platform.cli_errors import terminal_language

CARBONBRIDGE = Path(sys.executable).parent / "carbonbridge"
BAD = (
    "facility_id,period_start,period_end,category,activity,quantity,unit,instrument,note\n"
    "f1,2024-01-01,2024-13-31,stationary_combustion,fuel.diesel,-1,furlong,,\n"
)


def _compute(tmp_path: Path, lang: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "bad.csv"
    path.write_text(BAD, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES")} | {"LANG": lang}
    return subprocess.run(
        [str(CARBONBRIDGE), "inventory", "compute", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_a_chinese_terminal_gets_the_reasons_in_chinese(tmp_path: Path) -> None:
    result = _compute(tmp_path, "zh_CN.UTF-8")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0] == (
        "error[invalid-input]: 1 行中有 1 行无效；未存储任何数据: "
        "rows.2.period_end='2024-13-31': 不是有效的日历日期（另有 2 项）"
    )
    assert "  rows.2.unit = 'furlong': fuel.diesel 的单位须能换算为以下之一：kg, m^3, Nm3, GJ" in lines


def test_an_english_terminal_gets_them_in_english(tmp_path: Path) -> None:
    result = _compute(tmp_path, "C.UTF-8")
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        "error[invalid-input]: 1 of 1 rows are invalid; nothing was stored: "
        "rows.2.period_end='2024-13-31': not a calendar date (+2 more)"
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LC_MESSAGES": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
        ({}, "en"),
    ],
)
def test_the_terminal_language_follows_posix_precedence(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert terminal_language() == expected
