"""Tree carbon of mangrove strata: the stock change between two plot measurements with its sampling
uncertainty and discount (ex post), or default linear growth per planting cohort (ex ante).

Ex post, AR-TOOL14 (analogue of CCER-14-002-V01): C_TREE,t = 44/12 × CF × Σ_i A_i b_i,t with b the
plot mean of above- plus below-ground biomass (t d.m./ha); ΔC_TREE = C_t2 − C_t1, its relative
uncertainty U from the two stratified estimates, and the project estimate lowered by DF × U × ΔC
(AR-AM0014 v3.0 discount table). Ex ante: 44/12 × A × growth (t C/ha/yr) × years since planting
within the period (no sampling uncertainty).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from carbonbridge.methodologies import allometry, sampling
from carbonbridge.methodologies.model import Line
from carbonbridge.methodologies.params import plain

AR_AM = "AR-AM0014 v3.0 (analogue)"
TOOL14 = "AR-TOOL14 (analogue)"
C_TO_CO2 = Decimal(44) / Decimal(12)
M2_PER_HA = Decimal(10_000)


@dataclass(frozen=True)
class Stratum:
    """A planting cohort: area, planting year, baseline land type, plot biomass at t1 and t2."""

    id: str
    area_ha: Decimal
    planting_year: Decimal
    baseline: str
    growth: Decimal
    plots_t1: tuple[Decimal, ...]
    plots_t2: tuple[Decimal, ...]
    baseline_agb: tuple[Decimal, Decimal]


def overlap(start: Decimal, end: Decimal, lo: Decimal, hi: Decimal) -> Decimal:
    """Length of [start, end] ∩ [lo, hi] in years (0 when disjoint)."""
    return max(Decimal(0), min(end, hi) - max(start, lo))


def plot_biomass(
    area_m2: Decimal, trees: Mapping[str, Sequence[Decimal]], densities: Mapping[str, Decimal]
) -> Decimal:
    """A plot's tree biomass b = AGB + BGB(AGB) in t d.m./ha: AGB the sum of Komiyama et al. (2005)
    0.251 ρ D^2.46 over its trees per hectare, BGB by the AR-TOOL14 root-shoot equation."""
    agb_kg = Decimal(0)
    for species, diameters in trees.items():
        for dbh in diameters:
            agb_kg += allometry.tree_agb_kg(densities[species], dbh)
    agb = agb_kg / Decimal(1000) / (area_m2 / M2_PER_HA)
    return agb + allometry.below_ground(agb)


def _plots_at(stratum: Stratum, label: str) -> tuple[Decimal, ...]:
    return stratum.plots_t1 if label == "t1" else stratum.plots_t2


def carbon_stock(label: str, cf: Decimal, strata: list[Stratum]) -> tuple[Decimal, Decimal, list[Line]]:
    """C_TREE,t = 44/12 × CF × Σ A_i × Σ w_i b_i (AR-TOOL14, analogue) at measurement ``label``
    (``t1``/``t2``) over the measured strata, with its relative sampling uncertainty u (AR-TOOL14:
    t_VAL 90 %, df = plots − strata). Returns ``(C, u, lines)``."""
    est = sampling.stratified([(s.area_ha, _plots_at(s, label)) for s in strata])
    measured_area = sum((s.area_ha for s in strata if _plots_at(s, label)), Decimal(0))
    stock = C_TO_CO2 * cf * measured_area * est.mean
    lines: list[Line] = []
    for s in strata:
        plots = _plots_at(s, label)
        if plots:
            mean, sd = sampling.mean_and_sd(plots)
            lines.append(
                Line(
                    f"b_{s.id},{label}",
                    mean,
                    "t d.m./ha",
                    f"mean of {len(plots)} plots (s = {sd:.3f}); "
                    f"AGB {allometry.KOMIYAMA}; BGB {allometry.ROOT_SHOOT}",
                    f"Tree biomass, stratum {s.id}, {label}",
                    f"林木生物量，碳层 {s.id}，{label}",
                    TOOL14,
                )
            )
    lines += [
        Line(
            f"C_TREE,{label}",
            stock,
            "t CO2e",
            "44/12 × CF × Σ A_i × Σ w_i b_i",
            f"Tree carbon stock at {label}",
            f"{label} 林木碳储量",
            TOOL14,
        ),
        Line(
            f"u_C,{label}",
            est.relative_u,
            "1",
            f"t_VAL × sqrt(Σ w_i² s_i² / n_i) / b, t_VAL = {est.t} (df = {est.df}, 90 %)",
            f"Sampling uncertainty at {label}",
            f"{label} 抽样不确定性",
            TOOL14,
        ),
    ]
    return stock, est.relative_u, lines


def uncertainty_deduction(c1: Decimal, u1: Decimal, c2: Decimal, u2: Decimal) -> tuple[Decimal, list[Line]]:
    """ΔC_TREE = C_t2 − C_t1; U = sqrt((u1 C1)² + (u2 C2)²) / |ΔC| (AR-TOOL14); the discount share
    DF from the AR-AM0014 v3.0 table and ΔC_TREE_PROJ = ΔC_TREE × (1 − DF × U) for a gain (a loss is
    not reduced)."""
    change = c2 - c1
    u = sampling.change_uncertainty(c1, u1, c2, u2)
    share = sampling.discount_share(u)
    adjusted = change * (1 - share * u) if change > 0 else change
    return adjusted, [
        Line(
            "ΔC_TREE",
            change,
            "t CO2e",
            "C_TREE,t2 − C_TREE,t1",
            "Tree carbon stock change",
            "林木碳储量变化",
            TOOL14,
        ),
        Line(
            "U",
            u,
            "1",
            "sqrt((u1 C1)² + (u2 C2)²) / |C2 − C1|",
            "Uncertainty of the change",
            "变化量不确定性",
            TOOL14,
        ),
        Line(
            "DF",
            share,
            "1",
            "≤10 %: 0; ≤15 %: 25 %; ≤20 %: 50 %; ≤30 %: 75 %; else 100 %",
            "Uncertainty discount share",
            "不确定性扣减比例",
            AR_AM,
        ),
        Line(
            "ΔC_TREE_PROJ",
            adjusted,
            "t CO2e",
            "ΔC_TREE × (1 − DF × U)",
            "Tree removals after the discount",
            "扣减后林木碳汇量",
            AR_AM,
        ),
    ]


def trees_ex_post(t1: Decimal, t2: Decimal, cf: Decimal, strata: list[Stratum]) -> tuple[Decimal, list[Line]]:
    """Discounted ex-post tree removals (:func:`carbon_stock` at t1 and t2, then
    :func:`uncertainty_deduction`) and the lines showing each step."""
    c1, u1, lines_t1 = carbon_stock("t1", cf, strata)
    c2, u2, lines_t2 = carbon_stock("t2", cf, strata)
    adjusted, change_lines = uncertainty_deduction(c1, u1, c2, u2)
    return adjusted, [*lines_t1, *lines_t2, *change_lines]


def trees_ex_ante(t1: Decimal, t2: Decimal, strata: list[Stratum]) -> tuple[Decimal, list[Line]]:
    """Ex-ante tree removals per planting cohort at its default growth rate: 44/12 × A × growth
    (t C/ha/yr) × years since planting within the period (AR-AM0014 v3.0 analogue; no sampling
    uncertainty)."""
    lines: list[Line] = []
    total = Decimal(0)
    for s in strata:
        growing = overlap(t1, t2, s.planting_year, Decimal(10_000))
        change = C_TO_CO2 * s.area_ha * s.growth * growing
        total += change
        lines.append(
            Line(
                f"ΔC_TREE,{s.id}",
                change,
                "t CO2e",
                f"44/12 × {plain(s.area_ha)} ha × {plain(s.growth)} t C/ha/yr × "
                f"{plain(growing)} yr since planting",
                f"Ex-ante tree removals, cohort {s.id}",
                f"事前林木碳汇量，造林批次 {s.id}",
                "Alongi 2020 mean sequestration (default growth; parameter)",
            )
        )
    lines.append(
        Line("ΔC_TREE_PROJ", total, "t CO2e", "Σ cohorts", "Ex-ante tree removals", "事前林木碳汇量", AR_AM)
    )
    return total, lines
