"""Steps shared by every calculation path of :mod:`carbonbridge.accounting.engine`.

Holds the record's context (resolver, GWP set, dataset scoping), the unit conversions that name the
record on failure, GWP weighting, the fuel-energy step (quantity × NCV) and the trace builder.
"""

from __future__ import annotations

from collections.abc import Iterable
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
from carbonbridge.factors.model import FactorQuery, FactorResolver, GwpSet, Parameter, Resolution
from carbonbridge.kernel.errors import FactorNotFound, FieldIssue, UnitMismatch
from carbonbridge.kernel.exact import quantize
from carbonbridge.kernel.units import conversion_factor, dimension_of

#: Series A: the national grid factor MEE prescribes for enterprise/ETS reporting years.
MEE_GRID_REPORTING = "cn-mee-grid-reporting"
#: Series B: MEE/NBS statistical electricity CO2 factors by data year and region.
MEE_NBS_GRID = "cn-mee-nbs-electricity-co2"

GHGS = ("CO2", "CH4", "N2O")
POLLUTANTS = ("SO2", "NOx", "PM10", "PM2.5")
CO2_PER_C = (Decimal(44), Decimal(12))  # molar masses CO2 / C, as the MEE guidelines print them
ZERO_INSTRUMENT = "zero-emission renewable instrument (Scope 2 Guidance Table 6.3, ch.7)"
#: how a grid record's trace starts the note when no series-A factor serves its reporting year
MEE_GRID_MISSING = "no MEE reporting factor (series A)"
NO_RESIDUAL_MIX = (
    "no residual mix published for CN; location factor used per Scope 2 Guidance Table 6.3 hierarchy"
)


@dataclass(frozen=True)
class Sources:
    """Datasets each path searches, in priority order (``id`` or ``id@version``; empty = all).

    The IPCC and MEE combustion paths are scoped so that a country default (region ``CN``) can never
    leak into the IPCC-default path through region fallback, nor the reverse.
    """

    ipcc_energy: tuple[str, ...] = ("ipcc-2006-v2-energy",)
    mee_fuel: tuple[str, ...] = ("cn-mee-fuel-defaults",)
    grid_location: tuple[str, ...] = (MEE_NBS_GRID,)
    residual_mix: tuple[str, ...] = ()
    gwp: tuple[str, ...] = ("ipcc-gwp100",)
    co_pollutants: tuple[str, ...] = ()
    #: vehicle technology assumed for road CH4/N2O where IPCC 2006 Vol.2 Table 3.2.2 differentiates
    #: it and the reporter did not declare one: modern catalyst cars are "low-mileage light-duty
    #: vehicles, vintage 1995 or later" (China 3-6 emission standards all require three-way catalysts)
    mobile_technology: tuple[tuple[str, str], ...] = (("mobile.motor_gasoline", "ldv_1995_or_later"),)


DEFAULT_SOURCES = Sources()


def round_mg(value: Decimal) -> Decimal:
    """Half-to-even to 1 mg (``model.RESULT_PLACES``), the rule for every record figure."""
    return quantize(value, RESULT_PLACES)


def fmt(value: Decimal) -> str:
    """A decimal as plain positional text for traces (no exponent)."""
    return format(value, "f")


def apply_factor(amount: Decimal, unit: str, res: Resolution, target: str) -> Decimal:
    """``amount [unit] × factor [factor.unit]`` expressed in ``target``."""
    f = res.factor
    return amount * f.value * conversion_factor(f"({unit})*({f.unit})", target)


EQUATIONS: dict[str, tuple[str, str]] = {
    "stationary": (
        "IPCC 2006 Vol.2 Ch.2 eq. 2.1",
        "E_gas,fuel = Fuel consumption_fuel (TJ) × EF_gas,fuel (kg/TJ)",
    ),
    "mobile": ("IPCC 2006 Vol.2 Ch.3 eq. 3.2.1", "E_gas = Σ_a Fuel_a (TJ) × EF_gas,a (kg/TJ)"),
    "mee": ("MEE guideline", "MEE guideline: E = FC × NCV × CC × OF × 44/12"),
    "location": (
        "GHG Protocol Scope 2 Guidance §6.2 (location-based)",
        "E = electricity (MWh) × grid-average EF (t CO2/MWh)",
    ),
    "market": (
        "GHG Protocol Scope 2 Guidance §6.11 (market-based)",
        "E = Σ_i electricity_i (MWh) × EF_instrument_i, Table 6.3 hierarchy",
    ),
    "mee_grid": (
        "MEE guideline, net purchased electricity",
        "E = AD_electricity (MWh) × EF_grid (national factor prescribed for the reporting year)",
    ),
    "refrigerant": (
        "IPCC 2006 Vol.3 Ch.7 eq. 7.10",
        "E_CO2e = Σ_gas m_released × w_gas × GWP_gas",
    ),
    "per_unit": ("activity × emission factor", "E_gas = AD × EF_gas"),
}


