"""The public registry pages in headless Chromium (issue 4): a visitor searches a serial from the
registry home, sees the retirement it belongs to, follows the project link and sees the project's
map point drawn by ECharts. The server runs the demo region, whose three synthetic credit projects
have Hainan map points (``carbonbridge.demo.service.credits``)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def test_visitor_searches_a_serial_and_sees_the_project_map_point(page: Any, server: str) -> None:
    page.goto(f"{server}/registry?lang=en")
    page.wait_for_selector("#registry-map[data-ready='1'] canvas")
    page.fill("#serial-q", "CB-CN-HI-MG001-2024-1-50")
    page.click("#serial-submit")
    page.wait_for_selector("#serial-result")
    assert "/registry/serials?q=CB-CN-HI-MG001-2024-1-50" in page.url
    row = page.locator("tr.serial-part").first
    assert "CB-CN-HI-MG001-2024-1-50" in row.inner_text()
    assert "retired" in row.inner_text()
    assert "Demo Bay Hotel 01 guests [SYNTHETIC]" in row.locator(".beneficiary").inner_text()
    assert page.locator("tr.serial-part").count() == 1

    page.click("#serial-project")
    page.wait_for_selector("#project-map[data-ready='1'] canvas")
    assert page.locator("#location .coordinates").inner_text() == "19.95° N, 110.58° E"
    box = page.locator("#project-map canvas").first.bounding_box()
    assert box is not None
    assert box["width"] > 100
    assert box["height"] > 100
    href = page.locator("#osm-link").get_attribute("href")
    assert href == "https://www.openstreetmap.org/?mlat=19.95&mlon=110.58#map=12/19.95/110.58"


def test_malformed_serial_from_the_form_says_why(page: Any, server: str) -> None:
    page.goto(f"{server}/registry?lang=zh")
    page.fill("#serial-q", "CB-CN-HI-MG001")
    page.click("#serial-submit")
    page.wait_for_selector("#error")
    assert "输入无效" in page.locator("#error").inner_text()
    assert "格式应为" in page.locator("#error .reason").inner_text()
