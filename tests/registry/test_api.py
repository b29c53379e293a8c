"""The registry's REST API: receipts on state changes, problem+json for every refusal (and nothing
changed), role and organisation checks, the implausible-flag override, public reads, OpenAPI."""

from __future__ import annotations

from typing import Any

import pytest

from carbonbridge.registry import reads as registry_reads
from carbonbridge.registry.model import AccountKind
from tests.conftest import make_user
from tests.registry.conftest import ADMIN, World
from tests.registry.helpers import issued_report, registered_project

PROBLEM = "application/problem+json"


@pytest.fixture
def users(world: World) -> dict[str, dict[str, str]]:
    s = world.sessions
    return {
        "dev": make_user(s, "dev", "developer", "mangrove-dev"),
        "buyer": make_user(s, "buyer", "reporter", "buyer-co"),
        "verifier": make_user(s, "verifier", "verifier"),
        "office": make_user(s, "office", "regulator"),
    }


def _issued(world: World, net_t: str = "100") -> tuple[str, int]:
    project = registered_project(world.sessions)
    issued_report(world.sessions, project, 2024, {"net_t": net_t})
    return project.id, 2024


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    return body


def test_retirement_answers_with_its_receipt_and_public_record(
    app_client: Any, world: World, users: dict[str, dict[str, str]]
) -> None:
    project_id, vintage = _issued(world)  # 100 t → 80 held, 20 buffer
    dev = world.dev[AccountKind.HOLDING].id
    body = {
        "account_id": dev,
        "project_id": project_id,
        "vintage": vintage,
        "start": 11,
        "end": 30,
        "beneficiary": "Wenchang primary school",
        "purpose": "2025 school trips",
    }
    response = app_client.post("/api/v1/registry/retirements", json=body, headers=users["dev"])
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["kind"] == "retirement"
    assert sorted((b["start"], b["serial"], b["state"], b["count"]) for b in receipt["produced"]) == [
        (1, "CB-CN-HI-MG001-2024-1-10", "held", 10),
        (11, "CB-CN-HI-MG001-2024-11-30", "retired", 20),
        (31, "CB-CN-HI-MG001-2024-31-80", "held", 50),
    ]
    assert receipt["verify_url"] == f"/transparency-log/entries/{receipt['log_index']}"
    assert receipt["receipt"].startswith("c2sp.org/tlog-proof")
    records = app_client.get(f"/api/v1/registry/retirements?project_id={project_id}").json()
    assert [(r["beneficiary"], r["serials"], r["log_index"]) for r in records] == [
        ("Wenchang primary school", ["CB-CN-HI-MG001-2024-11-30"], receipt["log_index"])
    ]
    found = app_client.get("/api/v1/registry/serials/CB-CN-HI-MG001-2024-1-30").json()
    assert [(f["serial"], f["state"]) for f in found] == [
        ("CB-CN-HI-MG001-2024-1-10", "held"),
        ("CB-CN-HI-MG001-2024-11-30", "retired"),
    ]


def test_overdrawn_retirement_is_a_conflict_and_changes_nothing(
    app_client: Any, world: World, users: dict[str, dict[str, str]]
) -> None:
    project_id, vintage = _issued(world)
    dev = world.dev[AccountKind.HOLDING].id
    body = {
        "account_id": dev,
        "project_id": project_id,
        "vintage": vintage,
        "quantity": 81,
        "beneficiary": "x",
        "purpose": "y",
    }
    problem = _problem(app_client.post("/api/v1/registry/retirements", json=body, headers=users["dev"]), 409)
    assert "80" in problem["detail"]
    assert registry_reads.retirement_records(world.sessions, project_id) == []
    balances = app_client.get(f"/api/v1/registry/accounts/{dev}/balances", headers=users["dev"]).json()
    assert [(b["state"], b["tonnes"]) for b in balances] == [("held", 80)]


@pytest.mark.parametrize("quantity", [1.5, "3", True, 0])
def test_quantity_must_be_a_whole_positive_integer(
    app_client: Any, world: World, users: dict[str, dict[str, str]], quantity: object
) -> None:
    project_id, vintage = _issued(world)
    body = {
        "account_id": world.dev[AccountKind.HOLDING].id,
        "project_id": project_id,
        "vintage": vintage,
        "quantity": quantity,
        "to_account_id": world.buyer[AccountKind.HOLDING].id,
    }
    problem = _problem(app_client.post("/api/v1/registry/transfers", json=body, headers=users["dev"]), 422)
    assert problem["code"] == "invalid-input"
    assert [i["location"][-1] for i in problem["issues"]] == ["quantity"]


def test_roles_and_organisations_are_checked(
    app_client: Any, world: World, users: dict[str, dict[str, str]]
) -> None:
    project_id, vintage = _issued(world)
    dev = world.dev[AccountKind.HOLDING].id
    move = {
        "account_id": dev,
        "project_id": project_id,
        "vintage": vintage,
        "quantity": 1,
        "to_account_id": world.buyer[AccountKind.HOLDING].id,
    }
    _problem(app_client.post("/api/v1/registry/transfers", json=move), 401)
    _problem(app_client.post("/api/v1/registry/transfers", json=move, headers=users["buyer"]), 403)
    _problem(app_client.get(f"/api/v1/registry/accounts/{dev}/balances", headers=users["buyer"]), 403)
    _problem(
        app_client.post(
            f"/api/v1/registry/projects/{project_id}/validate", json={"opinion": "ok"}, headers=users["dev"]
        ),
        403,
    )
    _problem(app_client.post("/api/v1/registry/reports/mr_missing/issue", headers=users["office"]), 404)
    _problem(app_client.get("/api/v1/registry/projects/prj_missing"), 404)


