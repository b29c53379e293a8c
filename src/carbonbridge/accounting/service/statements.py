"""Use cases that fix an inventory in time: finalisation by the reporter (or regulator), the
third-party verifier's statement on it, and the regulator's reopening. Each is one transaction with
its transparency-log entry.

Finalisation stores the figures every framework gives for the year together with a digest of the
activity records they came from; afterwards no record of that year can be added or replaced. A
year with records the engine cannot compute is not finalised (they would silently be left out). A
verification statement is accepted only when the inventory recomputed now still gives the
finalised figures (nothing changed underneath).

The regulator may **reopen** a finalised year with a written reason: a public log entry (the
reason's SHA-256, who, which finalisation and verification entries it supersedes) and a new
``revision`` of the year's inventory, which takes data and replacements again and needs a new
finalisation and a new verification. Earlier statements stay, listed as superseded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import store
from carbonbridge.accounting.errors import InventoryFinalised
from carbonbridge.accounting.intake import CORRECTION_HINT
from carbonbridge.accounting.service import OrganisationInventory, compute_each, upkeep, views
from carbonbridge.accounting.service.corrections import REOPEN_HINT
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
REOPENED_EVENT = "accounting.inventory_reopened"
#: a reopening's written reason: at most this many characters
MAX_REASON = 2000


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
    #: revision of the year's inventory the statement is on (0 until the year is reopened)
    revision: int = 0
    #: a reopening of the year superseded it (kept, no longer in force)
    superseded: bool = False


@dataclass(frozen=True)
class StatementResult:
    statement: Statement
    receipt: str


@dataclass(frozen=True)
class Reopening:
    """The regulator reopening a finalised year: the year's inventory enters ``revision``."""

    id: str
    organisation_id: str
    year: int
    revision: int
    reason: str
    by_name: str
    at: datetime
    log_index: int


@dataclass(frozen=True)
class ReopeningResult:
    reopening: Reopening
    receipt: str


def _statement(row: store.StatementRow, current: int | None = None) -> Statement:
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
        row.revision,
        current is not None and row.revision < current,
    )


def _reopening(row: store.ReopeningRow) -> Reopening:
    return Reopening(
        row.id, row.organisation_id, row.year, row.revision, row.reason, row.by_name, row.at, row.log_index
    )


def _revision(session: Session, organisation_id: str, year: int) -> int:
    return store.revisions(session, organisation_id).get(year, 0)


def _in_force(session: Session, organisation_id: str, year: int) -> dict[str, store.StatementRow]:
    """The statements of the year's current revision, by kind."""
    revision = _revision(session, organisation_id, year)
    return {s.kind: s for s in store.statements_of(session, organisation_id, year) if s.revision == revision}


def _revised(event: dict[str, object], revision: int) -> dict[str, object]:
    """Events of revision 0 keep the shape they had before reopening existed."""
    return {**event, "revision": revision} if revision else event


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
    emissions, failed = compute_each(records, [organisation], library_in(session), gwp)
    g, i, m, gi, gm = views(organisation, emissions)
    return OrganisationInventory(organisation, year, gwp, emissions, g, i, m, gi, gm, False, failed)


def finalise(
    sessions: sessionmaker[Session], principal: Principal, organisation_id: str, year: int, gwp: GwpSet
) -> StatementResult:
    """Fix the year's inventory (reporter of the organisation, or the regulator)."""
    principal.require(Role.REPORTER, Role.REGULATOR)
    principal.require_organisation(organisation_id)
    with (
        _once(f"the {year} inventory of {organisation_id} was finalised by another request"),
        unit_of_work(sessions) as session,
    ):
        if "finalised" in _in_force(session, organisation_id, year):
            raise InventoryFinalised(
                f"the {year} inventory of {organisation_id} is already finalised. {REOPEN_HINT}"
            )
        inventory = _inventory_in(session, organisation_id, year, gwp)
        if inventory.not_computable:
            issues = [
                FieldIssue(("records", nc.record.id), nc.record.activity, nc.reason)
                for nc in inventory.not_computable
            ]
            raise Conflict(
                f"{len(issues)} record(s) of {year} cannot be computed; the inventory cannot be finalised "
                f"without them ({CORRECTION_HINT})",
                issues,
            )
        figures = figures_of(inventory)
        revision = _revision(session, organisation_id, year)
        event = _revised({"organisation_id": organisation_id, "year": year, "figures": figures}, revision)
        # enterprise totals are private until published: a salted commitment in the public log
        pending = ledger.append_event(session, FINALISED_EVENT, event, private=True)
        row = _row(principal, organisation_id, year, "finalised", gwp, figures, "", "", pending.index)
        row.revision = revision
        store.add_statement(session, row)
        store.bump_regional_version(session)
        upkeep.apply_change(session)
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
    with (
        _once(f"the {year} inventory of {organisation_id} was verified by another request"),
        unit_of_work(sessions) as session,
    ):
        done = _in_force(session, organisation_id, year)
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
        pending = ledger.append_event(session, VERIFIED_EVENT, _revised(event, final.revision))
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
        row.revision = final.revision
        store.add_statement(session, row)
        store.bump_regional_version(session)
        upkeep.apply_change(session)
        return StatementResult(_statement(row), pending.receipt())


