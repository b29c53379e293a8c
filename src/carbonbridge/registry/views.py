"""Read models the registry's faces need (public registry home with its map of projects, project
sheet, credit search by serial, retirement records, a holder's account), with the same visibility
rules as :mod:`carbonbridge.registry.service`: projects, monitoring reports, issuances and public
operations are public, and so is where each serial stands (never who holds it); an account's
holdings are its organisation's users', the regulator's and verifiers'. Nothing here writes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.errors import FieldIssue, InvalidInput, NotFound
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.registry import reads, service, store
from carbonbridge.registry.blocks import serial_ranges
from carbonbridge.registry.events import converted_blocks
from carbonbridge.registry.location import MapPoint, map_point
from carbonbridge.registry.model import (
    PUBLIC_OPERATIONS,
    REGISTRY_PREFIX,
    Account,
    AccountKind,
    Balance,
    Issuance,
    MonitoringReport,
    Operation,
    OperationKind,
    Project,
    SerialBlock,
    UnitState,
    VintageTally,
)
from carbonbridge.registry.serials import Serial, parse_serial
from carbonbridge.registry.writes import serial_texts


@dataclass(frozen=True)
class ProjectSummary:
    """One line of the public registry: a project and its issued and retired tonnes."""

    project: Project
    issued: int
    retired: int


@dataclass(frozen=True)
class RegistryTotals:
    projects: list[ProjectSummary]
    issued: int
    retired: int


@dataclass(frozen=True)
class IssuanceView:
    """An issuance with its newly serialised range (``None`` if it only converted planned units),
    the part of it that went to the buffer pool, and the planned units it converted in place."""

    id: str
    report_id: str | None
    vintage: int
    quantity: int
    buffer: int
    serials: str | None
    held_serials: str | None
    buffer_serials: str | None
    converted: int = 0
    converted_serials: tuple[str, ...] = ()


@dataclass(frozen=True)
class TimelineEntry:
    """A public step of a project (drafted, validated, ... retired), with its log entry."""

    operation_id: str
    kind: OperationKind
    at: datetime
    actor: str
    details: Mapping[str, Any]
    log_index: int


@dataclass(frozen=True)
class ProjectSheet:
    project: Project
    reports: list[MonitoringReport]
    issuances: list[IssuanceView]
    timeline: list[TimelineEntry]
    retirements: list[reads.RetirementRecord]
    tallies: list[VintageTally]
    location: MapPoint | None = None


@dataclass(frozen=True)
class HolderAccount:
    """An organisation's accounts, the tonnes in each and the open blocks with their serials."""

    organisation_id: str
    accounts: dict[AccountKind, Account]
    balances: dict[AccountKind, list[Balance]]
    blocks: list[tuple[SerialBlock, str]]
    projects: dict[str, Project]


def list_projects(sessions: sessionmaker[Session]) -> list[Project]:
    """Every project, by code (public)."""
    with unit_of_work(sessions) as session:
        ids = store.project_ids(session)
        found = store.projects_by_id(session, ids)
    return [found[i] for i in ids]


def registry_totals(sessions: sessionmaker[Session]) -> RegistryTotals:
    """The public registry home: each project with tonnes issued and retired, and the totals."""
    projects = list_projects(sessions)
    issued: dict[str, int] = {}
    retired: dict[str, int] = {}
    for t in reads.conservation(sessions):
        issued[t.project_id] = issued.get(t.project_id, 0) + t.issued
        retired[t.project_id] = retired.get(t.project_id, 0) + t.by_state.get(UnitState.RETIRED, 0)
    lines = [ProjectSummary(p, issued.get(p.id, 0), retired.get(p.id, 0)) for p in projects]
    return RegistryTotals(lines, sum(issued.values()), sum(retired.values()))


def _issuance_view(project: Project, row: Issuance, produced: Sequence[SerialBlock] = ()) -> IssuanceView:
    def text(start: int, end: int) -> str:
        block = SerialBlock("", project.id, row.vintage, start, end, "", UnitState.HELD)
        return serial_texts(project, [block])[0]

    held_end = row.serial_end - row.buffer
    converted = serial_ranges(converted_blocks(row, produced)) if row.converted else []
    return IssuanceView(
        row.id,
        row.report_id,
        row.vintage,
        row.quantity,
        row.buffer,
        text(row.serial_start, row.serial_end) if row.quantity else None,
        text(row.serial_start, held_end) if held_end >= row.serial_start else None,
        text(held_end + 1, row.serial_end) if row.buffer else None,
        row.converted,
        tuple(text(start, end) for start, end in converted),
    )


