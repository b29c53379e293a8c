"""What the registry writes to the transparency log, and how the ledger's audit recomputes every
entry from the registry's stored rows (``LEDGER_AUDITORS``).

Each operation is logged as::

    {"operation_id", "kind", "project_id", "actor", "details",
     "consumed": [block ids], "produced": [[id, project, vintage, account, state, start, end], ...],
     "facts": {...}}

``facts`` are the stored rows the step fixed (a project's registered design, a report's calculation
digest, an issuance's range; for a verified issuance that converted planned units in place, also
``converted`` and ``converted_serials``, recomputed from the issuance row and the held blocks the
operation produced outside its new range). Issuances, retirements, reversals and project/report
steps are public (plain canonical JSON); transfers and cancellations are salted commitments. A
single operation is one entry of kind ``registry.<kind>``; a batch is logged as ``registry.batch``
entries of up to :data:`BATCH_CHUNK` operations each (``{"operations": [...]}``).

Since blocks are never edited (``store.py``), changing any stored block, operation, project design,
report calculation or issuance makes the audit name the entry that recorded it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from carbonbridge.kernel.canonical import canonical_json
from carbonbridge.registry import blocks, store
from carbonbridge.registry.model import (
    Issuance,
    MonitoringReport,
    Operation,
    OperationKind,
    Project,
    SerialBlock,
    UnitState,
)

EVENT_PREFIX = "registry."
BATCH_EVENT = "registry.batch"
#: operations per batch entry: ~300 bytes each keeps a public entry well under the 64 KiB limit
BATCH_CHUNK = 100


def _sha256(value: object) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


def project_facts(project: Project) -> dict[str, object]:
    """A project's design as drafted: what validation and registration refer to."""
    return {
        "code": project.code,
        "organisation_id": project.organisation_id,
        "name_en": project.name_en,
        "name_zh": project.name_zh,
        "methodology": project.methodology,
        "kind": project.kind,
        "region": project.region,
        "standard": project.standard,
        "parameters_sha256": _sha256(project.parameters),
    }


def report_facts(report: MonitoringReport) -> dict[str, object]:
    """A monitoring report as submitted: its period and the digest of its calculation."""
    calc = report.calculation
    return {
        "report_id": report.id,
        "period_start": report.period_start.isoformat(),
        "period_end": report.period_end.isoformat(),
        "vintage": report.vintage,
        "methodology": str(calc.get("methodology", "")),
        "net_t": str(calc.get("net_t", "")),
        "flags": [[str(f.get("check")), str(f.get("severity"))] for f in calc.get("flags", [])],
        "calculation_sha256": _sha256(calc),
    }


def verification_facts(report: MonitoringReport) -> dict[str, object]:
    return {
        "report_id": report.id,
        "opinion_sha256": hashlib.sha256(report.opinion.encode()).hexdigest(),
        "override_reason": report.override_reason,
    }


def issuance_facts(row: Issuance, converted: Sequence[SerialBlock] = ()) -> dict[str, object]:
    """An issuance's range and counts; for one that converted planned units in place (``converted``:
    the held blocks the conversion produced), also how many and which serial ranges, adjacent
    blocks merged. Issuances that converted nothing keep the earlier form, so entries logged before
    conversion existed still audit."""
    facts: dict[str, object] = {
        "report_id": row.report_id,
        "vintage": row.vintage,
        "serial_start": row.serial_start,
        "serial_end": row.serial_end,
        "quantity": row.quantity,
        "buffer": row.buffer,
    }
    if row.converted:
        facts["converted"] = row.converted
        facts["converted_serials"] = [list(r) for r in blocks.serial_ranges(converted)]
    return facts


def converted_blocks(row: Issuance, produced: Sequence[SerialBlock]) -> list[SerialBlock]:
    """The blocks an issuance converted from planned to held, among the blocks it produced: the
    held ones outside its newly serialised range (the planned remainders it split off stay
    planned)."""
    return [
        b
        for b in produced
        if b.state is UnitState.HELD and (b.end < row.serial_start or b.start > row.serial_end)
    ]


def operation_event(
    operation: Operation,
    consumed: Sequence[str],
    produced: Sequence[SerialBlock],
    facts: Mapping[str, object],
) -> dict[str, Any]:
    """The logged form of one operation (module docstring)."""
    return {
        "operation_id": operation.id,
        "kind": operation.kind.value,
        "project_id": operation.project_id or "",
        "actor": operation.actor,
        "details": dict(operation.details),
        "consumed": sorted(consumed),
        "produced": [
            [b.id, b.project_id, b.vintage, b.account_id, b.state.value, b.start, b.end]
            for b in sorted(produced, key=lambda b: (b.project_id, b.vintage, b.start))
        ],
        "facts": dict(facts),
    }


def _facts(
    session: Session, operation: Operation, produced: Sequence[SerialBlock]
) -> dict[str, object] | None:
    kind = operation.kind
    if kind is OperationKind.PROJECT_DRAFTED:
        project = store.get_project(session, operation.project_id or "")
        return None if project is None else project_facts(project)
    if kind in (OperationKind.REPORT_SUBMITTED, OperationKind.REPORT_VERIFIED):
        report = store.get_report(session, str(operation.details.get("report_id")))
        if report is None:
            return None
        return report_facts(report) if kind is OperationKind.REPORT_SUBMITTED else verification_facts(report)
    if kind is OperationKind.ISSUANCE:
        row = store.issuance_for(session, operation.id)
        return None if row is None else issuance_facts(row, converted_blocks(row, produced))
    return {}


def operation_events(session: Session, operation_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each operation's event recomputed from the stored rows (missing ones are left out)."""
    operations = store.operations_by_id(session, operation_ids)
    produced, consumed = store.blocks_of_operations(session, list(operations))
    events = {}
    for op_id, operation in operations.items():
        facts = _facts(session, operation, produced.get(op_id, []))
        if facts is not None:
            events[op_id] = operation_event(
                operation, consumed.get(op_id, []), produced.get(op_id, []), facts
            )
    return events


def _single(session: Session, event: Mapping[str, object]) -> Mapping[str, object] | None:
    op_id = str(event.get("operation_id"))
    return operation_events(session, [op_id]).get(op_id)


def _batch(session: Session, event: Mapping[str, object]) -> Mapping[str, object] | None:
    logged = event.get("operations")
    if not isinstance(logged, list):
        return None
    ids = [str(e.get("operation_id")) if isinstance(e, dict) else "" for e in logged]
    found = operation_events(session, ids)
    if len(found) != len(set(ids)):
        return None
    return {"operations": [found[i] for i in ids]}


#: how the ledger's audit recomputes each registry entry from the registry's rows
LEDGER_AUDITORS: Mapping[str, Callable[[Session, Mapping[str, object]], Mapping[str, object] | None]] = {
    **{EVENT_PREFIX + kind.value: _single for kind in OperationKind},
    BATCH_EVENT: _batch,
}
