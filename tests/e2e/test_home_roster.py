"""The home page and the organisations roster in headless Chromium, in Chinese and English, at a
phone's 390 px: no sideways scrolling of the page, and what each role may see."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def _login(page: Any, server: str, username: str) -> None:
    page.goto(f"{server}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")


def _page_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


@pytest.mark.parametrize(("lang", "status_heading"), [("zh", "报送情况"), ("en", "Reporting status")])
def test_the_public_home_fits_a_phone_and_names_no_organisation(
    phone: Any, server: str, lang: str, status_heading: str
) -> None:
    phone.goto(f"{server}/?lang={lang}")
    assert _page_width(phone) <= PHONE["width"]
    assert status_heading in phone.locator("#home-status h2").inner_text()
    assert int(phone.locator("#home-log-size").inner_text().replace(",", "")) > 0
    assert int(phone.locator("#home-issued").inner_text().replace(",", "")) > 0
    assert phone.locator("#home-roster").count() == 0
    assert "demo-org-0" not in phone.content()
    for href in ("/registry", "/registry/compliance", "/methodologies", "/transparency-log"):
        assert phone.locator(f'#home-sections a[href="{href}"]').count() == 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_regulators_home_lists_organisations_and_fits_a_phone(phone: Any, server: str, lang: str) -> None:
    _login(phone, server, "office")
    phone.goto(f"{server}/?lang={lang}")
    assert _page_width(phone) <= PHONE["width"]
    assert phone.locator("#home-roster tr").count() == 11  # header and the first ten organisations
    assert phone.locator("#home-ipcc-total").inner_text().replace(",", "").isdigit()


@pytest.mark.parametrize(("lang", "registered"), [("zh", "已登记单位"), ("en", "registered organisations")])
def test_the_roster_searches_and_pages_on_a_phone(
    phone: Any, server: str, lang: str, registered: str
) -> None:
    _login(phone, server, "office")
    phone.goto(f"{server}/organisations?lang={lang}")
    assert _page_width(phone) <= PHONE["width"]
    assert registered in phone.locator("#reporting-status").inner_text()
    assert phone.locator("#organisations tr").count() == 21  # header and a page of 20
    phone.click("#page-next")
    phone.wait_for_url("**page=2**")
    assert phone.locator("#organisations tr").count() == 21
    assert _page_width(phone) <= PHONE["width"]
    phone.fill("#roster-search input[name=q]", "demo-org-007")
    phone.click("#roster-search button")
    phone.wait_for_url("**q=demo-org-007**")
    rows = phone.locator("#organisations tr")
    assert rows.count() == 2
    assert "demo-org-007" in rows.nth(1).inner_text()


def test_a_reporter_sees_its_own_organisation_on_the_roster_and_home(phone: Any, server: str) -> None:
    _login(phone, server, "hotel1")
    phone.goto(f"{server}/organisations?lang=en")
    rows = phone.locator("#organisations tr")
    assert rows.count() == 2
    assert "demo-org-001" in rows.nth(1).inner_text()
    phone.goto(f"{server}/?lang=en")
    assert "Demo Bay Hotel 01" in phone.locator("#home-own").inner_text()
    assert _page_width(phone) <= PHONE["width"]
