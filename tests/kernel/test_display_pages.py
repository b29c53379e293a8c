"""The display rule on the pages (``docs/display.md``, ``kernel/display.py``): every figure a web page
shows goes through the ``shown`` filter, and the pages render what :func:`shown` gives for the
figure the API returns with every digit.

The calculator's ``999.99999999999999999999999995 L/mu`` of issue 10 §1 is reproduced through the
methodology page. Accounting figures cannot carry that many digits (a record's masses are rounded to
1 mg, ``docs/accounting.md``), so those pages are checked with a total of more than six significant
figures, read back from the API.
"""

from __future__ import annotations

import html
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jinja2 import nodes

from carbonbridge.kernel.display import shown
from carbonbridge.platform.web import make_environment
from tests.accounting.test_api import HEADER, ROWS, _upload
from tests.accounting.test_api import actors as actors  # the fixture, reused

SRC = Path(__file__).resolve().parents[2] / "src" / "carbonbridge"
TEMPLATES = sorted(SRC.rglob("templates/*.html"))

#: filters that format a number some other way than the display rule
NUMBER_FORMATS = frozenset({"num", "round", "format", "float", "int", "filesizeformat"})


def _filters(path: Path) -> set[str]:
    environment = make_environment()
    environment.filters.setdefault("tr", str)  # installed per language by ``platform.web``
    tree = environment.parse(path.read_text("utf-8"))
    return {f.name for f in tree.find_all(nodes.Filter)}


def test_no_template_formats_a_number_but_through_the_display_rule() -> None:
    assert len(TEMPLATES) >= 30
    found = sorted(f"{p.relative_to(SRC)}: |{n}" for p in TEMPLATES for n in _filters(p) & NUMBER_FORMATS)
    assert found == []
    assert "num" not in make_environment().filters


def test_the_scan_sees_a_number_format(tmp_path: Path) -> None:
    """Not vacuous: the old filter, written any way, is found."""
    page = tmp_path / "page.html"
    page.write_text('{{ x |num(3) }} {{ "%+.3f"|format(y|float) }} {{ z | shown("count") }}', "utf-8")
    assert _filters(page) == {"num", "format", "float", "shown"}


def _cell(text: str, symbol: str) -> str:
    row = re.search(rf"<tr><td>{re.escape(symbol)}</td><td>[^<]*</td><td class=\"num\">([^<]*)</td>", text)
    assert row, symbol
    return row.group(1)


def test_the_calculator_page_shows_the_issue_s_figure_to_six_significant_figures(app_client: Any) -> None:
    """3 mu and 3,000 L of diesel: 1,000 L/mu, which the calculation carries as
    999.99999999999999999999999995 (the mu is 10,000/15 m²)."""
    params = {
        "irrigated_area": {"value": "3", "unit": "mu"},
        "head_m": "30",
        "baseline": {"route": "diesel_litres", "diesel_litres": "3000"},
    }
    api = app_client.post("/api/v1/methodologies/AMS-I.B/calculate", json=params)
    assert api.status_code == 200, api.text
    lines = {ln["name"]: Decimal(ln["value"]) for ln in api.json()["lines"]}
    assert lines["diesel_per_mu"] == Decimal("999.99999999999999999999999995")
    page = app_client.post("/methodologies/AMS-I.B?lang=en", data={"parameters": json.dumps(params)})
    assert page.status_code == 200
    assert _cell(page.text, "diesel_per_mu") == "1,000"
    assert _cell(page.text, "diesel_per_ha") == "15,000"
    for name, value in lines.items():
        assert _cell(html.unescape(page.text), name) == shown(value), name
    assert "999.9999" not in page.text


@pytest.fixture
def uploaded(app_client: Any, actors: dict[str, Any]) -> dict[str, Any]:
    """hotel-a's 2024 records (electricity, 100,000 Nm³ of natural gas, R-410A) and the API's
    inventory of them, every digit."""
    assert _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS).status_code == 201
    inventory = app_client.get(
        "/api/v1/organisations/hotel-a/inventory?year=2024&gwp=AR6", headers=actors["regulator"]
    )
    assert inventory.status_code == 200, inventory.text
    return dict(inventory.json())


def _tonnes(kg: str) -> str:
    return shown(Decimal(kg) / 1000)


def test_the_inventory_page_shows_each_view_and_reconciliation_by_the_rule(
    app_client: Any, actors: dict[str, Any], uploaded: dict[str, Any]
) -> None:
    page = app_client.get("/organisations/hotel-a?year=2024&gwp=AR6&lang=en", headers=actors["regulator"])
    assert page.status_code == 200
    tables = dict(re.findall(r'<table class="view" id="view-([\w-]+)">(.*?)</table>', page.text, re.S))
    assert len(tables) == len(uploaded["views"]) == 3
    for view in uploaded["views"].values():
        framework, total = view["framework"], view["total_co2e_kg"]
        assert len(Decimal(total).normalize().as_tuple().digits) > 6, total  # rounding is visible
        cell = re.search(r'data-total="[^"]*">([^<]*)</th>', tables[framework])
        assert cell, framework
        assert cell.group(1) == _tonnes(total), framework
        for line in view["lines"]:
            for gas, kg in line["by_gas"].items():  # e.g. CH4 0.543087 t, not 0.543
                assert f"{gas} {_tonnes(kg)}" in tables[framework], (framework, line["key"], gas)
    reconciliation = re.search(r'<table class="reconciliation"[^>]*>(.*?)</table>', page.text, re.S)
    assert reconciliation
    assert _tonnes(uploaded["views"]["ghgp"]["total_co2e_kg"]) in reconciliation.group(1)
    # no figure on the page is printed with more than 6 significant figures after the point
    assert re.findall(r'class="num">-?\+?[\d,]*\.\d{7,}<', page.text) == []


def test_the_organisations_home_and_region_pages_show_totals_by_the_rule(
    app_client: Any, actors: dict[str, Any], uploaded: dict[str, Any]
) -> None:
    ghgp = _tonnes(uploaded["views"]["ghgp"]["total_co2e_kg"])
    roster = app_client.get("/organisations?year=2024&gwp=AR6&lang=en", headers=actors["regulator"])
    assert roster.status_code == 200
    assert f'<td class="num">{ghgp}</td>' in roster.text
    home = app_client.get("/?lang=en", headers=actors["regulator"])
    assert f'<td class="num">{_tonnes(uploaded["views"]["ghgp"]["total_co2e_kg"])}</td>' in home.text
    region = app_client.get("/api/v1/inventory/region?gwp=AR6", headers=actors["regulator"])
    year = next(y for y in region.json()["years"] if y["year"] == 2024)
    page = app_client.get("/inventory/region?gwp=AR6&lang=en", headers=actors["regulator"])
    assert page.status_code == 200
    row = re.search(r"<tr><td>2024</td><td class=\"num\">([^<]*)<", page.text)
    assert row
    assert row.group(1) == _tonnes(year["ipcc_total_kg"])
    assert "(50.0 %)" in page.text  # one of two registered organisations reports: a percent, 1 place
