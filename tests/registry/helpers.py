"""Steps shared by the registry's service tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.registry import issuance as issuing
from carbonbridge.registry import service
from carbonbridge.registry.model import MonitoringReport, Project, ProjectDraft, Receipt
from tests.registry.conftest import DEVELOPER, REGULATOR, VERIFIER


def registered_project(
    sessions: sessionmaker[Session], code: str = "MG001", methodology: str = "TEST-REMOVAL@1.0"
) -> Project:
    draft = ProjectDraft(
        code,
        "mangrove-dev",
        "Dongzhai Harbour mangrove afforestation",
        "东寨港红树林营造",
        methodology,
        "CN-HI",
        "CCER",
        {"strata": [{"area_ha": "15"}]},
    )
    project, _ = service.draft_project(sessions, DEVELOPER, draft)
    service.validate_project(sessions, VERIFIER, project.id, "Design conforms to the methodology.")
    project, _ = service.register_project(sessions, REGULATOR, project.id, "Registered.")
    return project


def issued_report(
    sessions: sessionmaker[Session], project: Project, year: int, parameters: dict[str, Any]
) -> tuple[MonitoringReport, Receipt]:
    report, _ = service.submit_report(
        sessions, DEVELOPER, project.id, date(year, 1, 1), date(year, 12, 31), parameters
    )
    service.verify_report(sessions, VERIFIER, report.id, "Reasonable assurance (ISO 14064-3).")
    return report, issuing.issue(sessions, REGULATOR, report.id)
