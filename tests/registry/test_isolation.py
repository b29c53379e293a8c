"""One tenant cannot fail another's requests (issue 9 §3): out-of-range and malformed requests
mixed into concurrent valid retirements through the REST API, on SQLite and PostgreSQL. The
valid ones all succeed and the registry's totals match the 2xx answers; the bad ones are refused
alone. First at the edge (422 naming the field); then, with a database trigger refusing what only
the database sees, by the group commit itself isolating the failing request."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.ledger import service as ledger
from carbonbridge.ledger.cli import register_context_auditors
from carbonbridge.ledger.proof import parse_receipt
from carbonbridge.registry import reads, store
from carbonbridge.registry.model import AccountKind, Project, Receipt, Retirement, Transfer, Units, UnitState
from carbonbridge.registry.units import service as movements
from carbonbridge.registry.units.service import commit_batch
from tests.conftest import make_user
from tests.registry.conftest import ADMIN, BUYER, DEVELOPER, World
from tests.registry.helpers import issued_report, registered_project

RETIREMENTS = "/api/v1/registry/retirements"
VALID = 30


@pytest.fixture
def holdings(world: World) -> Project:
    """MG001 2024: 100 t issued, 80 held; 40 t transferred to the buyer (another organisation)."""
    project = registered_project(world.sessions)
    issued_report(world.sessions, project, 2024, {"net_t": "100"})
    units = Units(world.dev[AccountKind.HOLDING].id, project.id, 2024, quantity=40)
    movements.transfer(world.sessions, DEVELOPER, Transfer(units, world.buyer[AccountKind.HOLDING].id))
    return project


def _retirement(account: str, project: Project, beneficiary: str, **units: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"account_id": account, "project_id": project.id, "vintage": 2024}
    body.update(units or {"quantity": 1})
    return {**body, "beneficiary": beneficiary, "purpose": "2025 guest stays"}


def _deep(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = {"a": value}
    return value


def _race(client: Any, calls: list[tuple[dict[str, str], str]]) -> list[Any]:
    """POST every (headers, raw JSON body) at once from as many threads; the answers in order."""
    go = threading.Barrier(len(calls))

    def one(call: tuple[dict[str, str], str]) -> Any:
        headers, body = call
        go.wait()
        return client.post(RETIREMENTS, content=body, headers={**headers, "content-type": "application/json"})

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(one, calls))


def _retired_tonnes(sessions: sessionmaker[Session], project: Project) -> int:
    [tally] = reads.conservation(sessions, project.id)
    assert tally.balanced
    return tally.by_state.get(UnitState.RETIRED, 0)


def _audit_clean(sessions: sessionmaker[Session]) -> None:
    register_context_auditors()
    report = ledger.audit(sessions)
    assert report.ok, report


def test_out_of_range_requests_are_refused_at_the_edge_and_fail_no_one_else(
    app_client: Any, world: World, holdings: Project
) -> None:
    """30 valid 1 t retirements by the buyer race 6 bad requests by the developer (a vintage past
    a 32-bit column, serials past 64 bits, a quantity past 2^53, a NUL in the beneficiary, JSON
    nested 500 deep): every valid one is 201, every bad one a 422 naming its field, and the
    registry holds exactly the 30 t answered."""
    buyer = make_user(world.sessions, "buyer-user", "reporter", "buyer-co")
    dev = make_user(world.sessions, "dev-user", "developer", "mangrove-dev")
    own, theirs = world.buyer[AccountKind.HOLDING].id, world.dev[AccountKind.HOLDING].id
    bad = [
        (_retirement(theirs, holdings, "x", quantity=1) | {"vintage": 2**31}, ["body", "vintage"]),
        (_retirement(theirs, holdings, "x", start=1, end=2**64), ["body", "end"]),
        (_retirement(theirs, holdings, "x", start=2**63, end=2**63 + 1), ["body", "start"]),
        (_retirement(theirs, holdings, "x", quantity=2**53), ["body", "quantity"]),
        (_retirement(theirs, holdings, "a\x00b"), ["body", "beneficiary"]),
        (_retirement(theirs, holdings, "x") | {"note": _deep(500)}, ["body", "note", *["a"] * 31]),
    ]
    calls = [(buyer, json.dumps(_retirement(own, holdings, f"guest {n}"))) for n in range(VALID)]
    calls += [(dev, json.dumps(body)) for body, _ in bad]

    answers = _race(app_client, calls)

    assert [a.status_code for a in answers] == [201] * VALID + [422] * len(bad)
    for answer, (_, where) in zip(answers[VALID:], bad, strict=True):
        assert answer.headers["content-type"].startswith("application/problem+json")
        [issue] = answer.json()["issues"]
        assert issue["location"][: len(where)] == where, issue
        assert issue["reason"]
    assert _retired_tonnes(world.sessions, holdings) == VALID
    assert len(reads.retirement_records(world.sessions, holdings.id, limit=1000)) == VALID
    _audit_clean(world.sessions)


@pytest.fixture
def poison_trigger(engine: Engine) -> Iterator[None]:
    """A trigger refusing any registry operation whose details mention POISON: a failure only the
    database sees, raised inside the group commit's transaction after the log append."""
    if engine.dialect.name == "sqlite":
        create = [
            "CREATE TRIGGER IF NOT EXISTS test_poison BEFORE INSERT ON registry_operations "
            "WHEN NEW.details LIKE '%POISON%' BEGIN SELECT RAISE(ABORT, 'poisoned by the test'); END"
        ]
        drop = ["DROP TRIGGER IF EXISTS test_poison"]
    else:
        create = [
            "CREATE OR REPLACE FUNCTION test_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.details LIKE '%POISON%' THEN RAISE EXCEPTION 'poisoned by the test'; END IF; "
            "RETURN NEW; END $$",
            "CREATE OR REPLACE TRIGGER test_poison BEFORE INSERT ON registry_operations "
            "FOR EACH ROW EXECUTE FUNCTION test_poison()",
        ]
        drop = [
            "DROP TRIGGER IF EXISTS test_poison ON registry_operations",
            "DROP FUNCTION IF EXISTS test_poison()",
        ]
    with engine.begin() as conn:
        for statement in create:
            conn.execute(text(statement))
    try:
        yield
    finally:
        with engine.begin() as conn:
            for statement in drop:
                conn.execute(text(statement))


