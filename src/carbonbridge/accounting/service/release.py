"""Use case: the regional inventory released to a caller, under disclosure control.

The public (and every role but the regulator and the administrator) gets the *masked* release:
figures that would disclose one organisation, and those withheld so that they cannot be derived
by subtraction, are ``None`` and marked ``confidential``. The regulator and the administrator get
every figure, each marked with what the public does not see and why. One suppression pattern per
year serves every GWP set, since the public can ask for all three (docs/accounting.md,
"Disclosure control"). Every face (REST, web, CLI) calls :func:`regional_release`; none reads the
unprotected inventory for the public.

The figures are read from the **stored statement** (``store.RegionalStatementRow``: per GWP set
and year, with the suppression pattern and the coverage), never recomputed per request. Every
change to what it is built from updates it in the change's own transaction (``upkeep``: each
organisation's contributions, the statement summed from them), so every server process reads
the same current statement. After a factor dataset or pin change (which changes everybody's
figures) the last complete statement is served marked stale (``stale_since``) while a full
rebuild runs outside the request (docs/accounting.md, "The stored regional statement").
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import service, store
from carbonbridge.accounting.disclosure import DisclosureRules
from carbonbridge.accounting.errors import RebuildRunning
from carbonbridge.accounting.publication import (
    RegionalRelease,
    ReleasedYear,
    release_year,
)
from carbonbridge.accounting.service import upkeep
from carbonbridge.accounting.service.upkeep import (
    RegionalStatement,
    apply_change,
    backfill,
    factors_digest,
    rebuild_regional_statement,
    rules_of,
    start_background_rebuild,
    wait_for_rebuild,
)
from carbonbridge.accounting.stored_statement import (
    decode_header,
    decode_year,
)
from carbonbridge.factors.model import GwpSet
from carbonbridge.factors.service import library_in
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Principal, Role

__all__ = [
    "RebuildRunning",
    "RegionalRelease",
    "RegionalStatement",
    "ReleaseResult",
    "ReleasedYear",
    "apply_change",
    "backfill",
    "factors_digest",
    "rebuild_regional_statement",
    "regional_release",
    "regional_statement",
    "regional_year",
    "rules_of",
    "stale_note",
    "wait_for_rebuild",
]

#: shown beside a statement served while a full rebuild runs (zh in ``locale/zh/.../regional.po``)
STALE_NOTE = (
    "Figures being recomputed since {since}: the factor datasets or pins changed, so every "
    "organisation's figures are computed again. Shown here: the last complete statement, until "
    "the rebuild finishes."
)

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
    #: set while a full rebuild runs: the figures are the last complete statement, from then
    stale_since: datetime | None = None


def stale_note(lang: str, since: datetime) -> str:
    """:data:`STALE_NOTE` in ``lang`` (zh or en), the time in UTC to the minute."""
    from carbonbridge.platform import i18n

    return i18n.gettext(lang, STALE_NOTE).format(since=since.strftime("%Y-%m-%d %H:%M UTC"))


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
        statement.stale_since,
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


# --- reading ------------------------------------------------------------------------------------


def regional_statement(
    sessions: sessionmaker[Session], region: str, gwp: GwpSet, rules: DisclosureRules
) -> RegionalStatement:
    """The stored statement. Every change to the data keeps it current in its own transaction
    (:func:`apply_change`), so a read only reads. Two cases are not incremental:

    * the factor library changed (a dataset, a pin, an upgrade: it changes every organisation's
      figures): the last complete statement is served marked stale (``stale_since``) while a full
      rebuild runs in a background thread (one at a time, guarded in the database);
    * no statement is stored yet, or the rules changed: built now (from the contributions when
      they are current, else by a full rebuild: nothing else could be served).
    """
    with unit_of_work(sessions) as session:
        digest = factors_digest(library_in(session))
        state = store.rebuild_state(session)
        rows = store.regional_statement_rows(session, region, gwp.value)
    contributions_current = state is not None and state.factors == digest
    if rows and all(r.factors == digest and r.rules == repr(rules) for r in rows) and contributions_current:
        return _decoded(rows)
    if rows and not contributions_current:
        since = state.started_at if state is not None and state.started_at is not None else None
        start_background_rebuild(sessions, region, rules)
        return dataclasses.replace(_decoded(rows), stale_since=since or min(r.built_at for r in rows))
    if contributions_current:
        with unit_of_work(sessions) as session:
            store.lock_regional(session)
            built = upkeep.store_statement(session, region, rules, digest, None)
        return built[gwp]
    with upkeep.rebuilding:
        return rebuild_regional_statement(sessions, region, rules)[gwp]


def _decoded(rows: list[store.RegionalStatementRow]) -> RegionalStatement:
    header = next(r for r in rows if r.year == 0)
    years = tuple(decode_year(r.body) for r in sorted(rows, key=lambda r: r.year) if r.year != 0)
    return RegionalStatement(decode_header(header.body), years)
