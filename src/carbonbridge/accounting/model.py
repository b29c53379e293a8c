"""Accounting domain types: who reports, what they report, and (below) what it yields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from carbonbridge.factors.model import GwpSet, Resolution


class ActivityCategory(StrEnum):
    """What kind of activity a record is, as the reporter declares it (template column
    ``category``). The framework views classify from this and the activity code."""

    STATIONARY_COMBUSTION = "stationary_combustion"
    MOBILE_COMBUSTION = "mobile_combustion"
    PURCHASED_ELECTRICITY = "purchased_electricity"
    PURCHASED_HEAT = "purchased_heat"
    REFRIGERANT = "refrigerant"
    PROCESS = "process"
    BUSINESS_TRAVEL = "business_travel"
    WASTE = "waste"


#: Category implied by each activity-code prefix (docs/factor-datasets.md).
PREFIX_CATEGORY: dict[str, ActivityCategory] = {
    "fuel": ActivityCategory.STATIONARY_COMBUSTION,
    "mobile": ActivityCategory.MOBILE_COMBUSTION,
    "electricity": ActivityCategory.PURCHASED_ELECTRICITY,
    "heat": ActivityCategory.PURCHASED_HEAT,
    "refrigerant": ActivityCategory.REFRIGERANT,
    "process": ActivityCategory.PROCESS,
    "travel": ActivityCategory.BUSINESS_TRAVEL,
    "hotel": ActivityCategory.BUSINESS_TRAVEL,
    "waste": ActivityCategory.WASTE,
}


class OrganisationKind(StrEnum):
    """Reporting organisation type (drives the demo region and the GPC sub-sector)."""

    #: power and heat plants and refineries: IPCC 2006 category 1.A.1 energy industries
    ENERGY_INDUSTRIES = "energy_industries"
    HOTEL = "hotel"
    HOSPITAL = "hospital"
    WATER_UTILITY = "water_utility"
    CEMENT = "cement"
    FARM = "farm"
    BUS_COMPANY = "bus_company"
    GOVERNMENT = "government"
    MANUFACTURING = "manufacturing"
    COMMERCIAL = "commercial"
    OTHER = "other"


@dataclass(frozen=True)
class Organisation:
    """A reporting entity (enterprise, public body)."""

    id: str
    name_en: str
    name_zh: str
    kind: OrganisationKind
    #: ISO 3166-2 subdivision of its seat, e.g. ``CN-HI`` (Hainan)
    region: str
    #: unified social credit code (统一社会信用代码) where known
    credit_code: str | None = None


@dataclass(frozen=True)
class Facility:
    """A site of an organisation; emissions are computed per facility."""

    id: str
    organisation_id: str
    name: str
    #: ISO 3166-2 subdivision, e.g. ``CN-HI``
    region: str
    #: electricity grid region code used for grid factors, e.g. ``CN-GRID-SOUTH``
    grid_region: str


#: The activity data file's columns, in order (``docs/activity-template.md``): what an enterprise
#: uploads and what any producer of such files (the demo region, a bulk import) writes.
ACTIVITY_COLUMNS = (
    "facility_id", "period_start", "period_end", "category", "activity",
    "quantity", "unit", "instrument", "note",
)  # fmt: skip


@dataclass(frozen=True)
class ActivityRecord:
    """One row of activity data: a quantity of one activity at one facility over one period.

    ``instrument`` marks electricity covered by a contractual instrument (e.g. ``GEC`` for a China
    green electricity certificate, ``PPA`` for a direct green power purchase); the market-based
    Scope 2 method applies the instrument's factor to it, the location-based method ignores it
    (GHG Protocol Scope 2 Guidance, 2015, ch. 6-7).
    """

    id: str
    organisation_id: str
    facility_id: str
    period_start: date
    period_end: date
    category: ActivityCategory
    activity: str
    quantity: Decimal
    unit: str
    region: str
    grid_region: str | None = None
    instrument: str | None = None
    note: str = ""

    @property
    def year(self) -> int:
        """Reporting year: the year the period ends in (periods may not span years: validated)."""
        return self.period_end.year


# --- What a calculation yields ------------------------------------------------------------------
#
# Every figure is a ``Decimal`` in kilograms. The engine rounds each record's gas and CO2e masses
# half-to-even to 1 mg (``RESULT_PLACES``), far below any reporting precision, so that sums of
# millions of records stay exact in the default decimal context and a reconciliation adds up to the
# last digit.

#: decimal places (of a kilogram) every record-level mass is rounded to: 1 mg
RESULT_PLACES = 6


class Basis(StrEnum):
    """Which calculation path produced a figure (one record may have several)."""

    IPCC = "ipcc"  # IPCC 2006 Vol.2 eq. 2.1 / 3.2.1: fuel × EF per gas
    MEE = "mee"  # China MEE guideline: FC × NCV × CC × OF × 44/12, CO2 only
    LOCATION = "location"  # Scope 2 location-based: MWh × grid-average factor (series B)
    MARKET = "market"  # Scope 2 market-based (contractual instruments, residual mix)
    MEE_GRID = "mee_grid"  # MEE reporting: MWh × national factor prescribed for the year (series A)
    DEFAULT = "default"  # the single path of every other activity


@dataclass(frozen=True)
class GasAmount:
    """Mass of one gas and its CO2e; ``gas == "CO2e"`` when the publisher aggregated already."""

    gas: str
    kg: Decimal
    co2e_kg: Decimal


@dataclass(frozen=True)
class PollutantAmount:
    """Mass of a co-pollutant (SO2, NOx, PM10, PM2.5), which has no CO2e."""

    pollutant: str
    kg: Decimal


@dataclass(frozen=True)
class FactorUse:
    """A factor a calculation used, the role it played (``"ncv"``, ``"ef CO2"``, ``"gwp CH4"``)
    and how the resolver chose it."""

    role: str
    resolution: Resolution

    @property
    def key(self) -> str:
        return self.resolution.factor.key


@dataclass(frozen=True)
class Trace:
    """How one basis of one record was computed: the ``explain`` of a figure."""

    basis: Basis
    equation_id: str
    equation: str
    factors: tuple[FactorUse, ...]
    gwp_set: GwpSet | None
    conversions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordEmissions:
    """Everything one activity record yields, per basis, with the trace of each."""

    record: ActivityRecord
    gwp_set: GwpSet
    method_results: Mapping[Basis, tuple[GasAmount, ...]]
    traces: Mapping[Basis, Trace]
    co_pollutants: tuple[PollutantAmount, ...] = ()

    def gases(self, basis: Basis) -> tuple[GasAmount, ...]:
        """Gas amounts of ``basis``; ``KeyError`` naming the basis when it was not computed."""
        return self.method_results[basis]

    def co2e_kg(self, basis: Basis) -> Decimal:
        """Total kg CO2e of ``basis``."""
        return sum((g.co2e_kg for g in self.method_results[basis]), Decimal(0))


@dataclass(frozen=True)
class NotComputable:
    """A stored record the engine cannot compute now (an activity no dataset publishes a factor
    for, a unit without the density it needs, a factor dataset no longer in scope): shown as
    "not computable" with ``reason``; every total that lists it excludes it."""

    record: ActivityRecord
    reason: str


# --- Framework views ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    """One gas of one record counted in one line of a framework view, on one basis."""

    record_id: str
    line: str
    basis: Basis
    gas: str
    kg: Decimal
    co2e_kg: Decimal


@dataclass(frozen=True)
class FrameworkLine:
    """A line of a framework view. ``reported`` is False when no record feeds it (shown as
    "not reported", which is not the same as a reported zero)."""

    key: str
    label_en: str
    label_zh: str
    co2e_kg: Decimal
    by_gas: Mapping[str, Decimal]
    record_ids: tuple[str, ...]
    reported: bool


@dataclass(frozen=True)
class FrameworkView:
    """An inventory as one framework structures it.

    ``contributions`` are exactly what ``total_co2e_kg`` sums (the headline boundary and basis);
    ``totals`` holds named sub-totals (e.g. ``scope2_market``) that may lie outside the headline;
    ``out_of_boundary`` lists what the framework excludes, with its size, so nothing disappears.
    """

    framework: str
    organisation_id: str
    lines: tuple[FrameworkLine, ...]
    totals: Mapping[str, Decimal]
    total_co2e_kg: Decimal
    by_gas_group: Mapping[str, GasAmount]
    contributions: tuple[Contribution, ...]
    out_of_boundary: tuple[FrameworkLine, ...] = ()
    notes: tuple[str, ...] = ()

    def line(self, key: str) -> FrameworkLine:
        """The line with ``key``; raises ``KeyError`` naming it."""
        for item in self.lines:
            if item.key == key:
                return item
        raise KeyError(key)


# --- Reconciliation -----------------------------------------------------------------------------


class Cause(StrEnum):
    """Why two views of the same records differ."""

    SCOPE2_BASIS = "scope2_basis"
    MARKET_INSTRUMENTS = "market_instruments"
    COMBUSTION_PATH = "combustion_path"
    BOUNDARY = "boundary"
    GASES_COUNTED = "gases_counted"
    OTHER_METHOD = "other_method"


@dataclass(frozen=True)
class ReconciliationLine:
    """One cause of difference: ``co2e_kg`` is (view b − view a) for the records it names."""

    cause: Cause
    label_en: str
    label_zh: str
    co2e_kg: Decimal
    record_ids: tuple[str, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reconciliation:
    """Itemised bridge from view a to view b: ``total_a + Σ lines == total_b`` exactly."""

    framework_a: str
    framework_b: str
    total_a: Decimal
    total_b: Decimal
    lines: tuple[ReconciliationLine, ...]

    @property
    def difference(self) -> Decimal:
        return sum((line.co2e_kg for line in self.lines), Decimal(0))


# --- Regional inventory ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SectorTotal:
    """Emissions of one sector (IPCC code such as ``1.A.2`` or GPC ``I``/scope) in one year."""

    key: str
    label_en: str
    label_zh: str
    co2e_kg: Decimal
    by_gas: Mapping[str, Decimal]
    record_ids: tuple[str, ...]
    reported: bool


@dataclass(frozen=True)
class RegionalYear:
    """A territory's inventory for one year, by IPCC sector and by GPC sector and scope.

    Intensities are kg CO2e per person and per 10^4 CNY of GDP, rounded half-to-even to 1 g, and
    ``None`` when the denominator was not supplied for the year.
    """

    year: int
    ipcc: tuple[SectorTotal, ...]
    gpc: tuple[SectorTotal, ...]
    ipcc_total_kg: Decimal
    gpc_basic_kg: Decimal
    gpc_basic_plus_kg: Decimal
    outside_ipcc: tuple[SectorTotal, ...]
    population: Decimal | None
    gdp_10k_cny: Decimal | None
    per_capita_kg: Decimal | None
    per_10k_cny_kg: Decimal | None

    def ipcc_sector(self, key: str) -> SectorTotal:
        """IPCC sector ``key`` (``"1"``, ``"1.A.2"``, ``"2"``, ...); ``KeyError`` when absent."""
        return _find(self.ipcc, key)

    def gpc_sector(self, key: str) -> SectorTotal:
        """GPC cell ``key`` such as ``"I/1"`` (sector I, scope 1) or total ``"I"``."""
        return _find(self.gpc, key)


@dataclass(frozen=True)
class RegionalInventory:
    """A territory's inventory across years, built from its organisations' records."""

    territory: str
    years: tuple[RegionalYear, ...]

    def year(self, year: int) -> RegionalYear:
        for item in self.years:
            if item.year == year:
                return item
        raise KeyError(year)


def _find(items: tuple[SectorTotal, ...], key: str) -> SectorTotal:
    for item in items:
        if item.key == key:
            return item
    raise KeyError(key)
