"""Test oracle: an independent audit of a released regional inventory, from its JSON.

Given the public JSON of every GWP set (what ``GET /api/v1/inventory/region?gwp=...`` returns to
anyone), the regulator's JSON, and the computed records behind them, it checks that:

1. every figure the public sees equals the regulator's figure exactly;
2. every *sensitive* figure (by the rules, recomputed here from each organisation's records) is
   withheld, and cannot be narrowed by linear programming over everything the public sees under
   all three GWP sets, with non-negativity: its feasibility interval reaches past its protection
   levels on both sides (Handbook on SDC §4.2.2);
3. no withheld figure, sensitive or not, has an interval that collapses to its value.

It shares nothing with ``accounting.publication`` or ``accounting.disclosure`` but the LP solver
(tested against brute force in ``test_feasibility.py``). Which records make each figure comes
from the regulator's inventory (``SectorTotal.record_ids``; totals by IPCC 2006 and GPC Table 3.3);
the attacker's unknowns are the mass of each gas in each group of records that belong to exactly
the same published figures (records that no figure separates are one unknown, which loses nothing).
A figure is Σ GWP × mass over its records, GWPs resolved from the factor library. Published
figures are sums of per-record values each rounded to 1 mg, so each published number is checked to
be within its rounding bound of Σ GWP × mass, and the LP uses the latter exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from carbonbridge.accounting.feasibility import Constraint, FeasibleRegion
from carbonbridge.accounting.model import Basis, RecordEmissions, RegionalInventory, RegionalYear
from carbonbridge.factors.model import FactorQuery, FactorResolver, Parameter, gas_group

GWPS = ("AR4", "AR5", "AR6")
BASIC = ("I/1", "I/2", "II/1", "II/2", "III/1", "III/3")  # GPC Table 3.3
BASIC_PLUS = (*BASIC, "IV/1", "V/1", "II/3")
_HALF_MG = Fraction(1, 2_000_000)


def _basis(e: RecordEmissions) -> Basis:
    return next(b for b in (Basis.IPCC, Basis.LOCATION, Basis.DEFAULT) if b in e.method_results)


def _figures(year: RegionalYear) -> dict[str, tuple[frozenset[str], str | None]]:
    """Figure path -> (its records, its gas group or None for CO2e)."""
    found: dict[str, tuple[frozenset[str], str | None]] = {}
    for table, rows in (("ipcc", year.ipcc), ("gpc", year.gpc), ("outside_ipcc", year.outside_ipcc)):
        for s in rows:
            found[f"{table}/{s.key}/co2e_kg"] = (frozenset(s.record_ids), None)
            for g in s.by_gas:
                found[f"{table}/{s.key}/by_gas.{g}"] = (frozenset(s.record_ids), g)
    top = [s for s in year.ipcc if "." not in s.key]
    found["ipcc_total_kg"] = (frozenset().union(*(s.record_ids for s in top)), None)
    for name, cells in (("gpc_basic_kg", BASIC), ("gpc_basic_plus_kg", BASIC_PLUS)):
        found[name] = (frozenset().union(*(year.gpc_sector(c).record_ids for c in cells)), None)
    return found


def _published(year_json: Mapping[str, Any], pollutants: Mapping[str, Any]) -> dict[str, Any]:
    """Figure path -> value (``None`` when withheld) in one year of a release's JSON."""
    found: dict[str, Any] = {}
    for table in ("ipcc", "gpc", "outside_ipcc"):
        for s in year_json[table]:
            found[f"{table}/{s['key']}/co2e_kg"] = s["co2e_kg"]
            for g, kg in s["by_gas"].items():
                found[f"{table}/{s['key']}/by_gas.{g}"] = kg
    for name in ("ipcc_total_kg", "gpc_basic_kg", "gpc_basic_plus_kg", "per_capita_kg", "per_10k_cny_kg"):
        found[name] = year_json[name]
    for p, kg in pollutants.items():
        found[f"co_pollutants_kg.{p}"] = kg
    return found


