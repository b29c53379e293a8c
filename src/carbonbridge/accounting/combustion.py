"""Fuel combustion for one record: the IPCC 2006 path and the China MEE guideline path.

* IPCC 2006 Vol.2 Ch.2 eq. 2.1 (stationary) / Ch.3 eq. 3.2.1 (road), Tier 1: ``E_gas = fuel
  energy (TJ) × EF_gas (kg/TJ)`` for CO2, CH4 and N2O, plus co-pollutants where a factor exists. A
  fuel IPCC publishes no Tier 1 CO2 factor for (raw coal, 原煤) is computed at Tier 2 with the
  national NCV, carbon content and oxidation factor (Vol.2 Ch.2 §2.3.1).
* China MEE enterprise guideline: ``E = FC × NCV × CC × OF × 44/12`` (CO2 only), from the
  guideline's own defaults; it borrows an IPCC figure only where its own are missing or do not fit
  the reported unit, and its trace says which and why.

How a reported quantity becomes energy (t, Nm³, m³, L, GJ, kWh) is
:meth:`~carbonbridge.accounting.calculation.RecordCalculation.energy_tj`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from carbonbridge.accounting.calculation import (
    CO2_PER_C,
    GHGS,
    MEE_ENERGY_FROM_IPCC,
    NO_TIER1_GAS,
    POLLUTANTS,
    TIER2_NOTE,
    RecordCalculation,
    apply_factor,
    fmt,
    round_mg,
)
from carbonbridge.accounting.model import (
    Basis,
    FactorUse,
    GasAmount,
    PollutantAmount,
    RecordEmissions,
    Trace,
)
from carbonbridge.factors.model import Parameter
from carbonbridge.kernel.errors import FactorNotFound, UnitMismatch

__all__ = ["FuelCombustion"]


class FuelCombustion(RecordCalculation):
    """The combustion paths of a ``fuel.*`` or ``mobile.*`` record."""

    def combustion(self, sector: str | None) -> RecordEmissions:
        """IPCC path (all GHGs, co-pollutants) and the MEE path (CO2) of a fuel record.

        Each path resolves the parameters its own guideline prescribes. A fuel IPCC 2006 publishes
        no Tier 1 CO2 factor for (raw coal, 原煤, is a Chinese statistical category, not an IPCC
        fuel type) is computed on the IPCC basis at Tier 2, with the national NCV, carbon content
        and oxidation factor (IPCC 2006 Vol.2 Ch.2 §2.3.1: Tier 2 replaces the default factors with
        country-specific ones); the trace says so. The MEE path never needs an IPCC factor unless
        its own parameters are missing, and then its trace says which figure stood in and why.
        """
        mobile = self.record.activity.startswith("mobile.")
        sector = "road_transport" if mobile else sector
        ipcc: _IpccPath | None = None
        no_tier1: FactorNotFound | None = None
        try:
            ipcc = self.ipcc_combustion(sector, mobile)
        except _NoTier1 as exc:
            no_tier1 = exc.cause
        mee_gases, mee_trace = self.mee_combustion(ipcc)
        if ipcc is None:  # the MEE path computed from its own parameters (else it raised)
            ipcc = self.ipcc_tier2(sector, mobile, mee_gases[0], mee_trace, no_tier1)
        results = {Basis.IPCC: ipcc.gases, Basis.MEE: mee_gases}
        traces = {Basis.IPCC: ipcc.trace, Basis.MEE: mee_trace}
        return self.result(results, traces, ipcc.pollutants)

    def ipcc_combustion(self, sector: str | None, mobile: bool) -> _IpccPath:
        """IPCC 2006 Tier 1: energy × default EF per gas. Raises :class:`_NoTier1` when IPCC
        publishes no CO2 factor for the fuel (the Tier 2 path takes over)."""
        ds = self.sources.ipcc_energy
        uses: list[FactorUse] = []
        steps: list[str] = []
        energy = self.energy_tj(ds + self.sources.mee_fuel, uses, steps)
        energy_uses, energy_steps = tuple(uses), tuple(steps)
        technology = dict(self.sources.mobile_technology).get(self.record.activity) if mobile else None
        if technology:
            steps.append(
                f"vehicle technology not reported: IPCC Table 3.2.2 '{technology}' assumed for CH4, N2O"
            )
        gases = []
        for gas in GHGS:
            variant = technology if gas != "CO2" else None
            q = self.query(Parameter.EMISSION_FACTOR, gas=gas, sector=sector, variant=variant, datasets=ds)
            try:
                ef = self.resolver.resolve(q)
            except FactorNotFound as exc:
                if gas == "CO2":
                    raise _NoTier1(exc) from exc
                raise
            uses.append(FactorUse(f"ef {gas}", ef))
            gases.append(self.gas(gas, apply_factor(energy, "TJ", ef, "kg"), uses))
        pollutants, notes = self.co_pollutants(energy, uses, sector)
        equation = "mobile" if mobile else "stationary"
        trace = self.trace(Basis.IPCC, equation, uses, steps, notes)
        return _IpccPath(tuple(gases), trace, pollutants, energy, energy_uses, energy_steps)

    def ipcc_tier2(
        self,
        sector: str | None,
        mobile: bool,
        co2: GasAmount,
        mee: Trace,
        cause: FactorNotFound | None,
    ) -> _IpccPath:
        """IPCC 2006 Tier 2 CO2 from the national parameters (the MEE path's NCV × CC × OF × 44/12)
        for a fuel without an IPCC default; CH4 and N2O where IPCC publishes them, else noted."""
        ds = self.sources.ipcc_energy
        uses = list(mee.factors)
        steps = list(mee.conversions)
        notes = [TIER2_NOTE.format(activity=self.record.activity)]
        energy = self.energy_tj(self.sources.mee_fuel, [], [])
        gases = [co2]
        technology = dict(self.sources.mobile_technology).get(self.record.activity) if mobile else None
        for gas in GHGS[1:]:
            q = self.query(Parameter.EMISSION_FACTOR, gas=gas, sector=sector, variant=technology, datasets=ds)
            try:
                ef = self.resolver.resolve(q)
            except FactorNotFound:
                notes.append(NO_TIER1_GAS.format(gas=gas, activity=self.record.activity))
                continue
            uses.append(FactorUse(f"ef {gas}", ef))
            gases.append(self.gas(gas, apply_factor(energy, "TJ", ef, "kg"), uses))
        pollutants, more = self.co_pollutants(energy, uses, sector)
        if cause is not None:
            notes.append(cause.detail)
        trace = self.trace(Basis.IPCC, "tier2", uses, steps, (*notes, *more))
        return _IpccPath(tuple(gases), trace, pollutants, energy, (), ())  # energy not reused

    def co_pollutants(
        self, energy: Decimal, uses: list[FactorUse], sector: str | None
    ) -> tuple[tuple[PollutantAmount, ...], tuple[str, ...]]:
        """SO2, NOx, PM10, PM2.5 = energy × EF where a factor exists; absence is only noted."""
        found: list[PollutantAmount] = []
        notes: list[str] = []
        for name in POLLUTANTS:
            ds = self.sources.co_pollutants
            q = self.query(Parameter.EMISSION_FACTOR, gas=name, sector=sector, datasets=ds)
            try:
                ef = self.resolver.resolve(q)
            except FactorNotFound:
                notes.append(f"{name}: no factor")
                continue
            uses.append(FactorUse(f"ef {name}", ef))
            found.append(PollutantAmount(name, round_mg(apply_factor(energy, "TJ", ef, "kg"))))
        return tuple(found), tuple(notes)

    def mee_combustion(self, ipcc: _IpccPath | None) -> tuple[tuple[GasAmount, ...], Trace]:
        """China MEE enterprise guidelines: E = FC × NCV × CC × OF × 44/12 (t CO2), CO2 only.

        Energy comes from the guideline's NCV; where that NCV is per volume and the record is in
        mass (natural gas in t) and no density is in scope, the IPCC path's energy (IPCC NCV per
        mass) stands in and the trace says so. Without the MEE carbon content or oxidation factor
        the IPCC-path CO2 stands in, noted likewise; without either path the record fails."""
        ds = self.sources.mee_fuel
        uses: list[FactorUse] = []
        steps: list[str] = []
        notes: list[str] = []
        try:
            try:
                energy = self.energy_tj(ds, uses, steps)
            except UnitMismatch as exc:
                if ipcc is None:
                    raise
                energy = ipcc.energy
                uses += ipcc.energy_uses
                steps += ipcc.energy_steps
                notes.append(MEE_ENERGY_FROM_IPCC.format(reason=_reason(exc)))
            cc = self.fuel_property(Parameter.CARBON_CONTENT, ds)
            of = self.fuel_property(Parameter.OXIDATION_FACTOR, ds)
        except FactorNotFound as exc:
            if ipcc is None:
                raise
            note = f"MEE parameters missing ({exc.detail}); IPCC-path CO2 used"
            return (ipcc.gases[0],), self.trace(Basis.MEE, "mee", notes=(note,))
        uses += [FactorUse("cc", cc), FactorUse("of", of)]
        carbon = apply_factor(energy, "TJ", cc, "kg")
        oxidised = apply_factor(carbon, "dimensionless", of, "dimensionless")
        co2 = oxidised * CO2_PER_C[0] / CO2_PER_C[1]
        steps += [
            f"C = {fmt(energy)} TJ × {cc.factor.value} {cc.factor.unit} = {fmt(carbon)} kg",
            f"× OF {of.factor.value} = {fmt(oxidised)} kg C; × 44/12 = {fmt(co2)} kg CO2",
        ]
        return (self.gas("CO2", co2, uses),), self.trace(Basis.MEE, "mee", uses, steps, notes)


@dataclass(frozen=True)
class _IpccPath:
    """The IPCC basis of a fuel record, with the energy and factors the MEE path may reuse."""

    gases: tuple[GasAmount, ...]
    trace: Trace
    pollutants: tuple[PollutantAmount, ...]
    #: fuel energy (TJ), and the factors and steps that converted the reported quantity to it
    energy: Decimal
    energy_uses: tuple[FactorUse, ...]
    energy_steps: tuple[str, ...]


class _NoTier1(Exception):
    """IPCC publishes no Tier 1 CO2 factor for the fuel; ``cause`` is the resolver's answer."""

    def __init__(self, cause: FactorNotFound) -> None:
        super().__init__(cause.detail)
        self.cause = cause


def _reason(exc: UnitMismatch) -> str:
    return exc.detail.split(": ", 1)[1] if exc.detail.startswith("record ") else exc.detail