def test_implausible_report_is_verified_only_with_an_override_reason(
    app_client: Any, world: World, users: dict[str, dict[str, str]]
) -> None:
    project = registered_project(world.sessions)
    body = {
        "period_start": "2024-01-01",
        "period_end": "2024-12-31",
        "parameters": {"net_t": "600", "implausible": True},
    }
    submitted = app_client.post(
        f"/api/v1/registry/projects/{project.id}/reports", json=body, headers=users["dev"]
    )
    assert submitted.status_code == 201, submitted.text
    report = submitted.json()["report"]
    assert [f["check"] for f in report["calculation"]["flags"]] == ["fuel_per_area"]
    url = f"/api/v1/registry/reports/{report['id']}/verify"
    problem = _problem(app_client.post(url, json={"opinion": "Fine."}, headers=users["verifier"]), 409)
    assert "override" in problem["detail"]
    verdict = {"opinion": "Fine.", "override_reason": "Area re-measured: 600 L is for 15 mu, not 1."}
    verified = app_client.post(url, json=verdict, headers=users["verifier"])
    assert verified.status_code == 200, verified.text
    assert verified.json()["report"]["override_reason"] == verdict["override_reason"]


def test_reversal_and_cancellation_answer_with_receipts(
    app_client: Any, world: World, users: dict[str, dict[str, str]]
) -> None:
    project_id, vintage = _issued(world)
    reversal = app_client.post(
        f"/api/v1/registry/projects/{project_id}/reversals",
        json={"loss_t": 5, "reason": "typhoon die-back"},
        headers=users["office"],
    )
    assert reversal.status_code == 201, reversal.text
    assert reversal.json()["details"]["from_project_buffer"] == 5
    cancel = {
        "account_id": world.dev[AccountKind.HOLDING].id,
        "project_id": project_id,
        "vintage": vintage,
        "quantity": 2,
        "reason": "double counting correction",
    }
    cancelled = app_client.post("/api/v1/registry/cancellations", json=cancel, headers=users["dev"])
    assert cancelled.status_code == 201, cancelled.text
    sheet = app_client.get(f"/api/v1/registry/projects/{project_id}").json()
    [tally] = sheet["tallies"]
    assert tally == {
        "project_id": project_id,
        "vintage": 2024,
        "issued": 100,
        "by_state": {"held": 78, "cancelled": 7, "buffer": 15},
        "balanced": True,
    }


def test_openapi_documents_the_registry(app_client: Any) -> None:
    paths = app_client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/registry/projects",
        "/api/v1/registry/projects/{project_id}/reports",
        "/api/v1/registry/reports/{report_id}/verify",
        "/api/v1/registry/reports/{report_id}/issue",
        "/api/v1/registry/transfers",
        "/api/v1/registry/retirements",
        "/api/v1/registry/cancellations",
        "/api/v1/registry/accounts/{account_id}/blocks",
        "/api/v1/registry/serials/{serial}",
    ):
        assert path in paths
    retire = paths["/api/v1/registry/retirements"]["post"]
    assert "beneficiary" in retire["description"]
    assert set(retire["responses"]) >= {"201", "422"}


def test_the_writer_checks_the_token_of_every_move_in_its_own_transaction(
    app_client: Any, world: World, users: dict[str, dict[str, str]]
) -> None:
    """Single moves are authenticated by the group commit, in the batch's transaction: an
    unknown token, a malformed header, a revoked token and no token are refused (401, nothing
    moved); a web session cookie works as the bearer token does."""
    from datetime import UTC, datetime

    from sqlalchemy import update

    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.platform.identity import TokenRow, _token_digest

    project_id, vintage = _issued(world)
    dev = world.dev[AccountKind.HOLDING].id
    body = {"account_id": dev, "project_id": project_id, "vintage": vintage, "quantity": 1}
    retire = {**body, "beneficiary": "Sanya hotel guests", "purpose": "2025 stays"}
    before = registry_reads.balances(world.sessions, ADMIN, dev)
    for headers in ({"Authorization": "Bearer cb_unknown"}, {"Authorization": "Basic eDp5"}, {}):
        problem = _problem(app_client.post("/api/v1/registry/retirements", json=retire, headers=headers), 401)
        assert problem["code"] == "unauthenticated"
    token = users["dev"]["Authorization"].removeprefix("Bearer ")
    app_client.cookies.set("cb_session", token)
    cookie = app_client.post("/api/v1/registry/retirements", json=retire)
    app_client.cookies.clear()
    assert cookie.status_code == 201, cookie.text
    with unit_of_work(world.sessions) as session:
        session.execute(
            update(TokenRow)
            .where(TokenRow.token_sha256 == _token_digest(token))
            .values(revoked_at=datetime.now(UTC))
        )
    _problem(app_client.post("/api/v1/registry/retirements", json=retire, headers=users["dev"]), 401)
    after = registry_reads.balances(world.sessions, ADMIN, dev)
    assert (
        sum(b.tonnes for b in before if b.state == "held") - sum(b.tonnes for b in after if b.state == "held")
        == 1
    )  # the cookie's one
