"""Feasibility intervals: how far a withheld figure can move, given everything that is published.

When a table is released with some cells withheld, anyone can bound a withheld cell by linear
programming over the published cells' linear relations and non-negativity: that bound is the
cell's *feasibility interval* (Handbook on Statistical Disclosure Control, 2nd ed., §4.2.2
"Secondary tabular data protection methods", example 3; Fischetti and Salazar 2000 state the LP).
A suppression pattern protects a sensitive cell only if the interval reaches past its protection
levels on both sides (:mod:`carbonbridge.accounting.disclosure`).

This module is a small exact LP solver: a dense two-phase primal simplex over
:class:`fractions.Fraction` with Bland's smallest-index pivoting rule (R. G. Bland, 1977), which
guarantees that the simplex method terminates, degenerate problems included. It is written here
rather than taken from a library because (a) no LP solver is among the platform's dependencies
(SciPy and HiGHS are not installed), and (b) exact rational arithmetic makes the audit a proof:
a bound is either reached or not, with no floating-point tolerance to argue about. Our tables
have tens of variables; the presolve below (fixed variables, then Gauss-Jordan elimination of the
remaining equalities) leaves a handful of rows, so exactness costs little.

Variables are non-negative. Constraints are ``lower <= Σ a_j x_j <= upper`` (equal bounds: an
equality). :class:`FeasibleRegion` presolves and finds a feasible basis once; each
:meth:`~FeasibleRegion.minimum` / :meth:`~FeasibleRegion.maximum` is one phase-2 run from it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

_ZERO = Fraction(0)

#: a linear form: coefficient per variable
Form = Mapping[Hashable, Fraction]


class Infeasible(ValueError):
    """The constraints admit no non-negative solution (the published figures contradict)."""


@dataclass(frozen=True)
class Constraint:
    """``lower <= Σ form[v] · v <= upper``; ``None`` is unbounded on that side."""

    form: Form
    lower: Fraction | None
    upper: Fraction | None

    @classmethod
    def equal(cls, form: Form, value: Fraction) -> Constraint:
        return cls(form, value, value)


@dataclass(frozen=True)
class Interval:
    """Feasibility interval of a linear form: ``high is None`` means unbounded above."""

    low: Fraction
    high: Fraction | None


class FeasibleRegion:
    """``{x >= 0 : every constraint holds}``, presolved once for many objectives."""

    def __init__(self, constraints: Iterable[Constraint]) -> None:
        self._fixed: dict[Hashable, Fraction] = {}
        rows = _presolve(list(constraints), self._fixed)
        columns = sorted({v for form, _ in rows for v in form}, key=repr)
        self._columns = columns
        self._tableau = _feasible_tableau(rows, columns)

    @property
    def fixed(self) -> Mapping[Hashable, Fraction]:
        """Variables whose value the constraints determine exactly (found by the presolve)."""
        return self._fixed

    def maximum(self, objective: Form) -> Fraction | None:
        """Largest value of ``objective`` over the region; ``None`` if unbounded."""
        constant, rest = self._split(objective)
        best = self._tableau.optimise(rest)
        return None if best is None else constant + best

    def minimum(self, objective: Form) -> Fraction:
        """Smallest value of ``objective``; bounded below when every coefficient is >= 0."""
        constant, rest = self._split(objective)
        best = self._tableau.optimise({v: -a for v, a in rest.items()})
        if best is None:
            raise ValueError("objective is unbounded below")
        return constant - best

    def interval(self, objective: Form) -> Interval:
        return Interval(self.minimum(objective), self.maximum(objective))

    def _split(self, objective: Form) -> tuple[Fraction, dict[Hashable, Fraction]]:
        constant = sum((a * self._fixed[v] for v, a in objective.items() if v in self._fixed), _ZERO)
        rest = {v: Fraction(a) for v, a in objective.items() if v not in self._fixed and a != 0}
        return constant, rest


# --- presolve -------------------------------------------------------------------------------------


def _presolve(
    constraints: list[Constraint], fixed: dict[Hashable, Fraction]
) -> list[tuple[dict[Hashable, Fraction], Fraction]]:
    """Equality rows ``(form, rhs)`` of the reduced problem, with slack variables for ranges.

    Repeatedly fixes the variable of a one-variable equality and substitutes it everywhere, then
    brings the remaining equalities to reduced row echelon form (dropping dependent rows and
    raising :class:`Infeasible` on ``0 = c``). Inequalities become equalities with a fresh
    non-negative slack variable per bound.
    """
    rows: list[tuple[dict[Hashable, Fraction], Fraction | None, Fraction | None]] = []
    containing: dict[Hashable, list[int]] = defaultdict(list)  # variable -> rows that mention it
    for c in constraints:
        form = {v: a for v, a in c.form.items() if a}
        if not form:
            _check_empty(c.lower, c.upper)
            continue
        for v in form:
            containing[v].append(len(rows))
        rows.append((form, c.lower, c.upper))
    queue = [i for i, (form, lo, hi) in enumerate(rows) if len(form) == 1 and lo is not None and lo == hi]
    while queue:  # fix the variable of each one-variable equality and substitute it where it occurs
        form, lo, hi = rows[queue.pop()]
        if len(form) != 1 or lo is None or lo != hi:
            continue
        ((v, a),) = form.items()
        value = lo / a
        if value < 0:
            raise Infeasible(f"{v!r} would be {value}")
        fixed[v] = value
        for j in containing[v]:
            other, low, high = rows[j]
            coefficient = other.pop(v, None)
            if coefficient is None:
                continue
            shift = coefficient * value
            low = None if low is None else low - shift
            high = None if high is None else high - shift
            rows[j] = (other, low, high)
            if not other:
                _check_empty(low, high)
            elif len(other) == 1 and low is not None and low == high:
                queue.append(j)
    pending = [row for row in rows if row[0]]
    equalities: list[tuple[dict[Hashable, Fraction], Fraction]] = []
    for n, (form, lo, hi) in enumerate(pending):
        if lo is not None and lo == hi:
            equalities.append((form, lo))
            continue
        if hi is not None:
            equalities.append(({**form, ("slack", n, "upper"): Fraction(1)}, hi))
        if lo is not None:
            equalities.append(({**form, ("slack", n, "lower"): Fraction(-1)}, lo))
    return _echelon(equalities)


def _check_empty(lower: Fraction | None, upper: Fraction | None) -> None:
    if (lower is not None and lower > 0) or (upper is not None and upper < 0):
        raise Infeasible(f"0 outside [{lower}, {upper}]")


def _echelon(
    rows: Sequence[tuple[dict[Hashable, Fraction], Fraction]],
) -> list[tuple[dict[Hashable, Fraction], Fraction]]:
    """Reduced row echelon form of sparse rows: independent rows only; ``0 = c`` is infeasible."""
    basis: list[tuple[Hashable, dict[Hashable, Fraction], Fraction]] = []  # pivot, row (pivot 1), rhs
    for form, rhs in rows:
        row, value = dict(form), rhs
        for pivot, prow, prhs in basis:
            factor = row.get(pivot)
            if factor:
                value -= factor * prhs
                for v, a in prow.items():
                    updated = row.get(v, _ZERO) - factor * a
                    if updated:
                        row[v] = updated
                    else:
                        row.pop(v, None)
        if not row:
            if value != 0:
                raise Infeasible(f"0 = {value}")
            continue
        pivot = min(row, key=repr)
        scale = row[pivot]
        row = {v: a / scale for v, a in row.items()}
        value /= scale
        for i, (p, prow, prhs) in enumerate(basis):
            factor = prow.get(pivot)
            if factor:
                merged = dict(prow)
                for v, a in row.items():
                    updated = merged.get(v, _ZERO) - factor * a
                    if updated:
                        merged[v] = updated
                    else:
                        merged.pop(v, None)
                basis[i] = (p, merged, prhs - factor * value)
        basis.append((pivot, row, value))
    return [(row, rhs) for _, row, rhs in basis]


# --- simplex --------------------------------------------------------------------------------------


class _Tableau:
    """A feasible simplex tableau ``B⁻¹A | B⁻¹b`` over the structural columns."""

    def __init__(self, rows: list[list[Fraction]], rhs: list[Fraction], basis: list[int], width: int) -> None:
        self.rows, self.rhs, self.basis, self.width = rows, rhs, basis, width
        self.index: dict[Hashable, int] = {}

    def optimise(self, objective: Mapping[Hashable, Fraction]) -> Fraction | None:
        """Maximum of ``objective`` (over columns named in :attr:`index`); ``None`` if unbounded."""
        cost = [_ZERO] * self.width
        for v, a in objective.items():
            if v not in self.index:  # a variable no constraint mentions: free to grow
                if a > 0:
                    return None
                continue
            cost[self.index[v]] = a
        return _run_simplex([list(r) for r in self.rows], list(self.rhs), list(self.basis), cost, self.width)


def _feasible_tableau(
    rows: list[tuple[dict[Hashable, Fraction], Fraction]], columns: list[Hashable]
) -> _Tableau:
    """Phase 1: a basic feasible solution of ``A x = b, x >= 0`` (rows already independent)."""
    index = {v: j for j, v in enumerate(columns)}
    n = len(columns)
    dense: list[list[Fraction]] = []
    rhs: list[Fraction] = []
    for form, value in rows:
        row = [_ZERO] * n
        for v, a in form.items():
            row[index[v]] = a
        if value < 0:
            row, value = [-a for a in row], -value
        dense.append(row)
        rhs.append(value)
    m = len(dense)
    width = n + m  # one artificial column per row
    for i, row in enumerate(dense):
        row.extend(Fraction(1) if k == i else _ZERO for k in range(m))
    basis = [n + i for i in range(m)]
    phase1 = [_ZERO] * n + [Fraction(-1)] * m
    _run_simplex(dense, rhs, basis, phase1, width)
    if any(rhs[i] != 0 for i, b in enumerate(basis) if b >= n):
        raise Infeasible("no non-negative solution")
    for i, b in enumerate(basis):  # drive zero-level artificials out of the basis
        if b >= n:
            for j in range(n):
                if dense[i][j] != 0:
                    _pivot(dense, rhs, basis, i, j)
                    break
    keep = [i for i, b in enumerate(basis) if b < n]  # rows still on an artificial are redundant
    tableau = _Tableau([dense[i][:n] for i in keep], [rhs[i] for i in keep], [basis[i] for i in keep], n)
    tableau.index = index
    return tableau


def _run_simplex(
    rows: list[list[Fraction]], rhs: list[Fraction], basis: list[int], cost: list[Fraction], width: int
) -> Fraction | None:
    """Maximise ``cost · x`` from a feasible basis, Bland's rule; ``None`` when unbounded."""
    # reduced costs d_j = c_j - c_B·B⁻¹a_j, kept up to date by each pivot like a tableau row
    reduced = list(cost)
    value = _ZERO
    for i, b in enumerate(basis):
        if cost[b]:
            reduced = [d - cost[b] * a for d, a in zip(reduced, rows[i], strict=True)]
            value += cost[b] * rhs[i]
    while True:
        entering = next((j for j in range(width) if reduced[j] > 0), None)
        if entering is None:
            return value
        # Bland: among the rows of least ratio, the one whose basic variable has the least index
        ratios = [(rhs[i] / row[entering], basis[i], i) for i, row in enumerate(rows) if row[entering] > 0]
        if not ratios:
            return None
        r = min(ratios)[2]
        _pivot(rows, rhs, basis, r, entering)
        step = reduced[entering]
        reduced = [d - step * a if a else d for d, a in zip(reduced, rows[r], strict=True)]
        value += step * rhs[r]


def _pivot(rows: list[list[Fraction]], rhs: list[Fraction], basis: list[int], r: int, c: int) -> None:
    scale = rows[r][c]
    pivot_row = [a / scale if a else a for a in rows[r]]
    rows[r] = pivot_row
    rhs[r] = rhs[r] / scale
    nonzero = [j for j, a in enumerate(pivot_row) if a]
    for i, row in enumerate(rows):
        factor = row[c]
        if i != r and factor:
            updated = list(row)
            for j in nonzero:
                updated[j] = row[j] - factor * pivot_row[j]
            rows[i] = updated
            rhs[i] = rhs[i] - factor * rhs[r]
    basis[r] = c
