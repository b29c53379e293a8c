"""Registry reads: balances and holdings of an account, conservation tallies, the public serial
search, overlapping blocks (none in a sound registry), public retirement records and a project's
operations. Split out of ``service.py``, which re-exports every name here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.errors import FieldIssue, NotFound
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.registry import blocks, store
from carbonbridge.registry.model import (
    Balance,
    Operation,
    OperationKind,
    SerialBlock,
    UnitState,
    VintageTally,
)
from carbonbridge.registry.serials import parse_serial
from carbonbridge.registry.writes import serial_texts


def balances(sessions: sessionmaker[Session], principal: Principal, account_id: str) -> list[Balance]:
    """Tonnes per project, vintage and state in an account (its organisation's users, the
    regulator, verifiers; the registry's own accounts are public)."""
    with unit_of_work(sessions) as session:
        account = store.get_accounts(session, [account_id]).get(account_id)
        if account is None:
            raise NotFound(f"account {account_id} does not exist")
        if account.organisation_id is not None:
            principal.require(Role.REGULATOR, Role.VERIFIER, Role.DEVELOPER, Role.REPORTER)
            principal.require_organisation(account.organisation_id)
        totals: dict[tuple[str, int, UnitState], int] = {}
        for b in store.open_blocks(session, account_ids=[account_id]):
            key = (b.project_id, b.vintage, b.state)
            totals[key] = totals.get(key, 0) + b.count
    return [Balance(account_id, p, v, s, t) for (p, v, s), t in sorted(totals.items())]


def holdings(sessions: sessionmaker[Session], principal: Principal, account_id: str) -> list[SerialBlock]:
    """The open serial blocks of an account (same visibility as :func:`balances`)."""
    balances(sessions, principal, account_id)
    with unit_of_work(sessions) as session:
        return store.open_blocks(session, account_ids=[account_id])


def conservation(sessions: sessionmaker[Session], project_id: str | None = None) -> list[VintageTally]:
    """Per project and vintage: tonnes issued and where they stand now (public figures). The
    registry is sound when every tally is balanced and :func:`overlapping_blocks` is empty."""
    with unit_of_work(sessions) as session:
        issued = store.issued_totals(session, project_id)
        states = blocks.tally(store.open_blocks(session, project_id=project_id))
    keys = sorted(set(issued) | set(states))
    return [VintageTally(p, v, issued.get((p, v), 0), dict(states.get((p, v), {}))) for p, v in keys]


@dataclass(frozen=True)
class SerialStatus:
    """Where part of a searched serial range stands now (public: no account is shown)."""

    serial: str
    state: UnitState
    project_id: str
    standard: str
    methodology: str


def find_serial(sessions: sessionmaker[Session], serial: str) -> list[SerialStatus]:
    """Public credit search: the current state of every part of the serial range ``serial``
    (``CB-CN-HI-MG001-2025-1-850``), in serial order; an empty list if none was issued."""
    wanted = parse_serial(serial)
    with unit_of_work(sessions) as session:
        project = store.project_by_code(session, wanted.project)
        if project is None or project.region != wanted.region:
            raise NotFound(
                f"no project {wanted.project} in {wanted.region}",
                [FieldIssue(("serial",), serial, "unknown project")],
            )
        found = store.open_blocks(
            session, project_id=project.id, vintage=wanted.vintage, serials=(wanted.start, wanted.end)
        )
    clipped = [replace(b, start=max(b.start, wanted.start), end=min(b.end, wanted.end)) for b in found]
    return [
        SerialStatus(text, b.state, project.id, project.standard, project.methodology)
        for b, text in zip(clipped, serial_texts(project, clipped), strict=True)
    ]


def overlapping_blocks(sessions: sessionmaker[Session]) -> list[tuple[SerialBlock, SerialBlock]]:
    """Pairs of open blocks that overlap (none in a sound registry)."""
    with unit_of_work(sessions) as session:
        return blocks.overlaps(store.open_blocks(session))


@dataclass(frozen=True)
class RetirementRecord:
    """A public retirement: who it is for, why, which serials, and its log entry."""

    operation_id: str
    project_id: str
    beneficiary: str
    purpose: str
    quantity: int
    serials: tuple[str, ...]
    at: Any
    log_index: int


def retirement_records(
    sessions: sessionmaker[Session], project_id: str, *, limit: int = 1000
) -> list[RetirementRecord]:
    """A project's retirements (public)."""
    with unit_of_work(sessions) as session:
        ops = [
            o for o in store.operations_of_project(session, project_id) if o.kind is OperationKind.RETIREMENT
        ]
    return [
        RetirementRecord(
            o.id,
            project_id,
            str(o.details["beneficiary"]),
            str(o.details["purpose"]),
            int(o.details["quantity"]),
            tuple(o.details["serials"]),
            o.at,
            o.log_index,
        )
        for o in ops[:limit]
    ]


def operations(sessions: sessionmaker[Session], principal: Principal, project_id: str) -> list[Operation]:
    """Every operation on a project, in log order (regulator, verifiers)."""
    principal.require(Role.REGULATOR, Role.VERIFIER)
    with unit_of_work(sessions) as session:
        return store.operations_of_project(session, project_id)
