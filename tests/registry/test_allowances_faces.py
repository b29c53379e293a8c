"""The ETS, CAD Trust and recognition faces (REST, web page, CLI), as the platform mounts them
(through the registry's ``api``, ``web`` and ``cli`` modules)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from carbonbridge.registry import cli as registry_cli
from tests.conftest import make_user
from tests.registry.compliance_world import PLANT, covered_entity


@pytest.fixture
def client(app_client: Any, sessions: sessionmaker[Session]) -> Any:
    covered_entity(sessions)
    return app_client


def test_allocate_surrender_and_status_over_rest_and_web(
    client: Any, sessions: sessionmaker[Session]
) -> None:
    regulator = make_user(sessions, "regulator", "regulator")
    reporter = make_user(sessions, "plant-user", "reporter", PLANT)
    base = f"/api/v1/registry/allowances/{PLANT}/2024"
    made = client.post(f"{base}/allocations", json={"quantity": 800, "basis": "2024 plan"}, headers=regulator)
    assert made.status_code == 201, made.text
    assert (
        client.post(f"{base}/allocations", json={"quantity": 1, "basis": "x"}, headers=reporter).status_code
        == 403
    )
    too_much = client.post(f"{base}/surrenders", json={"allowances_t": 801}, headers=reporter)
    assert too_much.status_code == 409
    assert too_much.json()["issues"][0]["location"] == ["allowances_t"]
    floats = client.post(f"{base}/surrenders", json={"allowances_t": 10.5}, headers=reporter)
    assert floats.status_code == 422
    done = client.post(f"{base}/surrenders", json={"allowances_t": 787}, headers=reporter)
    assert done.status_code == 201, done.text
    status = client.get(f"/api/v1/registry/compliance/{PLANT}/2024", headers=reporter).json()
    assert (status["state"], status["obligation_t"], status["shortfall_t"], status["held_t"]) == (
        "compliant",
        787,
        0,
        13,
    )
    page = client.get("/registry/compliance?period=2024&lang=zh", headers=regulator)
    assert page.status_code == 200
    assert "已履约" in page.text
    assert "787" in page.text


def test_recognition_and_cadt_endpoints(client: Any, sessions: sessionmaker[Session]) -> None:
    regulator = make_user(sessions, "regulator", "regulator")
    found = client.get(
        "/api/v1/registry/recognition",
        params={"standard": "CCER", "methodology": "CCER-14-002-V01@V01", "unit_type": "removal"},
    ).json()
    assert {a["criterion"]: a["status"] for a in found}["china_ccer"] == "meets"
    tables = client.get("/api/v1/registry/cadt", headers=regulator).json()
    assert list(tables) == [
        "methodology",
        "project",
        "project_methodology",
        "verification",
        "location",
        "issuance",
        "unit",
    ]
    bad = client.post(
        "/api/v1/registry/cadt",
        json={"holder_organisation_id": PLANT, "tables": {"unit": [{"unitStartBlock": "1.5"}]}},
        headers=regulator,
    )
    assert bad.status_code == 422


def test_cli_recognition_show(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        registry_cli.app,
        ["recognition", "show", "CCER", "CCER-14-002-V01", "removal", "--json"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert '"china_ets_offset": "conditional"' in result.output
