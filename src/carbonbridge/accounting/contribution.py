"""Each organisation's contribution to the regional statement, and the statement summed from them.

The regional statement (``regional.regional_inventory`` under disclosure control,
``publication.protect``) is a sum over organisations. So it is kept incrementally: each
organisation's computed records become a few **contribution rows** per (year, GWP set), one per
*atom* of the statement — (IPCC leaf or ``""`` outside the territorial total, GPC
``sector/scope`` or ``""`` outside the GPC, gas species) — with its CO2e and its gas mass in
**whole milligrams** (the engine rounds every record figure to 1 mg, ``model.RESULT_PLACES``, so
the integers are exact), how many of its records fall there, and the GWP the engine weighted
the gas with (from the records' traces). Co-pollutants are rows of their own (gas
``pollutant:SO2``…, mass only). A change to one organisation replaces its rows; the year's
statement is then summed from every organisation's rows of that year:

* the figures (``regional_year``): every IPCC and GPC row, BASIC, BASIC+, outside, the
  intensities, as ``regional._year`` computes them from the records (sums of the same
  milligrams, so the same Decimals; property-tested against the row-by-row computation);
* the disclosure table (``year_table``): the same cells, linear forms and per-organisation shares
  as ``publication.year_tables`` builds from the records, so the audit-driven suppression
  (``disclosure.suppress``) gives the same pattern.

Pure: no database. Docs: ``docs/accounting.md``, "The stored regional statement".
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from functools import lru_cache

from carbonbridge.accounting.disclosure import Shares
from carbonbridge.accounting.model import (
    OrganisationKind,
    RecordEmissions,
    RegionalYear,
    SectorTotal,
)
from carbonbridge.accounting.publication import (
    Atom,
    YearTable,
    cell_keys,
    pollutant_field,
    summary_table,
    table_of,
)
from carbonbridge.accounting.regional import (
    BASIC,
    BASIC_PLUS,
    GPC_SECTORS,
    IPCC_SECTORS,
    basis_of,
    gpc_cell,
    ipcc_sector,
)
from carbonbridge.factors.model import gas_group
from carbonbridge.kernel.exact import decimal_context, quantize

#: milligrams in a kilogram: contributions are whole milligrams (``model.RESULT_PLACES`` = 6)
MG_PER_KG = 1_000_000
#: the gas column of a co-pollutant's row: ``pollutant:`` + its name (SO2, NOx, PM10, PM2.5)
POLLUTANT = "pollutant:"
#: the gas column of a record that yields no gas on its territorial basis (it still makes its
#: sector "reported")
NO_GAS = ""

_ZERO = Decimal(0)


@dataclass(frozen=True)
class OrganisationContribution:
    """One organisation's share of one atom of the regional statement, one year, one GWP set."""

    organisation_id: str
    year: int
    gwp: str
    #: IPCC leaf (``1.A.2``, ``2``…) or ``""`` when outside the territorial total
    ipcc: str
    #: GPC ``sector/scope`` (``I/1``) or ``""`` when outside the GPC
    gpc: str
    #: gas species, ``pollutant:<name>`` for a co-pollutant, or ``""`` (a record with no gas)
    gas: str
    #: CO2e, whole milligrams (0 for a co-pollutant)
    co2e_mg: int
    #: mass of the gas or pollutant, whole milligrams
    mass_mg: int
    #: the organisation's records counted in this atom
    records: int
    #: the GWP the engine weighted the gas with (exact decimal text), ``""`` when none was traced
    weight: str


def to_mg(kg: Decimal, *, what: str) -> int:
    """``kg`` as whole milligrams; a figure finer than 1 mg is a bug upstream, never rounded here."""
    mg = kg * MG_PER_KG
    if mg != mg.to_integral_value():
        raise ValueError(f"{what}: {kg} kg is not a whole number of milligrams")
    return int(mg)


def kg_of(mg: int) -> Decimal:
    """Whole milligrams as kilograms, exactly."""
    return Decimal(mg).scaleb(-6)


def _weights(e: RecordEmissions) -> dict[str, str]:
    """GWP of each gas as the engine resolved it for this record (its traces)."""
    found = {}
    for trace in e.traces.values():
        for use in trace.factors:
            if use.role.startswith("gwp "):
                found[use.role[4:]] = format(Decimal(use.resolution.factor.value), "f")
    return found


