"""Use case: the regional inventory released to a caller, under disclosure control.

The public (and every role but the regulator and the administrator) gets the *masked* release:
figures that would disclose one organisation, and those withheld so that they cannot be derived
by subtraction, are ``None`` and marked ``confidential``. The regulator and the administrator get
every figure, each marked with what the public does not see and why. One suppression pattern per
year serves every GWP set, since the public can ask for all three (docs/accounting.md,
"Disclosure control"). Every face (REST, web, CLI) calls :func:`regional_release`; none reads the
unprotected inventory for the public.

The figures are read from the **stored statement** (``store.RegionalStatementRow``: per GWP set
and year, with the suppression pattern and the coverage), never recomputed per request. It is
current while the database's regional version, the factor library (datasets and pins) and the
rules are those it was built with; every change to what it is built from adds one to the version
in its own transaction, so no server process serves a stale statement. A stale one is rebuilt by
:func:`rebuild_regional_statement` on the next read (docs/accounting.md, "The stored regional
statement").
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import metadata

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import service, store
from carbonbridge.accounting.coverage import Coverage
from carbonbridge.accounting.disclosure import DisclosureRules, Withheld
from carbonbridge.accounting.publication import RegionalRelease, ReleasedYear, protect, release_year
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
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.platform.settings import Settings

#: roles that see the regional inventory unsuppressed
UNSUPPRESSED_ROLES = frozenset({Role.REGULATOR, Role.ADMIN})


@dataclass(frozen=True)
class ReleaseResult:
    """What a face renders: the release and the facts about the data behind it."""

    release: RegionalRelease
    region: str
    synthetic: bool
    gwp: GwpSet
    record_count: int
    #: current records the engine cannot compute now, grouped (no organisation, no quantity):
    #: every figure excludes them (docs/accounting.md, "Computability")
    not_computable: tuple[service.NotComputableGroup, ...] = ()
    #: how many records every figure excludes
    excluded_records: int = 0


def rules_of(settings: Settings) -> DisclosureRules:
    """The installation's rules from its settings (``CARBONBRIDGE_DISCLOSURE_*``)."""
    return DisclosureRules(
        min_reporters=settings.disclosure_min_reporters,
        dominance_n=settings.disclosure_dominance_n,
        dominance_k=settings.disclosure_dominance_k,
        protection_percent=settings.disclosure_protection_percent,
    )


def sees_unsuppressed(principal: Principal) -> bool:
    return principal.role in UNSUPPRESSED_ROLES


def require_unsuppressed(principal: Principal) -> None:
    """Refuse anyone but the regulator and administrators an explicitly unsuppressed release."""
    principal.require(Role.REGULATOR)


def regional_release(
    sessions: sessionmaker[Session],
    principal: Principal,
    region: str,
    gwp: GwpSet,
    rules: DisclosureRules,
    *,
    year: int | None = None,
) -> ReleaseResult:
    """The territory's inventory per year (or ``year`` only) as ``principal`` may see it (public:
    masked), each year with its coverage; read from the stored statement."""
    statement = regional_statement(sessions, region, gwp, rules)
    masked = not sees_unsuppressed(principal)
    years = tuple(
        release_year(s.figures, s.co_pollutants, s.withheld, masked=masked, coverage=s.coverage)
        for s in statement.years
        if year is None or s.figures.year == year
    )
    release = RegionalRelease(region, masked, rules, years)
    groups = tuple(service.NotComputableGroup(y, a, n, why) for y, a, n, why in statement.header.excluded)
    return ReleaseResult(
        release,
        region,
        statement.header.synthetic,
        gwp,
        statement.header.record_count,
        groups,
        sum(g.records for g in groups),
    )


def regional_year(
    sessions: sessionmaker[Session],
    principal: Principal,
    region: str,
    year: int,
    gwp: GwpSet,
    rules: DisclosureRules,
) -> ReleasedYear | None:
    """One year's released figures and coverage (``None`` when the year has neither records nor
    statistics): what the home page shows."""
    found = regional_release(sessions, principal, region, gwp, rules, year=year).release.years
    return found[0] if found else None


@dataclass(frozen=True)
class RegionalStatement:
    """The stored regional statement under one GWP set: every figure unsuppressed, with the
    suppression pattern to apply for the public (docs/accounting.md)."""

    header: StoredHeader
    years: tuple[StoredYear, ...]


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


