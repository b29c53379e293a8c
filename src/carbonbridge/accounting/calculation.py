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
from carbonbridge.kernel.units import conversion_factor, dimension_of, is_compatible

#: Series A: the national grid factor MEE prescribes for enterprise/ETS reporting years.
MEE_GRID_REPORTING = "cn-mee-grid-reporting"
#: Series B: MEE/NBS statistical electricity CO2 factors by data year and region.
MEE_NBS_GRID = "cn-mee-nbs-electricity-co2"

#: UNSD Energy Statistics Yearbook conversion factors: litres per tonne of petroleum products.
DENSITY_DATASET = "unsd-energy-conversion"

#: Reference conditions of a normal cubic metre (``kernel.units``: Nm³ at 0 °C, 101.325 kPa) and
#: of a plain cubic metre of fuel gas as the engine reads it (20 °C, 101.325 kPa); the ideal-gas
#: correction between the two is T_N / T (Boyle-Charles law at equal pressure).
NORMAL_KELVIN = Decimal("273.15")
GAS_METER_KELVIN = Decimal("293.15")

GHGS = ("CO2", "CH4", "N2O")
POLLUTANTS = ("SO2", "NOx", "PM10", "PM2.5")
CO2_PER_C = (Decimal(44), Decimal(12))  # molar masses CO2 / C, as the MEE guidelines print them
#: Messages of the unit conversions, as gettext msgids with ``{name}`` placeholders (zh in
#: ``locale/zh/LC_MESSAGES/units.po``); the trace and the errors are these texts, formatted.
ENERGY_BASIS = "energy as reported, read on the net (lower) calorific basis of the factors"
GAS_VOLUME_STEP = (
    "{quantity} {unit} of gas read at 20 °C and 101.325 kPa (metered-gas reference conditions of "
    "GB/T 19205-2008, values verify) × 273.15 K / 293.15 K "
    "= {normal} Nm3 (0 °C, 101.325 kPa; ideal-gas correction)"
)
DENSITY_STEP = "{quantity} {unit} with density {density} = {tonnes} t"
NO_CONVERSION = (
    "{activity} reported in '{unit}', {dimension}, cannot be converted to energy: its NCV {ncv} "
    "({ncv_unit}) applies to {basis}, and no density of {activity} is published in the datasets "
    "searched ({searched})"
)
UNIT_ADVICE = "report {activity} in an energy unit (GJ, TJ, kWh) or in {basis}, or import a density for it"
TIER2_NOTE = (
    "IPCC 2006 publishes no Tier 1 CO2 factor for {activity}: Tier 2 CO2 from the national "
    "NCV, carbon content and oxidation factor (IPCC 2006 Vol.2 Ch.2 §2.3.1, country-specific factors)"
)
NO_TIER1_GAS = "{gas}: IPCC 2006 Tables 2.2-2.5 publish no factor for {activity}; not computed"
MEE_ENERGY_FROM_IPCC = (
    "the MEE NCV does not fit the reported unit ({reason}); energy from the IPCC path's NCV, "
    "with the MEE carbon content and oxidation factor"
)
#: every message above, for the catalogue test and for faces that translate traces and errors
UNIT_MESSAGES = (
    ENERGY_BASIS,
    GAS_VOLUME_STEP,
    DENSITY_STEP,
    NO_CONVERSION,
    UNIT_ADVICE,
    TIER2_NOTE,
    NO_TIER1_GAS,
    MEE_ENERGY_FROM_IPCC,
)
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
    #: densities of liquid fuels (litres), searched after the NCV's own dataset
    density: tuple[str, ...] = (DENSITY_DATASET,)
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
    "tier2": (
        "IPCC 2006 Vol.2 Ch.2 §2.3.1 Tier 2",
        "E_CO2 = Fuel (TJ) × CC (t C/TJ) × OF × 44/12; E_CH4,N2O = Fuel (TJ) × EF (kg/TJ)",
    ),
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
        takes the national NCV per volume when the IPCC default is per mass). A plain cubic metre
        of a gas whose NCV is per Nm³ is read at 20 °C and 101.325 kPa and corrected to 0 °C;
        a volume of a liquid fuel is turned into mass with a published density (``Sources.density``).
        """
        r = self.record
        try:
            energy = r.quantity * conversion_factor(r.unit, "TJ")
        except UnitMismatch:
            pass
        else:
            steps.append(f"{fmt(r.quantity)} {r.unit} = {fmt(energy)} TJ ({ENERGY_BASIS})")
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
            amount = self._amount_for(ncv)
            if amount is None:
                continue
            quantity, unit, conversion = amount
            energy = apply_factor(quantity, unit, ncv, "TJ")
            uses.append(FactorUse("ncv", ncv))
            steps.extend(conversion)
            nf = ncv.factor
            steps.append(f"{fmt(quantity)} {unit} × {nf.value} {nf.unit} = {fmt(energy)} TJ")
            return energy
        if not found:
            raise missing or FactorNotFound(f"record {r.id}: no NCV for {r.activity}")
        return self._energy_by_density(found, uses, steps)

    def _amount_for(self, ncv: Resolution) -> tuple[Decimal, str, tuple[str, ...]] | None:
        """The record's quantity in a unit ``ncv`` applies to, without a density, or ``None``."""
        r = self.record
        if is_compatible(f"({r.unit})*({ncv.factor.unit})", "TJ"):
            return r.quantity, r.unit, ()
        per_gas_volume = is_compatible(f"TJ/({ncv.factor.unit})", "Nm3")
        if per_gas_volume and is_compatible(r.unit, "m3"):
            cubic = r.quantity * conversion_factor(r.unit, "m3")
            normal = cubic * NORMAL_KELVIN / GAS_METER_KELVIN
            step = GAS_VOLUME_STEP.format(quantity=fmt(r.quantity), unit=r.unit, normal=fmt(normal))
            return normal, "Nm3", (step,)
        return None

    def _energy_by_density(self, found: list[Resolution], uses: list[FactorUse], steps: list[str]) -> Decimal:
        """Volume → mass with a published density, then × NCV; else a :class:`UnitMismatch` that
        names the reported unit, the NCV's basis and the density that is missing."""
        r = self.record
        searched: list[str] = []
        for ncv in found:
            if not is_compatible(f"t*({ncv.factor.unit})", "TJ"):
                continue
            ds = tuple(dict.fromkeys((ncv.factor.dataset.id, *self.sources.density)))
            searched.extend(d for d in ds if d not in searched)
            try:
                density = self.fuel_property(Parameter.DENSITY, ds)
            except FactorNotFound:
                continue
            tonnes = self._tonnes(density)
            if tonnes is None:
                continue
            energy = apply_factor(tonnes, "t", ncv, "TJ")
            uses += [FactorUse("density", density), FactorUse("ncv", ncv)]
            d, nf = density.factor, ncv.factor
            steps.append(
                DENSITY_STEP.format(
                    quantity=fmt(r.quantity), unit=r.unit, density=f"{d.value} {d.unit}", tonnes=fmt(tonnes)
                )
            )
            steps.append(f"{fmt(tonnes)} t × {nf.value} {nf.unit} = {fmt(energy)} TJ")
            return energy
        first = found[0].factor
        basis = unit_family(f"TJ/({first.unit})")
        reason = NO_CONVERSION.format(
            activity=r.activity,
            unit=r.unit,
            dimension=unit_family(r.unit),
            ncv=first.key,
            ncv_unit=first.unit,
            basis=basis,
            searched=", ".join(searched) or "(none)",
        )
        raise UnitMismatch(
            f"record {r.id}: {reason}",
            [FieldIssue(("unit",), r.unit, UNIT_ADVICE.format(activity=r.activity, basis=basis))],
        )

    def _tonnes(self, density: Resolution) -> Decimal | None:
        """The record's volume as tonnes with ``density`` printed as mass per volume (kg/L) or,
        as UNSD prints it, volume per mass (L/t); ``None`` when neither fits the record's unit."""
        r, d = self.record, density.factor
        if is_compatible(f"({r.unit})*({d.unit})", "t"):
            return r.quantity * d.value * conversion_factor(f"({r.unit})*({d.unit})", "t")
        if is_compatible(f"({r.unit})/({d.unit})", "t"):
            return r.quantity / d.value * conversion_factor(f"({r.unit})/({d.unit})", "t")
        return None

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


#: the unit families a fuel quantity comes in, as a reporter names them
_FAMILIES = {
    "[mass]": "a mass (t, kg)",
    "[normal_gas_volume]": "a normal gas volume (Nm3)",
    "[length] ** 3": "a volume (L, m3)",
}


def unit_family(unit: str) -> str:
    """``unit``'s family in words with its usual units (``"a mass (t, kg)"``), else its dimension."""
    dimension = dimension_of_safe(unit)
    return _FAMILIES.get(dimension, dimension)


def dimension_of_safe(unit: str) -> str:
    """Dimension of ``unit`` as text, or ``"unknown"`` when pint does not know it."""
    try:
        return dimension_of(unit)
    except UnitMismatch:
        return "unknown"
