"""The demo's CAD Trust export checked by CAD Trust's own validation (its Joi schemas and bundled
picklists at the pinned commit, run with Node by ``cadt_check``); every failure is printed as
record, field, value and message."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from babel import Locale
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import service as accounting
from carbonbridge.demo.region import generate_region
from carbonbridge.demo.service.credits import load_credits, projects
from carbonbridge.demo.service.load import LOADER
from carbonbridge.registry.cadt import node, service_node
from carbonbridge.registry.cadt.mapping import DEFAULT
from tests.registry import cadt_check
from tests.registry.conftest import REGULATOR

_WHY = cadt_check.unavailable()
pytestmark = pytest.mark.skipif(_WHY is not None, reason=f"CAD Trust validation unavailable: {_WHY}")

BASE_URL = "https://registry.demo-county.example"
#: picklists CAD Trust's UI offers for fields its Joi schemas take as free text
_PICKLIST_FIELDS = {
    "sector": "projectSector",
    "validationBody": "validationBody",
    "verificationBody": "verificationBody",
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


def _items(export: node.NodeExport) -> list[tuple[str, dict[str, Any]]]:
    return [
        *(("projectsUpdateSchema", r) for r in export.projects),
        *(("unitsUpdateSchema", r) for r in export.units),
        *(("projectsPostSchema", r) for r in export.api_projects),
        *(("unitsPostSchema", r) for r in export.api_units),
    ]


def _off_picklist(records: list[dict[str, Any]], picklists: Mapping[str, list[str]]) -> list[str]:
    """Values of :data:`_PICKLIST_FIELDS` (nested too) not on their picklist; "" is CAD Trust's
    own "not given" for a verification body."""
    found: list[str] = []
    for record in records:
        for key, value in record.items():
            if isinstance(value, dict):
                found += _off_picklist([value], picklists)
            elif isinstance(value, list):
                found += _off_picklist([v for v in value if isinstance(v, dict)], picklists)
            elif key in _PICKLIST_FIELDS and value != "" and value not in picklists[_PICKLIST_FIELDS[key]]:
                found.append(f"{key}={value!r}")
    return found


def test_demo_node_export_passes_cadt_validation(
    demo_credits: sessionmaker[Session], validator: cadt_check.CadtValidator
) -> None:
    export = service_node.node_export(demo_credits, REGULATOR, base_url=BASE_URL)
    result = validator.validate(_items(export))
    for failure in result.failures:
        print(failure)
    assert len(export.api_projects) == 3
    assert len(export.api_units) >= 9
    assert [str(f) for f in result.failures] == []
    assert _off_picklist(export.projects + export.units, result.picklists) == []


def test_api_form_has_no_node_generated_ids(demo_credits: sessionmaker[Session]) -> None:
    export = service_node.node_export(demo_credits, REGULATOR, base_url=BASE_URL)
    text = json.dumps([export.api_projects, export.api_units])
    assert all(f'"{key}"' not in text for key in node.NODE_IDS)
    assert len(export.links) == len(export.api_units)


def test_every_cadt_country_is_the_name_of_an_iso_code(validator: cadt_check.CadtValidator) -> None:
    names = {DEFAULT.country(code) for code in Locale("en").territories if len(code) == 2 and code.isalpha()}
    picklist = validator.validate([]).picklists["countries"]
    assert sorted(set(picklist) - names) == []
