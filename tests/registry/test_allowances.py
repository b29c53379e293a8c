"""ETS rules (pure): obligation, offset cap, what a surrender may take, the status."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carbonbridge.kernel.errors import InvalidInput
from carbonbridge.registry.compliance import allowances
from carbonbridge.registry.compliance.allowances import ComplianceState
from carbonbridge.registry.errors import InsufficientUnits


def test_obligation_rounds_verified_kilograms_up_to_whole_tonnes() -> None:
    """786,518.8809 kg (the MEE total of tests/registry/compliance_world.py) → 787 t."""
    assert allowances.obligation_t(Decimal("786518.880900")) == 787
    assert allowances.obligation_t(Decimal("1000")) == 1
    assert allowances.obligation_t(Decimal("1000.001")) == 2
    assert allowances.obligation_t(Decimal(0)) == 0


def test_offset_cap_is_five_percent_rounded_down() -> None:
    """China national ETS art. 29: CCER ≤ 5 % of the obligation: 787 t × 0.05 = 39.35 → 39 t."""
    assert allowances.offset_cap_t(787, allowances.DEFAULT_OFFSET_SHARE) == 39
    assert allowances.offset_cap_t(787, Decimal("0.10")) == 78
    assert allowances.offset_cap_t(19, Decimal("0.05")) == 0


def test_status_worked_example() -> None:
    """787 t verified, 700 allowances and 39 offsets surrendered → 48 t short."""
    status = allowances.compliance_status(
        "cement-co",
        2024,
        allocated_t=700,
        held_t=0,
        obligation=787,
        share=Decimal("0.05"),
        surrendered_allowances_t=700,
        surrendered_offsets_t=39,
    )
    assert (status.state, status.shortfall_t, status.offset_cap_t, status.surrendered_t) == (
        ComplianceState.SHORTFALL,
        48,
        39,
        739,
    )
    done = allowances.compliance_status(
        "cement-co",
        2024,
        allocated_t=748,
        held_t=0,
        obligation=787,
        share=Decimal("0.05"),
        surrendered_allowances_t=748,
        surrendered_offsets_t=39,
    )
    assert (done.state, done.shortfall_t) == (ComplianceState.COMPLIANT, 0)


def test_status_without_verified_emissions_is_not_verified() -> None:
    status = allowances.compliance_status(
        "x",
        2024,
        allocated_t=5,
        held_t=5,
        obligation=None,
        share=Decimal("0.05"),
        surrendered_allowances_t=0,
        surrendered_offsets_t=0,
    )
    assert (status.state, status.shortfall_t, status.obligation_t) == (
        ComplianceState.NOT_VERIFIED,
        None,
        None,
    )


def _check(**overrides: object) -> None:
    args: dict[str, object] = {
        "held_t": 100,
        "obligation": 787,
        "share": Decimal("0.05"),
        "surrendered_allowances_t": 0,
        "surrendered_offsets_t": 0,
        "allowances_t": 0,
        "offsets_t": 0,
    }
    args.update(overrides)
    allowances.check_surrender(**args)  # type: ignore[arg-type]


def test_surrender_beyond_holdings_is_refused_with_the_holding() -> None:
    with pytest.raises(InsufficientUnits) as err:
        _check(allowances_t=101)
    assert err.value.issues[0].reason == "the entity holds 100 allowances of the period"


def test_offsets_beyond_the_cap_are_refused() -> None:
    _check(offsets_t=39)
    with pytest.raises(InvalidInput) as err:
        _check(offsets_t=40)
    assert "cap of 39 t" in err.value.detail
    with pytest.raises(InvalidInput):
        _check(offsets_t=1, surrendered_offsets_t=39)


def test_surrender_beyond_the_obligation_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        _check(held_t=1000, allowances_t=788)
    assert "remaining obligation of 787 t" in err.value.detail


@pytest.mark.parametrize("bad", [1.5, True, -1, "3"])
def test_quantities_are_whole_tonnes(bad: object) -> None:
    with pytest.raises(InvalidInput):
        _check(allowances_t=bad)


@given(
    obligation=st.integers(0, 10_000),
    share=st.decimals(min_value=0, max_value=1, places=3),
    steps=st.lists(
        st.tuples(st.sampled_from(["allocate", "surrender"]), st.integers(0, 3_000), st.integers(0, 800)),
        max_size=30,
    ),
)
def test_surrendered_never_exceeds_holdings_nor_offsets_the_cap(
    obligation: int, share: Decimal, steps: list[tuple[str, int, int]]
) -> None:
    """Any sequence of allocations and surrender attempts: what the rules accept never takes more
    allowances than allocated, never offsets more than floor(obligation × share), never more
    than the obligation; a refused attempt changes nothing."""
    allocated = allowances_done = offsets_done = 0
    for kind, a, o in steps:
        if kind == "allocate":
            allocated += a
            continue
        try:
            allowances.check_surrender(
                held_t=allocated - allowances_done,
                obligation=obligation,
                share=share,
                surrendered_allowances_t=allowances_done,
                surrendered_offsets_t=offsets_done,
                allowances_t=a,
                offsets_t=o,
            )
        except (InvalidInput, InsufficientUnits):
            continue
        allowances_done += a
        offsets_done += o
        assert allowances_done <= allocated
        assert offsets_done <= allowances.offset_cap_t(obligation, share)
        assert offsets_done * 1 <= obligation * share  # the cap as a share, exactly
        assert allowances_done + offsets_done <= obligation
