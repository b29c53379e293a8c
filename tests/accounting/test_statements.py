"""Finalisation and verification statements through the API, each with its log receipt."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.ledger import service as ledger
from carbonbridge.ledger.cli import register_context_auditors
from carbonbridge.ledger.proof import parse_receipt, verify_receipt
from carbonbridge.ledger.service import keys
from tests.accounting.test_api import HEADER, ROWS, _upload
from tests.accounting.test_api import actors as actors

BASE = "/api/v1/organisations/hotel-a"


def test_finalise_then_verify_with_receipts(app_client: Any, actors: dict[str, Any]) -> None:
    _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS)
    final = app_client.post(
        f"{BASE}/inventory/2024/finalise", json={"gwp": "AR6"}, headers=actors["reporter"]
    )
    assert final.status_code == 201, final.text
    inv = app_client.get(f"{BASE}/inventory?year=2024&gwp=AR6", headers=actors["reporter"]).json()
    assert Decimal(final.json()["figures"]["ghgp_total_kg"]) == Decimal(inv["views"]["ghgp"]["total_co2e_kg"])
    vkey = app_client.get("/api/v1/ledger/key").text.strip()
    receipt = final.json()["receipt"]
    assert (
        verify_receipt(receipt, vkey, entry=parse_receipt(receipt).extra).index == final.json()["log_index"]
    )

    body = {"opinion": "reasonable_assurance", "statement": "Verified per ISO 14064-3:2019."}
    verified = app_client.post(f"{BASE}/inventory/2024/verification", json=body, headers=actors["verifier"])
    assert verified.status_code == 201, verified.text
    entry = parse_receipt(verified.json()["receipt"]).extra or b""
    assert b"reasonable_assurance" in entry  # verification statements are public log entries
    listed = app_client.get(f"{BASE}/statements", headers=actors["regulator"]).json()
    assert [s["kind"] for s in listed] == ["finalised", "verified"]


def test_a_finalised_year_accepts_no_more_activity_data(app_client: Any, actors: dict[str, Any]) -> None:
    _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS)
    app_client.post(f"{BASE}/inventory/2024/finalise", json={"gwp": "AR6"}, headers=actors["reporter"])
    late = "hq,2024-03-01,2024-03-31,refrigerant,refrigerant.HFC-134a,1,kg,,\n"
    response = _upload(app_client, actors["reporter"], "hotel-a", HEADER + late)
    assert response.status_code == 409
    assert "finalised" in response.json()["issues"][0]["reason"]


def test_only_a_verifier_verifies_and_only_once_finalised(app_client: Any, actors: dict[str, Any]) -> None:
    _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS)
    body = {"opinion": "limited_assurance", "statement": "ok"}
    early = app_client.post(f"{BASE}/inventory/2024/verification", json=body, headers=actors["verifier"])
    assert early.status_code == 409
    app_client.post(f"{BASE}/inventory/2024/finalise", json={"gwp": "AR5"}, headers=actors["reporter"])
    assert (
        app_client.post(
            f"{BASE}/inventory/2024/verification", json=body, headers=actors["reporter"]
        ).status_code
        == 403
    )
    bad = app_client.post(
        f"{BASE}/inventory/2024/verification", json={**body, "opinion": "great"}, headers=actors["verifier"]
    )
    assert bad.status_code == 422
    twice = app_client.post(
        f"{BASE}/inventory/2024/finalise", json={"gwp": "AR5"}, headers=actors["reporter"]
    )
    assert twice.status_code == 409


def test_audit_recomputes_statements(
    app_client: Any,
    actors: dict[str, Any],
    sessions: sessionmaker[Session],
) -> None:
    _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS)
    app_client.post(f"{BASE}/inventory/2024/finalise", json={"gwp": "AR6"}, headers=actors["reporter"])
    register_context_auditors()
    verifier = keys.log_signer(app_client.app.state.settings).verifier()
    assert ledger.audit(sessions, verifier=verifier).ok
