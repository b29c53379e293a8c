"""Settings resolve the data directory once, to an absolute path, the same way for every process
(issue 9 §2): a later change of working directory does not move the database or the log key."""

from __future__ import annotations

from pathlib import Path

import pytest

from carbonbridge.ledger.service import keys
from carbonbridge.platform.settings import Settings


def test_the_default_data_dir_is_var_resolved_against_the_working_directory_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CARBONBRIDGE_DATA_DIR", raising=False)
    monkeypatch.delenv("CARBONBRIDGE_LOG_KEY_FILE", raising=False)
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    monkeypatch.chdir(tmp_path.parent)

    here = tmp_path.resolve()
    assert settings.data_dir == here / "var"
    assert settings.data_dir.is_absolute()
    assert settings.resolved_database_url() == f"sqlite:///{here / 'var' / 'carbonbridge.db'}"
    assert keys.key_path(settings) == here / "var" / "ledger" / "log.key"


def test_a_relative_or_home_data_dir_from_the_environment_becomes_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CARBONBRIDGE_DATA_DIR", "srv/../data")

    assert Settings().data_dir == tmp_path.resolve() / "data"
    assert Settings(data_dir=Path("~/cb")).data_dir == tmp_path.resolve() / "home" / "cb"


def test_the_log_key_file_is_the_data_dirs_unless_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CARBONBRIDGE_LOG_KEY_FILE", "")

    default = Settings(data_dir=tmp_path / "d")
    own = Settings(data_dir=tmp_path / "d", log_key_file=Path("secrets/log.key"))

    assert keys.key_path(default) == tmp_path.resolve() / "d" / "ledger" / "log.key"
    assert keys.key_path(own) == tmp_path.resolve() / "secrets" / "log.key"
