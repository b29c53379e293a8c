"""One answer whatever the surface (issue 10 §2): one file computed through the installed
``carbonbridge`` console script (a subprocess), the API and the web page gives the same figures,
with the region's pinned datasets, per organisation and reporting year; records are listed and
explained on the CLI and the API; framework names are accepted in their usual spellings."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.accounting.test_api import ORG, PINNED_MANIFEST, PINNED_ROWS
from tests.conftest import make_user

CARBONBRIDGE = Path(sys.executable).parent / "carbonbridge"

HEADER = "facility_id,period_start,period_end,category,activity,quantity,unit,instrument,note\n"
#: two reporting years in one file: 2023 must not be added into 2024
FILE = HEADER + (
    "hq,2023-01-01,2023-12-31,purchased_electricity,electricity.grid,500,MWh,,\n"
    "hq,2024-01-01,2024-12-31,purchased_electricity,electricity.grid,1000,MWh,,\n"
    "hq,2024-01-01,2024-12-31,stationary_combustion,fuel.natural_gas,100000,Nm3,,\n"
)
FRAMEWORKS = ("ghgp", "iso14064", "cn-mee")


def _cli(engine: Engine, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CARBONBRIDGE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "COLUMNS": "80",
    }
    return subprocess.run(
        [str(CARBONBRIDGE), *args], capture_output=True, text=True, timeout=120, env=env, check=False
    )


@pytest.fixture
def regulator(app_client: Any, sessions: sessionmaker[Session]) -> dict[str, str]:
    return make_user(sessions, "regulator", "regulator")


def _pin_office_grid(app_client: Any, regulator: dict[str, str]) -> None:
    """The office imports and pins its own 2024 grid factor, 0.4000 t CO2/MWh (a test dataset)."""
    files = {
        "manifest": ("dataset.json", PINNED_MANIFEST.encode()),
        "factors": ("f.csv", PINNED_ROWS.encode()),
    }
    assert app_client.post("/api/v1/factors/datasets", files=files, headers=regulator).status_code == 201
    pins = {"datasets": ["demo-office-grid"]}
    assert app_client.put("/api/v1/factors/pins", json=pins, headers=regulator).status_code == 200


def _totals(body: dict[str, Any]) -> dict[tuple[str, int, str], Decimal]:
    return {
        (inv["organisation_id"], inv["year"], name): Decimal(view["total_co2e_kg"])
        for inv in body["inventories"]
        for name, view in inv["views"].items()
    }


def _web_totals(html: str) -> dict[tuple[str, int], Decimal]:
    sections = re.findall(
        r'<section class="computed" data-organisation="([^"]+)" data-year="(\d+)">.*?data-total="([^"]+)"',
        html,
        re.S,
    )
    return {(org, int(year)): Decimal(total) for org, year, total in sections}


def test_one_file_gives_the_same_figures_on_cli_api_and_web_with_the_pinned_dataset(
    app_client: Any, engine: Engine, regulator: dict[str, str], tmp_path: Path
) -> None:
    """With the office's pinned grid factor (0.4000 t/MWh for 2024), 1,000 MWh in 2024 is
    400,000 kg location-based on every surface; 2023 (no pinned value) keeps the national series."""
    _pin_office_grid(app_client, regulator)
    path = tmp_path / "activity.csv"
    path.write_text(FILE, encoding="utf-8")

    cli = _cli(engine, "inventory", "compute", str(path), "--format", "json")
    assert cli.returncode == 0, cli.stderr
    from_cli = json.loads(cli.stdout)
    api_file = app_client.post(
        "/api/v1/inventory/compute-file", files={"file": ("activity.csv", FILE.encode())}
    )
    assert api_file.status_code == 200, api_file.text
    rows = [
        dict(zip(HEADER.strip().split(","), line.split(","), strict=True)) for line in FILE.splitlines()[1:]
    ]
    facilities = [{"id": "hq", "name": "hq", "region": "CN-HI", "grid_region": "CN-GRID-SOUTH"}]
    api_rows = app_client.post("/api/v1/inventory/compute", json={"facilities": facilities, "rows": rows})
    assert api_rows.status_code == 200, api_rows.text

    assert from_cli["pinned_datasets"] == ["demo-office-grid"] == api_file.json()["pinned_datasets"]
    assert _totals(from_cli) == _totals(api_file.json()) == _totals(api_rows.json())
    by_year = {inv["year"]: inv for inv in from_cli["inventories"]}
    assert Decimal(by_year[2024]["views"]["ghgp"]["totals"]["scope2_location"]) == Decimal("400000")
    for framework in FRAMEWORKS:
        page = app_client.post(
            "/inventory/compute",
            files={"file": ("activity.csv", FILE.encode())},
            data={"framework": framework, "gwp": "AR6"},
        )
        assert page.status_code == 200, page.text
        expected = {(o, y): kg for (o, y, name), kg in _totals(from_cli).items() if name == framework}
        assert _web_totals(page.text) == expected


def test_a_file_spanning_two_years_gives_one_inventory_per_year(app_client: Any) -> None:
    """2023's 500 MWh is not added to 2024, whose cn-mee total is exactly 1,000 MWh x 0.5703 t/MWh
    (the national factor MEE prescribes for 2024 reports) + 100,000 Nm3 natural gas
    (216,218.8809 kg CO2, FC x NCV x CC x OF x 44/12 with the MEE guideline's defaults)."""
    response = app_client.post(
        "/api/v1/inventory/compute-file?framework=MEE", files={"file": ("a.csv", FILE.encode())}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["framework"] == "cn-mee"
    assert body["years"] == [2023, 2024]
    totals = {inv["year"]: Decimal(inv["views"]["cn-mee"]["total_co2e_kg"]) for inv in body["inventories"]}
    assert totals[2024] == Decimal("570300") + Decimal("216218.8809")
    assert totals[2023] > 0
    assert [inv["records"] for inv in body["inventories"]] == [1, 2]


def test_the_stateless_compute_gives_per_gas_masses_and_the_trace(app_client: Any) -> None:
    response = app_client.post("/api/v1/inventory/compute-file", files={"file": ("a.csv", FILE.encode())})
    results = [r for r in response.json()["results"] if r["activity"] == "fuel.natural_gas"]
    (gas,) = results
    assert gas["year"] == 2024
    assert gas["facility_id"] == "hq"
    mee = next(b for b in gas["bases"] if b["equation"].count("×") >= 3 and "NCV" in b["equation"])
    assert Decimal(mee["gases"]["CO2"]["kg"]) == Decimal("216218.8809")
    assert mee["factors"]
    assert all(f["citation"] and f["rule"] for f in mee["factors"])
    assert mee["gwp_set"] in (None, "AR6")


def test_facilities_of_several_organisations_give_one_inventory_each(app_client: Any) -> None:
    rows = [
        {"facility_id": f, "period_start": "2024-01-01", "period_end": "2024-12-31",
         "category": "purchased_electricity", "activity": "electricity.grid", "quantity": q, "unit": "MWh"}
        for f, q in (("a1", "1000"), ("b1", "10"))
    ]  # fmt: skip
    body = {
        "organisations": [{"id": "org-a", "kind": "hotel"}, {"id": "org-b", "kind": "manufacturing"}],
        "facilities": [
            {
                "id": "a1",
                "name": "a",
                "region": "CN-HI",
                "grid_region": "CN-GRID-SOUTH",
                "organisation_id": "org-a",
            },
            {
                "id": "b1",
                "name": "b",
                "region": "CN-HI",
                "grid_region": "CN-GRID-SOUTH",
                "organisation_id": "org-b",
            },
        ],
        "rows": rows,
    }
    response = app_client.post("/api/v1/inventory/compute", json=body)
    assert response.status_code == 200, response.text
    totals = _totals(response.json())
    assert totals[("org-a", 2024, "cn-mee")] == Decimal("570300")
    assert totals[("org-b", 2024, "cn-mee")] == Decimal("5703")


def test_a_facility_of_an_unknown_organisation_is_refused_with_its_field(app_client: Any) -> None:
    body = {
        "facilities": [
            {
                "id": "a1",
                "name": "a",
                "region": "CN-HI",
                "grid_region": "CN-GRID-SOUTH",
                "organisation_id": "ghost",
            }
        ],
        "rows": [{"facility_id": "a1"}],
    }
    response = app_client.post("/api/v1/inventory/compute", json=body)
    assert response.status_code == 422
    assert response.json()["issues"][0]["location"] == ["facilities", 0, "organisation_id"]


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [("ghgp", "ghgp"), ("GHG-Protocol", "ghgp"), ("iso14064", "iso14064"), ("ISO-14064-1", "iso14064"),
     ("iso_14064-1", "iso14064"), ("cn-mee", "cn-mee"), ("CN_MEE", "cn-mee")],
)  # fmt: skip
def test_framework_spellings_are_accepted_and_the_canonical_name_is_said(
    app_client: Any, spelling: str, canonical: str
) -> None:
    response = app_client.post(
        f"/api/v1/inventory/compute-file?framework={spelling}", files={"file": ("a.csv", FILE.encode())}
    )
    assert response.status_code == 200, response.text
    assert response.json()["framework"] == canonical


def test_an_unknown_framework_is_a_422_naming_the_field_and_a_cli_exit_2(
    app_client: Any, engine: Engine, tmp_path: Path
) -> None:
    response = app_client.post(
        "/api/v1/inventory/compute-file?framework=gri", files={"file": ("a.csv", FILE.encode())}
    )
    assert response.status_code == 422
    assert response.json()["issues"][0]["location"] == ["framework"]
    path = tmp_path / "a.csv"
    path.write_text(FILE, encoding="utf-8")
    cli = _cli(engine, "inventory", "compute", str(path), "--framework", "gri")
    assert cli.returncode == 2
    assert cli.stderr.startswith("error[invalid-input]: unknown framework 'gri'")


def test_cli_table_names_the_framework_used_and_never_cuts_a_column(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(FILE, encoding="utf-8")
    cli = _cli(engine, "inventory", "compute", str(path), "--framework", "ISO-14064-1")
    assert cli.returncode == 0, cli.stderr
    assert "iso14064 (asked: ISO-14064-1)" in cli.stdout
    assert "…" not in cli.stdout
    line = (
        "Category 2 — indirect emissions from imported energy (location-based) / "
        "类别2 — 输入能源的间接排放（基于位置）"
    )
    assert line in cli.stdout


# --- records: list and explain ------------------------------------------------------------------


@pytest.fixture
def stored(app_client: Any, regulator: dict[str, str], sessions: sessionmaker[Session]) -> dict[str, Any]:
    assert app_client.post("/api/v1/organisations", json=ORG, headers=regulator).status_code == 201
    reporter = make_user(sessions, "hotel-a-user", "reporter", "hotel-a")
    files = {"file": ("a.csv", FILE.encode(), "text/csv")}
    assert (
        app_client.post("/api/v1/organisations/hotel-a/activity", files=files, headers=reporter).status_code
        == 201
    )
    return {"regulator": regulator, "reporter": reporter}


def test_records_are_listed_a_page_at_a_time_with_their_explain(
    app_client: Any, stored: dict[str, Any]
) -> None:
    url = "/api/v1/organisations/hotel-a/records"
    first = app_client.get(f"{url}?limit=2", headers=stored["reporter"]).json()
    second = app_client.get(f"{url}?limit=2&offset=2", headers=stored["reporter"]).json()
    assert first["total"] == 3
    assert len(first["records"]) == 2
    assert len(second["records"]) == 1
    assert [r["year"] for r in first["records"] + second["records"]] == [2023, 2024, 2024]
    gas = next(r for r in first["records"] + second["records"] if r["activity"] == "fuel.natural_gas")
    explained = app_client.get(gas["explain"], headers=stored["reporter"]).json()
    co2 = {b["basis"]: b["gases"].get("CO2", {}).get("kg") for b in explained["bases"]}
    assert Decimal("216218.8809") in {Decimal(v) for v in co2.values() if v is not None}
    only_2023 = app_client.get(f"{url}?year=2023", headers=stored["reporter"]).json()
    assert [r["year"] for r in only_2023["records"]] == [2023]


def test_records_are_scoped_like_the_inventory(
    app_client: Any, stored: dict[str, Any], sessions: sessionmaker[Session]
) -> None:
    other = make_user(sessions, "stranger", "reporter", "hotel-b")
    url = "/api/v1/organisations/hotel-a/records"
    assert app_client.get(url).status_code == 401
    assert app_client.get(url, headers=other).status_code == 403
    assert app_client.get(url, headers=stored["regulator"]).status_code == 200
    assert (
        app_client.get("/api/v1/organisations/nope/records", headers=stored["regulator"]).status_code == 404
    )
    bad = app_client.get(f"{url}?limit=0", headers=stored["regulator"])
    assert bad.status_code == 422


def test_cli_records_list_and_explain_give_the_api_bodies(
    app_client: Any, stored: dict[str, Any], engine: Engine
) -> None:
    api_page = app_client.get("/api/v1/organisations/hotel-a/records", headers=stored["reporter"]).json()
    cli = _cli(engine, "records", "list", "hotel-a", "--format", "json")
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout) == api_page
    record = api_page["records"][-1]["id"]
    api_explain = app_client.get(
        f"/api/v1/records/{record}/explain?gwp=AR5", headers=stored["reporter"]
    ).json()
    cli = _cli(engine, "records", "explain", record, "--gwp", "ar5", "--format", "json")
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout) == api_explain
    table = _cli(engine, "records", "explain", record)
    assert table.returncode == 0, table.stderr
    assert "216,219" in table.stdout  # kg CO2 shown by the display rule; JSON keeps 216218.8809


