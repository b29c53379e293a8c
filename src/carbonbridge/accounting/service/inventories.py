"""Accounting use cases: register reporters, accept activity data, compute inventories.

Each write is one transaction (``platform.db.unit_of_work``): an upload with one bad row, one row
no framework can compute, or one row that was already submitted, stores nothing. A submission may
replace an earlier one (``replaces``): both stay, the inventory uses the latest
(:mod:`carbonbridge.accounting.service.corrections`). Reads never fail on one record the engine cannot
compute: it is listed as not computable and every total excludes it. Roles and organisation
scoping are checked here, whatever face calls.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from carbonbridge.accounting.calculator import calculator as calculator
from carbonbridge.accounting.calculator import compute as compute
from carbonbridge.accounting.calculator import compute_each as compute_each
from carbonbridge.accounting.calculator import sector_of as sector_of
from carbonbridge.accounting.calculator import sources_for as sources_for
from carbonbridge.accounting.computability import Computability
from carbonbridge.accounting.engine import calculate
from carbonbridge.accounting.errors import InventoryFinalised
from carbonbridge.accounting.frameworks import cn_mee, ghg_protocol, iso14064
from carbonbridge.accounting.intake import CORRECTION_HINT, parse_rows, parse_upload
from carbonbridge.accounting.model import (
    ActivityRecord,
    Facility,
    FrameworkView,
    NotComputable,
    Organisation,
    OrganisationKind,
    Reconciliation,
    RecordEmissions,
    RegionalInventory,
)
from carbonbridge.accounting.reconciliation import reconcile
from carbonbridge.accounting.regional import regional_inventory
from carbonbridge.factors.model import FactorCatalogue, FactorResolver, GwpSet
from carbonbridge.factors.service import library_in
from carbonbridge.kernel.bounds import text_issue
from carbonbridge.kernel.clock import utc_now
from carbonbridge.kernel.errors import Conflict, FieldIssue, InvalidInput, NotFound
from carbonbridge.kernel.ids import new_id

# the store, the log, the events and the database (SQLAlchemy, ``platform.db``, ``platform.identity``
# with its tables) are imported by the use cases that read or write them, so that an offline
# computation (``carbonbridge inventory compute``) starts without them (docs/cli.md)
if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from carbonbridge.platform.identity import Principal

    SessionFactory = sessionmaker[Session]

FRAMEWORKS = ("ghgp", "iso14064", "cn-mee")

#: who may submit an organisation's activity data (a reporter only for its own organisation);
#: ``platform.identity.Role`` values, named here so that this module imports no database stack
SUBMITTERS = ("reporter", "regulator")


@dataclass(frozen=True)
class SubmissionResult:
    submission_id: str
    organisation_id: str
    rows: int
    sha256: str
    #: index of the submission's event in the transparency log and its c2sp.org/tlog-proof receipt
    log_index: int
    receipt: str
    #: the submission this one replaces (a correction), if any
    replaces: str | None = None


@dataclass(frozen=True)
class OrganisationInventory:
    """One organisation's inventory for one year under every framework, with the bridges."""

    organisation: Organisation
    year: int
    gwp: GwpSet
    records: tuple[RecordEmissions, ...]
    ghgp: FrameworkView
    iso14064: FrameworkView
    cn_mee: FrameworkView
    ghgp_vs_iso: Reconciliation
    ghgp_vs_mee: Reconciliation
    synthetic: bool
    #: stored records the engine cannot compute now; every view and total above excludes them
    not_computable: tuple[NotComputable, ...] = ()

    def view(self, framework: str) -> FrameworkView:
        views = {"ghgp": self.ghgp, "iso14064": self.iso14064, "cn-mee": self.cn_mee}
        if framework not in views:
            raise InvalidInput(
                "unknown framework",
                [FieldIssue(("framework",), framework, f"one of {', '.join(FRAMEWORKS)}")],
            )
        return views[framework]