def contributions_of(
    organisation_id: str,
    kind: OrganisationKind,
    emissions: Iterable[RecordEmissions],
    gwp: str,
    *,
    waste_in_territory: bool = True,
) -> list[OrganisationContribution]:
    """The contribution rows of one organisation's computed records under one GWP set (records
    that cannot be computed are not in ``emissions``: every figure excludes them)."""
    # (year, ipcc, gpc, gas) -> [co2e mg, mass mg, record ids]
    atoms: dict[tuple[int, str, str, str], tuple[list[int], set[str]]] = {}
    weights: dict[str, str] = {"CO2": "1", "CO2e": "1"}

    def add(key: tuple[int, str, str, str], co2e: int, mass: int, record_id: str) -> None:
        sums, ids = atoms.setdefault(key, ([0, 0], set()))
        sums[0] += co2e
        sums[1] += mass
        ids.add(record_id)

    for e in emissions:
        if e.record.organisation_id != organisation_id:
            raise ValueError(
                f"record {e.record.id} belongs to {e.record.organisation_id}, not {organisation_id}"
            )
        year = e.record.year
        ipcc = ipcc_sector(e, kind) or ""
        where = gpc_cell(e, waste_in_territory=waste_in_territory)
        gpc = f"{where[0]}/{where[1]}" if where else ""
        weights.update(_weights(e))
        gases = e.gases(basis_of(e))
        if not gases:
            add((year, ipcc, gpc, NO_GAS), 0, 0, e.record.id)
        for g in gases:
            what = f"record {e.record.id}, {g.gas}"
            add((year, ipcc, gpc, g.gas), to_mg(g.co2e_kg, what=what), to_mg(g.kg, what=what), e.record.id)
        for p in e.co_pollutants:
            add(
                (year, "", "", POLLUTANT + p.pollutant),
                0,
                to_mg(p.kg, what=f"record {e.record.id}"),
                e.record.id,
            )
    return [
        OrganisationContribution(
            organisation_id,
            year,
            gwp,
            ipcc,
            gpc,
            gas,
            sums[0],
            sums[1],
            len(ids),
            "" if gas.startswith(POLLUTANT) or gas == NO_GAS else weights.get(gas, ""),
        )
        for (year, ipcc, gpc, gas), (sums, ids) in sorted(atoms.items())
    ]


def _is_gas(c: OrganisationContribution) -> bool:
    return not c.gas.startswith(POLLUTANT)


def _sector(key: str, en: str, zh: str, chosen: Iterable[OrganisationContribution]) -> SectorTotal:
    by_gas: dict[str, int] = {}
    reported = False
    for c in chosen:
        reported = reported or c.records > 0
        if c.gas != NO_GAS:
            group = gas_group(c.gas)
            by_gas[group] = by_gas.get(group, 0) + c.co2e_mg
    gases = {g: kg_of(mg) for g, mg in sorted(by_gas.items())}
    return SectorTotal(key, en, zh, kg_of(sum(by_gas.values())), gases, (), reported)


def regional_year(
    year: int,
    contributions: Sequence[OrganisationContribution],
    *,
    population: Decimal | None,
    gdp_10k_cny: Decimal | None,
) -> RegionalYear:
    """One year of the regional inventory under one GWP set, summed from every organisation's
    contribution rows of that year and set: the figures ``regional.regional_inventory`` computes
    from the records (IPCC 2006 sectors, GPC 2021 sectors/scopes, BASIC, BASIC+; intensities
    rounded to 1 g). Sectors carry no record ids."""
    gases = [c for c in contributions if _is_gas(c) and c.year == year]
    ipcc = tuple(
        _sector(k, en, zh, (c for c in gases if c.ipcc and c.ipcc.startswith(k)))
        for k, en, zh in IPCC_SECTORS
    )
    outside = _sector(
        "outside",
        "Outside the territorial (IPCC) total",
        "不计入辖区（IPCC）总量",
        (c for c in gases if not c.ipcc),
    )
    gpc: list[SectorTotal] = []
    for k, en, zh in GPC_SECTORS:
        gpc.append(_sector(k, en, zh, (c for c in gases if c.gpc.split("/")[0] == k)))
        for scope in (1, 2, 3):
            cell = f"{k}/{scope}"
            gpc.append(
                _sector(
                    cell, f"{en}, scope {scope}", f"{zh}，范围{scope}", (c for c in gases if c.gpc == cell)
                )
            )
    totals = {t.key: t.co2e_kg for t in gpc}
    with localcontext(decimal_context()):
        ipcc_total = sum((t.co2e_kg for t in ipcc if "." not in t.key), _ZERO)
        return RegionalYear(
            year=year,
            ipcc=ipcc,
            gpc=tuple(gpc),
            ipcc_total_kg=ipcc_total,
            gpc_basic_kg=sum((totals[f"{k}/{s}"] for k, s in sorted(BASIC)), _ZERO),
            gpc_basic_plus_kg=sum((totals[f"{k}/{s}"] for k, s in sorted(BASIC_PLUS)), _ZERO),
            outside_ipcc=(outside,),
            population=population,
            gdp_10k_cny=gdp_10k_cny,
            per_capita_kg=None if population is None else quantize(ipcc_total / population, 3),
            per_10k_cny_kg=None if gdp_10k_cny is None else quantize(ipcc_total / gdp_10k_cny, 3),
        )


