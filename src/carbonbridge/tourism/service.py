"""Tourism use cases: compute and store a bill (one, or a day's bookings at once), read it, open
a compensation pool, retire whole tonnes into it through the registry, and compensate a bill by
allocating grams of those retirements (``docs/tourism.md``).

Each state change is one transaction that writes the tourism rows and appends its log entries
together; a failed call changes nothing and raises a typed error naming field, value and reason.
The registry is reached only through :mod:`carbonbridge.registry.service` and
:mod:`carbonbridge.registry.model`; the factor library through :mod:`carbonbridge.factors.service`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from carbonbridge.factors import service as factor_service
from carbonbridge.factors.model import YearPolicy
from carbonbridge.kernel.canonical import canonical_json
from carbonbridge.kernel.clock import Clock, utc_now
from carbonbridge.kernel.errors import FieldIssue, Forbidden, InvalidInput, NotFound
from carbonbridge.kernel.ids import new_id
from carbonbridge.tourism import bill as bills
from carbonbridge.tourism.certificate import Certificate, ReceiptCheck, certificate_of, check_receipt
from carbonbridge.tourism.compensation import allocate, amount_fen, available
from carbonbridge.tourism.dashboard import DestinationSummary, summarise
from carbonbridge.tourism.dataset import shipped
from carbonbridge.tourism.errors import AlreadyCompensated, PoolInsufficient
from carbonbridge.tourism.model import (
    Allocation,
    Bill,
    BillStatus,
    Compensation,
    Pool,
    PoolRetirement,
    StoredBill,
    Trip,
)
from carbonbridge.tourism.parse import parse_trip

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from carbonbridge.platform.identity import Principal

BILL_EVENT = "tourism.bill"
POOL_EVENT = "tourism.pool_opened"
RETIREMENT_EVENT = "tourism.pool_retirement"
ALLOCATION_EVENT = "tourism.allocation"
COMPENSATION_EVENT = "tourism.compensation"
#: bookings one bulk call accepts
MAX_BULK = 5000


def bill_context() -> bills.BillContext:
    """The factor library a bill uses: the platform's shipped datasets under the year policy
    ``nearest-earlier`` (a trip after the latest published set uses that set, and each line's
    trace says so), and the tourism dataset."""
    return bills.BillContext(factor_service.shipped_library(YearPolicy.NEAREST_EARLIER), shipped())


def compute(trip: Trip) -> Bill:
    """A bill, not stored (the CLI's offline ``tourism bill FILE``)."""
    return bills.compute_bill(bill_context(), trip)


def _stored(bill: Bill, at: datetime, log_index: int = -1) -> StoredBill:
    t = bill.trip
    return StoredBill(
        new_id("bill"),
        t.reference,
        t.region,
        t.start,
        t.end,
        bill.grams,
        tuple(bills.line_dict(line) for line in bill.lines),
        BillStatus.OPEN,
        at,
        log_index,
    )


def _bill_event(bill: StoredBill) -> dict[str, object]:
    digest = hashlib.sha256(canonical_json(list(bill.lines))).hexdigest()
    return {"bill": bill.id, "region": bill.region, "grams": bill.grams, "lines_sha256": digest}


def create_bills(
    sessions: sessionmaker[Session], principal: Principal, data: Sequence[object], *, clock: Clock = utc_now
) -> list[StoredBill]:
    """Compute and store one bill per booking, all or none: every booking is parsed and computed
    before anything is written; the first bad one names its position (``bookings.<n>``)."""
    from carbonbridge.ledger import service as ledger
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.tourism import store

    del principal  # who may create bills is decided at the face (visitors: public; bulk: a token)
    if not data or len(data) > MAX_BULK:
        raise InvalidInput(
            "no bookings to bill", [FieldIssue(("bookings",), len(data), f"1 to {MAX_BULK} bookings")]
        )
    many = len(data) > 1
    ctx = bill_context()
    computed: list[Bill] = []
    for n, booking in enumerate(data):
        where: tuple[str | int, ...] = ("bookings", n) if many else ()
        trip = parse_trip(booking, where)
        try:
            computed.append(bills.compute_bill(ctx, trip))
        except (InvalidInput, NotFound) as exc:
            if not many:
                raise
            issues = [replace(i, location=(*where, *i.location)) for i in exc.issues]
            raise type(exc)(f"booking {n}: {exc.detail}", issues) from None
    at = clock()
    stored = [_stored(b, at) for b in computed]
    with unit_of_work(sessions) as session:
        entries = ledger.append_events(session, [ledger.LogEvent(BILL_EVENT, _bill_event(b)) for b in stored])
        stored = [replace(b, log_index=e.index) for b, e in zip(stored, entries, strict=True)]
        for b, c in zip(stored, computed, strict=True):
            store.add_bill(session, b, c.trip.visitor)
        session.flush()
    return stored


def create_bill(
    sessions: sessionmaker[Session], principal: Principal, data: object, *, clock: Clock = utc_now
) -> StoredBill:
    return create_bills(sessions, principal, [data], clock=clock)[0]


def get_bill(sessions: sessionmaker[Session], bill_id: str) -> StoredBill:
    """A bill by id (public: whoever holds the id, e.g. from the QR code, may read it)."""
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.tourism import store

    with unit_of_work(sessions) as session:
        found = store.get_bill(session, bill_id)
    if found is None:
        raise NotFound(f"bill {bill_id} does not exist", [FieldIssue(("bill_id",), bill_id, "unknown bill")])
    return found


# --- the compensation pool ----------------------------------------------------------------------


def _require_operator(principal: Principal, pool: Pool) -> None:
    from carbonbridge.platform.identity import Role

    principal.require(Role.REGULATOR, Role.REPORTER, Role.DEVELOPER)
    if principal.role is not Role.REGULATOR:
        principal.require_organisation(pool.organisation_id)


def open_pool(
    sessions: sessionmaker[Session], principal: Principal, name: str, organisation_id: str, fen_per_tonne: int
) -> Pool:
    """A compensation pool on ``organisation_id``'s registry holding account (regulator), with
    its published price in integer fen per tonne."""
    from carbonbridge.ledger import service as ledger
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.platform.identity import Role
    from carbonbridge.registry import service as registry
    from carbonbridge.registry.model import AccountKind
    from carbonbridge.tourism import store

    principal.require(Role.REGULATOR)
    issues = []
    if (
        not isinstance(fen_per_tonne, int)
        or isinstance(fen_per_tonne, bool)
        or not 0 < fen_per_tonne <= 10**9
    ):
        issues.append(FieldIssue(("fen_per_tonne",), fen_per_tonne, "a whole number of fen, 1 to 10^9"))
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        issues.append(FieldIssue(("name",), name, "1 to 200 characters"))
    if issues:
        raise InvalidInput("cannot open the pool", issues)
    account = registry.accounts(sessions, principal, organisation_id).get(AccountKind.HOLDING)
    if account is None:
        raise NotFound(
            f"organisation {organisation_id} has no registry holding account",
            [FieldIssue(("organisation_id",), organisation_id, "open its registry accounts first")],
        )
    pool = Pool(new_id("pool"), name.strip(), account.id, organisation_id, fen_per_tonne)
    with unit_of_work(sessions) as session:
        store.add_pool(session, pool)
        ledger.append_event(
            session,
            POOL_EVENT,
            {"pool": pool.id, "account": pool.account_id, "fen_per_tonne": pool.fen_per_tonne},
        )
    return pool


def get_pool(sessions: sessionmaker[Session], pool_id: str) -> Pool:
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.tourism import store

    with unit_of_work(sessions) as session:
        pool = store.get_pool(session, pool_id)
    if pool is None:
        raise NotFound(f"pool {pool_id} does not exist", [FieldIssue(("pool_id",), pool_id, "unknown pool")])
    return pool


def pool_beneficiary(pool: Pool) -> str:
    """The beneficiary every retirement into ``pool`` names in the registry's public record."""
    return f"tourism compensation pool {pool.id}"


def retire_into_pool(
    sessions: sessionmaker[Session],
    principal: Principal,
    pool_id: str,
    project_id: str,
    vintage: int,
    tonnes: int,
    *,
    clock: Clock = utc_now,
) -> PoolRetirement:
    """Retire whole tonnes from the pool's holding account in the registry (its own transaction
    and receipt, :func:`carbonbridge.registry.service.retire`), then record them in the pool with
    a log entry. The registry's record names the pool as beneficiary, so a retirement whose
    recording was interrupted is found again by :func:`record_retirement`."""
    from carbonbridge.registry.model import Retirement, Units
    from carbonbridge.registry.units import service as movements

    pool = get_pool(sessions, pool_id)
    _require_operator(principal, pool)
    units = Units(pool.account_id, project_id, vintage, quantity=tonnes)
    receipt = movements.retire(
        sessions,
        principal,
        Retirement(units, pool_beneficiary(pool), "tourist carbon-neutral bills / 游客碳中和账单"),
        clock=clock,
    )
    op = receipt.operation
    serials = tuple(str(s) for s in op.details.get("serials", ()))
    return record_retirement(
        sessions, pool, op.id, project_id, vintage, int(op.details["quantity"]), serials, clock
    )


def record_retirement(
    sessions: sessionmaker[Session],
    pool: Pool,
    operation_id: str,
    project_id: str,
    vintage: int,
    tonnes: int,
    serials: tuple[str, ...],
    clock: Clock = utc_now,
) -> PoolRetirement:
    """Record a registry retirement in the pool (idempotent by operation id)."""
    from carbonbridge.ledger import service as ledger
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.tourism import store

    with unit_of_work(sessions) as session:
        store.lock_pool(session, pool.id)
        existing = store.retirement_by_operation(session, operation_id)
        if existing is not None:
            return existing
        event = {"pool": pool.id, "operation": operation_id, "project": project_id, "tonnes": tonnes}
        entry = ledger.append_event(session, RETIREMENT_EVENT, event)
        retirement = PoolRetirement(
            new_id("pret"), pool.id, operation_id, project_id, vintage, tonnes, serials, 0, entry.index
        )
        store.add_retirement(session, retirement, clock())
        return retirement


def pool_retirements(sessions: sessionmaker[Session], pool_id: str) -> list[PoolRetirement]:
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.tourism import store

    with unit_of_work(sessions) as session:
        return store.retirements(session, pool_id)


def pool_balance(sessions: sessionmaker[Session], pool_id: str) -> tuple[int, int]:
    """(grams allocated to bills, grams retired) of a pool, summed by the database."""
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.tourism import store

    with unit_of_work(sessions) as session:
        return store.allocated_total(session, pool_id)


def compensate(
    sessions: sessionmaker[Session],
    principal: Principal,
    bill_id: str,
    pool_id: str,
    payment_reference: str,
    *,
    clock: Clock = utc_now,
) -> Compensation:
    """Compensate a bill from a pool once its payment is recorded (the pool's operator records
    it, ``payment_reference``): allocate the bill's grams from the pool's retirements, oldest
    first (:func:`carbonbridge.tourism.compensation.allocate`), each allocation a log entry, and the
    compensation (amount = ceil(grams × fen per tonne ÷ 10^6) fen) a last one. A bill already
    compensated, or a pool whose unallocated grams are fewer than the bill's, changes nothing."""
    from carbonbridge.ledger import service as ledger
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.tourism import store

    if (
        not isinstance(payment_reference, str)
        or not payment_reference.strip()
        or len(payment_reference) > 120
    ):
        raise InvalidInput(
            "cannot compensate the bill",
            [
                FieldIssue(
                    ("payment_reference",), payment_reference, "the payment's reference, 1 to 120 characters"
                )
            ],
        )
    with unit_of_work(sessions) as session:
        if not store.lock_pool(session, pool_id):
            raise NotFound(
                f"pool {pool_id} does not exist", [FieldIssue(("pool_id",), pool_id, "unknown pool")]
            )
        pool = store.get_pool(session, pool_id)
        if pool is None:  # pragma: no cover - locked above
            raise NotFound(f"pool {pool_id} does not exist")
        _require_operator(principal, pool)
        if not store.lock_bill(session, bill_id):
            raise NotFound(
                f"bill {bill_id} does not exist", [FieldIssue(("bill_id",), bill_id, "unknown bill")]
            )
        found = store.get_bill(session, bill_id)
        if found is None:  # pragma: no cover - locked above
            raise NotFound(f"bill {bill_id} does not exist")
        if found.status is BillStatus.COMPENSATED:
            raise AlreadyCompensated(
                f"bill {bill_id} was compensated already",
                [FieldIssue(("bill_id",), bill_id, "a bill is compensated once")],
            )
        open_retirements = store.retirements(session, pool_id, open_only=True)
        plan = allocate(found.grams, open_retirements)
        if plan is None:
            have = available(open_retirements)
            raise PoolInsufficient(
                f"the pool has {have} g unallocated; the bill needs {found.grams} g",
                [FieldIssue(("pool_id",), pool_id, f"retire at least {found.grams - have} g more first")],
            )
        fen = amount_fen(found.grams, pool.fen_per_tonne)
        pending = [
            Allocation(new_id("alloc"), bill_id, r.id, grams, r.project_id, r.serials) for r, grams in plan
        ]
        events = [
            ledger.LogEvent(
                ALLOCATION_EVENT,
                {
                    "allocation": a.id,
                    "bill": bill_id,
                    "pool": pool_id,
                    "retirement": r.operation_id,
                    "project": r.project_id,
                    "serials": list(r.serials),
                    "grams": a.grams,
                },
            )
            for a, (r, _) in zip(pending, plan, strict=True)
        ]
        events.append(
            ledger.LogEvent(
                COMPENSATION_EVENT,
                {
                    "bill": bill_id,
                    "pool": pool_id,
                    "grams": found.grams,
                    "fen_per_tonne": pool.fen_per_tonne,
                    "amount_fen": fen,
                    "payment_reference_sha256": hashlib.sha256(
                        payment_reference.strip().encode()
                    ).hexdigest(),
                },
            )
        )
        entries = ledger.append_events(session, events, clock=clock)
        logged = zip(pending, entries[:-1], strict=True)  # the last entry is the compensation's
        done = tuple(replace(a, log_index=e.index, receipt=e.receipt()) for a, e in logged)
        at = clock()
        store.add_allocations(session, done, at)
        store.set_compensated(session, bill_id, pool_id, fen, payment_reference.strip(), at)
        session.flush()
        result = store.get_bill(session, bill_id)
    if result is None:  # pragma: no cover - written above
        raise NotFound(f"bill {bill_id} does not exist")
    return Compensation(replace(result, allocations=done), done, fen, entries[-1].receipt())


def check_bulk_caller(principal: Principal) -> None:
    """Bulk bookings come from hotels and travel agencies with a token."""
    from carbonbridge.platform.identity import Role

    if principal.role is Role.PUBLIC:
        raise Forbidden("pushing bookings needs a token (Authorization: Bearer ...)")


# --- certificates -------------------------------------------------------------------------------


def certificate(sessions: sessionmaker[Session], bill_id: str) -> Certificate:
    """The certificate of a compensated bill (public, like the bill: its id is the capability)."""
    return certificate_of(get_bill(sessions, bill_id))


def check_certificate(sessions: sessionmaker[Session], cert: Certificate) -> tuple[ReceiptCheck, ...]:
    """Each allocation against the log as it is now: the log's receipt for the allocation's entry
    (against the latest checkpoint), and whether the entry it carries states the allocation. The
    receipt's signature and inclusion proof are checked by the ledger (``carbonbridge verify``
    offline, the log's entry page online), which holds the only implementation of that check."""
    from carbonbridge.ledger import service as ledger

    return tuple(check_receipt(a, ledger.receipt(sessions, a.log_index)) for a in cert.allocations)


def log_verifier_key(sessions: sessionmaker[Session]) -> str:
    """The transparency log's verifier key, for checking receipts offline."""
    from carbonbridge.ledger import service as ledger

    return ledger.verifier_key(sessions)


# --- the destination's dashboard ----------------------------------------------------------------


def destination_dashboard(
    sessions: sessionmaker[Session], principal: Principal, region: str
) -> DestinationSummary:
    """The destination office's figures for ``region`` (the carbon office: regulator role)."""
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.platform.identity import Role
    from carbonbridge.tourism import store

    principal.require(Role.REGULATOR)
    if not isinstance(region, str) or not 2 <= len(region) <= 10:
        raise InvalidInput(
            "cannot show the dashboard", [FieldIssue(("region",), region, "an ISO 3166-2 code, e.g. CN-HI")]
        )
    with unit_of_work(sessions) as session:
        found = store.bills_of_region(session, region)
        retired = store.all_retirements(session)
    return summarise(region, found, retired)


# --- the log's audit ----------------------------------------------------------------------------


def _bill_audit(session: Session, event: Mapping[str, object]) -> Mapping[str, object] | None:
    from carbonbridge.tourism import store

    found = store.get_bill(session, str(event.get("bill", "")))
    return None if found is None else _bill_event(found)


def _compensation_audit(session: Session, event: Mapping[str, object]) -> Mapping[str, object] | None:
    from carbonbridge.tourism import store

    found = store.get_bill(session, str(event.get("bill", "")))
    pool = store.get_pool(session, str(event.get("pool", "")))
    if found is None or pool is None or found.amount_fen is None:
        return None
    return {
        "bill": found.id,
        "pool": pool.id,
        "grams": found.grams,
        "fen_per_tonne": pool.fen_per_tonne,
        "amount_fen": found.amount_fen,
        "payment_reference_sha256": hashlib.sha256(found.payment_reference.encode()).hexdigest(),
    }


def _allocation_audit(session: Session, event: Mapping[str, object]) -> Mapping[str, object] | None:
    from carbonbridge.tourism import store

    for a in store.allocations_of(session, str(event.get("bill", ""))):
        if a.id == event.get("allocation"):
            retirement = store.retirement(session, a.retirement_id)
            if retirement is None:
                return None
            return {
                "allocation": a.id,
                "bill": a.bill_id,
                "pool": retirement.pool_id,
                "retirement": retirement.operation_id,
                "project": retirement.project_id,
                "serials": list(retirement.serials),
                "grams": a.grams,
            }
    return None


#: how the ledger's audit (``carbonbridge ledger audit``) recomputes each tourism event from the
#: database state: a bill, allocation or compensation changed after it was logged is a finding
LEDGER_AUDITORS: dict[str, Callable[[Session, Mapping[str, object]], Mapping[str, object] | None]] = {
    BILL_EVENT: _bill_audit,
    ALLOCATION_EVENT: _allocation_audit,
    COMPENSATION_EVENT: _compensation_audit,
}
