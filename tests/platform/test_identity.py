from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.errors import Conflict, Forbidden, InvalidInput, Unauthenticated
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import PUBLIC, Principal, Role, create_user, issue_token, login


def test_reporter_needs_an_organisation(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(InvalidInput) as info, unit_of_work(sessions) as session:
        create_user(session, username="r1", role=Role.REPORTER)
    assert info.value.issues[0].location == ("organisation_id",)


def test_duplicate_username_conflicts_and_creates_nothing_more(
    sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(sessions) as session:
        create_user(session, username="reg", role=Role.REGULATOR)
    with pytest.raises(Conflict), unit_of_work(sessions) as session:
        create_user(session, username="reg", role=Role.REGULATOR)


def test_password_login_issues_a_token_and_rejects_a_wrong_password(
    sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(sessions) as session:
        create_user(session, username="alice", role=Role.VERIFIER, password="correct horse battery")
    with unit_of_work(sessions) as session:
        assert login(session, "alice", "correct horse battery").startswith("cb_")
    with pytest.raises(Unauthenticated), unit_of_work(sessions) as session:
        login(session, "alice", "wrong password!")


def test_token_secret_is_not_stored(sessions: sessionmaker[Session]) -> None:
    from sqlalchemy import select

    from carbonbridge.platform.identity import TokenRow

    with unit_of_work(sessions) as session:
        uid = create_user(session, username="bob", role=Role.ADMIN)
        token = issue_token(session, uid)
    with unit_of_work(sessions) as session:
        stored = session.scalars(select(TokenRow.token_sha256)).all()
    assert token not in stored
    assert len(stored) == 1


def test_reporter_is_scoped_to_its_organisation() -> None:
    reporter = Principal("u1", "hotel", Role.REPORTER, "org_a")
    reporter.require_organisation("org_a")
    with pytest.raises(Forbidden, match="org_b"):
        reporter.require_organisation("org_b")


def test_public_needs_a_token_for_protected_actions() -> None:
    with pytest.raises(Unauthenticated):
        PUBLIC.require(Role.REGULATOR)


def test_admin_passes_every_role_check() -> None:
    Principal("u", "root", Role.ADMIN).require(Role.VERIFIER)
