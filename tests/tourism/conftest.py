"""A small registry world for the compensation pool: a mangrove developer with issued credits
(the registry tests' stand-in methodology), a destination office that holds some of them in the
pool's holding account, and a pool on that account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import service as accounting
from carbonbridge.accounting.model import Organisation, OrganisationKind
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.registry import issuance as issuing
from carbonbridge.registry import service as registry
from carbonbridge.registry.model import AccountKind, ProjectDraft, Transfer, Units
from carbonbridge.registry.units import service as movements
from carbonbridge.tourism import service
from carbonbridge.tourism.model import Pool
from tests.registry.conftest import DEVELOPER, REGULATOR, VERIFIER, stub_methodologies  # noqa: F401

POOL_OPERATOR = Principal("u-pool", "Destination office", Role.REPORTER, "baoting-office")
PRICE_FEN_PER_TONNE = 8_000  # 80 yuan per tonne

HAINAN_TRIP = {
    "reference": "BK-2025-0001",
    "region": "CN-HI",
    "start": "2025-03-01",
    "end": "2025-03-05",
    "visitor": "Li Lei",
    "items": [
        {"type": "flight", "origin": "PEK", "destination": "SYX"},
        {"type": "hotel", "country": "CN", "nights": 4},
        {"type": "road", "mode": "taxi", "fuel": "electric", "distance_km": "30"},
        {"type": "activity", "activity": "diving"},
        {"type": "meals", "count": 12},
    ],
}


@dataclass(frozen=True)
class PoolWorld:
    sessions: sessionmaker[Session]
    pool: Pool
    project_id: str
    vintage: int


def _organisation(ident: str, kind: OrganisationKind) -> Organisation:
    return Organisation(ident, ident.replace("-", " ").title(), ident, kind, "CN-HI")


@pytest.fixture
def pool_world(sessions: sessionmaker[Session], stub_methodologies: None) -> PoolWorld:  # noqa: F811
    for ident, kind in (("mangrove-dev", OrganisationKind.FARM), ("baoting-office", OrganisationKind.OTHER)):
        accounting.register_organisation(sessions, REGULATOR, _organisation(ident, kind), [])
    dev = registry.open_accounts(sessions, REGULATOR, "mangrove-dev")
    office = registry.open_accounts(sessions, REGULATOR, "baoting-office")
    draft = ProjectDraft(
        "MG001", "mangrove-dev", "Mangrove afforestation", "红树林营造", "TEST-REMOVAL@1.0", "CN-HI", "CCER"
    )
    project, _ = registry.draft_project(sessions, DEVELOPER, draft)
    registry.validate_project(sessions, VERIFIER, project.id, "Conforms.")
    registry.register_project(sessions, REGULATOR, project.id, "Registered.")
    report, _ = registry.submit_report(
        sessions,
        DEVELOPER,
        project.id,
        date(2025, 1, 1),
        date(2025, 12, 31),
        {"net_t": "100", "buffer_share": "0"},
    )
    registry.verify_report(sessions, VERIFIER, report.id, "Reasonable assurance.")
    issuing.issue(sessions, REGULATOR, report.id)
    units = Units(dev[AccountKind.HOLDING].id, project.id, 2025, quantity=50)
    movements.transfer(sessions, DEVELOPER, Transfer(units, office[AccountKind.HOLDING].id))
    pool = service.open_pool(
        sessions, REGULATOR, "Baoting visitors' pool", "baoting-office", PRICE_FEN_PER_TONNE
    )
    return PoolWorld(sessions, pool, project.id, 2025)
