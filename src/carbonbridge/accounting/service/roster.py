"""Use cases: the organisations roster and the region's reporting status for a year.

An organisation's reporting stage for a year is the furthest it has reached: *not reported* (no
current activity records), *reported* (activity data submitted), *finalised* (the year's
inventory is fixed, ``statements.finalise``), *verified* (a verifier recorded an ISO 14064-3
opinion on it, ``statements.verify``). A reopened year counts only the statements of its current
revision (``docs/accounting.md``, Corrections).

Who sees what (DESIGN.md, Security): the counts per stage are public (they name no organisation
and carry no figure); the roster lists every organisation, with its stage and totals, to the
regulator, verifiers and administrators, and a reporter its own organisation only. Search and
paging run in the database, so a page costs the same whatever the region's size; only the page's
organisations are computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from carbonbridge.accounting import service, store
from carbonbridge.accounting.model import Organisation
from carbonbridge.factors.model import GwpSet
from carbonbridge.factors.service import library_in
from carbonbridge.kernel.errors import FieldIssue, InvalidInput
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Principal, Role

#: organisations on one page unless the caller asks for another size, and the most it may ask for
PER_PAGE = 20
MAX_PER_PAGE = 100
#: the longest search text accepted (names are at most 300 characters; a search is a fragment)
MAX_QUERY = 100
#: reporting years a caller may ask for (as every year parameter of the accounting faces)
FIRST_YEAR, LAST_YEAR = 1990, 2100


class Stage(StrEnum):
    """How far an organisation's inventory for a year has come (each stage implies the ones before)."""

    NOT_REPORTED = "not reported"
    REPORTED = "reported"
    FINALISED = "finalised"
    VERIFIED = "verified"


@dataclass(frozen=True)
class RosterLine:
    """One organisation on the roster: its stage for the year and its totals (kg CO2e, ``None``
    when it has no activity data for the year)."""

    organisation: Organisation
    stage: Stage
    records: int
    #: GHG Protocol headline total (Scope 1, Scope 2 location-based and reported Scope 3)
    ghgp_co2e_kg: Decimal | None
    #: the China MEE enterprise guideline total (CO2 only)
    cn_mee_co2e_kg: Decimal | None
    #: records the engine cannot compute now; both totals exclude them
    not_computable: int


@dataclass(frozen=True)
class RosterPage:
    """One page of the roster, with what was asked for and how many organisations match."""

    year: int
    gwp: GwpSet
    query: str
    page: int
    per_page: int
    total: int
    lines: tuple[RosterLine, ...]

    @property
    def pages(self) -> int:
        """Pages in all (1 when nothing matches, so that page 1 always exists)."""
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class ReportingStatus:
    """The region's reporting status for a year: organisations registered and how many reached
    each stage (``finalised`` counts the verified too; ``reported`` counts every one with data)."""

    year: int
    organisations: int
    reported: int
    finalised: int
    verified: int

    @property
    def coverage_percent(self) -> Decimal | None:
        """Reporting organisations as a share of the registered ones, to 0.1 % (half-even)."""
        if self.organisations == 0:
            return None
        return (Decimal(100) * self.reported / self.organisations).quantize(Decimal("0.1"))


def _stage(records: int, kinds: set[str]) -> Stage:
    if "verified" in kinds:
        return Stage.VERIFIED
    if "finalised" in kinds:
        return Stage.FINALISED
    return Stage.REPORTED if records else Stage.NOT_REPORTED


