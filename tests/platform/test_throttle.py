"""Login throttling per user name and per address (``limits``), with a clear 429."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.errors import TooManyRequests
from carbonbridge.platform import problems
from carbonbridge.platform.app import create_app
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Role, create_user
from carbonbridge.platform.settings import Settings
from carbonbridge.platform.throttle import LoginThrottle

PASSWORD = "correct horse battery"


def test_a_user_name_past_its_limit_is_refused_with_the_seconds_to_wait() -> None:
    throttle = LoginThrottle.from_settings(Settings(login_limit_per_user="3/minute"))
    for _ in range(3):
        throttle.attempt("alice", "10.0.0.1")
    with pytest.raises(TooManyRequests) as refused:
        throttle.attempt("alice", "10.0.0.2")  # another address: the user name's count holds
    assert 1 <= refused.value.retry_after <= 60
    assert "user" in refused.value.detail
    throttle.attempt("bob", "10.0.0.1")  # another user is not affected


def test_a_refusal_is_logged_without_the_user_name_or_the_address(caplog: pytest.LogCaptureFixture) -> None:
    throttle = LoginThrottle.from_settings(Settings(login_limit_per_user="1/minute"))
    throttle.attempt("grace", "10.1.2.3")
    with caplog.at_level("WARNING", logger="carbonbridge.security"), pytest.raises(TooManyRequests):
        throttle.attempt("grace", "10.1.2.3")
    [record] = caplog.records
    assert record.getMessage() == "login attempt refused: the user limit 1 per 1 minute is used up"


def test_an_address_past_its_limit_is_refused_whatever_the_user_name() -> None:
    throttle = LoginThrottle.from_settings(Settings(login_limit_per_address="4/minute"))
    for name in ("a", "b", "c", "d"):
        throttle.attempt(name, "10.0.0.9")
    with pytest.raises(TooManyRequests, match="address"):
        throttle.attempt("e", "10.0.0.9")
    throttle.attempt("e", "10.0.0.10")


def test_every_limit_of_a_list_applies() -> None:
    throttle = LoginThrottle.from_settings(Settings(login_limit_per_user="10/minute;2/hour"))
    throttle.attempt("carol", "10.0.0.1")
    throttle.attempt("carol", "10.0.0.1")
    with pytest.raises(TooManyRequests) as refused:
        throttle.attempt("carol", "10.0.0.1")
    assert refused.value.retry_after > 60  # the hourly limit's window


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("login_limit_per_user", "five a minute"),
        ("login_limit_per_address", "0/fortnight"),
        ("throttle_storage", "bogus://nowhere"),
        ("throttle_storage", "async+memory://"),
    ],
)
def test_a_bad_throttle_setting_is_refused_at_start_up_naming_it(setting: str, value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(**{setting: value})
    assert setting in str(refused.value)
    assert value in str(refused.value)


@pytest.fixture
def tight(engine: Engine, sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    """The app with 3 login attempts a minute per user name and 6 per address."""
    with unit_of_work(sessions) as session:
        create_user(session, username="alice", role=Role.VERIFIER, password=PASSWORD)
    settings = Settings(login_limit_per_user="3/minute", login_limit_per_address="6/minute")
    with TestClient(create_app(settings, engine)) as client:
        yield client


def _log_in(client: TestClient, username: str, password: str, lang: str = "en") -> Any:
    return client.post(
        f"/login?lang={lang}", data={"username": username, "password": password}, follow_redirects=False
    )


def test_the_login_page_refuses_a_fourth_attempt_with_429_and_retry_after(tight: TestClient) -> None:
    """Three wrong passwords, then even the right one is refused (not checked) until the window
    has moved on; the page says so in the page's language."""
    for _ in range(3):
        assert _log_in(tight, "alice", "wrong password!").status_code == 401
    refused = _log_in(tight, "alice", PASSWORD)
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("text/html")
    seconds = int(refused.headers["retry-after"])
    assert 1 <= seconds <= 60
    assert "Too many login attempts" in refused.text
    assert f'<span id="retry-after">{seconds}</span>' in refused.text
    assert "cb_session" not in refused.cookies
    chinese = _log_in(tight, "alice", PASSWORD, lang="zh")
    assert chinese.status_code == 429
    assert "登录尝试次数过多" in chinese.text


def test_a_person_who_logs_in_often_is_not_refused(tight: TestClient) -> None:
    """A successful login starts the user name's count again: two wrong passwords then four
    logins pass the limit of three attempts a minute (the address's six are all used)."""
    for _ in range(2):
        assert _log_in(tight, "alice", "wrong password!").status_code == 401
    for _ in range(4):
        assert _log_in(tight, "alice", PASSWORD).status_code == 303


def test_the_login_page_limits_one_address_across_user_names(tight: TestClient) -> None:
    for _ in range(6):
        assert _log_in(tight, f"guess-{uuid.uuid4().hex[:6]}", "wrong password!").status_code == 401
    assert _log_in(tight, "alice", PASSWORD).status_code == 429


def test_a_refusal_is_a_429_problem_with_retry_after_for_the_api() -> None:
    app = FastAPI()
    problems.install(app)

    @app.get("/busy")
    def busy() -> None:
        raise TooManyRequests("too many login attempts for this user; try again in 42 s", retry_after=42)

    response = TestClient(app).get("/busy", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "42"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "too-many-requests"
    assert response.json()["title"] == "请求过于频繁"


def test_workers_sharing_redis_count_together() -> None:
    """With ``CARBONBRIDGE_THROTTLE_STORAGE=redis://...`` two processes' throttles (two workers)
    share one count. Needs the ``redis`` client package and a Redis at 127.0.0.1:6379."""
    pytest.importorskip("redis", reason="the redis client package (limits[redis]) is not installed")
    settings = Settings(throttle_storage="redis://127.0.0.1:6379", login_limit_per_user="2/minute")
    first, second = LoginThrottle.from_settings(settings), LoginThrottle.from_settings(settings)
    name = f"shared-{uuid.uuid4().hex}"
    first.attempt(name, "10.0.0.1")
    second.attempt(name, "10.0.0.2")
    with pytest.raises(TooManyRequests):
        first.attempt(name, "10.0.0.3")


def test_an_oversized_login_form_gets_a_page_not_json(tight: TestClient) -> None:
    """The login form is small: a body past 256 KiB is refused with the 413 page."""
    response = tight.post("/login?lang=en", data={"username": "alice", "password": "x" * 300_000})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "Request too large" in response.text
    assert '<span id="limit">256 KiB</span>' in response.text
