"""Use cases that fix an inventory in time: finalisation by the reporter (or regulator) and the
third-party verifier's statement on it. Each is one transaction with its transparency-log entry.

Finalisation stores the figures every framework gives for the year together with a digest of the
activity records they came from; afterwards no record of that year can be added (a correction
needs the regulator to reopen, not yet offered). A verification statement is accepted only when
the inventory recomputed now still gives the finalised figures (nothing changed underneath).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import store
from carbonbridge.accounting.service import OrganisationInventory, compute, views
from carbonbridge.factors.model import GwpSet
from carbonbridge.factors.service import library_in
from carbonbridge.kernel.canonical import canonical_json
from carbonbridge.kernel.clock import utc_now
from carbonbridge.kernel.errors import Conflict, FieldIssue, InvalidInput, NotFound
from carbonbridge.kernel.ids import new_id
from carbonbridge.ledger import service as ledger
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Principal, Role

FINALISED_EVENT = "accounting.inventory_finalised"
VERIFIED_EVENT = "accounting.inventory_verified"


class Opinion(StrEnum):
    """Verification opinion (ISO 14064-3:2019 §6.3.3 / ISO 14065 verification statement)."""

    REASONABLE = "reasonable_assurance"
    LIMITED = "limited_assurance"
    QUALIFIED = "qualified"
    ADVERSE = "adverse"


@dataclass(frozen=True)
class Statement:
    id: str
    organisation_id: str
    year: int
    kind: str
    gwp: str
    figures: Mapping[str, object]
    opinion: str
    statement: str
    by_name: str
    at: datetime
    log_index: int


@dataclass(frozen=True)
class StatementResult:
    statement: Statement
    receipt: str


def _statement(row: store.StatementRow) -> Statement:
    return Statement(
        row.id,
        row.organisation_id,
        row.year,
        row.kind,
        row.gwp,
        json.loads(row.figures),
        row.opinion,
        row.statement,
        row.by_name,
        row.at,
        row.log_index,
    )


def figures_of(inventory: OrganisationInventory) -> dict[str, object]:
    """What a finalisation fixes: every framework's total and the digest of the records used."""
    lines = sorted(
        [e.record.id, e.record.activity, format(e.record.quantity, "f"), e.record.unit]
        for e in inventory.records
    )
    return {
        "gwp": inventory.gwp.value,
        "records": len(inventory.records),
        "records_sha256": hashlib.sha256(canonical_json(lines)).hexdigest(),
        "ghgp_total_kg": format(inventory.ghgp.total_co2e_kg, "f"),
        "ghgp_scope2_location_kg": format(inventory.ghgp.totals["scope2_location"], "f"),
        "ghgp_scope2_market_kg": format(inventory.ghgp.totals["scope2_market"], "f"),
        "iso14064_total_kg": format(inventory.iso14064.total_co2e_kg, "f"),
        "cn_mee_total_kg": format(inventory.cn_mee.total_co2e_kg, "f"),
    }


def _inventory_in(session: Session, organisation_id: str, year: int, gwp: GwpSet) -> OrganisationInventory:
    organisation = store.get_organisation(session, organisation_id)
    if organisation is None:
        raise NotFound(f"organisation {organisation_id} does not exist")
    records = store.records_of(session, [organisation_id], [year])
    if not records:
        raise Conflict(f"organisation {organisation_id} has no activity data for {year}")
    emissions = compute(records, [organisation], library_in(session), gwp)
    g, i, m, gi, gm = views(organisation, emissions)
    return OrganisationInventory(organisation, year, gwp, emissions, g, i, m, gi, gm, False)


def finalise(
    sessions: sessionmaker[Session], principal: Principal, organisation_id: str, year: int, gwp: GwpSet
) -> StatementResult:
    """Fix the year's inventory (reporter of the organisation, or the regulator)."""
    principal.require(Role.REPORTER, Role.REGULATOR)
    principal.require_organisation(organisation_id)
    with unit_of_work(sessions) as session:
        if store.statements_of(session, organisation_id, year):
            raise Conflict(f"the {year} inventory of {organisation_id} is already finalised")
        figures = figures_of(_inventory_in(session, organisation_id, year, gwp))
        event = {"organisation_id": organisation_id, "year": year, "figures": figures}
        # enterprise totals are private until published: a salted commitment in the public log
        pending = ledger.append_event(session, FINALISED_EVENT, event, private=True)
        row = _row(principal, organisation_id, year, "finalised", gwp, figures, "", "", pending.index)
        store.add_statement(session, row)
        return StatementResult(_statement(row), pending.receipt())


