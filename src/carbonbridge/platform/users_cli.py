"""``carbonbridge users ...``: users and API tokens, for whoever runs the installation.

The command line acts as an administrator (it holds the database). A password never goes on the
command line, where ``ps`` and the shell history would show it: it is read from standard input
(``--password-stdin``), from ``CARBONBRIDGE_NEW_PASSWORD``, or asked for (hidden, twice).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from carbonbridge.kernel.errors import FieldIssue, InvalidInput
from carbonbridge.platform.principals import Principal, Role

# the user store (SQLAlchemy, argon2), the settings and Rich's tables are imported by the commands
# that use them, so that ``carbonbridge users --help`` needs none of them (docs/cli.md)
if TYPE_CHECKING:
    from rich.table import Table
    from sqlalchemy.orm import Session, sessionmaker

    from carbonbridge.platform import users

app = typer.Typer(help="Users and API tokens / 用户与令牌", no_args_is_help=True)

console = Console()

#: who the command line acts as
OPERATOR = Principal("cli", "cli administrator", Role.ADMIN)

PASSWORD_ENV = "CARBONBRIDGE_NEW_PASSWORD"  # noqa: S105 - the variable's name, not a password

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from the first line of standard input")
]


@contextmanager
def _database() -> Iterator[sessionmaker[Session]]:
    """The configured database, migrated to head; its connections are closed afterwards."""
    from carbonbridge.platform.db import make_engine, session_factory
    from carbonbridge.platform.migrate import ensure_at_head  # Alembic only if not at head
    from carbonbridge.platform.settings import get_settings

    engine = make_engine(get_settings().resolved_database_url())
    try:
        ensure_at_head(engine)
        yield session_factory(engine)
    finally:
        engine.dispose()


def _new_password(from_stdin: bool) -> str:
    """The new password: the first line of standard input, else the environment, else a hidden
    prompt (twice) on a terminal."""
    given = _given_password(from_stdin)
    if given is not None:
        return given
    if not sys.stdin.isatty():
        raise InvalidInput(
            "no password given",
            [FieldIssue(("password",), None, f"use --password-stdin, {PASSWORD_ENV}, or run on a terminal")],
        )
    return str(typer.prompt("new password / 新密码", hide_input=True, confirmation_prompt=True))


def _given_password(from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return os.environ.get(PASSWORD_ENV) or None


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def _token_table(found: list[users.TokenView], title: str) -> Table:
    from rich.table import Table

    from carbonbridge.kernel.clock import utc_now

    now = utc_now()
    table = Table(title=title)
    table.add_column("id", no_wrap=True)
    for column in ("kind / 类型", "label / 标签", "created / 创建", "expires / 到期", "state / 状态"):
        table.add_column(column)
    for t in found:
        table.add_row(t.id, t.kind, t.label, _when(t.created_at), _when(t.expires_at), t.state(now))
    return table


@app.command("add")
def add(
    username: str,
    role: Annotated[Role, typer.Option(help="role")],
    organisation: Annotated[str | None, typer.Option(help="organisation id (reporters)")] = None,
    password_stdin: PasswordStdin = False,
    ask_password: Annotated[
        bool, typer.Option("--ask-password", help="ask for a web-login password")
    ] = False,
    days: Annotated[int | None, typer.Option(min=1, help="lifetime of the first token, days")] = None,
) -> None:
    """Create a user and print its first API token (shown once) / 创建用户.

    A web-login password comes from --password-stdin, CARBONBRIDGE_NEW_PASSWORD or --ask-password;
    without one the user has API tokens only."""
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.platform.identity import TokenKind, create_user, issue_token
    from carbonbridge.platform.settings import get_settings

    password = _new_password(password_stdin) if ask_password else _given_password(password_stdin)
    lifetime = timedelta(days=days or get_settings().token_lifetime_days)
    with _database() as sessions, unit_of_work(sessions) as session:
        user_id = create_user(
            session, username=username, role=role, organisation_id=organisation, password=password
        )
        token = issue_token(session, user_id, label="cli", kind=TokenKind.API, lifetime=lifetime)
    console.print(f"user {username} ({role.value}) created: {user_id}; token valid for {lifetime.days} days")
    print(token)


@app.command("list")
def list_users() -> None:
    """List users / 列出用户."""
    from rich.table import Table

    from carbonbridge.platform import users

    with _database() as sessions:
        found = users.list_users(sessions, OPERATOR)
    table = Table(title=f"{len(found)} user(s) / 用户")
    for column in ("user / 用户", "role / 角色", "organisation / 单位", "created / 创建", "status / 状态"):
        table.add_column(column)
    for u in found:
        status = f"disabled {_when(u.disabled_at)}" if u.disabled_at else "active"
        table.add_row(u.username, u.role, u.organisation_id or "—", _when(u.created_at), status)
    console.print(table)


@app.command("tokens")
def tokens(
    username: str,
    include_ended: Annotated[bool, typer.Option("--all", help="also revoked and expired tokens")] = False,
) -> None:
    """List a user's tokens, without their secrets / 列出令牌."""
    from carbonbridge.platform import users

    with _database() as sessions:
        found = users.list_tokens(sessions, OPERATOR, username, include_ended=include_ended)
    console.print(_token_table(found, f"{len(found)} token(s) of {username} / 令牌"))