def screen_for(resolver: FactorResolver, organisation: Organisation) -> Computability:
    """Intake's computability screen for ``organisation``'s rows (``docs/activity-template.md``)."""
    return Computability(calculator(resolver, [organisation]))


def views(
    organisation: Organisation, emissions: Sequence[RecordEmissions]
) -> tuple[FrameworkView, FrameworkView, FrameworkView, Reconciliation, Reconciliation]:
    """The three framework views of one organisation's records and the two reconciliations."""
    g = ghg_protocol(organisation, emissions)
    i = iso14064(organisation, emissions)
    m = cn_mee(organisation, emissions)
    return g, i, m, reconcile(g, i, emissions), reconcile(g, m, emissions)


# --- writes -------------------------------------------------------------------------------------


def register_organisation(
    sessions: sessionmaker[Session],
    principal: Principal,
    organisation: Organisation,
    facilities: Sequence[Facility],
    *,
    synthetic: bool = False,
) -> None:
    """Register a reporting organisation and its facilities (regulator)."""
    from carbonbridge.accounting import store
    from carbonbridge.accounting.service import upkeep
    from carbonbridge.accounting.service.events import ORGANISATION_EVENT, organisation_event
    from carbonbridge.ledger import service as ledger
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.platform.identity import Role

    principal.require(Role.REGULATOR)
    issues = [
        FieldIssue(("facilities", n, "organisation_id"), f.organisation_id, "must be the organisation's id")
        for n, f in enumerate(facilities)
        if f.organisation_id != organisation.id
    ]
    if issues:
        raise InvalidInput("facilities belong to another organisation", issues)
    _check_names(organisation, facilities)
    with unit_of_work(sessions) as session:
        if store.get_organisation(session, organisation.id) is not None:
            raise Conflict(f"organisation {organisation.id} already exists")
        taken = store.facilities_by_id(session, [f.id for f in facilities])
        if taken:
            raise Conflict(
                "facility ids are taken",
                [
                    FieldIssue(("facilities", n, "id"), f.id, f"a facility of {taken[f.id].organisation_id}")
                    for n, f in enumerate(facilities)
                    if f.id in taken
                ],
            )
        store.add_organisation(session, organisation, synthetic=synthetic)
        for facility in facilities:
            store.add_facility(session, facility)
        ledger.append_event(session, ORGANISATION_EVENT, organisation_event(session, organisation.id) or {})
        store.bump_regional_version(session)
        upkeep.apply_change(session)


def check_submitter(principal: Principal, organisation_id: str) -> None:
    """Who may submit activity data for ``organisation_id``: its reporters, and the regulator (an
    office that keys in a paper return or a late file for an enterprise). Checked again by the use
    case; the faces call it first, to refuse an upload before reading its body."""
    from carbonbridge.platform.identity import Role

    principal.require(*(Role(r) for r in SUBMITTERS))
    principal.require_organisation(organisation_id)


def _check_names(organisation: Organisation, facilities: Sequence[Facility]) -> None:
    """Names are storable text (no NUL: PostgreSQL refuses it) and facility ids are unique."""
    found = [
        text_issue(organisation.name_en, ("name_en",), 300),
        text_issue(organisation.name_zh, ("name_zh",), 300),
        *(text_issue(f.name, ("facilities", n, "name"), 300) for n, f in enumerate(facilities)),
    ]
    seen: set[str] = set()
    for n, f in enumerate(facilities):
        if f.id in seen:
            found.append(FieldIssue(("facilities", n, "id"), f.id, "named twice"))
        seen.add(f.id)
    issues = [i for i in found if i is not None]
    if issues:
        raise InvalidInput("invalid organisation", issues)


