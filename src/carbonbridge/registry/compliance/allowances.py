"""Rules of the regional emissions-trading scheme (ETS): a covered entity's obligation for a
compliance period, the offset-use cap, what a surrender may take, and the compliance status.

Allowances are counted as integer tonnes per entity and compliance period (one allowance = the
right to emit 1 t CO2, as in China's national ETS under 《碳排放权交易管理办法（试行）》,
MEE Order No. 19, 2020).
The scheme's rules, as implemented here:

* **obligation** (清缴义务): the entity's verified emissions of the period in whole tonnes,
  ``ceil(kg / 1000)`` (:func:`obligation_t`; rounded up so that no verified kilogram goes
  uncovered — our conservative choice, stated, not taken from a regulation);
* **offset cap** (抵销比例): offsets (credits retired for compliance) may cover at most
  ``floor(obligation × share)`` tonnes (:func:`offset_cap_t`); China's national ETS allows CCER up
  to 5 % of the verified emissions (《碳排放权交易管理办法（试行）》 art. 29), the default share;
* **surrender** (:func:`check_surrender`): allowances of the period only (no banking or borrowing
  across periods), never more than the entity holds, and the total surrendered never exceeds the
  obligation (an allowance surrendered beyond it would be lost);
* **status** (:func:`compliance_status`): ``not_verified`` until a verified inventory exists;
  then ``compliant`` when allowances + offsets ≥ obligation, else ``shortfall`` with the missing
  tonnes.

Pure: no database, no framework.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum

from carbonbridge.kernel.errors import FieldIssue, InvalidInput
from carbonbridge.registry.errors import InsufficientUnits

#: China national ETS: CCER may offset up to 5 % of verified emissions
#: (《碳排放权交易管理办法（试行）》, MEE Order No. 19, 2020, art. 29)
DEFAULT_OFFSET_SHARE = Decimal("0.05")

#: the verification-statement figure an obligation is read from by default: the China MEE
#: guideline framework total (``accounting.statements.figures_of``)
DEFAULT_EMISSIONS_FIGURE = "cn_mee_total_kg"


class ComplianceState(StrEnum):
    NOT_VERIFIED = "not_verified"
    COMPLIANT = "compliant"
    SHORTFALL = "shortfall"


@dataclass(frozen=True)
class ComplianceStatus:
    """An entity's standing for one compliance period (all figures in whole tonnes)."""

    organisation_id: str
    period: int
    state: ComplianceState
    allocated_t: int
    held_t: int
    obligation_t: int | None
    surrendered_allowances_t: int
    surrendered_offsets_t: int
    offset_cap_t: int | None
    shortfall_t: int | None

    @property
    def surrendered_t(self) -> int:
        return self.surrendered_allowances_t + self.surrendered_offsets_t


def whole_tonnes(value: object, name: str, *, allow_zero: bool = False) -> int:
    """An integer tonne count (never a float or a boolean), ≥ 1 (or ≥ 0 with ``allow_zero``)."""
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InvalidInput(
            f"invalid {name}", [FieldIssue((name,), value, f"a whole number of tonnes ≥ {low}")]
        )
    return value


def check_period(period: object) -> int:
    """A compliance period is a calendar year (four digits)."""
    if isinstance(period, bool) or not isinstance(period, int) or not 1000 <= period <= 9999:
        raise InvalidInput(
            "invalid compliance period", [FieldIssue(("period",), period, "a four-digit year")]
        )
    return period


def check_share(share: Decimal) -> Decimal:
    if not isinstance(share, Decimal) or not share.is_finite() or not 0 <= share <= 1:
        raise InvalidInput(
            "invalid offset share", [FieldIssue(("offset_share",), str(share), "a Decimal in 0..1")]
        )
    return share


def obligation_t(emissions_kg: Decimal) -> int:
    """Whole tonnes to surrender for ``emissions_kg`` verified kilograms CO2(e): ``ceil(kg/1000)``."""
    if not isinstance(emissions_kg, Decimal) or not emissions_kg.is_finite() or emissions_kg < 0:
        raise InvalidInput(
            "invalid verified emissions",
            [FieldIssue(("emissions_kg",), str(emissions_kg), "a finite Decimal ≥ 0")],
        )
    return int((emissions_kg / 1000).to_integral_value(rounding=ROUND_CEILING))


def offset_cap_t(obligation: int, share: Decimal) -> int:
    """Most tonnes offsets may cover: ``floor(obligation × share)`` (art. 29: "不得超过")."""
    return int((Decimal(obligation) * check_share(share)).to_integral_value(rounding=ROUND_FLOOR))


def check_surrender(
    *,
    held_t: int,
    obligation: int,
    share: Decimal,
    surrendered_allowances_t: int,
    surrendered_offsets_t: int,
    allowances_t: int,
    offsets_t: int,
) -> None:
    """Refuse a surrender of ``allowances_t`` allowances and ``offsets_t`` offset credits that
    would take more allowances than held, more offsets than the cap allows in total, or more than
    the remaining obligation; nothing is surrendered then (the caller's transaction rolls back)."""
    whole_tonnes(allowances_t, "allowances_t", allow_zero=True)
    whole_tonnes(offsets_t, "offsets_t", allow_zero=True)
    if allowances_t + offsets_t == 0:
        raise InvalidInput(
            "empty surrender", [FieldIssue(("allowances_t",), 0, "surrender at least one tonne")]
        )
    if allowances_t > held_t:
        raise InsufficientUnits(
            f"{allowances_t} allowances asked, {held_t} held; nothing was surrendered",
            [
                FieldIssue(
                    ("allowances_t",), allowances_t, f"the entity holds {held_t} allowances of the period"
                )
            ],
        )
    cap = offset_cap_t(obligation, share)
    if surrendered_offsets_t + offsets_t > cap:
        raise InvalidInput(
            f"offsets would cover {surrendered_offsets_t + offsets_t} t, above the cap of {cap} t "
            f"({share:%} of {obligation} t); nothing was surrendered",
            [FieldIssue(("offsets_t",), offsets_t, f"at most {cap - surrendered_offsets_t} t more offsets")],
        )
    remaining = obligation - surrendered_allowances_t - surrendered_offsets_t
    if allowances_t + offsets_t > remaining:
        raise InvalidInput(
            f"surrendering {allowances_t + offsets_t} t exceeds the remaining obligation of {remaining} t",
            [FieldIssue(("allowances_t",), allowances_t + offsets_t, f"at most {remaining} t in total")],
        )


def compliance_status(
    organisation_id: str,
    period: int,
    *,
    allocated_t: int,
    held_t: int,
    obligation: int | None,
    share: Decimal,
    surrendered_allowances_t: int,
    surrendered_offsets_t: int,
) -> ComplianceStatus:
    """The entity's standing: ``not_verified`` without an obligation, else ``compliant`` or
    ``shortfall`` = obligation − allowances − offsets surrendered."""
    if obligation is None:
        return ComplianceStatus(
            organisation_id,
            period,
            ComplianceState.NOT_VERIFIED,
            allocated_t,
            held_t,
            None,
            surrendered_allowances_t,
            surrendered_offsets_t,
            None,
            None,
        )
    shortfall = max(0, obligation - surrendered_allowances_t - surrendered_offsets_t)
    return ComplianceStatus(
        organisation_id,
        period,
        ComplianceState.SHORTFALL if shortfall else ComplianceState.COMPLIANT,
        allocated_t,
        held_t,
        obligation,
        surrendered_allowances_t,
        surrendered_offsets_t,
        offset_cap_t(obligation, share),
        shortfall,
    )
