"""Correcting data without losing history, through the API on both databases (issue 9 §6):
intake refuses rows no framework computes; a stored record that cannot be computed is listed, not
fatal, on every surface; replacements and reopenings keep every earlier version and pass the audit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from carbonbridge.accounting import store
from carbonbridge.accounting.model import ActivityCategory, ActivityRecord
from carbonbridge.accounting.service import release
from carbonbridge.accounting.service.events import SUBMISSION_EVENT, submission_event
from carbonbridge.ledger import service as ledger
from carbonbridge.ledger.cli import register_context_auditors
from carbonbridge.ledger.service import keys
from carbonbridge.ledger.store import LogEntryRow
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.settings import get_settings
from tests.accounting.test_api import HEADER, ROWS, _upload
from tests.accounting.test_api import actors as actors

BASE = "/api/v1/organisations/hotel-a"
UNOBTAINIUM = "hq,2024-02-01,2024-02-29,stationary_combustion,fuel.unobtainium,5,t,,\n"
GAS = "hq,2024-01-01,2024-12-31,stationary_combustion,fuel.natural_gas,100000,Nm3,,\n"


def _inventory(app_client: Any, headers: dict[str, str]) -> dict[str, Any]:
    response = app_client.get(f"{BASE}/inventory?year=2024&gwp=AR6", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _total(inventory: dict[str, Any]) -> Decimal:
    return Decimal(inventory["views"]["ghgp"]["total_co2e_kg"])


def _records(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(store.ActivityRow)) or 0)


def _entries(sessions: sessionmaker[Session]) -> list[tuple[int, str, bytes]]:
    with sessions() as session:
        rows = session.execute(
            select(LogEntryRow.index, LogEntryRow.kind, LogEntryRow.entry).order_by("index")
        )
        return [(int(i), str(k), bytes(e)) for i, k, e in rows]


def _audit_ok(app_client: Any, sessions: sessionmaker[Session]) -> list[Any]:
    register_context_auditors()
    verifier = keys.log_signer(app_client.app.state.settings).verifier()
    return list(ledger.audit(sessions, verifier=verifier).findings)


def store_as_older_code(sessions: sessionmaker[Session], activity: str = "fuel.unobtainium") -> str:
    """A record the engine cannot compute, stored and logged as the code before issue 9 did."""
    record = ActivityRecord(
        "act_legacy",
        "hotel-a",
        "hq",
        date(2024, 2, 1),
        date(2024, 2, 29),
        ActivityCategory.STATIONARY_COMBUSTION,
        activity,
        Decimal(5),
        "t",
        "CN-HI",
        "CN-GRID-SOUTH",
    )
    with unit_of_work(sessions) as session:
        store.add_submission(
            session,
            submission_id="sub_legacy",
            organisation_id="hotel-a",
            filename="legacy.csv",
            sha256="0" * 64,
            records=[record],
            submitted_by="",
            at=datetime(2025, 1, 1, tzinfo=UTC),
        )
        event = submission_event(session, "sub_legacy") or {}
        pending = ledger.append_event(session, SUBMISSION_EVENT, event, private=True)
        store.set_submission_log_index(session, "sub_legacy", pending.index)  # as migration 0013 fills it
        # stored before the regional contributions existed: migration 0016's backfill computes
        # every organisation's contributions (these records' exclusions included) and the statement
        store.bump_regional_version(session)
        release.backfill(session)
    return "sub_legacy"


# --- intake ---------------------------------------------------------------------------------


def test_an_uncomputable_row_is_refused_and_nothing_is_stored(
    app_client: Any, actors: dict[str, Any], sessions: sessionmaker[Session]
) -> None:
    response = _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS + UNOBTAINIUM)

    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"] == "1 of 5 rows are invalid; nothing was stored"
    [issue] = body["issues"]
    assert issue["location"] == ["rows", 6, "activity"]
    assert issue["value"] == "fuel.unobtainium"
    assert "cannot be computed" in issue["reason"]
    assert _records(sessions) == 0
    assert [k for _, k, _ in _entries(sessions)] == ["accounting.organisation"] * 2


def test_uncomputable_json_rows_are_refused_by_array_index(
    app_client: Any, actors: dict[str, Any], sessions: sessionmaker[Session]
) -> None:
    row = {
        "facility_id": "hq",
        "period_start": "2024-02-01",
        "period_end": "2024-02-29",
        "category": "stationary_combustion",
        "activity": "fuel.unobtainium",
        "quantity": "5",
        "unit": "t",
    }
    response = app_client.post(f"{BASE}/activity.json", json={"rows": [row]}, headers=actors["reporter"])

    assert response.status_code == 422
    assert response.json()["issues"][0]["location"] == ["rows", 0, "activity"]
    assert _records(sessions) == 0


def test_the_stateless_compute_refuses_an_uncomputable_row_with_its_row(app_client: Any) -> None:
    rows = [
        {
            "facility_id": "f",
            "period_start": "2024-01-01",
            "period_end": "2024-12-31",
            "category": "stationary_combustion",
            "activity": "fuel.unobtainium",
            "quantity": "1",
            "unit": "t",
        }
    ]
    facilities = [{"id": "f", "name": "f", "region": "CN-HI", "grid_region": "CN-GRID-SOUTH"}]
    response = app_client.post("/api/v1/inventory/compute", json={"facilities": facilities, "rows": rows})

    assert response.status_code == 422
    assert response.json()["issues"][0]["location"] == ["rows", 0, "activity"]


# --- one record that cannot be computed takes nothing down ---------------------------------------


@pytest.fixture
def cli(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    from carbonbridge.accounting.cli import COMMANDS

    monkeypatch.setenv("CARBONBRIDGE_DATA_DIR", str(tmp_path))  # the app_client's data directory: one log key
    monkeypatch.setenv("CARBONBRIDGE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    keys.use_settings(get_settings())
    root = typer.Typer()
    for name, sub in COMMANDS.items():
        root.add_typer(sub, name=name)
    yield root
    get_settings.cache_clear()


def test_a_stored_uncomputable_record_is_listed_on_every_surface_and_excluded_from_totals(
    app_client: Any, actors: dict[str, Any], sessions: sessionmaker[Session], cli: typer.Typer
) -> None:
    assert _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS).status_code == 201
    before = _inventory(app_client, actors["reporter"])
    region_before = app_client.get("/api/v1/inventory/region").json()
    store_as_older_code(sessions)

    after = _inventory(app_client, actors["reporter"])
    assert _total(after) == _total(before)
    assert after["excluded_records"] == 1
    [listed] = after["not_computable"]
    assert (listed["record_id"], listed["activity"], listed["quantity"]) == (
        "act_legacy",
        "fuel.unobtainium",
        "5",
    )
    assert "fuel.unobtainium" in listed["reason"]

    region = app_client.get("/api/v1/inventory/region")
    assert region.status_code == 200, region.text
    assert region.json()["excluded_records"] == 1
    assert region.json()["not_computable"] == [
        {"year": 2024, "activity": "fuel.unobtainium", "records": 1, "reason": listed["reason"]}
    ]
    figures = [{k: v for k, v in y.items() if k != "coverage"} for y in region.json()["years"]]
    assert figures == [{k: v for k, v in y.items() if k != "coverage"} for y in region_before["years"]]
    assert [y["coverage"]["excluded_records"] for y in region.json()["years"]] == [1]

    for lang, label in (("zh", "无法计算"), ("en", "Not computable")):
        page = app_client.get(f"/organisations/hotel-a?year=2024&lang={lang}", headers=actors["regulator"])
        assert page.status_code == 200, page.text
        assert label in page.text
        assert "fuel.unobtainium" in page.text
        dashboard = app_client.get(f"/inventory/region?lang={lang}")
        assert dashboard.status_code == 200
        assert label in dashboard.text

    result = CliRunner().invoke(cli, ["inventory", "region"])
    assert result.exit_code == 0, result.output
    assert "not computable / 无法计算: 1 record(s)" in result.output
    assert "2024 fuel.unobtainium (1 record(s))" in result.output


def test_a_year_with_an_uncomputable_record_is_not_finalised(
    app_client: Any, actors: dict[str, Any], sessions: sessionmaker[Session]
) -> None:
    _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS)
    store_as_older_code(sessions)

    response = app_client.post(
        f"{BASE}/inventory/2024/finalise", json={"gwp": "AR6"}, headers=actors["reporter"]
    )

    assert response.status_code == 409
    assert response.json()["issues"][0]["location"] == ["records", "act_legacy"]


def test_an_uncomputable_legacy_submission_is_corrected_by_replacing_it(
    app_client: Any, actors: dict[str, Any], sessions: sessionmaker[Session]
) -> None:
    legacy = store_as_older_code(sessions)
    fixed = "hq,2024-02-01,2024-02-29,stationary_combustion,fuel.diesel,5,t,,\n"

    response = _upload_replacing(app_client, actors["reporter"], HEADER + fixed, legacy)

    assert response.status_code == 201, response.text
    inventory = _inventory(app_client, actors["reporter"])
    assert inventory["not_computable"] == []
    assert inventory["records"] == 1
    assert _audit_ok(app_client, sessions) == []


# --- replacements ----------------------------------------------------------------------------


def _upload_replacing(app_client: Any, headers: dict[str, str], body: str, replaces: str) -> Any:
    files = {"file": ("fix.csv", body.encode(), "text/csv")}
    return app_client.post(f"{BASE}/activity?replaces={replaces}", files=files, headers=headers)


def test_a_replacement_keeps_both_versions_and_the_inventory_uses_the_latest(
    app_client: Any, actors: dict[str, Any], sessions: sessionmaker[Session]
) -> None:
    first = _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS).json()
    original = _inventory(app_client, actors["reporter"])
    corrected = ROWS.replace("fuel.natural_gas,100000,Nm3", "fuel.natural_gas,90000,Nm3")

    second = _upload_replacing(app_client, actors["reporter"], HEADER + corrected, first["submission_id"])

    assert second.status_code == 201, second.text
    assert second.json()["replaces"] == first["submission_id"]
    now = _inventory(app_client, actors["reporter"])
    assert now["records"] == 4
    gas = Decimal(original["views"]["ghgp"]["totals"]["scope1.stationary"])
    assert Decimal(now["views"]["ghgp"]["totals"]["scope1.stationary"]) == gas * Decimal("0.9")
    assert _records(sessions) == 8  # nothing deleted: both versions are stored
    history = app_client.get(f"{BASE}/submissions", headers=actors["reporter"]).json()
    assert [(h["id"], h["replaces"], h["replaced_by"]) for h in history] == [
        (first["submission_id"], None, second.json()["submission_id"]),
        (second.json()["submission_id"], first["submission_id"], None),
    ]
    assert history[1]["submitted_by"]
    assert history[1]["log_index"] == second.json()["log_index"]


def test_the_replacement_is_a_new_log_entry_bound_to_the_entry_it_replaces(
    app_client: Any, actors: dict[str, Any], sessions: sessionmaker[Session]
) -> None:
    first = _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS).json()
    log_before = _entries(sessions)
    second = _upload_replacing(app_client, actors["reporter"], HEADER + GAS, first["submission_id"]).json()

    log_after = _entries(sessions)
    assert log_after[: len(log_before)] == log_before  # append-only
    index, kind, _ = log_after[-1]
    assert (index, kind) == (second["log_index"], "accounting.submission_replacement")
    with sessions() as session:
        _salt, payload = ledger.commitment_opening(session, index)
    replaces = json.loads(payload)["replaces"]
    replaced_entry = json.loads(log_after[first["log_index"]][2])
    assert replaces == {
        "submission_id": first["submission_id"],
        "entry": first["log_index"],
        "commitment": replaced_entry["commitment"],
    }
    assert _audit_ok(app_client, sessions) == []


def test_replacing_an_already_replaced_submission_names_the_latest_version(
    app_client: Any, actors: dict[str, Any]
) -> None:
    first = _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS).json()["submission_id"]
    second = _upload_replacing(app_client, actors["reporter"], HEADER + GAS, first).json()["submission_id"]

    again = _upload_replacing(app_client, actors["reporter"], HEADER + GAS, first)

    assert again.status_code == 409
    assert again.json()["type"].endswith("#accounting-submission-replaced")
    assert second in again.json()["detail"]


def test_a_reporter_cannot_replace_another_organisations_submission(
    app_client: Any, actors: dict[str, Any], sessions: sessionmaker[Session]
) -> None:
    theirs = _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS).json()["submission_id"]
    body = HEADER + GAS.replace("hq,", "hq-b,")
    files = {"file": ("x.csv", body.encode(), "text/csv")}

    response = app_client.post(
        f"/api/v1/organisations/hotel-b/activity?replaces={theirs}", files=files, headers=actors["other"]
    )

    assert response.status_code == 404
    assert _records(sessions) == 4


def test_a_duplicate_row_names_the_submission_to_replace(app_client: Any, actors: dict[str, Any]) -> None:
    first = _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS).json()["submission_id"]

    response = _upload(app_client, actors["reporter"], "hotel-a", HEADER + GAS)

    assert response.status_code == 409
    assert first in response.json()["issues"][0]["reason"]
    assert "?replaces=" in response.json()["detail"]


def test_the_negative_quantity_message_points_at_the_replacement(
    app_client: Any, actors: dict[str, Any]
) -> None:
    response = _upload(app_client, actors["reporter"], "hotel-a", HEADER + GAS.replace("100000", "-1"))

    reason = response.json()["issues"][0]["reason"]
    assert "activity?replaces=<submission id>" in reason
    assert "inventory submit --replaces" in reason


# --- reopening ---------------------------------------------------------------------------------


def _finalise(app_client: Any, headers: dict[str, str]) -> Any:
    return app_client.post(f"{BASE}/inventory/2024/finalise", json={"gwp": "AR6"}, headers=headers)


def _verify(app_client: Any, headers: dict[str, str]) -> Any:
    body = {"opinion": "reasonable_assurance", "statement": "Verified per ISO 14064-3:2019."}
    return app_client.post(f"{BASE}/inventory/2024/verification", json=body, headers=headers)


def test_a_finalised_year_is_reopened_with_a_reason_then_corrected_finalised_and_verified_again(
    app_client: Any, actors: dict[str, Any], sessions: sessionmaker[Session]
) -> None:
    first = _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS).json()["submission_id"]
    old_final = _finalise(app_client, actors["reporter"]).json()
    old_verified = _verify(app_client, actors["verifier"]).json()
    corrected = HEADER + ROWS.replace("100000,Nm3", "90000,Nm3")
    locked = _upload_replacing(app_client, actors["reporter"], corrected, first)
    assert locked.status_code == 409
    assert locked.json()["type"].endswith("#accounting-inventory-finalised")
    assert "reopen" in locked.json()["detail"]

    reason = "Gas meter misread in the finalised return; the utility's invoice shows 90,000 Nm3."
    reopened = app_client.post(
        f"{BASE}/inventory/2024/reopen", json={"reason": reason}, headers=actors["regulator"]
    )

    assert reopened.status_code == 201, reopened.text
    assert reopened.json()["revision"] == 1
    entry = json.loads(_entries(sessions)[reopened.json()["log_index"]][2])
    assert entry["kind"] == "accounting.inventory_reopened"  # public: anyone can see a year was reopened
    assert entry["event"]["finalisation_entry"] == old_final["log_index"]
    assert entry["event"]["verification_entry"] == old_verified["log_index"]
    assert _upload_replacing(app_client, actors["reporter"], corrected, first).status_code == 201
    early = _verify(app_client, actors["verifier"])
    assert early.status_code == 409  # the new revision is not finalised yet
    new_final = _finalise(app_client, actors["reporter"])
    assert new_final.status_code == 201, new_final.text
    assert new_final.json()["revision"] == 1
    assert new_final.json()["figures"]["ghgp_total_kg"] != old_final["figures"]["ghgp_total_kg"]
    assert _verify(app_client, actors["verifier"]).status_code == 201
    listed = app_client.get(f"{BASE}/statements", headers=actors["regulator"]).json()
    assert [(s["kind"], s["revision"], s["superseded"]) for s in listed] == [
        ("finalised", 0, True),
        ("verified", 0, True),
        ("finalised", 1, False),
        ("verified", 1, False),
    ]
    reopenings = app_client.get(f"{BASE}/reopenings", headers=actors["reporter"]).json()
    assert [(r["year"], r["revision"], r["reason"]) for r in reopenings] == [(2024, 1, reason)]
    assert _audit_ok(app_client, sessions) == []


def test_only_the_regulator_reopens_only_a_finalised_year_and_only_with_a_reason(
    app_client: Any, actors: dict[str, Any]
) -> None:
    _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS)
    url = f"{BASE}/inventory/2024/reopen"
    body = {"reason": "a reason"}
    assert app_client.post(url, json=body, headers=actors["regulator"]).status_code == 409  # not finalised
    _finalise(app_client, actors["reporter"])

    assert app_client.post(url, json=body, headers=actors["reporter"]).status_code == 403
    assert app_client.post(url, json=body).status_code == 401
    assert app_client.post(url, json={"reason": "   "}, headers=actors["regulator"]).status_code == 422
    assert app_client.post(url, json={"reason": ""}, headers=actors["regulator"]).status_code == 422
    assert app_client.post(url, json=body, headers=actors["regulator"]).status_code == 201
    assert app_client.post(url, json=body, headers=actors["regulator"]).status_code == 409  # open already


def test_the_audit_finds_current_records_hidden_behind_the_logs_back(
    app_client: Any, actors: dict[str, Any], sessions: sessionmaker[Session]
) -> None:
    first = _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS).json()["submission_id"]
    second = _upload_replacing(app_client, actors["reporter"], HEADER + GAS, first).json()
    assert _audit_ok(app_client, sessions) == []
    with unit_of_work(sessions) as session:  # someone marks the current data superseded in the database
        session.execute(
            update(store.ActivityRow)
            .where(store.ActivityRow.submission_id == second["submission_id"])
            .values(superseded_by=first)
        )

    findings = _audit_ok(app_client, sessions)

    assert [f.record for f in findings] == [f"entry {second['log_index']}"]
    assert "differs from what was logged" in findings[0].reason


# --- the CLI -------------------------------------------------------------------------------------


def test_the_cli_replaces_a_submission_lists_the_history_and_reopens_a_year(
    app_client: Any, actors: dict[str, Any], sessions: sessionmaker[Session], cli: typer.Typer, tmp_path: Path
) -> None:
    runner = CliRunner()
    first = _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS).json()["submission_id"]
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(HEADER + ROWS.replace("100000,Nm3", "90000,Nm3"), encoding="utf-8")

    replaced = runner.invoke(
        cli, ["inventory", "submit", str(fixed), "--organisation", "hotel-a", "--replaces", first]
    )

    assert replaced.exit_code == 0, replaced.output
    assert f"replacing {first}" in replaced.output
    again = runner.invoke(
        cli, ["inventory", "submit", str(fixed), "--organisation", "hotel-a", "--replaces", first]
    )
    assert again.exit_code != 0
    assert type(again.exception).__name__ == "SubmissionReplaced"
    history = runner.invoke(cli, ["inventory", "submissions", "hotel-a"])
    assert history.exit_code == 0, history.output
    assert "replaced by" in history.output
    assert f"replaces {first}" in history.output
    assert _finalise(app_client, actors["reporter"]).status_code == 201
    reopened = runner.invoke(cli, ["inventory", "reopen", "hotel-a", "2024", "--reason", "meter misread"])
    assert reopened.exit_code == 0, reopened.output
    assert "reopened hotel-a 2024 (revision 1)" in reopened.output
    assert _audit_ok(app_client, sessions) == []
