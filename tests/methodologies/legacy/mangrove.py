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
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, localcontext
from typing import Any

from carbonbridge.factors.model import FactorResolver
from carbonbridge.kernel.exact import decimal_context
from carbonbridge.methodologies import allometry, emission_factors
from carbonbridge.methodologies.model import Calculation, Kind, Line
from tests.methodologies.legacy import plausibility
from tests.methodologies.legacy.mangrove_trees import (
    AR_AM,
    C_TO_CO2,
    TOOL14,
    Stratum,
    overlap,
    trees_ex_ante,
    trees_ex_post,
)
from tests.methodologies.legacy.params import Path, Reader, plain

CCER = "CCER-14-002-V01 (confirmed)"
TOOL08 = "AR-TOOL08 (analogue)"
GOLD = "Gold Standard flat land-use buffer (parameter)"

CF_TREE = Decimal("0.47")
SOC_RATE = Decimal("0.50")
SOC_YEARS = 20
R_BASELINE = Decimal("0.25")
BUFFER_SHARE = Decimal("0.20")
#: Alongi (2020) mean mangrove sequestration, used as the ex-ante default tree-carbon growth
EX_ANTE_GROWTH = Decimal("1.8")
#: IPCC 2006 Vol.4 Ch.2 Table 2.5 (tropical forest), g per kg dry matter burnt (verify)
EF_CH4 = Decimal("6.8")
EF_N2O = Decimal("0.20")
BASELINES = ("unvegetated_flat", "abandoned_pond", "pre_existing_trees")
M2_PER_HA = Decimal(10_000)


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
        with localcontext(decimal_context()):
            return self._calculate(parameters, factors or emission_factors.shipped_factors())

    # -- reading -------------------------------------------------------------------------------

    def _plots(
        self,
        r: Reader,
        items: list[Any],
        path: Path,
        densities: Mapping[str, Decimal],
        used: set[str],
    ) -> tuple[Decimal, ...]:
        """Each plot's tree biomass AGB + BGB in t d.m./ha; adds the species measured to ``used``."""
        values = []
        for k, raw in enumerate(items):
            plot = r.mapping(raw, (*path, k))
            area_m2 = r.number(plot, "area_m2", (*path, k), minimum=Decimal(0), exclusive_minimum=True)
            trees = r.mapping(plot.get("trees", {}), (*path, k, "trees"))
            agb_kg = Decimal(0)
            for species, diameters in trees.items():
                where = (*path, k, "trees", species)
                if species not in densities:
                    r.bad(where, species, f"unknown species (known: {', '.join(sorted(densities))})")
                    continue
                if isinstance(diameters, str) or not isinstance(diameters, list):
                    r.bad(where, diameters, "must be a list of stem diameters (cm)")
                    continue
                used.add(species)
                for j, dbh in enumerate(diameters):
                    d = r.value(dbh, (*where, j), minimum=Decimal(0), maximum=Decimal(300))
                    agb_kg += allometry.tree_agb_kg(densities[species], d)
            if area_m2 > 0:
                agb = agb_kg / Decimal(1000) / (area_m2 / M2_PER_HA)
                values.append(agb + allometry.below_ground(agb))
        return tuple(values)

    def _calculate(self, parameters: Mapping[str, Any], factors: FactorResolver) -> Calculation:
        r = Reader(f"{self.id}@{self.version}")
        p = r.mapping(parameters, ())
        mode = r.text(p, "mode", (), choices=("ex_ante", "ex_post"), default="ex_post")
        period = r.mapping(p.get("period"), ("period",))
        t1 = r.number(period, "start", ("period",), minimum=Decimal(1990), maximum=Decimal(2200))
        t2 = r.number(period, "end", ("period",), minimum=Decimal(1990), maximum=Decimal(2200))
        if t2 <= t1 and not r.issues:
            r.bad(("period", "end"), plain(t2), "must be after period.start")
        cf = r.fraction(p, "carbon_fraction", (), default=CF_TREE)
        soc = r.mapping(p.get("soc", {}), ("soc",))
        soc_rate = r.number(soc, "rate_t_c_per_ha_yr", ("soc",), default=SOC_RATE, minimum=Decimal(0))
        soc_years = r.number(soc, "years", ("soc",), default=Decimal(SOC_YEARS), minimum=Decimal(0))
        buffer = r.fraction(p, "buffer_share", (), default=BUFFER_SHARE)
        leakage = r.number(p, "leakage_t_co2", (), default=Decimal(0), minimum=Decimal(0))
        gwp_set = r.text(p, "gwp_set", (), choices=("AR4", "AR5", "AR6"), default="AR6")
        bounds = plausibility.read_bounds(
            r, p.get("plausibility"), ("plausibility",), plausibility.MANGROVE_BOUNDS
        )
        densities = {name: s.wood_density for name, s in allometry.SPECIES.items()}
        given = r.mapping(p.get("wood_density", {}), ("wood_density",))
        for name, raw in given.items():
            densities[name] = r.value(
                raw, ("wood_density", name), minimum=Decimal("0.1"), maximum=Decimal("1.5")
            )
        used: set[str] = set()
        strata: list[Stratum] = []
        for i, raw in enumerate(r.items(p, "strata", ())):
            s = r.mapping(raw, ("strata", i))
            where = ("strata", i)
            baseline = r.text(s, "baseline", where, choices=BASELINES)
            agb = (Decimal(0), Decimal(0))
            if baseline == "pre_existing_trees":
                b = r.mapping(s.get("baseline_trees"), (*where, "baseline_trees"))
                agb = (
                    r.number(b, "agb_t_dm_t1", (*where, "baseline_trees"), minimum=Decimal(0)),
                    r.number(b, "agb_t_dm_t2", (*where, "baseline_trees"), minimum=Decimal(0)),
                )
            plots_t1: tuple[Decimal, ...] = ()
            plots_t2: tuple[Decimal, ...] = ()
            if mode == "ex_post":
                plots_t1 = self._plots(
                    r,
                    r.items(s, "plots_t1", where, required=False),
                    (*where, "plots_t1"),
                    densities,
                    used,
                )
                plots_t2 = self._plots(
                    r, r.items(s, "plots_t2", where), (*where, "plots_t2"), densities, used
                )
            strata.append(
                Stratum(
                    id=r.text(s, "id", where, default=f"S{i + 1}"),
                    area_ha=r.number(s, "area_ha", where, minimum=Decimal(0)),
                    planting_year=r.number(
                        s, "planting_year", where, minimum=Decimal(1950), maximum=Decimal(2200)
                    ),
                    baseline=baseline,
                    growth=r.number(
                        s, "growth_t_c_per_ha_yr", where, default=EX_ANTE_GROWTH, minimum=Decimal(0)
                    ),
                    plots_t1=plots_t1,
                    plots_t2=plots_t2,
                    baseline_agb=agb,
                )
            )
        if len({s.id for s in strata}) != len(strata):
            r.bad(("strata",), [s.id for s in strata], "stratum ids must be unique")
        burning = []
        for k, raw in enumerate(r.items(p, "burning", (), required=False)):
            b = r.mapping(raw, ("burning", k))
            where = ("burning", k)
            burning.append(
                (
                    r.number(b, "area_ha", where, minimum=Decimal(0)),
                    r.number(b, "biomass_t_dm_per_ha", where, minimum=Decimal(0)),
                    r.fraction(b, "combustion_factor", where),
                    r.number(b, "ef_ch4_g_per_kg", where, default=EF_CH4, minimum=Decimal(0)),
                    r.number(b, "ef_n2o_g_per_kg", where, default=EF_N2O, minimum=Decimal(0)),
                )
            )
        r.finish()
        density_lines = [_density_line(name, densities[name], name in given) for name in sorted(used)]
        return self._compute(
            density_lines,
            mode,
            t1,
            t2,
            cf,
            soc_rate,
            soc_years,
            buffer,
            leakage,
            gwp_set,
            strata,
            burning,
            factors,
            p,
            bounds,
        )

    # -- equations -----------------------------------------------------------------------------

    def _compute(
        self,
        density_lines: list[Line],
        mode: str,
        t1: Decimal,
        t2: Decimal,
        cf: Decimal,
        soc_rate: Decimal,
        soc_years: Decimal,
        buffer: Decimal,
        leakage: Decimal,
        gwp_set: str,
        strata: list[Stratum],
        burning: list[tuple[Decimal, Decimal, Decimal, Decimal, Decimal]],
        factors: FactorResolver,
        raw: Mapping[str, Any],
        bounds: Mapping[str, plausibility.Bound],
    ) -> Calculation:
        years = t2 - t1
        area = sum((s.area_ha for s in strata), Decimal(0))
        lines: list[Line] = [
            Line("T", years, "yr", "t2 − t1 (may be fractional)", "Monitoring period", "监测期", AR_AM),
            Line("A", area, "ha", "Σ A_i", "Project area", "项目面积", AR_AM),
            Line(
                "CF_TREE",
                cf,
                "t C/t d.m.",
                "default 0.47 (parameter carbon_fraction)",
                "Carbon fraction",
                "含碳率",
                TOOL14,
            ),
        ]
        lines += density_lines
        if mode == "ex_post":
            tree_change, tree_lines = trees_ex_post(t1, t2, cf, strata)
        else:
            tree_change, tree_lines = trees_ex_ante(t1, t2, strata)
        lines += tree_lines
        soc = C_TO_CO2 * sum(
            (
                s.area_ha * soc_rate * overlap(t1, t2, s.planting_year, s.planting_year + soc_years)
                for s in strata
            ),
            Decimal(0),
        )
        lines.append(
            Line(
                "ΔSOC_PROJ",
                soc,
                "t CO2",
                f"44/12 × Σ A_i × {plain(soc_rate)} t C/ha/yr × years within "
                f"{plain(soc_years)} yr of planting",
                "Soil organic carbon change",
                "土壤有机碳变化",
                AR_AM,
            )
        )
        emissions = Decimal(0)
        if burning:
            gwp_ch4, ch4_line = emission_factors.gwp(factors, "CH4", gwp_set)
            gwp_n2o, n2o_line = emission_factors.gwp(factors, "N2O", gwp_set)
            emissions = sum(
                (
                    a * b * comf * (ch4 * gwp_ch4 + n2o * gwp_n2o) / Decimal(1000)
                    for a, b, comf, ch4, n2o in burning
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
        actual = tree_change + soc - emissions
        baseline = sum(
            (C_TO_CO2 * cf * (1 + R_BASELINE) * (s.baseline_agb[1] - s.baseline_agb[0]) for s in strata),
            Decimal(0),
        )
        net = actual - baseline - leakage
        lines += [
            Line(
                "ΔC_ACTUAL",
                actual,
                "t CO2e",
                "ΔC_TREE_PROJ + ΔSOC_PROJ − GHG_E",
                "Actual net removals",
                "实际净碳汇量",
                AR_AM,
            ),
            Line(
                "ΔC_BSL",
                baseline,
                "t CO2e",
                "AR-AM0014 eq. 1, trees only (shrubs, dead wood 0): 0 on unvegetated flats / "
                "abandoned ponds; 44/12 × CF × (1 + 0.25) × ΔAGB for pre-existing trees",
                "Baseline removals",
                "基线碳汇量",
                CCER if all(s.baseline != "pre_existing_trees" for s in strata) else AR_AM,
            ),
            Line(
                "LK",
                leakage,
                "t CO2e",
                "LK_AGRIC (displaced agriculture; parameter)",
                "Leakage",
                "泄漏",
                AR_AM,
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
            Line(
                "BUFFER",
                buffer,
                "1",
                "non-permanence buffer share (default 20 %)",
                "Buffer share",
                "缓冲库比例",
                GOLD,
            ),
            Line(
                "BUFFER_t", buffer * net, "t CO2e", "BUFFER × ΔC_AR", "To the buffer pool", "计入缓冲库", GOLD
            ),
        ]
        return Calculation(
            methodology=f"{self.id}@{self.version}",
            kind=self.kind,
            net_t=net,
            baseline_t=baseline,
            project_t=actual,
            leakage_t=leakage,
            lines=tuple(lines),
            flags=plausibility.removal_flags(net_t=net, area_ha=area, years=years, bounds=bounds),
            parameters={
                **raw,
                "mode": mode,
                "carbon_fraction": plain(cf),
                "soc": {"rate_t_c_per_ha_yr": plain(soc_rate), "years": plain(soc_years)},
                "buffer_share": plain(buffer),
                "leakage_t_co2": plain(leakage),
                "gwp_set": gwp_set,
            },
            buffer_share=buffer,
        )


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
