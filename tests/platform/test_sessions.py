"""Sessions and tokens: logout revokes, tokens expire, users can be disabled, all checked by the one
query that authenticates (the registry's group commit included); on each database backend."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.clock import utc_now
from carbonbridge.kernel.errors import Conflict, Forbidden, Unauthenticated
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import (
    PUBLIC,
    Credentials,
    Principal,
    Role,
    TokenKind,
    TokenRow,
    UserRow,
    authenticate_all,
    create_user,
    issue_token,
    login,
    revoke_presented,
)
from carbonbridge.platform.settings import Settings
from tests.conftest import make_user

PASSWORD = "correct horse battery"


def _with_password(sessions: sessionmaker[Session], username: str, role: Role = Role.VERIFIER) -> str:
    with unit_of_work(sessions) as session:
        return create_user(session, username=username, role=role, password=PASSWORD)


def _log_in(client: Any, username: str, password: str = PASSWORD) -> Any:
    return client.post("/login", data={"username": username, "password": password}, follow_redirects=False)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _expire(sessions: sessionmaker[Session], token: str) -> None:
    from carbonbridge.platform.identity import _token_digest

    with unit_of_work(sessions) as session:
        session.execute(
            update(TokenRow)
            .where(TokenRow.token_sha256 == _token_digest(token))
            .values(expires_at=utc_now() - timedelta(seconds=1))
        )


def test_logout_revokes_the_session_token_on_the_server(
    app_client: Any, sessions: sessionmaker[Session]
) -> None:
    """The issue: /logout cleared the cookie, and the token kept working as a bearer token."""
    _with_password(sessions, "alice")
    response = _log_in(app_client, "alice")
    assert response.status_code == 303
    token = response.cookies["cb_session"]
    assert app_client.get("/api/v1/me", headers=_bearer(token)).json()["name"] == "alice"
    out = app_client.post("/logout", follow_redirects=False)
    assert out.status_code == 303
    assert "cb_session" not in app_client.cookies
    after = app_client.get("/api/v1/me", headers=_bearer(token))
    assert after.status_code == 401
    assert after.json()["code"] == "unauthenticated"
    app_client.cookies.set("cb_session", token)  # the old cookie, replayed: the public
    assert app_client.get("/api/v1/me").json()["role"] == "public"


def test_a_web_session_lasts_the_configured_lifetime(engine: Engine, sessions: sessionmaker[Session]) -> None:
    """``CARBONBRIDGE_SESSION_LIFETIME_HOURS``: the cookie's Max-Age and the token's expiry."""
    from fastapi.testclient import TestClient

    from carbonbridge.platform.app import create_app

    _with_password(sessions, "bob")
    app = create_app(Settings(session_lifetime_hours=2), engine)
    with TestClient(app) as client:
        response = _log_in(client, "bob")
    assert "Max-Age=7200" in response.headers["set-cookie"]
    assert "HttpOnly" in response.headers["set-cookie"]
    with unit_of_work(sessions) as session:
        row = session.scalars(select(TokenRow)).one()
    assert row.kind == TokenKind.SESSION.value
    assert row.expires_at - row.created_at == timedelta(hours=2)


def test_an_expired_token_is_refused_by_the_api_and_by_the_registry_group_commit(
    app_client: Any, sessions: sessionmaker[Session]
) -> None:
    headers = make_user(sessions, "dev", "developer", "org-a")
    assert app_client.get("/api/v1/me", headers=headers).json()["role"] == "developer"
    _expire(sessions, headers["Authorization"].removeprefix("Bearer "))
    assert app_client.get("/api/v1/me", headers=headers).status_code == 401
    retire = {
        "account_id": "acc",
        "project_id": "p",
        "vintage": 2024,
        "quantity": 1,
        "beneficiary": "b",
        "purpose": "p",
    }
    moved = app_client.post("/api/v1/registry/retirements", json=retire, headers=headers)
    assert moved.status_code == 401
    assert moved.json()["code"] == "unauthenticated"


def test_an_api_token_expires_after_its_lifetime(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        user = create_user(session, username="carol", role=Role.REGULATOR)
        default = issue_token(session, user)
        short = issue_token(session, user, lifetime=timedelta(days=7))
    with unit_of_work(sessions) as session:
        rows = {r.label + str(r.expires_at - r.created_at) for r in session.scalars(select(TokenRow))}
    assert rows == {"api90 days, 0:00:00", "api7 days, 0:00:00"}
    assert default != short


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_one_query_checks_revocation_expiry_and_disabled_users_for_a_whole_batch(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """The registry authenticates a batch of moves with ``authenticate_all`` inside its group
    commit: the new conditions stay in its one query, no second round trip."""
    with unit_of_work(sessions) as session:
        live_user = create_user(session, username="live", role=Role.REGULATOR)
        gone_user = create_user(session, username="gone", role=Role.REGULATOR)
        live, expired, revoked = (issue_token(session, live_user) for _ in range(3))
        of_disabled = issue_token(session, gone_user)
    _expire(sessions, expired)
    with unit_of_work(sessions) as session:
        assert revoke_presented(session, revoked)
    from carbonbridge.platform import users
    from carbonbridge.platform.users_cli import OPERATOR

    users.set_disabled(sessions, OPERATOR, "gone", disabled=True)
    presented = [Credentials(t, from_header=True) for t in (live, expired, revoked, of_disabled, live)]
    presented.append(Credentials(expired, from_header=False))  # a stale cookie: the public
    with unit_of_work(sessions) as session:
        session.connection()  # the transaction begins outside the count
        with _statements(engine) as seen:
            found = authenticate_all(session, presented)
    assert len(seen) == 1
    outcomes = [f.name if isinstance(f, Principal) else type(f).__name__ for f in found]
    assert outcomes == ["live", "Unauthenticated", "Unauthenticated", "Unauthenticated", "live", "public"]


def test_disabling_a_user_stops_every_token_at_once_and_enabling_restores_them(
    app_client: Any, sessions: sessionmaker[Session]
) -> None:
    admin = make_user(sessions, "root", "admin")
    first = make_user(sessions, "hotel", "reporter", "org-a")
    with unit_of_work(sessions) as session:
        user = session.scalars(select(TokenRow.user_id)).all()[-1]
        second = _bearer(issue_token(session, user, label="second"))
    _with_password(sessions, "carol")
    response = app_client.post("/api/v1/users/hotel/disable", headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["disabled_at"] is not None
    for headers in (first, second):
        assert app_client.get("/api/v1/me", headers=headers).status_code == 401
    assert app_client.post("/api/v1/users/carol/disable", headers=admin).status_code == 200
    assert _log_in(app_client, "carol").status_code == 401  # a disabled user cannot log in
    assert app_client.post("/api/v1/users/hotel/enable", headers=admin).json()["disabled_at"] is None
    for headers in (first, second):
        assert app_client.get("/api/v1/me", headers=headers).json()["name"] == "hotel"


def test_an_administrator_cannot_disable_themself(sessions: sessionmaker[Session]) -> None:
    from carbonbridge.platform import users

    with unit_of_work(sessions) as session:
        uid = create_user(session, username="root", role=Role.ADMIN)
    with pytest.raises(Conflict, match="yourself"):
        users.set_disabled(sessions, Principal(uid, "root", Role.ADMIN), "root", disabled=True)


def test_a_user_lists_their_own_tokens_without_secrets_and_no_one_elses(
    app_client: Any, sessions: sessionmaker[Session]
) -> None:
    mine = make_user(sessions, "hotel", "reporter", "org-a")
    other = make_user(sessions, "hotel-b", "reporter", "org-b")
    admin = make_user(sessions, "root", "admin")
    response = app_client.get("/api/v1/users/hotel/tokens", headers=mine)
    assert response.status_code == 200
    [token] = response.json()
    assert token["id"].startswith("tok_")
    assert (token["kind"], token["label"], token["state"], token["revoked_at"]) == (
        "api",
        "api",
        "live",
        None,
    )
    assert token["expires_at"] > token["created_at"]
    secret = mine["Authorization"].removeprefix("Bearer ")
    assert secret not in response.text
    assert "sha256" not in response.text
    assert app_client.get("/api/v1/users/hotel/tokens", headers=other).status_code == 403
    assert app_client.get("/api/v1/users/hotel/tokens", headers=admin).json() == [token]
    assert app_client.get("/api/v1/users", headers=mine).status_code == 403
    listed = app_client.get("/api/v1/users", headers=admin).json()
    assert [u["username"] for u in listed] == ["hotel", "hotel-b", "root"]
    assert all("password" not in key for u in listed for key in u)


def test_a_user_revokes_their_own_token_but_not_another_users(
    app_client: Any, sessions: sessionmaker[Session]
) -> None:
    mine = make_user(sessions, "hotel", "reporter", "org-a")
    other = make_user(sessions, "hotel-b", "reporter", "org-b")
    [theirs] = app_client.get("/api/v1/users/hotel-b/tokens", headers=other).json()
    refused = app_client.post(f"/api/v1/tokens/{theirs['id']}/revoke", headers=mine)
    assert refused.status_code == 404
    assert app_client.get("/api/v1/me", headers=other).status_code == 200
    [own] = app_client.get("/api/v1/users/hotel/tokens", headers=mine).json()
    revoked = app_client.post(f"/api/v1/tokens/{own['id']}/revoke", headers=mine)
    assert revoked.status_code == 200
    assert revoked.json()["state"] == "revoked"
    assert app_client.get("/api/v1/me", headers=mine).status_code == 401
    assert app_client.get("/api/v1/users/hotel-b/tokens?include_ended=true", headers=other).status_code == 200


def test_an_administrator_resets_a_password_and_the_users_web_sessions_end(
    app_client: Any, sessions: sessionmaker[Session]
) -> None:
    admin = make_user(sessions, "root", "admin")
    _with_password(sessions, "dave")
    session_token = _log_in(app_client, "dave").cookies["cb_session"]
    app_client.cookies.clear()
    with unit_of_work(sessions) as session:
        uid = session.scalars(select(TokenRow.user_id).where(TokenRow.kind == "session")).one()
        api_token = issue_token(session, uid)
    short = app_client.post("/api/v1/users/dave/password", json={"password": "short"}, headers=admin)
    assert short.status_code == 422
    response = app_client.post(
        "/api/v1/users/dave/password", json={"password": "a new long passphrase"}, headers=admin
    )
    assert response.status_code == 200, response.text
    assert app_client.get("/api/v1/me", headers=_bearer(session_token)).status_code == 401
    assert app_client.get("/api/v1/me", headers=_bearer(api_token)).status_code == 200
    assert _log_in(app_client, "dave").status_code == 401
    app_client.cookies.clear()
    assert _log_in(app_client, "dave", "a new long passphrase").status_code == 303


def test_only_administrators_manage_users(sessions: sessionmaker[Session]) -> None:
    from carbonbridge.platform import users

    regulator = Principal("u1", "office", Role.REGULATOR)
    with pytest.raises(Forbidden):
        users.list_users(sessions, regulator)
    with pytest.raises(Forbidden):
        users.set_disabled(sessions, regulator, "anyone", disabled=True)
    with pytest.raises(Unauthenticated):
        users.reset_password(sessions, PUBLIC, "anyone", "a long enough one")
    with pytest.raises(Unauthenticated):
        users.list_tokens(sessions, PUBLIC, "anyone")


def test_login_refuses_a_disabled_user_with_the_same_message(sessions: sessionmaker[Session]) -> None:
    from carbonbridge.platform import users
    from carbonbridge.platform.users_cli import OPERATOR

    _with_password(sessions, "erin")
    users.set_disabled(sessions, OPERATOR, "erin", disabled=True)
    with (
        pytest.raises(Unauthenticated, match="unknown user or wrong password"),
        unit_of_work(sessions) as session,
    ):
        login(session, "erin", PASSWORD)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of each backend, not migrated."""
    from carbonbridge.platform.db import make_engine
    from tests.conftest import _pg_admin, _pg_url_for

    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        yield engine
        engine.dispose()
        return
    admin, reason = _pg_admin()
    if admin is None:
        pytest.skip(reason)
    name = f"cbt_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[attr-defined]
    engine = make_engine(_pg_url_for(name))
    try:
        yield engine
    finally:
        engine.dispose()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[attr-defined]
        admin.close()  # type: ignore[attr-defined]


