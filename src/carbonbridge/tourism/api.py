"""REST: the tourist carbon bill (``/api/v1/tourism/...``). Visitors create and read bills without
a token; hotels and travel agencies push a day's bookings with one; the pool's operator records the
payment and compensates. Errors are problem+json naming field, value and reason."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from carbonbridge.kernel.bounds import JsonObject, RequestBody
from carbonbridge.platform.deps import CurrentPrincipal, Sessions
from carbonbridge.platform.guard import GuardedRoute, public
from carbonbridge.tourism import service
from carbonbridge.tourism.model import Allocation, Compensation, Pool, PoolRetirement, StoredBill

router = APIRouter(prefix="/tourism", tags=["tourism"], route_class=GuardedRoute)


class AllocationOut(BaseModel):
    id: str
    retirement_id: str
    project_id: str
    serials: list[str]
    grams: int
    log_index: int
    receipt: str = ""


class BillOut(BaseModel):
    id: str
    reference: str
    region: str
    start: str
    end: str
    grams: int
    status: str
    log_index: int
    amount_fen: int | None = None
    lines: list[dict[str, Any]]
    allocations: list[AllocationOut]


class BulkBookings(RequestBody):
    bookings: list[dict[str, Any]] = Field(min_length=1, max_length=service.MAX_BULK)


class BulkOut(BaseModel):
    bills: list[BillOut]


class CompensateIn(RequestBody):
    pool_id: str = Field(min_length=1, max_length=40)
    payment_reference: str = Field(min_length=1, max_length=120)


class CompensationOut(BaseModel):
    bill: BillOut
    amount_fen: int
    receipt: str


class PoolIn(RequestBody):
    name: str = Field(min_length=1, max_length=200)
    organisation_id: str = Field(min_length=1, max_length=40)
    fen_per_tonne: int = Field(ge=1, le=10**9)


class PoolOut(BaseModel):
    id: str
    name: str
    account_id: str
    organisation_id: str
    fen_per_tonne: int
    retired_grams: int = 0
    allocated_grams: int = 0


class RetireIn(RequestBody):
    project_id: str = Field(min_length=1, max_length=40)
    vintage: int = Field(ge=1000, le=9999)
    tonnes: int = Field(ge=1, le=2**53 - 1)


class RetirementOut(BaseModel):
    id: str
    operation_id: str
    project_id: str
    vintage: int
    tonnes: int
    serials: list[str]
    allocated_grams: int
    log_index: int


def _allocation(a: Allocation) -> AllocationOut:
    return AllocationOut(
        id=a.id,
        retirement_id=a.retirement_id,
        project_id=a.project_id,
        serials=list(a.serials),
        grams=a.grams,
        log_index=a.log_index,
        receipt=a.receipt,
    )


def _bill(b: StoredBill) -> BillOut:
    return BillOut(
        id=b.id,
        reference=b.reference,
        region=b.region,
        start=b.start.isoformat(),
        end=b.end.isoformat(),
        grams=b.grams,
        status=b.status.value,
        log_index=b.log_index,
        amount_fen=b.amount_fen,
        lines=[dict(line) for line in b.lines],
        allocations=[_allocation(a) for a in b.allocations],
    )


def _pool(p: Pool, balance: tuple[int, int] = (0, 0)) -> PoolOut:
    return PoolOut(
        id=p.id,
        name=p.name,
        account_id=p.account_id,
        organisation_id=p.organisation_id,
        fen_per_tonne=p.fen_per_tonne,
        allocated_grams=balance[0],
        retired_grams=balance[1],
    )


def _retirement(r: PoolRetirement) -> RetirementOut:
    return RetirementOut(
        id=r.id,
        operation_id=r.operation_id,
        project_id=r.project_id,
        vintage=r.vintage,
        tonnes=r.tonnes,
        serials=list(r.serials),
        allocated_grams=r.allocated_grams,
        log_index=r.log_index,
    )


@router.post("/bills", response_model=BillOut, status_code=201)
@public
async def create_bill(
    sessions: Sessions, principal: CurrentPrincipal, trip: Annotated[JsonObject, Body()]
) -> BillOut:
    """Compute and store a visitor's bill from a trip (``docs/tourism.md`` gives the body's form):
    every line with its factor, source, method and equation, masses in whole grams."""
    stored = await run_in_threadpool(service.create_bill, sessions, principal, trip)
    return _bill(stored)


@router.post("/bookings", response_model=BulkOut, status_code=201)
async def create_bills(sessions: Sessions, principal: CurrentPrincipal, body: BulkBookings) -> BulkOut:
    """A day's bookings in one call (hotels, travel agencies; a token): all bills or none; a bad
    booking is named by its position (``bookings.<n>...``)."""
    service.check_bulk_caller(principal)
    stored = await run_in_threadpool(service.create_bills, sessions, principal, body.bookings)
    return BulkOut(bills=[_bill(b) for b in stored])


@router.get("/bills/{bill_id}", response_model=BillOut)
@public
def get_bill(sessions: Sessions, bill_id: str) -> BillOut:
    """A bill with its lines and, once compensated, its allocations (public to whoever has its id)."""
    return _bill(service.get_bill(sessions, bill_id))


@router.post("/bills/{bill_id}/compensate", response_model=CompensationOut)
def compensate(
    sessions: Sessions, principal: CurrentPrincipal, bill_id: str, body: CompensateIn
) -> CompensationOut:
    """Record the bill's payment and compensate it from the pool (the pool's operator): grams of
    the pool's retirements allocated to the bill, each allocation logged with its receipt."""
    done: Compensation = service.compensate(
        sessions, principal, bill_id, body.pool_id, body.payment_reference
    )
    return CompensationOut(bill=_bill(done.bill), amount_fen=done.amount_fen, receipt=done.receipt)


@router.post("/pools", response_model=PoolOut, status_code=201)
def open_pool(sessions: Sessions, principal: CurrentPrincipal, body: PoolIn) -> PoolOut:
    """Open a compensation pool on an organisation's registry holding account (regulator)."""
    return _pool(service.open_pool(sessions, principal, body.name, body.organisation_id, body.fen_per_tonne))


@router.get("/pools/{pool_id}", response_model=PoolOut)
@public
def get_pool(sessions: Sessions, pool_id: str) -> PoolOut:
    """A pool, its price, and the grams it retired and allocated (public)."""
    pool = service.get_pool(sessions, pool_id)
    return _pool(pool, service.pool_balance(sessions, pool_id))


@router.post("/pools/{pool_id}/retirements", response_model=RetirementOut, status_code=201)
def retire_into_pool(
    sessions: Sessions, principal: CurrentPrincipal, pool_id: str, body: RetireIn
) -> RetirementOut:
    """Retire whole tonnes from the pool's holding account in the registry into the pool."""
    return _retirement(
        service.retire_into_pool(sessions, principal, pool_id, body.project_id, body.vintage, body.tonnes)
    )
