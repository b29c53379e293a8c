"""One reason on every surface for a record no factor serves in its year (issue 10 §1): upload
validation, the stateless compute, ``inventory compute``, ``factors resolve`` (CLI and API) and a
stored record's "not computable" entry (API and web) all give the resolver's own words, built by
``factors.reasons``. And the region's year policy reaches every surface from the installation's
setting (``CARBONBRIDGE_FACTOR_YEAR_POLICY``)."""

from __future__ import annotations

import html
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import store
from carbonbridge.accounting.model import ActivityCategory, ActivityRecord
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.settings import get_settings
from tests.accounting.test_api import HEADER, _upload
from tests.accounting.test_api import actors as actors

SETS = {
    2023: "desnz-ghg-conversion-factors@2023",
    2024: "desnz-ghg-conversion-factors@2024-v1.1",
    2025: "desnz-ghg-conversion-factors@2025-v1.0",
}
#: why a 2022 hotel night has no factor: DESNZ sets ship from 2023 and a later set is never used
LATER = " | ".join(f"published for a later year ({y} > 2022) ({ref}#hotel-CN)" for y, ref in SETS.items())
CAUSE_2022 = f"candidates rejected: {LATER}"
#: why a 2026 hotel night has none under the strict policy (the 2025 set names its own year)
CAUSE_2026 = "candidates rejected: " + " | ".join(
    f"prescribed for reporting years {y}, not 2026; the region's year policy is strict "
    f"(nearest-earlier would use it) ({ref}#hotel-CN)"
    for y, ref in SETS.items()
)
HOTEL_2022 = "hq,2022-03-01,2022-03-31,business_travel,hotel.CN,10,room_night,,\n"


def _flat(text: str) -> str:
    """Output without line wrapping or HTML escapes, to compare a sentence."""
    return " ".join(html.unescape(text).split())


@pytest.fixture
def policy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set the installation's year policy for the test (the settings are read once per process)."""

    def choose(value: str) -> None:
        monkeypatch.setenv("CARBONBRIDGE_FACTOR_YEAR_POLICY", value)
        get_settings.cache_clear()

    yield choose
    monkeypatch.delenv("CARBONBRIDGE_FACTOR_YEAR_POLICY", raising=False)
    get_settings.cache_clear()


def test_upload_validation_gives_the_resolver_reason(app_client: Any, actors: dict[str, Any]) -> None:
    response = _upload(app_client, actors["reporter"], "hotel-a", HEADER + HOTEL_2022)
    assert response.status_code == 422, response.text
    [issue] = response.json()["issues"]
    assert issue["location"] == ["rows", 2, "activity"]
    prefix = (
        "cannot be computed: no eligible factor: ef factor for activity hotel.CN, region CN-HI, year 2022"
    )
    assert issue["reason"].startswith(prefix)
    assert issue["reason"].endswith(CAUSE_2022)


def test_stateless_compute_gives_the_resolver_reason(app_client: Any) -> None:
    row = {
        "facility_id": "f",
        "period_start": "2022-03-01",
        "period_end": "2022-03-31",
        "category": "business_travel",
        "activity": "hotel.CN",
        "quantity": "10",
        "unit": "room_night",
    }
    facilities = [{"id": "f", "name": "f", "region": "CN-HI", "grid_region": "CN-GRID-SOUTH"}]
    response = app_client.post("/api/v1/inventory/compute", json={"facilities": facilities, "rows": [row]})
    assert response.status_code == 422, response.text
    assert response.json()["issues"][0]["reason"].endswith(CAUSE_2022)


def test_factors_resolve_api_gives_the_same_reason(app_client: Any) -> None:
    response = app_client.get(
        "/api/v1/factors/resolve", params={"parameter": "ef", "activity": "hotel.CN", "year": 2022}
    )
    assert response.status_code == 404, response.text
    assert response.json()["detail"].endswith(CAUSE_2022)


def test_cli_inventory_compute_and_factors_resolve_give_the_same_reason(tmp_path: Path) -> None:
    """Through the installed command, as a user runs it: one error line, exit status non-zero."""
    path = tmp_path / "hotel.csv"
    path.write_text(HEADER + HOTEL_2022, encoding="utf-8")

    computed = _run("inventory", "compute", str(path))
    resolved = _run("factors", "resolve", "hotel.CN", "--year", "2022")

    for result in (computed, resolved):
        assert result.returncode != 0
        assert CAUSE_2022 in _flat(result.stderr)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CARBONBRIDGE_FACTOR_YEAR_POLICY"}
    return subprocess.run(
        [sys.executable, "-m", "carbonbridge.platform.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "COLUMNS": "200"},
        check=False,
    )


def _store_2026_hotel_night(sessions: sessionmaker[Session]) -> None:
    """A 2026 record stored while the region's policy was nearest-earlier (intake accepted it)."""
    record = ActivityRecord(
        "act_2026",
        "hotel-a",
        "hq",
        date(2026, 3, 1),
        date(2026, 3, 31),
        ActivityCategory.BUSINESS_TRAVEL,
        "hotel.CN",
        Decimal(10),
        "room_night",
        "CN-HI",
    )
    with unit_of_work(sessions) as session:
        store.add_submission(
            session,
            submission_id="sub_2026",
            organisation_id="hotel-a",
            filename="2026.csv",
            sha256="1" * 64,
            records=[record],
            submitted_by="",
            at=datetime(2026, 4, 1, tzinfo=UTC),
        )


def test_the_policy_decides_a_stored_record_and_every_view_says_why(
    app_client: Any, actors: dict[str, Any], sessions: sessionmaker[Session], policy: Any
) -> None:
    """Under nearest-earlier a 2026 night is 10 x 53.5 = 535 kg (the 2025 set, noted); back to
    strict, the same stored record is listed as not computable with the resolver's reason, in
    the API and on the page."""
    _store_2026_hotel_night(sessions)
    url = "/api/v1/organisations/hotel-a/inventory?year=2026"

    policy("nearest-earlier")
    lenient = app_client.get(url, headers=actors["reporter"])
    assert lenient.status_code == 200, lenient.text
    assert lenient.json()["not_computable"] == []
    explained = app_client.get("/api/v1/records/act_2026/explain", headers=actors["reporter"])
    assert explained.status_code == 200, explained.text
    assert "used instead: the region's year policy is nearest-earlier" in explained.text

    policy("strict")
    strict = app_client.get(url, headers=actors["reporter"])
    assert strict.status_code == 200, strict.text
    [listed] = strict.json()["not_computable"]
    assert listed["reason"].endswith(CAUSE_2026)
    page = app_client.get("/organisations/hotel-a?year=2026&lang=en", headers=actors["reporter"])
    assert page.status_code == 200, page.text
    assert CAUSE_2026 in _flat(page.text)


def test_factors_resolve_api_shows_the_fallback_under_nearest_earlier(app_client: Any, policy: Any) -> None:
    policy("nearest-earlier")
    response = app_client.get(
        "/api/v1/factors/resolve", params={"parameter": "ef", "activity": "hotel.CN", "year": 2026}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert Decimal(body["factor"]["value"]) == Decimal("53.5")
    assert body["fallback"] == (
        f"no factor in scope applies to reporting year 2026; {SETS[2025]}#hotel-CN (for reporting "
        "years 2025) used instead: the region's year policy is nearest-earlier"
    )
