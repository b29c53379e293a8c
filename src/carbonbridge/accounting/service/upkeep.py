"""Keeping the regional statement current: each organisation's contributions and the statement
summed from them, written in the transaction of every change; the full rebuild for changes that
affect everybody (docs/accounting.md, "The stored regional statement").

* :func:`apply_change`: called by every use case that changes what the statement is built from
  (a submission or replacement, a registration, a finalisation, verification or reopening, a
  statistics update), after its change and its log entry, in its transaction. The changed
  organisations' contributions are computed again (their records only, every GWP set), and the
  affected years of the statement are summed again from every organisation's stored
  contributions, with their suppression pattern; the other years' coverage is refreshed. The
  regional version row, bumped just before, is the lock that applies changes one after another.
* :func:`rebuild_regional_statement`: every organisation's contributions again, then the
  statement: for a factor dataset or pin change, or an upgrade (the factor digest), never in a
  request. One at a time across processes (``regional_rebuild``, a conditional update with a
  lease); run by ``carbonbridge inventory region rebuild`` or a background thread of the server.
* :func:`backfill`: migration 0016.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from importlib import metadata

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import contribution, store
from carbonbridge.accounting.calculator import compute_each
from carbonbridge.accounting.contribution import (
    CellKey,
    CellSummary,
    OrganisationContribution,
    contributions_of,
)
from carbonbridge.accounting.coverage import Coverage
from carbonbridge.accounting.disclosure import DisclosureRules, Withheld
from carbonbridge.accounting.errors import RebuildRunning
from carbonbridge.accounting.model import ActivityRecord, Organisation, RecordEmissions
from carbonbridge.accounting.publication import YearTable, pattern_of
from carbonbridge.accounting.stored_statement import (
    StoredHeader,
    StoredYear,
    decode_header,
    decode_year,
    encode_header,
    encode_year,
)
from carbonbridge.factors.model import FactorCatalogue, GwpSet
from carbonbridge.factors.service import library_in
from carbonbridge.kernel.clock import utc_now
from carbonbridge.kernel.errors import Conflict
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.settings import Settings, get_settings

log = logging.getLogger(__name__)


def rules_of(settings: Settings) -> DisclosureRules:
    """The installation's rules from its settings (``CARBONBRIDGE_DISCLOSURE_*``)."""
    return DisclosureRules(
        min_reporters=settings.disclosure_min_reporters,
        dominance_n=settings.disclosure_dominance_n,
        dominance_k=settings.disclosure_dominance_k,
        protection_percent=settings.disclosure_protection_percent,
    )


@dataclass(frozen=True)
class RegionalStatement:
    """The stored regional statement under one GWP set: every figure unsuppressed, with the
    suppression pattern to apply for the public (docs/accounting.md). ``stale_since`` is set when
    the figures were built with another factor library (a dataset or pin change, an upgrade) and
    a full rebuild is under way: they are the last complete statement, served meanwhile."""

    header: StoredHeader
    years: tuple[StoredYear, ...]
    stale_since: datetime | None = None


def factors_digest(library: FactorCatalogue) -> str:
    """What of the calculation a statement depends on besides the data: the loaded datasets, the
    pins, and the installed carbonbridge release (a release may change the engine's rules)."""
    refs = sorted({d.ref for d in library.datasets()})
    return hashlib.sha256(repr((refs, tuple(library.pinned), _release())).encode()).hexdigest()


@cache
def _release() -> str:
    try:
        return metadata.version("carbonbridge")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


# --- keeping it current: one organisation's change, in that change's transaction ----------------


