"""Mangrove tree biomass from plot measurements.

* Above-ground biomass per tree, Komiyama, Poungparn & Kato (2005) common allometry for mangroves,
  J. Trop. Ecol. 21:471–477: AGB (kg) = 0.251 ρ D^2.46 (ρ wood density g/cm³, D stem diameter cm);
* below-ground biomass by the root-shoot ratio of AR-TOOL14 (after Mokany et al. 2006):
  R = exp(−1.085 + 0.9256 ln b) / b, b above-ground biomass in t d.m./ha, i.e.
  BGB = exp(−1.085 + 0.9256 ln b) t d.m./ha.

Wood densities are named, overridable parameters. The values below are typical literature values
for the species planted in China; they were NOT confirmed against a primary source while this was
written (status ``verify``): a project must cite its own (e.g. the Global Wood Density Database,
Zanne et al. 2009, or local measurements) and pass them in ``wood_density``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Species:
    name: str
    name_zh: str
    wood_density: Decimal
    citation: str


_UNCONFIRMED = "typical literature value, not confirmed (verify; pass wood_density to override)"

SPECIES: dict[str, Species] = {
    s.name: s
    for s in (
        Species("kandelia_obovata", "秋茄", Decimal("0.60"), _UNCONFIRMED),
        Species("aegiceras_corniculatum", "桐花树", Decimal("0.60"), _UNCONFIRMED),
        Species("avicennia_marina", "白骨壤", Decimal("0.65"), _UNCONFIRMED),
        Species("rhizophora_stylosa", "红海榄", Decimal("0.85"), _UNCONFIRMED),
        Species("bruguiera_gymnorhiza", "木榄", Decimal("0.70"), _UNCONFIRMED),
        Species("sonneratia_apetala", "无瓣海桑", Decimal("0.47"), _UNCONFIRMED),
    )
}

KOMIYAMA = "Komiyama et al. 2005, J. Trop. Ecol. 21:471: AGB = 0.251 ρ D^2.46"
ROOT_SHOOT = "AR-TOOL14: R = exp(−1.085 + 0.9256 ln b) / b"


def tree_agb_kg(wood_density: Decimal, dbh_cm: Decimal) -> Decimal:
    """Above-ground biomass of one tree (kg d.m.), Komiyama et al. (2005)."""
    if dbh_cm <= 0:
        return Decimal(0)
    return Decimal("0.251") * wood_density * dbh_cm ** Decimal("2.46")


def below_ground(agb_t_per_ha: Decimal) -> Decimal:
    """Below-ground biomass (t d.m./ha) for above-ground ``agb_t_per_ha``, AR-TOOL14 root-shoot eq."""
    if agb_t_per_ha <= 0:
        return Decimal(0)
    return (Decimal("-1.085") + Decimal("0.9256") * agb_t_per_ha.ln()).exp()