def co_pollutants(year: int, contributions: Iterable[OrganisationContribution]) -> dict[str, Decimal]:
    """Mass of each co-pollutant in ``year``, kg (as ``service.co_pollutant_totals``)."""
    totals: dict[str, int] = defaultdict(int)
    for c in contributions:
        if c.year == year and not _is_gas(c):
            totals[c.gas.removeprefix(POLLUTANT)] += c.mass_mg
    return {p: kg_of(mg) for p, mg in sorted(totals.items())}


def year_table(contributions: Iterable[OrganisationContribution]) -> YearTable | None:
    """One year's table for disclosure control (``publication.year_tables``) from every
    organisation's rows of that year under every GWP set; ``None`` when the year has no record."""
    masses: dict[Atom, Fraction] = defaultdict(Fraction)
    shares: dict[str, dict[Atom, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    pollutants: dict[str, dict[str, Decimal]] = defaultdict(dict)
    gwps: dict[str, dict[str, Fraction]] = defaultdict(lambda: {"CO2": Fraction(1), "CO2e": Fraction(1)})
    rows = list(contributions)
    if not rows:
        return None
    variants = sorted({c.gwp for c in rows})
    first = variants[0]
    for c in rows:
        if c.gas == NO_GAS:
            continue
        if not _is_gas(c):
            if c.gwp == first:
                pollutants[c.gas.removeprefix(POLLUTANT)][c.organisation_id] = kg_of(c.mass_mg)
            continue
        atom = (c.ipcc, c.gpc, c.gas)
        shares[c.gwp][atom][c.organisation_id] = kg_of(c.co2e_mg)
        if c.weight:
            gwps[c.gwp][c.gas] = Fraction(Decimal(c.weight))
        if c.gwp == first:
            masses[atom] += Fraction(c.mass_mg, MG_PER_KG)
    if not masses and not pollutants:
        return None
    return table_of(masses, {v: gwps[v] for v in variants}, shares, pollutants, variants)


def by_year(
    contributions: Iterable[OrganisationContribution],
) -> Mapping[int, list[OrganisationContribution]]:
    """Rows grouped by year."""
    found: dict[int, list[OrganisationContribution]] = defaultdict(list)
    for c in contributions:
        found[c.year].append(c)
    return found


# --- what disclosure control needs of every organisation, kept per cell ------------------------

#: how many of a cell's largest contributions are kept (at least the rule's ``dominance_n``)
KEEP = 8


@dataclass(frozen=True)
class CellSummary:
    """What the sensitivity rules read of one published cell's per-organisation amounts (one year,
    one GWP set): how many organisations contribute a non-zero amount, the sum, and the largest
    (organisation, amount) pairs, descending, in whole milligrams. ``largest`` holds the top
    ``len(largest)`` amounts of all contributors (all of them when ``contributors`` is that
    small); :func:`updated` keeps that true through one organisation's change or says it cannot."""

    contributors: int
    total_mg: int
    largest: tuple[tuple[str, int], ...]

    def shares(self) -> Shares:
        return Shares(self.contributors, tuple(kg_of(mg) for _, mg in self.largest), kg_of(self.total_mg))


#: (year, gwp, cell key)
CellKey = tuple[int, str, str]


def cell_values(contributions: Iterable[OrganisationContribution]) -> dict[CellKey, int]:
    """One organisation's amount in every published cell it counts in (CO2e; a co-pollutant's
    mass), from its contribution rows (the membership of ``publication.cell_keys``)."""
    found: dict[CellKey, int] = defaultdict(int)
    for c in contributions:
        for cell, mg in _cells_of(c.ipcc, c.gpc, c.gas, c.co2e_mg, c.mass_mg):
            found[(c.year, c.gwp, cell)] += mg
    return dict(found)


@lru_cache(maxsize=4096)
def _keys(ipcc: str, gpc: str, gas: str) -> tuple[str, ...]:
    if gas == NO_GAS:
        return ()
    if gas.startswith(POLLUTANT):
        return (f"year:{pollutant_field(gas.removeprefix(POLLUTANT))}",)
    return cell_keys((ipcc, gpc, gas))


def _cells_of(ipcc: str, gpc: str, gas: str, co2e_mg: int, mass_mg: int) -> Iterator[tuple[str, int]]:
    amount = mass_mg if gas.startswith(POLLUTANT) else co2e_mg
    for cell in _keys(ipcc, gpc, gas):
        yield cell, amount


def _top(amounts: Iterable[tuple[str, int]], keep: int) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(amounts, key=lambda x: (-x[1], x[0]))[:keep])


def summaries_of(
    contributions: Iterable[OrganisationContribution], keep: int = KEEP
) -> dict[CellKey, CellSummary]:
    """Every cell's summary from every organisation's rows (a full pass)."""
    per: dict[CellKey, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for c in contributions:
        amount = c.mass_mg if c.gas.startswith(POLLUTANT) else c.co2e_mg
        if not amount:
            continue
        for cell in _keys(c.ipcc, c.gpc, c.gas):
            per[(c.year, c.gwp, cell)][c.organisation_id] += amount
    found = {}
    for key, by in per.items():
        amounts = [(o, abs(mg)) for o, mg in by.items() if mg]
        if amounts:
            top = heapq.nsmallest(keep, amounts, key=lambda x: (-x[1], x[0]))
            found[key] = CellSummary(len(amounts), sum(mg for _, mg in amounts), tuple(top))
    return found


def updated(
    summary: CellSummary | None, organisation: str, old_mg: int, new_mg: int, *, need: int, keep: int = KEEP
) -> CellSummary | None:
    """``summary`` after ``organisation``'s amount went from ``old_mg`` to ``new_mg``. ``None``
    when fewer than ``need`` (the rule's ``dominance_n``) largest amounts would be known, although
    more organisations contribute: which are next needs every organisation's amount, and the
    caller recomputes the cell (:func:`summaries_of`)."""
    was = summary or CellSummary(0, 0, ())
    contributors = was.contributors - (old_mg != 0) + (new_mg != 0)
    total = was.total_mg - abs(old_mg) + abs(new_mg)
    if not contributors:
        return CellSummary(0, 0, ()) if total == 0 else None
    others = tuple(x for x in was.largest if x[0] != organisation)  # the top of the others
    outside = was.contributors - (old_mg != 0) - len(others)  # others' amounts not kept
    largest = others
    if new_mg and (outside == 0 or (others and abs(new_mg) >= others[-1][1])):
        largest = _top((*others, (organisation, abs(new_mg))), keep)
    if len(largest) < min(need, contributors):
        return None
    return CellSummary(contributors, total, largest)


def summary_year_table(
    totals: Sequence[OrganisationContribution], summaries: Mapping[tuple[str, str], CellSummary]
) -> YearTable | None:
    """One year's table for disclosure control from the year's atom totals (rows summed over
    organisations) and each (GWP set, cell)'s summary: the cells, forms and truth of
    ``publication.year_tables``, with each cell's shares summarised (``disclosure.Shares``)."""
    rows = [c for c in totals if c.gas != NO_GAS]
    if not rows:
        return None
    variants = sorted({c.gwp for c in rows})
    first = variants[0]
    masses: dict[Atom, Fraction] = defaultdict(Fraction)
    co2e: dict[str, dict[Atom, Decimal]] = {v: {} for v in variants}
    gwps: dict[str, dict[str, Fraction]] = {v: {"CO2": Fraction(1), "CO2e": Fraction(1)} for v in variants}
    pollutants: dict[str, Decimal] = {}
    for c in rows:
        if c.gas.startswith(POLLUTANT):
            if c.gwp == first:
                pollutants[c.gas.removeprefix(POLLUTANT)] = kg_of(c.mass_mg)
            continue
        atom = (c.ipcc, c.gpc, c.gas)
        co2e[c.gwp][atom] = kg_of(c.co2e_mg)
        if c.weight:
            gwps[c.gwp][c.gas] = Fraction(Decimal(c.weight))
        if c.gwp == first:
            masses[atom] += Fraction(c.mass_mg, MG_PER_KG)
    shares: dict[str, dict[str, Shares]] = defaultdict(dict)
    for (gwp, cell), summary in summaries.items():
        shares[gwp][cell] = summary.shares()
    return summary_table(masses, gwps, co2e, pollutants, variants, shares)
