"""REST: ETS allowances, compliance surrender and status.

Mounted under ``/api/v1`` like every context's ``api.router``. Thin: parse, call a service,
render; errors are rendered as problem+json by the platform.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, Strict

from carbonbridge.kernel.bounds import RequestBody, TonnesOrZero, Year
from carbonbridge.platform.deps import CurrentPrincipal, Sessions
from carbonbridge.platform.guard import GuardedRoute
from carbonbridge.registry.compliance import service as compliance
from carbonbridge.registry.compliance.allowances import ComplianceStatus
from carbonbridge.registry.model import Units
from carbonbridge.registry.schemas import Serial, Tonnes, Vintage

router = APIRouter(tags=["registry-compliance"], route_class=GuardedRoute)


class AllocationIn(RequestBody):
    quantity: Tonnes
    basis: str = Field(min_length=1, max_length=500)


class OffsetIn(RequestBody):
    account_id: str
    project_id: str
    vintage: Vintage
    quantity: Tonnes | None = None
    start: Serial | None = None
    end: Serial | None = None


class SurrenderIn(RequestBody):
    allowances_t: Annotated[TonnesOrZero, Strict()]
    offsets: list[OffsetIn] = Field(default_factory=list, max_length=100)


class ComplianceReceiptOut(BaseModel):
    id: str
    log_index: int
    receipt: str
    offset_receipts: list[str]


class StatusOut(BaseModel):
    organisation_id: str
    period: int
    state: str
    allocated_t: int
    held_t: int
    obligation_t: int | None
    surrendered_allowances_t: int
    surrendered_offsets_t: int
    offset_cap_t: int | None
    shortfall_t: int | None


def _receipt(r: compliance.ComplianceReceipt) -> ComplianceReceiptOut:
    return ComplianceReceiptOut(
        id=r.id, log_index=r.log_index, receipt=r.receipt, offset_receipts=list(r.offset_receipts)
    )


def status_out(s: ComplianceStatus) -> StatusOut:
    return StatusOut(
        organisation_id=s.organisation_id,
        period=s.period,
        state=s.state.value,
        allocated_t=s.allocated_t,
        held_t=s.held_t,
        obligation_t=s.obligation_t,
        surrendered_allowances_t=s.surrendered_allowances_t,
        surrendered_offsets_t=s.surrendered_offsets_t,
        offset_cap_t=s.offset_cap_t,
        shortfall_t=s.shortfall_t,
    )


@router.post(
    "/allowances/{organisation_id}/{period}/allocations",
    response_model=ComplianceReceiptOut,
    status_code=201,
)
def allocate(
    sessions: Sessions, principal: CurrentPrincipal, organisation_id: str, period: Year, body: AllocationIn
) -> ComplianceReceiptOut:
    """Allocate allowances of a compliance period to a covered entity (regulator) / 分配配额."""
    return _receipt(
        compliance.allocate(sessions, principal, organisation_id, period, body.quantity, body.basis)
    )


@router.post(
    "/allowances/{organisation_id}/{period}/surrenders",
    response_model=ComplianceReceiptOut,
    status_code=201,
)
def surrender(
    sessions: Sessions, principal: CurrentPrincipal, organisation_id: str, period: Year, body: SurrenderIn
) -> ComplianceReceiptOut:
    """Surrender allowances and offset credits against verified emissions / 清缴配额与抵销."""
    offsets = [Units(o.account_id, o.project_id, o.vintage, o.quantity, o.start, o.end) for o in body.offsets]
    return _receipt(
        compliance.surrender(sessions, principal, organisation_id, period, body.allowances_t, offsets)
    )


@router.get("/compliance/{organisation_id}/{period}", response_model=StatusOut)
def status(sessions: Sessions, principal: CurrentPrincipal, organisation_id: str, period: Year) -> StatusOut:
    """An entity's compliance status for a period / 履约状态."""
    return status_out(compliance.status(sessions, principal, organisation_id, period))


@router.get("/compliance", response_model=list[StatusOut])
def overview(
    sessions: Sessions,
    principal: CurrentPrincipal,
    period: Annotated[int | None, Query(ge=1000, le=9999)] = None,
) -> list[StatusOut]:
    """Every covered entity's status (regulator, verifiers) / 全部重点排放单位履约状态."""
    return [status_out(s) for s in compliance.overview(sessions, principal, period)]
