"""Mangrove tree biomass from plot measurements.

* Above-ground biomass per tree, Komiyama, Poungparn & Kato (2005) common allometry for mangroves,
  J. Trop. Ecol. 21:471–477: AGB (kg) = 0.251 ρ D^2.46 (ρ wood density g/cm³, D stem diameter cm);
* below-ground biomass by the root-shoot ratio of AR-TOOL14 (after Mokany et al. 2006):
  R = exp(−1.085 + 0.9256 ln b) / b, b above-ground biomass in t d.m./ha, i.e.
  BGB = exp(−1.085 + 0.9256 ln b) t d.m./ha.

Wood densities are named, overridable parameters (``wood_density``). The shipped values are the
means of the Global Wood Density Database records (Chave et al. 2009; Zanne et al. 2009, Dryad
doi:10.5061/dryad.234; oven-dry mass / fresh volume, the ρ Komiyama's equation takes) for each
species, as the R package BIOMASS's ``getWoodDensity`` averages them, read from the copy the package
ships as ``data-raw/wdData.csv`` (:data:`GWDD_COPY`). Each :class:`Species` lists the database rows
it averages. Status ``confirmed``: the species is in the database under that name; ``verify``: it is
not, and the value is a proxy named in its citation. A project should still pass its own, cited
densities (local measurement) where it has them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

#: where the database records were read: repository, path and commit of the BIOMASS package's copy
GWDD_COPY = "umr-amap/BIOMASS data-raw/wdData.csv @ 4a574a9d10c7754a784778ce696b29c17e0ea22e"
GWDD = "Global Wood Density Database (Zanne et al. 2009, doi:10.5061/dryad.234)"


@dataclass(frozen=True)
class Species:
    """A planted species, its wood density (g/cm³), the database records it is the mean of, and the
    status of that value (``confirmed`` or ``verify``)."""

    name: str
    name_zh: str
    records: tuple[tuple[int, Decimal], ...]  # (database row "Number", wood density g/cm³)
    status: str
    citation: str

    @property
    def wood_density(self) -> Decimal:
        """Mean of :attr:`records` (exact; no rounding)."""
        return sum((wd for _, wd in self.records), Decimal(0)) / len(self.records)


def _rows(records: tuple[tuple[int, Decimal], ...]) -> str:
    numbers = [n for n, _ in records]
    span = f"{numbers[0]}" if len(numbers) == 1 else f"{numbers[0]}–{numbers[-1]}"
    return f"row{'s' if len(numbers) > 1 else ''} {span} ({len(numbers)} record{'s' * (len(numbers) > 1)})"


def _species(name: str, name_zh: str, binomial: str, records: tuple[tuple[int, str], ...]) -> Species:
    exact = tuple((n, Decimal(wd)) for n, wd in records)
    mean = "mean of " if len(exact) > 1 else ""
    return Species(
        name, name_zh, exact, "confirmed", f"{GWDD}, {binomial}: {mean}{_rows(exact)}; {GWDD_COPY}"
    )


_KANDELIA_CANDEL = ((8808, Decimal("0.512295")), (8809, Decimal("0.46")), (8810, Decimal("0.557")))

SPECIES: dict[str, Species] = {
    s.name: s
    for s in (
        Species(
            "kandelia_obovata",
            "秋茄",
            _KANDELIA_CANDEL,
            "verify",
            f"{GWDD} has no Kandelia obovata record; proxy: mean of its Kandelia candel records, "
            f"{_rows(_KANDELIA_CANDEL)} (K. obovata was separated from K. candel; two of the three "
            f"records are from China), verify; {GWDD_COPY}",
        ),
        _species("aegiceras_corniculatum", "桐花树", "Aegiceras corniculatum", ((388, "0.51"),)),
        _species(
            "avicennia_marina",
            "白骨壤",
            "Avicennia marina",
            ((1675, "0.52"), (1676, "0.6888"), (1677, "0.65"), (1678, "0.73185")),
        ),
        _species("rhizophora_stylosa", "红海榄", "Rhizophora stylosa", ((13558, "0.84"),)),
        _species(
            "bruguiera_gymnorhiza",
            "木榄",
            "Bruguiera gymnorhiza",
            ((2322, "0.839475"), (2323, "0.76"), (2324, "0.66"), (2325, "0.796425")),
        ),
        _species(
            "sonneratia_apetala", "无瓣海桑", "Sonneratia apetala", ((14496, "0.537264"), (14497, "0.52"))
        ),
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
