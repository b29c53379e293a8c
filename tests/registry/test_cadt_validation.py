"""The demo's CAD Trust export checked by CAD Trust's own validation (its Joi schemas and bundled
picklists at the pinned commit, run with Node by ``cadt_check``); every failure is printed as
record, field, value and message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import service as accounting
from carbonbridge.demo.region import generate_region
from carbonbridge.demo.service.credits import load_credits, projects
from carbonbridge.demo.service.load import LOADER
from carbonbridge.registry.cadt import service as exchange
from tests.registry import cadt_check
from tests.registry.conftest import REGULATOR

_WHY = cadt_check.unavailable()
pytestmark = pytest.mark.skipif(_WHY is not None, reason=f"CAD Trust validation unavailable: {_WHY}")

#: our table -> the CAD Trust node schema that checks such a record
_SCHEMA_OF_TABLE = {
    "project": "projectsPostSchema",
    "location": "locationSchema",
    "issuance": "issuanceSchema",
    "unit": "unitsPostSchema",
}


@pytest.fixture(scope="module")
def validator() -> Iterator[cadt_check.CadtValidator]:
    found, holder = cadt_check.temporary_validator()
    with holder:
        yield found


@pytest.fixture
def demo_credits(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The demo's three credit projects (and only the organisations they need)."""
    region = generate_region(2024)
    needed = {o for p in projects() for o in (p.developer, p.buyer)}
    for org in region.organisations:
        if org.id in needed:
            facilities = [f for f in region.facilities if f.organisation_id == org.id]
            accounting.register_organisation(sessions, LOADER, org, facilities, synthetic=True)
    load_credits(sessions, Console(quiet=True))
    return sessions


def _items(tables: dict[str, list[dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    return [(_SCHEMA_OF_TABLE.get(t, f"(no CAD Trust table {t})"), r) for t, rs in tables.items() for r in rs]


def test_demo_table_export_against_cadt_validation(
    demo_credits: sessionmaker[Session], validator: cadt_check.CadtValidator
) -> None:
    """Lists every failure of the table export (the state before issue 12's fixes)."""
    tables = exchange.cadt_tables(demo_credits, REGULATOR)
    result = validator.validate(_items(tables))
    for failure in result.failures:
        print(failure)
    print(f"{len(result.failures)} failures in {sum(map(len, tables.values()))} records")
    assert result.picklists["unitMetric"] == ["tCO2e"]
