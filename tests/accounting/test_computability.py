"""Computability: intake refuses what the engine cannot compute (by the engine's own rules, once per
key), and reads list such records instead of failing (issue 9 §6)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from carbonbridge.accounting.computability import Computability, partition
from carbonbridge.accounting.intake import parse_csv, parse_rows
from carbonbridge.accounting.model import (
    ActivityCategory,
    ActivityRecord,
    Facility,
    Organisation,
    OrganisationKind,
    RecordEmissions,
)
from carbonbridge.accounting.service import calculator, screen_for
from carbonbridge.accounting.template import EXAMPLE_FACILITY_IDS, template_csv
from carbonbridge.factors.model import GwpSet
from carbonbridge.factors.resolution import FactorLibrary
from carbonbridge.factors.service import shipped_library
from carbonbridge.kernel.errors import InvalidInput

ORG = Organisation("org_1", "Hotel", "酒店", OrganisationKind.HOTEL, "CN-HI")
FACILITIES: Mapping[str, Facility] = {"fac_1": Facility("fac_1", ORG.id, "Main", "CN-HI", "CN-GRID-SOUTH")}
HEADER = "facility_id,period_start,period_end,category,activity,quantity,unit,instrument,note\n"
GAS = "fac_1,2024-01-01,2024-01-31,stationary_combustion,fuel.natural_gas,1000,Nm3,,\n"
UNOBTAINIUM = "fac_1,2024-02-01,2024-02-29,stationary_combustion,fuel.unobtainium,5,t,,\n"


def clock() -> datetime:
    return datetime(2026, 6, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def shipped() -> FactorLibrary:
    return shipped_library()


def _parse(text: str, library: FactorLibrary) -> list[ActivityRecord]:
    screen = screen_for(library, ORG)
    return parse_csv(text.encode(), organisation_id=ORG.id, facilities=FACILITIES, clock=clock, screen=screen)


def _record(activity: str, unit: str, *, year: int = 2024, rid: str = "r1") -> ActivityRecord:
    return ActivityRecord(
        rid,
        ORG.id,
        "fac_1",
        date(year, 1, 1),
        date(year, 1, 31),
        ActivityCategory.STATIONARY_COMBUSTION,
        activity,
        Decimal(10),
        unit,
        "CN-HI",
        "CN-GRID-SOUTH",
    )


def test_an_unknown_fuel_is_refused_with_row_column_and_reason(shipped: FactorLibrary) -> None:
    with pytest.raises(InvalidInput) as caught:
        _parse(HEADER + GAS + UNOBTAINIUM, shipped)

    assert caught.value.detail == "1 of 2 rows are invalid; nothing was stored"
    [issue] = caught.value.issues
    assert issue.location == ("rows", 3, "activity")
    assert issue.value == "fuel.unobtainium"
    assert issue.reason.startswith("cannot be computed: ")
    assert "fuel.unobtainium" in issue.reason
    assert "record " not in issue.reason  # the engine's record id means nothing to an uploader


def test_a_volume_without_a_published_density_is_refused_on_the_unit_column(shipped: FactorLibrary) -> None:
    """Coke is a solid: no shipped dataset publishes a density for it, so litres cannot be
    converted (diesel in litres is computed with the UNSD density: ``test_units.py``)."""
    row = "fac_1,2024-03-01,2024-03-31,stationary_combustion,fuel.coke,3200,L,,\n"

    with pytest.raises(InvalidInput) as caught:
        _parse(HEADER + row, shipped)

    [issue] = caught.value.issues
    assert issue.location == ("rows", 2, "unit")
    assert "no density of fuel.coke is published" in issue.reason
    assert "unsd-energy-conversion" in issue.reason  # where it looked


def test_json_rows_are_screened_like_a_file(shipped: FactorLibrary) -> None:
    rows = [
        {
            "facility_id": "fac_1",
            "period_start": "2024-02-01",
            "period_end": "2024-02-29",
            "category": "stationary_combustion",
            "activity": "fuel.unobtainium",
            "quantity": "5",
            "unit": "t",
        }
    ]
    with pytest.raises(InvalidInput) as caught:
        parse_rows(
            rows,
            organisation_id=ORG.id,
            facilities=FACILITIES,
            clock=clock,
            first_row=0,
            screen=screen_for(shipped, ORG),
        )
    assert caught.value.issues[0].location == ("rows", 0, "activity")


def test_computable_rows_pass_the_screen_unchanged(shipped: FactorLibrary) -> None:
    records = _parse(HEADER + GAS, shipped)

    assert [(r.activity, r.quantity, r.unit) for r in records] == [("fuel.natural_gas", Decimal(1000), "Nm3")]


def test_the_screen_computes_once_per_key_not_per_row(shipped: FactorLibrary) -> None:
    """732 daily rows of two fuels in one year are two keys: two calculations per GWP set."""
    one = calculator(shipped, [ORG])
    calls: list[str] = []

    def counting(record: ActivityRecord, gwp: GwpSet) -> RecordEmissions:
        calls.append(record.activity)
        return one(record, gwp)

    screen = Computability(counting)
    days = [date(2024, 1, 1).fromordinal(date(2024, 1, 1).toordinal() + n) for n in range(366)]
    rows = [
        f"fac_1,{day},{day},stationary_combustion,{fuel},{day.day},t,,"
        for day in days
        for fuel in ("fuel.diesel", "fuel.lpg")
    ]
    text = HEADER + "\n".join(rows) + "\n"

    parsed = parse_csv(
        text.encode(), organisation_id=ORG.id, facilities=FACILITIES, clock=clock, screen=screen
    )

    assert len(parsed) == 732
    assert screen.decided == 2
    assert sorted(calls) == sorted(["fuel.diesel", "fuel.lpg"] * len(GwpSet))


def test_partition_computes_the_rest_and_lists_what_cannot_be_computed(shipped: FactorLibrary) -> None:
    good = _record("fuel.natural_gas", "Nm3", rid="gas")
    bad = _record("fuel.unobtainium", "t", rid="bad")

    done, failed = partition([good, bad], calculator(shipped, [ORG]), GwpSet.AR6)

    assert [e.record.id for e in done] == ["gas"]
    assert [(x.record.id, x.record.activity) for x in failed] == [("bad", "fuel.unobtainium")]
    assert "fuel.unobtainium" in failed[0].reason


def test_grid_electricity_without_any_factor_for_its_year_is_not_computable(shipped: FactorLibrary) -> None:
    """The shipped grid series start at data year 2021 (series B) and reporting year 2019 (series
    A): a 2015 electricity row has no factor under any framework."""
    record = ActivityRecord(
        "old",
        ORG.id,
        "fac_1",
        date(2015, 1, 1),
        date(2015, 12, 31),
        ActivityCategory.PURCHASED_ELECTRICITY,
        "electricity.grid",
        Decimal(100),
        "MWh",
        "CN-HI",
        "CN-GRID-SOUTH",
    )
    refusal = screen_for(shipped, ORG)(record)

    assert refusal is not None
    assert refusal.column == "activity"
    assert "2015" in refusal.reason


def test_the_template_example_rows_are_computable(shipped: FactorLibrary) -> None:
    """The template a reporter downloads must pass the intake it is made for."""
    facilities = {f: Facility(f, ORG.id, f, "CN-HI", "CN-GRID-SOUTH") for f in EXAMPLE_FACILITY_IDS}
    screen = screen_for(shipped, ORG)
    records = parse_csv(template_csv(), organisation_id=ORG.id, facilities=facilities, clock=clock)

    assert [(r.activity, screen(r)) for r in records] == [(r.activity, None) for r in records]
