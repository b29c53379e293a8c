"""Use cases of the regional ETS: allocate allowances to covered entities, surrender allowances
and offset credits against an entity's verified emissions, and report its compliance status.

Each write is one transaction that stores its row and appends its transparency-log entry
(``registry.allowance_allocation``, ``registry.compliance_surrender``; salted commitments, like
enterprise inventories); offsets are credits of this registry retired *for compliance*: the
registry's own retirement operation (public record, beneficiary = the entity, purpose
``ETS compliance <period>``) in the same transaction, referenced from the surrender record. The
rules are :mod:`carbonbridge.registry.compliance.allowances`; ``docs/registry-compliance.md`` explains them.

The obligation is read from the accounting context: the entity's inventory statement for the
period that is finalised *and* verified (opinion other than adverse), figure
``cn_mee_total_kg`` (China MEE guideline framework) by default.

Roles: the regulator allocates; the entity's reporters (or the regulator) surrender; the entity's
users, the regulator and verifiers read the status.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting.service import statements as accounting_statements
from carbonbridge.kernel.clock import Clock, utc_now
from carbonbridge.kernel.errors import Conflict, FieldIssue, InvalidInput, NotFound
from carbonbridge.kernel.ids import new_id
from carbonbridge.ledger import service as ledger
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.registry import store
from carbonbridge.registry.compliance import allowances
from carbonbridge.registry.compliance import store as compliance_store
from carbonbridge.registry.compliance.allowances import (
    DEFAULT_EMISSIONS_FIGURE,
    DEFAULT_OFFSET_SHARE,
    ComplianceStatus,
)
from carbonbridge.registry.compliance.model import Allocation, Surrender
from carbonbridge.registry.model import Retirement, Units
from carbonbridge.registry.units.service import move_units
from carbonbridge.registry.writes import check_text, record

ALLOCATION_EVENT = "registry.allowance_allocation"
SURRENDER_EVENT = "registry.compliance_surrender"
#: environment variable a region sets to change the offset cap (a decimal share, e.g. ``0.10``)
OFFSET_SHARE_ENV = "CARBONBRIDGE_ETS_OFFSET_SHARE"
#: the opinion that does not make an inventory verified (ISO 14064-3 adverse opinion)
_ADVERSE = "adverse"


def configured_offset_share() -> Decimal:
    """The region's offset cap: ``$CARBONBRIDGE_ETS_OFFSET_SHARE`` if set, else 5 % (China
    national ETS)."""
    raw = os.environ.get(OFFSET_SHARE_ENV)
    if raw is None or not raw.strip():
        return DEFAULT_OFFSET_SHARE
    try:
        return allowances.check_share(Decimal(raw.strip()))
    except InvalidOperation as exc:
        raise InvalidInput(
            "invalid offset share setting", [FieldIssue((OFFSET_SHARE_ENV,), raw, "a decimal share in 0..1")]
        ) from exc


@dataclass(frozen=True)
class ComplianceReceipt:
    """What an allocation or surrender returns: its id, log index and c2sp.org/tlog-proof
    receipt, plus the receipts of the retirement operations of any offsets."""

    id: str
    log_index: int
    receipt: str
    offset_receipts: tuple[str, ...] = ()


@dataclass(frozen=True)
class VerifiedEmissions:
    statement_id: str
    emissions_kg: Decimal
    obligation_t: int


def verified_emissions(
    sessions: sessionmaker[Session],
    principal: Principal,
    organisation_id: str,
    period: int,
    *,
    figure: str = DEFAULT_EMISSIONS_FIGURE,
) -> VerifiedEmissions | None:
    """The entity's verified emissions of the period (``None`` if the inventory is not finalised
    and verified, or the opinion is adverse)."""
    found = accounting_statements.statements(sessions, principal, organisation_id, period)
    verified = [s for s in found if s.kind == "verified" and s.opinion != _ADVERSE]
    if not verified:
        return None
    statement = verified[0]
    if figure not in statement.figures:
        raise InvalidInput(
            "unknown emissions figure",
            [FieldIssue(("figure",), figure, f"one of {sorted(statement.figures)}")],
        )
    kg = Decimal(str(statement.figures[figure]))
    return VerifiedEmissions(statement.id, kg, allowances.obligation_t(kg))


def allocate(
    sessions: sessionmaker[Session],
    principal: Principal,
    organisation_id: str,
    period: int,
    quantity: int,
    basis: str,
    *,
    clock: Clock = utc_now,
) -> ComplianceReceipt:
    """Allocate ``quantity`` allowances of ``period`` to a covered entity (regulator). The entity
    must have registry accounts (``service.open_accounts``)."""
    principal.require(Role.REGULATOR)
    allowances.check_period(period)
    allowances.whole_tonnes(quantity, "quantity")
    issues: list[FieldIssue] = []
    check_text(basis, "basis", 500, issues)
    if issues:
        raise InvalidInput("invalid allocation", issues)
    with unit_of_work(sessions) as session:
        _lock(session, organisation_id)
        row = Allocation(
            id=new_id("alc"),
            organisation_id=organisation_id,
            period=period,
            quantity=quantity,
            basis=basis.strip(),
            at=clock(),
            actor_name=principal.name,
            log_index=-1,
        )
        pending = ledger.append_event(session, ALLOCATION_EVENT, _allocation_event(row), private=True)
        row = replace(row, log_index=pending.index)
        compliance_store.add_allocation(session, row)
        return ComplianceReceipt(row.id, pending.index, pending.receipt())


def _lock(session: Session, organisation_id: str) -> None:
    if not store.lock_holding(session, organisation_id):
        raise NotFound(
            f"organisation {organisation_id} has no registry accounts; open them first",
            [FieldIssue(("organisation_id",), organisation_id, "not admitted to the registry")],
        )


def _requested(units: Units, n: int) -> int:
    if units.quantity is not None:
        return allowances.whole_tonnes(units.quantity, f"offsets.{n}.quantity")
    if isinstance(units.start, int) and isinstance(units.end, int) and 1 <= units.start <= units.end:
        return units.end - units.start + 1
    raise InvalidInput(
        "invalid offset request",
        [
            FieldIssue(
                ("offsets", n), f"{units.start}-{units.end}", "a quantity or a serial range start ≤ end"
            )
        ],
    )


def surrender(
    sessions: sessionmaker[Session],
    principal: Principal,
    organisation_id: str,
    period: int,
    allowances_t: int,
    offsets: Sequence[Units] = (),
    *,
    offset_share: Decimal | None = None,
    figure: str = DEFAULT_EMISSIONS_FIGURE,
    eligible_standards: Collection[str] | None = None,
    clock: Clock = utc_now,
) -> ComplianceReceipt:
    """Surrender ``allowances_t`` allowances of ``period`` and retire the ``offsets`` credits
    (from the entity's holding account) for compliance, against the period's verified emissions
    (reporter of the entity, or the regulator). Refused, with nothing changed, when the inventory
    is not verified, the entity holds fewer allowances, offsets would exceed ``offset_share`` of
    the verified emissions (default :func:`configured_offset_share`), the total would exceed the
    remaining obligation, an offset credit's standard is not in ``eligible_standards`` (when
    given), or the credits are not held (planned units are never retired)."""
    principal.require(Role.REPORTER, Role.REGULATOR)
    principal.require_organisation(organisation_id)
    allowances.check_period(period)
    allowances.whole_tonnes(allowances_t, "allowances_t", allow_zero=True)
    share = allowances.check_share(configured_offset_share() if offset_share is None else offset_share)
    offsets_t = sum(_requested(u, n) for n, u in enumerate(offsets))
    verified = verified_emissions(sessions, principal, organisation_id, period, figure=figure)
    if verified is None:
        raise Conflict(
            f"the {period} inventory of {organisation_id} is not finalised and verified; "
            "nothing can be surrendered against it",
            [FieldIssue(("period",), period, "no verified inventory statement")],
        )
    with unit_of_work(sessions) as session:
        _lock(session, organisation_id)
        done_allowances, done_offsets = compliance_store.surrendered(session, organisation_id, period)
        held = compliance_store.allocated(session, organisation_id, period) - done_allowances
        allowances.check_surrender(
            held_t=held,
            obligation=verified.obligation_t,
            share=share,
            surrendered_allowances_t=done_allowances,
            surrendered_offsets_t=done_offsets,
            allowances_t=allowances_t,
            offsets_t=offsets_t,
        )
        holding = store.accounts_of(session, organisation_id)
        requests = []
        for n, units in enumerate(offsets):
            if units.account_id not in {a.id for a in holding.values()}:
                raise InvalidInput(
                    "offsets come from the entity's own holding account",
                    [FieldIssue(("offsets", n, "account_id"), units.account_id, "not the entity's account")],
                )
            project = store.get_project(session, units.project_id)
            if project is None:
                raise NotFound(
                    f"project {units.project_id} does not exist",
                    [FieldIssue(("offsets", n, "project_id"), units.project_id, "unknown project")],
                )
            if eligible_standards is not None and project.standard not in eligible_standards:
                raise InvalidInput(
                    "offset credit not eligible",
                    [
                        FieldIssue(
                            ("offsets", n, "project_id"),
                            units.project_id,
                            f"standard {project.standard} is not one of {sorted(eligible_standards)}",
                        )
                    ],
                )
            requests.append(Retirement(units, organisation_id, f"ETS compliance {period}"))
        retirements = record(session, principal, move_units(session, principal, requests, clock, True))
        row = Surrender(
            id=new_id("sur"),
            organisation_id=organisation_id,
            period=period,
            allowances=allowances_t,
            offsets=offsets_t,
            obligation=verified.obligation_t,
            offset_share=format(share, "f"),
            statement_id=verified.statement_id,
            retirement_operations=tuple(r.operation.id for r in retirements),
            at=clock(),
            actor_name=principal.name,
            log_index=-1,
        )
        pending = ledger.append_event(session, SURRENDER_EVENT, _surrender_event(row), private=True)
        row = replace(row, log_index=pending.index)
        compliance_store.add_surrender(session, row)
        return ComplianceReceipt(
            row.id, pending.index, pending.receipt(), tuple(r.receipt for r in retirements)
        )


def status(
    sessions: sessionmaker[Session],
    principal: Principal,
    organisation_id: str,
    period: int,
    *,
    offset_share: Decimal | None = None,
    figure: str = DEFAULT_EMISSIONS_FIGURE,
) -> ComplianceStatus:
    """An entity's compliance status for a period (its users, the regulator, verifiers)."""
    principal.require(Role.REPORTER, Role.REGULATOR, Role.VERIFIER)
    principal.require_organisation(organisation_id)
    allowances.check_period(period)
    share = allowances.check_share(configured_offset_share() if offset_share is None else offset_share)
    verified = verified_emissions(sessions, principal, organisation_id, period, figure=figure)
    with unit_of_work(sessions) as session:
        allocated = compliance_store.allocated(session, organisation_id, period)
        done_allowances, done_offsets = compliance_store.surrendered(session, organisation_id, period)
    return allowances.compliance_status(
        organisation_id,
        period,
        allocated_t=allocated,
        held_t=allocated - done_allowances,
        obligation=None if verified is None else verified.obligation_t,
        share=share,
        surrendered_allowances_t=done_allowances,
        surrendered_offsets_t=done_offsets,
    )


