"""CAD Trust export and import use cases (the mapping itself is :mod:`carbonbridge.registry.cadt.records`).

``export_cadt`` writes one JSON file per CADT table (``01_methodology.json`` … ``07_unit.json``,
CADT's insert order) for every project, issuance and open serial block: a read, nothing logged.

``import_cadt`` reads such a directory, validates every record first (all refused at once, naming
each bad record) and then, in ONE transaction, creates the imported projects (with their origin
registry and id, ``registry_imported_projects``), one issuance operation per CADT issuance with
its blocks in their states, and the log entries (``registry.project_drafted`` for a new project,
``registry.issuance`` with ``details.imported``) — audited like any other registry entry.
No double counting: units overlapping a block this registry already holds for the same project
and vintage (a project re-imported from its origin, or our own project coming back) are refused,
and nothing is imported.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.canonical import canonical_json
from carbonbridge.kernel.clock import Clock, utc_now
from carbonbridge.kernel.errors import Conflict, FieldIssue, InvalidInput, NotFound
from carbonbridge.kernel.ids import new_id
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.registry import store
from carbonbridge.registry.cadt import parse as cadt_parse
from carbonbridge.registry.cadt import records as cadt
from carbonbridge.registry.cadt import store as cadt_store
from carbonbridge.registry.cadt.model import ImportedProject
from carbonbridge.registry.events import issuance_facts, project_facts
from carbonbridge.registry.model import (
    BUFFER_POOL_ACCOUNT,
    Account,
    AccountKind,
    Issuance,
    OperationKind,
    Project,
    Receipt,
    SerialBlock,
    UnitState,
)
from carbonbridge.registry.writes import (
    REGISTRY_CANCELLATION_ACCOUNT,
    PendingOperation,
    block_id,
    ensure_registry_accounts,
    new_operation,
    record,
)

#: our name in ``projectRegistryName``
REGISTRY_NAME = "carbonbridge"
_ACCOUNT_OF_STATE = {
    UnitState.HELD: AccountKind.HOLDING,
    UnitState.PLANNED: AccountKind.HOLDING,
    UnitState.PENDING_EXPORT: AccountKind.HOLDING,
    UnitState.RETIRED: AccountKind.RETIREMENT,
    UnitState.CANCELLED: AccountKind.CANCELLATION,
    UnitState.EXPORTED: AccountKind.CANCELLATION,
    UnitState.EXPIRED: AccountKind.CANCELLATION,
}


def file_name(n: int, table: str) -> str:
    return f"{n:02d}_{table}.json"


def export_cadt(
    sessions: sessionmaker[Session],
    principal: Principal,
    directory: Path,
    *,
    registry_name: str = REGISTRY_NAME,
    base_url: str = "https://registry.example.org",
    clock: Clock = utc_now,
) -> dict[str, int]:
    """Write the registry as CADT v2.0.2 records, one JSON file per table (regulator); returns
    the record count per table."""
    tables = cadt_tables(sessions, principal, registry_name=registry_name, base_url=base_url, clock=clock)
    directory.mkdir(parents=True, exist_ok=True)
    for n, table in enumerate(cadt.INSERT_ORDER, start=1):
        (directory / file_name(n, table)).write_text(
            json.dumps(tables[table], ensure_ascii=False, indent=1) + "\n", "utf-8"
        )
    return {t: len(tables[t]) for t in cadt.INSERT_ORDER}


def cadt_tables(
    sessions: sessionmaker[Session],
    principal: Principal,
    *,
    registry_name: str = REGISTRY_NAME,
    base_url: str = "https://registry.example.org",
    clock: Clock = utc_now,
) -> dict[str, list[dict[str, Any]]]:
    """The registry as CADT v2.0.2 records per table, in insert order (regulator)."""
    principal.require(Role.REGULATOR)
    with unit_of_work(sessions) as session:
        projects = list(store.projects_by_id(session, store.project_ids(session)).values())
        issuances: list[cadt.IssuanceRecord] = []
        blocks: list[SerialBlock] = []
        for project in sorted(projects, key=lambda p: p.code):
            rows = store.issuances_of(session, project.id)
            ops = store.operations_by_id(session, [r.id for r in rows])
            for row in rows:
                if not row.quantity:
                    continue  # it only converted planned units: no serials of its own to list
                report = store.get_report(session, row.report_id) if row.report_id else None
                issuances.append(
                    cadt.IssuanceRecord(
                        row.id,
                        row.project_id,
                        row.vintage,
                        row.serial_start,
                        row.serial_end,
                        ops[row.id].at.date() if row.id in ops else clock().date(),
                        row.report_id,
                        None if report is None else (report.period_start, report.period_end),
                    )
                )
            blocks += store.open_blocks(session, project_id=project.id)
        accounts = store.get_accounts(session, {b.account_id for b in blocks})
    owners = {a.id: a.organisation_id or "registry" for a in accounts.values()}
    return cadt.export_tables(
        registry_name, base_url, projects, issuances, blocks, owners, {}, clock().date()
    )


def read_tables(directory: Path) -> dict[str, list[dict[str, Any]]]:
    """The CADT tables of an export directory (``NN_<table>.json`` files; missing tables are
    empty)."""
    if not directory.is_dir():
        raise InvalidInput(
            "not a directory", [FieldIssue(("directory",), str(directory), "no such directory")]
        )
    tables: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(directory.glob("*.json")):
        table = path.stem.split("_", 1)[-1]
        try:
            records = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidInput("unreadable CADT file", [FieldIssue((path.name,), "...", str(exc))]) from exc
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise InvalidInput(
                "CADT file is not a list of records", [FieldIssue((path.name,), "...", "a JSON array")]
            )
        tables[table] = records
    return tables


def import_cadt(
    sessions: sessionmaker[Session],
    principal: Principal,
    directory: Path,
    holder_organisation_id: str,
    *,
    registry_name: str = REGISTRY_NAME,
    clock: Clock = utc_now,
) -> list[Receipt]:
    """Import CADT records (regulator): all or nothing. Units whose ``unitCurrentOwner`` is an
    organisation with registry accounts go to its accounts, the others to
    ``holder_organisation_id``'s; buffer units to the buffer pool."""
    return import_tables(
        sessions,
        principal,
        read_tables(directory),
        holder_organisation_id,
        registry_name=registry_name,
        clock=clock,
    )


