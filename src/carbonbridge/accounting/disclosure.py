"""Disclosure control for published aggregates: primary and secondary cell suppression, and audit.

A public figure must not reveal one reporter's emissions. The rules are those of official
statistics for magnitude tables, as set out in the *Handbook on Statistical Disclosure Control*,
2nd edition (Hundepool et al., Centre of Excellence on SDC / Eurostat, August 2024,
sdctools.github.io/HandbookSDC), whose first edition became Hundepool et al., *Statistical
Disclosure Control* (Wiley 2012, doi:10.1002/9781118348239). Section numbers below are those of
the online second edition, chapter 4 "Magnitude tabular data":

* **Primary suppression** (Handbook §4.2.1 "Sensitive cells in magnitude tables", table
  "Sensitivity rules"): a cell is sensitive when fewer than ``min_reporters`` distinct
  organisations contribute a non-zero amount to it (*minimum frequency* or *threshold* rule,
  "normally ... set to 3"), or when its ``dominance_n`` largest contributions exceed
  ``dominance_k`` per cent of the cell total (*(n,k)-dominance rule*; the issue asks for (1, 85)).
  Contributions are summed per organisation first (the Handbook's "holdings": one company's
  facilities are one contributor). An empty cell is not sensitive: it has no contributor.
* **Protection levels** (Handbook §4.2.2, table "Upper protection levels"): for the (n,k) rule the
  upper protection level is ``100/k · (x_1 + … + x_n) − X``; the lower one is set equal "out of
  symmetry considerations", capped at ``X`` (figures are non-negative). Because a level of zero
  would only prevent exact disclosure (the Handbook's advice for pure threshold cells), we require
  at least ``protection_percent`` of ``X`` on each side as well, and in any case an interval that
  reaches strictly beyond ``X`` on both sides, so that no sensitive figure's interval collapses to
  its value even with ``protection_percent = 0``.
* **Secondary suppression and audit** (Handbook §4.2.2; §4.3.1 on linked and hierarchical tables,
  whose common cells must be suppressed alike; §4.3.2 on the audit step): a withheld cell is safe only if
  its *feasibility interval* — the least and greatest value it can take given every published
  figure of the release (all variants, e.g. every GWP set), their linear relations and
  non-negativity — reaches past both protection levels. The interval is computed exactly by linear
  programming (:mod:`carbonbridge.accounting.feasibility`).

Finding a minimum-loss set of complementary suppressions is a hard combinatorial problem:
τ-ARGUS solves it exactly by branch-and-cut over an integer programme with a commercial LP
solver ("Optimal", after Fischetti and Salazar-González, JASA 2000) or heuristically ("Modular"
(HiTaS), "Hypercube"; Handbook §4.4), and neither is available as a maintained Python library.
Our tables are small (tens of cells, a few linked hierarchies), so we use the simplest method
whose result is *proved* safe: an audit-driven greedy. Withhold the sensitive cells; audit every
sensitive cell with the LP; while one is exposed, withhold the one published cell linked to it
(through shared variables) that best widens its interval in the exposed direction (one that
alone meets the protection level, the cheapest by value; otherwise the largest widening;
otherwise the cheapest cell that shares a variable with it), and audit again; cells that are
the same sum in every variant (linked tables' common cells, §4.3.1) go together. Then publish
again, largest first, every complementary suppression the final pattern does not need. It ends
because each round withholds one more cell, and it returns only a pattern that passed the audit,
so safety does not rest on the heuristic.

A *table* here is a list of :class:`TableCell`: each cell is a linear form over non-negative
variables (its *atoms*), one form per *variant* of the release (the same table published with
different weights, such as AR4/AR5/AR6 GWPs), with the true value of every variable known to the
publisher and each organisation's contribution per variant for the sensitivity rules.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from carbonbridge.accounting.feasibility import Constraint, FeasibleRegion, Form, Interval
from carbonbridge.kernel.errors import FieldIssue, InvalidInput

_HUNDRED = Fraction(100)


class Withheld(StrEnum):
    """Why a figure is withheld from the public. The public is told only ``confidential``."""

    CONFIDENTIAL = "confidential"
    THRESHOLD = "threshold"
    DOMINANCE = "dominance"
    SECONDARY = "secondary"


@dataclass(frozen=True)
class DisclosureRules:
    """The installation's confidentiality rules (settings ``CARBONBRIDGE_DISCLOSURE_*``)."""

    #: a cell with fewer contributing organisations is sensitive (threshold rule)
    min_reporters: int = 3
    #: n of the (n,k)-dominance rule: how many of the largest contributions are summed
    dominance_n: int = 1
    #: k of the (n,k)-dominance rule, per cent of the cell total
    dominance_k: Decimal = Decimal(85)
    #: least protection interval on each side of a withheld sensitive figure, per cent of it
    protection_percent: Decimal = Decimal(10)

    def __post_init__(self) -> None:
        issues = []
        if self.min_reporters < 1:
            issues.append(FieldIssue(("min_reporters",), self.min_reporters, "must be at least 1"))
        if self.dominance_n < 1:
            issues.append(FieldIssue(("dominance_n",), self.dominance_n, "must be at least 1"))
        if not Decimal(0) < self.dominance_k < Decimal(100):
            issues.append(FieldIssue(("dominance_k",), self.dominance_k, "a percentage above 0, below 100"))
        if not Decimal(0) <= self.protection_percent <= Decimal(100):
            issues.append(FieldIssue(("protection_percent",), self.protection_percent, "a percentage 0..100"))
        if issues:
            raise InvalidInput("invalid disclosure rules", issues)


