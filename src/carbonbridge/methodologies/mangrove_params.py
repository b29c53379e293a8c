"""The parameters of the CCER-14-002-V01 mangrove calculator (``mangrove.py``), typed: the
monitoring period, the strata (planting cohorts) with their sample plots and trees, biomass burning,
and the named defaults (carbon fraction, soil carbon, buffer, wood densities).

What a field's validity depends on beyond itself comes from the validation context
(:func:`context`): the species a calculation knows (the shipped wood densities plus those the
input's own ``wood_density`` names) and the mode (plots are read ex post only, as they are used).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    Field,
    GetCoreSchemaHandler,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from pydantic_core import core_schema

from carbonbridge.methodologies import allometry
from carbonbridge.methodologies.params import OneOf, Parameters, Quantity, Text, rejection
from carbonbridge.methodologies.plausibility import BoundOverride, RemovalCheck

CF_TREE = Decimal("0.47")
SOC_RATE = Decimal("0.50")
SOC_YEARS = 20
BUFFER_SHARE = Decimal("0.20")
#: Alongi (2020) mean mangrove sequestration, used as the ex-ante default tree-carbon growth
EX_ANTE_GROWTH = Decimal("1.8")
#: IPCC 2006 Vol.4 Ch.2 Table 2.5 (tropical forest), g per kg dry matter burnt (verify)
EF_CH4 = Decimal("6.8")
EF_N2O = Decimal("0.20")
BASELINES = ("unvegetated_flat", "abandoned_pond", "pre_existing_trees")
MODES = ("ex_ante", "ex_post")

Year = Annotated[Decimal, Quantity("yr", ge=1990, le=2200)]
#: wood density ρ of Komiyama's equation (g/cm³, oven-dry mass / fresh volume)
WoodDensity = Annotated[Decimal, Quantity("g/cm³", ge="0.1", le="1.5")]


@dataclass(frozen=True)
class KnownSpecies:
    """A species key of a plot's ``trees``: one with a wood density (shipped or given)."""

    def check(self, value: object, info: core_schema.ValidationInfo) -> str:
        if not isinstance(value, str) or not value.strip():
            raise rejection("must be a non-empty string")
        known = sorted((info.context or {}).get("species", allometry.SPECIES))
        if value not in known:
            raise rejection("unknown species (known: %(known)s)", known=", ".join(known))
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.with_info_plain_validator_function(self.check)


Species = Annotated[str, KnownSpecies()]
#: a stem diameter at breast height (cm)
Diameter = Annotated[Decimal, Quantity("cm", ge=0, le=300)]


class Period(Parameters):
    """The monitoring period [t1, t2] in decimal years (T = t2 − t1 may be fractional)."""

    start: Year
    end: Year

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: Decimal, info: ValidationInfo) -> Decimal:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise rejection("must be after period.start")
        return end


class Plot(Parameters):
    """A sample plot: its area and each measured species' stem diameters (cm)."""

    area_m2: Annotated[Decimal, Quantity("m²", gt=0)]
    trees: dict[Species, list[Diameter]] = Field(default_factory=dict)


class BaselineTrees(Parameters):
    """Monitored pre-existing trees' above-ground biomass at t1 and t2 (t d.m.)."""

    agb_t_dm_t1: Annotated[Decimal, Quantity("t d.m.", ge=0)]
    agb_t_dm_t2: Annotated[Decimal, Quantity("t d.m.", ge=0)]


