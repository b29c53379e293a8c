"""Regional (territorial) inventory from many organisations' records: IPCC sectors and GPC.

* IPCC 2006 Guidelines sectors: 1 Energy (1.A.1 energy industries, 1.A.2 manufacturing and
  construction, 1.A.3 transport, 1.A.4 other sectors), 2 IPPU, 3 AFOLU, 4 Waste. Territorial:
  purchased electricity and heat, business travel and hotel stays are not in the IPCC total (listed
  in ``outside_ipcc``).
* GHG Protocol for Cities (GPC, 2021 v1.1): I stationary energy, II transportation, III waste,
  IV IPPU, V AFOLU, each by scope 1/2/3. BASIC = I(1,2) + II(1,2) + III(1,3); BASIC+ adds IV(1),
  V(1) and II(3) (GPC Table 3.3).

Mapping rules are in ``docs/accounting.md``. Combustion uses the IPCC basis, electricity the
location basis (the GPC requires grid-average factors for scope 2), everything else its only basis.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, localcontext

from carbonbridge.accounting.model import (
    Basis,
    Organisation,
    OrganisationKind,
    RecordEmissions,
    RegionalInventory,
    RegionalYear,
    SectorTotal,
)
from carbonbridge.factors.model import gas_group
from carbonbridge.kernel.errors import FieldIssue, InvalidInput
from carbonbridge.kernel.exact import decimal_context, quantize

_ZERO = Decimal(0)

IPCC_SECTORS: tuple[tuple[str, str, str], ...] = (
    ("1", "Energy", "能源"),
    ("1.A.1", "Energy industries", "能源工业"),
    ("1.A.2", "Manufacturing industries and construction", "制造业和建筑业"),
    ("1.A.3", "Transport", "交通运输"),
    ("1.A.4", "Other sectors (commercial, institutional, residential, agriculture)", "其他部门"),
    ("2", "Industrial processes and product use", "工业生产过程和产品使用"),
    ("3", "Agriculture, forestry and other land use", "农业、林业和其他土地利用"),
    ("4", "Waste", "废弃物"),
)

GPC_SECTORS: tuple[tuple[str, str, str], ...] = (
    ("I", "Stationary energy", "固定源能源"),
    ("II", "Transportation", "交通"),
    ("III", "Waste", "废弃物"),
    ("IV", "Industrial processes and product use", "工业过程和产品使用"),
    ("V", "Agriculture, forestry and other land use", "农业、林业和其他土地利用"),
)

#: Stationary combustion of each organisation kind, IPCC 2006 Vol.2 Ch.2 Table 2.1 categories.
KIND_TO_IPCC: Mapping[OrganisationKind, str] = {
    OrganisationKind.ENERGY_INDUSTRIES: "1.A.1",
    OrganisationKind.CEMENT: "1.A.2",
    OrganisationKind.MANUFACTURING: "1.A.2",
    OrganisationKind.HOTEL: "1.A.4",
    OrganisationKind.HOSPITAL: "1.A.4",
    OrganisationKind.WATER_UTILITY: "1.A.4",
    OrganisationKind.BUS_COMPANY: "1.A.4",
    OrganisationKind.GOVERNMENT: "1.A.4",
    OrganisationKind.COMMERCIAL: "1.A.4",
    OrganisationKind.FARM: "1.A.4",
    OrganisationKind.OTHER: "1.A.4",
}

#: GPC Table 3.3: the sector/scope cells of BASIC and of BASIC+
BASIC = {("I", 1), ("I", 2), ("II", 1), ("II", 2), ("III", 1), ("III", 3)}
BASIC_PLUS = BASIC | {("IV", 1), ("V", 1), ("II", 3)}


def ipcc_sector(e: RecordEmissions, kind: OrganisationKind) -> str | None:
    """IPCC sector code of a record, or ``None`` when it is outside the territorial total."""
    prefix = e.record.activity.split(".", 1)[0]
    if prefix == "fuel":
        return KIND_TO_IPCC[kind]
    return {"mobile": "1.A.3", "process": "2", "refrigerant": "2", "waste": "4"}.get(prefix)


def gpc_cell(e: RecordEmissions, *, waste_in_territory: bool = True) -> tuple[str, int] | None:
    """GPC sector and scope of a record, or ``None`` when outside the GPC (hotel stays)."""
    prefix = e.record.activity.split(".", 1)[0]
    cells: dict[str, tuple[str, int]] = {
        "fuel": ("I", 1),
        "electricity": ("I", 2),
        "heat": ("I", 2),
        "mobile": ("II", 1),
        "travel": ("II", 3),
        "waste": ("III", 1 if waste_in_territory else 3),
        "process": ("IV", 1),
        "refrigerant": ("IV", 1),
    }
    return cells.get(prefix)


def basis_of(e: RecordEmissions) -> Basis:
    """The basis a record counts with in the territory: IPCC, else location, else its only one."""
    for basis in (Basis.IPCC, Basis.LOCATION, Basis.DEFAULT):
        if basis in e.method_results:
            return basis
    raise KeyError(f"record {e.record.id}: no territorial basis")


def _total(key: str, en: str, zh: str, items: Iterable[RecordEmissions]) -> SectorTotal:
    by_gas: dict[str, Decimal] = {}
    ids: list[str] = []
    for e in items:
        ids.append(e.record.id)
        for g in e.gases(basis_of(e)):
            by_gas[gas_group(g.gas)] = by_gas.get(gas_group(g.gas), _ZERO) + g.co2e_kg
    return SectorTotal(key, en, zh, sum(by_gas.values(), _ZERO), by_gas, tuple(ids), bool(ids))


def _intensity(total: Decimal, denominator: Decimal | None) -> Decimal | None:
    if denominator is None:
        return None
    return quantize(total / denominator, 3)


def regional_inventory(
    territory: str,
    organisations: Sequence[Organisation],
    records: Sequence[RecordEmissions],
    *,
    population: Mapping[int, Decimal] | None = None,
    gdp_10k_cny: Mapping[int, Decimal] | None = None,
    waste_in_territory: bool = True,
) -> RegionalInventory:
    """Inventory of ``territory`` per year from its organisations' computed records.

    ``population`` (persons) and ``gdp_10k_cny`` (10^4 CNY, current prices) by year give the
    intensities of the IPCC territorial total. A record whose organisation is unknown raises
    :class:`InvalidInput` naming it.
    """
    kinds = {o.id: o.kind for o in organisations}
    for e in records:
        if e.record.organisation_id not in kinds:
            raise InvalidInput(
                f"record {e.record.id}: organisation not in the territory's list",
                [FieldIssue(("organisation_id",), e.record.organisation_id, "unknown")],
            )
    years = sorted({e.record.year for e in records} | set(population or {}) | set(gdp_10k_cny or {}))
    with localcontext(decimal_context()):
        built = tuple(
            _year(
                y,
                [e for e in records if e.record.year == y],
                kinds,
                population or {},
                gdp_10k_cny or {},
                waste_in_territory,
            )
            for y in years
        )
    return RegionalInventory(territory, built)


def _year(
    year: int,
    records: Sequence[RecordEmissions],
    kinds: Mapping[str, OrganisationKind],
    population: Mapping[int, Decimal],
    gdp: Mapping[int, Decimal],
    waste_in_territory: bool,
) -> RegionalYear:
    sector = {e.record.id: ipcc_sector(e, kinds[e.record.organisation_id]) for e in records}
    ipcc = tuple(
        _total(k, en, zh, (e for e in records if (sector[e.record.id] or "").startswith(k)))
        for k, en, zh in IPCC_SECTORS
    )
    outside = _total(
        "outside",
        "Outside the territorial (IPCC) total",
        "不计入辖区（IPCC）总量",
        (e for e in records if sector[e.record.id] is None),
    )
    cell = {e.record.id: gpc_cell(e, waste_in_territory=waste_in_territory) for e in records}
    gpc: list[SectorTotal] = []
    for k, en, zh in GPC_SECTORS:
        gpc.append(_total(k, en, zh, (e for e in records if (cell[e.record.id] or ("",))[0] == k)))
        for scope in (1, 2, 3):
            gpc.append(
                _total(
                    f"{k}/{scope}",
                    f"{en}, scope {scope}",
                    f"{zh}，范围{scope}",
                    (e for e in records if cell[e.record.id] == (k, scope)),
                )
            )
    totals = {t.key: t.co2e_kg for t in gpc}
    ipcc_total = sum((t.co2e_kg for t in ipcc if "." not in t.key), _ZERO)
    return RegionalYear(
        year=year,
        ipcc=ipcc,
        gpc=tuple(gpc),
        ipcc_total_kg=ipcc_total,
        gpc_basic_kg=sum((totals[f"{k}/{s}"] for k, s in sorted(BASIC)), _ZERO),
        gpc_basic_plus_kg=sum((totals[f"{k}/{s}"] for k, s in sorted(BASIC_PLUS)), _ZERO),
        outside_ipcc=(outside,),
        population=population.get(year),
        gdp_10k_cny=gdp.get(year),
        per_capita_kg=_intensity(ipcc_total, population.get(year)),
        per_10k_cny_kg=_intensity(ipcc_total, gdp.get(year)),
    )
