"""Use case: the figures of the home page, each read through the service of the context that owns
it, as the caller may see them.

* the regional totals of the latest year with activity data, from the regional inventory *as
  released* to the caller (``accounting.service.release``: the public gets the masked release, so no
  figure discloses one reporter; issue 9 §4), with coverage: how many registered organisations
  reported for that year (``accounting.service.roster``);
* the reporting status of that year: counts for everyone; the stage and totals of each
  organisation only for the regulator and administrators (the first page of the roster), and a
  reporter's own organisation for that reporter (DESIGN.md, Security);
* the registry's tonnes issued and retired (public figures, ``registry.reads.conservation``);
* the transparency log's latest checkpoint: size, root hash, signing time (``ledger.service``).

Nothing here writes; every read is scoped by the service it calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting.service import release, roster
from carbonbridge.accounting.service.release import ReleasedYear
from carbonbridge.accounting.service.roster import ReportingStatus, RosterLine, RosterPage
from carbonbridge.factors.model import GwpSet
from carbonbridge.ledger import service as ledger
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.platform.settings import Settings
from carbonbridge.registry import reads
from carbonbridge.registry.model import UnitState

#: organisations of the roster shown on the regulator's home page (the rest: the organisations page)
HOME_ROSTER_LINES = 10


@dataclass(frozen=True)
class RegionalFigures:
    """One year of the regional inventory as released to the caller (withheld figures are
    ``None`` in the public copy) and the coverage of that year's reporting."""

    year: int
    released: ReleasedYear | None
    masked: bool
    synthetic: bool
    status: ReportingStatus
    #: set while a full rebuild runs: the figures are the last complete statement's
    stale_since: datetime | None = None


@dataclass(frozen=True)
class RegistryFigures:
    """Tonnes CO2e issued and retired in the registry, over every project and vintage."""

    issued_t: int
    retired_t: int
    projects: int


@dataclass(frozen=True)
class HomeFigures:
    regional: RegionalFigures | None
    #: the regulator's view: the first page of the roster (``None`` for everyone else)
    roster: RosterPage | None
    #: a reporter's own organisation on the roster (``None`` for everyone else)
    own: RosterLine | None
    registry: RegistryFigures
    checkpoint: ledger.CheckpointSummary


def regional_release(
    sessions: sessionmaker[Session], principal: Principal, settings: Settings
) -> release.ReleaseResult:
    """The regional inventory as released to ``principal`` (the one call of the home page, so
    that a stored regional statement can replace it in one place)."""
    return release.regional_release(
        sessions, principal, settings.region, GwpSet.AR6, release.rules_of(settings)
    )


def _regional(
    sessions: sessionmaker[Session], principal: Principal, settings: Settings
) -> RegionalFigures | None:
    year = roster.latest_year(sessions)
    if year is None:
        return None
    result = regional_release(sessions, principal, settings)
    released = next((y for y in result.release.years if y.year == year), None)
    return RegionalFigures(
        year,
        released,
        result.release.masked,
        result.synthetic,
        roster.reporting_status(sessions, year),
        result.stale_since,
    )


def stale_note(lang: str, since: datetime) -> str:
    """The regional page's note on figures being recomputed, in ``lang``."""
    return release.stale_note(lang, since)


def _registry(sessions: sessionmaker[Session]) -> RegistryFigures:
    tallies = reads.conservation(sessions)
    issued = sum(t.issued for t in tallies)
    retired = sum(t.by_state.get(UnitState.RETIRED, 0) for t in tallies)
    return RegistryFigures(issued, retired, len({t.project_id for t in tallies}))


def home(sessions: sessionmaker[Session], principal: Principal, settings: Settings) -> HomeFigures:
    """Every figure of the home page as ``principal`` may see it."""
    regional = _regional(sessions, principal, settings)
    page = own = None
    if regional is not None and principal.role in (Role.REGULATOR, Role.ADMIN):
        page = roster.roster(sessions, principal, year=regional.year, per_page=HOME_ROSTER_LINES)
    elif regional is not None and principal.role is Role.REPORTER:
        lines = roster.roster(sessions, principal, year=regional.year).lines
        own = lines[0] if lines else None
    return HomeFigures(regional, page, own, _registry(sessions), ledger.checkpoint_summary(sessions))
