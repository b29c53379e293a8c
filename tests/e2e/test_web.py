"""A person's path through the web pages, in headless Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def login(page: Any, server: str, username: str) -> None:
    page.goto(f"{server}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")


def test_home_switches_between_chinese_and_english(page: Any, server: str) -> None:
    page.goto(server)
    assert page.locator("h1").inner_text() == "碳管理数字平台"
    page.click("#lang-en")
    assert page.locator("h1").inner_text() == "Carbon management platform"
    page.goto(f"{server}/factors")  # the choice sticks (cookie)
    assert page.locator("h1").inner_text() == "Emission factors"


def test_regional_dashboard_draws_charts_and_intensities(page: Any, server: str) -> None:
    page.goto(f"{server}/inventory/region?lang=en")
    page.wait_for_selector("#chart-ipcc[data-ready='1']")
    assert page.locator("#chart-ipcc canvas").count() == 1
    assert page.locator("#synthetic").is_visible()
    rows = page.locator("#region-table tr")
    assert rows.count() == 4  # header + 2023, 2024, 2025
    assert "2025" in rows.nth(3).inner_text()


def test_reporter_uploads_a_file_and_sees_the_inventory(page: Any, server: str, tmp_path: Path) -> None:
    login(page, server, "hotel1")
    page.goto(f"{server}/organisations?lang=en")
    page.click("#organisations a")
    page.wait_for_selector("#view-ghg_protocol")
    before = page.locator("#view-ghg_protocol [data-total]").get_attribute("data-total")
    upload = tmp_path / "refrigerant-2025.csv"
    upload.write_text(
        "facility_id,period_start,period_end,category,activity,quantity,unit,instrument,note\n"
        "demo-org-001-f1,2025-12-01,2025-12-31,refrigerant,refrigerant.HFC-134a,3.5,kg,,e2e top-up\n",
        encoding="utf-8",
    )
    page.set_input_files("#upload-form input[type=file]", str(upload))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#upload-ok")
    assert "1" in page.locator("#upload-ok").inner_text()
    receipt = page.request.get(server + page.locator("#receipt-link").get_attribute("href"))
    assert receipt.ok
    assert receipt.text().startswith("c2sp.org/tlog-proof@v1")
    after = page.locator("#view-ghg_protocol [data-total]").get_attribute("data-total")
    assert before is not None
    assert after is not None
    # 3.5 kg HFC-134a x 1530 (AR6) = 5,355 kg CO2e more than before
    from decimal import Decimal

    assert Decimal(after) - Decimal(before) == Decimal("5355")


def test_a_bad_upload_shows_each_problem_and_stores_nothing(page: Any, server: str, tmp_path: Path) -> None:
    login(page, server, "hotel1")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "facility_id,period_start,period_end,category,activity,quantity,unit,instrument,note\n"
        "demo-org-001-f1,2025-11-01,2025-11-30,refrigerant,refrigerant.HFC-134a,-1,kg,,\n",
        encoding="utf-8",
    )
    page.goto(f"{server}/organisations/demo-org-001?lang=en")
    page.set_input_files("#upload-form input[type=file]", str(bad))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#upload-issues")
    assert "quantity" in page.locator("#upload-issues").inner_text()


def test_explain_shows_factor_source_and_rule(page: Any, server: str) -> None:
    login(page, server, "office")
    page.goto(f"{server}/organisations/demo-org-001?lang=en&year=2024")
    page.locator("#records a", has_text="explain").first.click()
    page.wait_for_selector("section.basis")
    text = page.locator("main").inner_text()
    assert "rule" in text.lower() or "region=" in text
    assert "@" in text  # dataset@version keys


def test_reporter_cannot_open_another_organisation(page: Any, server: str) -> None:
    login(page, server, "hotel1")
    response = page.goto(f"{server}/organisations/demo-org-002")
    assert response.status == 403


def test_reporter_finalises_and_anyone_can_verify_the_receipt(page: Any, server: str) -> None:
    login(page, server, "hotel1")
    page.goto(f"{server}/organisations/demo-org-001?lang=en&year=2024")
    page.click("#finalise-form button")
    page.wait_for_selector("#statements .statement-finalised")
    page.click("#statements .statement-finalised a.verify-link")
    page.wait_for_selector("#verify-ok")
    assert page.locator("#receipt").inner_text().startswith("c2sp.org/tlog-proof@v1")
    page.goto(f"{server}/organisations/demo-org-001?lang=en&year=2024")
    assert page.locator("#finalise-form").count() == 0  # finalised once


def test_transparency_log_page_shows_key_and_checkpoint(page: Any, server: str) -> None:
    page.goto(f"{server}/transparency-log?lang=en")
    assert "carbonbridge.local/" in page.locator("#vkey").inner_text()
    assert page.locator("#checkpoint").inner_text().startswith("carbonbridge.local/")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_public_pages_fit_a_phone_without_sideways_scrolling(browser: Any, server: str, lang: str) -> None:
    """At a phone's 390 px the header's navigation wraps instead of widening the page (it did
    not in English: the links ran past the screen on every page)."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    wide = []
    for path in (
        "/",
        "/inventory/region",
        "/factors",
        "/methodologies",
        "/registry",
        "/transparency-log",
        "/login",
    ):
        page.goto(f"{server}{path}?lang={lang}")
        width = page.evaluate("document.querySelector('header.top').scrollWidth")
        if width > 390:
            wide.append((path, width))
    context.close()
    assert wide == []