def gwp_table(resolver: FactorResolver, gases: set[str]) -> dict[str, dict[str, Fraction]]:
    table: dict[str, dict[str, Fraction]] = {}
    for w in GWPS:
        table[w] = {}
        for gas in gases:
            if gas in ("CO2", "CO2e"):
                table[w][gas] = Fraction(1)
            else:
                query = FactorQuery(Parameter.GWP, "gwp", gas=gas, variant=w, datasets=("ipcc-gwp100",))
                table[w][gas] = Fraction(resolver.resolve(query).factor.value)
    return table


def audit_release(
    public: Mapping[str, Mapping[str, Any]],
    regulator: Mapping[str, Mapping[str, Any]],
    emissions: Sequence[RecordEmissions],
    inventory: RegionalInventory,
    resolver: FactorResolver,
    *,
    min_reporters: int,
    dominance_k: Decimal,
    protection_percent: Decimal,
    dominance_n: int = 1,
) -> list[str]:
    """Every problem found (empty: the release is exact where shown and safe where withheld).

    ``public`` and ``regulator`` map each GWP set to that release's JSON; ``emissions`` are the
    records (any GWP set: only masses, organisations and co-pollutants are read); ``inventory``
    is the regulator's inventory (for the records of each figure).
    """
    problems: list[str] = []
    by_id = {e.record.id: e for e in emissions}
    gwps = gwp_table(resolver, {g.gas for e in emissions for g in e.gases(_basis(e))})
    for year in inventory.years:
        figures = _figures(year)
        records = [by_id[i] for i in sorted(by_id) if by_id[i].record.year == year.year]
        shown = {
            w: _published(_year(public[w], year.year), public[w]["co_pollutants_kg"].get(str(year.year), {}))
            for w in GWPS
        }
        full = {
            w: _published(
                _year(regulator[w], year.year), regulator[w]["co_pollutants_kg"].get(str(year.year), {})
            )
            for w in GWPS
        }
        for w in GWPS:
            for path, value in shown[w].items():
                if value is not None and Decimal(value) != Decimal(full[w][path]):
                    problems.append(f"{year.year} {w} {path}: public {value} != regulator {full[w][path]}")
            for name in ("per_capita_kg", "per_10k_cny_kg"):
                if shown[w]["ipcc_total_kg"] is None and shown[w][name] is not None:
                    problems.append(f"{year.year} {w} {name} shown while the IPCC total is withheld")
        problems += _audit_year(
            year.year,
            figures,
            records,
            shown,
            gwps,
            min_reporters,
            dominance_n,
            dominance_k,
            protection_percent,
        )
    return problems


def _year(release: Mapping[str, Any], year: int) -> Mapping[str, Any]:
    return next(y for y in release["years"] if y["year"] == year)


