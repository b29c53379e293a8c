"""The methodology pages: list, a calculator form prefilled with the example, results, zh/en."""

from __future__ import annotations

import json
from typing import Any


def test_list_page_in_both_languages(app_client: Any) -> None:
    zh = app_client.get("/methodologies?lang=zh")
    assert zh.status_code == 200
    assert "方法学" in zh.text
    assert "红树林营造" in zh.text
    en = app_client.get("/methodologies?lang=en")
    assert "Mangrove afforestation" in en.text
    assert "Methodologies" in en.text


def test_form_is_prefilled_with_the_example(app_client: Any) -> None:
    page = app_client.get("/methodologies/DR-AVOIDED?lang=en")
    assert page.status_code == 200
    assert "regulated_energy_mwh" in page.text
    assert 'id="calculate"' in page.text


def test_posting_parameters_shows_lines_and_flags(app_client: Any) -> None:
    params = {
        "irrigated_area": {"value": "1", "unit": "mu"},
        "head_m": "30",
        "baseline": {"route": "diesel_litres", "diesel_litres": "597.8"},
    }
    page = app_client.post("/methodologies/AMS-I.B?lang=en", data={"parameters": json.dumps(params)})
    assert page.status_code == 200
    assert 'id="lines"' in page.text
    assert "FC_BL × EF_diesel,L / 1000" in page.text
    assert "597.8 L of diesel per mu-year" in page.text
    zh = app_client.post("/methodologies/AMS-I.B?lang=zh", data={"parameters": json.dumps(params)})
    assert "不可信" in zh.text
    assert "基线排放" in zh.text


def test_bad_json_is_shown_not_raised(app_client: Any) -> None:
    page = app_client.post("/methodologies/AMS-III.C?lang=en", data={"parameters": "{not json"})
    assert page.status_code == 422
    assert 'id="error"' in page.text
    assert "Nothing was changed." in page.text


def test_unknown_methodology_page_is_404(app_client: Any) -> None:
    assert app_client.get("/methodologies/NOPE").status_code == 404


def test_bad_parameters_are_shown_in_the_pages_language(app_client: Any) -> None:
    """Each rejected parameter: its path, the value given, and why, in Chinese on a Chinese page."""
    params = {"regulated_energy_mwh": "-1", "grid_factor": {"value": "0.8"}}
    zh = app_client.post("/methodologies/DR-AVOIDED?lang=zh", data={"parameters": json.dumps(params)})
    assert zh.status_code == 422
    assert "DR-AVOIDED@0.1 的参数无效" in zh.text
    assert "regulated_energy_mwh" in zh.text
    assert "必须大于或等于 0 MWh" in zh.text
    assert "grid_factor.source" in zh.text
    assert "必填" in zh.text
    en = app_client.post("/methodologies/DR-AVOIDED?lang=en", data={"parameters": json.dumps(params)})
    assert "must be ≥ 0 MWh" in en.text
    assert "invalid parameters for DR-AVOIDED@0.1" in en.text