def reopen(
    sessions: sessionmaker[Session], principal: Principal, organisation_id: str, year: int, reason: str
) -> ReopeningResult:
    """Reopen a finalised year with a written reason (regulator): the year takes data and
    replacements again and needs a new finalisation and verification; its statements so far are
    kept and listed as superseded."""
    principal.require(Role.REGULATOR)
    text = reason.strip()
    if not text or len(text) > MAX_REASON or "\x00" in text:
        raise InvalidInput(
            "a reopening needs a written reason",
            [FieldIssue(("reason",), text[:80], f"1-{MAX_REASON:,} characters of text")],
        )
    with (
        _once(f"the {year} inventory of {organisation_id} was reopened by another request"),
        unit_of_work(sessions) as session,
    ):
        if store.get_organisation(session, organisation_id) is None:
            raise NotFound(f"organisation {organisation_id} does not exist")
        done = _in_force(session, organisation_id, year)
        if "finalised" not in done:
            raise Conflict(
                f"the {year} inventory of {organisation_id} is not finalised; there is nothing to reopen"
            )
        revision = _revision(session, organisation_id, year) + 1
        event = {
            "organisation_id": organisation_id,
            "year": year,
            "revision": revision,
            "finalisation_entry": done["finalised"].log_index,
            "verification_entry": done["verified"].log_index if "verified" in done else None,
            "reason_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "by": principal.name,
        }
        pending = ledger.append_event(session, REOPENED_EVENT, event)
        row = store.ReopeningRow(
            id=new_id("rop"),
            organisation_id=organisation_id,
            year=year,
            revision=revision,
            reason=text,
            by_user=principal.user_id or "",
            by_name=principal.name,
            at=utc_now(),
            log_index=pending.index,
        )
        store.add_reopening(session, row)
        store.bump_regional_version(session)
        upkeep.apply_change(session)
        return ReopeningResult(_reopening(row), pending.receipt())


@contextmanager
def _once(detail: str) -> Iterator[None]:
    """A statement or reopening another request wrote first (unique per revision) is a conflict."""
    try:
        yield
    except IntegrityError as exc:
        raise Conflict(f"{detail}; nothing was changed") from exc


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
    sessions: sessionmaker[Session],
    principal: Principal,
    organisation_id: str,
    year: int | None = None,
    *,
    superseded: bool = False,
) -> list[Statement]:
    """The statements in force (of each year's current revision); with ``superseded``, also those
    a reopening superseded, flagged as such (the history)."""
    principal.require(Role.REGULATOR, Role.VERIFIER, Role.REPORTER)
    principal.require_organisation(organisation_id)
    with unit_of_work(sessions) as session:
        current = store.revisions(session, organisation_id)
        found = [
            _statement(r, current.get(r.year, 0)) for r in store.statements_of(session, organisation_id, year)
        ]
    return [s for s in found if superseded or not s.superseded]


def reopenings(
    sessions: sessionmaker[Session], principal: Principal, organisation_id: str, year: int | None = None
) -> list[Reopening]:
    """The regulator's reopenings of the organisation's years, with their reasons."""
    principal.require(Role.REGULATOR, Role.VERIFIER, Role.REPORTER)
    principal.require_organisation(organisation_id)
    with unit_of_work(sessions) as session:
        return [_reopening(r) for r in store.reopenings_of(session, organisation_id, year)]


def _logged(session: Session, event: Mapping[str, object]) -> tuple[str, int, dict[str, store.StatementRow]]:
    """Organisation, year and the statements (by kind) of the revision a logged event names."""
    org, year = str(event.get("organisation_id")), int(str(event.get("year", 0)))
    revision = int(str(event.get("revision", 0)))
    rows = store.statements_of(session, org, year)
    return org, year, {r.kind: r for r in rows if r.revision == revision}


def _finalised_event(session: Session, event: Mapping[str, object]) -> Mapping[str, object] | None:
    org, year, done = _logged(session, event)
    if "finalised" not in done:
        return None
    final = done["finalised"]
    return _revised(
        {"organisation_id": org, "year": year, "figures": json.loads(final.figures)}, final.revision
    )


def _verified_event(session: Session, event: Mapping[str, object]) -> Mapping[str, object] | None:
    org, year, done = _logged(session, event)
    if "verified" not in done or "finalised" not in done:
        return None
    v = done["verified"]
    recomputed = {
        "organisation_id": org,
        "year": year,
        "opinion": v.opinion,
        "verifier": v.by_name,
        "finalisation_entry": done["finalised"].log_index,
        "ghgp_total_kg": json.loads(v.figures)["ghgp_total_kg"],
        "statement_sha256": hashlib.sha256(v.statement.encode()).hexdigest(),
    }
    return _revised(recomputed, v.revision)


def _reopened_event(session: Session, event: Mapping[str, object]) -> Mapping[str, object] | None:
    org, year = str(event.get("organisation_id")), int(str(event.get("year", 0)))
    revision = int(str(event.get("revision", 0)))
    row = store.reopening(session, org, year, revision)
    if row is None:
        return None
    superseded = _logged(session, {**event, "revision": revision - 1})[2]
    if "finalised" not in superseded:
        return None
    return {
        "organisation_id": org,
        "year": year,
        "revision": revision,
        "finalisation_entry": superseded["finalised"].log_index,
        "verification_entry": superseded["verified"].log_index if "verified" in superseded else None,
        "reason_sha256": hashlib.sha256(row.reason.encode()).hexdigest(),
        "by": row.by_name,
    }


LEDGER_AUDITORS = {
    FINALISED_EVENT: _finalised_event,
    VERIFIED_EVENT: _verified_event,
    REOPENED_EVENT: _reopened_event,
}
