"""The stateless calculation page in Chromium: a file spanning two years gives one inventory per
year, figures shown by the display rule, the framework's canonical name said, nothing stored."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

FILE = (
    "facility_id,period_start,period_end,category,activity,quantity,unit,instrument,note\n"
    "hq,2023-01-01,2023-12-31,purchased_electricity,electricity.grid,500,MWh,,\n"
    "hq,2024-01-01,2024-12-31,purchased_electricity,electricity.grid,1000,MWh,,\n"
    "hq,2024-01-01,2024-12-31,stationary_combustion,fuel.natural_gas,100000,Nm3,,\n"
)


def test_a_file_of_two_years_gives_two_inventories_on_the_page(
    page: Any, server: str, tmp_path: Path
) -> None:
    """2024 under cn-mee: 1,000 MWh x 0.5703 t/MWh + 216,218.8809 kg CO2 from 100,000 Nm3 natural
    gas (MEE guideline defaults) = 786,518.8809 kg, shown as 786.519 t (6 significant figures)."""
    path = tmp_path / "activity.csv"
    path.write_text(FILE, encoding="utf-8")
    page.goto(f"{server}/inventory/compute?lang=zh")
    assert page.locator("h1").inner_text() == "按文件核算排放清单"
    page.set_input_files("input[name=file]", str(path))
    page.select_option("select[name=framework]", "cn-mee")
    page.click("#compute-form button[type=submit]")
    page.wait_for_selector("section.computed")
    sections = page.locator("section.computed")
    assert sections.count() == 2
    assert [sections.nth(i).get_attribute("data-year") for i in range(2)] == ["2023", "2024"]
    total = sections.nth(1).locator("[data-total]")
    assert Decimal(total.get_attribute("data-total")) == Decimal("786518.8809")
    assert total.inner_text() == "786.519"
    assert page.locator("#compute-framework").get_attribute("data-framework") == "cn-mee"
