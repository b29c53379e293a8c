"""The data the OpenAPI conformance test runs against: an organisation with activity data and a
finalised inventory, registry accounts holding issued credits (a real methodology, the demo's
mangrove project), and a token per caller (admin, regulator, the organisation's reporter; the
public has none). Built through the services, as a deployment would be."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import service as accounting
from carbonbridge.accounting.model import Facility, Organisation, OrganisationKind
from carbonbridge.methodologies import service as methodologies
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.registry import issuance as issuing
from carbonbridge.registry import service as registry
from carbonbridge.registry.model import AccountKind, ProjectDraft, Transfer, Units
from carbonbridge.registry.units import service as movements
from tests.conftest import make_user

OFFICE = Principal("u-conf-office", "Carbon office", Role.REGULATOR)
VERIFIER = Principal("u-conf-verifier", "Verifier", Role.VERIFIER)
REPORTER_ORG = "conf-hotel"
DEVELOPER_ORG = "conf-mangrove"

ROW = {
    "facility_id": f"{REPORTER_ORG}-hq",
    "period_start": "2024-01-01",
    "period_end": "2024-12-31",
    "category": "purchased_electricity",
    "activity": "electricity.grid",
    "quantity": "120.5",
    "unit": "MWh",
}


@dataclass(frozen=True)
class ConformanceWorld:
    """Bearer headers per caller, the ids the data was stored under, and path parameters naming
    that data (so that generated requests also reach stored things, not only 404s)."""

    callers: dict[str, dict[str, str]]
    project_id: str
    holding_account: str
    path_values: dict[str, str | int]


def build_world(sessions: sessionmaker[Session]) -> ConformanceWorld:
    for ident, kind in ((REPORTER_ORG, OrganisationKind.HOTEL), (DEVELOPER_ORG, OrganisationKind.FARM)):
        org = Organisation(ident, ident.title(), ident, kind, "CN-HI")
        accounting.register_organisation(
            sessions, OFFICE, org, [Facility(f"{ident}-hq", ident, "Head office", "CN-HI", "CN-GRID-SOUTH")]
        )
    reporter = Principal("u-conf-reporter", "Hotel reporter", Role.REPORTER, REPORTER_ORG)
    accounting.submit_rows(sessions, reporter, REPORTER_ORG, [ROW])
    developer = Principal("u-conf-developer", "Developer", Role.DEVELOPER, DEVELOPER_ORG)
    accounts = {org: registry.open_accounts(sessions, OFFICE, org) for org in (REPORTER_ORG, DEVELOPER_ORG)}
    draft = ProjectDraft(
        "CONF1", DEVELOPER_ORG, "Mangrove", "红树林", "CCER-14-002-V01", "CN-HI", "CCER", {"site": "bay"}
    )
    project, _ = registry.draft_project(sessions, developer, draft)
    registry.validate_project(sessions, VERIFIER, project.id, "Validated.")
    registry.register_project(sessions, OFFICE, project.id, "Registered.")
    parameters = dict(methodologies.get("CCER-14-002-V01").example())
    report, _ = registry.submit_report(
        sessions, developer, project.id, date(2023, 1, 1), date(2024, 12, 31), parameters
    )
    registry.verify_report(sessions, VERIFIER, report.id, "Reasonable assurance.")
    issued = issuing.issue(sessions, OFFICE, report.id)
    holding = accounts[REPORTER_ORG][AccountKind.HOLDING].id
    units = Units(accounts[DEVELOPER_ORG][AccountKind.HOLDING].id, project.id, 2024, quantity=10)
    movements.transfer(sessions, developer, Transfer(units, holding))
    callers = {
        "admin": make_user(sessions, "conf-admin", "admin"),
        "regulator": make_user(sessions, "conf-regulator", "regulator"),
        "reporter": make_user(sessions, "conf-reporter", "reporter", REPORTER_ORG),
        "public": {},
    }
    path_values: dict[str, str | int] = {
        "organisation_id": REPORTER_ORG,
        "project_id": project.id,
        "account_id": holding,
        "report_id": report.id,
        "year": 2024,
        "period": 2024,
        "ref": "CCER-14-002-V01",
        "index": issued.operation.log_index,
        "serial": "CB-CN-HI-CONF1-2024-1-10",
    }
    return ConformanceWorld(callers, project.id, holding, path_values)
