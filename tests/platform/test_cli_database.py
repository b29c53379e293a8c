"""A command's database connections close when the command ends, whoever called ``database()``
(a command that drops the engine it was given must not leave a pooled connection for the garbage
collector: on PostgreSQL that is an open server connection until then)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import text
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from carbonbridge.platform.cli import database
from carbonbridge.platform.settings import get_settings


@pytest.fixture
def configured(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CARBONBRIDGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CARBONBRIDGE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_engine_a_command_drops_is_disposed_when_the_command_ends(configured: None) -> None:
    seen: list[tuple[Engine, int]] = []
    app = typer.Typer()

    @app.command()
    def probe() -> None:
        engine, sessions = database()  # the engine deliberately dropped, as a careless command would
        with sessions() as session:
            session.execute(text("SELECT 1"))
        seen.append((engine, engine.pool.checkedin()))

    @app.callback()
    def root() -> None:
        pass

    result = CliRunner().invoke(app, ["probe"])
    assert result.exit_code == 0, result.output
    engine, pooled_during = seen[0]
    assert pooled_during == 1  # the connection went back to the pool while the command ran
    assert engine.pool.checkedin() == 0  # and the pool was emptied when it ended


def test_outside_a_command_the_caller_disposes(configured: None) -> None:
    engine, sessions = database()
    try:
        with sessions() as session:
            session.execute(text("SELECT 1"))
        assert engine.pool.checkedin() == 1
    finally:
        engine.dispose()
