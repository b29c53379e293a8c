"""The accounting API end to end on each database backend: roles, uploads, inventories, explain."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting.store import ActivityRow
from tests.conftest import make_user

HEADER = "facility_id,period_start,period_end,category,activity,quantity,unit,instrument,note\n"
ROWS = (
    "hq,2024-01-01,2024-12-31,purchased_electricity,electricity.grid,1000,MWh,,\n"
    "hq,2024-01-01,2024-12-31,purchased_electricity,electricity.grid,200,MWh,GEC,\n"
    "hq,2024-01-01,2024-12-31,stationary_combustion,fuel.natural_gas,100000,Nm3,,\n"
    "hq,2024-01-01,2024-12-31,refrigerant,refrigerant.R-410A,10,kg,,\n"
)
ORG = {
    "id": "hotel-a",
    "name_en": "Hotel A",
    "name_zh": "甲酒店",
    "kind": "hotel",
    "region": "CN-HI",
    "facilities": [{"id": "hq", "name": "Main building", "region": "CN-HI", "grid_region": "CN-GRID-SOUTH"}],
}


@pytest.fixture
def actors(app_client: Any, sessions: sessionmaker[Session]) -> dict[str, dict[str, str]]:
    regulator = make_user(sessions, "regulator", "regulator")
    response = app_client.post("/api/v1/organisations", json=ORG, headers=regulator)
    assert response.status_code == 201, response.text
    other = dict(ORG, id="hotel-b", name_en="Hotel B", name_zh="乙酒店")
    other["facilities"] = [dict(ORG["facilities"][0], id="hq-b")]  # type: ignore[index]
    assert app_client.post("/api/v1/organisations", json=other, headers=regulator).status_code == 201
    return {
        "regulator": regulator,
        "reporter": make_user(sessions, "hotel-a-user", "reporter", "hotel-a"),
        "other": make_user(sessions, "hotel-b-user", "reporter", "hotel-b"),
        "verifier": make_user(sessions, "verifier", "verifier"),
    }


def _count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(ActivityRow)) or 0)


def _upload(app_client: Any, headers: dict[str, str], org: str, body: str, name: str = "a.csv") -> Any:
    files = {"file": (name, body.encode(), "text/csv")}
    return app_client.post(f"/api/v1/organisations/{org}/activity", files=files, headers=headers)


def test_reporter_uploads_and_sees_three_framework_views(app_client: Any, actors: dict[str, Any]) -> None:
    assert _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS).status_code == 201
    inv = app_client.get(
        "/api/v1/organisations/hotel-a/inventory?year=2024&gwp=AR6", headers=actors["reporter"]
    )
    assert inv.status_code == 200, inv.text
    body = inv.json()
    assert body["records"] == 4
    ghgp, iso = body["views"]["ghgp"], body["views"]["iso14064"]
    assert Decimal(ghgp["total_co2e_kg"]) == Decimal(iso["total_co2e_kg"])
    # Scope 2: location-based counts all 1,200 MWh; market-based zero-rates the 200 MWh with GECs
    assert Decimal(ghgp["totals"]["scope2_market"]) < Decimal(ghgp["totals"]["scope2_location"])
    # every reconciliation bridges its two totals exactly
    for rec in body["reconciliations"]:
        bridged = Decimal(rec["total_a"]) + sum(Decimal(line["co2e_kg"]) for line in rec["lines"])
        assert bridged == Decimal(rec["total_b"])


def test_mee_view_uses_the_series_a_grid_factor_of_the_reporting_year(
    app_client: Any, actors: dict[str, Any]
) -> None:
    """MEE reporting for 2024 prescribes 0.5703 t CO2/MWh (series A, 2023-2025): 1,200 MWh ->
    684,360 kg CO2 in the 净购入电力 line, green certificates notwithstanding."""
    _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS)
    body = app_client.get(
        "/api/v1/organisations/hotel-a/inventory?year=2024", headers=actors["reporter"]
    ).json()
    electricity = [x for x in body["views"]["cn-mee"]["lines"] if "electricity" in x["key"]]
    assert Decimal(electricity[0]["co2e_kg"]) == Decimal("684360")


def test_reporter_cannot_write_or_read_another_organisation(app_client: Any, actors: dict[str, Any]) -> None:
    assert _upload(app_client, actors["other"], "hotel-a", HEADER + ROWS).status_code == 403
    response = app_client.get("/api/v1/organisations/hotel-a/inventory?year=2024", headers=actors["other"])
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


def test_reporter_lists_only_its_own_organisation(app_client: Any, actors: dict[str, Any]) -> None:
    mine = app_client.get("/api/v1/organisations", headers=actors["reporter"]).json()
    everyone = app_client.get("/api/v1/organisations", headers=actors["verifier"]).json()
    assert [o["id"] for o in mine] == ["hotel-a"]
    assert {o["id"] for o in everyone} == {"hotel-a", "hotel-b"}


def test_public_cannot_read_an_enterprise_inventory(app_client: Any, actors: dict[str, Any]) -> None:
    assert app_client.get("/api/v1/organisations/hotel-a/inventory?year=2024").status_code == 401


def test_reporter_cannot_register_organisations(app_client: Any, actors: dict[str, Any]) -> None:
    other = dict(ORG, id="x")
    assert app_client.post("/api/v1/organisations", json=other, headers=actors["reporter"]).status_code == 403


def test_one_bad_row_rejects_the_whole_file_and_names_it(
    app_client: Any, actors: dict[str, Any], sessions: sessionmaker[Session]
) -> None:
    bad = ROWS + "hq,2024-01-01,2024-12-31,stationary_combustion,fuel.natural_gas,-5,kWh/kg,,\n"
    response = _upload(app_client, actors["reporter"], "hotel-a", HEADER + bad)
    assert response.status_code == 422
    issues = response.json()["issues"]
    assert {tuple(i["location"][:2]) for i in issues} == {("rows", 6)}
    assert {i["location"][2] for i in issues} >= {"quantity"}
    assert _count(sessions) == 0


def test_resubmitting_the_same_period_is_a_conflict_and_stores_nothing(
    app_client: Any, actors: dict[str, Any], sessions: sessionmaker[Session]
) -> None:
    assert _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS).status_code == 201
    response = _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS)
    assert response.status_code == 409
    assert len(response.json()["issues"]) == 4
    assert _count(sessions) == 4


def test_json_rows_are_validated_like_a_file(app_client: Any, actors: dict[str, Any]) -> None:
    row = {
        "facility_id": "hq",
        "period_start": "2024-01-01",
        "period_end": "2024-03-31",
        "category": "purchased_electricity",
        "activity": "electricity.grid",
        "quantity": "12.5",
        "unit": "MWh",
    }
    url = "/api/v1/organisations/hotel-a/activity.json"
    ok = app_client.post(url, json={"rows": [row]}, headers=actors["reporter"])
    assert ok.status_code == 201
    bad = app_client.post(url, json={"rows": [dict(row, unit="kg", note="x")]}, headers=actors["reporter"])
    assert bad.status_code == 422
    assert bad.json()["issues"][0]["location"] == ["rows", 0, "unit"]


def test_explain_names_factor_rule_equation_and_gwp(app_client: Any, actors: dict[str, Any]) -> None:
    _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS)
    record_id = _first_record_id(app_client, "refrigerant.R-410A", ActivityRow)
    body = app_client.get(f"/api/v1/records/{record_id}/explain?gwp=AR5", headers=actors["reporter"]).json()
    trace = body["bases"][0]
    assert trace["gwp_set"] == "AR5"
    assert {f["key"].split("#")[0] for f in trace["factors"]} >= {"ashrae-34-blends@2022", "ipcc-gwp100@2021"}
    assert all(f["rule"] for f in trace["factors"])
    # R-410A 10 kg = 5 kg HFC-32 x 677 + 5 kg HFC-125 x 3170 (AR5) = 19,235 kg CO2e
    assert sum(Decimal(g["co2e_kg"]) for g in trace["gases"].values()) == Decimal("19235")


def _first_record_id(app_client: Any, activity: str, row_type: Any) -> str:
    sessions = app_client.app.state.sessions
    with sessions() as session:
        return str(session.scalar(select(row_type.id).where(row_type.activity == activity)))


def test_compute_endpoint_stores_nothing(app_client: Any, sessions: sessionmaker[Session]) -> None:
    rows = [
        {
            "facility_id": "f",
            "period_start": "2024-01-01",
            "period_end": "2024-12-31",
            "category": "purchased_electricity",
            "activity": "electricity.grid",
            "quantity": "1000",
            "unit": "MWh",
        }
    ]
    facilities = [{"id": "f", "name": "f", "region": "CN-HI", "grid_region": "CN-GRID-SOUTH"}]
    response = app_client.post("/api/v1/inventory/compute", json={"facilities": facilities, "rows": rows})
    assert response.status_code == 200, response.text
    assert Decimal(response.json()["inventories"][0]["views"]["cn-mee"]["total_co2e_kg"]) == Decimal("570300")
    assert _count(sessions) == 0


@pytest.mark.parametrize(
    ("method", "url", "kwargs"),
    [
        (
            "post",
            "/api/v1/inventory/compute",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
        ),
        ("post", "/api/v1/inventory/compute", {"json": {"facilities": "x", "rows": 3}}),
        ("post", "/api/v1/inventory/compute", {"json": {"facilities": [], "rows": []}}),
        ("get", "/api/v1/organisations/nope/inventory?year=abc", {}),
        ("get", "/api/v1/inventory/region?gwp=AR9", {}),
        (
            "post",
            "/api/v1/organisations/hotel-a/activity",
            {"content": b"garbage", "headers": {"content-type": "multipart/form-data; boundary=zz"}},
        ),
    ],
)
def test_malformed_requests_are_problems_not_500(
    app_client: Any, method: str, url: str, kwargs: dict[str, Any]
) -> None:
    response = getattr(app_client, method)(url, **kwargs)
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == "application/problem+json"


PINNED_MANIFEST = """{"id": "demo-office-grid", "version": "2024-v1",
"publisher": "Demo County carbon office",
"title": "Measured grid factor (test)", "year": 2025, "url": "https://example.org/grid",
"licence": "public document", "supersedes": null, "notes": "test dataset"}"""
PINNED_ROWS = (
    "row_id,parameter,activity,gas,value,unit,region,year,applies,sector,variant,table,note,confidence\n"
    "grid-south-2024,ef,electricity.grid,CO2,0.4000,t/MWh,CN-GRID-SOUTH,2024,,,location,T1,,confirmed\n"
)


def test_a_pinned_regional_dataset_drives_the_location_based_figure(
    app_client: Any, actors: dict[str, Any]
) -> None:
    """After the office imports and pins its own grid factor (0.4000 t/MWh for 2024), Scope 2
    location-based for 1,200 MWh is 480,000 kg, and explain names the pinned factor."""
    _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS)
    files = {
        "manifest": ("dataset.json", PINNED_MANIFEST.encode()),
        "factors": ("f.csv", PINNED_ROWS.encode()),
    }
    assert (
        app_client.post("/api/v1/factors/datasets", files=files, headers=actors["regulator"]).status_code
        == 201
    )
    pins = {"datasets": ["demo-office-grid"]}
    assert app_client.put("/api/v1/factors/pins", json=pins, headers=actors["regulator"]).status_code == 200
    body = app_client.get(
        "/api/v1/organisations/hotel-a/inventory?year=2024", headers=actors["reporter"]
    ).json()
    assert Decimal(body["views"]["ghgp"]["totals"]["scope2_location"]) == Decimal("480000")


def test_the_regulator_uploads_for_an_organisation_and_a_verifier_may_not(
    app_client: Any, actors: dict[str, Any], sessions: sessionmaker[Session]
) -> None:
    refused = _upload(app_client, actors["verifier"], "hotel-a", HEADER + ROWS)
    assert refused.status_code == 403
    assert "regulator" in refused.json()["detail"]
    assert _count(sessions) == 0
    accepted = _upload(app_client, actors["regulator"], "hotel-a", HEADER + ROWS)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["rows"] == 4
    assert _count(sessions) == 4


def test_the_roster_pages_and_searches_and_the_public_gets_counts(
    app_client: Any, actors: dict[str, Any]
) -> None:
    assert _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS).status_code == 201
    url = "/api/v1/reporting/organisations?year=2024"
    first = app_client.get(url + "&per_page=1", headers=actors["regulator"]).json()
    second = app_client.get(url + "&per_page=1&page=2", headers=actors["regulator"]).json()
    assert (first["total"], first["pages"]) == (2, 2)
    assert [
        (x["organisation"]["id"], x["stage"], x["records"]) for x in first["lines"] + second["lines"]
    ] == [
        ("hotel-a", "reported", 4),
        ("hotel-b", "not reported", 0),
    ]
    found = app_client.get(url + "&q=%E4%B9%99", headers=actors["verifier"]).json()  # 乙
    assert [x["organisation"]["id"] for x in found["lines"]] == ["hotel-b"]
    mine = app_client.get(url, headers=actors["other"]).json()
    assert [x["organisation"]["id"] for x in mine["lines"]] == ["hotel-b"]
    past = app_client.get(url + "&page=3&per_page=1", headers=actors["regulator"])
    assert past.status_code == 422
    assert "the last page is 2" in past.text
    assert app_client.get(url).status_code == 401
    status = app_client.get("/api/v1/reporting/status?year=2024").json()
    assert (status["organisations"], status["reported"], status["finalised"]) == (2, 1, 0)
    assert Decimal(status["coverage_percent"]) == Decimal("50.0")
