"""Emission calculation for one activity record: gases per basis, with the trace of every figure.

Paths by activity code (``docs/accounting.md`` has the full table):

* ``fuel.*``, ``mobile.*`` — IPCC 2006 Vol.2 Ch.2 eq. 2.1 (stationary) / Ch.3 eq. 3.2.1 (road):
  ``E_gas = fuel energy (TJ) × EF_gas (kg/TJ)`` for CO2, CH4, N2O, plus co-pollutants where a factor
  exists; **and** the China MEE guideline path ``E = FC × NCV × CC × OF × 44/12`` (CO2 only), so
  that the GHG Protocol / ISO views and the MEE view can be reconciled line by line.
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
from dataclasses import dataclass
from decimal import Decimal

from carbonbridge.accounting.model import (
    RESULT_PLACES,
    ActivityRecord,
    Basis,
    FactorUse,
    GasAmount,
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
from carbonbridge.kernel.errors import FactorNotFound, FieldIssue, InvalidInput, UnitMismatch
from carbonbridge.kernel.exact import quantize
from carbonbridge.kernel.units import conversion_factor, dimension_of

#: Series A: the national grid factor MEE prescribes for enterprise/ETS reporting years.
MEE_GRID_REPORTING = "cn-mee-grid-reporting"
#: Series B: MEE/NBS statistical electricity CO2 factors by data year and region.
MEE_NBS_GRID = "cn-mee-nbs-electricity-co2"

GHGS = ("CO2", "CH4", "N2O")
_POLLUTANTS = ("SO2", "NOx", "PM10", "PM2.5")
_CO2_PER_C = (Decimal(44), Decimal(12))  # molar masses CO2 / C, as the MEE guidelines print them
_ZERO = Decimal(0)
_ZERO_INSTRUMENT = "zero-emission renewable instrument (Scope 2 Guidance Table 6.3, ch.7)"
_NO_RESIDUAL_MIX = (
    "no residual mix published for CN; "
    "location factor used per Scope 2 Guidance Table 6.3 hierarchy"
)


@dataclass(frozen=True)
class Sources:
    """Datasets each path searches, in priority order (``id`` or ``id@version``; empty = all).

    The IPCC and MEE combustion paths are scoped so that a country default (region ``CN``) can never
    leak into the IPCC-default path through region fallback, nor the reverse.
    """

    ipcc_energy: tuple[str, ...] = ("ipcc-2006-v2-energy",)
    mee_fuel: tuple[str, ...] = ("cn-mee-ghg-guidelines",)
    grid_location: tuple[str, ...] = (MEE_NBS_GRID,)
    residual_mix: tuple[str, ...] = ()
    gwp: tuple[str, ...] = ("ipcc-gwp100",)
    co_pollutants: tuple[str, ...] = ()


DEFAULT_SOURCES = Sources()


def calculate(
    record: ActivityRecord,
    resolver: FactorResolver,
    gwp: GwpSet,
    *,
    datasets: tuple[str, ...] = (),
    sector: str | None = None,
    mee_grid_dataset: str = MEE_GRID_REPORTING,
    aviation_rf: bool = True,
    sources: Sources = DEFAULT_SOURCES,
) -> RecordEmissions:
    """Emissions of ``record`` on every basis that applies to its activity.

    ``datasets`` orders the datasets searched for heat, process, refrigerant, travel, hotel and
    waste factors. ``sector`` (``energy_industries``, ``manufacturing_construction``,
    ``commercial_institutional``, ``residential_agriculture``) selects stationary CH4/N2O factors
    (IPCC 2006 Vol.2 Ch.2 Tables 2.2–2.5); mobile records always use ``road_transport``.
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
    calc = _Calc(record, resolver, gwp, datasets, sources)
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
    aviation_rf: bool = True,
    sources: Sources = DEFAULT_SOURCES,
) -> tuple[RecordEmissions, ...]:
    """:func:`calculate` over many records. ``sectors`` maps a facility id or, failing that, an
    organisation id to its IPCC combustion sector."""
    table = sectors or {}
    return tuple(
        calculate(
            r,
            resolver,
            gwp,
            datasets=datasets,
            sector=table.get(r.facility_id, table.get(r.organisation_id)),
            mee_grid_dataset=mee_grid_dataset,
            aviation_rf=aviation_rf,
            sources=sources,
        )
        for r in records
    )


def _round(value: Decimal) -> Decimal:
    return quantize(value, RESULT_PLACES)


