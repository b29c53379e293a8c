"""The visitor's pages, zh and en: the trip form, its errors, the itemised bill and its receipt."""

from __future__ import annotations

import copy
import re
from typing import Any

from carbonbridge.tourism import service
from tests.tourism.conftest import HAINAN_TRIP, POOL_OPERATOR, PoolWorld


def test_form_creates_a_bill_and_shows_it(app_client: Any) -> None:
    form = {
        "start": "2025-03-01",
        "end": "2025-03-05",
        "origin": "PEK",
        "destination": "SYX",
        "nights": "4",
        "taxi_km": "30",
        "meals": "12",
        "diving": "1",
        "cabin": "economy",
        "taxi_fuel": "electric",
        "diet": "meat",
    }
    posted = app_client.post("/tourism?lang=en", data=form, follow_redirects=False)
    assert posted.status_code == 303
    page = app_client.get(posted.headers["location"] + "?lang=en")
    assert page.status_code == 200
    assert "PEK→SYX" in page.text
    assert re.search(r'id="bill-total-g">\d+<', page.text)


def test_form_errors_are_named_in_chinese(app_client: Any) -> None:
    form = {"start": "2025-03-05", "end": "2025-03-01", "nights": "2"}
    page = app_client.post("/tourism?lang=zh", data=form)
    assert page.status_code == 422
    assert "早于开始日期 2025-03-05" in page.text
    assert "行程无效" in page.text


def test_compensated_bill_shows_project_serials_and_claim(app_client: Any, pool_world: PoolWorld) -> None:
    w = pool_world
    service.retire_into_pool(w.sessions, POOL_OPERATOR, w.pool.id, w.project_id, w.vintage, 1)
    bill = service.create_bill(w.sessions, POOL_OPERATOR, copy.deepcopy(HAINAN_TRIP))
    service.compensate(w.sessions, POOL_OPERATOR, bill.id, w.pool.id, "P-1")
    zh = app_client.get(f"/tourism/bills/{bill.id}?lang=zh")
    en = app_client.get(f"/tourism/bills/{bill.id}?lang=en")
    assert "已中和" in zh.text
    assert "ISO 14068-1:2023" in zh.text
    assert w.project_id in en.text
    assert "compensated" in en.text


def test_unknown_bill_is_an_html_404(app_client: Any) -> None:
    page = app_client.get("/tourism/bills/bill_none", headers={"accept": "text/html"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