def submit_upload(
    sessions: sessionmaker[Session],
    principal: Principal,
    organisation_id: str,
    filename: str,
    data: bytes,
    *,
    replaces: str | None = None,
) -> SubmissionResult:
    """Accept an activity-data file (CSV or XLSX) for ``organisation_id``: all rows or none.
    With ``replaces``, the file replaces that earlier submission (a correction)."""
    check_submitter(principal, organisation_id)
    digest = hashlib.sha256(data).hexdigest()
    with _writing(sessions) as session:
        organisation, facilities = _organisation_for(session, organisation_id)
        screen = screen_for(library_in(session), organisation)
        records = parse_upload(
            filename, data, organisation_id=organisation_id, facilities=facilities, screen=screen
        )
        return _store(session, principal, organisation_id, filename, digest, records, replaces)


def submit_rows(
    sessions: sessionmaker[Session],
    principal: Principal,
    organisation_id: str,
    rows: Sequence[Mapping[str, object]],
    *,
    replaces: str | None = None,
) -> SubmissionResult:
    """Accept activity rows sent as JSON (same columns and checks as the upload template)."""
    check_submitter(principal, organisation_id)
    from carbonbridge.kernel.canonical import canonical_json

    digest = hashlib.sha256(canonical_json(list(rows))).hexdigest()
    with _writing(sessions) as session:
        organisation, facilities = _organisation_for(session, organisation_id)
        screen = screen_for(library_in(session), organisation)
        records = parse_rows(
            rows, organisation_id=organisation_id, facilities=facilities, first_row=0, screen=screen
        )
        return _store(session, principal, organisation_id, "api.json", digest, records, replaces)