def import_tables(
    sessions: sessionmaker[Session],
    principal: Principal,
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    holder_organisation_id: str,
    *,
    registry_name: str = REGISTRY_NAME,
    clock: Clock = utc_now,
) -> list[Receipt]:
    """:func:`import_cadt` of records already read (the API's JSON body)."""
    principal.require(Role.REGULATOR)
    plan = cadt_parse.parse_tables(tables)
    with unit_of_work(sessions) as session:
        if not store.lock_holding(session, holder_organisation_id):
            raise NotFound(
                f"organisation {holder_organisation_id} has no registry accounts",
                [FieldIssue(("holder_organisation_id",), holder_organisation_id, "open its accounts first")],
            )
        ensure_registry_accounts(session)
        holder = store.accounts_of(session, holder_organisation_id)
        steps: list[PendingOperation] = []
        claimed: dict[tuple[str, int], list[tuple[int, int]]] = {}
        for n, imported in enumerate(plan):
            project = _project_for(
                session, principal, imported, holder_organisation_id, registry_name, steps, clock
            )
            for issuance in imported.issuances:
                steps.append(
                    _issuance(session, principal, project, issuance, holder, claimed, ("project", n), clock)
                )
        return record(session, principal, steps)


def _project_for(
    session: Session,
    principal: Principal,
    imported: cadt_parse.ImportedProject,
    holder_organisation_id: str,
    registry_name: str,
    steps: list[PendingOperation],
    clock: Clock,
) -> Project:
    where = ("project", imported.origin_project_id)
    if imported.origin_registry == registry_name:
        own = store.project_by_code(session, imported.code)
        if own is not None:
            if own.region != imported.region:
                raise Conflict(
                    f"project {imported.code} is ours in {own.region}, not {imported.region}",
                    [FieldIssue(where, imported.region, "region differs")],
                )
            return own
    else:
        known = cadt_store.imported_project(session, imported.origin_registry, imported.origin_project_id)
        if known is not None:
            found = store.get_project(session, known.project_id)
            if found is not None:
                return found
        if store.project_by_code(session, imported.code) is not None:
            raise Conflict(
                f"project code {imported.code} is taken by another project",
                [FieldIssue(where, imported.code, "code already used here")],
            )
    parameters = {"imported_from": imported.origin_registry, "origin_project_id": imported.origin_project_id}
    project = Project(
        new_id("prj"),
        imported.code,
        holder_organisation_id,
        imported.name_en,
        imported.name_zh,
        imported.methodology,
        imported.kind,
        imported.region,
        imported.standard,
        parameters,
        imported.status,
    )
    store.add_project(session, project, canonical_json(parameters).decode())
    op = new_operation(
        principal,
        OperationKind.PROJECT_DRAFTED,
        project.id,
        {"status": imported.status.value, **parameters},
        clock,
    )
    if imported.origin_registry != registry_name:
        cadt_store.add_imported_projects(
            session,
            [
                ImportedProject(
                    project_id=project.id,
                    origin_registry=imported.origin_registry,
                    origin_project_id=imported.origin_project_id,
                    operation_id=op.id,
                )
            ],
        )
    steps.append(PendingOperation(op, [], [], project_facts(project)))
    return project