def project_sheet(sessions: sessionmaker[Session], project_id: str) -> ProjectSheet:
    """A project's public sheet: design, monitoring reports with every calculator figure, issuances
    with serial ranges, the public timeline (each step's log entry) and the retirements."""
    with unit_of_work(sessions) as session:
        project = store.get_project(session, project_id)
        if project is None:
            raise NotFound(f"project {project_id} does not exist")
        reports = store.reports_of(session, project_id)
        rows = store.issuances_of(session, project_id)
        produced, _ = store.blocks_of_operations(session, [r.id for r in rows if r.converted])
        issuances = [_issuance_view(project, row, produced.get(row.id, ())) for row in rows]
        timeline = [
            TimelineEntry(o.id, o.kind, o.at, o.actor, o.details, o.log_index)
            for o in store.operations_of_project(session, project_id)
            if o.kind in PUBLIC_OPERATIONS
        ]
    return ProjectSheet(
        project,
        reports,
        issuances,
        timeline,
        reads.retirement_records(sessions, project_id),
        reads.conservation(sessions, project_id),
        project_location(project),
    )


def project_location(project: Project) -> MapPoint | None:
    """The project's map point (``parameters["location"]``), or ``None`` if it has none or was
    drafted, before :func:`service.draft_project` checked locations, with a malformed one."""
    try:
        return map_point(project.parameters)
    except InvalidInput:
        return None


def located_projects(projects: list[Project]) -> list[tuple[Project, MapPoint]]:
    """The projects that have a map point, with it (for the registry home's chart)."""
    found = [(p, project_location(p)) for p in projects]
    return [(p, point) for p, point in found if point is not None]


def project_by_code(sessions: sessionmaker[Session], code: str) -> Project:
    with unit_of_work(sessions) as session:
        project = store.project_by_code(session, code)
    if project is None:
        raise NotFound(f"no project with code {code}")
    return project


def all_retirements(sessions: sessionmaker[Session], *, limit: int = 200) -> list[reads.RetirementRecord]:
    """The public retirement records of every project, newest first."""
    with unit_of_work(sessions) as session:
        ids = store.latest_operation_ids(session, OperationKind.RETIREMENT, limit)
        found = store.operations_by_id(session, ids)
    ops = [found[i] for i in ids]
    return [
        reads.RetirementRecord(
            o.id,
            str(o.project_id),
            str(o.details["beneficiary"]),
            str(o.details["purpose"]),
            int(o.details["quantity"]),
            tuple(o.details["serials"]),
            o.at,
            o.log_index,
        )
        for o in ops
    ]


def retirement_count(sessions: sessionmaker[Session]) -> int:
    with unit_of_work(sessions) as session:
        return store.count_operations(session, OperationKind.RETIREMENT)


def holder_account(
    sessions: sessionmaker[Session], principal: Principal, organisation_id: str
) -> HolderAccount:
    """An organisation's accounts with balances and open blocks (its own users, the regulator,
    verifiers; checked by :func:`service.accounts` and :func:`reads.balances`)."""
    principal.require(Role.REGULATOR, Role.VERIFIER, Role.DEVELOPER, Role.REPORTER)
    accounts = service.accounts(sessions, principal, organisation_id)
    balances = {k: reads.balances(sessions, principal, a.id) for k, a in accounts.items()}
    holding = accounts.get(AccountKind.HOLDING)
    blocks = reads.holdings(sessions, principal, holding.id) if holding is not None else []
    with unit_of_work(sessions) as session:
        projects = store.projects_by_id(session, {b.project_id for b in blocks})
        projects.update(
            store.projects_by_id(session, {b.project_id for rows in balances.values() for b in rows})
        )
    texts = [serial_texts(projects[b.project_id], [b])[0] for b in blocks]
    return HolderAccount(organisation_id, accounts, balances, list(zip(blocks, texts, strict=True)), projects)


#: serial prefix (``CB-<region>-<code>``) per project id: a project's region and code never change
#: after it is drafted, and ids are never reused, so this read can be remembered (bounded)
_SERIAL_PREFIX: dict[str, str] = {}
_SERIAL_PREFIX_MAX = 10_000


def cached_serials(blocks: list[SerialBlock]) -> list[str] | None:
    """Serial numbers of blocks if every project's serial prefix has been read already (no
    database work), else ``None`` (then :func:`serials_of`)."""
    try:
        return [f"{_SERIAL_PREFIX[b.project_id]}-{b.vintage}-{b.start}-{b.end}" for b in blocks]
    except KeyError:
        return None


def serials_of(sessions: sessionmaker[Session], blocks: list[SerialBlock]) -> list[str]:
    """Serial numbers of blocks (e.g. those a receipt produced)."""
    prefixes = {p: _SERIAL_PREFIX.get(p) for p in {b.project_id for b in blocks}}
    missing = [p for p, prefix in prefixes.items() if prefix is None]
    if missing:
        with unit_of_work(sessions) as session:
            projects = store.projects_by_id(session, missing)
        if len(_SERIAL_PREFIX) + len(projects) > _SERIAL_PREFIX_MAX:
            _SERIAL_PREFIX.clear()
        for p in projects.values():
            probe = SerialBlock("", p.id, 2000, 1, 1, "", UnitState.HELD)
            prefixes[p.id] = _SERIAL_PREFIX[p.id] = serial_texts(p, [probe])[0].rsplit("-", 3)[0]
    return [f"{prefixes[b.project_id]}-{b.vintage}-{b.start}-{b.end}" for b in blocks]