def check_year(year: int) -> None:
    """Refuse a reporting year outside 1990–2100 (every accounting face takes the same range)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(
            "invalid year", [FieldIssue(("year",), year, f"a year from {FIRST_YEAR} to {LAST_YEAR}")]
        )


def _check_page(query: str, page: int, per_page: int) -> None:
    issues = []
    if len(query) > MAX_QUERY:
        issues.append(FieldIssue(("q",), query[:20] + "…", f"at most {MAX_QUERY} characters"))
    if "\x00" in query:
        issues.append(FieldIssue(("q",), query.replace("\x00", "\\0")[:20], "no NUL character"))
    if page < 1:
        issues.append(FieldIssue(("page",), page, "1 or more"))
    if not 1 <= per_page <= MAX_PER_PAGE:
        issues.append(FieldIssue(("per_page",), per_page, f"from 1 to {MAX_PER_PAGE}"))
    if issues:
        raise InvalidInput("invalid roster request", issues)


def roster(
    sessions: service.SessionFactory,
    principal: Principal,
    *,
    year: int,
    gwp: GwpSet = GwpSet.AR6,
    query: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> RosterPage:
    """The organisations ``principal`` may see whose id or name contains ``query``, page ``page``,
    each with its stage and totals for ``year``. A page past the last is refused (422), naming
    the last page."""
    principal.require(Role.REGULATOR, Role.VERIFIER, Role.REPORTER)
    query = query.strip()
    check_year(year)
    _check_page(query, page, per_page)
    scope = None if principal.can_see_all_organisations() else [principal.organisation_id or ""]
    with unit_of_work(sessions) as session:
        found, total = store.organisations_page(session, query, scope, (page - 1) * per_page, per_page)
        ids = [o.id for o in found]
        counts = store.record_counts(session, year, ids)
        kinds = store.statement_kinds_in_force(session, year, ids)
        records = store.records_of(session, [i for i in ids if counts.get(i)], [year])
        resolver = library_in(session)
    last = max(1, -(-total // per_page))
    if page > last:
        raise InvalidInput("no such page", [FieldIssue(("page",), page, f"the last page is {last}")])
    lines = []
    for organisation in found:
        mine = [r for r in records if r.organisation_id == organisation.id]
        ghgp = mee = None
        failed = 0
        if mine:
            emissions, not_computable = service.compute_each(mine, [organisation], resolver, gwp)
            g, _, m, _, _ = service.views(organisation, emissions)
            ghgp, mee, failed = g.total_co2e_kg, m.total_co2e_kg, len(not_computable)
        count = counts.get(organisation.id, 0)
        lines.append(
            RosterLine(
                organisation, _stage(count, kinds.get(organisation.id, set())), count, ghgp, mee, failed
            )
        )
    return RosterPage(year, gwp, query, page, per_page, total, tuple(lines))


def reporting_status(sessions: service.SessionFactory, year: int) -> ReportingStatus:
    """How many organisations reported, finalised and were verified for ``year`` (public)."""
    check_year(year)
    with unit_of_work(sessions) as session:
        organisations = store.count_organisations(session)
        counts = store.record_counts(session, year)
        kinds = store.statement_kinds_in_force(session, year)
    reported = set(counts) | set(kinds)
    finalised = {o for o, k in kinds.items() if k & {"finalised", "verified"}}
    verified = {o for o, k in kinds.items() if "verified" in k}
    return ReportingStatus(year, organisations, len(reported), len(finalised), len(verified))


def own_stage(
    sessions: service.SessionFactory, principal: Principal, organisation_id: str, year: int
) -> Stage:
    """``organisation_id``'s stage for ``year``: for the regulator, verifiers, administrators and
    the organisation's own reporters."""
    principal.require(Role.REGULATOR, Role.VERIFIER, Role.REPORTER)
    principal.require_organisation(organisation_id)
    check_year(year)
    with unit_of_work(sessions) as session:
        count = store.record_counts(session, year, [organisation_id]).get(organisation_id, 0)
        kinds = store.statement_kinds_in_force(session, year, [organisation_id]).get(organisation_id, set())
    return _stage(count, kinds)


def latest_year(sessions: service.SessionFactory) -> int | None:
    """The latest year with current activity data (public: a year, no figure)."""
    with unit_of_work(sessions) as session:
        years = store.years_with_data(session)
    return years[-1] if years else None


def years(sessions: service.SessionFactory) -> list[int]:
    """Every year with current activity data, ascending (public)."""
    with unit_of_work(sessions) as session:
        return store.years_with_data(session)
