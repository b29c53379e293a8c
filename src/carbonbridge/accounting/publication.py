"""The regional inventory as a table for disclosure control, and the released (public) copy.

Every figure the regional inventory publishes for a year is one :class:`~.disclosure.TableCell`:
each IPCC row (``1``, ``1.A.1`` … ``4``) and each GPC row (``I`` … ``V`` and every sector/scope),
its CO2e total and each gas group of its ``by_gas``; the "outside the IPCC total" row; the IPCC
total, GPC BASIC and BASIC+; and each co-pollutant total. The intensities per person and per
10^4 CNY are the IPCC total divided by public statistics, so they are withheld with it.

The table's variables ("atoms") are the masses of each gas species in each cell of the finest
partition both classifications refine: (IPCC leaf or outside, GPC sector/scope or none, gas).
A figure is Σ GWP × mass over its atoms, with the GWP of the variant (AR4, AR5, AR6): the public
can ask for the same inventory under every GWP set, so all three are one release (for CO2 the
three are the same figure; for a group of several gases they are three different equations, and
the audit must see them together). Masses are summed from the computed records; the GWP of each
gas is the one the engine recorded in its traces (CO2, and the publishers' ``CO2e``, weigh 1).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from carbonbridge.accounting.coverage import Coverage
from carbonbridge.accounting.disclosure import DisclosureRules, Shares, TableCell, Withheld, suppress
from carbonbridge.accounting.model import OrganisationKind, RecordEmissions, RegionalYear, SectorTotal
from carbonbridge.accounting.regional import BASIC, BASIC_PLUS, IPCC_SECTORS, basis_of, gpc_cell, ipcc_sector
from carbonbridge.factors.model import gas_group

#: an atom: (IPCC leaf or "", GPC "sector/scope" or "", gas species)
Atom = tuple[str, str, str]

IPCC_TOTAL = "ipcc_total_kg"
GPC_BASIC = "gpc_basic_kg"
GPC_BASIC_PLUS = "gpc_basic_plus_kg"
INTENSITIES = ("per_capita_kg", "per_10k_cny_kg")
CO2E = "co2e_kg"


def gas_field(group: str) -> str:
    return f"by_gas.{group}"


def pollutant_field(pollutant: str) -> str:
    return f"co_pollutants_kg.{pollutant}"


@dataclass(frozen=True)
class YearTable:
    """One year's published figures as cells, and the true value of every atom."""

    cells: tuple[TableCell, ...]
    truth: Mapping[Hashable, Fraction]


