"""What the database itself refuses, whatever code writes to it (migrations 0008 and 0010 and the
table's constraints): an open block overlapping another open block of the same project and
vintage, a count that is not end − start + 1, an issuance of nothing and a repeated issuance range.
Issue 4: "no overlap within a project and vintage"."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.ids import new_id
from carbonbridge.platform.db import unit_of_work
from carbonbridge.registry import reads, store
from carbonbridge.registry.model import AccountKind, Issuance, Project, SerialBlock, UnitState
from tests.registry.conftest import World
from tests.registry.helpers import issued_report, registered_project


@pytest.fixture
def issued(world: World) -> Project:
    """MG001: 2024 report of 100 t issued, 80 held (1-80) by the developer, 20 in the buffer (81-100)."""
    project = registered_project(world.sessions)
    issued_report(world.sessions, project, 2024, {"net_t": "100"})
    return project


def _insert(sessions: sessionmaker[Session], world: World, project: Project, start: int, end: int) -> None:
    block = SerialBlock(
        new_id("blk"), project.id, 2024, start, end, world.dev[AccountKind.HOLDING].id, UnitState.HELD
    )
    with unit_of_work(sessions) as session:
        store.add_blocks(session, [(block, "op_forged", None)])


@pytest.mark.parametrize(
    ("start", "end"),
    [(10, 20), (1, 100), (75, 85), (100, 120), (50, 50)],
    ids=["inside", "covering", "straddling-two", "touching-last", "one-unit"],
)
def test_an_overlapping_open_block_is_refused_by_the_database(
    world: World, issued: Project, start: int, end: int
) -> None:
    before = reads.conservation(world.sessions, issued.id)
    with pytest.raises(IntegrityError, match="overlaps an open block"):
        _insert(world.sessions, world, issued, start, end)
    assert reads.conservation(world.sessions, issued.id) == before


def test_an_adjacent_block_and_a_closed_overlap_are_accepted(world: World, issued: Project) -> None:
    """The trigger is about open blocks only: serials 101-110 (never issued) touch nothing, and a
    block inserted already closed (as an operation's intermediate product is) is history."""
    _insert(world.sessions, world, issued, 101, 110)
    closed = SerialBlock(
        new_id("blk"), issued.id, 2024, 5, 6, world.dev[AccountKind.HOLDING].id, UnitState.HELD
    )
    with unit_of_work(world.sessions) as session:
        store.add_blocks(session, [(closed, "op_a", "op_b")])
    assert not reads.overlapping_blocks(world.sessions)


def test_a_count_that_is_not_the_range_is_refused(world: World, issued: Project) -> None:
    with pytest.raises(IntegrityError), unit_of_work(world.sessions) as session:
        session.connection().exec_driver_sql(
            "UPDATE registry_blocks SET serial_count = serial_count + 1 WHERE closed_by IS NULL"
        )
    assert all(t.balanced for t in reads.conservation(world.sessions, issued.id))


def _issuance(project: Project, start: int, end: int, quantity: int, converted: int) -> Issuance:
    return Issuance(
        id=new_id("op"),
        report_id=None,
        project_id=project.id,
        vintage=2024,
        serial_start=start,
        serial_end=end,
        quantity=quantity,
        buffer=0,
        converted=converted,
    )


@pytest.mark.parametrize(
    ("start", "end", "quantity", "converted"),
    [(101, 100, 0, 0), (101, 105, 5, -1), (1, 5, 5, 0)],
    ids=["issues-nothing", "negative-conversion", "range-issued-before"],
)
def test_an_empty_or_repeated_issuance_is_refused_by_the_database(
    world: World, issued: Project, start: int, end: int, quantity: int, converted: int
) -> None:
    """Migration 0010: ``converted >= 0 AND quantity + converted >= 1``; non-empty ranges stay
    unique per project, vintage and start."""
    with pytest.raises(IntegrityError), unit_of_work(world.sessions) as session:
        store.add_issuance(session, _issuance(issued, start, end, quantity, converted))
    assert [t.issued for t in reads.conservation(world.sessions, issued.id)] == [100]


def test_a_conversion_only_issuance_may_share_its_empty_range_start(world: World, issued: Project) -> None:
    with unit_of_work(world.sessions) as session:
        store.add_issuance(session, _issuance(issued, 101, 100, 0, 3))
        store.add_issuance(session, _issuance(issued, 101, 110, 10, 0))
    with unit_of_work(world.sessions) as session:
        assert [
            (r.serial_start, r.quantity, r.converted) for r in store.issuances_of(session, issued.id)
        ] == [
            (1, 100, 0),
            (101, 0, 3),
            (101, 10, 0),
        ]