def _audit_year(
    year: int,
    figures: Mapping[str, tuple[frozenset[str], str | None]],
    records: Sequence[RecordEmissions],
    shown: Mapping[str, Mapping[str, Any]],
    gwps: Mapping[str, Mapping[str, Fraction]],
    min_reporters: int,
    dominance_n: int,
    dominance_k: Decimal,
    protection_percent: Decimal,
) -> list[str]:
    problems: list[str] = []
    # the attacker's unknowns: mass of each gas per group of records no published figure separates
    signature = {
        e.record.id: frozenset(p for p, (ids, _) in figures.items() if e.record.id in ids) for e in records
    }
    mass: dict[Hashable, Fraction] = defaultdict(Fraction)
    for e in records:
        for g in e.gases(_basis(e)):
            mass[(signature[e.record.id], g.gas)] += Fraction(g.kg)
        for p in e.co_pollutants:
            mass[("pollutant", p.pollutant)] += Fraction(p.kg)

    def form(path: str, w: str) -> dict[Hashable, Fraction]:
        if path.startswith("co_pollutants_kg."):
            return {("pollutant", path.split(".", 1)[1]): Fraction(1)}
        _, group = figures[path]
        return {
            v: gwps[w][v[1]]
            for v in mass
            if isinstance(v[0], frozenset) and path in v[0] and (group is None or gas_group(v[1]) == group)
        }

    def tolerance(path: str, w: str) -> Fraction:
        if path.startswith("co_pollutants_kg."):
            return _HALF_MG * len(records)
        ids, group = figures[path]
        return sum(
            (
                _HALF_MG * (1 + gwps[w][g.gas])
                for e in records
                if e.record.id in ids
                for g in e.gases(_basis(e))
                if group is None or gas_group(g.gas) == group
            ),
            Fraction(0),
        )

    def model(f: Mapping[Hashable, Fraction]) -> Fraction:
        return sum((a * mass[v] for v, a in f.items()), Fraction(0))

    paths = [p for p in shown["AR6"] if p in figures or p.startswith("co_pollutants_kg.")]
    constraints = []
    for w in GWPS:
        for path in paths:
            value = shown[w][path]
            if value is None:
                continue
            f = form(path, w)
            if abs(Fraction(Decimal(value)) - model(f)) > tolerance(path, w):
                problems.append(f"{year} {w} {path}: published {value} is not the sum of its records")
            if f:
                constraints.append(Constraint.equal(f, model(f)))
    region = FeasibleRegion(constraints)
    for path in paths:
        for w in GWPS:  # nothing withheld may be exactly derivable, sensitive or not
            f = form(path, w)
            if shown[w][path] is None and f and region.maximum(f) == region.minimum(f):
                problems.append(f"{year} {w} {path}: withheld but exactly derivable")
        for w in GWPS:
            shares = _shares(path, w, figures, records, gwps)
            amounts = sorted((abs(a) for a in shares.values() if a != 0), reverse=True)
            total = sum(amounts, Fraction(0))
            sensitive = bool(amounts) and (
                len(amounts) < min_reporters
                or sum(amounts[:dominance_n]) * 100 > Fraction(dominance_k) * total
            )
            if not sensitive:
                continue
            if any(shown[v][path] is not None for v in GWPS):
                problems.append(f"{year} {path}: sensitive but published")
                break
            f = form(path, w)
            x = model(f)
            top = sum(amounts[:dominance_n], Fraction(0))
            upper = max(
                Fraction(100) / Fraction(dominance_k) * top - x,
                Fraction(protection_percent) / 100 * x,
                Fraction(0),
            )
            lower = min(upper, x)
            low, high = region.minimum(f), region.maximum(f)
            if high is not None and high < x + upper:
                problems.append(f"{year} {w} {path}: can be bounded above by {high} < {x + upper}")
            if low > x - lower:
                problems.append(f"{year} {w} {path}: can be bounded below by {low} > {x - lower}")
    return problems


def _shares(
    path: str,
    w: str,
    figures: Mapping[str, tuple[frozenset[str], str | None]],
    records: Sequence[RecordEmissions],
    gwps: Mapping[str, Mapping[str, Fraction]],
) -> dict[str, Fraction]:
    """Each organisation's amount in a figure (GWP × mass under ``w``, or kg of a co-pollutant)."""
    shares: dict[str, Fraction] = defaultdict(Fraction)
    if path.startswith("co_pollutants_kg."):
        pollutant = path.split(".", 1)[1]
        for e in records:
            for p in e.co_pollutants:
                if p.pollutant == pollutant:
                    shares[e.record.organisation_id] += Fraction(p.kg)
        return shares
    ids, group = figures[path]
    for e in records:
        if e.record.id in ids:
            for g in e.gases(_basis(e)):
                if group is None or gas_group(g.gas) == group:
                    shares[e.record.organisation_id] += gwps[w][g.gas] * Fraction(g.kg)
    return shares
