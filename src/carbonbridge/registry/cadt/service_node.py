"""The CAD Trust node-form export use case (the mapping itself is :mod:`carbonbridge.registry.cadt.node`).

``node_export`` reads projects, their logged state changes, verified issuances and open serial
blocks, and returns them in the form a CAD Trust node validates (full records and API bodies, see
:class:`~carbonbridge.registry.cadt.node.NodeExport`); ``write_node_export`` writes its five
files. A read: nothing is logged. Every date is the date of a logged state change: a project's
status date is its last status step, an issuance's report date the verification, a unit record's
``updatedAt`` the operation that produced the block.

Settings (environment): ``CARBONBRIDGE_PUBLIC_BASE_URL``, the public address of this
installation, from which ``projectLink`` and ``unitRegistryLink`` are made (required: the export
refuses to invent one); ``CARBONBRIDGE_CADT_MAPPING``, a JSON file replacing parts of the
picklist mapping (:mod:`carbonbridge.registry.cadt.mapping`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import service as accounting
from carbonbridge.kernel.errors import FieldIssue, InvalidInput
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.registry import store
from carbonbridge.registry.cadt import mapping as cadt_mapping
from carbonbridge.registry.cadt import node
from carbonbridge.registry.cadt import store as cadt_store
from carbonbridge.registry.model import Issuance, Operation, OperationKind, Project, UnitState

REGISTRY_NAME = "carbonbridge"
_STATUS_STEPS = (
    OperationKind.PROJECT_DRAFTED,
    OperationKind.PROJECT_VALIDATED,
    OperationKind.PROJECT_REGISTERED,
)
FILES = ("projects.json", "units.json", "api_projects.json", "api_units.json", "api_unit_links.json")


def public_base_url(base_url: str | None = None) -> str:
    """``base_url`` or ``$CARBONBRIDGE_PUBLIC_BASE_URL``; refused when neither is an http(s) URL."""
    url = base_url if base_url is not None else os.environ.get("CARBONBRIDGE_PUBLIC_BASE_URL", "")
    if not url.startswith(("https://", "http://")):
        raise InvalidInput(
            "the public base URL of project links is not set",
            [
                FieldIssue(
                    ("CARBONBRIDGE_PUBLIC_BASE_URL",), url, "set it to this installation's public address"
                )
            ],
        )
    return url


def load_mapping(path: Path | None = None) -> cadt_mapping.CadtMapping:
    """The shipped mapping, with a region's JSON file (``path`` or ``$CARBONBRIDGE_CADT_MAPPING``) applied."""
    given = path or (Path(p) if (p := os.environ.get("CARBONBRIDGE_CADT_MAPPING")) else None)
    if given is None:
        return cadt_mapping.DEFAULT
    try:
        document = json.loads(given.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(
            "unreadable CAD Trust mapping", [FieldIssue((str(given),), "...", str(exc))]
        ) from exc
    if not isinstance(document, dict):
        raise InvalidInput("bad CAD Trust mapping", [FieldIssue((str(given),), "...", "a JSON object")])
    return cadt_mapping.from_json(document)


def _project_facts(project: Project, ops: Sequence[Operation], developer: str) -> node.ProjectFacts:
    steps = [o for o in ops if o.kind in _STATUS_STEPS]
    validated = next((o for o in reversed(steps) if o.kind is OperationKind.PROJECT_VALIDATED), None)
    return node.ProjectFacts(
        project,
        developer,
        steps[-1].at.date(),
        None if validated is None else (validated.at.date(), (validated.actor,)),
    )


def _issuance_facts(
    session: Session, rows: Sequence[Issuance], ops: Sequence[Operation]
) -> list[node.IssuanceFacts]:
    """Verified issuances; one that only converted planned units covers the planned range."""
    verified = {str(o.details.get("report_id")): o for o in ops if o.kind is OperationKind.REPORT_VERIFIED}
    facts: list[node.IssuanceFacts] = []
    for row in rows:
        if row.report_id is None:
            continue  # ex-ante: its units are estimations until converted
        report = store.get_report(session, row.report_id)
        step = verified.get(row.report_id)
        if report is None or step is None:
            continue
        spans = (
            [(row.serial_start, row.serial_end)]
            if row.quantity
            else [
                (r.serial_start, r.serial_end)
                for r in rows
                if r.report_id is None and r.vintage == row.vintage and row.converted
            ]
        )
        for start, end in spans:
            facts.append(
                node.IssuanceFacts(
                    row.id,
                    row.project_id,
                    row.vintage,
                    start,
                    end,
                    (report.period_start, report.period_end),
                    report.opinion,
                    (step.actor,),
                    step.at.date(),
                )
            )
    return facts


def _reason(op: Operation | None) -> str:
    if op is None:
        return ""
    if op.kind is OperationKind.RETIREMENT:
        purpose = str(op.details.get("purpose", "")).strip() or "retired"
        beneficiary = str(op.details.get("beneficiary", "")).strip()
        return f"{purpose}; beneficiary: {beneficiary}" if beneficiary else purpose
    if op.kind is OperationKind.CANCELLATION:
        return str(op.details.get("reason", "")).strip() or "cancelled"
    return ""


def node_export(
    sessions: sessionmaker[Session],
    principal: Principal,
    *,
    base_url: str | None = None,
    registry_name: str = REGISTRY_NAME,
    mapping: cadt_mapping.CadtMapping | None = None,
) -> node.NodeExport:
    """The registry in CAD Trust node form (regulator)."""
    principal.require(Role.REGULATOR)
    url = public_base_url(base_url)
    chosen = mapping or load_mapping()
    organisations = {o.id: o for o in accounting.list_organisations(sessions, principal)}
    with unit_of_work(sessions) as session:
        projects = store.projects_by_id(session, store.project_ids(session))
        project_facts: list[node.ProjectFacts] = []
        issuances: list[node.IssuanceFacts] = []
        units: list[node.UnitFacts] = []
        for project in sorted(projects.values(), key=lambda p: p.code):
            ops = store.operations_of_project(session, project.id)
            developer = organisations.get(project.organisation_id)
            project_facts.append(
                _project_facts(project, ops, developer.name_en if developer else project.organisation_id)
            )
            issuances += _issuance_facts(session, store.issuances_of(session, project.id), ops)
            blocks = store.open_blocks(session, project_id=project.id)
            opened = cadt_store.opened_by(session, [b.id for b in blocks])
            by_op = store.operations_by_id(session, list(set(opened.values())))
            accounts = store.get_accounts(session, {b.account_id for b in blocks})
            for b in blocks:
                op = by_op.get(opened.get(b.id, ""))
                org = organisations.get(accounts[b.account_id].organisation_id or "")
                units.append(
                    node.UnitFacts(
                        b,
                        org.name_en if org else registry_name,
                        org.region if org else project.region,
                        op.at.date() if op else ops[-1].at.date(),
                        _reason(op) if b.state in (UnitState.RETIRED, UnitState.CANCELLED) else "",
                    )
                )
    return node.node_export(
        project_facts, issuances, units, registry_name=registry_name, base_url=url, mapping=chosen
    )


def write_node_export(export: node.NodeExport, directory: Path) -> Mapping[str, int]:
    """Write :data:`FILES` (full records, API bodies, unit links) into ``directory``; returns the
    record count per file."""
    directory.mkdir(parents=True, exist_ok=True)
    contents = (export.projects, export.units, export.api_projects, export.api_units, export.links)
    for name, records in zip(FILES, contents, strict=True):
        (directory / name).write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", "utf-8")
    return {name: len(records) for name, records in zip(FILES, contents, strict=True)}
