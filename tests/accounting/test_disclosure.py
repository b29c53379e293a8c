"""Disclosure control: the sensitivity rules, protection levels, secondary suppression and its
audit, on hand-made tables and on random regions checked by an independent oracle."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carbonbridge.accounting import service
from carbonbridge.accounting.disclosure import (
    DisclosureRules,
    TableCell,
    Withheld,
    audit,
    primary_reason,
    protection_levels,
    suppress,
)
from carbonbridge.accounting.model import ActivityRecord, Organisation, RecordEmissions
from carbonbridge.accounting.publication import RegionalRelease, protect, release_year
from carbonbridge.accounting.regional import regional_inventory
from carbonbridge.accounting.schemas import RegionalOut
from carbonbridge.accounting.service.release import ReleaseResult
from carbonbridge.demo.region import generate_region
from carbonbridge.factors.model import GwpSet
from carbonbridge.factors.service import shipped_library
from carbonbridge.kernel.errors import InvalidInput
from tests.accounting.disclosure_oracle import audit_release

D = Decimal
ONE = Fraction(1)
RULES = DisclosureRules()


# --- primary suppression --------------------------------------------------------------------------


def test_fewer_than_three_reporters_is_sensitive() -> None:
    assert primary_reason([D(40), D(60)], RULES) is Withheld.THRESHOLD


def test_one_reporter_above_85_percent_is_sensitive() -> None:
    assert primary_reason([D(86), D(7), D(7)], RULES) is Withheld.DOMINANCE


def test_exactly_85_percent_is_not_dominant() -> None:
    """The rule is 'more than k %' (Handbook table "Sensitivity rules": x_1 > k/100 · X)."""
    assert primary_reason([D(85), D(10), D(5)], RULES) is None


def test_zero_contributions_are_not_reporters_and_an_empty_cell_is_safe() -> None:
    assert primary_reason([D(30), D(0), D(70), D(0)], RULES) is Withheld.THRESHOLD
    assert primary_reason([D(0), D(0)], RULES) is None
    assert primary_reason([], RULES) is None


def test_the_rules_are_configurable() -> None:
    assert primary_reason([D(40), D(60)], DisclosureRules(min_reporters=2, dominance_k=D(99))) is None
    # a (2,90) rule sees what (1,85) does not: the second largest can subtract its own share
    assert primary_reason([D(60), D(35), D(5)], RULES) is None
    assert (
        primary_reason([D(60), D(35), D(5)], DisclosureRules(dominance_n=2, dominance_k=D(90)))
        is Withheld.DOMINANCE
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("min_reporters", 0),
        ("dominance_n", 0),
        ("dominance_k", D(100)),
        ("dominance_k", D(0)),
        ("protection_percent", D(101)),
    ],
)
def test_invalid_rules_are_refused_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        DisclosureRules(**{field: value})  # type: ignore[arg-type]
    assert [issue.location for issue in caught.value.issues] == [(field,)]


def test_protection_levels_follow_the_handbook_example() -> None:
    """Handbook on SDC §4.2.2 example 4: X = 330 with contributions 300, 20, 10 under the (1,85)
    rule needs an upper bound of at least 100/85 · 300 = 352.94, i.e. 22.94 above X."""
    no_floor = DisclosureRules(protection_percent=D(0))
    assert protection_levels([D(300), D(20), D(10)], no_floor) == (Fraction(390, 17), Fraction(390, 17))
    assert Fraction(330) + Fraction(390, 17) == Fraction(100, 85) * 300
    # the 10 % floor applies when the dominance level is smaller; the lower level never exceeds X
    assert protection_levels([D(300), D(20), D(10)], RULES) == (Fraction(33), Fraction(33))
    assert protection_levels([D(5)], DisclosureRules(protection_percent=D(0), dominance_k=D(50))) == (
        Fraction(5),
        Fraction(5),
    )


# --- secondary suppression on small tables --------------------------------------------------------


def _cell(key: str, atoms: Mapping[str, Fraction], shares: Mapping[str, Decimal]) -> TableCell:
    return TableCell(key, {"only": dict(atoms)}, {"only": dict(shares)})


def _hierarchy() -> tuple[list[TableCell], dict[str, Fraction]]:
    """Total = A + B + C. A is one cement plant; B and C have many reporters each."""
    truth = {"a": Fraction(900), "b": Fraction(300), "c": Fraction(200)}
    many = {f"org{i}": D(10) for i in range(30)}
    cells = [
        _cell("A", {"a": ONE}, {"cement": D(900)}),
        _cell("B", {"b": ONE}, many),
        _cell("C", {"c": ONE}, dict(list(many.items())[:20])),
        _cell("total", {"a": ONE, "b": ONE, "c": ONE}, {"cement": D(900), **many}),
    ]
    return cells, truth


def test_withholding_only_the_sensitive_cell_lets_it_be_recovered_by_subtraction() -> None:
    cells, truth = _hierarchy()
    exposed = audit(cells, truth, {"A": Withheld.THRESHOLD}, RULES)
    assert [(e.key, e.low, e.high) for e in exposed] == [("A", Fraction(900), Fraction(900))]


def test_secondary_suppression_protects_the_cell_and_passes_the_audit() -> None:
    cells, truth = _hierarchy()
    withheld = suppress(cells, truth, RULES)
    # C (200) is the cheapest complement that lets A range over [0, 1100] ⊇ [741.2, 1058.8]
    assert withheld == {"A": Withheld.THRESHOLD, "C": Withheld.SECONDARY}
    assert audit(cells, truth, withheld, RULES) == []


def test_a_threshold_cell_is_never_exactly_derivable_even_without_a_protection_floor() -> None:
    """Two equal reporters: the (1,85) level is negative and the floor is 0, yet publishing the
    other cells and the total would give A exactly; a complement must still be withheld."""
    cells, truth = _hierarchy()
    cells[0] = _cell("A", {"a": ONE}, {"cement": D(450), "lime": D(450)})
    rules = DisclosureRules(protection_percent=D(0))
    assert protection_levels([D(450), D(450)], rules) == (Fraction(0), Fraction(0))
    exposed = audit(cells, truth, {"A": Withheld.THRESHOLD}, rules)
    assert [(e.key, e.low, e.high) for e in exposed] == [("A", Fraction(900), Fraction(900))]
    withheld = suppress(cells, truth, rules)
    assert withheld == {"A": Withheld.THRESHOLD, "C": Withheld.SECONDARY}
    assert audit(cells, truth, withheld, rules) == []


def test_three_gwp_sets_of_one_row_reveal_two_gases_unless_the_row_is_withheld() -> None:
    """A sector row published under AR4/AR5/AR6 gives one equation per GWP set: with its CO2 and
    total shown, withholding CH4 and N2O alone leaves two unknowns and three equations."""
    gwp = {
        "AR4": (Fraction(25), Fraction(298)),
        "AR5": (Fraction(28), Fraction(265)),
        "AR6": (Fraction(273, 10), Fraction(273)),
    }
    truth = {"co2": Fraction(1000), "ch4": Fraction(2), "n2o": Fraction(1)}
    shares = {f"o{i}": D(1) for i in range(10)}
    bus = {"bus": D(100), "other": D(1), "another": D(1)}

    def cell(key: str, forms: Mapping[str, Mapping[str, Fraction]], who: Mapping[str, Decimal]) -> TableCell:
        return TableCell(key, {w: dict(f) for w, f in forms.items()}, {w: dict(who) for w in forms})

    cells = [
        cell("co2", {w: {"co2": ONE} for w in gwp}, shares),
        cell("ch4", {w: {"ch4": g[0]} for w, g in gwp.items()}, bus),
        cell("n2o", {w: {"n2o": g[1]} for w, g in gwp.items()}, shares),
        cell("total", {w: {"co2": ONE, "ch4": g[0], "n2o": g[1]} for w, g in gwp.items()}, shares),
    ]
    exposed = audit(cells, truth, {"ch4": Withheld.DOMINANCE, "n2o": Withheld.SECONDARY}, RULES)
    assert {e.key for e in exposed} == {"ch4"}
    assert all(e.low == e.high == e.value for e in exposed)
    withheld = suppress(cells, truth, RULES)
    assert audit(cells, truth, withheld, RULES) == []
    assert "total" in withheld or "co2" in withheld


# --- random regions, checked by the oracle ---------------------------------------------------------


@lru_cache(maxsize=1)
def _demo() -> tuple[list[Organisation], dict[str, list[ActivityRecord]]]:
    region = generate_region(2024)
    records: dict[str, list[ActivityRecord]] = {}
    for r in region.records:
        if r.year == 2025:
            records.setdefault(r.organisation_id, []).append(r)
    return region.organisations, records


def _release_json(
    emissions: Mapping[GwpSet, Sequence[RecordEmissions]],
    organisations: Sequence[Organisation],
    rules: DisclosureRules,
    *,
    masked: bool,
) -> dict[str, dict[str, Any]]:
    kinds = {o.id: o.kind for o in organisations}
    pattern = protect({g.value: emissions[g] for g in GwpSet}, kinds, rules)
    found = {}
    for g in GwpSet:
        inventory = regional_inventory("CN-HI", organisations, emissions[g])
        years = tuple(
            release_year(
                y,
                service.co_pollutant_totals([e for e in emissions[g] if e.record.year == y.year]),
                pattern.get(y.year, {}),
                masked=masked,
            )
            for y in inventory.years
        )
        result = ReleaseResult(RegionalRelease("CN-HI", masked, rules, years), "CN-HI", True, g, 0)
        found[g.value] = RegionalOut.of(result).model_dump(mode="json")
    return found


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    size=st.integers(1, 7),
    min_reporters=st.integers(1, 4),
    dominance_k=st.sampled_from([D(60), D(85), D(95)]),
    protection=st.sampled_from([D(0), D(10), D(25)]),
)
def test_no_sensitive_figure_of_a_random_region_can_be_recovered(
    seed: int, size: int, min_reporters: int, dominance_k: Decimal, protection: Decimal
) -> None:
    """Random regions: a few of the demo's organisations (always the cement plant when drawn),
    each record scaled by a random factor. The public sees the regulator's figure wherever it sees
    one, and no sensitive figure can be narrowed below its protection levels."""
    organisations, by_org = _demo()
    rng = random.Random(seed)
    chosen = rng.sample(organisations, size)
    records = []
    for org in chosen:
        for r in rng.sample(by_org.get(org.id, []), min(len(by_org.get(org.id, [])), 12)):
            scale = D(rng.choice(["0.1", "0.5", "1", "3", "20"]))
            records.append(
                ActivityRecord(**{**r.__dict__, "id": f"{r.id}-{seed}", "quantity": r.quantity * scale})
            )
    library = shipped_library()
    emissions = {g: service.compute(records, chosen, library, g) for g in GwpSet}
    rules = DisclosureRules(
        min_reporters=min_reporters, dominance_k=dominance_k, protection_percent=protection
    )
    public = _release_json(emissions, chosen, rules, masked=True)
    regulator = _release_json(emissions, chosen, rules, masked=False)
    inventory = regional_inventory("CN-HI", chosen, emissions[GwpSet.AR6])
    problems = audit_release(
        public,
        regulator,
        emissions[GwpSet.AR6],
        inventory,
        library,
        min_reporters=min_reporters,
        dominance_k=dominance_k,
        protection_percent=protection,
    )
    assert problems == []


def test_a_year_whose_figures_did_not_change_is_not_protected_again() -> None:
    region = generate_region(2024)
    chosen = [o for o in region.organisations if o.kind.value in ("cement", "hotel")][:3]
    ids = {o.id for o in chosen}
    records = [r for r in region.records if r.organisation_id in ids and r.year in (2024, 2025)]
    library = shipped_library()
    kinds = {o.id: o.kind for o in chosen}

    def variants(rs: Sequence[ActivityRecord]) -> dict[str, Sequence[RecordEmissions]]:
        return {g.value: service.compute(rs, chosen, library, g) for g in GwpSet}

    memo: dict[str, dict[str, Withheld]] = {}
    first = protect(variants(records), kinds, RULES, memo)
    assert sorted(first) == [2024, 2025]
    assert len(memo) == 2
    changed = [
        ActivityRecord(**{**r.__dict__, "quantity": r.quantity * 2}) if r.year == 2025 else r for r in records
    ]
    second = protect(variants(changed), kinds, RULES, memo)
    assert len(memo) == 3  # 2025 computed again, 2024 taken from the memo
    assert second[2024] is first[2024]
