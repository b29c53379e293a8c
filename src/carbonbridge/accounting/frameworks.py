"""Framework views over computed records: GHG Protocol, ISO 14064-1:2018 and China MEE guidelines.

Each view is a pure function of :class:`RecordEmissions` and returns a :class:`FrameworkView` whose
``contributions`` are exactly what its headline total sums. Classification is by activity code
(``docs/accounting.md`` has the mapping tables and the decisions taken where a standard allows a
choice).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from decimal import Decimal

from carbonbridge.accounting.calculation import MEE_GRID_MISSING
from carbonbridge.accounting.model import (
    Basis,
    Contribution,
    FrameworkLine,
    FrameworkView,
    GasAmount,
    Organisation,
    RecordEmissions,
)
from carbonbridge.factors.model import gas_group
from carbonbridge.kernel.errors import FactorNotFound

_ZERO = Decimal(0)

#: GHG Protocol Corporate Value Chain (Scope 3) Standard, Table 5.4: the 15 categories.
SCOPE3_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("Purchased goods and services", "外购商品和服务"),
    ("Capital goods", "资本货物"),
    ("Fuel- and energy-related activities", "燃料和能源相关活动"),
    ("Upstream transportation and distribution", "上游运输和配送"),
    ("Waste generated in operations", "运营中产生的废弃物"),
    ("Business travel", "商务差旅"),
    ("Employee commuting", "员工通勤"),
    ("Upstream leased assets", "上游租赁资产"),
    ("Downstream transportation and distribution", "下游运输和配送"),
    ("Processing of sold products", "售出产品的加工"),
    ("Use of sold products", "售出产品的使用"),
    ("End-of-life treatment of sold products", "售出产品的寿命终止处理"),
    ("Downstream leased assets", "下游租赁资产"),
    ("Franchises", "特许经营"),
    ("Investments", "投资"),
)

_GHGP_LINES: tuple[tuple[str, str, str], ...] = (
    ("scope1.stationary", "Scope 1 — stationary combustion", "范围一 — 固定燃烧"),
    ("scope1.mobile", "Scope 1 — mobile combustion", "范围一 — 移动燃烧"),
    ("scope1.process", "Scope 1 — process emissions", "范围一 — 工业过程排放"),
    ("scope1.fugitive", "Scope 1 — fugitive (refrigerants)", "范围一 — 逸散排放（制冷剂）"),
    ("scope2.location", "Scope 2 — location-based", "范围二 — 基于位置"),
    ("scope2.market", "Scope 2 — market-based", "范围二 — 基于市场"),
    *tuple(
        (f"scope3.cat{i:02d}", f"Scope 3 — category {i}: {en}", f"范围三 — 类别{i}：{zh}")
        for i, (en, zh) in enumerate(SCOPE3_CATEGORIES, start=1)
    ),
)

_ISO_LINES: tuple[tuple[str, str, str], ...] = (
    ("cat1", "Category 1 — direct GHG emissions and removals", "类别1 — 直接温室气体排放和清除"),
    (
        "cat2",
        "Category 2 — indirect emissions from imported energy (location-based)",
        "类别2 — 输入能源的间接排放（基于位置）",
    ),
    (
        "cat2.market",
        "Category 2 — market-based (additional information)",
        "类别2 — 基于市场（补充信息）",
    ),
    ("cat3", "Category 3 — indirect emissions from transportation", "类别3 — 运输产生的间接排放"),
    (
        "cat4",
        "Category 4 — indirect emissions from products used by the organization",
        "类别4 — 组织使用的产品产生的间接排放",
    ),
    (
        "cat5",
        "Category 5 — indirect emissions associated with the use of products from the organization",
        "类别5 — 与组织产品使用相关的间接排放",
    ),
    ("cat6", "Category 6 — indirect emissions from other sources", "类别6 — 其他来源的间接排放"),
)

_MEE_LINES: tuple[tuple[str, str, str], ...] = (
    ("fuel_combustion", "Fossil fuel combustion (FC × NCV × CC × OF × 44/12)", "化石燃料燃烧"),
    ("process", "Industrial processes", "工业生产过程"),
    (
        "electricity",
        "Net purchased electricity (national factor for the reporting year)",
        "净购入电力",
    ),
    ("heat", "Net purchased heat", "净购入热力"),
)
_MEE_EXCLUDED: tuple[tuple[str, str, str], ...] = (
    ("excluded.ch4_n2o", "CH4 and N2O (not counted by the guideline)", "CH4、N2O（指南不核算）"),
    ("excluded.fluorinated", "Fluorinated gases from refrigerants", "制冷剂含氟气体"),
    ("excluded.travel", "Business travel and hotel stays", "商务差旅和酒店住宿"),
    ("excluded.waste", "Waste generated in operations", "运营中产生的废弃物"),
)

_Placement = tuple[str, Basis, frozenset[str] | None]  # line key, basis, gases (None = all)
_Placer = Callable[[RecordEmissions], Sequence[_Placement]]


def _kind(e: RecordEmissions) -> str:
    return e.record.activity.split(".", 1)[0]


def _ghgp_placements(e: RecordEmissions) -> Sequence[_Placement]:
    """GHG Protocol Corporate Standard ch.4 (scopes) and Scope 3 Standard Table 5.4."""
    return {
        "fuel": [("scope1.stationary", Basis.IPCC, None)],
        "mobile": [("scope1.mobile", Basis.IPCC, None)],
        "process": [("scope1.process", Basis.DEFAULT, None)],
        "refrigerant": [("scope1.fugitive", Basis.DEFAULT, None)],
        "electricity": [
            ("scope2.location", Basis.LOCATION, None),
            ("scope2.market", Basis.MARKET, None),
        ],
        "heat": [
            ("scope2.location", Basis.DEFAULT, None),
            ("scope2.market", Basis.DEFAULT, None),
        ],
        "travel": [("scope3.cat06", Basis.DEFAULT, None)],
        "hotel": [("scope3.cat06", Basis.DEFAULT, None)],
        "waste": [("scope3.cat05", Basis.DEFAULT, None)],
    }[_kind(e)]


def _iso_placements(e: RecordEmissions) -> Sequence[_Placement]:
    """ISO 14064-1:2018 clause 5.2.4 and Annex B categories."""
    kind = _kind(e)
    if kind in {"fuel", "mobile"}:
        return [("cat1", Basis.IPCC, None)]
    if kind in {"process", "refrigerant"}:
        return [("cat1", Basis.DEFAULT, None)]
    if kind == "electricity":
        return [("cat2", Basis.LOCATION, None), ("cat2.market", Basis.MARKET, None)]
    if kind == "heat":
        return [("cat2", Basis.DEFAULT, None), ("cat2.market", Basis.DEFAULT, None)]
    if kind in {"travel", "hotel"}:
        return [("cat3", Basis.DEFAULT, None)]
    return [("cat4", Basis.DEFAULT, None)]  # waste: disposal services used (Annex B.3.5)


_CO2 = frozenset({"CO2"})


def _mee_placements(e: RecordEmissions) -> Sequence[_Placement]:
    """China MEE enterprise guidelines: CO2 from combustion, process, net purchased power/heat."""
    kind = _kind(e)
    if kind in {"fuel", "mobile"}:
        return [
            ("fuel_combustion", Basis.MEE, _CO2),
            ("excluded.ch4_n2o", Basis.IPCC, frozenset({"CH4", "N2O"})),
        ]
    if kind == "process":
        return [("process", Basis.DEFAULT, _CO2)]
    if kind == "electricity":
        if Basis.MEE_GRID not in e.method_results:
            # The engine noted the resolver's reason (e.g. the year policy): give that, not a guess.
            location = e.traces.get(Basis.LOCATION)
            why = next((n for n in location.notes if n.startswith(MEE_GRID_MISSING)), "") if location else ""
            raise FactorNotFound(f"record {e.record.id}: {why or f'{MEE_GRID_MISSING} for {e.record.year}'}")
        return [("electricity", Basis.MEE_GRID, _CO2)]
    if kind == "heat":
        return [("heat", Basis.DEFAULT, _CO2)]
    if kind == "refrigerant":
        return [("excluded.fluorinated", Basis.DEFAULT, None)]
    if kind in {"travel", "hotel"}:
        return [("excluded.travel", Basis.DEFAULT, None)]
    return [("excluded.waste", Basis.DEFAULT, None)]


def _contributions(records: Iterable[RecordEmissions], place: _Placer) -> list[Contribution]:
    out: list[Contribution] = []
    for e in records:
        for key, basis, gases in place(e):
            for g in e.gases(basis):
                if gases is None or g.gas in gases:
                    out.append(Contribution(e.record.id, key, basis, g.gas, g.kg, g.co2e_kg))
    return out


def _line(key: str, en: str, zh: str, items: Sequence[Contribution]) -> FrameworkLine:
    mine = [c for c in items if c.line == key]
    by_gas: dict[str, Decimal] = {}
    for c in mine:
        group = gas_group(c.gas)
        by_gas[group] = by_gas.get(group, _ZERO) + c.co2e_kg
    ids = tuple(dict.fromkeys(c.record_id for c in mine))
    return FrameworkLine(key, en, zh, sum((c.co2e_kg for c in mine), _ZERO), by_gas, ids, bool(ids))


def _by_gas_group(items: Iterable[Contribution]) -> dict[str, GasAmount]:
    kg: dict[str, Decimal] = {}
    co2e: dict[str, Decimal] = {}
    for c in items:
        group = gas_group(c.gas)
        kg[group] = kg.get(group, _ZERO) + c.kg
        co2e[group] = co2e.get(group, _ZERO) + c.co2e_kg
    return {g: GasAmount(g, kg[g], co2e[g]) for g in kg}


def _view(
    framework: str,
    organisation: Organisation,
    records: Sequence[RecordEmissions],
    place: _Placer,
    lines: Sequence[tuple[str, str, str]],
    headline: frozenset[str],
    excluded: Sequence[tuple[str, str, str]] = (),
    notes: tuple[str, ...] = (),
) -> FrameworkView:
    items = _contributions(records, place)
    counted = tuple(c for c in items if c.line in headline)
    built = tuple(_line(k, en, zh, items) for k, en, zh in lines)
    outside = tuple(_line(k, en, zh, items) for k, en, zh in excluded)
    totals = {line.key: line.co2e_kg for line in built}
    return FrameworkView(
        framework=framework,
        organisation_id=organisation.id,
        lines=built,
        totals=totals,
        total_co2e_kg=sum((c.co2e_kg for c in counted), _ZERO),
        by_gas_group=_by_gas_group(counted),
        contributions=counted,
        out_of_boundary=outside,
        notes=notes,
    )


def ghg_protocol(
    organisation: Organisation,
    records: Sequence[RecordEmissions],
    *,
    scope2_basis: Basis = Basis.LOCATION,
) -> FrameworkView:
    """GHG Protocol Corporate Standard (2004) with Scope 2 Guidance (2015) dual reporting and the
    Scope 3 Standard (2011). Both Scope 2 totals are lines; the headline total counts
    ``scope2_basis`` (location-based unless asked otherwise). Scope 3 categories without records
    are ``reported=False`` ("not reported"), distinct from a reported zero."""
    scope2 = "scope2.market" if scope2_basis is Basis.MARKET else "scope2.location"
    headline = frozenset(k for k, _, _ in _GHGP_LINES if not k.startswith("scope2.")) | {scope2}
    view = _view(
        "ghg_protocol",
        organisation,
        records,
        _ghgp_placements,
        _GHGP_LINES,
        headline,
        notes=(f"headline total uses Scope 2 {scope2.split('.')[1]}-based",),
    )
    totals = dict(view.totals)
    for scope in ("scope1", "scope3"):
        totals[scope] = sum((v for k, v in view.totals.items() if k.startswith(scope + ".")), _ZERO)
    totals["scope2_location"] = view.totals["scope2.location"]
    totals["scope2_market"] = view.totals["scope2.market"]
    totals["total"] = view.total_co2e_kg
    return replace(view, totals=totals)


def iso14064(organisation: Organisation, records: Sequence[RecordEmissions]) -> FrameworkView:
    """ISO 14064-1:2018 categories 1–6 (clause 5.2.4). Category 2 counts location-based figures;
    market-based figures are shown as additional information (``cat2.market``), as Annex E allows.
    Hotel stays are reported with business travel in category 3; waste disposal in category 4."""
    headline = frozenset({"cat1", "cat2", "cat3", "cat4", "cat5", "cat6"})
    view = _view(
        "iso14064-1",
        organisation,
        records,
        _iso_placements,
        _ISO_LINES,
        headline,
        notes=("category 2 location-based; market-based as additional information",),
    )
    return replace(view, totals={**view.totals, "total": view.total_co2e_kg})


def cn_mee(organisation: Organisation, records: Sequence[RecordEmissions]) -> FrameworkView:
    """China MEE enterprise GHG accounting guideline structure (CO2 only): 化石燃料燃烧 by
    FC × NCV × CC × OF × 44/12, 工业生产过程, 净购入电力 (series-A national factor of the reporting
    year), 净购入热力. Out-of-boundary items are listed with their size in ``out_of_boundary``."""
    headline = frozenset(k for k, _, _ in _MEE_LINES)
    view = _view(
        "cn_mee",
        organisation,
        records,
        _mee_placements,
        _MEE_LINES,
        headline,
        _MEE_EXCLUDED,
        notes=("CO2 only; HFCs, travel and waste outside the boundary",),
    )
    return replace(view, totals={**view.totals, "total": view.total_co2e_kg})


#: framework id (as :attr:`FrameworkView.framework`) → its placement rule, for :func:`placements`
_PLACERS: dict[str, _Placer] = {
    "ghg_protocol": _ghgp_placements,
    "iso14064-1": _iso_placements,
    "cn_mee": _mee_placements,
}


def placements(e: RecordEmissions) -> dict[str, list[Contribution]]:
    """Every line of every framework one record lands in: framework id → its contributions.

    The same placement rules the views use, including lines outside the headline (both Scope 2
    bases, ISO ``cat2.market``, the MEE ``excluded.*`` lines). Raises :class:`FactorNotFound` as
    :func:`cn_mee` does for electricity without an MEE reporting factor. Used by the bulk engine's
    coefficient plan (``accounting.plan``).
    """
    return {framework: _contributions([e], place) for framework, place in _PLACERS.items()}


def check_placeable(e: RecordEmissions) -> None:
    """Raise :class:`FactorNotFound` unless every framework view can place ``e``: each line a
    framework puts the record in needs a basis the engine computed (the MEE view needs the series-A
    figure of grid electricity, as :func:`cn_mee` does)."""
    for framework, place in _PLACERS.items():
        for _key, basis, _gases in place(e):
            if basis not in e.method_results:
                raise FactorNotFound(
                    f"record {e.record.id}: the {framework} view needs a {basis.value} figure"
                )


def headline_lines(*, scope2_basis: Basis = Basis.LOCATION) -> dict[str, frozenset[str]]:
    """Framework id → the lines its headline total sums (as :func:`ghg_protocol`,
    :func:`iso14064` and :func:`cn_mee` count them)."""
    scope2 = "scope2.market" if scope2_basis is Basis.MARKET else "scope2.location"
    return {
        "ghg_protocol": frozenset(k for k, _, _ in _GHGP_LINES if not k.startswith("scope2.")) | {scope2},
        "iso14064-1": frozenset({"cat1", "cat2", "cat3", "cat4", "cat5", "cat6"}),
        "cn_mee": frozenset(k for k, _, _ in _MEE_LINES),
    }