def apply_change(session: Session, organisation_ids: Sequence[str] = (), years: Iterable[int] = ()) -> None:
    """Bring the contributions and the stored statement up to date with a change, in the change's
    own transaction (called by every use case that changes what the statement is built from,
    after the change is written and the regional version bumped, which holds the regional lock).

    ``organisation_ids``: organisations whose records changed (their contributions are computed
    again from their current records, every year and GWP set); ``years``: further years whose
    figures changed (statistics). Every year's coverage is refreshed (registrations,
    finalisations and verifications only change coverage). When the contributions were computed
    with another factor library, only the organisations' rows are written: the full rebuild that
    is due writes the statement."""
    library = library_in(session)
    digest = factors_digest(library)
    affected = set(years)
    ids = list(organisation_ids)
    rules = rules_of(get_settings())
    state = store.rebuild_state(session)
    current = state is not None and state.factors == digest
    if ids:
        for organisation_id in ids:
            affected |= store.contribution_years(session, organisation_id)
        old = _rows(store.contribution_rows(session, organisation_ids=ids))
        rows, exclusions = organisation_contributions(session, ids, library)
        store.replace_contributions(session, ids, rows, exclusions)
        affected |= {c.year for c in rows} | {x[1] for x in exclusions}
        if current:
            _update_atoms(session, old, rows)
            _update_summaries(session, ids, old, rows, affected, rules)
    if not current:
        return
    for region in store.statement_regions(session):
        store_statement(session, region, rules, digest, affected)


def _update_atoms(
    session: Session, old: Sequence[OrganisationContribution], new: Sequence[OrganisationContribution]
) -> None:
    """The atom totals after the organisations' rows went from ``old`` to ``new``."""
    deltas: dict[tuple[int, str, str, str, str], list[int]] = {}
    weights: dict[tuple[int, str, str, str, str], str] = {}
    for sign, rows in ((-1, old), (1, new)):
        for c in rows:
            key = (c.year, c.gwp, c.ipcc, c.gpc, c.gas)
            d = deltas.setdefault(key, [0, 0, 0])
            d[0] += sign * c.co2e_mg
            d[1] += sign * c.mass_mg
            d[2] += sign * c.records
            if sign > 0 and c.weight:
                weights[key] = c.weight
    store.add_to_atoms(
        session,
        [(*k, d[0], d[1], d[2], weights.get(k, "")) for k, d in sorted(deltas.items()) if d != [0, 0, 0]],
    )


def _rows(found: Iterable[tuple[object, ...]]) -> list[OrganisationContribution]:
    return [OrganisationContribution(*r) for r in found]  # type: ignore[arg-type]


def _update_summaries(
    session: Session,
    ids: Sequence[str],
    old: Sequence[OrganisationContribution],
    new: Sequence[OrganisationContribution],
    years: set[int],
    rules: DisclosureRules,
) -> None:
    """The cells' summaries after the organisations' rows went from ``old`` to ``new``: each
    changed cell updated from the two amounts; a (year, GWP set) where that cannot be known
    (``contribution.updated``) summarised again from every organisation's rows."""
    summaries = {(r.year, r.gwp, r.cell): _summary(r) for r in store.cell_summary_rows(session, years)}
    changed: dict[CellKey, CellSummary] = {}
    again: set[tuple[int, str]] = set()
    for organisation in ids:
        before = contribution.cell_values(c for c in old if c.organisation_id == organisation)
        after = contribution.cell_values(c for c in new if c.organisation_id == organisation)
        for key in before.keys() | after.keys():
            if key[:2] in again or before.get(key, 0) == after.get(key, 0):
                continue
            was = changed.get(key, summaries.get(key))
            now = contribution.updated(
                was, organisation, before.get(key, 0), after.get(key, 0), need=rules.dominance_n
            )
            if now is None:
                again.add(key[:2])
            else:
                changed[key] = now
    for year, gwp in again:
        _summarise(session, [year], gwp, rules)
    kept = {k: v for k, v in changed.items() if k[:2] not in again}
    store.put_cell_summaries(
        session,
        [_summary_row(k, v) for k, v in kept.items() if v.contributors],
        [k for k, v in kept.items() if not v.contributors],
    )


def _summary(row: store.RegionalCellRow) -> CellSummary:
    largest = tuple((str(o), int(mg)) for o, mg in json.loads(row.largest))
    return CellSummary(row.contributors, row.total_mg, largest)


