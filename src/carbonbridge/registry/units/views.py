"""Read model of the regulator's pending-exports page: the export requests whose units still wait as
``pending_export`` (CAD Trust Data Model v2 ``unitStatus`` "Pending Export"), with their serial
ranges, destination and reason. Regulators (and admins) only; nothing here writes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.registry import store
from carbonbridge.registry.model import OperationKind, Project, SerialBlock, UnitState
from carbonbridge.registry.writes import serial_texts


@dataclass(frozen=True)
class PendingExport:
    """An export request still awaiting the regulator: its operation (id, time, requester, log
    entry, destination and reason in ``details``), project, tonnes still pending and their serials."""

    operation_id: str
    at: datetime
    actor: str
    log_index: int
    details: Mapping[str, Any]
    project: Project | None
    quantity: int
    serials: list[str]


def pending_exports(sessions: sessionmaker[Session], principal: Principal) -> list[PendingExport]:
    """Export requests with open ``pending_export`` blocks, oldest first (log order). Regulator."""
    principal.require(Role.REGULATOR)
    with unit_of_work(sessions) as session:
        by_op: dict[str, list[SerialBlock]] = {}
        for block, opened_by in store.open_blocks_in_state(session, UnitState.PENDING_EXPORT):
            by_op.setdefault(opened_by, []).append(block)
        operations = store.operations_by_id(session, list(by_op))
        projects = store.projects_by_id(session, {b.project_id for bs in by_op.values() for b in bs})
    found: list[PendingExport] = []
    for op_id, blocks in by_op.items():
        op = operations.get(op_id)
        if op is None or op.kind is not OperationKind.EXPORT_REQUESTED:
            continue
        project = projects.get(blocks[0].project_id)
        found.append(
            PendingExport(
                op.id,
                op.at,
                op.actor,
                op.log_index,
                op.details,
                project,
                sum(x.count for x in blocks),
                [] if project is None else serial_texts(project, blocks),
            )
        )
    return sorted(found, key=lambda p: (p.log_index, p.operation_id))
