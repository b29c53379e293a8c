"""The demo region's users: a regulator, a reporter and a verifier who can log in, so that
``make run`` (``carbonbridge serve --demo``) can be tried at once.

Each gets a random password when the demo region is loaded, printed once on the console that
loaded it (like an API token: only its argon2 hash is stored). Later starts print the user names
and how to get a password or token again: ``carbonbridge users reset-password NAME`` and
``carbonbridge users issue-token NAME``. These are demo accounts for a demo database; an
installation's real users are made with ``carbonbridge users add``.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.platform import users
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Principal, Role, create_user


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    organisation_id: str | None
    display_name: str


#: the demo's users (the reporter reports for the first demo hotel, which also buys credits)
DEMO_USERS = (
    DemoUser("demo-regulator", Role.REGULATOR, None, "Demo County carbon office [SYNTHETIC]"),
    DemoUser("demo-reporter", Role.REPORTER, "demo-org-001", "Demo Bay Hotel 01 reporter [SYNTHETIC]"),
    DemoUser("demo-verifier", Role.VERIFIER, None, "Demo verification body [SYNTHETIC]"),
)

_OPERATOR = Principal("system-demo-loader", "demo loader", Role.ADMIN)


def existing_demo_users(sessions: sessionmaker[Session]) -> set[str]:
    """The names of the demo users the database holds."""
    wanted = {u.username for u in DEMO_USERS}
    return {u.username for u in users.list_users(sessions, _OPERATOR) if u.username in wanted}


def create_demo_users(sessions: sessionmaker[Session]) -> dict[str, str]:
    """Create the demo users that do not exist yet, each with a new random password; returns
    user name -> password for those created. Called only as the demo region is loaded into an
    empty database, never on an installation's own data."""
    existing = existing_demo_users(sessions)
    created: dict[str, str] = {}
    with unit_of_work(sessions) as session:
        for user in DEMO_USERS:
            if user.username in existing:
                continue
            password = secrets.token_urlsafe(12)
            create_user(
                session,
                username=user.username,
                role=user.role,
                display_name=user.display_name,
                organisation_id=user.organisation_id,
                password=password,
            )
            created[user.username] = password
    return created


def print_demo_users(console: Console, passwords: Mapping[str, str], present: set[str]) -> None:
    """The demo users in ``present``, their passwords when just created, and how to get a
    password or a token (nothing when none is present)."""
    if not present:
        return
    table = Table(title="demo users / 演示用户 (log in at /login · 登录页 /login)")
    for column in ("user / 用户", "role / 角色", "organisation / 单位", "password / 密码"):
        table.add_column(column, no_wrap=True)
    for user in (u for u in DEMO_USERS if u.username in present):
        password = passwords.get(user.username, "(shown when created / 仅创建时显示)")
        table.add_row(user.username, user.role.value, user.organisation_id or "—", password)
    console.print(table)
    console.print(
        "new password / 重设密码: carbonbridge users reset-password USER\n"
        "API token / API令牌:     carbonbridge users issue-token USER"
    )
