"""Exports and expiries through REST and the serial-search page: receipts, problem+json refusals that change
nothing, and the public serial search showing the new states."""

from __future__ import annotations

from typing import Any

import pytest

from carbonbridge.registry import reads
from carbonbridge.registry.model import AccountKind, ExpiryRequest, ExportRequest, Units
from carbonbridge.registry.units import exports
from tests.conftest import make_user
from tests.registry.conftest import DEVELOPER, REGULATOR, World
from tests.registry.helpers import issued_report, registered_project

PROBLEM = "application/problem+json"


@pytest.fixture
def users(world: World) -> dict[str, dict[str, str]]:
    s = world.sessions
    return {
        "dev": make_user(s, "dev", "developer", "mangrove-dev"),
        "office": make_user(s, "office", "regulator"),
    }


def _issued(world: World) -> str:
    project = registered_project(world.sessions)
    issued_report(world.sessions, project, 2024, {"net_t": "100"})  # 1-80 held, 81-100 buffer
    return project.id


def test_export_reject_export_confirm_and_expire_over_rest(
    app_client: Any, world: World, users: dict[str, dict[str, str]]
) -> None:
    project_id = _issued(world)
    dev = world.dev[AccountKind.HOLDING].id
    units = {"account_id": dev, "project_id": project_id, "vintage": 2024}
    body = {
        **units,
        "start": 1,
        "end": 20,
        "destination_registry": "Verra",
        "destination_account": "VCS-9",
        "reason": "sold abroad",
    }
    first = app_client.post("/api/v1/registry/exports", json=body, headers=users["dev"])
    assert first.status_code == 201, first.text
    assert first.json()["kind"] == "export_requested"
    assert sorted((b["serial"], b["state"]) for b in first.json()["produced"]) == [
        ("CB-CN-HI-MG001-2024-1-20", "pending_export"),
        ("CB-CN-HI-MG001-2024-21-80", "held"),
    ]
    op = first.json()["operation_id"]
    refused = app_client.post(
        f"/api/v1/registry/exports/{op}/confirm", json={"destination_reference": "X"}, headers=users["dev"]
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith(PROBLEM)
    rejected = app_client.post(
        f"/api/v1/registry/exports/{op}/reject", json={"reason": "no authorisation"}, headers=users["office"]
    )
    assert rejected.status_code == 201, rejected.text
    assert [(b["serial"], b["state"]) for b in rejected.json()["produced"]] == [
        ("CB-CN-HI-MG001-2024-1-20", "held")
    ]
    again = app_client.post(
        f"/api/v1/registry/exports/{op}/reject", json={"reason": "twice"}, headers=users["office"]
    )
    assert again.status_code == 409
    second = app_client.post("/api/v1/registry/exports", json=body, headers=users["dev"]).json()
    confirmed = app_client.post(
        f"/api/v1/registry/exports/{second['operation_id']}/confirm",
        json={"destination_reference": "VCS-TX-1"},
        headers=users["office"],
    )
    assert confirmed.status_code == 201, confirmed.text
    assert [(b["serial"], b["state"]) for b in confirmed.json()["produced"]] == [
        ("CB-CN-HI-MG001-2024-1-20", "exported")
    ]
    expiry = {**units, "quantity": 5, "reason": "validity ended"}
    assert app_client.post("/api/v1/registry/expiries", json=expiry, headers=users["dev"]).status_code == 403
    expired = app_client.post("/api/v1/registry/expiries", json=expiry, headers=users["office"])
    assert expired.status_code == 201, expired.text
    assert expired.json()["details"]["serials"] == ["CB-CN-HI-MG001-2024-21-25"]
    bad = app_client.post("/api/v1/registry/expiries", json={**expiry, "reason": ""}, headers=users["office"])
    assert bad.status_code == 422
    found = app_client.get("/api/v1/registry/serials/CB-CN-HI-MG001-2024-1-30").json()
    assert [(f["serial"], f["state"]) for f in found] == [
        ("CB-CN-HI-MG001-2024-1-20", "exported"),
        ("CB-CN-HI-MG001-2024-21-25", "expired"),
        ("CB-CN-HI-MG001-2024-26-30", "held"),
    ]
    [tally] = reads.conservation(world.sessions, project_id)
    assert tally.balanced
    assert tally.issued == 100


def test_serial_search_page_shows_pending_exported_and_expired_in_both_languages(
    app_client: Any, world: World
) -> None:
    from tests.registry.test_web_pages import _rows

    project_id = _issued(world)
    dev = world.dev[AccountKind.HOLDING].id
    s = world.sessions
    confirmed = exports.request_export(
        s, DEVELOPER, ExportRequest(Units(dev, project_id, 2024, start=1, end=10), "Verra", "VCS-9", "sold")
    )
    exports.confirm_export(s, REGULATOR, confirmed.operation.id, "VCS-TX-1")
    exports.request_export(
        s,
        DEVELOPER,
        ExportRequest(Units(dev, project_id, 2024, start=11, end=20), "Gold Standard", "GS-1", "x"),
    )
    exports.expire(
        s, REGULATOR, ExpiryRequest(Units(dev, project_id, 2024, start=21, end=25), "validity ended")
    )
    en = app_client.get("/registry/serials?q=CB-CN-HI-MG001-2024-1-30&lang=en")
    assert en.status_code == 200
    assert [r.split(" CB-")[0] for r in _rows(en.text)] == [
        "CB-CN-HI-MG001-2024-1-10 10 exported exported to Verra",
        "CB-CN-HI-MG001-2024-11-20 10 pending_export an account holder; export requested to Gold Standard",
        "CB-CN-HI-MG001-2024-21-25 5 expired validity ended; out of circulation",
        "CB-CN-HI-MG001-2024-26-30 5 held an account holder",
    ]
    assert "export_confirmed" in _rows(en.text)[0]
    assert "mangrove-dev" not in en.text  # the holder organisation is never named
    zh = _rows(app_client.get("/registry/serials?q=CB-CN-HI-MG001-2024-1-30&lang=zh").text)
    assert "已转出 已转出至 Verra" in zh[0]
    assert "确认转出" in zh[0]
    assert "待转出 账户持有方；已申请转出至 Gold Standard" in zh[1]
    assert "已过期 有效期已满，退出流通" in zh[2]
    assert "到期失效" in zh[2]