@dataclass(frozen=True)
class Shares:
    """A cell's per-organisation contributions as the sensitivity rules read them: how many are
    non-zero, the largest (descending) and their sum. For :func:`primary_reason` and
    :func:`protection_levels` it stands for the full list when ``largest`` holds at least
    ``dominance_n`` amounts, or all of them (the regional statement keeps these per cell instead
    of every organisation's amount: ``contribution.CellSummary``)."""

    count: int
    largest: tuple[Decimal, ...]
    total: Decimal

    @classmethod
    def of(cls, contributions: Iterable[Decimal], keep: int) -> Shares:
        amounts = sorted((abs(c) for c in contributions if c != 0), reverse=True)
        return cls(len(amounts), tuple(amounts[:keep]), sum(amounts, Decimal(0)))


def _shares(contributions: Iterable[Decimal] | Shares, rules: DisclosureRules) -> Shares:
    if isinstance(contributions, Shares):
        if len(contributions.largest) < min(rules.dominance_n, contributions.count):
            raise ValueError(
                f"a cell's summary keeps {len(contributions.largest)} largest amounts; the rule needs "
                f"{rules.dominance_n}"
            )
        return contributions
    return Shares.of(contributions, rules.dominance_n)


def primary_reason(contributions: Iterable[Decimal] | Shares, rules: DisclosureRules) -> Withheld | None:
    """Why a cell with these per-organisation contributions is sensitive, or ``None`` if safe.

    >>> rules = DisclosureRules()
    >>> primary_reason([Decimal(5), Decimal(3)], rules)
    <Withheld.THRESHOLD: 'threshold'>
    >>> primary_reason([Decimal(90), Decimal(5), Decimal(5)], rules)
    <Withheld.DOMINANCE: 'dominance'>
    >>> primary_reason([Decimal(0), Decimal(0)], rules) is None  # empty: nothing to protect
    True
    """
    shares = _shares(contributions, rules)
    if not shares.count:
        return None
    if shares.count < rules.min_reporters:
        return Withheld.THRESHOLD
    if sum(shares.largest[: rules.dominance_n], Decimal(0)) * 100 > rules.dominance_k * shares.total:
        return Withheld.DOMINANCE
    return None


def protection_levels(
    contributions: Iterable[Decimal] | Shares, rules: DisclosureRules
) -> tuple[Fraction, Fraction]:
    """Lower and upper protection levels of a sensitive cell, in its own unit.

    Upper: ``max(100/k · (x_1 + … + x_n) − X, p/100 · X)`` (Handbook table "Upper protection
    levels", with our floor of ``protection_percent``); lower: the same, at most ``X``.

    Handbook example 4 (X = 330, x1 = 300, (1,85) rule): 100/85 · 300 − 330 = 22.94; our floor of
    10 % raises it to 33.

    >>> cell = [Decimal(300), Decimal(20), Decimal(10)]
    >>> protection_levels(cell, DisclosureRules(protection_percent=Decimal(0)))
    (Fraction(390, 17), Fraction(390, 17))
    >>> protection_levels(cell, DisclosureRules())
    (Fraction(33, 1), Fraction(33, 1))
    """
    shares = _shares(contributions, rules)
    largest = [Fraction(a) for a in shares.largest[: rules.dominance_n]]
    total = Fraction(shares.total)
    dominance = _HUNDRED / Fraction(rules.dominance_k) * sum(largest, Fraction(0)) - total
    upper = max(dominance, Fraction(rules.protection_percent) / _HUNDRED * total, Fraction(0))
    return min(upper, total), upper


