"""Reconciliation of two framework views of the same records, one line per cause of difference.

Every (record, gas) pair counted in either view is assigned to exactly one cause, and its
difference (view b − view a) is added to that cause's line; hence ``total_a + Σ lines == total_b``
exactly (all record-level figures are rounded to 1 mg, so the sums are exact in decimal).

Causes (ordered as reported):

* boundary — the record is in one view only (HFCs, travel, waste outside the MEE guideline);
* gases counted — the record is in both but the gas in one only (CH4/N2O not counted by MEE);
* combustion path — IPCC 2006 EF per TJ vs MEE FC × NCV × CC × OF × 44/12;
* market-based instruments — location-based vs market-based Scope 2 (GEC, PPA);
* scope-2 basis — location/market figure vs the MEE national factor (series A);
* other method — any other pair of bases (should not occur between the built-in views).

A record counted on the market basis in one view and on the MEE series-A basis in the other is
split through its location-based figure: (location − market) to instruments, (series A −
location) to scope-2 basis.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, localcontext

from carbonbridge.accounting.model import (
    Basis,
    Cause,
    FrameworkView,
    Reconciliation,
    ReconciliationLine,
    RecordEmissions,
)
from carbonbridge.kernel.errors import FieldIssue, InvalidInput
from carbonbridge.kernel.exact import decimal_context

_ZERO = Decimal(0)

_LABELS: dict[Cause, tuple[str, str]] = {
    Cause.BOUNDARY: ("Boundary: sources counted by one framework only", "核算边界差异"),
    Cause.GASES_COUNTED: (
        "Gases counted (e.g. CH4 and N2O not counted by MEE)",
        "核算气体种类差异",
    ),
    Cause.COMBUSTION_PATH: (
        "Combustion method: IPCC EF per TJ vs MEE NCV × CC × OF × 44/12",
        "燃料燃烧核算方法差异（IPCC排放因子与MEE低位发热量×单位热值含碳量×碳氧化率）",
    ),
    Cause.MARKET_INSTRUMENTS: (
        "Market-based instruments (GEC, PPA) vs location-based",
        "市场化工具（绿证、绿电交易）与基于位置的差异",
    ),
    Cause.SCOPE2_BASIS: (
        "Scope 2 factor basis: grid-average (series B) vs MEE national factor (series A)",
        "外购电力排放因子口径差异（统计因子与核算报告因子）",
    ),
    Cause.OTHER_METHOD: ("Other method difference", "其他方法差异"),
}

_PAIR_CAUSE: dict[frozenset[Basis], Cause] = {
    frozenset({Basis.IPCC, Basis.MEE}): Cause.COMBUSTION_PATH,
    frozenset({Basis.LOCATION, Basis.MARKET}): Cause.MARKET_INSTRUMENTS,
    frozenset({Basis.LOCATION, Basis.MEE_GRID}): Cause.SCOPE2_BASIS,
}

_Key = tuple[str, str]  # record id, gas


def _index(view: FrameworkView) -> tuple[dict[_Key, Decimal], dict[_Key, Basis], set[str]]:
    amounts: dict[_Key, Decimal] = {}
    bases: dict[_Key, Basis] = {}
    for c in view.contributions:
        key = (c.record_id, c.gas)
        amounts[key] = amounts.get(key, _ZERO) + c.co2e_kg
        bases[key] = c.basis
    return amounts, bases, {c.record_id for c in view.contributions}


class _Lines:
    def __init__(self) -> None:
        self.amount: dict[Cause, Decimal] = {}
        self.ids: dict[Cause, dict[str, None]] = {}
        self.notes: dict[Cause, dict[str, None]] = {}

    def add(self, cause: Cause, record_id: str, amount: Decimal, note: str | None = None) -> None:
        if not amount and not note:
            return  # no difference and nothing to say: not a cause for this record
        self.amount[cause] = self.amount.get(cause, _ZERO) + amount
        self.ids.setdefault(cause, {})[record_id] = None
        if note:
            self.notes.setdefault(cause, {})[note] = None

    def build(self) -> tuple[ReconciliationLine, ...]:
        return tuple(
            ReconciliationLine(
                cause,
                *_LABELS[cause],
                self.amount[cause],
                tuple(self.ids[cause]),
                tuple(self.notes.get(cause, {})),
            )
            for cause in _LABELS
            if cause in self.amount
        )


def reconcile(
    view_a: FrameworkView, view_b: FrameworkView, records: Sequence[RecordEmissions]
) -> Reconciliation:
    """Itemise why ``view_b`` differs from ``view_a`` (both computed from ``records``)."""
    by_id = {e.record.id: e for e in records}
    a, basis_a, ids_a = _index(view_a)
    b, basis_b, ids_b = _index(view_b)
    unknown = sorted((ids_a | ids_b) - set(by_id))
    if unknown:
        raise InvalidInput(
            "views count records that were not passed to reconcile",
            [FieldIssue(("records",), rid, "not among the computed records") for rid in unknown],
        )
    lines = _Lines()
    with localcontext(decimal_context()):
        for key in dict.fromkeys([*a, *b]):
            record_id, gas = key
            diff = b.get(key, _ZERO) - a.get(key, _ZERO)
            if record_id not in ids_a or record_id not in ids_b:
                where = view_a.framework if record_id in ids_a else view_b.framework
                note = f"{by_id[record_id].record.activity}: counted by {where} only"
                lines.add(Cause.BOUNDARY, record_id, diff, note)
            elif key not in a or key not in b:
                lines.add(Cause.GASES_COUNTED, record_id, diff, f"{gas} counted in one view only")
            else:
                _method(lines, by_id[record_id], gas, basis_a[key], basis_b[key], diff)
        total_a = sum(a.values(), _ZERO)
        total_b = sum(b.values(), _ZERO)
    return Reconciliation(view_a.framework, view_b.framework, total_a, total_b, lines.build())


def _method(lines: _Lines, e: RecordEmissions, gas: str, ba: Basis, bb: Basis, diff: Decimal) -> None:
    rid = e.record.id
    if ba is bb:
        if diff:
            lines.add(Cause.OTHER_METHOD, rid, diff, f"same basis {ba.value}, different figure")
        return
    pair = frozenset({ba, bb})
    if pair == frozenset({Basis.MARKET, Basis.MEE_GRID}):
        location = _gas_co2e(e, Basis.LOCATION, gas)
        sign = Decimal(1) if ba is Basis.MARKET else Decimal(-1)
        via = location - _gas_co2e(e, Basis.MARKET, gas)
        lines.add(Cause.MARKET_INSTRUMENTS, rid, sign * via, e.record.instrument if via else None)
        lines.add(Cause.SCOPE2_BASIS, rid, diff - sign * via)
        return
    cause = _PAIR_CAUSE.get(pair, Cause.OTHER_METHOD)
    note = None
    if cause is Cause.COMBUSTION_PATH:
        note = next(iter(e.traces[Basis.MEE].notes), None)
    elif cause is Cause.MARKET_INSTRUMENTS and diff:
        note = e.record.instrument
    lines.add(cause, rid, diff, note)


def _gas_co2e(e: RecordEmissions, basis: Basis, gas: str) -> Decimal:
    return sum((g.co2e_kg for g in e.gases(basis) if g.gas == gas), _ZERO)
