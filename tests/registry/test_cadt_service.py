"""CAD Trust export and import through the service on both databases: round trip, origin
registry, no double counting, all or nothing, audited."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.errors import Conflict, InvalidInput
from carbonbridge.ledger import service as ledger
from carbonbridge.ledger.cli import register_context_auditors
from carbonbridge.ledger.store import LogEntryRow
from carbonbridge.registry import issuance as issuing
from carbonbridge.registry import reads, service, store
from carbonbridge.registry.cadt import service as exchange
from carbonbridge.registry.cadt import store as cadt_store
from carbonbridge.registry.model import AccountKind, ExpiryRequest, ExportRequest, Retirement, Transfer, Units
from carbonbridge.registry.units import exports
from carbonbridge.registry.units import service as movements
from tests.registry.conftest import BUYER, DEVELOPER, REGULATOR, VERIFIER, World
from tests.registry.helpers import issued_report, registered_project


def _registry(world: World) -> str:
    """1000 t issued (800 held, 200 buffer), 100 t to the buyer who retires 30, 50 planned 2026."""
    project = registered_project(world.sessions)
    issued_report(world.sessions, project, 2024, {"net_t": "1000.4"})
    movements.transfer(
        world.sessions,
        DEVELOPER,
        Transfer(
            Units(world.dev[AccountKind.HOLDING].id, project.id, 2024, quantity=100),
            world.buyer[AccountKind.HOLDING].id,
        ),
    )
    movements.retire(
        world.sessions,
        BUYER,
        Retirement(
            Units(world.buyer[AccountKind.HOLDING].id, project.id, 2024, quantity=30),
            "Buyer hotel",
            "2024 events",
        ),
    )
    issuing.issue_planned(world.sessions, REGULATOR, project.id, 2026, 50, "validated design, ex-ante")
    return project.id


def _blocks(sessions: sessionmaker[Session]) -> list[tuple[object, ...]]:
    with sessions() as session:
        codes = {p.id: p.code for p in store.projects_by_id(session, store.project_ids(session)).values()}
        blocks = store.open_blocks(session)
        accounts = store.get_accounts(session, {b.account_id for b in blocks})
    return sorted(
        (
            codes[b.project_id],
            b.vintage,
            b.start,
            b.end,
            b.state.value,
            accounts[b.account_id].organisation_id,
        )
        for b in blocks
    )


def _wipe_registry_credits(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        for row in (
            store.BlockRow,
            store.IssuanceRow,
            store.SerialCounterRow,
            store.ReportRow,
            cadt_store.ImportedProjectRow,
            store.OperationRow,
            store.ProjectRow,
        ):
            session.execute(delete(row))


def _log_size(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(LogEntryRow)) or 0)


def test_export_then_import_preserves_blocks_states_and_owners(world: World, tmp_path: Path) -> None:
    _registry(world)
    before = _blocks(world.sessions)
    assert before == [
        ("MG001", 2024, 1, 30, "retired", "buyer-co"),
        ("MG001", 2024, 31, 100, "held", "buyer-co"),
        ("MG001", 2024, 101, 800, "held", "mangrove-dev"),
        ("MG001", 2024, 801, 1000, "buffer", None),
        ("MG001", 2026, 1, 50, "planned", "mangrove-dev"),
    ]
    counts = exchange.export_cadt(world.sessions, REGULATOR, tmp_path)
    assert counts == {
        "methodology": 1,
        "project": 1,
        "project_methodology": 1,
        "verification": 2,
        "location": 1,
        "issuance": 2,
        "unit": 5,
    }
    assert sorted(p.name for p in tmp_path.iterdir())[0] == "01_methodology.json"
    _wipe_registry_credits(world.sessions)
    assert _blocks(world.sessions) == []
    receipts = exchange.import_cadt(world.sessions, REGULATOR, tmp_path, "mangrove-dev")
    assert [r.operation.kind.value for r in receipts] == ["project_drafted", "issuance", "issuance"]
    assert _blocks(world.sessions) == before
    assert all(t.balanced for t in reads.conservation(world.sessions))
    assert reads.overlapping_blocks(world.sessions) == []


def test_foreign_import_records_origin_and_refuses_double_counting(world: World, tmp_path: Path) -> None:
    _registry(world)
    exchange.export_cadt(world.sessions, REGULATOR, tmp_path)
    projects = json.loads((tmp_path / "02_project.json").read_text("utf-8"))
    projects[0].update(
        {"projectRegistryName": "Verra", "projectId": "VCS 1234", "projectCreditingProgram": "VCS"}
    )
    (tmp_path / "02_project.json").write_text(json.dumps(projects), "utf-8")
    exchange.import_cadt(world.sessions, REGULATOR, tmp_path, "buyer-co")
    with world.sessions() as session:
        (origin,) = cadt_store.origins(session).values()
        imported = store.get_project(session, origin.project_id)
    assert (origin.origin_registry, origin.origin_project_id) == ("Verra", "VCS 1234")
    assert imported is not None
    assert (imported.code, imported.standard) == ("VCS1234", "VCS")
    assert [r for r in _blocks(world.sessions) if r[0] == "VCS1234"] == [
        (c.replace("MG001", "VCS1234"), *rest) for c, *rest in _blocks(world.sessions) if c == "MG001"
    ]
    size = _log_size(world.sessions)
    with pytest.raises(Conflict, match="double counting"):
        exchange.import_cadt(world.sessions, REGULATOR, tmp_path, "buyer-co")
    assert _log_size(world.sessions) == size
    register_context_auditors()
    assert ledger.audit(world.sessions).ok
    assert all(t.balanced for t in reads.conservation(world.sessions))


def test_own_export_cannot_be_imported_twice(world: World, tmp_path: Path) -> None:
    _registry(world)
    exchange.export_cadt(world.sessions, REGULATOR, tmp_path)
    before = _blocks(world.sessions)
    with pytest.raises(Conflict, match="overlap"):
        exchange.import_cadt(world.sessions, REGULATOR, tmp_path, "mangrove-dev")
    assert _blocks(world.sessions) == before


def test_invalid_records_import_nothing(world: World, tmp_path: Path) -> None:
    _registry(world)
    exchange.export_cadt(world.sessions, REGULATOR, tmp_path)
    _wipe_registry_credits(world.sessions)
    units = json.loads((tmp_path / "07_unit.json").read_text("utf-8"))
    units[-1]["unitEndBlock"] = "50.5"
    (tmp_path / "07_unit.json").write_text(json.dumps(units), "utf-8")
    size = _log_size(world.sessions)
    with pytest.raises(InvalidInput) as err:
        exchange.import_cadt(world.sessions, REGULATOR, tmp_path, "mangrove-dev")
    assert err.value.issues[0].location == ("unit", 4, "unitEndBlock")
    assert (_blocks(world.sessions), _log_size(world.sessions)) == ([], size)


def test_round_trip_keeps_pending_exported_and_expired_units(world: World, tmp_path: Path) -> None:
    project_id = _registry(world)
    dev = world.dev[AccountKind.HOLDING].id
    s = world.sessions
    request = exports.request_export(
        s,
        DEVELOPER,
        ExportRequest(Units(dev, project_id, 2024, start=101, end=150), "Verra", "VCS-9", "sold"),
    )
    exports.confirm_export(s, REGULATOR, request.operation.id, "VCS-TX-1")
    exports.request_export(
        s,
        DEVELOPER,
        ExportRequest(Units(dev, project_id, 2024, start=151, end=170), "Verra", "VCS-9", "sold"),
    )
    exports.expire(s, REGULATOR, ExpiryRequest(Units(dev, project_id, 2024, start=171, end=180), "ended"))
    exports.expire(s, REGULATOR, ExpiryRequest(Units(dev, project_id, 2026, quantity=10), "ex-ante lapsed"))
    before = _blocks(s)
    assert before == [
        ("MG001", 2024, 1, 30, "retired", "buyer-co"),
        ("MG001", 2024, 31, 100, "held", "buyer-co"),
        ("MG001", 2024, 101, 150, "exported", "mangrove-dev"),
        ("MG001", 2024, 151, 170, "pending_export", "mangrove-dev"),
        ("MG001", 2024, 171, 180, "expired", "mangrove-dev"),
        ("MG001", 2024, 181, 800, "held", "mangrove-dev"),
        ("MG001", 2024, 801, 1000, "buffer", None),
        ("MG001", 2026, 1, 10, "expired", "mangrove-dev"),
        ("MG001", 2026, 11, 50, "planned", "mangrove-dev"),
    ]
    register_context_auditors()
    assert ledger.audit(s).ok
    assert exchange.export_cadt(s, REGULATOR, tmp_path)["unit"] == 9
    _wipe_registry_credits(s)  # (the wipe itself is what an audit would flag from here on)
    exchange.import_cadt(s, REGULATOR, tmp_path, "mangrove-dev")
    assert _blocks(s) == before
    assert all(t.balanced for t in reads.conservation(s))


def test_round_trip_keeps_units_converted_from_planned(world: World, tmp_path: Path) -> None:
    """50 t planned for 2026, then a 20 t reduction report converts 1-20 and serialises nothing:
    CAD Trust lists the converted units (held) under the ex-ante issuance that numbered them, and
    the issuance with no serials of its own is left out (CADT has no issuance without units)."""
    s = world.sessions
    project = registered_project(s, "PV002", "TEST-REDUCTION@2.0")
    issuing.issue_planned(s, REGULATOR, project.id, 2026, 50, "ex-ante estimate")
    report, _ = service.submit_report(
        s, DEVELOPER, project.id, date(2026, 1, 1), date(2026, 6, 30), {"net_t": "20"}
    )
    service.verify_report(s, VERIFIER, report.id, "ok")
    issuing.issue(s, REGULATOR, report.id)
    before = _blocks(s)
    assert before == [
        ("PV002", 2026, 1, 20, "held", "mangrove-dev"),
        ("PV002", 2026, 21, 50, "planned", "mangrove-dev"),
    ]

    counts = exchange.export_cadt(s, REGULATOR, tmp_path)
    _wipe_registry_credits(s)
    exchange.import_cadt(s, REGULATOR, tmp_path, "mangrove-dev")

    assert (counts["issuance"], counts["unit"]) == (1, 2)
    assert _blocks(s) == before
    assert all(t.balanced for t in reads.conservation(s))