@dataclass(frozen=True)
class TableCell:
    """One published figure: its linear form and its contributions, per variant of the release."""

    key: str
    #: variant -> coefficient per variable (the figure is Σ coefficient × variable)
    forms: Mapping[str, Form]
    #: variant -> organisation -> its amount in the figure (or their summary, :class:`Shares`)
    contributions: Mapping[str, Mapping[str, Decimal] | Shares]

    def value(self, variant: str, truth: Mapping[Hashable, Fraction]) -> Fraction:
        return sum((a * truth[v] for v, a in self.forms[variant].items()), Fraction(0))

    def variables(self) -> frozenset[Hashable]:
        return frozenset(v for form in self.forms.values() for v, a in form.items() if a != 0)


@dataclass(frozen=True)
class Exposure:
    """A sensitive cell whose feasibility interval does not reach a protection level."""

    key: str
    variant: str
    value: Fraction
    low: Fraction
    high: Fraction | None
    required_low: Fraction
    required_high: Fraction

    @property
    def upward(self) -> bool:
        """The upper bound is too tight (else the lower one is)."""
        return self.high is not None and not _reaches_above(self.high, self.value, self.required_high)

    @property
    def downward(self) -> bool:
        """The lower bound is too tight."""
        return not _reaches_below(self.low, self.value, self.required_low)


def _reaches_above(high: Fraction | None, value: Fraction, required: Fraction) -> bool:
    """An upper bound protects when it reaches the level and is not the value itself."""
    return high is None or (high >= required and high > value)


def _reaches_below(low: Fraction, value: Fraction, required: Fraction) -> bool:
    return low <= required and low < value


def _amounts(contributions: Mapping[str, Decimal] | Shares) -> Iterable[Decimal] | Shares:
    return contributions if isinstance(contributions, Shares) else contributions.values()


def primary(cells: Sequence[TableCell], rules: DisclosureRules) -> dict[str, Withheld]:
    """The sensitive cells and why (dominance in any variant counts; threshold is the same in all)."""
    return {cell.key: why for cell in cells if (why := primary_reason_of(cell, rules)) is not None}


def primary_reason_of(cell: TableCell, rules: DisclosureRules) -> Withheld | None:
    """Why ``cell`` is sensitive in some variant (threshold first), or ``None``."""
    reasons = {primary_reason(_amounts(c), rules) for c in cell.contributions.values()} - {None}
    if Withheld.THRESHOLD in reasons:
        return Withheld.THRESHOLD
    return Withheld.DOMINANCE if reasons else None


def audit(
    cells: Sequence[TableCell],
    truth: Mapping[Hashable, Fraction],
    withheld: Mapping[str, Withheld],
    rules: DisclosureRules,
) -> list[Exposure]:
    """Every (sensitive cell, variant) whose feasibility interval, given everything the release
    publishes, does not reach past both protection levels. Empty: the pattern is safe."""
    return list(_Table(cells, truth, rules).exposures(withheld))


def suppress(
    cells: Sequence[TableCell], truth: Mapping[Hashable, Fraction], rules: DisclosureRules
) -> dict[str, Withheld]:
    """Primary and secondary suppressions of a table: cell key -> why it is withheld.

    The result always passes :func:`audit` (the loop ends only then; at worst every cell that
    has a variable is withheld, and then every interval is ``[0, ∞)``).
    """
    table = _Table(cells, truth, rules)
    withheld: dict[str, Withheld] = dict(primary(cells, rules))
    while (exposure := next(table.exposures(withheld), None)) is not None:
        for key in table.twins[table.complement(withheld, exposure)]:
            withheld.setdefault(key, Withheld.SECONDARY)
    # a greedy choice can become unnecessary once later ones are made: publish each complementary
    # suppression again (the largest first) whenever the pattern still passes the audit without
    # it, until none can be; then each one left is needed, so none is exactly derivable either
    released = True
    while released:
        released = False
        secondary = {table.twins[k][0] for k, why in withheld.items() if why is Withheld.SECONDARY}
        for first in sorted(secondary, key=table.cost, reverse=True):
            trial = {k: why for k, why in withheld.items() if k not in table.twins[first]}
            if next(table.exposures(trial), None) is None:
                withheld, released = trial, True
    return withheld