def test_cli_records_of_an_unknown_organisation_exit_1_not_found(engine: Engine) -> None:
    cli = _cli(engine, "records", "list", "nope")
    assert cli.returncode == 1
    assert cli.stderr.startswith("error[not-found]")


@pytest.mark.parametrize(
    ("detail", "has_results", "has_factors"), [("gases", True, False), ("none", False, False)]
)
def test_the_compute_response_can_leave_out_the_trace(
    app_client: Any, detail: str, has_results: bool, has_factors: bool
) -> None:
    url = f"/api/v1/inventory/compute-file?results={detail}"
    body = app_client.post(url, files={"file": ("a.csv", FILE.encode())}).json()
    assert bool(body["results"]) is has_results
    assert any(b["factors"] for r in body["results"] for b in r["bases"]) is has_factors
    assert [inv["year"] for inv in body["inventories"]] == [2023, 2024]


def test_cli_gives_one_inventory_per_organisation_named_by_the_facilities_file(
    engine: Engine, tmp_path: Path
) -> None:
    """1,000 MWh (org-a) and 10 MWh (org-b) in 2024 at the shipped national factor for 2024
    reports, 0.5703 t/MWh, under cn-mee: 570,300 kg and 5,703 kg, one inventory each."""
    activity = tmp_path / "a.csv"
    activity.write_text(
        HEADER
        + "a1,2024-01-01,2024-12-31,purchased_electricity,electricity.grid,1000,MWh,,\n"
        + "b1,2024-01-01,2024-12-31,purchased_electricity,electricity.grid,10,MWh,,\n",
        encoding="utf-8",
    )
    sites = tmp_path / "facilities.csv"
    sites.write_text(
        "id,organisation_id,name,region,grid_region\n"
        "a1,org-a,A,CN-HI,CN-GRID-SOUTH\nb1,org-b,B,CN-HI,CN-GRID-SOUTH\n",
        encoding="utf-8",
    )
    orgs = tmp_path / "organisations.csv"
    orgs.write_text(
        "id,name_en,name_zh,kind,region\norg-a,A,甲,hotel,CN-HI\norg-b,B,乙,other,CN-HI\n", "utf-8"
    )
    cli = _cli(
        engine, "inventory", "compute", str(activity), "--facilities", str(sites),
        "--organisations", str(orgs), "--framework", "cn-mee", "--format", "csv",
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    totals = [line.split(",") for line in cli.stdout.splitlines() if ",total," in line]
    assert [(t[0], t[1], Decimal(t[6])) for t in totals] == [
        ("org-a", "2024", Decimal("570300")),
        ("org-b", "2024", Decimal("5703")),
    ]


def test_a_bad_file_on_the_compute_page_is_an_html_page_naming_the_row(app_client: Any) -> None:
    bad = FILE.replace("1000,MWh", "-3,MWh")
    page = app_client.post(
        "/inventory/compute?lang=en", files={"file": ("a.csv", bad.encode())}, data={"framework": "ghgp"}
    )
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert 'id="compute-issues"' in page.text
    assert "rows / 3 / quantity" in page.text
