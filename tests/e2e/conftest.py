"""Browser tests: the real app served by uvicorn on a free port, driven by Debian's chromium through
Playwright (``/usr/bin/chromium``; Playwright's own browser download is never used)."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from rich.console import Console

from carbonbridge.demo.service.load import load_demo_if_empty
from carbonbridge.platform.app import create_app
from carbonbridge.platform.db import make_engine, session_factory, unit_of_work
from carbonbridge.platform.identity import Role, create_user
from carbonbridge.platform.migrate import upgrade
from carbonbridge.platform.settings import Settings
from tests.conftest import init_log_key

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "demo-password-123"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The platform with the demo region and a reporter and regulator who can log in."""
    data = tmp_path_factory.mktemp("e2e")
    # every test's browser logs in from 127.0.0.1: the per-address login limit would count them all
    settings = Settings(data_dir=data, login_limit_per_address="1000/minute")
    engine = make_engine(settings.resolved_database_url())
    upgrade(engine)
    sessions = session_factory(engine)
    init_log_key(sessions, settings)  # as `carbonbridge serve` does before the demo loads
    load_demo_if_empty(sessions, Console(quiet=True))
    with unit_of_work(sessions) as session:
        create_user(
            session, username="hotel1", role=Role.REPORTER, organisation_id="demo-org-001", password=PASSWORD
        )
        create_user(session, username="office", role=Role.REGULATOR, password=PASSWORD)
    port = _free_port()
    config = uvicorn.Config(create_app(settings, engine), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()