#: one credit of a block: ``CB-<region>-<project>-<vintage>-<n>`` (the search reads it as ``n..n``)
_ONE_SERIAL = re.compile(
    rf"{REGISTRY_PREFIX}-[A-Z]{{2}}-[A-Z0-9]{{1,3}}-[A-Z0-9]{{1,20}}-[0-9]{{4}}-(?P<n>[1-9][0-9]*)"
)

#: at most this many parts of a searched range are listed (a fragmented range may hold thousands)
SERIAL_PARTS_MAX = 500


@dataclass(frozen=True)
class SerialPart:
    """Part of a searched serial range as it stands now: in one open block (``state`` set, with the
    block's whole serial range and the operation that put it there, whose log entry proves it), or
    never issued (``state`` is ``None``). Public: the account and its organisation are never named;
    a retirement's beneficiary and purpose are (they are public retirement records)."""

    serial: str
    count: int
    state: UnitState | None
    block_serial: str | None = None
    operation: OperationKind | None = None
    at: datetime | None = None
    log_index: int | None = None
    beneficiary: str | None = None
    purpose: str | None = None
    #: for exported and pending-export units: the registry they go to (public, as logged)
    destination: str | None = None


#: the operations that name a destination registry in their public details
_EXPORT_STEPS = frozenset({OperationKind.EXPORT_REQUESTED, OperationKind.EXPORT_CONFIRMED})


@dataclass(frozen=True)
class SerialSearch:
    query: str
    serial: Serial
    project: Project
    parts: list[SerialPart]
    truncated: bool


def parse_serial_query(text: str) -> Serial:
    """A searched serial: a range ``CB-CN-HI-MG001-2024-1-50`` (:func:`parse_serial`) or one credit
    ``CB-CN-HI-MG001-2024-37``, read as ``37..37``; case and surrounding blanks are ignored.
    :class:`InvalidInput` naming ``q`` if it is neither."""
    wanted = text.strip().upper()
    one = _ONE_SERIAL.fullmatch(wanted)
    try:
        return parse_serial(f"{wanted}-{one['n']}" if one else wanted)
    except InvalidInput as exc:
        raise InvalidInput(exc.detail, [FieldIssue(("q",), text, i.reason) for i in exc.issues]) from exc


def _part(project: Project, block: SerialBlock, start: int, end: int, op: Operation | None) -> SerialPart:
    clipped = SerialBlock(block.id, project.id, block.vintage, start, end, "", block.state)
    text, whole = serial_texts(project, [clipped, block])
    if op is None:  # every stored block names the operation that opened it; kept total regardless
        return SerialPart(text, end - start + 1, block.state, whole)
    claim = block.state is UnitState.RETIRED and op.kind is OperationKind.RETIREMENT
    return SerialPart(
        text,
        end - start + 1,
        block.state,
        whole,
        op.kind,
        op.at,
        op.log_index,
        str(op.details.get("beneficiary", "")) if claim else None,
        str(op.details.get("purpose", "")) if claim else None,
        str(op.details.get("destination_registry", "")) if op.kind in _EXPORT_STEPS else None,
    )


def _unissued(project: Project, vintage: int, start: int, end: int) -> SerialPart:
    block = SerialBlock("", project.id, vintage, start, end, "", UnitState.HELD)
    return SerialPart(serial_texts(project, [block])[0], end - start + 1, None)


def serial_search(sessions: sessionmaker[Session], text: str) -> SerialSearch:
    """Public credit search by serial (the page's form of :func:`reads.find_serial`): each part of
    the searched range in serial order, with its state, the block it lies in, the logged operation
    that put it there (for a retirement, the beneficiary and purpose), and the parts never issued.
    :class:`InvalidInput` for a malformed serial, :class:`NotFound` for an unknown project."""
    wanted = parse_serial_query(text)
    with unit_of_work(sessions) as session:
        project = store.project_by_code(session, wanted.project)
        if project is None or project.region != wanted.region:
            raise NotFound(
                f"no project {wanted.project} in {wanted.region}",
                [FieldIssue(("q",), text, "unknown project")],
            )
        rows = store.open_blocks_in_range(
            session, project.id, wanted.vintage, wanted.start, wanted.end, SERIAL_PARTS_MAX + 1
        )
        truncated = len(rows) > SERIAL_PARTS_MAX
        found = [block for block, _ in rows[:SERIAL_PARTS_MAX]]
        opened_by = {block.id: op for block, op in rows[:SERIAL_PARTS_MAX]}
        operations = store.operations_by_id(session, list(set(opened_by.values())))
    parts: list[SerialPart] = []
    cursor = wanted.start
    for block in found:
        start, end = max(block.start, wanted.start), min(block.end, wanted.end)
        if start > cursor:
            parts.append(_unissued(project, wanted.vintage, cursor, start - 1))
        parts.append(_part(project, block, start, end, operations.get(opened_by.get(block.id, ""))))
        cursor = end + 1
    if cursor <= wanted.end and not truncated:
        parts.append(_unissued(project, wanted.vintage, cursor, wanted.end))
    return SerialSearch(text.strip(), wanted, project, parts, truncated)
