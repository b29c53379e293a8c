"""REST: CAD Trust export/import and mutual recognition.

Mounted under ``/api/v1`` by the registry's ``api.router``. Thin: parse, call a service, render;
errors are rendered as problem+json by the platform.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from carbonbridge.kernel.bounds import RequestBody
from carbonbridge.platform.deps import CurrentPrincipal, Sessions
from carbonbridge.platform.guard import GuardedRoute, public
from carbonbridge.registry.cadt import recognition
from carbonbridge.registry.cadt import service as exchange

router = APIRouter(tags=["registry-compliance"], route_class=GuardedRoute)


class ImportIn(RequestBody):
    holder_organisation_id: str
    tables: dict[str, list[dict[str, Any]]]


class ImportOut(BaseModel):
    operations: list[str]
    log_indexes: list[int]


class AssessmentOut(BaseModel):
    criterion: str
    status: str
    condition_en: str
    condition_zh: str
    citation: str


@router.get("/cadt")
def cadt_export(sessions: Sessions, principal: CurrentPrincipal) -> dict[str, list[dict[str, Any]]]:
    """The registry as CAD Trust v2.0.2 records per table, in insert order (regulator)."""
    return exchange.cadt_tables(sessions, principal)


@router.post("/cadt", response_model=ImportOut, status_code=201)
def cadt_import(sessions: Sessions, principal: CurrentPrincipal, body: ImportIn) -> ImportOut:
    """Import CAD Trust records, all or nothing (regulator)."""
    receipts = exchange.import_tables(sessions, principal, body.tables, body.holder_organisation_id)
    return ImportOut(
        operations=[r.operation.id for r in receipts], log_indexes=[r.operation.log_index for r in receipts]
    )


@router.get("/recognition", response_model=list[AssessmentOut])
@public
def recognise(
    standard: Annotated[str, Query(min_length=1, max_length=40)],
    methodology: Annotated[str, Query(min_length=1, max_length=80)],
    unit_type: Annotated[str, Query(pattern="^(removal|reduction)$")],
) -> list[AssessmentOut]:
    """Which other standards' criteria a credit type meets (public; cited table) / 互认情况."""
    found = recognition.recognise(
        recognition.CreditType(standard, methodology, unit_type), recognition.load_table()
    )
    return [
        AssessmentOut(
            criterion=a.criterion,
            status=a.status.value,
            condition_en=a.condition_en,
            condition_zh=a.condition_zh,
            citation=a.citation,
        )
        for a in found.values()
    ]
