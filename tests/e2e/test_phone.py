"""Every page fits a phone (390 × 844 CSS px) in Chinese and English, for a visitor and for
signed-in users, in headless Chromium (issue 10 §4): nothing makes the page scroll sideways
(wide tables and receipts scroll or wrap inside their own box) and the key pages still show their
charts and tables on the screen. No screenshot is saved."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

PHONE = {"width": 390, "height": 844}

PUBLIC = (
    "/",
    "/inventory/region",
    "/factors",
    "/factors?q=natural_gas",
    "/methodologies",
    "/registry",
    "/registry/retirements",
    "/transparency-log",
    "/transparency-log?page=2",
    "/transparency-log/entries/1",
    "/login",
)
#: pages a signed-in user sees: the regulator (every organisation, the review and export queues)
#: and a reporter (its organisation, its registry account and compliance)
SIGNED_IN = {
    "office": (
        "/organisations",
        "/organisations/demo-org-001",
        "/organisations/demo-org-001?year=2024",
        "/registry/review",
        "/registry/exports",
        "/registry/compliance",
    ),
    "hotel1": (
        "/organisations",
        "/organisations/demo-org-001",
        "/organisations/demo-org-001?year=2024",
        "/registry/account",
        "/registry/compliance",
    ),
}

#: what every key page must show on the phone's screen: (page, selector)
KEY_CONTENT = (
    ("/inventory/region", "#chart-ipcc[data-ready='1'] canvas"),
    ("/registry", "#registry-map[data-ready='1'] canvas"),
    ("/registry", "#projects"),
    ("/transparency-log", "#entries"),
    ("/factors", "#datasets"),
)


def _phone(browser: Any, server: str, lang: str, user: str | None) -> Any:
    context = browser.new_context(viewport=PHONE, locale="zh-CN" if lang == "zh" else "en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    if user:
        page.goto(f"{server}/login?lang={lang}")
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server}/")
    return page


def _too_wide(page: Any, server: str, paths: tuple[str, ...], lang: str) -> list[tuple[str, int]]:
    wide = []
    for path in paths:
        response = page.goto(f"{server}{path}{'&' if '?' in path else '?'}lang={lang}")
        assert response is not None
        assert response.status == 200, path
        page.wait_for_load_state("load")
        width = int(page.evaluate("document.documentElement.scrollWidth"))
        if width > PHONE["width"]:
            wide.append((path, width))
    return wide


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_public_pages_fit_a_phone(browser: Any, server: str, lang: str) -> None:
    page = _phone(browser, server, lang, None)
    project = page.goto(f"{server}/registry?lang={lang}")
    assert project is not None
    first_project = page.locator("#projects a[href^='/registry/projects/']").first.get_attribute("href")
    wide = _too_wide(page, server, (*PUBLIC, first_project), lang)
    page.context.close()
    assert wide == []


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("user", ["office", "hotel1"])
def test_signed_in_pages_fit_a_phone(browser: Any, server: str, lang: str, user: str) -> None:
    page = _phone(browser, server, lang, user)
    wide = _too_wide(page, server, SIGNED_IN[user], lang)
    page.context.close()
    assert wide == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_key_pages_show_their_charts_and_tables_on_a_phone(browser: Any, server: str, lang: str) -> None:
    page = _phone(browser, server, lang, None)
    hidden = []
    for path, selector in KEY_CONTENT:
        page.goto(f"{server}{path}?lang={lang}")
        shown = page.locator(selector).first
        shown.wait_for(state="visible")
        box = shown.bounding_box()
        on_screen = box is not None and box["x"] + box["width"] <= PHONE["width"]
        if box is None or not on_screen or box["width"] < 200 or box["height"] < 50:
            hidden.append((path, selector, box))
    page.context.close()
    assert hidden == []