def _summary_row(key: CellKey, s: CellSummary) -> tuple[int, str, str, int, int, str]:
    return (*key, s.contributors, s.total_mg, json.dumps([list(x) for x in s.largest], ensure_ascii=False))


def _summarise(
    session: Session, years: Iterable[int] | None, gwp: str | None, rules: DisclosureRules
) -> None:
    """The summaries of ``years`` (all) under ``gwp`` (all) from every organisation's rows."""
    wanted = None if years is None else list(years)
    keep = max(contribution.KEEP, rules.dominance_n)
    found = contribution.summaries_of(_rows(store.contribution_rows(session, wanted, gwp=gwp)), keep)
    store.replace_cell_summaries(session, wanted, gwp, [_summary_row(k, v) for k, v in sorted(found.items())])


def summarise_all(session: Session, rules: DisclosureRules) -> None:
    """Every atom's total and every cell's summary from every organisation's rows, one (year, GWP
    set) at a time (the full rebuild, the migration, the benchmark's bulk seeding)."""
    store.sum_atoms(session)
    store.replace_cell_summaries(session, None, None, [])
    for year in sorted(store.contribution_years(session)):
        for g in GwpSet:
            _summarise(session, [year], g.value, rules)


def organisation_contributions(
    session: Session, organisation_ids: Sequence[str], library: FactorCatalogue
) -> tuple[list[OrganisationContribution], list[tuple[str, int, str, str, str, int]]]:
    """The organisations' contribution rows and exclusions, from their current records computed by
    the row-by-row engine under every GWP set (``calculator.compute_each``, as every read)."""
    organisations = store.list_organisations(session, list(organisation_ids))
    records = store.records_of(session, list(organisation_ids))
    return contributions_from(organisations, records, library)


def contributions_from(
    organisations: Sequence[Organisation], records: Sequence[ActivityRecord], library: FactorCatalogue
) -> tuple[list[OrganisationContribution], list[tuple[str, int, str, str, str, int]]]:
    """Contribution rows and exclusions of ``records`` (of ``organisations``) under every GWP set."""
    kinds = {o.id: o.kind for o in organisations}
    rows: list[OrganisationContribution] = []
    exclusions: Counter[tuple[str, int, str, str, str]] = Counter()
    for g in GwpSet:
        emissions, failed = compute_each(records, organisations, library, g)
        by_organisation: dict[str, list[RecordEmissions]] = {}
        for e in emissions:
            by_organisation.setdefault(e.record.organisation_id, []).append(e)
        for organisation_id, own in sorted(by_organisation.items()):
            rows += contributions_of(organisation_id, kinds[organisation_id], own, g.value)
        exclusions.update(
            (x.record.organisation_id, x.record.year, g.value, x.record.activity, x.reason) for x in failed
        )
    return rows, [(*key, n) for key, n in sorted(exclusions.items())]


#: digest of one year's table and the rules -> its pattern: content-addressed, so never stale
#: (spares re-running suppression on years whose figures did not change)
_lock = threading.Lock()
_years: dict[str, dict[str, Withheld]] = {}
_YEARS_KEPT = 256


def _pattern(table: YearTable | None, rules: DisclosureRules) -> dict[str, Withheld]:
    if table is None:
        return {}
    with _lock:
        if len(_years) > _YEARS_KEPT:
            _years.clear()
    return pattern_of(table, rules, _years)


