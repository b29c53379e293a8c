"""Issue 10 §1 through the API, on each database backend: a power plant (energy industries,
IPCC 1.A.1) uploads raw coal in tonnes, natural gas in tonnes and in cubic metres and diesel in
litres; every framework computes them, ``explain`` shows the conversion and its source, and a unit
that cannot be converted is refused naming the row, the column and why.

Figures (``tests/accounting/test_units.py`` derives each): 100 t raw coal → 190,029.88488 kg CO2
under the MEE guideline; 10 t natural gas → 26,658.72 kg (MEE CC and OF on the IPCC NCV per mass);
29,315 m³ natural gas at 20 °C = 27,315 Nm³ → 2.7315 × 389.31 GJ × 15.3 × 0.99 × 44/12 kg.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting.store import ActivityRow
from tests.conftest import make_user

HEADER = "facility_id,period_start,period_end,category,activity,quantity,unit,instrument,note\n"
ROWS = (
    "plant,2024-01-01,2024-12-31,stationary_combustion,fuel.raw_coal,100,t,,\n"
    "plant,2024-01-01,2024-12-31,stationary_combustion,fuel.natural_gas,10,t,,\n"
    "plant,2024-01-01,2024-12-31,stationary_combustion,fuel.natural_gas,29315,m3,,\n"
    "plant,2024-01-01,2024-12-31,stationary_combustion,fuel.diesel,1000,L,,\n"
)
PLANT = {
    "id": "power-a",
    "name_en": "Coastal Power",
    "name_zh": "滨海电厂",
    "kind": "energy_industries",
    "region": "CN-HI",
    "facilities": [{"id": "plant", "name": "Unit 1", "region": "CN-HI", "grid_region": "CN-GRID-SOUTH"}],
}
C_TO_CO2 = Decimal(44) / Decimal(12)


@pytest.fixture
def reporter(app_client: Any, sessions: sessionmaker[Session]) -> dict[str, str]:
    regulator = make_user(sessions, "regulator", "regulator")
    response = app_client.post("/api/v1/organisations", json=PLANT, headers=regulator)
    assert response.status_code == 201, response.text
    return make_user(sessions, "power-a-user", "reporter", "power-a")


def _upload(app_client: Any, headers: dict[str, str], body: str) -> Any:
    files = {"file": ("plant.csv", body.encode(), "text/csv")}
    return app_client.post("/api/v1/organisations/power-a/activity", files=files, headers=headers)


def test_power_plant_fuels_in_the_units_it_has_compute_in_every_framework(
    app_client: Any, reporter: dict[str, str]
) -> None:
    assert _upload(app_client, reporter, HEADER + ROWS).status_code == 201

    inv = app_client.get("/api/v1/organisations/power-a/inventory?year=2024&gwp=AR6", headers=reporter)

    assert inv.status_code == 200, inv.text
    body = inv.json()
    assert body["records"] == 4
    assert body["not_computable"] == []
    mee = {line["key"]: Decimal(line["co2e_kg"]) for line in body["views"]["cn-mee"]["lines"]}
    gas_m3 = Decimal("2.7315") * Decimal("389.31") * Decimal("15.3") * Decimal("0.99") * C_TO_CO2
    diesel = Decimal(1000) / Decimal(1149) * Decimal("42.652") * Decimal("20.2") * Decimal("0.98") * C_TO_CO2
    expected = Decimal("190029.884880") + Decimal("26658.720000") + gas_m3 + diesel
    assert abs(mee["fuel_combustion"] - expected) < Decimal("0.000002")  # each record rounded to 1 mg
    for framework in ("ghgp", "iso14064"):
        assert Decimal(body["views"][framework]["total_co2e_kg"]) > mee["fuel_combustion"]


def test_explain_shows_the_density_and_the_tier_2_reason(app_client: Any, reporter: dict[str, str]) -> None:
    _upload(app_client, reporter, HEADER + ROWS)

    diesel = _explain(app_client, reporter, "fuel.diesel")
    coal = _explain(app_client, reporter, "fuel.raw_coal")

    ipcc = next(b for b in diesel["bases"] if b["basis"] == "ipcc")
    assert "unsd-energy-conversion@2004#gas_diesel_oil" in {f["key"] for f in ipcc["factors"]}
    assert "1000 L with density 1149 L/t = " in ipcc["conversions"][0]
    # the power plant's CH4 is IPCC Table 2.2 (energy industries)
    assert "ipcc-2006-v2-energy@2006#T2.2-diesel-ch4" in {f["key"] for f in ipcc["factors"]}
    coal_ipcc = next(b for b in coal["bases"] if b["basis"] == "ipcc")
    assert coal_ipcc["equation_id"] == "IPCC 2006 Vol.2 Ch.2 §2.3.1 Tier 2"
    assert "no Tier 1 CO2 factor for fuel.raw_coal" in coal_ipcc["notes"][0]


def test_a_unit_without_a_conversion_is_refused_naming_row_column_and_cause(
    app_client: Any, reporter: dict[str, str]
) -> None:
    row = "plant,2024-01-01,2024-12-31,stationary_combustion,fuel.coke,5,L,,\n"

    response = _upload(app_client, reporter, HEADER + ROWS + row)

    assert response.status_code == 422, response.text
    [issue] = response.json()["issues"]
    assert issue["location"] == ["rows", 6, "unit"]
    assert issue["value"] == "L"
    assert "no density of fuel.coke is published" in issue["reason"]
    inv = app_client.get("/api/v1/organisations/power-a/inventory?year=2024&gwp=AR6", headers=reporter)
    assert inv.json()["records"] == 0  # nothing stored


def _explain(app_client: Any, headers: dict[str, str], activity: str) -> dict[str, Any]:
    sessions = app_client.app.state.sessions
    with sessions() as session:
        record_id = session.scalar(select(ActivityRow.id).where(ActivityRow.activity == activity))
    response = app_client.get(f"/api/v1/records/{record_id}/explain?gwp=AR6", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())