def regional_statement(
    sessions: sessionmaker[Session], region: str, gwp: GwpSet, rules: DisclosureRules
) -> RegionalStatement:
    """The stored statement when it is current (same data version, factor library and rules);
    otherwise rebuilt (and stored) first. One rebuild at a time per process: requests that find
    the statement stale while another thread rebuilds it wait and then read what it stored."""
    current = _current(sessions, region, gwp, rules)
    if current is not None:
        return current
    with _rebuilding:
        current = _current(sessions, region, gwp, rules)
        if current is not None:
            return current
        return rebuild_regional_statement(sessions, region, rules)[gwp]


_rebuilding = threading.Lock()


def _current(
    sessions: sessionmaker[Session], region: str, gwp: GwpSet, rules: DisclosureRules
) -> RegionalStatement | None:
    with unit_of_work(sessions) as session:
        version = store.regional_version(session)
        digest = factors_digest(library_in(session))
        rows = store.regional_statement_rows(session, region, gwp.value)
    if rows and all(r.version == version and r.factors == digest and r.rules == repr(rules) for r in rows):
        return _decoded(rows)
    return None


def _decoded(rows: list[store.RegionalStatementRow]) -> RegionalStatement:
    header = next(r for r in rows if r.year == 0)
    years = tuple(decode_year(r.body) for r in sorted(rows, key=lambda r: r.year) if r.year != 0)
    return RegionalStatement(decode_header(header.body), years)


class _Stale(Exception):
    """The data changed while the statement was being built: do not store it."""


#: digest of one year's table and the rules -> its pattern: content-addressed, so never stale
#: (spares re-running suppression on past years when only this year's data changed)
_lock = threading.Lock()
_years: dict[str, dict[str, Withheld]] = {}
_YEARS_KEPT = 256


def rebuild_regional_statement(
    sessions: sessionmaker[Session], region: str, rules: DisclosureRules
) -> dict[GwpSet, RegionalStatement]:
    """Build the regional statement of every GWP set from every current record (the row-by-row
    engine), with one suppression pattern per year for all of them and each year's coverage,
    and store it unless the data changed meanwhile. Returns what it built."""
    with unit_of_work(sessions) as session:
        # the version first: data read after it are at least as new, so a stored statement is
        # never older than the version it is labelled with
        version = store.regional_version(session)
        data = service.regional_data(session, region)
        reporting = store.count_reporting(session)
        done = store.count_statements(session)
    digest = factors_digest(data.resolver)
    results = {g: service.regional_of(data, g) for g in GwpSet}
    kinds = {o.id: o.kind for o in data.organisations}
    with _lock:
        if len(_years) > _YEARS_KEPT:
            _years.clear()
    pattern = protect({g.value: results[g].emissions for g in GwpSet}, kinds, rules, _years)
    records = Counter(r.year for r in data.records)
    built: dict[GwpSet, RegionalStatement] = {}
    rows: list[store.RegionalStatementRow] = []
    now = utc_now()

    def row(g: GwpSet, year: int, body: str) -> store.RegionalStatementRow:
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

    for g, result in results.items():
        excluded = Counter(x.record.year for x in result.not_computable)
        groups = tuple(
            (x.year, x.activity, x.records, x.reason)
            for x in service.not_computable_groups(result.not_computable)
        )
        header = encode_header(result.synthetic, result.record_count, groups)
        bodies = []
        for y in result.inventory.years:
            coverage = Coverage(
                y.year,
                len(data.organisations),
                reporting.get(y.year, 0),
                done.get((y.year, "finalised"), 0),
                done.get((y.year, "verified"), 0),
                records.get(y.year, 0),
                excluded.get(y.year, 0),
            )
            bodies.append(
                encode_year(y, result.co_pollutants.get(y.year, {}), pattern.get(y.year, {}), coverage)
            )
        rows += [
            row(g, 0, header),
            *(row(g, y.year, b) for y, b in zip(result.inventory.years, bodies, strict=True)),
        ]
        built[g] = RegionalStatement(decode_header(header), tuple(decode_year(b) for b in bodies))
    try:
        with unit_of_work(sessions) as session:
            # the write first: on SQLite it takes the write lock before the version is compared
            store.replace_regional_statement(session, region, rows)
            if store.regional_version(session) != version or factors_digest(library_in(session)) != digest:
                raise _Stale
    except (_Stale, IntegrityError):
        pass  # changed meanwhile, or another process stored this version first: serve what was built
    return built