def store_statement(
    session: Session, region: str, rules: DisclosureRules, digest: str, full: set[int] | None
) -> dict[GwpSet, RegionalStatement]:
    """Write the region's statement from the stored contributions: the years in ``full`` (every
    year when ``None``, or when the rules changed) summed again with their suppression pattern,
    the other years' coverage refreshed; returns what it stored."""
    stats = store.region_statistics(session, region)
    existing = {(r.gwp, r.year): r for r in store.regional_statement_rows(session, region)}
    if any(r.rules != repr(rules) or r.factors != digest for r in existing.values()):
        full = None
    years = sorted(store.statement_years(session) | set(stats))
    registered = store.count_organisations(session)
    reporting = store.count_reporting(session)
    done = store.count_statements(session)
    records = store.count_records(session)
    excluded_rows = store.exclusion_rows(session)
    synthetic = store.any_synthetic(session) or any(s[2] for s in stats.values())
    version = store.regional_version(session)
    now = utc_now()
    bodies: dict[GwpSet, list[str]] = {g: [] for g in GwpSet}
    for year in years:
        redo = full is None or year in full or any((g.value, year) not in existing for g in GwpSet)
        contributions = _rows(store.atom_totals(session, year)) if redo else []
        if redo:
            cells = {(r.gwp, r.cell): _summary(r) for r in store.cell_summary_rows(session, [year])}
            if any(len(c.largest) < min(rules.dominance_n, c.contributors) for c in cells.values()):
                for g in GwpSet:  # the rule now reads more of the largest amounts than were kept
                    _summarise(session, [year], g.value, rules)
                cells = {(r.gwp, r.cell): _summary(r) for r in store.cell_summary_rows(session, [year])}
            pattern = _pattern(contribution.summary_year_table(contributions, cells), rules)
        else:
            pattern = {}
        for g in GwpSet:
            excluded = sum(n for gw, y, _, _, n in excluded_rows if gw == g.value and y == year)
            coverage = Coverage(
                year,
                registered,
                reporting.get(year, 0),
                done.get((year, "finalised"), 0),
                done.get((year, "verified"), 0),
                records.get(year, 0),
                excluded,
            )
            if redo:
                own = [c for c in contributions if c.gwp == g.value]
                figures = contribution.regional_year(
                    year,
                    own,
                    population=Decimal(stats[year][0]) if year in stats else None,
                    gdp_10k_cny=stats[year][1] if year in stats else None,
                )
                body = encode_year(figures, contribution.co_pollutants(year, own), pattern, coverage)
            else:
                was = decode_year(existing[(g.value, year)].body)
                body = encode_year(was.figures, was.co_pollutants, was.withheld, coverage)
            bodies[g].append(body)
    rows: list[store.RegionalStatementRow] = []
    built: dict[GwpSet, RegionalStatement] = {}
    for g in GwpSet:
        groups = tuple(sorted((y, a, n, why) for gw, y, a, why, n in excluded_rows if gw == g.value))
        header = encode_header(synthetic, sum(records.values()), groups)
        rows.append(_row(region, g, 0, header, version, digest, rules, now))
        rows += [
            _row(region, g, y, b, version, digest, rules, now) for y, b in zip(years, bodies[g], strict=True)
        ]
        built[g] = RegionalStatement(decode_header(header), tuple(decode_year(b) for b in bodies[g]))
    store.replace_regional_statement(session, region, rows)
    return built


def _row(
    region: str,
    g: GwpSet,
    year: int,
    body: str,
    version: int,
    digest: str,
    rules: DisclosureRules,
    now: datetime,
) -> store.RegionalStatementRow:
    return store.RegionalStatementRow(
        region=region,
        gwp=g.value,
        year=year,
        version=version,
        factors=digest,
        rules=repr(rules),
        body=body,
        built_at=now,
    )


# --- the full rebuild: only for changes that affect everybody ----------------------------------

#: organisations computed per transaction of a full rebuild (each holds the regional lock)
REBUILD_CHUNK = 500
#: a rebuild whose owner has not reported for this long is taken over (its process died)
REBUILD_LEASE = timedelta(minutes=10)

rebuilding = threading.Lock()
_worker: threading.Thread | None = None
_worker_lock = threading.Lock()