def verify(
    sessions: sessionmaker[Session],
    principal: Principal,
    organisation_id: str,
    year: int,
    opinion: Opinion,
    text: str,
) -> StatementResult:
    """Record a verifier's statement on a finalised inventory (verifier role)."""
    principal.require(Role.VERIFIER)
    if not text.strip() or len(text) > 20_000:
        raise InvalidInput(
            "invalid statement", [FieldIssue(("statement",), text[:80], "1-20,000 characters")]
        )
    with unit_of_work(sessions) as session:
        done = {s.kind: s for s in store.statements_of(session, organisation_id, year)}
        if "finalised" not in done:
            raise Conflict(f"the {year} inventory of {organisation_id} is not finalised yet")
        if "verified" in done:
            raise Conflict(f"the {year} inventory of {organisation_id} already has a verification statement")
        final = done["finalised"]
        now = figures_of(_inventory_in(session, organisation_id, year, GwpSet(final.gwp)))
        if canonical_json(now) != canonical_json(json.loads(final.figures)):
            raise Conflict(
                "the inventory recomputed now differs from the finalised one (data or factors changed); "
                "it cannot be verified as finalised"
            )
        event = {
            "organisation_id": organisation_id,
            "year": year,
            "opinion": opinion.value,
            "verifier": principal.name,
            "finalisation_entry": final.log_index,
            "ghgp_total_kg": now["ghgp_total_kg"],
            "statement_sha256": hashlib.sha256(text.encode()).hexdigest(),
        }
        pending = ledger.append_event(session, VERIFIED_EVENT, event)
        row = _row(
            principal,
            organisation_id,
            year,
            "verified",
            GwpSet(final.gwp),
            now,
            opinion.value,
            text,
            pending.index,
        )
        store.add_statement(session, row)
        return StatementResult(_statement(row), pending.receipt())


def _row(
    principal: Principal,
    organisation_id: str,
    year: int,
    kind: str,
    gwp: GwpSet,
    figures: Mapping[str, object],
    opinion: str,
    text: str,
    log_index: int,
) -> store.StatementRow:
    return store.StatementRow(
        id=new_id("stm"),
        organisation_id=organisation_id,
        year=year,
        kind=kind,
        gwp=gwp.value,
        figures=canonical_json(figures).decode(),
        opinion=opinion,
        statement=text,
        by_user=principal.user_id or "",
        by_name=principal.name,
        at=utc_now(),
        log_index=log_index,
    )


def statements(
    sessions: sessionmaker[Session], principal: Principal, organisation_id: str, year: int | None = None
) -> list[Statement]:
    principal.require(Role.REGULATOR, Role.VERIFIER, Role.REPORTER)
    principal.require_organisation(organisation_id)
    with unit_of_work(sessions) as session:
        return [_statement(r) for r in store.statements_of(session, organisation_id, year)]


def _finalised_event(session: Session, event: Mapping[str, object]) -> Mapping[str, object] | None:
    org, year = str(event.get("organisation_id")), int(str(event.get("year", 0)))
    rows = [r for r in store.statements_of(session, org, year) if r.kind == "finalised"]
    if not rows:
        return None
    return {"organisation_id": org, "year": year, "figures": json.loads(rows[0].figures)}


def _verified_event(session: Session, event: Mapping[str, object]) -> Mapping[str, object] | None:
    org, year = str(event.get("organisation_id")), int(str(event.get("year", 0)))
    done = {r.kind: r for r in store.statements_of(session, org, year)}
    if "verified" not in done or "finalised" not in done:
        return None
    v = done["verified"]
    return {
        "organisation_id": org,
        "year": year,
        "opinion": v.opinion,
        "verifier": v.by_name,
        "finalisation_entry": done["finalised"].log_index,
        "ghgp_total_kg": json.loads(v.figures)["ghgp_total_kg"],
        "statement_sha256": hashlib.sha256(v.statement.encode()).hexdigest(),
    }


LEDGER_AUDITORS = {FINALISED_EVENT: _finalised_event, VERIFIED_EVENT: _verified_event}
