"""How the platform computes a stored record: each organisation's combustion sector, the region's
pinned datasets searched first (``docs/accounting.md``, "One answer, whatever the surface").

Intake's computability screen, every read (``service``) and the regional contributions
(``upkeep``) use these functions, so that all of them compute a record the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from carbonbridge.accounting.calculation import DEFAULT_SOURCES, Sources
from carbonbridge.accounting.computability import Calculate, partition
from carbonbridge.accounting.engine import SECTOR_BY_KIND, calculate
from carbonbridge.accounting.model import (
    ActivityRecord,
    NotComputable,
    Organisation,
    OrganisationKind,
    RecordEmissions,
)
from carbonbridge.factors.model import FactorCatalogue, FactorResolver, GwpSet

__all__ = ["calculator", "compute", "compute_each", "sector_of", "sources_for"]


def sector_of(kind: OrganisationKind) -> str:
    """IPCC 2006 Vol.2 Ch.2 stationary-combustion sector of an organisation kind (CH4/N2O)."""
    return SECTOR_BY_KIND[kind]


def sources_for(pinned: Sequence[str], loaded: Sequence[str]) -> tuple[Sources, tuple[str, ...]]:
    """The engine's dataset search order with the region's pinned datasets first.

    A pinned dataset outranks the defaults of every path it publishes for (grid factors,
    combustion parameters, per-unit factors); the defaults stay behind it so that what the pinned
    set does not cover still resolves. Returns the sources and the ``datasets`` order for the
    per-unit paths (empty: every loaded dataset, when nothing is pinned).
    """
    pins = tuple(pinned)
    if not pins:
        return DEFAULT_SOURCES, ()
    d = DEFAULT_SOURCES
    sources = replace(
        d,
        ipcc_energy=pins + d.ipcc_energy,
        mee_fuel=pins + d.mee_fuel,
        density=pins + d.density,
        grid_location=pins + d.grid_location,
    )
    rest = tuple(ref for ref in loaded if ref not in pins)
    return sources, pins + rest


def calculator(resolver: FactorResolver, organisations: Sequence[Organisation]) -> Calculate:
    """How the platform computes one record of ``organisations`` under a GWP set: each
    organisation's combustion sector, the region's pinned datasets searched first. Intake's
    computability screen and every read use this one function."""
    sectors = {o.id: sector_of(o.kind) for o in organisations}
    pinned: tuple[str, ...] = getattr(resolver, "pinned", ())
    loaded = [d.id for d in resolver.datasets()] if isinstance(resolver, FactorCatalogue) else []
    sources, datasets = sources_for(pinned, list(dict.fromkeys(loaded)))

    def one(record: ActivityRecord, gwp: GwpSet) -> RecordEmissions:
        sector = sectors.get(record.organisation_id)
        return calculate(record, resolver, gwp, sector=sector, sources=sources, datasets=datasets)

    return one


def compute(
    records: Sequence[ActivityRecord],
    organisations: Sequence[Organisation],
    resolver: FactorResolver,
    gwp: GwpSet,
) -> tuple[RecordEmissions, ...]:
    """Emissions of ``records`` (every basis), each organisation's combustion sector applied and
    the region's pinned datasets searched first. Raises on the first record that cannot be
    computed; :func:`compute_each` lists such records instead."""
    one = calculator(resolver, organisations)
    return tuple(one(r, gwp) for r in records)


def compute_each(
    records: Sequence[ActivityRecord],
    organisations: Sequence[Organisation],
    resolver: FactorResolver,
    gwp: GwpSet,
) -> tuple[tuple[RecordEmissions, ...], tuple[NotComputable, ...]]:
    """Emissions of every record that can be computed (and placed in every framework view), and
    the records that cannot, each with the engine's reason."""
    return partition(records, calculator(resolver, organisations), gwp)
