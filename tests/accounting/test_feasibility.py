"""The exact LP behind the disclosure audit, against worked examples and brute-force enumeration."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonbridge.accounting.feasibility import Constraint, FeasibleRegion, Infeasible, Interval

ONE = Fraction(1)


def test_handbook_example_3_feasibility_interval() -> None:
    """Handbook on SDC (2nd ed.) §4.2.2, example 3 (Geurts 1992, table 10): a 2x2 table with
    margins, all four inner cells suppressed; X11 lies in [3, 6]."""
    region = FeasibleRegion(
        [
            Constraint.equal({"x11": ONE, "x12": ONE}, Fraction(7)),
            Constraint.equal({"x21": ONE, "x22": ONE}, Fraction(3)),
            Constraint.equal({"x11": ONE, "x21": ONE}, Fraction(6)),
            Constraint.equal({"x12": ONE, "x22": ONE}, Fraction(4)),
        ]
    )
    assert region.interval({"x11": ONE}) == Interval(Fraction(3), Fraction(6))
    assert region.interval({"x22": ONE}) == Interval(Fraction(0), Fraction(3))


def test_a_variable_no_figure_mentions_is_unbounded_above() -> None:
    region = FeasibleRegion([Constraint.equal({"a": ONE, "b": ONE}, Fraction(5))])
    assert region.interval({"c": ONE}) == Interval(Fraction(0), None)
    assert region.interval({"a": ONE}) == Interval(Fraction(0), Fraction(5))


def test_a_sum_and_a_published_part_fix_the_other_part() -> None:
    region = FeasibleRegion(
        [Constraint.equal({"a": ONE, "b": ONE}, Fraction(9)), Constraint.equal({"b": ONE}, Fraction(2))]
    )
    assert region.interval({"a": ONE}) == Interval(Fraction(7), Fraction(7))
    assert region.fixed == {"b": Fraction(2), "a": Fraction(7)}


def test_weighted_rows_of_two_variants_pin_two_gases() -> None:
    """One total published under two GWP sets is two equations: with two unknown gases, both are
    determined (the reason the audit looks at every GWP set together)."""
    region = FeasibleRegion(
        [
            Constraint.equal({"ch4": Fraction(28), "n2o": Fraction(265)}, Fraction(28 * 3 + 265 * 2)),
            Constraint.equal(
                {"ch4": Fraction(273, 10), "n2o": Fraction(273)}, Fraction(273 * 3, 10) + 273 * 2
            ),
        ]
    )
    assert region.interval({"ch4": ONE}) == Interval(Fraction(3), Fraction(3))


def test_ranges_and_redundant_rows() -> None:
    region = FeasibleRegion(
        [
            Constraint({"a": ONE, "c": Fraction(2)}, Fraction(1), Fraction(3)),
            Constraint.equal({"a": ONE, "b": ONE}, Fraction(5)),
            Constraint.equal({"a": Fraction(2), "b": Fraction(2)}, Fraction(10)),  # the same, doubled
        ]
    )
    assert region.interval({"a": ONE}) == Interval(Fraction(0), Fraction(3))
    assert region.interval({"c": ONE}) == Interval(Fraction(0), Fraction(3, 2))
    assert region.interval({"b": ONE}) == Interval(Fraction(2), Fraction(5))


@pytest.mark.parametrize(
    "constraints",
    [
        [Constraint.equal({"a": ONE}, Fraction(-1))],
        [
            Constraint.equal({"a": ONE, "b": ONE}, Fraction(1)),
            Constraint.equal({"a": ONE, "b": ONE}, Fraction(2)),
        ],
        [Constraint.equal({"a": ONE, "b": ONE}, Fraction(-3))],
    ],
)
def test_contradictory_figures_are_infeasible(constraints: list[Constraint]) -> None:
    with pytest.raises(Infeasible):
        FeasibleRegion(constraints)


# --- brute force: the optimum of a bounded LP is at a vertex ----------------------------------------


def _solve(rows: list[list[Fraction]], rhs: list[Fraction]) -> list[Fraction] | None:
    """The unique solution of a square system, or None when singular (Gauss-Jordan, exact)."""
    n = len(rows)
    m = [[*r, b] for r, b in zip(rows, rhs, strict=True)]
    for col in range(n):
        pivot = next((r for r in range(col, n) if m[r][col] != 0), None)
        if pivot is None:
            return None
        m[col], m[pivot] = m[pivot], m[col]
        m[col] = [a / m[col][col] for a in m[col]]
        for r in range(n):
            if r != col and m[r][col] != 0:
                f = m[r][col]
                m[r] = [a - f * p for a, p in zip(m[r], m[col], strict=True)]
    return [m[r][n] for r in range(n)]


def _brute_force(
    n: int, eq: list[tuple[list[int], int]], ub: list[tuple[list[int], int]], objective: list[int]
) -> tuple[Fraction, Fraction] | None:
    """Min and max of ``objective`` over the vertices of ``{x >= 0, eq, ub}``; None if empty."""
    candidates = [(list(map(Fraction, a)), Fraction(b)) for a, b in eq + ub]
    candidates += [([ONE if j == i else Fraction(0) for j in range(n)], Fraction(0)) for i in range(n)]
    values = []
    for chosen in itertools.combinations(range(len(candidates)), n):  # n active constraints
        x = _solve([candidates[i][0] for i in chosen], [candidates[i][1] for i in chosen])
        if x is None or any(v < 0 for v in x):
            continue
        if any(sum(Fraction(a) * v for a, v in zip(row, x, strict=True)) != b for row, b in eq):
            continue
        if any(sum(Fraction(a) * v for a, v in zip(row, x, strict=True)) > b for row, b in ub):
            continue
        values.append(sum(Fraction(c) * v for c, v in zip(objective, x, strict=True)))
    return (min(values), max(values)) if values else None


@st.composite
def _bounded_lps(
    draw: st.DrawFn,
) -> tuple[int, list[tuple[list[int], int]], list[tuple[list[int], int]], list[int]]:
    n = draw(st.integers(2, 4))
    coefficient = st.integers(-3, 5)
    point = draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))  # keeps the equalities feasible
    eq = []
    for _ in range(draw(st.integers(0, 2))):
        a = draw(st.lists(coefficient, min_size=n, max_size=n))
        eq.append((a, sum(x * y for x, y in zip(a, point, strict=True))))
    ub = [([1 if j == i else 0 for j in range(n)], draw(st.integers(6, 12))) for i in range(n)]  # a box
    for _ in range(draw(st.integers(0, 2))):
        a = draw(st.lists(coefficient, min_size=n, max_size=n))
        ub.append((a, sum(x * y for x, y in zip(a, point, strict=True)) + draw(st.integers(0, 4))))
    return n, eq, ub, draw(st.lists(coefficient, min_size=n, max_size=n))


@settings(max_examples=150, deadline=None)
@given(_bounded_lps())
def test_interval_equals_brute_force_over_vertices(
    lp: tuple[int, list[tuple[list[int], int]], list[tuple[list[int], int]], list[int]],
) -> None:
    n, eq, ub, objective = lp
    names = [f"x{i}" for i in range(n)]

    def form(a: list[int]) -> dict[str, Fraction]:
        return {v: Fraction(c) for v, c in zip(names, a, strict=True) if c}

    region = FeasibleRegion(
        [Constraint.equal(form(a), Fraction(b)) for a, b in eq]
        + [Constraint(form(a), None, Fraction(b)) for a, b in ub]
    )
    expected = _brute_force(n, eq, ub, objective)
    assert expected is not None  # the drawn point is feasible
    assert (region.minimum(form(objective)), region.maximum(form(objective))) == expected
