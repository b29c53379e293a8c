"""Ex-ante (planned) units converted into verified units in place when a monitoring report of
their project and vintage is issued (issue 4): Gold Standard's model, where Planned Emission
Reductions "are converted into Verified Emission Reductions" after performance certification
(SustainCert help centre, "What are validated certificates (PERs)?"). Worked examples through the
service, the API and the project page, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.errors import Conflict, Forbidden
from carbonbridge.ledger import keys
from carbonbridge.ledger import service as ledger
from carbonbridge.ledger.cli import register_context_auditors
from carbonbridge.ledger.proof import parse_receipt, verify_receipt
from carbonbridge.registry import issuance as issuing
from carbonbridge.registry import reads, service, store, writes
from carbonbridge.registry.errors import InsufficientUnits, InvalidTransition
from carbonbridge.registry.model import (
    BUFFER_POOL_ACCOUNT,
    AccountKind,
    MonitoringReport,
    Project,
    Retirement,
    Transfer,
    Units,
    UnitState,
)
from carbonbridge.registry.units import service as movements
from tests.conftest import make_user
from tests.registry.conftest import BUYER, DEVELOPER, REGULATOR, VERIFIER, World
from tests.registry.helpers import issued_report, registered_project

Placed = tuple[int, int, str, UnitState]


def _blocks(sessions: sessionmaker[Session], project_id: str, vintage: int) -> list[Placed]:
    with sessions.begin() as session:
        found = store.open_blocks(session, project_id=project_id, vintage=vintage)
    return [(b.start, b.end, b.account_id, b.state) for b in found]


def _verified(
    sessions: sessionmaker[Session], project: Project, start: date, end: date, net_t: str
) -> MonitoringReport:
    report, _ = service.submit_report(sessions, DEVELOPER, project.id, start, end, {"net_t": net_t})
    service.verify_report(sessions, VERIFIER, report.id, "Reasonable assurance (ISO 14064-3).")
    return report


def _logged(receipt: Any) -> dict[str, Any]:
    """The registry event in a public entry (``{"at", "event", "kind"}``)."""
    event: dict[str, Any] = json.loads(parse_receipt(receipt.receipt).extra or b"{}")["event"]
    return event


@pytest.fixture
def planned(world: World) -> Project:
    """MG001 (removal, 20 % buffer): 100 t planned for 2025 (serials 1-100) and 10 t for 2024,
    then the developer transfers 30 planned 2025 units (the oldest, 1-30) to the buyer."""
    project = registered_project(world.sessions)
    issuing.issue_planned(world.sessions, REGULATOR, project.id, 2025, 100, "validated design, ex-ante")
    issuing.issue_planned(world.sessions, REGULATOR, project.id, 2024, 10, "validated design, ex-ante")
    dev, buyer = world.dev[AccountKind.HOLDING].id, world.buyer[AccountKind.HOLDING].id
    movements.transfer(world.sessions, DEVELOPER, Transfer(Units(dev, project.id, 2025, quantity=30), buyer))
    return project


def test_verified_report_converts_the_oldest_planned_units_wherever_held(
    world: World, planned: Project
) -> None:
    """80 t verified for 2025, removal with the 20 % default buffer: q = 80, b = ceil(16) = 16,
    q − b = 64 to holders. The 64 oldest planned serials convert in place (the buyer's 1-30 and
    the developer's 31-64), 65-100 stay planned, 16 new buffer serials 101-116, no new held
    serials; the 2024 planned units are another vintage and stay planned."""
    s = world.sessions
    dev, buyer = world.dev[AccountKind.HOLDING].id, world.buyer[AccountKind.HOLDING].id

    report, receipt = issued_report(s, planned, 2025, {"net_t": "80"})

    assert sorted((b.start, b.end, b.account_id, b.state) for b in receipt.produced) == [
        (1, 30, buyer, UnitState.HELD),
        (31, 64, dev, UnitState.HELD),
        (65, 100, dev, UnitState.PLANNED),
        (101, 116, BUFFER_POOL_ACCOUNT, UnitState.BUFFER),
    ]
    assert _blocks(s, planned.id, 2025) == [
        (1, 30, buyer, UnitState.HELD),
        (31, 64, dev, UnitState.HELD),
        (65, 100, dev, UnitState.PLANNED),
        (101, 116, BUFFER_POOL_ACCOUNT, UnitState.BUFFER),
    ]
    assert _blocks(s, planned.id, 2024) == [(1, 10, dev, UnitState.PLANNED)]
    assert receipt.operation.details["converted"] == 64
    with s.begin() as session:
        [row] = [r for r in store.issuances_of(session, planned.id) if r.report_id == report.id]
        assert (row.serial_start, row.serial_end, row.quantity, row.buffer, row.converted) == (
            101,
            116,
            16,
            16,
            64,
        )
    tallies = {t.vintage: t for t in reads.conservation(s, planned.id)}
    assert (tallies[2025].issued, tallies[2025].by_state) == (
        116,
        {UnitState.HELD: 64, UnitState.PLANNED: 36, UnitState.BUFFER: 16},
    )
    assert (tallies[2024].issued, tallies[2024].by_state) == (10, {UnitState.PLANNED: 10})
    assert all(t.balanced for t in tallies.values())
    assert reads.overlapping_blocks(s) == []


def test_the_issuance_entry_states_the_conversion_and_the_audit_recomputes_it(
    world: World, planned: Project
) -> None:
    s = world.sessions
    _, receipt = issued_report(s, planned, 2025, {"net_t": "80"})
    entry = _logged(receipt)
    assert verify_receipt(receipt.receipt, keys.verifier_key(), entry=parse_receipt(receipt.receipt).extra)
    facts = entry["facts"]
    assert (facts["quantity"], facts["buffer"], facts["converted"], facts["converted_serials"]) == (
        16,
        16,
        64,
        [[1, 64]],
    )
    assert entry["details"]["converted"] == 64
    register_context_auditors()
    assert ledger.audit(s).ok

    with s.begin() as session:  # someone edits the stored conversion count
        session.execute(
            update(store.IssuanceRow).where(store.IssuanceRow.id == receipt.operation.id).values(converted=63)
        )
    report = ledger.audit(s)
    assert [f.record for f in report.findings] == [f"entry {receipt.operation.log_index}"]


def test_buyer_retires_converted_units_but_not_still_planned_ones(world: World, planned: Project) -> None:
    s = world.sessions
    dev, buyer = world.dev[AccountKind.HOLDING].id, world.buyer[AccountKind.HOLDING].id
    issued_report(s, planned, 2025, {"net_t": "80"})
    movements.transfer(s, DEVELOPER, Transfer(Units(dev, planned.id, 2025, start=65, end=70), buyer))

    with pytest.raises(InsufficientUnits, match="first missing serial: 65"):
        movements.retire(s, BUYER, Retirement(Units(buyer, planned.id, 2025, start=65, end=70), "b", "p"))
    retired = movements.retire(
        s, BUYER, Retirement(Units(buyer, planned.id, 2025, start=1, end=30), "b", "p")
    )

    assert [(b.start, b.end, b.state) for b in retired.produced if b.state is UnitState.RETIRED] == [
        (1, 30, UnitState.RETIRED)
    ]
    assert [(b.start, b.end, b.state) for b in reads.holdings(s, BUYER, buyer)] == [
        (65, 70, UnitState.PLANNED)
    ]
    [tally] = [t for t in reads.conservation(s, planned.id) if t.vintage == 2025]
    assert tally.by_state == {
        UnitState.RETIRED: 30,
        UnitState.HELD: 34,
        UnitState.PLANNED: 36,
        UnitState.BUFFER: 16,
    }
    assert tally.balanced
    register_context_auditors()
    assert ledger.audit(s).ok


def test_verified_beyond_planned_converts_all_and_serialises_the_rest(world: World) -> None:
    """A reduction project (no buffer): 10 t planned for 2025, 25 t verified → 1-10 convert, 15 new
    held serials 11-25 to the developer."""
    s = world.sessions
    dev = world.dev[AccountKind.HOLDING].id
    project = registered_project(s, "PV001", "TEST-REDUCTION@2.0")
    issuing.issue_planned(s, REGULATOR, project.id, 2025, 10, "ex-ante estimate")

    report, receipt = issued_report(s, project, 2025, {"net_t": "25.9"})

    assert sorted((b.start, b.end, b.state) for b in receipt.produced) == [
        (1, 10, UnitState.HELD),
        (11, 25, UnitState.HELD),
    ]
    assert _blocks(s, project.id, 2025) == [(1, 10, dev, UnitState.HELD), (11, 25, dev, UnitState.HELD)]
    with s.begin() as session:
        row = next(r for r in store.issuances_of(session, project.id) if r.report_id == report.id)
        assert (row.serial_start, row.serial_end, row.quantity, row.converted) == (11, 25, 15, 10)
    [tally] = reads.conservation(s, project.id)
    assert (tally.issued, tally.by_state, tally.balanced) == (25, {UnitState.HELD: 25}, True)
    assert _logged(receipt)["facts"]["converted_serials"] == [[1, 10]]


def test_an_issuance_that_only_converts_serialises_nothing(world: World) -> None:
    """50 t planned for 2026, 20 t verified (reduction): 1-20 convert, no new serial; the issuance's
    empty range sits at serial 51, where the next ex-ante issuance starts too."""
    s = world.sessions
    dev = world.dev[AccountKind.HOLDING].id
    project = registered_project(s, "PV002", "TEST-REDUCTION@2.0")
    issuing.issue_planned(s, REGULATOR, project.id, 2026, 50, "ex-ante estimate")
    first = _verified(s, project, date(2026, 1, 1), date(2026, 6, 30), "20")

    receipt = issuing.issue(s, REGULATOR, first.id)
    more = issuing.issue_planned(s, REGULATOR, project.id, 2026, 5, "revised ex-ante estimate")
    second = _verified(s, project, date(2026, 7, 1), date(2026, 12, 31), "40")
    last = issuing.issue(s, REGULATOR, second.id)

    assert [(b.start, b.end, b.state) for b in receipt.produced] == [
        (1, 20, UnitState.HELD),
        (21, 50, UnitState.PLANNED),
    ]
    assert [(b.start, b.end) for b in more.produced] == [(51, 55)]
    # the second report converts the 35 still planned (21-50 and 51-55), then 5 new serials
    assert sorted((b.start, b.end, b.state) for b in last.produced) == [
        (21, 50, UnitState.HELD),
        (51, 55, UnitState.HELD),
        (56, 60, UnitState.HELD),
    ]
    assert _logged(last)["facts"]["converted_serials"] == [[21, 55]]
    with s.begin() as session:
        rows = store.issuances_of(session, project.id)
    assert sorted((r.serial_start, r.serial_end, r.quantity, r.converted) for r in rows) == [
        (1, 50, 50, 0),
        (51, 50, 0, 20),
        (51, 55, 5, 0),
        (56, 60, 5, 35),
    ]
    assert _blocks(s, project.id, 2026) == [
        (1, 20, dev, UnitState.HELD),
        (21, 50, dev, UnitState.HELD),
        (51, 55, dev, UnitState.HELD),
        (56, 60, dev, UnitState.HELD),
    ]
    [tally] = reads.conservation(s, project.id)
    assert (tally.issued, tally.by_state, tally.balanced) == (60, {UnitState.HELD: 60}, True)
    register_context_auditors()
    assert ledger.audit(s).ok


def _snapshot(sessions: sessionmaker[Session], project: Project) -> tuple[object, ...]:
    with sessions.begin() as session:
        issuances = [(r.id, r.quantity, r.converted) for r in store.issuances_of(session, project.id)]
        blocks = store.open_blocks(session, project_id=project.id)
        log_size, _ = ledger.latest_checkpoint_in(session)
    return issuances, blocks, reads.conservation(sessions, project.id), log_size


def test_a_refused_issuance_converts_nothing(
    world: World, planned: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = world.sessions
    report = _verified(s, planned, date(2025, 1, 1), date(2025, 12, 31), "80")
    before = _snapshot(s, planned)

    with pytest.raises(Forbidden):
        issuing.issue(s, DEVELOPER, report.id)

    def log_down(*_: object, **__: object) -> None:
        raise Conflict("the transparency log refused the entry")

    # the log append is the last step of the one transaction: its failure undoes the conversion
    monkeypatch.setattr(writes.ledger, "append_events", log_down)
    with pytest.raises(Conflict, match="refused the entry"):
        issuing.issue(s, REGULATOR, report.id)
    monkeypatch.undo()

    assert _snapshot(s, planned) == before
    with s.begin() as session:
        assert store.get_report(session, report.id).status.value == "verified"  # type: ignore[union-attr]
    issuing.issue(s, REGULATOR, report.id)
    with pytest.raises(InvalidTransition):
        issuing.issue(s, REGULATOR, report.id)


def test_issuance_api_and_project_page_say_how_many_were_converted(
    app_client: Any, world: World, planned: Project
) -> None:
    office = make_user(world.sessions, "office", "regulator")
    report = _verified(world.sessions, planned, date(2025, 1, 1), date(2025, 12, 31), "80")

    response = app_client.post(f"/api/v1/registry/reports/{report.id}/issue", headers=office)

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["converted"], body["newly_serialised"], body["converted_serials"]) == (
        64,
        16,
        ["CB-CN-HI-MG001-2025-1-30", "CB-CN-HI-MG001-2025-31-64"],
    )
    sheet = app_client.get(f"/api/v1/registry/projects/{planned.id}").json()
    verified = next(i for i in sheet["issuances"] if i["report_id"] == report.id)
    assert (verified["converted"], verified["converted_serials"], verified["serials"]) == (
        64,
        ["CB-CN-HI-MG001-2025-1-64"],
        "CB-CN-HI-MG001-2025-101-116",
    )
    zh = app_client.get(f"/registry/projects/{planned.id}?lang=zh")
    en = app_client.get(f"/registry/projects/{planned.id}?lang=en")
    assert zh.status_code == en.status_code == 200
    assert "由预签发单位转换" in zh.text
    assert "Converted from planned" in en.text
    assert "CB-CN-HI-MG001-2025-1-64" in en.text


def test_planned_units_are_issued_through_the_api_by_the_regulator_only(
    app_client: Any, world: World
) -> None:
    """POST /projects/{id}/planned-issuances: the regulator issues ex-ante units (receipt, state
    planned); bad input is a 422 naming the field and a developer a 403, changing nothing; the
    planned units cannot be retired through the API."""
    project = registered_project(world.sessions)
    office = make_user(world.sessions, "office-x", "regulator")
    dev = make_user(world.sessions, "dev-x", "developer", DEVELOPER.organisation_id)
    url = f"/api/v1/registry/projects/{project.id}/planned-issuances"
    body = {"vintage": 2026, "quantity": 40, "basis": "validated design, ex-ante"}
    bad = app_client.post(url, json={**body, "quantity": 0}, headers=office)
    assert bad.status_code == 422, bad.text
    assert [i["location"][-1] for i in bad.json()["issues"]] == ["quantity"]
    assert app_client.post(url, json=body, headers=dev).status_code == 403
    assert reads.conservation(world.sessions, project.id) == []
    done = app_client.post(url, json=body, headers=office)
    assert done.status_code == 201, done.text
    assert [(b["serial"], b["state"], b["count"]) for b in done.json()["produced"]] == [
        ("CB-CN-HI-MG001-2026-1-40", "planned", 40)
    ]
    retire = {
        "account_id": world.dev[AccountKind.HOLDING].id,
        "project_id": project.id,
        "vintage": 2026,
        "quantity": 1,
        "beneficiary": "Haikou office",
        "purpose": "2026 travel",
    }
    refused = app_client.post("/api/v1/registry/retirements", json=retire, headers=dev)
    assert refused.status_code == 409, refused.text
    [tally] = reads.conservation(world.sessions, project.id)
    assert tally.by_state == {UnitState.PLANNED: 40}