class StratumParameters(Parameters):
    """A planting cohort; plots at t1 (optional: not yet planted or measured counts zero) and t2
    ex post, a default growth rate ex ante."""

    id: Annotated[str, Text()] | None = None
    area_ha: Annotated[Decimal, Quantity("ha", ge=0)]
    planting_year: Annotated[Decimal, Quantity("yr", ge=1950, le=2200)]
    baseline: Annotated[str, OneOf(BASELINES)]
    growth_t_c_per_ha_yr: Annotated[Decimal, Quantity("t C/ha/yr", ge=0)] = EX_ANTE_GROWTH
    baseline_trees: BaselineTrees | None = Field(None, validate_default=True)
    plots_t1: list[Plot] | None = Field(None, validate_default=True)
    plots_t2: list[Plot] | None = Field(None, validate_default=True)

    @field_validator("baseline_trees", mode="wrap")
    @classmethod
    def _read_for_pre_existing_trees(
        cls, value: object, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> BaselineTrees | None:
        if info.data.get("baseline") != "pre_existing_trees":
            return None
        if value is None:
            raise rejection("required")
        trees: BaselineTrees = handler(value)
        return trees

    @field_validator("plots_t1", "plots_t2", mode="wrap")
    @classmethod
    def _measured_ex_post(
        cls, value: object, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> list[Plot] | None:
        if (info.context or {}).get("mode") == "ex_ante":
            return None
        if value is None:
            if info.field_name == "plots_t2":
                raise rejection("required")
            return None
        plots: list[Plot] = handler(value)
        return plots

    @property
    def baseline_agb(self) -> tuple[Decimal, Decimal]:
        """Pre-existing trees' AGB at t1 and t2 (0, 0 where the baseline has none)."""
        trees = self.baseline_trees
        return (Decimal(0), Decimal(0)) if trees is None else (trees.agb_t_dm_t1, trees.agb_t_dm_t2)


class Burning(Parameters):
    """A biomass-burning event (AR-TOOL08): area, biomass, combustion factor, emission factors."""

    area_ha: Annotated[Decimal, Quantity("ha", ge=0)]
    biomass_t_dm_per_ha: Annotated[Decimal, Quantity("t d.m./ha", ge=0)]
    combustion_factor: Annotated[Decimal, Quantity("1", ge=0, le=1)]
    ef_ch4_g_per_kg: Annotated[Decimal, Quantity("g/kg", ge=0)] = EF_CH4
    ef_n2o_g_per_kg: Annotated[Decimal, Quantity("g/kg", ge=0)] = EF_N2O


class SoilCarbon(Parameters):
    """The soil organic carbon accrual default (AR-AM0014 v3.0 analogue)."""

    rate_t_c_per_ha_yr: Annotated[Decimal, Quantity("t C/ha/yr", ge=0)] = SOC_RATE
    years: Annotated[Decimal, Quantity("yr", ge=0)] = Decimal(SOC_YEARS)


class MangroveParameters(Parameters):
    """Everything a CCER-14-002-V01 monitoring report (or ex-ante estimate) gives
    (``docs/methodologies.md``)."""

    mode: Annotated[str, OneOf(MODES)] = "ex_post"
    period: Period
    carbon_fraction: Annotated[Decimal, Quantity("t C/t d.m.", ge=0, le=1)] = CF_TREE
    soc: SoilCarbon = SoilCarbon()
    buffer_share: Annotated[Decimal, Quantity("1", ge=0, le=1)] = BUFFER_SHARE
    leakage_t_co2: Annotated[Decimal, Quantity("t CO2", ge=0)] = Decimal(0)
    gwp_set: Annotated[str, OneOf(("AR4", "AR5", "AR6"))] = "AR6"
    plausibility: dict[RemovalCheck, BoundOverride] = Field(default_factory=dict)
    wood_density: dict[str, WoodDensity] = Field(default_factory=dict)
    strata: list[StratumParameters]
    burning: list[Burning] = Field(default_factory=list)

    @field_validator("strata")
    @classmethod
    def _unique_ids(cls, strata: list[StratumParameters]) -> list[StratumParameters]:
        ids = stratum_ids(strata)
        if len(set(ids)) != len(ids):
            raise rejection("stratum ids must be unique")
        return strata

    @property
    def densities(self) -> dict[str, Decimal]:
        """Wood density by species: the shipped means, overridden by ``wood_density``."""
        return {**{name: s.wood_density for name, s in allometry.SPECIES.items()}, **self.wood_density}


def stratum_ids(strata: list[StratumParameters]) -> list[str]:
    """Each stratum's id (``S<n>``, 1-based, when it has none)."""
    return [s.id if s.id is not None else f"S{i + 1}" for i, s in enumerate(strata)]


def context(raw: object) -> dict[str, object]:
    """The validation context of ``raw`` parameters: the species known (shipped, plus those the
    input's ``wood_density`` names) and the mode (``ex_post`` unless validly ``ex_ante``)."""
    data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    given = data.get("wood_density")
    extra = set(given) if isinstance(given, Mapping) else set()
    mode = data.get("mode")
    return {
        "species": set(allometry.SPECIES) | {str(k) for k in extra},
        "mode": mode if mode in MODES else "ex_post",
    }