def _account(session: Session, owner: str, state: UnitState, holder: Mapping[AccountKind, Account]) -> str:
    if state is UnitState.BUFFER:
        return BUFFER_POOL_ACCOUNT
    if owner == "registry" and state is UnitState.CANCELLED:
        return REGISTRY_CANCELLATION_ACCOUNT
    accounts = store.accounts_of(session, owner) if owner and owner != "registry" else {}
    return (accounts or holder)[_ACCOUNT_OF_STATE[state]].id


def _issuance(
    session: Session,
    principal: Principal,
    project: Project,
    issuance: cadt_parse.ImportedIssuance,
    holder: Mapping[AccountKind, Account],
    claimed: dict[tuple[str, int], list[tuple[int, int]]],
    where: tuple[str | int, ...],
    clock: Clock,
) -> PendingOperation:
    span = (issuance.start, issuance.end)
    key = (project.id, issuance.vintage)
    existing = store.open_blocks(session, project_id=project.id, vintage=issuance.vintage, serials=span)
    overlapping = [b for b in existing if b.start <= issuance.end and b.end >= issuance.start]
    if overlapping or any(s <= issuance.end and e >= issuance.start for s, e in claimed.get(key, [])):
        raise Conflict(
            f"units {project.code} {issuance.vintage} {issuance.start}-{issuance.end} overlap units already "
            "in this registry (double counting); nothing was imported",
            [
                FieldIssue(
                    (*where, "issuance", issuance.origin_id), f"{issuance.start}-{issuance.end}", "overlap"
                )
            ],
        )
    claimed.setdefault(key, []).append(span)
    op = new_operation(
        principal,
        OperationKind.ISSUANCE,
        project.id,
        {"imported": True, "origin_issuance_id": issuance.origin_id},
        clock,
    )
    produced = [
        SerialBlock(
            block_id(),
            project.id,
            issuance.vintage,
            u.start,
            u.end,
            _account(session, u.owner, u.state, holder),
            u.state,
        )
        for u in issuance.units
    ]
    row = Issuance(
        id=op.id,
        report_id=None,
        project_id=project.id,
        vintage=issuance.vintage,
        serial_start=issuance.start,
        serial_end=issuance.end,
        quantity=issuance.end - issuance.start + 1,
        buffer=sum(b.count for b in produced if b.state is UnitState.BUFFER),
        converted=0,
    )
    store.add_issuance(session, row)
    cadt_store.raise_serial_counter(session, project.id, issuance.vintage, issuance.end + 1)
    return PendingOperation(op, [], produced, issuance_facts(row))


def tables_of(directory: Path) -> Sequence[str]:
    """The CADT tables present in an export directory, in insert order."""
    present = set(read_tables(directory))
    return [t for t in cadt.INSERT_ORDER if t in present]
