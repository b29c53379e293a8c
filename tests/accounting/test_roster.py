"""The organisations roster (stage and totals per organisation, searched and paged in the
database), the region's reporting status, and who may submit an organisation's activity data."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import service
from carbonbridge.accounting.model import Facility, Organisation, OrganisationKind
from carbonbridge.accounting.service import roster, statements
from carbonbridge.accounting.service.roster import Stage
from carbonbridge.factors.model import GwpSet
from carbonbridge.kernel.errors import Forbidden, InvalidInput, Unauthenticated
from carbonbridge.platform.identity import PUBLIC, Principal, Role

ADMIN = Principal("u-admin", "admin", Role.ADMIN)
REGULATOR = Principal("u-office", "office", Role.REGULATOR)
VERIFIER = Principal("u-verifier", "verifier", Role.VERIFIER)
#: 1,200 MWh of grid electricity bought in 2024 (200 MWh of it with green certificates)
ELECTRICITY = [
    {
        "facility_id": "f-{org}",
        "period_start": "2024-01-01",
        "period_end": "2024-12-31",
        "category": "purchased_electricity",
        "activity": "electricity.grid",
        "quantity": quantity,
        "unit": "MWh",
        "instrument": instrument,
    }
    for quantity, instrument in (("1000", ""), ("200", "GEC"))
]


def _reporter(org: str) -> Principal:
    return Principal(f"u-{org}", f"reporter of {org}", Role.REPORTER, org)


def _rows(org: str) -> list[dict[str, object]]:
    return [{**row, "facility_id": f"f-{org}"} for row in ELECTRICITY]


def _register(sessions: sessionmaker[Session], number: int) -> str:
    org = f"org-{number:03d}"
    organisation = Organisation(
        org, f"Hotel {number:03d}", f"酒店{number:03d}", OrganisationKind.HOTEL, "CN-HI"
    )
    facility = Facility(f"f-{org}", org, "main building", "CN-HI", "CN-GRID-SOUTH")
    service.register_organisation(sessions, ADMIN, organisation, [facility])
    return org


@pytest.fixture
def region(sessions: sessionmaker[Session]) -> list[str]:
    """25 hotels; org-001 reported 2024, org-002 reported and finalised, org-003 is verified."""
    orgs = [_register(sessions, n) for n in range(1, 26)]
    for org in orgs[:3]:
        service.submit_rows(sessions, _reporter(org), org, _rows(org))
    for org in orgs[1:3]:
        statements.finalise(sessions, _reporter(org), org, 2024, GwpSet.AR6)
    statements.verify(sessions, VERIFIER, orgs[2], 2024, statements.Opinion.REASONABLE, "no misstatement")
    return orgs


def test_regulator_pages_through_every_organisation_by_name(
    sessions: sessionmaker[Session], region: list[str]
) -> None:
    first = roster.roster(sessions, REGULATOR, year=2024, per_page=10)
    last = roster.roster(sessions, REGULATOR, year=2024, page=3, per_page=10)
    assert (first.total, first.pages) == (25, 3)
    assert [x.organisation.id for x in first.lines] == region[:10]
    assert [x.organisation.id for x in last.lines] == region[20:]


def test_stage_and_totals_of_each_organisation(sessions: sessionmaker[Session], region: list[str]) -> None:
    """MEE prescribes 0.5703 t CO2/MWh for 2024 (series A, 2023-2025 notice) whatever the green
    certificates: 1,200 MWh -> 684,360 kg CO2; the GHG Protocol headline (location-based Scope 2)
    counts the same 1,200 MWh at the grid factor."""
    page = roster.roster(sessions, REGULATOR, year=2024, per_page=4)
    stages = {x.organisation.id: x.stage for x in page.lines}
    assert stages == {
        "org-001": Stage.REPORTED,
        "org-002": Stage.FINALISED,
        "org-003": Stage.VERIFIED,
        "org-004": Stage.NOT_REPORTED,
    }
    line = page.lines[0]
    assert line.records == 2
    assert line.cn_mee_co2e_kg == Decimal("684360")
    inventory = service.organisation_inventory(sessions, REGULATOR, "org-001", 2024, GwpSet.AR6)
    assert line.ghgp_co2e_kg == inventory.ghgp.total_co2e_kg > 0
    assert (page.lines[3].records, page.lines[3].ghgp_co2e_kg, page.lines[3].cn_mee_co2e_kg) == (
        0,
        None,
        None,
    )


def test_search_matches_id_or_either_name_in_any_case(
    sessions: sessionmaker[Session], region: list[str]
) -> None:
    assert [
        x.organisation.id for x in roster.roster(sessions, REGULATOR, year=2024, query="hotel 01").lines
    ] == [f"org-{n:03d}" for n in range(10, 20)]
    assert [
        x.organisation.id for x in roster.roster(sessions, VERIFIER, year=2024, query="酒店025").lines
    ] == ["org-025"]
    assert roster.roster(sessions, REGULATOR, year=2024, query="ORG-02").total == 6
    assert roster.roster(sessions, REGULATOR, year=2024, query="%").total == 0  # literal, not a wildcard


def test_a_reporter_sees_only_its_own_organisation(
    sessions: sessionmaker[Session], region: list[str]
) -> None:
    mine = roster.roster(sessions, _reporter("org-002"), year=2024)
    assert [(x.organisation.id, x.stage) for x in mine.lines] == [("org-002", Stage.FINALISED)]
    assert roster.roster(sessions, _reporter("org-002"), year=2024, query="hotel 001").total == 0


def test_the_public_gets_counts_but_no_roster(sessions: sessionmaker[Session], region: list[str]) -> None:
    with pytest.raises(Unauthenticated):
        roster.roster(sessions, PUBLIC, year=2024)
    status = roster.reporting_status(sessions, 2024)
    assert (status.organisations, status.reported, status.finalised, status.verified) == (25, 3, 2, 1)
    assert status.coverage_percent == Decimal("12.0")
    assert roster.reporting_status(sessions, 2023).reported == 0
    assert roster.latest_year(sessions) == 2024


def test_a_reopened_year_is_no_longer_finalised(sessions: sessionmaker[Session], region: list[str]) -> None:
    statements.reopen(sessions, REGULATOR, "org-002", 2024, "the hotel found a missing meter")
    assert roster.own_stage(sessions, REGULATOR, "org-002", 2024) is Stage.REPORTED
    assert roster.reporting_status(sessions, 2024).finalised == 1


@pytest.mark.parametrize(
    ("asked", "field"),
    [
        ({"page": 0}, "page"),
        ({"per_page": 101}, "per_page"),
        ({"query": "x" * 101}, "q"),
        ({"year": 1899}, "year"),
        ({"page": 4, "per_page": 10}, "page"),
    ],
)
def test_a_bad_request_names_its_field(
    sessions: sessionmaker[Session], region: list[str], asked: dict[str, object], field: str
) -> None:
    request: dict[str, object] = {"year": 2024, **asked}
    with pytest.raises(InvalidInput) as refused:
        roster.roster(sessions, REGULATOR, **request)  # type: ignore[arg-type]
    assert [i.location for i in refused.value.issues] == [(field,)]


def test_the_regulator_submits_for_an_organisation(
    sessions: sessionmaker[Session], region: list[str]
) -> None:
    result = service.submit_rows(sessions, REGULATOR, "org-010", _rows("org-010"))
    assert result.rows == 2
    assert roster.own_stage(sessions, REGULATOR, "org-010", 2024) is Stage.REPORTED


@pytest.mark.parametrize("caller", [VERIFIER, _reporter("org-001")])
def test_no_one_else_submits_for_an_organisation(
    sessions: sessionmaker[Session], region: list[str], caller: Principal
) -> None:
    with pytest.raises(Forbidden):
        service.submit_rows(sessions, caller, "org-011", _rows("org-011"))
    assert roster.own_stage(sessions, REGULATOR, "org-011", 2024) is Stage.NOT_REPORTED
