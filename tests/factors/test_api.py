"""The factor library through the API: public search and resolution, a region's own dataset."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import make_user

MANIFEST = """{"id": "hainan-office-own", "version": "2025-v1", "publisher": "Demo County carbon office",
"title": "Locally measured factors (test)", "year": 2025, "url": "https://example.org/factors",
"licence": "public document", "supersedes": null, "notes": "test dataset"}"""
ROWS = (
    "row_id,parameter,activity,gas,value,unit,region,year,applies,sector,variant,table,note,confidence\n"
    "grid-hi,ef,electricity.grid,CO2,0.4321,t/MWh,CN-HI,2024,,,location,Table 1,,confirmed\n"
)


def test_search_is_public_and_cites_every_row(app_client: Any) -> None:
    rows = app_client.get("/api/v1/factors?q=natural_gas&activity=fuel.").json()
    assert rows
    assert all(r["citation"] and r["table"] and "@" in r["dataset"] for r in rows)


def test_resolve_explains_the_choice(app_client: Any) -> None:
    response = app_client.get(
        "/api/v1/factors/resolve",
        params={
            "parameter": "ef",
            "activity": "electricity.grid",
            "gas": "CO2",
            "year": 2024,
            "region": "CN",
            "dataset": "cn-mee-grid-reporting",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["factor"]["value"] == "0.5703"
    assert body["rule"]


def test_missing_factor_is_a_404_problem_naming_what_is_missing(app_client: Any) -> None:
    response = app_client.get(
        "/api/v1/factors/resolve", params={"parameter": "ef", "activity": "fuel.unobtainium", "gas": "CO2"}
    )
    assert response.status_code == 404
    assert response.json()["code"] == "factor-not-found"
    assert "fuel.unobtainium" in response.json()["detail"]


def test_regulator_imports_and_pins_a_dataset_which_then_wins(
    app_client: Any, sessions: sessionmaker[Session]
) -> None:
    regulator = make_user(sessions, "office", "regulator")
    files = {"manifest": ("dataset.json", MANIFEST.encode()), "factors": ("factors.csv", ROWS.encode())}
    response = app_client.post("/api/v1/factors/datasets", files=files, headers=regulator)
    assert response.status_code == 201, response.text
    again = app_client.post("/api/v1/factors/datasets", files=files, headers=regulator)
    assert again.status_code == 409
    pins = app_client.put("/api/v1/factors/pins", json={"datasets": ["hainan-office-own"]}, headers=regulator)
    assert pins.status_code == 200
    body = app_client.get(
        "/api/v1/factors/resolve",
        params={
            "parameter": "ef",
            "activity": "electricity.grid",
            "gas": "CO2",
            "region": "CN-HI",
            "year": 2024,
            "variant": "location",
        },
    ).json()
    assert body["factor"]["key"] == "hainan-office-own@2025-v1#grid-hi"


def test_a_bad_dataset_row_rejects_the_import(app_client: Any, sessions: sessionmaker[Session]) -> None:
    regulator = make_user(sessions, "office2", "regulator")
    bad = ROWS + "grid-x,ef,electricity.grid,CO2,abc,t/blorp,CN-HI,2024,,,,T,,confirmed\n"
    files = {"manifest": ("dataset.json", MANIFEST.encode()), "factors": ("factors.csv", bad.encode())}
    response = app_client.post("/api/v1/factors/datasets", files=files, headers=regulator)
    assert response.status_code == 422
    columns = {i["location"][-1] for i in response.json()["issues"]}
    assert {"value", "unit"} <= columns
    assert app_client.get("/api/v1/factors/datasets").json()  # shipped sets still listed
    refs = {d["ref"] for d in app_client.get("/api/v1/factors/datasets").json()}
    assert "hainan-office-own@2025-v1" not in refs


def test_reporter_cannot_import(app_client: Any, sessions: sessionmaker[Session]) -> None:
    reporter = make_user(sessions, "r", "reporter", "org")
    files = {"manifest": ("dataset.json", MANIFEST.encode()), "factors": ("factors.csv", ROWS.encode())}
    assert app_client.post("/api/v1/factors/datasets", files=files, headers=reporter).status_code == 403


def test_an_import_naming_documents_is_refused_not_stripped(
    app_client: Any, sessions: sessionmaker[Session]
) -> None:
    """The store keeps one URL per imported dataset: per-table documents would be lost, so the
    import is refused with the reason, and nothing is stored."""
    regulator = make_user(sessions, "office4", "regulator")
    manifest = MANIFEST.replace('"notes"', '"documents": {"Table 1": "https://example.org/t1.pdf"}, "notes"')
    files = {"manifest": ("dataset.json", manifest.encode()), "factors": ("factors.csv", ROWS.encode())}
    response = app_client.post("/api/v1/factors/datasets", files=files, headers=regulator)
    assert response.status_code == 422, response.text
    assert response.json()["issues"][0]["location"] == ["documents"]
    refs = {d["ref"] for d in app_client.get("/api/v1/factors/datasets").json()}
    assert "hainan-office-own@2025-v1" not in refs


def test_search_gives_each_row_its_document(app_client: Any) -> None:
    rows = app_client.get("/api/v1/factors?q=natural_gas&activity=fuel.natural_gas").json()
    by_table = {r["table"]: r["source_url"] for r in rows if r["dataset"] == "ipcc-2006-v2-energy@2006"}
    assert by_table["Vol.2 Ch.1 Table 1.2"].endswith("/V2_1_Ch1_Introduction.pdf")
    assert by_table["Vol.2 Ch.2 Table 2.2"].endswith("/V2_2_Ch2_Stationary_Combustion.pdf")
