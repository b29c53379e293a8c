"""Emission calculation for one activity record: gases per basis, with the trace of every figure.

Paths by activity code (``docs/accounting.md`` has the full table):

* ``fuel.*``, ``mobile.*`` — IPCC 2006 Vol.2 Ch.2 eq. 2.1 (stationary) / Ch.3 eq. 3.2.1 (road):
  ``E_gas = fuel energy (TJ) × EF_gas (kg/TJ)`` for CO2, CH4, N2O, plus co-pollutants where a factor
  exists; **and** the China MEE guideline path ``E = FC × NCV × CC × OF × 44/12`` (CO2 only), so
  that the GHG Protocol / ISO views and the MEE view can be reconciled line by line
  (``accounting.combustion``; a fuel without an IPCC default is computed at Tier 2).
* ``electricity.grid`` — location-based (series B, grid region, data year ≤ reporting year),
  market-based (GHG Protocol Scope 2 Guidance 2015 §6.11 / Table 6.3 hierarchy) and the MEE
  reporting figure (series A, national factor prescribed for the reporting year). The two series
  are never mixed in one figure.
* ``refrigerant.*`` — mass released × GWP; blends split by mass fraction into their gases.
* ``heat.purchased``, ``process.*``, ``travel.*``, ``hotel.*``, ``waste.*`` — quantity × factor,
  per gas where published as gas mass, otherwise the publisher's CO2e (not re-weighted).

Every record-level mass is rounded half-to-even to 1 mg (``model.RESULT_PLACES``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from carbonbridge.accounting.calculation import (
    DEFAULT_SOURCES,
    MEE_GRID_REPORTING,
    MEE_NBS_GRID,
    NO_RESIDUAL_MIX,
    ZERO_INSTRUMENT,
    Sources,
    apply_factor,
    dimension_of_safe,
    fmt,
    round_mg,
)
from carbonbridge.accounting.combustion import FuelCombustion
from carbonbridge.accounting.model import (
    ActivityRecord,
    Basis,
    Facility,
    FactorUse,
    GasAmount,
    Organisation,
    OrganisationKind,
    PollutantAmount,
    RecordEmissions,
    Trace,
)
from carbonbridge.factors.model import (
    CO_POLLUTANTS,
    FactorQuery,
    FactorResolver,
    GwpSet,
    Parameter,
    Resolution,
)
from carbonbridge.kernel.errors import FactorNotFound, FieldIssue, InvalidInput

__all__ = [
    "DEFAULT_SOURCES",
    "MEE_GRID_REPORTING",
    "MEE_NBS_GRID",
    "Sources",
    "calculate",
    "calculate_all",
    "combustion_sectors",
]

_ZERO = Decimal(0)


def calculate(
    record: ActivityRecord,
    resolver: FactorResolver,
    gwp: GwpSet,
    *,
    datasets: tuple[str, ...] = (),
    sector: str | None = None,
    grid_region: str | None = None,
    mee_grid_dataset: str = MEE_GRID_REPORTING,
    aviation_rf: bool = True,
    sources: Sources = DEFAULT_SOURCES,
) -> RecordEmissions:
    """Emissions of ``record`` on every basis that applies to its activity.

    ``datasets`` orders the datasets searched for heat, process, refrigerant, travel, hotel and
    waste factors. ``sector`` (``energy_industries``, ``manufacturing_construction``,
    ``commercial_institutional``, ``residential_agriculture``) selects stationary CH4/N2O factors
    (IPCC 2006 Vol.2 Ch.2 Tables 2.2–2.5); mobile records always use ``road_transport``.
    ``grid_region`` is the facility's grid region, used when the record names none.
    ``aviation_rf`` picks DESNZ flight factors with the radiative-forcing uplift (DESNZ's advice).

    Raises :class:`InvalidInput` for a negative quantity, :class:`UnitMismatch` naming the record,
    its unit and the dimension expected, and :class:`FactorNotFound` for any missing greenhouse-gas
    factor (co-pollutants without a factor are skipped and noted in the trace).
    """
    if record.quantity < 0:
        raise InvalidInput(
            f"record {record.id}: quantity must not be negative",
            [FieldIssue(("quantity",), record.quantity, "must be zero or positive")],
        )
    calc = _Paths(record, resolver, gwp, datasets, sources, grid_region)
    kind = record.activity.split(".", 1)[0]
    if kind in {"fuel", "mobile"}:
        return calc.combustion(sector)
    if kind == "electricity":
        return calc.electricity(mee_grid_dataset)
    if kind == "refrigerant":
        return calc.refrigerant()
    if kind in {"heat", "process", "travel", "hotel", "waste"}:
        variant = None
        if record.activity.startswith("travel.flight."):
            variant = "with_rf" if aviation_rf else "without_rf"
        return calc.per_unit(variant)
    raise InvalidInput(
        f"record {record.id}: unknown activity code {record.activity!r}",
        [FieldIssue(("activity",), record.activity, "see docs/factor-datasets.md, activity codes")],
    )


def calculate_all(
    records: Iterable[ActivityRecord],
    resolver: FactorResolver,
    gwp: GwpSet,
    *,
    datasets: tuple[str, ...] = (),
    mee_grid_dataset: str = MEE_GRID_REPORTING,
    sectors: Mapping[str, str] | None = None,
    facilities: Mapping[str, Facility] | None = None,
    aviation_rf: bool = True,
    sources: Sources = DEFAULT_SOURCES,
) -> tuple[RecordEmissions, ...]:
    """:func:`calculate` over many records. ``sectors`` maps a facility id or, failing that, an
    organisation id to its IPCC combustion sector (see :func:`combustion_sectors`);
    ``facilities`` (by id) supply the grid region of records that name none."""
    table = sectors or {}
    sites = facilities or {}
    return tuple(
        calculate(
            r,
            resolver,
            gwp,
            datasets=datasets,
            sector=table.get(r.facility_id, table.get(r.organisation_id)),
            grid_region=sites[r.facility_id].grid_region if r.facility_id in sites else None,
            mee_grid_dataset=mee_grid_dataset,
            aviation_rf=aviation_rf,
            sources=sources,
        )
        for r in records
    )


#: Stationary-combustion sector (IPCC 2006 Vol.2 Ch.2 Tables 2.2–2.5) of each organisation kind.
SECTOR_BY_KIND: Mapping[OrganisationKind, str] = {
    OrganisationKind.ENERGY_INDUSTRIES: "energy_industries",
    OrganisationKind.CEMENT: "manufacturing_construction",
    OrganisationKind.MANUFACTURING: "manufacturing_construction",
    OrganisationKind.FARM: "residential_agriculture",
    OrganisationKind.HOTEL: "commercial_institutional",
    OrganisationKind.HOSPITAL: "commercial_institutional",
    OrganisationKind.WATER_UTILITY: "commercial_institutional",
    OrganisationKind.BUS_COMPANY: "commercial_institutional",
    OrganisationKind.GOVERNMENT: "commercial_institutional",
    OrganisationKind.COMMERCIAL: "commercial_institutional",
    OrganisationKind.OTHER: "commercial_institutional",
}


def combustion_sectors(organisations: Iterable[Organisation]) -> dict[str, str]:
    """``sectors`` argument for :func:`calculate_all`: organisation id → IPCC sector by kind."""
    return {o.id: SECTOR_BY_KIND[o.kind] for o in organisations}


class _Paths(FuelCombustion):
    """The calculation paths, one method per activity family."""

    # -- purchased electricity -------------------------------------------------------------------

    def electricity(self, mee_grid_dataset: str) -> RecordEmissions:
        """Location-based (series B), market-based and MEE reporting (series A) figures."""
        r = self.record
        mwh = r.quantity * self.convert(r.unit, "MWh", dimension_of_safe("MWh"))
        steps = (f"{fmt(r.quantity)} {r.unit} = {fmt(mwh)} MWh",)
        ds = self.sources.grid_location
        q = self.query(Parameter.EMISSION_FACTOR, gas="CO2", variant="location", datasets=ds)
        loc = self.resolver.resolve(q)
        location = self.gas("CO2", apply_factor(mwh, "MWh", loc, "kg"), [])
        results: dict[Basis, tuple[GasAmount, ...]] = {Basis.LOCATION: (location,)}
        uses = (FactorUse("grid location", loc),)
        notes: list[str] = []
        traces = {}
        results[Basis.MARKET], traces[Basis.MARKET] = self.market(mwh, location, loc, steps)
        q = FactorQuery(
            Parameter.EMISSION_FACTOR,
            r.activity,
            gas="CO2",
            region="CN",
            year=r.year,
            datasets=(mee_grid_dataset,),
        )
        try:
            rep = self.resolver.resolve(q)
        except FactorNotFound as exc:
            notes.append(f"no MEE reporting factor (series A) for {r.year}: {exc.detail}")
        else:
            results[Basis.MEE_GRID] = (self.gas("CO2", apply_factor(mwh, "MWh", rep, "kg"), []),)
            rep_use = (FactorUse("grid reporting", rep),)
            traces[Basis.MEE_GRID] = self.trace(Basis.MEE_GRID, "mee_grid", rep_use, steps)
        traces[Basis.LOCATION] = self.trace(Basis.LOCATION, "location", uses, steps, notes)
        return self.result(results, traces)

    def market(
        self, mwh: Decimal, location: GasAmount, loc: Resolution, steps: tuple[str, ...]
    ) -> tuple[tuple[GasAmount, ...], Trace]:
        """Scope 2 Guidance Table 6.3: instrument, else residual mix, else grid average."""
        r = self.record
        if r.instrument:
            note = f"{r.instrument}: {ZERO_INSTRUMENT}"
            zero = GasAmount("CO2", round_mg(_ZERO), round_mg(_ZERO))
            return (zero,), self.trace(Basis.MARKET, "market", (), steps, (note,))
        ds = self.sources.residual_mix
        q = self.query(Parameter.EMISSION_FACTOR, gas="CO2", variant="residual_mix", datasets=ds)
        try:
            res = self.resolver.resolve(q)
        except FactorNotFound:
            uses = (FactorUse("grid location", loc),)
            return (location,), self.trace(Basis.MARKET, "market", uses, steps, (NO_RESIDUAL_MIX,))
        amount = self.gas("CO2", apply_factor(mwh, "MWh", res, "kg"), [])
        return (amount,), self.trace(Basis.MARKET, "market", (FactorUse("residual mix", res),), steps)

    # -- refrigerants ----------------------------------------------------------------------------

    def refrigerant(self) -> RecordEmissions:
        """Mass released × GWP (GHG Protocol HFC tool, simplified mass-balance; IPCC 2006 Vol.3
        Ch.7 eq. 7.10 with top-up as the leak proxy); a blend is split by its mass fractions."""
        r = self.record
        mass = r.quantity * self.convert(r.unit, "kg", "[mass]")
        designation = r.activity.split(".", 1)[1]
        uses: list[FactorUse] = []
        try:
            query = FactorQuery(Parameter.MASS_FRACTION, r.activity, datasets=self.datasets)
            parts = self.resolver.resolve_all(query)
        except FactorNotFound:
            parts = ()
        steps = [f"{fmt(r.quantity)} {r.unit} = {fmt(mass)} kg {designation}"]
        gases: list[GasAmount] = []
        for part in parts:
            name = str(part.factor.gas)
            uses.append(FactorUse(f"mass fraction {name}", part))
            share = apply_factor(mass, "dimensionless", part, "dimensionless")
            steps.append(f"{name}: {fmt(mass)} kg × {part.factor.value} = {fmt(share)} kg")
            gases.append(self.gas(name, share, uses))
        if not parts:
            gases.append(self.gas(designation, mass, uses))
        trace = self.trace(Basis.DEFAULT, "refrigerant", uses, steps)
        return self.result({Basis.DEFAULT: tuple(gases)}, {Basis.DEFAULT: trace})

    # -- quantity × factor -----------------------------------------------------------------------

    def per_unit(self, variant: str | None) -> RecordEmissions:
        """``E = AD × EF`` per gas (gas-mass factors × GWP), else the publisher's CO2e as is."""
        r = self.record
        found = self.resolver.resolve_all(self.query(Parameter.EMISSION_FACTOR, variant=variant))
        pollutant_rows = [f for f in found if f.factor.gas in CO_POLLUTANTS]
        ghg_rows = [f for f in found if f.factor.gas not in CO_POLLUTANTS]
        in_co2e = [
            f for f in ghg_rows if f.factor.gas == "CO2e" or "[co2e_mass]" in dimension_of_safe(f.factor.unit)
        ]
        mass_rows = [f for f in ghg_rows if f not in in_co2e]
        rows = mass_rows or [f for f in in_co2e if f.factor.gas == "CO2e"] or in_co2e
        if not rows:
            raise FactorNotFound(f"record {r.id}: no GHG factor for {r.activity} ({variant})")
        uses: list[FactorUse] = []
        steps: list[str] = []
        notes: list[str] = []
        gases: list[GasAmount] = []
        for row in rows:
            f = row.factor
            target = "kgCO2e" if "[co2e_mass]" in dimension_of_safe(f.unit) else "kg"
            uses.append(FactorUse(f"ef {f.gas}", row))
            expected = dimension_of_safe(f"{target}/({f.unit})")
            self.convert(f"({r.unit})*({f.unit})", target, expected)
            kg = apply_factor(r.quantity, r.unit, row, target)
            steps.append(f"{fmt(r.quantity)} {r.unit} × {f.value} {f.unit} = {fmt(kg)} {target}")
            if mass_rows:
                gases.append(self.gas(str(f.gas), kg, uses))
            else:
                gases.append(GasAmount("CO2e", round_mg(kg), round_mg(kg)))
                publisher = f.dataset.publisher
                notes.append(f"publisher CO2e not re-weighted ({_publisher_gwp(publisher)})")
        pollutants = []
        for p in pollutant_rows:
            self.convert(f"({r.unit})*({p.factor.unit})", "kg", f"kg/({p.factor.unit})")
            kg = round_mg(apply_factor(r.quantity, r.unit, p, "kg"))
            pollutants.append(PollutantAmount(str(p.factor.gas), kg))
        trace = self.trace(Basis.DEFAULT, "per_unit", uses, steps, dict.fromkeys(notes))
        return self.result({Basis.DEFAULT: tuple(gases)}, {Basis.DEFAULT: trace}, tuple(pollutants))


def _publisher_gwp(publisher: str) -> str:
    if "DESNZ" in publisher or "BEIS" in publisher:
        return f"{publisher}: GWP-100 of IPCC AR5, as DESNZ states for its conversion factors"
    return f"{publisher}: GWP set as stated by the publisher"