class _Table:
    """A table with everything the audit reuses computed once: values, constraints, levels."""

    def __init__(
        self, cells: Sequence[TableCell], truth: Mapping[Hashable, Fraction], rules: DisclosureRules
    ):
        self.cells = list(cells)
        self.variables = {c.key: c.variables() for c in self.cells}
        self.values = {(c.key, v): c.value(v, truth) for c in self.cells for v in c.forms}
        self.costs = {c.key: (min(self.values[c.key, v] for v in c.forms), c.key) for c in self.cells}
        # each published figure is one equation per variant; equal ones are kept once
        self.constraints = {
            c.key: [
                ((_form_key(form), self.values[c.key, v]), Constraint.equal(form, self.values[c.key, v]))
                for v, form in c.forms.items()
                if self.variables[c.key]
            ]
            for c in self.cells
        }
        self.sensitive = [c for c in self.cells if primary_reason_of(c, rules) is not None]
        # cells that publish the same figure in every variant (IPCC 2 and GPC IV.1, say) are
        # withheld or published together: one of them alone would give the other away
        groups: dict[tuple[object, ...], list[str]] = {}
        for c in self.cells:
            groups.setdefault(tuple(sorted((v, _form_key(f)) for v, f in c.forms.items())), []).append(c.key)
        self.twins = {key: tuple(group) for group in groups.values() for key in group}
        self.levels = {
            (c.key, v): protection_levels(_amounts(c.contributions[v]), rules)
            for c in self.sensitive
            for v in c.forms
        }

    def cost(self, key: str) -> tuple[Fraction, str]:
        """Information lost by withholding a cell: its value (the least over variants), then its key."""
        return self.costs[key]

    def region(self, withheld: Mapping[str, Withheld]) -> FeasibleRegion:
        seen: dict[tuple[object, ...], Constraint] = {}
        for cell in self.cells:
            if cell.key not in withheld:
                for key, c in self.constraints[cell.key]:
                    seen.setdefault(key, c)
        return FeasibleRegion(seen.values())

    def exposures(self, withheld: Mapping[str, Withheld]) -> Iterator[Exposure]:
        region = self.region(withheld)
        intervals: dict[tuple[object, ...], Interval] = {}  # cells of equal form have equal intervals
        for cell in self.sensitive:
            for variant, form in sorted(cell.forms.items()):
                key = _form_key(form)
                if key not in intervals:
                    intervals[key] = region.interval(form)
                interval = intervals[key]
                value = self.values[cell.key, variant]
                lower, upper = self.levels[cell.key, variant]
                found = Exposure(
                    cell.key, variant, value, interval.low, interval.high, value - lower, value + upper
                )
                if found.upward or found.downward:
                    yield found

    def complement(self, withheld: Mapping[str, Withheld], exposure: Exposure) -> str:
        """The published cell to withhold next, for ``exposure`` (see the module docstring)."""
        exposed = next(c for c in self.cells if c.key == exposure.key)
        form = exposed.forms[exposure.variant]
        published = [
            c.key
            for c in self.cells
            if c.key not in withheld and self.variables[c.key] and self.twins[c.key][0] == c.key
        ]
        # only a cell linked to the exposed one through shared variables can change its interval
        linked, grew = set(self.variables[exposed.key]), True
        while grew:
            grew = False
            for k in published:
                if self.variables[k] & linked and not self.variables[k] <= linked:
                    linked |= self.variables[k]
                    grew = True
        candidates = [k for k in published if self.variables[k] & linked] or published
        widening: list[tuple[Fraction, str]] = []
        # cheapest first, so the first candidate that alone meets the level is the one to take
        for key in sorted(candidates, key=self.cost):
            region = self.region({**withheld, **dict.fromkeys(self.twins[key], Withheld.SECONDARY)})
            if exposure.upward and exposure.high is not None:
                high = region.maximum(form)
                if _reaches_above(high, exposure.value, exposure.required_high):
                    return key
                if high is not None and high > exposure.high:
                    widening.append((high - exposure.high, key))
            else:
                low = region.minimum(form)
                if _reaches_below(low, exposure.value, exposure.required_low):
                    return key
                if low < exposure.low:
                    widening.append((exposure.low - low, key))
        if widening:
            best = max(gain for gain, _ in widening)
            return min((k for gain, k in widening if gain == best), key=self.cost)
        sharing = [k for k in candidates if self.variables[k] & self.variables[exposed.key]] or candidates
        return min(sharing, key=self.cost)


def _form_key(form: Form) -> tuple[object, ...]:
    return tuple(sorted((repr(v), a) for v, a in form.items() if a != 0))