class RecordCalculation:
    """The steps every path shares for one record: queries, unit checks, GWPs, traces."""

    def __init__(
        self,
        record: ActivityRecord,
        resolver: FactorResolver,
        gwp: GwpSet,
        datasets: tuple[str, ...],
        sources: Sources,
        grid_region: str | None = None,
    ) -> None:
        self.record = record
        #: the record's grid region, else its facility's (grid factors only)
        self.grid_region = record.grid_region or grid_region
        self.resolver = resolver
        self.gwp = gwp
        self.datasets = datasets
        self.sources = sources

    # -- shared steps ----------------------------------------------------------------------------

    def query(self, parameter: Parameter, activity: str | None = None, **kw: object) -> FactorQuery:
        """A query for this record: its region (grid region for grid factors) and year."""
        r = self.record
        grid = r.activity.startswith("electricity.") and parameter is Parameter.EMISSION_FACTOR
        fields: dict[str, object] = {
            "region": (self.grid_region or r.region) if grid else r.region,
            "year": r.year,
            "datasets": self.datasets,
        }
        fields.update(kw)
        return FactorQuery(parameter, activity or r.activity, **fields)  # type: ignore[arg-type]

    def convert(self, expression: str, target: str, expected: str) -> Decimal:
        """Multiplier taking ``expression`` to ``target``; a mismatch names the record, its unit
        and the dimension (``expected``) the calculation needs."""
        try:
            return conversion_factor(expression, target)
        except UnitMismatch as exc:
            r = self.record
            raise UnitMismatch(
                f"record {r.id}: unit {r.unit!r} ({dimension_of_safe(r.unit)}) cannot be used: "
                f"expected {expected}",
                [FieldIssue(("unit",), r.unit, f"expected {expected}: {exc.detail}")],
            ) from exc

    def gwp_of(self, gas: str, uses: list[FactorUse]) -> Decimal:
        if gas == "CO2":
            return Decimal(1)  # the reference gas, by definition (IPCC AR5 WG1 §8.7.1.2)
        query = FactorQuery(Parameter.GWP, "gwp", gas=gas, variant=self.gwp.value, datasets=self.sources.gwp)
        res = self.resolver.resolve(query)
        uses.append(FactorUse(f"gwp {gas}", res))
        return res.factor.value

    def gas(self, gas: str, kg: Decimal, uses: list[FactorUse]) -> GasAmount:
        return GasAmount(gas, round_mg(kg), round_mg(kg * self.gwp_of(gas, uses)))

    def trace(
        self,
        basis: Basis,
        equation: str,
        uses: Iterable[FactorUse] = (),
        steps: Iterable[str] = (),
        notes: Iterable[str] = (),
    ) -> Trace:
        eq_id, text = EQUATIONS[equation]
        uses = tuple(uses)
        # A factor standing in for another reporting year (year policy nearest-earlier) is said.
        fallbacks = (u.resolution.fallback for u in uses if u.resolution.fallback)
        notes = tuple(dict.fromkeys((*notes, *fallbacks)))
        return Trace(basis, eq_id, text, uses, self.gwp, tuple(steps), notes)

    def result(
        self,
        results: dict[Basis, tuple[GasAmount, ...]],
        traces: dict[Basis, Trace],
        pollutants: tuple[PollutantAmount, ...] = (),
    ) -> RecordEmissions:
        return RecordEmissions(self.record, self.gwp, results, traces, pollutants)

    def energy_tj(self, ncv_sources: tuple[str, ...], uses: list[FactorUse], steps: list[str]) -> Decimal:
        """Fuel energy in TJ: directly when reported as energy, else quantity × NCV (× density).

        ``ncv_sources`` are tried one dataset at a time until an NCV's unit fits the record's
        (IPCC 2006 Vol.2 Ch.1 §1.4.1.2 prefers country-specific NCVs: natural gas reported in Nm³
        takes the national NCV per volume when the IPCC default is per mass).
        """
        r = self.record
        try:
            energy = r.quantity * conversion_factor(r.unit, "TJ")
        except UnitMismatch:
            pass
        else:
            steps.append(f"{fmt(r.quantity)} {r.unit} = {fmt(energy)} TJ")
            return energy
        found: list[Resolution] = []
        missing: FactorNotFound | None = None
        for ds in tuple((d,) for d in ncv_sources) or ((),):
            try:
                ncv = self.fuel_property(Parameter.NET_CALORIFIC_VALUE, ds)
                found.append(ncv)
                energy = apply_factor(r.quantity, r.unit, ncv, "TJ")
            except FactorNotFound as exc:
                missing = missing or exc
                continue
            except UnitMismatch:
                continue
            uses.append(FactorUse("ncv", ncv))
            nf = ncv.factor
            steps.append(f"{fmt(r.quantity)} {r.unit} × {nf.value} {nf.unit} = {fmt(energy)} TJ")
            return energy
        if not found:
            raise missing or FactorNotFound(f"record {r.id}: no NCV for {r.activity}")
        ncv = found[0]
        expected = f"energy or {dimension_of_safe(f'TJ/({ncv.factor.unit})')}"
        try:
            density = self.fuel_property(Parameter.DENSITY, (ncv.factor.dataset.id,))
        except FactorNotFound:
            raise UnitMismatch(
                f"record {r.id}: unit {r.unit!r} ({dimension_of_safe(r.unit)}) cannot be "
                f"converted to energy: expected {expected}; no density is published",
                [FieldIssue(("unit",), r.unit, f"expected {expected}")],
            ) from None
        mass_unit = f"({r.unit})*({density.factor.unit})"
        self.convert(f"{mass_unit}*({ncv.factor.unit})", "TJ", expected)
        energy = apply_factor(r.quantity * density.factor.value, mass_unit, ncv, "TJ")
        uses += [FactorUse("ncv", ncv), FactorUse("density", density)]
        steps.append(f"{fmt(r.quantity)} {r.unit} × density × NCV = {fmt(energy)} TJ")
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
            fuel = "fuel." + activity.split(".", 1)[1]
            return self.resolver.resolve(self.query(parameter, fuel, datasets=ds))


def dimension_of_safe(unit: str) -> str:
    """Dimension of ``unit`` as text, or ``"unknown"`` when pint does not know it."""
    try:
        return dimension_of(unit)
    except UnitMismatch:
        return "unknown"
