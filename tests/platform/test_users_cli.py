"""``carbonbridge users list|tokens|issue-token|revoke|disable|enable|reset-password`` on each
database backend; passwords never on the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from carbonbridge.kernel.errors import InvalidInput, NotFound
from carbonbridge.platform import users_cli
from carbonbridge.platform.db import make_engine, session_factory, unit_of_work
from carbonbridge.platform.identity import Role, authenticate_token, create_user, login
from carbonbridge.platform.settings import get_settings
from carbonbridge.platform.users_cli import app

runner = CliRunner()
PASSWORD = "correct horse battery"


@pytest.fixture
def database(
    engine: Engine, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The backend's database for the command, and a console wide enough for whole tables."""
    monkeypatch.setattr(users_cli, "console", Console(width=200))
    url = engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("CARBONBRIDGE_DATABASE_URL", url)
    monkeypatch.delenv("CARBONBRIDGE_NEW_PASSWORD", raising=False)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def users(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, list(args), input=stdin, env=env, catch_exceptions=False)


def _secret(output: str) -> str:
    return output.strip().splitlines()[-1]


def test_add_list_tokens_and_revoke(database: str, sessions: sessionmaker[Session]) -> None:
    added = users("add", "office", "--role", "regulator", "--days", "30")
    assert added.exit_code == 0, added.output
    first = _secret(added.output)
    issued = users("issue-token", "office", "--label", "nightly export", "--days", "7")
    assert issued.exit_code == 0, issued.output
    second = _secret(issued.output)
    listed = users("list")
    assert "office" in listed.output
    assert "regulator" in listed.output
    assert "active" in listed.output
    tokens = users("tokens", "office")
    assert "nightly export" in tokens.output
    assert tokens.output.count("live") == 2
    assert first not in tokens.output
    assert second not in tokens.output
    token_id = next(word for word in issued.output.split() if word.startswith("tok_"))
    assert users("revoke", token_id).exit_code == 0
    with unit_of_work(sessions) as session:
        assert authenticate_token(session, first).name == "office"
        with pytest.raises(Exception, match="unknown, revoked or expired"):
            authenticate_token(session, second)
    assert "revoked" in users("tokens", "office", "--all").output
    assert users("revoke", "--all-of", "office").exit_code == 0
    with unit_of_work(sessions) as session, pytest.raises(Exception, match="unknown, revoked or expired"):
        authenticate_token(session, first)


def test_disable_stops_every_token_and_enable_restores_them(
    database: str, sessions: sessionmaker[Session]
) -> None:
    token = _secret(users("add", "hotel", "--role", "reporter", "--organisation", "org-a").output)
    assert users("disable", "hotel").exit_code == 0
    assert "disabled" in users("list").output
    with unit_of_work(sessions) as session, pytest.raises(Exception, match="disabled"):
        authenticate_token(session, token)
    assert users("enable", "hotel").exit_code == 0
    with unit_of_work(sessions) as session:
        assert authenticate_token(session, token).name == "hotel"


def test_reset_password_reads_standard_input_and_logs_the_user_out(
    database: str, sessions: sessionmaker[Session]
) -> None:
    with unit_of_work(sessions) as session:
        create_user(session, username="alice", role=Role.VERIFIER, password=PASSWORD)
    with unit_of_work(sessions) as session:
        web_session = login(session, "alice", PASSWORD)
    reset = users("reset-password", "alice", "--password-stdin", stdin="a brand new passphrase\n")
    assert reset.exit_code == 0, reset.output
    assert "a brand new passphrase" not in reset.output
    with unit_of_work(sessions) as session:
        assert login(session, "alice", "a brand new passphrase").startswith("cb_")
        with pytest.raises(Exception, match="unknown, revoked or expired"):
            authenticate_token(session, web_session)


def test_reset_password_takes_the_environment_variable(
    database: str, sessions: sessionmaker[Session]
) -> None:
    users("add", "bob", "--role", "verifier")
    reset = users("reset-password", "bob", env={"CARBONBRIDGE_NEW_PASSWORD": "from the environment"})
    assert reset.exit_code == 0, reset.output
    with unit_of_work(sessions) as session:
        assert login(session, "bob", "from the environment").startswith("cb_")


def test_a_password_is_not_accepted_on_the_command_line(database: str) -> None:
    """``ps`` would show it: there is no such option."""
    refused = runner.invoke(app, ["add", "carol", "--role", "verifier", "--password", "visible to ps!"])
    assert refused.exit_code == 2
    assert "No such option" in refused.output


def test_the_console_script_reads_a_new_users_password_from_standard_input(tmp_path: Path) -> None:
    """Through the installed ``carbonbridge`` script (its own SQLite database): the password
    arrives on standard input, never in the arguments ``ps`` shows."""
    script = Path(sys.executable).with_name("carbonbridge")
    env = {**os.environ, "CARBONBRIDGE_DATA_DIR": str(tmp_path), "COLUMNS": "200"}
    env.pop("CARBONBRIDGE_DATABASE_URL", None)
    env.pop("CARBONBRIDGE_NEW_PASSWORD", None)
    command = [str(script), "users", "add", "dave", "--role", "verifier", "--password-stdin"]
    created = subprocess.run(
        command, input=PASSWORD + "\n", capture_output=True, text=True, timeout=120, env=env, check=False
    )
    assert created.returncode == 0, created.stderr
    assert PASSWORD not in created.stdout + created.stderr
    engine = make_engine(f"sqlite:///{tmp_path / 'carbonbridge.db'}")
    try:
        with unit_of_work(session_factory(engine)) as session:
            assert login(session, "dave", PASSWORD).startswith("cb_")
    finally:
        engine.dispose()


def test_without_a_password_source_reset_password_refuses_saying_how(database: str) -> None:
    users("add", "erin", "--role", "verifier")
    failed = runner.invoke(app, ["reset-password", "erin"], input="")
    assert isinstance(failed.exception, InvalidInput)
    assert "--password-stdin" in str(failed.exception)
    assert "CARBONBRIDGE_NEW_PASSWORD" in str(failed.exception)


def test_an_unknown_user_is_not_found(database: str) -> None:
    failed = runner.invoke(app, ["disable", "nobody"])
    assert isinstance(failed.exception, NotFound)
