"""A covered entity with a finalised and verified inventory, for the ETS and CAD Trust tests."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import service as accounting
from carbonbridge.accounting.model import Facility, Organisation, OrganisationKind
from carbonbridge.accounting.service import statements
from carbonbridge.factors.model import GwpSet
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.registry import service
from tests.registry.conftest import REGULATOR, VERIFIER

PLANT = "cement-co"
PLANT_REPORTER = Principal("u-plant", "Cement plant", Role.REPORTER, PLANT)
#: 1,000 MWh of grid electricity and 100,000 Nm3 of natural gas in 2024
ROWS = [
    {
        "facility_id": "kiln",
        "period_start": "2024-01-01",
        "period_end": "2024-12-31",
        "category": "purchased_electricity",
        "activity": "electricity.grid",
        "quantity": "1000",
        "unit": "MWh",
    },
    {
        "facility_id": "kiln",
        "period_start": "2024-01-01",
        "period_end": "2024-12-31",
        "category": "stationary_combustion",
        "activity": "fuel.natural_gas",
        "quantity": "100000",
        "unit": "Nm3",
    },
]


def covered_entity(sessions: sessionmaker[Session], *, verify: bool = True, ident: str = PLANT) -> Decimal:
    """Register the plant (or another entity ``ident`` with the same data), admit it to the
    registry, submit and finalise its 2024 inventory and (if ``verify``) record a
    reasonable-assurance statement; returns the MEE total in kg."""
    organisation = Organisation(ident, "Cement Co", "水泥公司", OrganisationKind.OTHER, "CN-HI")
    facility = Facility(f"kiln-{ident}", ident, "Kiln line", "CN-HI", "CN-GRID-SOUTH")
    reporter = Principal(f"u-{ident}", "Cement plant", Role.REPORTER, ident)
    accounting.register_organisation(sessions, REGULATOR, organisation, [facility])
    service.open_accounts(sessions, REGULATOR, ident)
    accounting.submit_rows(sessions, reporter, ident, [dict(r, facility_id=f"kiln-{ident}") for r in ROWS])
    final = statements.finalise(sessions, reporter, ident, 2024, GwpSet.AR6)
    if verify:
        statements.verify(
            sessions, VERIFIER, ident, 2024, statements.Opinion.REASONABLE, "Verified per ISO 14064-3:2019."
        )
    return Decimal(str(final.statement.figures["cn_mee_total_kg"]))
