"""Trust across contexts: an activity-data submission is logged in the same transaction, its
receipt verifies offline with only the log's public key, and tampering with the stored activity
data is caught by the audit, which names the entry."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting.store import ActivityRow
from carbonbridge.ledger import service as ledger
from carbonbridge.ledger.cli import register_context_auditors
from carbonbridge.ledger.proof import parse_receipt, verify_receipt
from carbonbridge.ledger.service import keys
from tests.accounting.test_api import HEADER, ROWS, _upload
from tests.accounting.test_api import actors as actors


def test_submission_receipt_verifies_offline(app_client: Any, actors: dict[str, Any]) -> None:
    response = _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS)
    assert response.status_code == 201
    body = response.json()
    vkey = app_client.get("/api/v1/ledger/key").text.strip()
    verified = verify_receipt(body["receipt"], vkey, leaf=None, entry=parse_receipt(body["receipt"]).extra)
    assert verified.index == body["log_index"]
    # a private submission: the log holds only a commitment, never the activity data
    assert b"commitment" in (parse_receipt(body["receipt"]).extra or b"")
    assert b"natural_gas" not in (parse_receipt(body["receipt"]).extra or b"")


def test_audit_names_the_entry_whose_activity_data_was_altered(
    app_client: Any,
    actors: dict[str, Any],
    sessions: sessionmaker[Session],
) -> None:
    body = _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS).json()
    register_context_auditors()
    verifier = keys.log_signer(app_client.app.state.settings).verifier()
    assert ledger.audit(sessions, verifier=verifier).ok
    with sessions.begin() as session:  # an insider edits a stored quantity behind the platform's back
        session.execute(
            update(ActivityRow).where(ActivityRow.activity == "electricity.grid").values(unit="kWh")
        )
    report = ledger.audit(sessions, verifier=verifier)
    assert not report.ok
    assert report.findings[0].record == f"entry {body['log_index']}"
    assert "accounting.submission" in report.findings[0].reason
