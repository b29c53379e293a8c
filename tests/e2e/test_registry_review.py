"""The regulator issues a verified monitoring report's credits from the review queue page in
headless Chromium and sees the receipt: the issued serials and the log entry, whose "verify" page
checks the receipt.

The project is taken to a verified report through the registry service on the server's own
database (the lifecycle is covered by ``tests/registry/test_web_review.py``); the browser does
what the regulator does."""

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
from carbonbridge.registry import service
from carbonbridge.registry.model import ProjectDraft
from tests.e2e.test_web import login
from tests.scenarios.test_registry_api import mangrove_parameters

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

OFFICE = Principal("e2e-review-office", "Carbon office", Role.REGULATOR)
DEVELOPER = Principal("e2e-review-dev", "Mangrove developer", Role.DEVELOPER, "e2e-review-mangrove")
VERIFIER = Principal("e2e-review-ver", "Verifier", Role.VERIFIER)


@pytest.fixture(scope="module")
def verified_report(server: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A registered mangrove project with a verified 2024 report awaiting issuance; returns the
    project's and the report's ids."""
    [data] = sorted(Path(tmp_path_factory.getbasetemp()).glob("e2e[0-9]*"))  # the server's data dir
    engine = make_engine(Settings(data_dir=data).resolved_database_url())
    sessions = session_factory(engine)
    org = Organisation(
        "e2e-review-mangrove", "Qinglan mangrove co", "清澜港红树林公司", OrganisationKind.FARM, "CN-HI"
    )
    accounting.register_organisation(sessions, OFFICE, org, [])
    service.open_accounts(sessions, OFFICE, org.id)
    draft = ProjectDraft(
        "MGREV", org.id, "Qinglan mangroves", "清澜港红树林", "CCER-14-002-V01", "CN-HI", "CCER", {}
    )
    project, _ = service.draft_project(sessions, DEVELOPER, draft)
    service.validate_project(sessions, VERIFIER, project.id, "Conforms.")
    service.register_project(sessions, OFFICE, project.id, "Registered.")
    report, _ = service.submit_report(
        sessions, DEVELOPER, project.id, date(2023, 1, 1), date(2024, 12, 31), mangrove_parameters("3")
    )
    service.verify_report(sessions, VERIFIER, report.id, "Reasonable assurance.")
    engine.dispose()
    return project.id, report.id


def test_regulator_issues_from_the_review_page_and_sees_the_receipt(
    page: Any, server: str, verified_report: tuple[str, str]
) -> None:
    project_id, report_id = verified_report
    login(page, server, "office")
    page.goto(f"{server}/registry?lang=en")
    page.click("#review-link")
    page.wait_for_selector(f"#report-{report_id}")
    queued = page.locator(f"#report-{report_id}")
    assert "MGREV" in queued.inner_text()
    assert "To issue" in queued.inner_text()
    page.click(f"#issue-{report_id}")
    page.wait_for_selector("#done")
    done = page.locator("#done").inner_text()
    assert "issuance" in done
    assert "CB-CN-HI-MGREV-2024-1-" in done
    assert page.locator(f"#report-{report_id}").count() == 0  # no longer queued

    page.click("#done-receipt")
    page.wait_for_selector("#verify-ok")
    assert "/transparency-log/entries/" in page.url
    logged = parse_receipt(page.locator("#receipt").inner_text()).extra or b""
    assert report_id.encode() in logged

    page.goto(f"{server}/registry/projects/{project_id}?lang=en")
    assert "CB-CN-HI-MGREV-2024-1-" in page.locator("#issuances").inner_text()
