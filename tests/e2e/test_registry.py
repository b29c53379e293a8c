"""A hotel retires mangrove credits through the account page in headless Chromium; the retirement
appears on the public retirements page and its "verify" link checks the log entry's receipt.

The credits are put in place through the registry service on the server's own database (the
project's lifecycle is covered by ``tests/scenarios``); the browser does what the hotel does."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from carbonbridge.accounting import service as accounting
from carbonbridge.accounting.model import Organisation, OrganisationKind
from carbonbridge.ledger.proof import parse_receipt
from carbonbridge.platform.db import make_engine, session_factory
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.platform.settings import Settings
from carbonbridge.registry import issuance as issuing
from carbonbridge.registry import service
from carbonbridge.registry.model import AccountKind, ProjectDraft, Transfer, Units
from carbonbridge.registry.units import service as movements
from tests.e2e.test_web import login
from tests.scenarios.test_registry_api import mangrove_parameters

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

OFFICE = Principal("e2e-office", "Carbon office", Role.REGULATOR)
DEVELOPER = Principal("e2e-dev", "Mangrove developer", Role.DEVELOPER, "e2e-mangrove")
VERIFIER = Principal("e2e-ver", "Verifier", Role.VERIFIER)
HOTEL = "demo-org-001"  # the demo region's hotel, whose user hotel1 can log in


@pytest.fixture(scope="module")
def credits_at_hotel(server: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """300 mangrove credits (2024) in the hotel's holding account; returns the project id."""
    [data] = sorted(Path(tmp_path_factory.getbasetemp()).glob("e2e[0-9]*"))  # the server's data dir
    engine = make_engine(Settings(data_dir=data).resolved_database_url())
    sessions = session_factory(engine)
    org = Organisation(
        "e2e-mangrove", "Dongzhai mangrove co", "东寨港红树林公司", OrganisationKind.FARM, "CN-HI"
    )
    accounting.register_organisation(sessions, OFFICE, org, [])
    developer = service.open_accounts(sessions, OFFICE, org.id)[AccountKind.HOLDING]
    hotel = service.open_accounts(sessions, OFFICE, HOTEL)[AccountKind.HOLDING]
    draft = ProjectDraft(
        "MGE2E", org.id, "Dongzhai mangroves", "东寨港红树林", "CCER-14-002-V01", "CN-HI", "CCER", {}
    )
    project, _ = service.draft_project(sessions, DEVELOPER, draft)
    service.validate_project(sessions, VERIFIER, project.id, "Conforms.")
    service.register_project(sessions, OFFICE, project.id, "Registered.")
    report, _ = service.submit_report(
        sessions, DEVELOPER, project.id, date(2023, 1, 1), date(2024, 12, 31), mangrove_parameters("3")
    )
    service.verify_report(sessions, VERIFIER, report.id, "Reasonable assurance.")
    issuing.issue(sessions, OFFICE, report.id)  # 625 t: 500 held, 125 buffer
    movements.transfer(
        sessions, DEVELOPER, Transfer(Units(developer.id, project.id, 2024, quantity=300), hotel.id)
    )
    engine.dispose()
    return project.id


def test_hotel_retires_credits_and_the_public_page_proves_it(
    page: Any, server: str, credits_at_hotel: str
) -> None:
    login(page, server, "hotel1")
    page.goto(f"{server}/registry/account?lang=en")
    assert "CB-CN-HI-MGE2E-2024-1-300" in page.locator("#blocks").inner_text()
    page.select_option("#retire-lot", f"{credits_at_hotel}:2024")
    page.fill("#retire-quantity", "42")
    page.fill("#retire-beneficiary", "Guests of the Sanya Bay hotel")
    page.fill("#retire-purpose", "2025 stays")
    page.click("#retire-submit")
    page.wait_for_selector("#done")
    assert "CB-CN-HI-MGE2E-2024-1-42" in page.locator("#done").inner_text()
    assert "CB-CN-HI-MGE2E-2024-43-300" in page.locator("#blocks").inner_text()

    page.goto(f"{server}/registry/retirements?lang=en")
    row = page.locator("tr.retirement", has_text="Guests of the Sanya Bay hotel")
    assert "CB-CN-HI-MGE2E-2024-1-42" in row.inner_text()
    assert "2025 stays" in row.inner_text()
    row.locator("a.verify").click()
    page.wait_for_selector("#verify-ok")
    assert "/transparency-log/entries/" in page.url
    logged = parse_receipt(page.locator("#receipt").inner_text()).extra or b""
    assert b"Guests of the Sanya Bay hotel" in logged
    assert b"CB-CN-HI-MGE2E-2024-1-42" in logged