@contextmanager
def _writing(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One submission's transaction; a unique key another request took first is a conflict."""
    from sqlalchemy.exc import IntegrityError

    from carbonbridge.platform.db import unit_of_work

    try:
        with unit_of_work(sessions) as session:
            yield session
    except IntegrityError as exc:
        raise Conflict(
            "another request stored the same activity data or replaced the same submission first; "
            "nothing was stored: reload and try again"
        ) from exc


def _organisation_for(session: Session, organisation_id: str) -> tuple[Organisation, dict[str, Facility]]:
    from carbonbridge.accounting import store

    organisation = store.get_organisation(session, organisation_id)
    if organisation is None:
        raise NotFound(f"organisation {organisation_id} does not exist")
    return organisation, store.facilities_of(session, organisation_id)


def _store(
    session: Session,
    principal: Principal,
    organisation_id: str,
    filename: str,
    digest: str,
    records: Sequence[ActivityRecord],
    replaces: str | None = None,
) -> SubmissionResult:
    from carbonbridge.accounting import store
    from carbonbridge.accounting.service import corrections, upkeep
    from carbonbridge.accounting.service.events import REPLACEMENT_EVENT, SUBMISSION_EVENT, submission_event
    from carbonbridge.ledger import service as ledger

    replaced = corrections.replaceable(session, organisation_id, replaces) if replaces else None
    closed = store.finalised_years(session, organisation_id)
    late = [
        FieldIssue(("rows", n, "period_end"), str(r.period_end), f"the {r.year} inventory is finalised")
        for n, r in enumerate(records, start=2)
        if r.year in closed
    ]
    if replaced is not None:
        late += [
            FieldIssue(
                ("replaces",), replaced.id, f"it holds {year} data and the {year} inventory is finalised"
            )
            for year in corrections.years_of_submission(session, replaced.id)
            if year in closed
        ]
    if late:
        raise InventoryFinalised(
            f"{len(late)} row(s) fall in a finalised year; nothing was stored. {corrections.REOPEN_HINT}",
            late,
        )
    submission_id = new_id("sub")
    store.add_submission_head(
        session,
        submission_id=submission_id,
        organisation_id=organisation_id,
        filename=filename[:300],
        sha256=digest,
        row_count=len(records),
        submitted_by=principal.user_id or "",
        submitted_by_name=principal.name[:200],
        at=utc_now(),
        replaces=replaces,
    )
    if replaces:
        store.supersede(session, replaces, submission_id)
    stored = store.existing_keys(session, records)
    if stored:
        issues = []
        for n, r in enumerate(records, start=2):
            held_by = stored.get(
                (r.facility_id, r.activity, r.period_start, r.period_end, r.unit, r.instrument or "")
            )
            if held_by is not None:
                reason = f"this facility, activity and period is already submitted (submission {held_by})"
                issues.append(FieldIssue(("rows", n, "period_start"), str(r.period_start), reason))
        raise Conflict(
            f"{len(issues)} row(s) were already submitted; nothing was stored ({CORRECTION_HINT})", issues
        )
    store.add_records(session, submission_id, records)
    event = submission_event(session, submission_id)
    if event is None:  # pragma: no cover - just written in this transaction
        raise NotFound(f"submission {submission_id} vanished")
    # enterprise activity data is private: the log holds a salted commitment (DESIGN.md, Trust)
    kind = REPLACEMENT_EVENT if replaces else SUBMISSION_EVENT
    pending = ledger.append_event(session, kind, event, private=True)
    store.set_submission_log_index(session, submission_id, pending.index)
    store.bump_regional_version(session)
    upkeep.apply_change(session, [organisation_id])
    return SubmissionResult(
        submission_id, organisation_id, len(records), digest, pending.index, pending.receipt(), replaces
    )


# --- reads --------------------------------------------------------------------------------------


def list_organisations(sessions: sessionmaker[Session], principal: Principal) -> list[Organisation]:
    """Organisations the caller may see: all for regulators, verifiers and admins; its own for a
    reporter; none for the public."""
    from carbonbridge.accounting import store
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.platform.identity import Role

    principal.require(Role.REGULATOR, Role.VERIFIER, Role.REPORTER)
    with unit_of_work(sessions) as session:
        if principal.can_see_all_organisations():
            return store.list_organisations(session)
        return store.list_organisations(session, [principal.organisation_id or ""])


def organisation_inventory(
    sessions: sessionmaker[Session], principal: Principal, organisation_id: str, year: int, gwp: GwpSet
) -> OrganisationInventory:
    from carbonbridge.accounting import store
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.platform.identity import Role

    principal.require(Role.REGULATOR, Role.VERIFIER, Role.REPORTER)
    principal.require_organisation(organisation_id)
    with unit_of_work(sessions) as session:
        organisation = store.get_organisation(session, organisation_id)
        if organisation is None:
            raise NotFound(f"organisation {organisation_id} does not exist")
        records = store.records_of(session, [organisation_id], [year])
        resolver = library_in(session)
        synthetic = store.is_synthetic(session, organisation_id)
    emissions, failed = compute_each(records, [organisation], resolver, gwp)
    g, i, m, gi, gm = views(organisation, emissions)
    return OrganisationInventory(organisation, year, gwp, emissions, g, i, m, gi, gm, synthetic, failed)


def explain_record(
    sessions: sessionmaker[Session], principal: Principal, record_id: str, gwp: GwpSet
) -> RecordEmissions:
    """Every basis of one record with the factors, rules, equation and GWP set behind it."""
    from carbonbridge.accounting import store
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.platform.identity import Role

    principal.require(Role.REGULATOR, Role.VERIFIER, Role.REPORTER)
    with unit_of_work(sessions) as session:
        found = store.records_by_ids(session, [record_id])
        if not found:
            raise NotFound(f"activity record {record_id} does not exist")
        record = found[0]
        principal.require_organisation(record.organisation_id)
        organisation = store.get_organisation(session, record.organisation_id)
        resolver = library_in(session)
    sector = sector_of(organisation.kind if organisation else OrganisationKind.OTHER)
    loaded = list(dict.fromkeys(d.id for d in resolver.datasets()))
    sources, datasets = sources_for(resolver.pinned, loaded)
    return calculate(record, resolver, gwp, sector=sector, sources=sources, datasets=datasets)


def co_pollutant_totals(emissions: Sequence[RecordEmissions]) -> dict[str, Decimal]:
    """Mass of each co-pollutant (SO2, NOx, PM10, PM2.5) over ``emissions``, kg."""
    totals: dict[str, Decimal] = {}
    for e in emissions:
        for p in e.co_pollutants:
            totals[p.pollutant] = totals.get(p.pollutant, Decimal(0)) + p.kg
    return dict(sorted(totals.items()))


@dataclass(frozen=True)
class RegionalResult:
    inventory: RegionalInventory
    region: str
    synthetic: bool
    gwp: GwpSet
    record_count: int
    #: year -> pollutant -> kg (pollution and carbon co-control)
    co_pollutants: Mapping[int, Mapping[str, Decimal]]
    #: current records the engine cannot compute now; every figure above excludes them
    not_computable: tuple[NotComputable, ...] = ()
    #: what the figures were summed from (disclosure control needs each organisation's share)
    emissions: tuple[RecordEmissions, ...] = ()
    kinds: Mapping[str, OrganisationKind] = field(default_factory=dict)


@dataclass(frozen=True)
class NotComputableGroup:
    """Records of one year and activity that cannot be computed for one reason (the public view:
    no organisation, no quantity)."""

    year: int
    activity: str
    records: int
    reason: str


def not_computable_groups(items: Sequence[NotComputable]) -> list[NotComputableGroup]:
    counts = Counter((x.record.year, x.record.activity, x.reason) for x in items)
    return [NotComputableGroup(y, a, n, reason) for (y, a, reason), n in sorted(counts.items())]


@dataclass(frozen=True)
class RegionalData:
    """What the regional statement is built from, read in one transaction."""

    region: str
    organisations: tuple[Organisation, ...]
    records: tuple[ActivityRecord, ...]
    #: year -> (population, GDP in 10^4 CNY, synthetic, source)
    statistics: Mapping[int, tuple[int, Decimal, bool, str]]
    resolver: FactorCatalogue
    synthetic: bool


def regional_data(session: Session, region: str) -> RegionalData:
    """Every current record, organisation and statistic of the territory, and the factor library."""
    from carbonbridge.accounting import store

    organisations = store.list_organisations(session)
    records = store.records_of(session)
    stats = store.region_statistics(session, region)
    synthetic = store.any_synthetic(session) or any(s[2] for s in stats.values())
    return RegionalData(region, tuple(organisations), tuple(records), stats, library_in(session), synthetic)


def regional_of(data: RegionalData, gwp: GwpSet) -> RegionalResult:
    """The territory's inventory by IPCC and GPC sector, per year, with intensities: every
    record computed row by row by the engine (``regional.regional_inventory``)."""
    emissions, failed = compute_each(data.records, data.organisations, data.resolver, gwp)
    inventory = regional_inventory(
        data.region,
        data.organisations,
        emissions,
        population={y: Decimal(s[0]) for y, s in data.statistics.items()},
        gdp_10k_cny={y: s[1] for y, s in data.statistics.items()},
    )
    by_year = {
        y.year: co_pollutant_totals([e for e in emissions if e.record.year == y.year])
        for y in inventory.years
    }
    kinds = {o.id: o.kind for o in data.organisations}
    return RegionalResult(
        inventory,
        data.region,
        data.synthetic,
        gwp,
        len(data.records),
        by_year,
        failed,
        tuple(emissions),
        kinds,
    )


def regional(sessions: sessionmaker[Session], region: str, gwp: GwpSet) -> RegionalResult:
    """The territory's inventory recomputed now from every record (no stored statement: the
    faces read ``release.regional_release``, which stores it)."""
    from carbonbridge.platform.db import unit_of_work

    with unit_of_work(sessions) as session:
        data = regional_data(session, region)
    return regional_of(data, gwp)


def submit_records(
    sessions: sessionmaker[Session],
    principal: Principal,
    organisation_id: str,
    records: Sequence[ActivityRecord],
    *,
    source: str,
) -> SubmissionResult:
    """Accept records already validated by ``intake`` (the demo loader, bulk imports)."""
    check_submitter(principal, organisation_id)
    from carbonbridge.kernel.canonical import canonical_json

    digest = hashlib.sha256(canonical_json([r.id for r in records])).hexdigest()
    with _writing(sessions) as session:
        organisation, facilities = _organisation_for(session, organisation_id)
        bad = [
            FieldIssue(("rows", n, "facility_id"), r.facility_id, "not a facility of this organisation")
            for n, r in enumerate(records, start=2)
            if r.facility_id not in facilities or r.organisation_id != organisation_id
        ]
        screen = screen_for(library_in(session), organisation)
        for n, r in enumerate(records, start=2):
            refusal = screen(r)
            if refusal is not None:
                bad.append(
                    FieldIssue(("rows", n, refusal.column), getattr(r, refusal.column), refusal.reason)
                )
        if bad:
            raise InvalidInput(f"{len(bad)} of {len(records)} records are invalid; nothing was stored", bad)
        return _store(session, principal, organisation_id, source, digest, records)


def set_region_statistics(
    sessions: sessionmaker[Session],
    principal: Principal,
    region: str,
    year: int,
    population: int,
    gdp_10k_cny: Decimal,
    *,
    synthetic: bool,
    source: str,
) -> None:
    from carbonbridge.accounting import store
    from carbonbridge.accounting.service import upkeep
    from carbonbridge.accounting.service.events import STATISTICS_EVENT, statistics_event
    from carbonbridge.ledger import service as ledger
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.platform.identity import Role

    principal.require(Role.REGULATOR)
    issues = []
    if population <= 0:
        issues.append(FieldIssue(("population",), population, "must be positive"))
    if gdp_10k_cny <= 0:
        issues.append(FieldIssue(("gdp_10k_cny",), gdp_10k_cny, "must be positive"))
    if issues:
        raise InvalidInput("invalid region statistics", issues)
    with unit_of_work(sessions) as session:
        store.set_region_statistics(
            session, region, year, population, gdp_10k_cny, synthetic=synthetic, source=source
        )
        ledger.append_event(session, STATISTICS_EVENT, statistics_event(session, region, year) or {})
        store.bump_regional_version(session)
        upkeep.apply_change(session, years=[year])


def organisation_count(sessions: sessionmaker[Session]) -> int:
    from carbonbridge.accounting import store
    from carbonbridge.platform.db import unit_of_work

    with unit_of_work(sessions) as session:
        return store.count_organisations(session)


def inventory_of(
    organisation: Organisation, records: Sequence[ActivityRecord], resolver: FactorResolver, gwp: GwpSet
) -> OrganisationInventory:
    """Every framework view of ``records`` (all years together when they span several)."""
    emissions = compute(records, [organisation], resolver, gwp)
    g, i, m, gi, gm = views(organisation, emissions)
    years = {r.year for r in records}
    year = years.pop() if len(years) == 1 else 0
    return OrganisationInventory(organisation, year, gwp, emissions, g, i, m, gi, gm, False)


def years_of(sessions: sessionmaker[Session], principal: Principal, organisation_id: str) -> list[int]:
    """Years in which ``organisation_id`` has activity data (scoped like its inventory)."""
    from carbonbridge.accounting import store
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.platform.identity import Role

    principal.require(Role.REGULATOR, Role.VERIFIER, Role.REPORTER)
    principal.require_organisation(organisation_id)
    with unit_of_work(sessions) as session:
        if store.get_organisation(session, organisation_id) is None:
            raise NotFound(f"organisation {organisation_id} does not exist")
        return store.years_of_organisation(session, organisation_id)