def test_the_upgrade_gives_existing_tokens_an_id_a_kind_and_an_expiry(fresh_engine: Engine) -> None:
    """Tokens issued before migration 0012 keep working, with an expiry counted from the upgrade
    (12 hours for web sessions, 90 days for API tokens); users stay active."""
    from sqlalchemy import text

    from carbonbridge.platform.migrate import upgrade

    upgrade(fresh_engine, "0010")
    created = utc_now() - timedelta(days=400)
    users_row = "INSERT INTO users (id, username, display_name, role, created_at) VALUES (:i, :u, :u, :r, :c)"
    token_row = "INSERT INTO api_tokens (token_sha256, user_id, label, created_at) VALUES (:d, :i, :l, :c)"
    with fresh_engine.begin() as conn:
        conn.execute(text(users_row), {"i": "usr_1", "u": "old", "r": "regulator", "c": created})
        for digest, label in (("a" * 64, "cli"), ("b" * 64, "web session")):
            conn.execute(text(token_row), {"d": digest, "i": "usr_1", "l": label, "c": created})
    before = utc_now()
    upgrade(fresh_engine)
    after = utc_now()
    with Session(fresh_engine) as session:
        rows = {r.label: r for r in session.scalars(select(TokenRow))}
        disabled = session.scalars(select(UserRow.disabled_at)).all()
    assert disabled == [None]
    assert (rows["cli"].kind, rows["web session"].kind) == ("api", "session")
    assert all(r.id.startswith("tok_") for r in rows.values())
    assert len({r.id for r in rows.values()}) == 2

    def expiry(row: TokenRow) -> datetime:
        return row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)

    assert before + timedelta(days=90) <= expiry(rows["cli"]) <= after + timedelta(days=90)
    assert before + timedelta(hours=12) <= expiry(rows["web session"]) <= after + timedelta(hours=12)


def test_administrators_actions_are_logged_by_ids_without_secrets_or_names(
    sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    from carbonbridge.platform import users
    from carbonbridge.platform.users_cli import OPERATOR

    user_id = _with_password(sessions, "frank")
    with caplog.at_level("INFO", logger="carbonbridge.security"):
        secret, view = users.issue_api_token(sessions, OPERATOR, "frank", "export", timedelta(days=1))
        users.reset_password(sessions, OPERATOR, "frank", "another long passphrase")
        users.set_disabled(sessions, OPERATOR, "frank", disabled=True)
        users.revoke_token(sessions, OPERATOR, view.id)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"token {view.id} issued to user {user_id} by cli" in logged
    assert f"user {user_id} disabled by cli" in logged
    assert f"token {view.id} of user {user_id} revoked by cli" in logged
    for private in (secret, "frank", PASSWORD, "another long passphrase"):
        assert private not in logged