def _entries(sessions: sessionmaker[Session]) -> list[bytes]:
    with sessions() as session:
        return list(session.scalars(text('SELECT entry FROM ledger_entries ORDER BY "index"')))


def test_a_request_only_the_database_refuses_fails_alone_in_its_batch(
    world: World, holdings: Project, poison_trigger: None
) -> None:
    """One batch: valid, poisoned, valid, valid, poisoned, valid retirements. The database refuses
    the poisoned ones (after their entries were appended): they alone get the error; the others
    are written once each, in arrival order; no entry of a refused request is in the log."""
    own = world.buyer[AccountKind.HOLDING].id
    names = ["a", "POISON 1", "b", "c", "POISON 2", "d"]
    requests = [
        (BUYER, Retirement(Units(own, holdings.id, 2024, quantity=2), name, "2025 guest stays"))
        for name in names
    ]
    before = len(_entries(world.sessions))

    outcomes = commit_batch(world.sessions, requests)

    assert [isinstance(o, Receipt) for o in outcomes] == [True, False, True, True, False, True]
    assert all("poisoned by the test" in str(o) for o in outcomes if not isinstance(o, Receipt))
    moved = [o for o in outcomes if isinstance(o, Receipt)]
    assert [o.operation.details["serials"] for o in moved] == [
        ["CB-CN-HI-MG001-2024-1-2"],
        ["CB-CN-HI-MG001-2024-3-4"],
        ["CB-CN-HI-MG001-2024-5-6"],
        ["CB-CN-HI-MG001-2024-7-8"],
    ]
    entries = _entries(world.sessions)
    assert len(entries) == before + 4
    assert not any(b"POISON" in e for e in entries)
    with world.sessions() as session:
        stored = store.operations_by_id(session, [o.operation.id for o in moved])
    assert {i: o.log_index for i, o in stored.items()} == {
        o.operation.id: o.operation.log_index for o in moved
    }
    assert _retired_tonnes(world.sessions, holdings) == 8
    _audit_clean(world.sessions)


def test_concurrent_callers_are_not_failed_by_a_request_the_database_refuses(
    app_client: Any, world: World, holdings: Project, poison_trigger: None
) -> None:
    """30 valid retirements race 6 that pass every edge check but that the database refuses, all
    through the API (so they share the group commit's batches): the 30 are 201 and retired, the 6
    are answered with an error each (500: the edge let through what the database refused)."""
    buyer = make_user(world.sessions, "buyer-user", "reporter", "buyer-co")
    dev = make_user(world.sessions, "dev-user", "developer", "mangrove-dev")
    own, theirs = world.buyer[AccountKind.HOLDING].id, world.dev[AccountKind.HOLDING].id
    calls = [(buyer, json.dumps(_retirement(own, holdings, f"guest {n}"))) for n in range(VALID)]
    calls += [(dev, json.dumps(_retirement(theirs, holdings, f"POISON {n}"))) for n in range(6)]

    answers = _race(app_client, calls)

    assert Counter(a.status_code for a in answers[:VALID]) == {201: VALID}
    assert Counter(a.status_code for a in answers[VALID:]) == {500: 6}
    receipts = [parse_receipt(a.json()["receipt"]) for a in answers[:VALID]]
    assert len({r.index for r in receipts}) == VALID
    assert len({r.checkpoint_note for r in receipts}) < VALID  # batches of several callers
    assert _retired_tonnes(world.sessions, holdings) == VALID
    assert not any(b"POISON" in e for e in _entries(world.sessions))
    assert reads.balances(world.sessions, ADMIN, theirs)[0].tonnes == 40
    movements.stop_group_commits()
    _audit_clean(world.sessions)