def rebuild_regional_statement(
    sessions: sessionmaker[Session],
    region: str,
    rules: DisclosureRules,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> dict[GwpSet, RegionalStatement]:
    """Compute every organisation's contributions again with the current factor library, then
    the region's statement from them, and store both. One rebuild at a time across processes
    (claimed in ``regional_rebuild``; :class:`RebuildRunning` when another holds it). Organisations
    are computed :data:`REBUILD_CHUNK` at a time, each chunk in its own transaction holding the
    regional lock, so uploads go on meanwhile (each writes its own organisation's rows; the
    statement stays the last complete one, marked stale, until the last step). ``progress(done,
    total)`` is called after each chunk. Returns what it stored."""
    owner = uuid.uuid4().hex
    now = utc_now()
    with unit_of_work(sessions) as session:
        if not store.claim_rebuild(session, owner, now, now - REBUILD_LEASE):
            state = store.rebuild_state(session)
            since = state.started_at if state is not None else None
            raise RebuildRunning(f"the regional statement is being rebuilt by another process since {since}")
    done = False
    try:
        with unit_of_work(sessions) as session:
            library = library_in(session)
            digest = factors_digest(library)
            ids = store.organisation_ids(session)
        for start in range(0, len(ids), REBUILD_CHUNK):
            chunk = ids[start : start + REBUILD_CHUNK]
            with unit_of_work(sessions) as session:
                store.lock_regional(session)
                rows, exclusions = organisation_contributions(session, chunk, library)
                store.replace_contributions(session, chunk, rows, exclusions)
                store.heartbeat_rebuild(session, owner, utc_now())
            if progress is not None:
                progress(min(start + REBUILD_CHUNK, len(ids)), len(ids))
        with unit_of_work(sessions) as session:
            store.lock_regional(session)
            if factors_digest(library_in(session)) != digest:
                raise Conflict("the factor library changed during the regional rebuild; run it again")
            new = set(store.organisation_ids(session)) - set(ids)
            if new:  # registered meanwhile without records contributes nothing; with records, by its change
                rows, exclusions = organisation_contributions(session, sorted(new), library)
                store.replace_contributions(session, sorted(new), rows, exclusions)
            summarise_all(session, rules)
            built = store_statement(session, region, rules, digest, None)
            store.finish_rebuild(session, owner, digest, utc_now())
            done = True
        return built
    finally:
        if not done:
            with unit_of_work(sessions) as session:
                store.finish_rebuild(session, owner, None, utc_now())


def start_background_rebuild(sessions: sessionmaker[Session], region: str, rules: DisclosureRules) -> None:
    """Start a full rebuild in a daemon thread of this process unless one runs here already (the
    database guard refuses it when another process runs one)."""
    global _worker
    with _worker_lock:
        if _worker is not None and _worker.is_alive():
            return

        def run() -> None:
            try:
                with rebuilding:
                    rebuild_regional_statement(sessions, region, rules)
            except RebuildRunning:
                pass
            except Exception:  # a background thread has no caller to raise to: log it, keep serving
                log.exception("the regional rebuild failed; the last complete statement is served")

        _worker = threading.Thread(target=run, name="regional-rebuild", daemon=True)
        _worker.start()


def wait_for_rebuild(timeout: float | None = None) -> bool:
    """Wait for this process's background rebuild, if any; true when none is running (tests, CLI)."""
    worker = _worker
    if worker is not None:
        worker.join(timeout)
        return not worker.is_alive()
    return True


def backfill(session: Session) -> None:
    """Compute every organisation's contributions in ``session``'s transaction and sum each stored
    region's statement again from them (migration 0016). Nothing to do on an empty database."""
    ids = store.organisation_ids(session)
    library = library_in(session)
    digest = factors_digest(library)
    for start in range(0, len(ids), REBUILD_CHUNK):
        chunk = ids[start : start + REBUILD_CHUNK]
        rows, exclusions = organisation_contributions(session, chunk, library)
        store.replace_contributions(session, chunk, rows, exclusions)
    owner = "migration-0016"
    now = utc_now()
    store.claim_rebuild(session, owner, now, now)
    rules = rules_of(get_settings())
    summarise_all(session, rules)
    for region in store.statement_regions(session):
        store_statement(session, region, rules, digest, None)
    store.finish_rebuild(session, owner, digest, now)
