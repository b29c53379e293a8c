"""A developer checks a claim on the methodology page, in headless Chromium."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def test_ghana_claim_is_flagged_on_the_calculator_page(page: Any, server: str) -> None:
    page.goto(f"{server}/methodologies?lang=en")
    page.click("a[href='/methodologies/AMS-I.B']")
    assert '"route": "pumped_volume"' in page.locator("#parameters").input_value()
    claim = {
        "irrigated_area": {"value": "1", "unit": "mu"},
        "head_m": "30",
        "baseline": {"route": "diesel_litres", "diesel_litres": "597.8"},
    }
    page.fill("#parameters", json.dumps(claim))
    page.click("#calculate")
    page.wait_for_selector("#result")
    assert "597.8 L of diesel per mu-year" in page.locator("#flags").inner_text()
    assert page.locator("#lines tr").count() > 10
