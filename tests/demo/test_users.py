"""The demo's users: created with the demo region, printed with their passwords once, able to log
in with them; a later start prints how to get a password or token, and creates no one."""

from __future__ import annotations

import re

from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.demo.service.load import load_demo_if_empty
from carbonbridge.demo.service.users import DEMO_USERS
from carbonbridge.platform import users
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Principal, Role, authenticate_token, login

ADMIN = Principal("u-admin", "admin", Role.ADMIN)


def test_the_demo_prints_users_who_log_in_with_the_printed_password(sessions: sessionmaker[Session]) -> None:
    console = Console(record=True, width=200)
    assert load_demo_if_empty(sessions, console)
    printed = console.export_text()
    for user in DEMO_USERS:
        line = next(x for x in printed.splitlines() if user.username in x)
        password = re.split(r"\s*│\s*", line.strip("│ "))[-1]
        with unit_of_work(sessions) as session:
            principal = authenticate_token(session, login(session, user.username, password))
        assert (principal.role, principal.organisation_id) == (user.role, user.organisation_id)
    assert "carbonbridge users reset-password" in printed
    assert "carbonbridge users issue-token" in printed


def test_a_later_start_prints_no_password_and_creates_no_one(sessions: sessionmaker[Session]) -> None:
    assert load_demo_if_empty(sessions, Console(quiet=True))
    with unit_of_work(sessions) as session:
        session.execute(users.UserRow.__table__.delete().where(users.UserRow.username == "demo-verifier"))
    console = Console(record=True, width=200)
    assert not load_demo_if_empty(sessions, console)
    printed = console.export_text()
    assert "demo-regulator" in printed
    assert "demo-verifier" not in printed
    assert "(shown when created" in printed
    assert {u.username for u in users.list_users(sessions, ADMIN)} == {"demo-regulator", "demo-reporter"}
