"""The destination's dashboard page and its CSV: the carbon office only, zh/en, bad input as an
HTML error page."""

from __future__ import annotations

import copy
import csv
import io
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.tourism import service
from tests.conftest import make_user
from tests.tourism.conftest import HAINAN_TRIP, POOL_OPERATOR, PoolWorld


def _office(sessions: sessionmaker[Session]) -> dict[str, str]:
    return make_user(sessions, "office", "regulator")


def test_dashboard_shows_the_compensated_trip(app_client: Any, pool_world: PoolWorld) -> None:
    w = pool_world
    service.retire_into_pool(w.sessions, POOL_OPERATOR, w.pool.id, w.project_id, w.vintage, 1)
    bill = service.create_bill(w.sessions, POOL_OPERATOR, copy.deepcopy(HAINAN_TRIP))
    service.compensate(w.sessions, POOL_OPERATOR, bill.id, w.pool.id, "P-1")
    page = app_client.get("/tourism/dashboard?lang=en", headers=_office(w.sessions))
    assert page.status_code == 200
    assert 'id="dash-share">100.0 %' in page.text or 'id="dash-share">100 %' in page.text
    assert 'id="dash-retired">1<' in page.text
    assert "Scarborough" in page.text  # the meals' source, next to their figure


def test_dashboard_in_chinese(app_client: Any, sessions: sessionmaker[Session]) -> None:
    page = app_client.get("/tourism/dashboard?lang=zh", headers=_office(sessions))
    assert "游客排放看板" in page.text
    assert 'id="dash-per-night">—' in page.text


def test_csv_has_one_row_per_figure(app_client: Any, pool_world: PoolWorld) -> None:
    w = pool_world
    service.create_bill(w.sessions, POOL_OPERATOR, copy.deepcopy(HAINAN_TRIP))
    got = app_client.get("/tourism/dashboard.csv?region=CN-HI", headers=_office(w.sessions))
    assert got.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(got.text)))
    total = next(r for r in rows if r["table"] == "total")
    items = [r for r in rows if r["table"] == "item"]
    assert int(total["grams_co2e"]) == sum(int(r["grams_co2e"]) for r in items)
    assert all(r["sources"] for r in items)


def test_dashboard_needs_the_office(app_client: Any, sessions: sessionmaker[Session]) -> None:
    reporter = make_user(sessions, "hotel", "verifier")
    assert app_client.get("/tourism/dashboard", headers=reporter).status_code == 403
    anonymous = app_client.get("/tourism/dashboard", headers={"accept": "text/html"})
    assert anonymous.status_code in (401, 303)


def test_bad_region_is_an_html_422(app_client: Any, sessions: sessionmaker[Session]) -> None:
    headers = {**_office(sessions), "accept": "text/html"}
    page = app_client.get("/tourism/dashboard?region=x%3Cscript%3E&lang=zh", headers=headers)
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
