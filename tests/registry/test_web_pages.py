"""The registry's public pages (issue 4): credit search by serial and the project's map point, on
SQLite and PostgreSQL, zh and en; and the location check in ``draft_project``."""

from __future__ import annotations

import html
from typing import Any

import pytest

from carbonbridge.kernel.errors import InvalidInput
from carbonbridge.registry import service, views
from carbonbridge.registry.model import AccountKind, ProjectDraft, Retirement, Transfer, Units
from tests.registry.conftest import ADMIN, BUYER, DEVELOPER, REGULATOR, VERIFIER, World
from tests.registry.helpers import issued_report

#: Dongzhai Harbour, Haikou (approximate, synthetic test project)
DONGZHAI = {"lat": "19.95", "lon": "110.58"}


def _draft(code: str, parameters: dict[str, Any]) -> ProjectDraft:
    return ProjectDraft(
        code,
        "mangrove-dev",
        "Dongzhai Harbour mangrove afforestation",
        "东寨港红树林营造",
        "TEST-REMOVAL@1.0",
        "CN-HI",
        "CCER",
        parameters,
    )


@pytest.fixture
def located(world: World) -> str:
    """MG001 at Dongzhai Harbour, 2024: 100 t issued (1-80 held, 81-100 buffer); 30 t transferred to
    the buyer, who retires 1-10 for the Sanya marathon."""
    project, _ = service.draft_project(world.sessions, DEVELOPER, _draft("MG001", {"location": DONGZHAI}))
    service.validate_project(world.sessions, VERIFIER, project.id, "Conforms.")
    service.register_project(world.sessions, REGULATOR, project.id, "Registered.")
    issued_report(world.sessions, project, 2024, {"net_t": "100"})
    dev, buyer = world.dev[AccountKind.HOLDING].id, world.buyer[AccountKind.HOLDING].id
    service.transfer(world.sessions, DEVELOPER, Transfer(Units(dev, project.id, 2024, quantity=30), buyer))
    units = Units(buyer, project.id, 2024, quantity=10)
    service.retire(world.sessions, BUYER, Retirement(units, "Sanya marathon", "2025 race"))
    return project.id


@pytest.mark.parametrize(
    ("location", "field", "value"),
    [
        ({"lat": "91", "lon": "110.58"}, "parameters.location.lat", "91"),
        ({"lat": "19.95", "lon": "-180.5"}, "parameters.location.lon", "-180.5"),
        ({"lat": "north", "lon": "110.58"}, "parameters.location.lat", "north"),
        ({"lat": "19.95"}, "parameters.location.lon", None),
        ({"lat": True, "lon": "110.58"}, "parameters.location.lat", True),
        ({"lat": "NaN", "lon": "110.58"}, "parameters.location.lat", "NaN"),
        ("19.95,110.58", "parameters.location", "19.95,110.58"),
    ],
)
def test_draft_project_refuses_a_bad_location_and_stores_nothing(
    world: World, location: object, field: str, value: object
) -> None:
    with pytest.raises(InvalidInput) as refused:
        service.draft_project(world.sessions, DEVELOPER, _draft("MG009", {"location": location}))
    assert [(".".join(map(str, i.location)), i.value) for i in refused.value.issues] == [(field, value)]
    assert views.list_projects(world.sessions) == []


def test_draft_project_accepts_numbers_and_edges_and_no_location(world: World) -> None:
    for code, parameters in (
        ("EDGE1", {"location": {"lat": -90, "lon": 180}}),
        ("EDGE2", {"location": {"lat": "90", "lon": "-180.000"}}),
        ("NOLOC", {}),
    ):
        service.draft_project(world.sessions, DEVELOPER, _draft(code, parameters))
    assert sorted(p.code for p in views.list_projects(world.sessions)) == ["EDGE1", "EDGE2", "NOLOC"]