class _Calc:
    """The paths for one record; holds what every path needs."""

    def __init__(
        self,
        record: ActivityRecord,
        resolver: FactorResolver,
        gwp: GwpSet,
        datasets: tuple[str, ...],
        sources: Sources,
    ) -> None:
        self.record = record
        self.resolver = resolver
        self.gwp = gwp
        self.datasets = datasets
        self.sources = sources

    # -- shared steps ----------------------------------------------------------------------------

    def query(self, parameter: Parameter, activity: str | None = None, **kw: object) -> FactorQuery:
        r = self.record
        region = (
            r.grid_region if parameter is Parameter.EMISSION_FACTOR and r.grid_region else r.region
        )
        fields: dict[str, object] = {"region": region, "year": r.year, "datasets": self.datasets}
        fields.update(kw)
        return FactorQuery(parameter, activity or r.activity, **fields)  # type: ignore[arg-type]

    def convert(self, expression: str, target: str, expected: str) -> Decimal:
        """Multiplier taking ``expression`` to ``target``; a mismatch names the record, its unit
        and the dimension (``expected``) the calculation needs."""
        try:
            return conversion_factor(expression, target)
        except UnitMismatch as exc:
            raise UnitMismatch(
                f"record {self.record.id}: unit {self.record.unit!r} "
                f"({dimension_of_safe(self.record.unit)}) cannot be used: expected {expected}",
                [FieldIssue(("unit",), self.record.unit, f"expected {expected}: {exc.detail}")],
            ) from exc

    def gwp_of(self, gas: str, uses: list[FactorUse]) -> Decimal:
        if gas == "CO2":
            return Decimal(1)  # the reference gas, by definition (IPCC AR5 WG1 §8.7.1.2)
        res = self.resolver.resolve(
            FactorQuery(
                Parameter.GWP, "gwp", gas=gas, variant=self.gwp.value, datasets=self.sources.gwp
            )
        )
        uses.append(FactorUse(f"gwp {gas}", res))
        return res.factor.value

    def gas(self, gas: str, kg: Decimal, uses: list[FactorUse]) -> GasAmount:
        return GasAmount(gas, _round(kg), _round(kg * self.gwp_of(gas, uses)))

    def result(
        self,
        results: dict[Basis, tuple[GasAmount, ...]],
        traces: dict[Basis, Trace],
        pollutants: tuple[PollutantAmount, ...] = (),
    ) -> RecordEmissions:
        return RecordEmissions(self.record, self.gwp, results, traces, pollutants)

    def energy_tj(
        self, ncv_sources: tuple[str, ...], uses: list[FactorUse], steps: list[str]
    ) -> Decimal:
        """Fuel energy in TJ: directly when reported as energy, else quantity × NCV (× density).

        ``ncv_sources`` are tried one dataset at a time until an NCV's unit fits the record's
        (IPCC 2006 Vol.2 Ch.1 §1.4.1.2 prefers country-specific NCVs: natural gas reported in Nm³
        takes the national NCV per volume when the IPCC default is per mass).
        """
        r = self.record
        try:
            factor = conversion_factor(r.unit, "TJ")
        except UnitMismatch:
            pass
        else:
            energy = r.quantity * factor
            steps.append(f"{r.quantity} {r.unit} = {energy} TJ")
            return energy
        found: list[Resolution] = []
        missing: FactorNotFound | None = None
        for ds in tuple((d,) for d in ncv_sources) or ((),):
            try:
                ncv = self.fuel_property(Parameter.NET_CALORIFIC_VALUE, ds)
            except FactorNotFound as exc:
                missing = missing or exc
                continue
            found.append(ncv)
            nf = ncv.factor
            try:
                factor = conversion_factor(f"({r.unit})*({nf.unit})", "TJ")
            except UnitMismatch:
                continue
            uses.append(FactorUse("ncv", ncv))
            energy = r.quantity * nf.value * factor
            steps.append(f"{r.quantity} {r.unit} × {nf.value} {nf.unit} = {energy} TJ")
            return energy
        if not found:
            raise missing or FactorNotFound(f"record {r.id}: no NCV for {r.activity}")
        nf = found[0].factor
        try:
            density = self.fuel_property(Parameter.DENSITY, (nf.dataset.id,))
        except FactorNotFound:
            expected = f"energy or {dimension_of_safe(f'TJ/({nf.unit})')} (NCV {nf.unit})"
            raise UnitMismatch(
                f"record {r.id}: unit {r.unit!r} ({dimension_of_safe(r.unit)}) cannot be "
                f"converted to energy: expected {expected}; no density is published",
                [FieldIssue(("unit",), r.unit, f"expected {expected}")],
            ) from None
        df = density.factor
        expected = dimension_of_safe(f"TJ/({df.unit})/({nf.unit})")
        factor = self.convert(f"({r.unit})*({df.unit})*({nf.unit})", "TJ", expected)
        uses += [FactorUse("ncv", found[0]), FactorUse("density", density)]
        energy = r.quantity * df.value * nf.value * factor
        steps.append(
            f"{r.quantity} {r.unit} × {df.value} {df.unit} × {nf.value} {nf.unit} = {energy} TJ"
        )
        return energy

    def fuel_property(self, parameter: Parameter, ds: tuple[str, ...]) -> Resolution:
        """NCV, CC, OF and density are properties of the fuel, not of the device burning it:
        ``mobile.diesel`` falls back to ``fuel.diesel``."""
        activity = self.record.activity
        try:
            return self.resolver.resolve(self.query(parameter, activity, datasets=ds))
        except FactorNotFound:
            if not activity.startswith("mobile."):
                raise
            return self.resolver.resolve(
                self.query(parameter, "fuel." + activity.split(".", 1)[1], datasets=ds)
            )

    # -- fuel combustion -------------------------------------------------------------------------

    def combustion(self, sector: str | None) -> RecordEmissions:
        r = self.record
        mobile = r.activity.startswith("mobile.")
        sector = "road_transport" if mobile else sector
        ds = self.sources.ipcc_energy
        uses: list[FactorUse] = []
        steps: list[str] = []
        energy = self.energy_tj(ds + self.sources.mee_fuel, uses, steps)
        gases = []
        for gas in GHGS:
            ef = self.resolver.resolve(
                self.query(Parameter.EMISSION_FACTOR, gas=gas, sector=sector, datasets=ds)
            )
            uses.append(FactorUse(f"ef {gas}", ef))
            kg = energy * ef.factor.value * conversion_factor(f"TJ*({ef.factor.unit})", "kg")
            gases.append(self.gas(gas, kg, uses))
        pollutants, notes = self.co_pollutants(energy, uses, sector)
        eq = (
            ("IPCC 2006 Vol.2 Ch.3 eq. 3.2.1", "E_gas = Σ Fuel_a × EF_gas,a")
            if mobile
            else (
                "IPCC 2006 Vol.2 Ch.2 eq. 2.1",
                "E_gas,fuel = Fuel consumption_fuel × EF_gas,fuel",
            )
        )
        traces = {
            Basis.IPCC: Trace(Basis.IPCC, eq[0], eq[1], tuple(uses), self.gwp, tuple(steps), notes)
        }
        results = {Basis.IPCC: tuple(gases)}
        results[Basis.MEE], traces[Basis.MEE] = self.mee_combustion(gases[0])
        return self.result(results, traces, pollutants)

    def co_pollutants(
        self, energy: Decimal, uses: list[FactorUse], sector: str | None
    ) -> tuple[tuple[PollutantAmount, ...], tuple[str, ...]]:
        found: list[PollutantAmount] = []
        notes: list[str] = []
        for name in _POLLUTANTS:
            q = self.query(
                Parameter.EMISSION_FACTOR,
                gas=name,
                sector=sector,
                datasets=self.sources.co_pollutants,
            )
            try:
                ef = self.resolver.resolve(q)
            except FactorNotFound:
                notes.append(f"{name}: no factor")
                continue
            uses.append(FactorUse(f"ef {name}", ef))
            kg = energy * ef.factor.value * conversion_factor(f"TJ*({ef.factor.unit})", "kg")
            found.append(PollutantAmount(name, _round(kg)))
        return tuple(found), tuple(notes)

    def mee_combustion(self, ipcc_co2: GasAmount) -> tuple[tuple[GasAmount, ...], Trace]:
        """China MEE enterprise guidelines: E = FC × NCV × CC × OF × 44/12 (t CO2), CO2 only."""
        ds = self.sources.mee_fuel
        uses: list[FactorUse] = []
        steps: list[str] = []
        eq_id, eq = "MEE guideline", "E = FC × NCV × CC × OF × 44/12"
        try:
            energy = self.energy_tj(ds, uses, steps)
            cc = self.fuel_property(Parameter.CARBON_CONTENT, ds)
            of = self.fuel_property(Parameter.OXIDATION_FACTOR, ds)
        except FactorNotFound as exc:
            note = f"MEE parameters missing ({exc.detail}); IPCC-path CO2 used"
            trace = Trace(Basis.MEE, eq_id, eq, (), self.gwp, (), (note,))
            return (ipcc_co2,), trace
        uses += [FactorUse("cc", cc), FactorUse("of", of)]
        carbon_kg = energy * cc.factor.value * conversion_factor(f"TJ*({cc.factor.unit})", "kg")
        oxidised = carbon_kg * of.factor.value * conversion_factor(of.factor.unit, "dimensionless")
        co2 = oxidised * _CO2_PER_C[0] / _CO2_PER_C[1]
        steps += [
            f"C = {carbon_kg} kg; × OF {of.factor.value} = {oxidised} kg C",
            f"× 44/12 = {co2} kg CO2",
        ]
        return (self.gas("CO2", co2, uses),), Trace(
            Basis.MEE, eq_id, eq, tuple(uses), self.gwp, tuple(steps)
        )

    # -- purchased electricity -------------------------------------------------------------------

    def electricity(self, mee_grid_dataset: str) -> RecordEmissions:
        r = self.record
        mwh = r.quantity * self.convert(r.unit, "MWh", dimension_of_safe("MWh"))
        steps = (f"{r.quantity} {r.unit} = {mwh} MWh",)
        loc_q = self.query(
            Parameter.EMISSION_FACTOR,
            gas="CO2",
            variant="location",
            datasets=self.sources.grid_location,
        )
        loc = self.resolver.resolve(loc_q)
        uses = [FactorUse("grid location", loc)]
        location = self.gas(
            "CO2", mwh * loc.factor.value * conversion_factor(f"MWh*({loc.factor.unit})", "kg"), []
        )
        eq = "E = AD_electricity (MWh) × EF_grid (t CO2/MWh)"
        traces = {
            Basis.LOCATION: Trace(
                Basis.LOCATION,
                "GHG Protocol Scope 2 Guidance §6.2",
                eq,
                tuple(uses),
                self.gwp,
                steps,
            )
        }
        results: dict[Basis, tuple[GasAmount, ...]] = {Basis.LOCATION: (location,)}
        results[Basis.MARKET], traces[Basis.MARKET] = self.market(mwh, location, loc, steps)
        try:
            rep = self.resolver.resolve(
                FactorQuery(
                    Parameter.EMISSION_FACTOR,
                    r.activity,
                    gas="CO2",
                    region="CN",
                    year=r.year,
                    datasets=(mee_grid_dataset,),
                )
            )
        except FactorNotFound as exc:
            note = f"no MEE reporting factor (series A) for {r.year}: {exc.detail}"
            traces[Basis.LOCATION] = Trace(
                Basis.LOCATION,
                traces[Basis.LOCATION].equation_id,
                eq,
                tuple(uses),
                self.gwp,
                steps,
                (note,),
            )
        else:
            kg = mwh * rep.factor.value * conversion_factor(f"MWh*({rep.factor.unit})", "kg")
            results[Basis.MEE_GRID] = (self.gas("CO2", kg, []),)
            traces[Basis.MEE_GRID] = Trace(
                Basis.MEE_GRID,
                "MEE enterprise GHG guideline, net purchased electricity",
                eq,
                (FactorUse("grid reporting", rep),),
                self.gwp,
                steps,
            )
        return self.result(results, traces)

    def market(
        self, mwh: Decimal, location: GasAmount, loc: Resolution, steps: tuple[str, ...]
    ) -> tuple[tuple[GasAmount, ...], Trace]:
        eq_id, eq = "GHG Protocol Scope 2 Guidance §6.11", "E = Σ MWh_i × EF_instrument_i"
        r = self.record
        if r.instrument:
            note = f"{r.instrument}: {_ZERO_INSTRUMENT}"
            return (GasAmount("CO2", _ZERO, _ZERO),), Trace(
                Basis.MARKET, eq_id, eq, (), self.gwp, steps, (note,)
            )
        try:
            res = self.resolver.resolve(
                self.query(
                    Parameter.EMISSION_FACTOR,
                    gas="CO2",
                    variant="residual_mix",
                    datasets=self.sources.residual_mix,
                )
            )
        except FactorNotFound:
            note = _NO_RESIDUAL_MIX
            return (location,), Trace(
                Basis.MARKET,
                eq_id,
                eq,
                (FactorUse("grid location", loc),),
                self.gwp,
                steps,
                (note,),
            )
        kg = mwh * res.factor.value * conversion_factor(f"MWh*({res.factor.unit})", "kg")
        return (self.gas("CO2", kg, []),), Trace(
            Basis.MARKET, eq_id, eq, (FactorUse("residual mix", res),), self.gwp, steps
        )

    # -- refrigerants ----------------------------------------------------------------------------

    def refrigerant(self) -> RecordEmissions:
        """Mass released × GWP (GHG Protocol HFC tool, simplified mass-balance; IPCC 2006 Vol.3
        Ch.7 eq. 7.10 with top-up as the leak proxy); a blend is split by its mass fractions."""
        r = self.record
        mass = r.quantity * self.convert(r.unit, "kg", "[mass]")
        designation = r.activity.split(".", 1)[1]
        uses: list[FactorUse] = []
        try:
            parts = self.resolver.resolve_all(
                FactorQuery(Parameter.MASS_FRACTION, r.activity, datasets=self.datasets)
            )
        except FactorNotFound:
            parts = ()
        steps = [f"{r.quantity} {r.unit} = {mass} kg {designation}"]
        gases: list[GasAmount] = []
        for part in parts:
            uses.append(FactorUse(f"mass fraction {part.factor.gas}", part))
            share = mass * part.factor.value * conversion_factor(part.factor.unit, "dimensionless")
            steps.append(f"{part.factor.gas}: {mass} kg × {part.factor.value} = {share} kg")
            gases.append(self.gas(str(part.factor.gas), share, uses))
        if not parts:
            gases.append(self.gas(designation, mass, uses))
        trace = Trace(
            Basis.DEFAULT,
            "IPCC 2006 Vol.3 Ch.7 eq. 7.10",
            "E_CO2e = Σ_gas m_released × w_gas × GWP_gas",
            tuple(uses),
            self.gwp,
            tuple(steps),
        )
        return self.result({Basis.DEFAULT: tuple(gases)}, {Basis.DEFAULT: trace})

    # -- quantity × factor -----------------------------------------------------------------------

    def per_unit(self, variant: str | None) -> RecordEmissions:
        """``E = activity × EF`` per gas (gas-mass factors × GWP) or as the publisher's CO2e."""
        r = self.record
        found = self.resolver.resolve_all(self.query(Parameter.EMISSION_FACTOR, variant=variant))
        pollutant_rows = [f for f in found if f.factor.gas in CO_POLLUTANTS]
        ghg_rows = [f for f in found if f.factor.gas not in CO_POLLUTANTS]
        in_co2e = [f for f in ghg_rows if "[co2e_mass]" in dimension_of_safe(f.factor.unit)]
        mass_rows = [f for f in ghg_rows if f not in in_co2e]
        co2e_rows = [f for f in in_co2e if f.factor.gas == "CO2e"] or in_co2e
        uses: list[FactorUse] = []
        steps: list[str] = []
        notes: list[str] = []
        gases: list[GasAmount] = []
        rows = mass_rows or co2e_rows
        if not rows:
            raise FactorNotFound(
                f"record {r.id}: no greenhouse-gas factor for {r.activity} (variant {variant})"
            )
        for row in rows:
            f = row.factor
            uses.append(FactorUse(f"ef {f.gas}", row))
            target = "kg" if mass_rows else "kgCO2e"
            expected = dimension_of_safe(f"{target}/({f.unit})")
            kg = r.quantity * f.value * self.convert(f"({r.unit})*({f.unit})", target, expected)
            steps.append(f"{r.quantity} {r.unit} × {f.value} {f.unit} = {kg} {target}")
            if mass_rows:
                gases.append(self.gas(str(f.gas), kg, uses))
            else:
                gases.append(GasAmount("CO2e", _round(kg), _round(kg)))
                publisher = f.dataset.publisher
                notes.append(
                    f"publisher CO2e not re-weighted ({publisher}: {_publisher_gwp(publisher)})"
                )
        pollutants = tuple(
            PollutantAmount(
                str(p.factor.gas),
                _round(
                    r.quantity
                    * p.factor.value
                    * self.convert(
                        f"({r.unit})*({p.factor.unit})",
                        "kg",
                        dimension_of_safe(f"kg/({p.factor.unit})"),
                    )
                ),
            )
            for p in pollutant_rows
        )
        trace = Trace(
            Basis.DEFAULT,
            "activity × emission factor",
            "E = AD × EF",
            tuple(uses),
            self.gwp,
            tuple(steps),
            tuple(dict.fromkeys(notes)),
        )
        return self.result({Basis.DEFAULT: tuple(gases)}, {Basis.DEFAULT: trace}, pollutants)


def _publisher_gwp(publisher: str) -> str:
    if "DESNZ" in publisher or "BEIS" in publisher:
        return "GWP-100 of IPCC AR5, as DESNZ states for its conversion factors"
    return "GWP set as stated by the publisher"


def dimension_of_safe(unit: str) -> str:
    """Dimension of ``unit`` as text, or ``"unknown"`` when pint does not know it."""
    try:
        return dimension_of(unit)
    except UnitMismatch:
        return "unknown"