def year_tables(
    emissions: Mapping[str, Sequence[RecordEmissions]],
    kinds: Mapping[str, OrganisationKind],
    *,
    waste_in_territory: bool = True,
) -> dict[int, YearTable]:
    """The table of each year, from the records computed under each variant (GWP set name)."""
    masses: dict[int, dict[Atom, Fraction]] = defaultdict(lambda: defaultdict(Fraction))
    # year -> variant -> atom -> organisation -> kg CO2e
    shares: dict[int, dict[str, dict[Atom, dict[str, Decimal]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(lambda: defaultdict(Decimal)))
    )
    pollutants: dict[int, dict[str, dict[str, Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(Decimal))
    )
    gwps: dict[str, dict[str, Fraction]] = {}
    first = min(emissions)
    for variant, records in emissions.items():
        gwps[variant] = _gwps(records)
        for e in records:
            year, organisation = e.record.year, e.record.organisation_id
            ipcc = ipcc_sector(e, kinds[organisation]) or ""
            where = gpc_cell(e, waste_in_territory=waste_in_territory)
            gpc = f"{where[0]}/{where[1]}" if where else ""
            for g in e.gases(basis_of(e)):
                atom = (ipcc, gpc, g.gas)
                shares[year][variant][atom][organisation] += g.co2e_kg
                if variant == first:
                    masses[year][atom] += Fraction(g.kg)
            if variant == first:
                for p in e.co_pollutants:
                    pollutants[year][p.pollutant][organisation] += p.kg
    return {
        year: table_of(masses[year], gwps, shares[year], pollutants[year], list(emissions))
        for year in sorted(masses.keys() | pollutants.keys())
    }


def table_of(
    masses: Mapping[Atom, Fraction],
    gwps: Mapping[str, Mapping[str, Fraction]],
    shares: Mapping[str, Mapping[Atom, Mapping[str, Decimal]]],
    pollutants: Mapping[str, Mapping[str, Decimal]],
    variants: Sequence[str],
) -> YearTable:
    """One year's table from its atoms' masses, each variant's GWP per gas, each variant's
    per-organisation CO2e per atom and each co-pollutant's per-organisation mass."""
    co2e = {v: {a: sum(by.values(), Decimal(0)) for a, by in shares[v].items()} for v in variants}

    def contributions(key: str, atoms: Sequence[Atom], variant: str) -> Mapping[str, Decimal]:
        by: dict[str, Decimal] = defaultdict(Decimal)
        for a in atoms:
            for organisation, kg in shares[variant].get(a, {}).items():
                by[organisation] += kg
        return dict(by)

    totals = {p: sum(by.values(), Decimal(0)) for p, by in pollutants.items()}
    return _table(masses, gwps, co2e, totals, variants, contributions, lambda p, v: dict(pollutants[p]))


def summary_table(
    masses: Mapping[Atom, Fraction],
    gwps: Mapping[str, Mapping[str, Fraction]],
    co2e: Mapping[str, Mapping[Atom, Decimal]],
    pollutants: Mapping[str, Decimal],
    variants: Sequence[str],
    summaries: Mapping[str, Mapping[str, Shares]],
) -> YearTable:
    """The same table from sums and each cell's :class:`~.disclosure.Shares` (variant -> cell key
    -> shares) instead of every organisation's amount: what the regional statement keeps
    (``contribution``, ``upkeep``). A cell without a summary has no contributor."""
    empty = Shares(0, (), Decimal(0))

    def contributions(key: str, atoms: Sequence[Atom], variant: str) -> Shares:
        return summaries.get(variant, {}).get(key, empty)

    def pollutant(p: str, variant: str) -> Shares:
        return summaries.get(variant, {}).get(f"year:{pollutant_field(p)}", empty)

    return _table(masses, gwps, co2e, pollutants, variants, contributions, pollutant)


def _table(
    masses: Mapping[Atom, Fraction],
    gwps: Mapping[str, Mapping[str, Fraction]],
    co2e: Mapping[str, Mapping[Atom, Decimal]],
    pollutants: Mapping[str, Decimal],
    variants: Sequence[str],
    contributions: Callable[[str, Sequence[Atom], str], Mapping[str, Decimal] | Shares],
    pollutant: Callable[[str, str], Mapping[str, Decimal] | Shares],
) -> YearTable:
    weights = {v: _weights(gwps[v], masses, co2e[v]) for v in variants}
    cells = _cells(masses, weights, contributions)
    cells += [
        TableCell(
            f"year:{pollutant_field(p)}",
            {v: {("pollutant", p): Fraction(1)} for v in variants},
            {v: pollutant(p, variants[0]) for v in variants},
        )
        for p in sorted(pollutants)
    ]
    truth: dict[Hashable, Fraction] = {atom: mass for atom, mass in masses.items()}
    truth.update({("pollutant", p): Fraction(kg) for p, kg in pollutants.items()})
    return YearTable(tuple(cells), truth)


def protect(
    emissions: Mapping[str, Sequence[RecordEmissions]],
    kinds: Mapping[str, OrganisationKind],
    rules: DisclosureRules,
    memo: MutableMapping[str, dict[str, Withheld]] | None = None,
) -> dict[int, dict[str, Withheld]]:
    """The suppression pattern of each year (cell key -> why withheld), one for all variants.

    ``memo`` (digest of a year's table and the rules -> its pattern) spares recomputing the years
    whose figures did not change, e.g. past years when this year's data arrive.
    """
    return {year: pattern_of(table, rules, memo) for year, table in year_tables(emissions, kinds).items()}


def pattern_of(
    table: YearTable, rules: DisclosureRules, memo: MutableMapping[str, dict[str, Withheld]] | None = None
) -> dict[str, Withheld]:
    """The suppression pattern of one year's table (``memo`` as in :func:`protect`)."""
    key = _digest(table, rules)
    found = None if memo is None else memo.get(key)
    if found is None:
        found = suppress(table.cells, table.truth, rules)
        if memo is not None:
            memo[key] = found
    return found


def _digest(table: YearTable, rules: DisclosureRules) -> str:
    h = hashlib.sha256(repr(rules).encode())
    for cell in table.cells:
        forms = sorted((v, sorted(f.items(), key=repr)) for v, f in cell.forms.items())
        shares = sorted(
            (v, repr(c) if isinstance(c, Shares) else sorted(c.items()))
            for v, c in cell.contributions.items()
        )
        h.update(repr((cell.key, forms, shares)).encode())
    h.update(repr(sorted(table.truth.items(), key=repr)).encode())
    return h.hexdigest()


def _gwps(records: Sequence[RecordEmissions]) -> dict[str, Fraction]:
    """GWP of each gas as the engine resolved it (from the records' traces)."""
    found = {"CO2": Fraction(1), "CO2e": Fraction(1)}
    for e in records:
        for trace in e.traces.values():
            for use in trace.factors:
                if use.role.startswith("gwp "):
                    found[use.role[4:]] = Fraction(use.resolution.factor.value)
    return found


def _weights(
    gwps: Mapping[str, Fraction],
    masses: Mapping[Atom, Fraction],
    co2e: Mapping[Atom, Decimal],
) -> dict[Atom, Fraction]:
    weights = {}
    for atom, mass in masses.items():
        gas = atom[2]
        if gas in gwps:
            weights[atom] = gwps[gas]
        else:  # no trace named it (not expected): the ratio of the computed sums
            weights[atom] = Fraction(co2e.get(atom, Decimal(0))) / mass if mass else Fraction(1)
    return weights


def _cells(
    masses: Mapping[Atom, Fraction],
    weights: Mapping[str, Mapping[Atom, Fraction]],
    contributions: Callable[[str, Sequence[Atom], str], Mapping[str, Decimal] | Shares],
) -> list[TableCell]:
    atoms = sorted(masses)

    def cell(key: str, chosen: Sequence[Atom]) -> TableCell:
        return TableCell(
            key,
            {v: {a: weight[a] for a in chosen} for v, weight in weights.items()},
            {v: contributions(key, chosen, v) for v in weights},
        )

    def rows(key: str, member: Callable[[Atom], bool]) -> list[TableCell]:
        inside = [a for a in atoms if member(a)]
        found = [cell(f"{key}:{CO2E}", inside)]
        for group in sorted({gas_group(a[2]) for a in inside}):
            found.append(cell(f"{key}:{gas_field(group)}", [a for a in inside if gas_group(a[2]) == group]))
        return found

    cells: list[TableCell] = []
    for code, _, _ in IPCC_SECTORS:
        cells += rows(f"ipcc:{code}", lambda a, code=code: a[0] != "" and a[0].startswith(code))  # type: ignore[misc]
    cells += rows("outside:outside", lambda a: a[0] == "")
    for sector in ("I", "II", "III", "IV", "V"):
        cells += rows(f"gpc:{sector}", lambda a, s=sector: a[1].split("/")[0] == s)  # type: ignore[misc]
        for scope in (1, 2, 3):
            cells += rows(f"gpc:{sector}/{scope}", lambda a, c=f"{sector}/{scope}": a[1] == c)  # type: ignore[misc]
    cells.append(cell(f"year:{IPCC_TOTAL}", [a for a in atoms if a[0] != ""]))
    for name, chosen in ((GPC_BASIC, BASIC), (GPC_BASIC_PLUS, BASIC_PLUS)):
        keys = {f"{s}/{n}" for s, n in chosen}
        cells.append(cell(f"year:{name}", [a for a in atoms if a[1] in keys]))
    return cells


def cell_keys(atom: Atom) -> tuple[str, ...]:
    """The keys of the CO2e cells an atom counts in (``_cells``' membership rules), each followed
    by its gas group's cell: what one organisation's amount in the atom adds to."""
    ipcc, gpc, gas = atom
    group = gas_group(gas)
    rows = [f"ipcc:{code}" for code, _, _ in IPCC_SECTORS if ipcc != "" and ipcc.startswith(code)]
    if ipcc == "":
        rows.append("outside:outside")
    if gpc:
        rows += [f"gpc:{gpc.split('/')[0]}", f"gpc:{gpc}"]
    keys = [k for row in rows for k in (f"{row}:{CO2E}", f"{row}:{gas_field(group)}")]
    if ipcc != "":
        keys.append(f"year:{IPCC_TOTAL}")
    for name, chosen in ((GPC_BASIC, BASIC), (GPC_BASIC_PLUS, BASIC_PLUS)):
        if gpc in {f"{s}/{n}" for s, n in chosen}:
            keys.append(f"year:{name}")
    return tuple(keys)


# --- the released copy -----------------------------------------------------------------------------

#: what a withheld figure shows instead of a number (zh in ``accounting/locale``)
CONFIDENTIAL = "confidential"
#: the footnote under every release that withholds something, for the public
PUBLIC_NOTE = (
    "Confidential: withheld to protect individual organisations. A figure is withheld when too few "
    "organisations contribute to it or when one organisation accounts for most of it, and further "
    "figures are withheld so that it cannot be worked out from the published totals (statistical "
    "disclosure control: threshold and dominance rules with secondary suppression)."
)
#: the footnote for the regulator, who sees every figure
REGULATOR_NOTE = (
    "You see every figure. Those marked “withheld from the public” are shown to the public as "
    "confidential, with this rule: fewer than {min_reporters} contributing organisations, or the "
    "largest {dominance_n} holding more than {dominance_k} %, and figures withheld so that these "
    "cannot be derived by subtraction (each kept uncertain by at least {protection_percent} %)."
)
#: the marker the regulator sees on a withheld figure, and each reason
WITHHELD_FROM_PUBLIC = "withheld from the public"
REASONS = {
    Withheld.CONFIDENTIAL: "confidential",
    Withheld.THRESHOLD: "too few reporting organisations",
    Withheld.DOMINANCE: "one organisation dominates",
    Withheld.SECONDARY: "protects another withheld figure",
}


@dataclass(frozen=True)
class ReleasedSector:
    """A sector row as released: a withheld figure is ``None`` in the public copy."""

    key: str
    label_en: str
    label_zh: str
    co2e_kg: Decimal | None
    by_gas: Mapping[str, Decimal | None]
    reported: bool
    #: field (``co2e_kg``, ``by_gas.<group>``) -> why it is withheld from the public
    withheld: Mapping[str, Withheld]


@dataclass(frozen=True)
class ReleasedYear:
    """A year's figures as released, with the fields withheld from the public and why."""

    year: int
    ipcc: tuple[ReleasedSector, ...]
    gpc: tuple[ReleasedSector, ...]
    outside_ipcc: tuple[ReleasedSector, ...]
    ipcc_total_kg: Decimal | None
    gpc_basic_kg: Decimal | None
    gpc_basic_plus_kg: Decimal | None
    population: Decimal | None
    gdp_10k_cny: Decimal | None
    per_capita_kg: Decimal | None
    per_10k_cny_kg: Decimal | None
    co_pollutants_kg: Mapping[str, Decimal | None]
    #: year-level field (``ipcc_total_kg``, ``per_capita_kg``, ``co_pollutants_kg.SO2`` ...) -> why
    withheld: Mapping[str, Withheld]
    #: who the figures are summed from (organisations reporting of those registered)
    coverage: Coverage | None = None

    def ipcc_sector(self, key: str) -> ReleasedSector:
        return next(s for s in self.ipcc if s.key == key)

    def gpc_sector(self, key: str) -> ReleasedSector:
        return next(s for s in self.gpc if s.key == key)


@dataclass(frozen=True)
class RegionalRelease:
    """The regional inventory released to one caller: ``masked`` for the public (withheld
    figures are ``None``, every reason reads ``confidential``); unmasked for the regulator (every
    figure, and which the public does not see, and why)."""

    territory: str
    masked: bool
    rules: DisclosureRules
    years: tuple[ReleasedYear, ...]


def release_year(
    year: RegionalYear,
    co_pollutants: Mapping[str, Decimal],
    withheld: Mapping[str, Withheld],
    *,
    masked: bool,
    coverage: Coverage | None = None,
) -> ReleasedYear:
    """``year`` with the figures of ``withheld`` (cell key -> reason) masked or annotated."""

    def reason(key: str) -> Withheld | None:
        found = withheld.get(key)
        return None if found is None else (Withheld.CONFIDENTIAL if masked else found)

    def figure(key: str, value: Decimal | None) -> Decimal | None:
        return None if masked and key in withheld else value

    def sector(table: str, s: SectorTotal) -> ReleasedSector:
        fields = {CO2E: f"{table}:{s.key}:{CO2E}"} | {
            gas_field(g): f"{table}:{s.key}:{gas_field(g)}" for g in s.by_gas
        }
        why = {name: r for name, key in fields.items() if (r := reason(key)) is not None}
        return ReleasedSector(
            s.key,
            s.label_en,
            s.label_zh,
            figure(fields[CO2E], s.co2e_kg),
            {g: figure(fields[gas_field(g)], kg) for g, kg in s.by_gas.items()},
            s.reported,
            why,
        )

    totals = {
        IPCC_TOTAL: year.ipcc_total_kg,
        GPC_BASIC: year.gpc_basic_kg,
        GPC_BASIC_PLUS: year.gpc_basic_plus_kg,
    }
    why = {name: r for name in totals if (r := reason(f"year:{name}")) is not None}
    if IPCC_TOTAL in why:
        why |= dict.fromkeys(INTENSITIES, why[IPCC_TOTAL])
    pollutants = {}
    for p, kg in sorted(co_pollutants.items()):
        key = f"year:{pollutant_field(p)}"
        pollutants[p] = figure(key, kg)
        if (r := reason(key)) is not None:
            why[pollutant_field(p)] = r
    hidden = masked and IPCC_TOTAL in why
    return ReleasedYear(
        year=year.year,
        ipcc=tuple(sector("ipcc", s) for s in year.ipcc),
        gpc=tuple(sector("gpc", s) for s in year.gpc),
        outside_ipcc=tuple(sector("outside", s) for s in year.outside_ipcc),
        ipcc_total_kg=figure(f"year:{IPCC_TOTAL}", year.ipcc_total_kg),
        gpc_basic_kg=figure(f"year:{GPC_BASIC}", year.gpc_basic_kg),
        gpc_basic_plus_kg=figure(f"year:{GPC_BASIC_PLUS}", year.gpc_basic_plus_kg),
        population=year.population,
        gdp_10k_cny=year.gdp_10k_cny,
        per_capita_kg=None if hidden else year.per_capita_kg,
        per_10k_cny_kg=None if hidden else year.per_10k_cny_kg,
        co_pollutants_kg=pollutants,
        withheld=why,
        coverage=coverage,
    )
