"""Mangrove afforestation, CCER-14-002-V01 温室气体自愿减排项目方法学 红树林营造 (MEE, 2023).

Confirmed from the CCER text (marked ``CCER-14-002-V01 (confirmed)``): a forestry-and-other-sinks
methodology removing CO2 by increasing mangrove area and ecosystem carbon stock; applicable to
unvegetated tidal flats (无植被潮滩) and abandoned aquaculture ponds (退养的养殖塘) planted by hand,
with clear sea-area and land title. Its equations and defaults could not be confirmed from public
copies, so the calculation follows the published analogue the CCER forestry methodologies descend
from, CDM AR-AM0014 v3.0 (mangrove A/R) with AR-TOOL14 (trees), AR-TOOL08 (biomass burning), marked
``AR-AM0014 v3.0 (analogue)`` etc. Every default is a named, overridable parameter.

Net removals over the monitoring period [t1, t2] (T = t2 − t1 years, may be fractional):

    ΔC_AR = ΔC_ACTUAL − ΔC_BSL − LK
    ΔC_ACTUAL = ΔC_TREE_PROJ × (1 − DF × U) + ΔSOC_PROJ − GHG_E        (ex post)
    C_TREE,t = 44/12 × CF × Σ_i A_i × b_i,t         b per plot = AGB + BGB(AGB), t d.m./ha
    ΔSOC = 44/12 × Σ_i A_i × dSOC × years of [t1, t2] within 20 years of planting
    GHG_E = Σ A_burn × B × COMF × (EF_CH4 GWP_CH4 + EF_N2O GWP_N2O) / 1000
    ΔC_BSL = 0 on unvegetated flats and ponds; 44/12 × CF × (1 + R_BSL) × ΔAGB for monitored
             pre-existing trees (hook; the CCER applicability excludes vegetated land)

Ex ante the tree stock of each planting cohort grows linearly at a default rate (t C/ha/yr) from its
planting year, with no sampling uncertainty. The non-permanence buffer share (Gold Standard's flat
20 % by default) is reported for the registry (``buffer_share``); it does not reduce ``net_t``.

One function per equation group: tree biomass per plot (allometry) and the tree stock change with
its uncertainty deduction (``mangrove_trees``), :func:`soil_carbon` (ΔSOC_PROJ),
:func:`project_emissions` (GHG_E), :func:`baseline_removals` (ΔC_BSL) and :func:`net_removals`
(ΔC_ACTUAL, LK, ΔC_AR, the annual rate and the buffer), on the typed
:class:`~carbonbridge.methodologies.mangrove_params.MangroveParameters`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, localcontext
from typing import Any

from carbonbridge.factors.model import FactorResolver
from carbonbridge.kernel.exact import decimal_context
from carbonbridge.methodologies import allometry, emission_factors, plausibility
from carbonbridge.methodologies.mangrove_params import (
    BASELINES,
    BUFFER_SHARE,
    CF_TREE,
    EF_CH4,
    EF_N2O,
    EX_ANTE_GROWTH,
    SOC_RATE,
    SOC_YEARS,
    Burning,
    MangroveParameters,
    Plot,
    StratumParameters,
    context,
    stratum_ids,
)
from carbonbridge.methodologies.mangrove_trees import (
    AR_AM,
    C_TO_CO2,
    TOOL14,
    Stratum,
    overlap,
    plot_biomass,
    trees_ex_ante,
    trees_ex_post,
)
from carbonbridge.methodologies.model import Calculation, Kind, Line
from carbonbridge.methodologies.params import parse, plain

__all__ = [
    "BASELINES",
    "BUFFER_SHARE",
    "CF_TREE",
    "EF_CH4",
    "EF_N2O",
    "EX_ANTE_GROWTH",
    "SOC_RATE",
    "SOC_YEARS",
    "MangroveAfforestation",
    "MangroveParameters",
]

CCER = "CCER-14-002-V01 (confirmed)"
TOOL08 = "AR-TOOL08 (analogue)"
GOLD = "Gold Standard flat land-use buffer (parameter)"
R_BASELINE = Decimal("0.25")


class MangroveAfforestation:
    """CCER-14-002-V01 mangrove afforestation calculator (module docstring)."""

    id: str = "CCER-14-002-V01"
    version: str = "V01"
    kind: Kind = Kind.REMOVAL
    title_en: str = "Mangrove afforestation (CCER-14-002-V01)"
    title_zh: str = "红树林营造（CCER-14-002-V01）"

    def example(self) -> Mapping[str, Any]:
        """Two cohorts on a former pond and a tidal flat, re-measured after two years."""
        return {
            "mode": "ex_post",
            "period": {"start": "2023", "end": "2025"},
            "strata": [
                {
                    "id": "S1",
                    "area_ha": "10",
                    "planting_year": "2020",
                    "baseline": "abandoned_pond",
                    "plots_t1": [
                        {"area_m2": "10", "trees": {"kandelia_obovata": ["4", "5", "6"]}},
                        {"area_m2": "10", "trees": {"kandelia_obovata": ["5", "5", "5"]}},
                    ],
                    "plots_t2": [
                        {"area_m2": "10", "trees": {"kandelia_obovata": ["6", "7", "8"]}},
                        {"area_m2": "10", "trees": {"kandelia_obovata": ["7", "7", "7"]}},
                    ],
                },
                {
                    "id": "S2",
                    "area_ha": "5",
                    "planting_year": "2024",
                    "baseline": "unvegetated_flat",
                    "plots_t2": [
                        {"area_m2": "10", "trees": {"aegiceras_corniculatum": ["2", "2"]}},
                        {"area_m2": "10", "trees": {"aegiceras_corniculatum": ["2", "3"]}},
                    ],
                },
            ],
            "leakage_t_co2": "0",
        }

    def calculate(
        self, parameters: Mapping[str, Any], *, factors: FactorResolver | None = None
    ) -> Calculation:
        p = parse(MangroveParameters, parameters, f"{self.id}@{self.version}", context(parameters))
        with localcontext(decimal_context()):
            return self.compute(p, factors or emission_factors.shipped_factors(), parameters)

    def compute(self, p: MangroveParameters, factors: FactorResolver, raw: Mapping[str, Any]) -> Calculation:
        """ΔC_AR from typed parameters (module docstring), every equation group in order; ``raw``
        is kept in the record beside the defaults the calculation filled in."""
        t1, t2 = p.period.start, p.period.end
        strata, used = tree_strata(p)
        if p.mode == "ex_post":
            tree_change, tree_lines = trees_ex_post(t1, t2, p.carbon_fraction, strata)
        else:
            tree_change, tree_lines = trees_ex_ante(t1, t2, strata)
        soc, soc_line = soil_carbon(p, strata)
        emissions, emission_lines = project_emissions(p.burning, p.gwp_set, factors)
        baseline, baseline_line = baseline_removals(p.carbon_fraction, strata)
        actual = tree_change + soc - emissions
        net, net_lines = net_removals(p, actual, baseline, baseline_line)
        densities = p.densities
        lines = [
            *period_lines(p, strata),
            *(_density_line(name, densities[name], name in p.wood_density) for name in sorted(used)),
            *tree_lines,
            soc_line,
            *emission_lines,
            *net_lines,
            *buffer_lines(p.buffer_share, net),
        ]
        area = sum((s.area_ha for s in strata), Decimal(0))
        bounds = plausibility.with_overrides(plausibility.MANGROVE_BOUNDS, p.plausibility)
        return Calculation(
            methodology=f"{self.id}@{self.version}",
            kind=self.kind,
            net_t=net,
            baseline_t=baseline,
            project_t=actual,
            leakage_t=p.leakage_t_co2,
            lines=tuple(lines),
            flags=plausibility.removal_flags(net_t=net, area_ha=area, years=t2 - t1, bounds=bounds),
            parameters=understood(p, raw),
            buffer_share=p.buffer_share,
        )


def tree_strata(p: MangroveParameters) -> tuple[list[Stratum], set[str]]:
    """The strata with each plot's tree biomass b = AGB + BGB (t d.m./ha, Komiyama et al. 2005 and
    AR-TOOL14, ``mangrove_trees.plot_biomass``), and the species measured."""
    densities = p.densities
    used: set[str] = set()

    def biomass(plots: list[Plot] | None) -> tuple[Decimal, ...]:
        for plot in plots or ():
            used.update(plot.trees)
        return tuple(plot_biomass(plot.area_m2, plot.trees, densities) for plot in plots or ())

    strata = [
        _stratum(s, ident, biomass(s.plots_t1), biomass(s.plots_t2))
        for s, ident in zip(p.strata, stratum_ids(p.strata), strict=True)
    ]
    return strata, used


def _stratum(s: StratumParameters, ident: str, t1: tuple[Decimal, ...], t2: tuple[Decimal, ...]) -> Stratum:
    return Stratum(
        id=ident,
        area_ha=s.area_ha,
        planting_year=s.planting_year,
        baseline=s.baseline,
        growth=s.growth_t_c_per_ha_yr,
        plots_t1=t1,
        plots_t2=t2,
        baseline_agb=s.baseline_agb,
    )


def period_lines(p: MangroveParameters, strata: list[Stratum]) -> list[Line]:
    """T = t2 − t1, the project area A = Σ A_i (AR-AM0014 v3.0, analogue) and the carbon fraction
    CF (AR-TOOL14, default 0.47)."""
    area = sum((s.area_ha for s in strata), Decimal(0))
    return [
        Line(
            "T",
            p.period.end - p.period.start,
            "yr",
            "t2 − t1 (may be fractional)",
            "Monitoring period",
            "监测期",
            AR_AM,
        ),
        Line("A", area, "ha", "Σ A_i", "Project area", "项目面积", AR_AM),
        Line(
            "CF_TREE",
            p.carbon_fraction,
            "t C/t d.m.",
            "default 0.47 (parameter carbon_fraction)",
            "Carbon fraction",
            "含碳率",
            TOOL14,
        ),
    ]


def soil_carbon(p: MangroveParameters, strata: list[Stratum]) -> tuple[Decimal, Line]:
    """ΔSOC_PROJ = 44/12 × Σ A_i × dSOC × years of [t1, t2] within ``soc.years`` of planting
    (AR-AM0014 v3.0, analogue; 0.50 t C/ha/yr for 20 years by default)."""
    rate, years = p.soc.rate_t_c_per_ha_yr, p.soc.years
    t1, t2 = p.period.start, p.period.end
    soc = C_TO_CO2 * sum(
        (s.area_ha * rate * overlap(t1, t2, s.planting_year, s.planting_year + years) for s in strata),
        Decimal(0),
    )
    return soc, Line(
        "ΔSOC_PROJ",
        soc,
        "t CO2",
        f"44/12 × Σ A_i × {plain(rate)} t C/ha/yr × years within {plain(years)} yr of planting",
        "Soil organic carbon change",
        "土壤有机碳变化",
        AR_AM,
    )


def project_emissions(
    burning: list[Burning], gwp_set: str, factors: FactorResolver
) -> tuple[Decimal, list[Line]]:
    """GHG_E = Σ A × B × COMF × (EF_CH4 GWP_CH4 + EF_N2O GWP_N2O) / 1000 (t CO2e; AR-TOOL08,
    analogue), the GWPs of ``gwp_set`` from the ``ipcc-gwp100`` dataset."""
    lines: list[Line] = []
    emissions = Decimal(0)
    if burning:
        gwp_ch4, ch4_line = emission_factors.gwp(factors, "CH4", gwp_set)
        gwp_n2o, n2o_line = emission_factors.gwp(factors, "N2O", gwp_set)
        emissions = sum(
            (
                b.area_ha
                * b.biomass_t_dm_per_ha
                * b.combustion_factor
                * (b.ef_ch4_g_per_kg * gwp_ch4 + b.ef_n2o_g_per_kg * gwp_n2o)
                / Decimal(1000)
                for b in burning
            ),
            Decimal(0),
        )
        lines += [ch4_line, n2o_line]
    lines.append(
        Line(
            "GHG_E",
            emissions,
            "t CO2e",
            "Σ A × B × COMF × (EF_CH4 GWP_CH4 + EF_N2O GWP_N2O) / 1000",
            "Project emissions (biomass burning)",
            "项目排放（生物质燃烧）",
            TOOL08,
        )
    )
    return emissions, lines


def baseline_removals(cf: Decimal, strata: list[Stratum]) -> tuple[Decimal, Line]:
    """ΔC_BSL (AR-AM0014 eq. 1, trees only; shrubs and dead wood 0): 0 on unvegetated flats and
    abandoned ponds (CCER-14-002-V01 applicability, confirmed); 44/12 × CF × (1 + 0.25) × ΔAGB for
    monitored pre-existing trees."""
    baseline = sum(
        (C_TO_CO2 * cf * (1 + R_BASELINE) * (s.baseline_agb[1] - s.baseline_agb[0]) for s in strata),
        Decimal(0),
    )
    return baseline, Line(
        "ΔC_BSL",
        baseline,
        "t CO2e",
        "AR-AM0014 eq. 1, trees only (shrubs, dead wood 0): 0 on unvegetated flats / "
        "abandoned ponds; 44/12 × CF × (1 + 0.25) × ΔAGB for pre-existing trees",
        "Baseline removals",
        "基线碳汇量",
        CCER if all(s.baseline != "pre_existing_trees" for s in strata) else AR_AM,
    )


def net_removals(
    p: MangroveParameters, actual: Decimal, baseline: Decimal, baseline_line: Line
) -> tuple[Decimal, list[Line]]:
    """AR-AM0014 v3.0 (analogue): ΔC_ACTUAL = ΔC_TREE_PROJ + ΔSOC_PROJ − GHG_E (given as ``actual``),
    LK = LK_AGRIC (parameter), ΔC_AR = ΔC_ACTUAL − ΔC_BSL − LK and the annual rate ΔC_AR / T."""
    leakage = p.leakage_t_co2
    net = actual - baseline - leakage
    years = p.period.end - p.period.start
    return net, [
        Line(
            "ΔC_ACTUAL",
            actual,
            "t CO2e",
            "ΔC_TREE_PROJ + ΔSOC_PROJ − GHG_E",
            "Actual net removals",
            "实际净碳汇量",
            AR_AM,
        ),
        baseline_line,
        Line(
            "LK", leakage, "t CO2e", "LK_AGRIC (displaced agriculture; parameter)", "Leakage", "泄漏", AR_AM
        ),
        Line(
            "ΔC_AR",
            net,
            "t CO2e",
            "ΔC_ACTUAL − ΔC_BSL − LK",
            "Net anthropogenic removals",
            "项目减排量（净碳汇量）",
            AR_AM,
        ),
        Line("ΔC_AR/yr", net / years, "t CO2e/yr", "ΔC_AR / T", "Annual rate", "年均净碳汇量", AR_AM),
    ]


def buffer_lines(buffer: Decimal, net: Decimal) -> list[Line]:
    """The non-permanence buffer: BUFFER × ΔC_AR to the registry's pool (Gold Standard flat land-use
    share, 20 % by default; reported, not deducted from ΔC_AR)."""
    return [
        Line(
            "BUFFER",
            buffer,
            "1",
            "non-permanence buffer share (default 20 %)",
            "Buffer share",
            "缓冲库比例",
            GOLD,
        ),
        Line("BUFFER_t", buffer * net, "t CO2e", "BUFFER × ΔC_AR", "To the buffer pool", "计入缓冲库", GOLD),
    ]


def understood(p: MangroveParameters, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters as given, with the defaults the calculation filled in, for the record."""
    return {
        **raw,
        "mode": p.mode,
        "carbon_fraction": plain(p.carbon_fraction),
        "soc": {"rate_t_c_per_ha_yr": plain(p.soc.rate_t_c_per_ha_yr), "years": plain(p.soc.years)},
        "buffer_share": plain(p.buffer_share),
        "leakage_t_co2": plain(p.leakage_t_co2),
        "gwp_set": p.gwp_set,
    }


def _density_line(species: str, value: Decimal, given: bool) -> Line:
    """The wood density a calculation used for ``species``, with where it came from."""
    known = allometry.SPECIES.get(species)
    if given or known is None:
        source = "parameter wood_density"
    else:
        source = f"{known.citation} (status {known.status})"
    return Line(
        f"ρ_{species}",
        value,
        "g/cm³",
        "wood density in AGB = 0.251 ρ D^2.46 (parameter wood_density overrides)",
        f"Wood density, {species}",
        f"木材密度，{known.name_zh if known else species}",
        source,
    )