def overview(
    sessions: sessionmaker[Session], principal: Principal, period: int | None = None
) -> list[ComplianceStatus]:
    """Every covered entity's status (regulator, verifiers), optionally for one period."""
    principal.require(Role.REGULATOR, Role.VERIFIER)
    with unit_of_work(sessions) as session:
        pairs = compliance_store.entities_and_periods(session)
    return [status(sessions, principal, o, p) for o, p in pairs if period is None or p == period]


# --- the log ------------------------------------------------------------------------------------


def _allocation_event(row: Allocation) -> dict[str, object]:
    return {
        "allocation_id": row.id,
        "organisation_id": row.organisation_id,
        "period": row.period,
        "quantity": row.quantity,
        "basis": row.basis,
        "actor": row.actor_name,
    }


def _surrender_event(row: Surrender) -> dict[str, object]:
    return {
        "surrender_id": row.id,
        "organisation_id": row.organisation_id,
        "period": row.period,
        "allowances": row.allowances,
        "offsets": row.offsets,
        "obligation": row.obligation,
        "offset_share": row.offset_share,
        "statement_id": row.statement_id,
        "retirement_operations": list(row.retirement_operations),
        "actor": row.actor_name,
    }


def _audit_allocation(session: Session, event: Mapping[str, object]) -> Mapping[str, object] | None:
    row = compliance_store.allocation(session, str(event.get("allocation_id")))
    return None if row is None else _allocation_event(row)


def _audit_surrender(session: Session, event: Mapping[str, object]) -> Mapping[str, object] | None:
    row = compliance_store.surrender(session, str(event.get("surrender_id")))
    return None if row is None else _surrender_event(row)


#: how the ledger's audit recomputes the ETS entries from the stored rows
LEDGER_AUDITORS: Mapping[str, Callable[[Session, Mapping[str, object]], Mapping[str, object] | None]] = {
    ALLOCATION_EVENT: _audit_allocation,
    SURRENDER_EVENT: _audit_surrender,
}
