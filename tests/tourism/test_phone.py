"""The tourism pages on a phone (390 × 844 CSS px), zh and en, in headless Chromium: the
certificate, its verification page and the destination's dashboard never scroll sideways, and
the dashboard draws its charts (the pattern of ``tests/e2e/test_phone.py``)."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import Engine

from carbonbridge.platform.app import create_app
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Role, create_user
from carbonbridge.platform.settings import Settings
from carbonbridge.tourism import service
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD, _free_port
from tests.tourism.conftest import HAINAN_TRIP, POOL_OPERATOR, PoolWorld

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def served(engine: Engine, pool_world: PoolWorld, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The app on the pool world's database with one compensated Hainan trip: (url, bill id)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("one backend is enough for page layout")
    w = pool_world
    service.retire_into_pool(w.sessions, POOL_OPERATOR, w.pool.id, w.project_id, w.vintage, 1)
    bill = service.create_bill(w.sessions, POOL_OPERATOR, copy.deepcopy(HAINAN_TRIP))
    service.compensate(w.sessions, POOL_OPERATOR, bill.id, w.pool.id, "P-1")
    with unit_of_work(w.sessions) as session:
        create_user(session, username="office", role=Role.REGULATOR, password=PASSWORD)
    settings = Settings(data_dir=tmp_path, login_limit_per_address="1000/minute")
    srv = uvicorn.Server(uvicorn.Config(create_app(settings, engine), host="127.0.0.1", port=_free_port()))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:  # wait on the condition, bounded
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{srv.config.port}", bill.id
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_tourism_pages_fit_a_phone(chromium: Any, served: tuple[str, str], lang: str) -> None:
    url, bill_id = served
    context = chromium.new_context(viewport=PHONE, locale="zh-CN" if lang == "zh" else "en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{url}/login?lang={lang}")
    page.fill("input[name=username]", "office")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    wide = []
    for path in (
        f"/tourism/bills/{bill_id}",
        f"/tourism/certificates/{bill_id}",
        f"/tourism/certificates/{bill_id}/verify",
        "/tourism/dashboard",
    ):
        response = page.goto(f"{url}{path}?lang={lang}")
        assert response is not None
        assert response.status == 200, path
        page.wait_for_load_state("load")
        width = int(page.evaluate("document.documentElement.scrollWidth"))
        if width > PHONE["width"]:
            wide.append((path, width))
    page.locator("#dash-trend[data-ready='1'] canvas").first.wait_for(state="visible")
    box = page.locator("#dash-trend").bounding_box()
    context.close()
    assert wide == []
    assert box is not None
    assert box["x"] + box["width"] <= PHONE["width"]
