"""Corrections in the browser at a phone's width (390 px), in Chinese and English: a reporter
replaces a submission from the upload form and sees the history; the regulator reopens a finalised
year with a written reason and the old statement stays, marked superseded (issue 9 §6)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from carbonbridge.accounting import service
from carbonbridge.accounting.model import Facility, Organisation, OrganisationKind
from carbonbridge.platform.app import create_app
from carbonbridge.platform.db import make_engine, session_factory, unit_of_work
from carbonbridge.platform.identity import Principal, Role, create_user
from carbonbridge.platform.migrate import upgrade
from carbonbridge.platform.settings import Settings
from tests.conftest import init_log_key
from tests.e2e.conftest import PASSWORD, _free_port
from tests.e2e.test_web import login

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

PHONE = {"width": 390, "height": 844}
HEADER = "facility_id,period_start,period_end,category,activity,quantity,unit,instrument,note\n"
TEXT = {
    "zh": {
        "replaced": "已被替换为",
        "replaces": "替换",
        "superseded": "已因重新开放而失效",
        "reopened": "主管部门已重新开放",
    },
    "en": {
        "replaced": "replaced by",
        "replaces": "replaces",
        "superseded": "superseded by a reopening",
        "reopened": "Reopened by the regulator",
    },
}
#: each language works on its own year, so the two runs do not meet
YEAR = {"zh": 2024, "en": 2023}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The platform with one hotel, its reporter and the carbon office (regulator)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("e2e-corrections"))
    engine = make_engine(settings.resolved_database_url())
    upgrade(engine)
    sessions = session_factory(engine)
    init_log_key(sessions, settings)  # as `carbonbridge migrate` does
    hotel = Organisation("e2e-hotel", "Seaside Hotel", "海滨酒店", OrganisationKind.HOTEL, "CN-HI")
    site = Facility("e2e-hq", hotel.id, "Main building", "CN-HI", "CN-GRID-SOUTH")
    service.register_organisation(sessions, Principal("setup", "setup", Role.ADMIN), hotel, [site])
    with unit_of_work(sessions) as session:
        create_user(
            session, username="e2erep", role=Role.REPORTER, organisation_id=hotel.id, password=PASSWORD
        )
        create_user(session, username="e2ereg", role=Role.REGULATOR, password=PASSWORD)
    srv = uvicorn.Server(
        uvicorn.Config(create_app(settings, engine), host="127.0.0.1", port=_free_port(), log_level="warning")
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{srv.config.port}"
    srv.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A new browser context at a phone's width for each person."""
    contexts: list[Any] = []

    def open_page(lang: str) -> Any:
        context = browser.new_context(locale="zh-CN" if lang == "zh" else "en-GB", viewport=PHONE)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def _fits(page: Any, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def _upload(page: Any, path: Path) -> None:
    page.set_input_files("#upload-form input[type=file]", str(path))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#upload-ok")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_reporter_replaces_a_submission_from_the_upload_form(
    phone: Any, server: str, tmp_path: Path, lang: str
) -> None:
    year = YEAR[lang]
    page = phone(lang)
    login(page, server, "e2erep")
    page.goto(f"{server}/organisations/e2e-hotel?lang={lang}&year={year}")
    first = tmp_path / "gas.csv"
    first.write_text(
        HEADER + f"e2e-hq,{year}-01-01,{year}-03-31,stationary_combustion,fuel.natural_gas,12500,Nm3,,\n",
        encoding="utf-8",
    )
    _upload(page, first)
    original = page.locator("#submissions tr.current").last.locator("td").first.inner_text()  # newest last

    page.click(f"#submission-{original} a.replace-link")
    page.wait_for_selector("#upload-form select[name=replaces]")
    assert page.locator("#upload-form select[name=replaces]").input_value() == original
    assert _fits(page, "#upload-form select[name=replaces]")
    assert _fits(page, "#upload-form button[type=submit]")
    fixed = tmp_path / "gas-fixed.csv"
    fixed.write_text(first.read_text(encoding="utf-8").replace("12500", "11800"), encoding="utf-8")
    _upload(page, fixed)

    replaced = page.locator(f"#submission-{original} .status").inner_text()
    assert TEXT[lang]["replaced"] in replaced
    current = page.locator("#submissions tr.current").last
    assert f"{TEXT[lang]['replaces']} {original}" in current.locator(".status").inner_text()
    page.goto(f"{server}/organisations/e2e-hotel?year={year}")
    assert "11800" in page.locator("#records").inner_text()
    assert "12500" not in page.locator("#records").inner_text()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_regulator_reopens_a_finalised_year_with_a_reason(
    phone: Any, server: str, tmp_path: Path, lang: str
) -> None:
    year = YEAR[lang]
    reporter = phone(lang)
    login(reporter, server, "e2erep")
    reporter.goto(f"{server}/organisations/e2e-hotel?lang={lang}&year={year}")
    heat = tmp_path / "heat.csv"
    heat.write_text(
        HEADER + f"e2e-hq,{year}-10-01,{year}-12-31,purchased_heat,heat.purchased,300,GJ,,\n",
        encoding="utf-8",
    )
    _upload(reporter, heat)
    reporter.goto(f"{server}/organisations/e2e-hotel?year={year}")
    reporter.click("#finalise-form button")
    reporter.wait_for_selector("#statements .statement-finalised")

    office = phone(lang)
    login(office, server, "e2ereg")
    office.goto(f"{server}/organisations/e2e-hotel?lang={lang}&year={year}")
    assert _fits(office, "#reopen-form textarea")
    assert _fits(office, "#reopen-form button")
    reason = "热量表读数有误 / heat meter misread"
    office.fill("#reopen-form textarea", reason)
    office.click("#reopen-form button")
    office.wait_for_selector("#reopenings .reopening")

    assert reason in office.locator("#reopenings").inner_text()
    assert TEXT[lang]["reopened"] in office.locator("#reopenings").inner_text()
    superseded = office.locator("#statements .statement-finalised.superseded")
    assert superseded.count() == 1
    assert TEXT[lang]["superseded"] in superseded.inner_text()
    assert office.locator("#reopen-form").count() == 0  # open now: nothing to reopen
    assert office.locator("#finalise-form").count() == 1  # a new finalisation is needed
