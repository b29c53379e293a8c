"""Logging out and being throttled, in headless Chromium."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.test_web import login

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def test_logging_out_ends_the_session_on_the_server(page: Any, server: str) -> None:
    """The cookie's token, replayed as a bearer token after logging out, is refused."""
    login(page, server, "hotel1")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "cb_session")
    me = page.request.get(f"{server}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["name"] == "hotel1"
    page.click("header form.inline button")
    page.wait_for_url(f"{server}/")
    assert page.locator("header a[href='/login']").is_visible()
    assert not [c for c in page.context.cookies() if c["name"] == "cb_session"]
    replayed = page.request.get(f"{server}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert replayed.status == 401
    assert replayed.json()["code"] == "unauthenticated"


def _attempt(page: Any, server: str, username: str, lang: str) -> None:
    page.goto(f"{server}/login?lang={lang}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")


def test_the_login_page_says_when_to_retry_after_too_many_attempts(page: Any, server: str) -> None:
    """Five wrong passwords for one user name a minute (the default), then a page that says how
    long to wait, in English and in Chinese, within a phone's width."""
    page.set_viewport_size({"width": 390, "height": 844})
    username = f"guess-{uuid.uuid4().hex[:8]}"
    for _ in range(5):
        _attempt(page, server, username, "en")
        page.wait_for_selector("#login-error")
    _attempt(page, server, username, "en")
    message = page.wait_for_selector("#login-throttled")
    seconds = int(page.locator("#retry-after").inner_text())
    assert 1 <= seconds <= 60
    assert message.inner_text().startswith("Too many login attempts. You can try again in")
    box = message.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 390  # the message wraps within a phone's width
    _attempt(page, server, username, "zh")
    assert page.wait_for_selector("#login-throttled").inner_text().startswith("登录尝试次数过多。请在")
