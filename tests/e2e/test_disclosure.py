"""Issue 9 §4 in the browser: on a phone, in Chinese and English, the public regional page marks
the cement plant's process CO2 confidential and draws no chart point from it; the regulator, logged
in, sees the figure on the same page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from carbonbridge.kernel.display import shown
from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

PHONE = {"width": 390, "height": 844}
MARK = {"zh": "保密", "en": "confidential"}


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


@pytest.fixture(scope="module")
def ippu_co2_tonnes(browser: Any, server: str) -> dict[int, str]:
    """The regulator's IPCC 2 CO2 per year (the cement plant's process CO2), as the page prints it
    (the display rule, ``docs/display.md``)."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{server}/login")
    page.fill("input[name=username]", "office")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")
    body = page.request.get(f"{server}/api/v1/inventory/region").json()  # the session cookie
    context.close()
    assert body["disclosure"]["masked"] is False
    found = {}
    for year in body["years"]:
        ippu = next(s for s in year["ipcc"] if s["key"] == "2")
        found[year["year"]] = shown(Decimal(ippu["by_gas"]["CO2"]) / 1000)  # docs/display.md
    return found


def _ippu_row(page: Any, year: int) -> str:
    return str(page.locator(f"h2:text-is('{year}') + div table.ipcc tr[data-key='2']").inner_text())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_public_page_on_a_phone_marks_the_cement_plant_confidential(
    phone: Any, server: str, lang: str, ippu_co2_tonnes: dict[int, str]
) -> None:
    phone.goto(f"{server}/inventory/region?lang={lang}")
    phone.wait_for_selector("#chart-ipcc[data-ready='1']")
    text = phone.locator("main").inner_text()
    for year, tonnes in ippu_co2_tonnes.items():
        assert tonnes not in text
        assert MARK[lang] in _ippu_row(phone, year)
    assert phone.locator("#disclosure-note").is_visible()
    assert phone.locator("[data-confidential]").count() > 0
    # no chart point is drawn from a withheld figure: IPPU is a gap in every year
    series = json.loads(
        phone.evaluate(
            "JSON.stringify(echarts.getInstanceByDom(document.getElementById('chart-ipcc')).getOption().series)"
        )
    )
    ippu = next(
        s for s in series if s["name"] in ("Industrial processes and product use", "工业生产过程和产品使用")
    )
    assert ippu["data"] == [None, None, None]
    secrets = {round(float(t.replace(",", "")), 1) for t in ippu_co2_tonnes.values()}
    assert not any(round(v, 1) in secrets for s in series for v in s["data"] if v is not None)
    # the page's content fits the phone: wide tables scroll inside their own box
    assert phone.evaluate("document.querySelector('main').scrollWidth") <= PHONE["width"]


def test_regulator_sees_the_figure_on_the_same_page(
    phone: Any, server: str, ippu_co2_tonnes: dict[int, str]
) -> None:
    phone.goto(f"{server}/login")
    phone.fill("input[name=username]", "office")
    phone.fill("input[name=password]", PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_url(f"{server}/")
    phone.goto(f"{server}/inventory/region?lang=en")
    phone.wait_for_selector("#chart-ipcc[data-ready='1']")
    for year, tonnes in ippu_co2_tonnes.items():
        row = _ippu_row(phone, year)
        assert tonnes in row
        assert "confidential" not in row
    assert phone.locator("[data-withheld='threshold']").count() >= 3  # marked: the public does not see it
    assert "withheld from the public" in phone.locator("#disclosure-note").inner_text()
