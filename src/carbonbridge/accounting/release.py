"""Use case: the regional inventory released to a caller, under disclosure control.

The public (and every role but the regulator and the administrator) gets the *masked* release:
figures that would disclose one organisation, and those withheld so that they cannot be derived
by subtraction, are ``None`` and marked ``confidential``. The regulator and the administrator get
every figure, each marked with what the public does not see and why. One suppression pattern per
year serves every GWP set, since the public can ask for all three (docs/accounting.md,
"Disclosure control"). Every face (REST, web, CLI) calls :func:`regional_release`; none reads the
unprotected inventory for the public.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import service
from carbonbridge.accounting.disclosure import DisclosureRules, Withheld
from carbonbridge.accounting.publication import RegionalRelease, protect, release_year
from carbonbridge.factors.model import GwpSet
from carbonbridge.kernel.errors import Conflict
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
    sessions: sessionmaker[Session], principal: Principal, region: str, gwp: GwpSet, rules: DisclosureRules
) -> ReleaseResult:
    """The territory's inventory per year as ``principal`` may see it (public: masked)."""
    chosen = service.regional(sessions, region, gwp)
    pattern = _pattern(sessions, region, gwp, chosen, rules)
    masked = not sees_unsuppressed(principal)
    years = tuple(
        release_year(y, chosen.co_pollutants.get(y.year, {}), pattern.get(y.year, {}), masked=masked)
        for y in chosen.inventory.years
    )
    release = RegionalRelease(chosen.inventory.territory, masked, rules, years)
    groups = tuple(service.not_computable_groups(chosen.not_computable))
    return ReleaseResult(
        release, chosen.region, chosen.synthetic, gwp, chosen.record_count, groups, len(chosen.not_computable)
    )


_lock = threading.Lock()
#: (region, rules) -> (the regional result of each GWP set it was computed from, year -> cell -> why)
_patterns: dict[
    tuple[str, DisclosureRules],
    tuple[Mapping[GwpSet, service.RegionalResult], dict[int, dict[str, Withheld]]],
] = {}
#: digest of one year's table and the rules -> its pattern (years whose data did not change)
_years: dict[str, dict[str, Withheld]] = {}
_YEARS_KEPT = 256


def _pattern(
    sessions: sessionmaker[Session],
    region: str,
    gwp: GwpSet,
    chosen: service.RegionalResult,
    rules: DisclosureRules,
) -> dict[int, dict[str, Withheld]]:
    """The suppression pattern of each year, from the inventories of every GWP set together.

    ``service.regional`` caches one result per GWP set and state of the data, so the result's
    identity is its version: the pattern is recomputed only when the result changes.
    """
    with _lock:
        cached = _patterns.get((region, rules))
    if cached is not None and cached[0].get(gwp) is chosen:
        return cached[1]
    results = {g: chosen if g is gwp else service.regional(sessions, region, g) for g in GwpSet}
    if len({tuple(sorted(e.record.id for e in r.emissions)) for r in results.values()}) > 1:
        # data arrived between the reads: these are not one release; never mix them
        raise Conflict("the activity data changed while the regional inventory was read; please retry")
    with _lock:
        if len(_years) > _YEARS_KEPT:
            _years.clear()
    pattern = protect({g.value: results[g].emissions for g in GwpSet}, chosen.kinds, rules, _years)
    with _lock:
        _patterns[(region, rules)] = (results, pattern)
    return pattern