@app.command("issue-token")
def issue(
    username: str,
    label: Annotated[str, typer.Option(help="what the token is for")] = "cli",
    days: Annotated[
        int | None, typer.Option(min=1, help="lifetime, days (default: the installation's)")
    ] = None,
) -> None:
    """Issue a new API token for a user and print it (shown once) / 签发令牌."""
    from carbonbridge.platform import users
    from carbonbridge.platform.settings import get_settings

    lifetime = timedelta(days=days or get_settings().token_lifetime_days)
    with _database() as sessions:
        secret, view = users.issue_api_token(sessions, OPERATOR, username, label, lifetime)
    console.print(f"token {view.id} for {username}, expires {_when(view.expires_at)}")
    print(secret)


@app.command("revoke")
def revoke(
    token_ids: Annotated[list[str] | None, typer.Argument(help="token ids (tok_...)")] = None,
    every_of: Annotated[str | None, typer.Option("--all-of", help="revoke every token of this user")] = None,
) -> None:
    """Revoke tokens now: by id, or every token of a user / 吊销令牌."""
    from carbonbridge.platform import users

    if not every_of and not token_ids:
        raise InvalidInput(
            "nothing to revoke", [FieldIssue(("token_ids",), None, "give token ids or --all-of USER")]
        )
    with _database() as sessions:
        if every_of:
            count = users.revoke_all(sessions, OPERATOR, every_of)
            console.print(f"{count} token(s) of {every_of} revoked")
        for token_id in token_ids or []:
            view = users.revoke_token(sessions, OPERATOR, token_id)
            console.print(f"token {view.id} of {view.username} revoked {_when(view.revoked_at)}")


@app.command("disable")
def disable(username: str) -> None:
    """Disable a user: every token stops working, no login / 停用用户."""
    from carbonbridge.platform import users

    with _database() as sessions:
        view = users.set_disabled(sessions, OPERATOR, username, disabled=True)
    console.print(f"user {view.username} disabled {_when(view.disabled_at)}")


@app.command("enable")
def enable(username: str) -> None:
    """Enable a disabled user again / 启用用户."""
    from carbonbridge.platform import users

    with _database() as sessions:
        view = users.set_disabled(sessions, OPERATOR, username, disabled=False)
    console.print(f"user {view.username} enabled")


@app.command("reset-password")
def reset_password(username: str, password_stdin: PasswordStdin = False) -> None:
    """Set a user's web-login password; their web sessions are revoked / 重置密码.

    The password comes from --password-stdin, CARBONBRIDGE_NEW_PASSWORD, or a hidden prompt."""
    from carbonbridge.platform import users

    password = _new_password(password_stdin)
    with _database() as sessions:
        view = users.reset_password(sessions, OPERATOR, username, password)
    console.print(f"password of {view.username} reset; their web sessions are logged out")
