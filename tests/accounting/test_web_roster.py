"""The organisations page (the roster) and the year selector of an organisation's page, through
the real app: server-side search and paging, stages and totals, a year without data or out of range."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.accounting.test_api import HEADER, ROWS, _upload
from tests.accounting.test_api import actors as actors  # the fixture, reused
from tests.conftest import make_user

BROWSER = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}


def _ids(html: str) -> list[str]:
    return re.findall(r'<a href="/organisations/([\w-]+)\?year=', html)


@pytest.fixture
def uploaded(app_client: Any, actors: dict[str, Any]) -> dict[str, Any]:
    assert _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS).status_code == 201
    return actors


def test_the_regulator_sees_stage_and_totals_of_every_organisation(app_client: Any, uploaded: Any) -> None:
    page = app_client.get("/organisations?lang=en", headers=uploaded["regulator"] | BROWSER)
    assert page.status_code == 200
    assert _ids(page.text) == ["hotel-a", "hotel-b"]
    assert re.search(r'<tr class="stage-reported">.*?hotel-a', page.text, re.S)
    assert re.search(r'<tr class="stage-not_reported">.*?hotel-b', page.text, re.S)
    assert 'id="roster-year">2024<' in page.text
    assert 'id="count-reported">1<' in page.text
    zh = app_client.get("/organisations?lang=zh", headers=uploaded["regulator"] | BROWSER).text
    assert "报送进度" in zh
    assert "已报告" in zh


def test_search_and_paging_run_on_the_server(
    app_client: Any, uploaded: Any, sessions: sessionmaker[Session]
) -> None:
    found = app_client.get("/organisations?q=%E4%B9%99&lang=en", headers=uploaded["verifier"] | BROWSER)
    assert _ids(found.text) == ["hotel-b"]
    assert 'value="乙"' in found.text
    past = app_client.get("/organisations?page=2&lang=en", headers=uploaded["regulator"] | BROWSER)
    assert past.status_code == 422
    assert past.headers["content-type"].startswith("text/html")
    assert "the last page is 1" in past.text


def test_a_reporter_sees_only_its_own_and_the_public_is_sent_to_log_in(
    app_client: Any, uploaded: Any
) -> None:
    assert _ids(app_client.get("/organisations", headers=uploaded["other"] | BROWSER).text) == ["hotel-b"]
    anonymous = app_client.get("/organisations", headers=BROWSER, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login")


def test_a_year_without_data_is_in_the_selector_and_said(app_client: Any, uploaded: Any) -> None:
    """A year asked for outside the years with data is the selected option (not a silent other
    year), and the page says there is no data for it."""
    for url in ("/organisations?year=1999&lang=en", "/organisations/hotel-a?year=1999&lang=en"):
        page = app_client.get(url, headers=uploaded["regulator"] | BROWSER)
        assert page.status_code == 200
        assert re.findall(r"<option selected>(\d+)</option>", page.text)[0] == "1999"
        assert 'id="no-data-year"' in page.text


def test_a_year_out_of_range_is_a_422_page(app_client: Any, uploaded: Any) -> None:
    for url in ("/organisations?year=1800", "/organisations/hotel-a?year=1800"):
        page = app_client.get(url + "&lang=en", headers=uploaded["regulator"] | BROWSER)
        assert page.status_code == 422
        assert page.headers["content-type"].startswith("text/html")
        assert "1990" in page.text


def test_the_regulator_uploads_through_the_page(app_client: Any, sessions: sessionmaker[Session]) -> None:
    regulator = make_user(sessions, "office", "regulator")
    org = {
        "id": "hotel-c",
        "name_en": "Hotel C",
        "name_zh": "丙酒店",
        "kind": "hotel",
        "region": "CN-HI",
        "facilities": [{"id": "hq", "name": "Main", "region": "CN-HI", "grid_region": "CN-GRID-SOUTH"}],
    }
    assert app_client.post("/api/v1/organisations", json=org, headers=regulator).status_code == 201
    files = {"file": ("a.csv", (HEADER + ROWS).encode(), "text/csv")}
    done = app_client.post(
        "/organisations/hotel-c/upload", files=files, headers=regulator | BROWSER, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    assert "uploaded=4" in done.headers["location"]
