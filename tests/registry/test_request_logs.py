"""What the server logs about requests carries no token, password, username or beneficiary name
(issue 9 §8): a bearer-token retirement for a named beneficiary, a password login form and a query
string with a secret each give one request-log line, and nothing any logger wrote at INFO holds
those values."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Role, create_user
from carbonbridge.registry.model import AccountKind
from tests.conftest import make_user
from tests.registry.conftest import World
from tests.registry.helpers import issued_report, registered_project

BENEFICIARY = "Li Xiaoming family trip"
USERNAME = "zhang.wei.login"
PASSWORD = "Correct-Horse-9-battery"
CLIENT_LOGGERS = ("httpx", "httpcore")  # the test client's own, not the server's


def test_request_logs_hold_no_token_password_username_or_beneficiary(
    app_client: Any, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    project = registered_project(world.sessions)
    issued_report(world.sessions, project, 2024, {"net_t": "100"})
    developer = make_user(world.sessions, "dev-logs", "developer", "mangrove-dev")
    token = developer["Authorization"].removeprefix("Bearer ")
    with unit_of_work(world.sessions) as session:
        create_user(session, username=USERNAME, role=Role.REGULATOR, password=PASSWORD)
    caplog.set_level(logging.INFO)  # every logger, SQLAlchemy's statements included

    retired = app_client.post(
        "/api/v1/registry/retirements",
        json={
            "account_id": world.dev[AccountKind.HOLDING].id,
            "project_id": project.id,
            "vintage": 2024,
            "quantity": 3,
            "beneficiary": BENEFICIARY,
            "purpose": "offset",
        },
        headers=developer,
    )
    logged_in = app_client.post(
        "/login", data={"username": USERNAME, "password": PASSWORD}, follow_redirects=False
    )
    refused = app_client.post("/login", data={"username": USERNAME, "password": PASSWORD + "x"})
    queried = app_client.get(f"/api/v1/me?token={token}&beneficiary={BENEFICIARY}", headers=developer)

    assert retired.status_code == 201, retired.text
    assert logged_in.status_code in (200, 303), logged_in.text
    assert refused.status_code == 401
    assert queried.status_code == 200
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "carbonbridge.requests"]
    assert [(ln["method"], ln["route"], ln["status"]) for ln in lines] == [
        ("POST", "/api/v1/registry/retirements", 201),
        ("POST", "/login", logged_in.status_code),
        ("POST", "/login", 401),
        ("GET", "/api/v1/me", 200),
    ]
    assert lines[3]["role"] == "developer"
    server_records = [r for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS)]
    written = "\n".join(r.getMessage() + (r.exc_text or "") for r in server_records)
    session_cookie = logged_in.cookies.get("cb_session") or ""
    for secret in (token, PASSWORD, USERNAME, BENEFICIARY, "Xiaoming", *filter(None, [session_cookie])):
        assert secret not in written, f"{secret!r} was logged"
