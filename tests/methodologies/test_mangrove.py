"""CCER-14-002-V01 mangrove afforestation (built on CDM AR-AM0014 v3.0 + AR-TOOL14): worked examples."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from carbonbridge.kernel.errors import InvalidInput
from carbonbridge.methodologies import allometry
from carbonbridge.methodologies.mangrove import MangroveAfforestation
from carbonbridge.methodologies.model import Calculation, Kind

CALC = MangroveAfforestation()
Q = Decimal("0.0001")


def line(calc: Calculation, name: str) -> Decimal:
    return next(ln.value for ln in calc.lines if ln.name == name)


def source(calc: Calculation, name: str) -> str:
    return next(ln.source for ln in calc.lines if ln.name == name)


def plot(dbh: str) -> dict[str, Any]:
    return {"area_m2": "100", "trees": {"kandelia_obovata": [dbh]}}


def test_ex_ante_two_cohorts() -> None:
    """Cohort A: 10 ha planted 2020; cohort B: 5 ha planted mid-2024; period 2023–2025.
    Trees: 44/12 × (10 × 1.8 × 2 + 5 × 1.8 × 0.5) = 44/12 × 40.5 = 148.5 t;
    SOC: 44/12 × (10 × 0.5 × 2 + 5 × 0.5 × 0.5) = 44/12 × 11.25 = 41.25 t; net 189.75 t;
    buffer 20 % = 37.95 t."""
    params = {
        "mode": "ex_ante",
        "period": {"start": "2023", "end": "2025"},
        "strata": [
            {"id": "A", "area_ha": "10", "planting_year": "2020", "baseline": "abandoned_pond"},
            {"id": "B", "area_ha": "5", "planting_year": "2024.5", "baseline": "unvegetated_flat"},
        ],
    }
    calc = CALC.calculate(params)
    assert calc.kind is Kind.REMOVAL
    assert line(calc, "ΔC_TREE_PROJ").quantize(Q) == Decimal("148.5000")
    assert line(calc, "ΔSOC_PROJ").quantize(Q) == Decimal("41.2500")
    assert calc.net_t.quantize(Q) == Decimal("189.7500")
    assert calc.buffer_share == Decimal("0.20")
    assert line(calc, "BUFFER_t").quantize(Q) == Decimal("37.9500")
    assert calc.baseline_t == 0


def test_soc_stops_twenty_years_after_planting() -> None:
    """Planted 2000, period 2019–2021: only 2019–2020 earns SOC: 44/12 × 4 ha × 0.5 × 1 = 7.3333 t."""
    params = {
        "mode": "ex_ante",
        "period": {"start": "2019", "end": "2021"},
        "strata": [
            {
                "area_ha": "4",
                "planting_year": "2000",
                "baseline": "unvegetated_flat",
                "growth_t_c_per_ha_yr": "0",
            }
        ],
    }
    assert line(CALC.calculate(params), "ΔSOC_PROJ").quantize(Q) == Decimal("7.3333")


def test_ex_post_from_plot_measurements() -> None:
    """2 ha planted 2018, two 100 m² plots re-measured 2022 → mid-2024 (T = 2.5 yr), one Kandelia
    (ρ 0.60 given as a parameter) per plot, D 10 → 15 cm. AGB 0.251 × 0.6 × 10^2.46 = 43.434 kg
    / 0.01 ha = 4.3434 t/ha, + BGB exp(−1.085 + 0.9256 ln 4.3434) = 1.3157 → 5.6591 t/ha; at 15 cm
    11.7763 + 3.3122 = 15.0885.
    Identical plots: s = 0, U = 0, no discount. ΔC_TREE = 44/12 × 0.47 × 2 × (15.0885 − 5.6591)
    = 32.50018 t; SOC 44/12 × 2 × 0.5 × 2.5 = 9.16667 t; net 41.66685 t; 16.66674 t/yr."""
    params = {
        "period": {"start": "2022", "end": "2024.5"},
        "wood_density": {"kandelia_obovata": "0.60"},
        "strata": [
            {
                "id": "S1",
                "area_ha": "2",
                "planting_year": "2018",
                "baseline": "unvegetated_flat",
                "plots_t1": [plot("10"), plot("10")],
                "plots_t2": [plot("15"), plot("15")],
            }
        ],
    }
    calc = CALC.calculate(params)
    assert line(calc, "ρ_kandelia_obovata") == Decimal("0.60")
    assert source(calc, "ρ_kandelia_obovata") == "parameter wood_density"
    assert line(calc, "b_S1,t1").quantize(Q) == Decimal("5.6591")
    assert line(calc, "b_S1,t2").quantize(Q) == Decimal("15.0885")
    assert line(calc, "U") == 0
    assert line(calc, "ΔC_TREE_PROJ").quantize(Q) == Decimal("32.5002")
    assert line(calc, "ΔSOC_PROJ").quantize(Q) == Decimal("9.1667")
    assert calc.net_t.quantize(Q) == Decimal("41.6669")
    assert line(calc, "ΔC_AR/yr").quantize(Q) == Decimal("16.6667")


def test_example_applies_the_uncertainty_discount() -> None:
    """The example's plots vary: U falls in 10–15 %, so 25 % of U is deducted from the tree change."""
    calc = CALC.calculate(CALC.example())
    u = line(calc, "U")
    assert Decimal("0.10") < u <= Decimal("0.15")
    assert line(calc, "DF") == Decimal("0.25")
    expected = line(calc, "ΔC_TREE") * (1 - Decimal("0.25") * u)
    assert abs(line(calc, "ΔC_TREE_PROJ") - expected) < Decimal("1E-20")
    assert calc.net_t > 0
    sources = {ln.name: ln.source for ln in calc.lines}
    assert sources["ΔC_BSL"] == "CCER-14-002-V01 (confirmed)"
    assert sources["ΔC_AR"] == "AR-AM0014 v3.0 (analogue)"


def test_burning_and_pre_existing_trees_and_leakage() -> None:
    """Burning 1 ha × 10 t d.m./ha × COMF 0.5 × (6.8 g/kg × 27.9 + 0.2 g/kg × 273) / 1000 = 1.2216 t CO2e
    (AR6); baseline trees 10 → 12 t d.m.: 44/12 × 0.47 × 1.25 × 2 = 4.3083 t; leakage 1 t.
    Ex ante, 1 ha planted 2020, 2023–2024: 44/12 × (1.8 + 0.5) = 8.4333 t; net 8.4333 − 1.2216 −
    4.3083 − 1 = 1.9034 t."""
    params = {
        "mode": "ex_ante",
        "period": {"start": "2023", "end": "2024"},
        "strata": [
            {
                "area_ha": "1",
                "planting_year": "2020",
                "baseline": "pre_existing_trees",
                "baseline_trees": {"agb_t_dm_t1": "10", "agb_t_dm_t2": "12"},
            }
        ],
        "burning": [{"area_ha": "1", "biomass_t_dm_per_ha": "10", "combustion_factor": "0.5"}],
        "leakage_t_co2": "1",
    }
    calc = CALC.calculate(params)
    assert line(calc, "GHG_E") == Decimal("1.2216")
    assert calc.baseline_t.quantize(Q) == Decimal("4.3083")
    assert calc.leakage_t == 1
    assert calc.net_t.quantize(Q) == Decimal("1.9034")


#: Global Wood Density Database records (Zanne et al. 2009) as shipped by the R package BIOMASS,
#: umr-amap/BIOMASS data-raw/wdData.csv @ 4a574a9d10c7754a784778ce696b29c17e0ea22e, read on
#: 2026-11-25: species → (wood densities g/cm³ of its rows, status of the shipped value)
GWDD_RECORDS = {
    # rows 8808–8810 "Kandelia candel" (no "Kandelia obovata" row): a proxy, so still "verify"
    "kandelia_obovata": (("0.512295", "0.46", "0.557"), "verify"),
    "aegiceras_corniculatum": (("0.51",), "confirmed"),  # row 388
    "avicennia_marina": (("0.52", "0.6888", "0.65", "0.73185"), "confirmed"),  # rows 1675–1678
    "rhizophora_stylosa": (("0.84",), "confirmed"),  # row 13558
    "bruguiera_gymnorhiza": (("0.839475", "0.76", "0.66", "0.796425"), "confirmed"),  # rows 2322–2325
    "sonneratia_apetala": (("0.537264", "0.52"), "confirmed"),  # rows 14496–14497
}


@pytest.mark.parametrize("species", sorted(GWDD_RECORDS))
def test_shipped_wood_density_is_the_mean_of_the_database_records(species: str) -> None:
    """Avicennia marina (0.52 + 0.6888 + 0.65 + 0.73185) / 4 = 0.6476625; Bruguiera gymnorhiza
    0.763975; Sonneratia apetala 0.528632; Kandelia (candel rows) 0.509765; single rows as given."""
    values, status = GWDD_RECORDS[species]
    shipped = allometry.SPECIES[species]
    assert shipped.wood_density == sum(map(Decimal, values)) / len(values)
    assert shipped.status == status
    assert "4a574a9d10c7754a784778ce696b29c17e0ea22e" in shipped.citation


def test_shipped_densities_to_the_database_precision() -> None:
    shipped = {name: s.wood_density for name, s in allometry.SPECIES.items()}
    assert shipped == {
        "kandelia_obovata": Decimal("0.509765"),
        "aegiceras_corniculatum": Decimal("0.51"),
        "avicennia_marina": Decimal("0.6476625"),
        "rhizophora_stylosa": Decimal("0.84"),
        "bruguiera_gymnorhiza": Decimal("0.763975"),
        "sonneratia_apetala": Decimal("0.528632"),
    }


def test_ex_post_uses_the_shipped_density_and_says_where_it_came_from() -> None:
    """One Kandelia of D 10 cm on 100 m² with the shipped ρ 0.509765: AGB 0.251 × 0.509765 × 10^2.46
    = 36.9014 kg → 3.69014 t/ha; BGB exp(−1.085 + 0.9256 ln 3.69014) = 1.13147; b = 4.8216 t/ha."""
    params = {
        "period": {"start": "2022", "end": "2024"},
        "strata": [
            {
                "id": "S1",
                "area_ha": "1",
                "planting_year": "2018",
                "baseline": "unvegetated_flat",
                "plots_t1": [plot("10"), plot("10")],
                "plots_t2": [plot("12"), plot("12")],
            }
        ],
    }
    calc = CALC.calculate(params)
    assert line(calc, "ρ_kandelia_obovata") == Decimal("0.509765")
    assert "Kandelia candel" in source(calc, "ρ_kandelia_obovata")
    assert source(calc, "ρ_kandelia_obovata").endswith("(status verify)")
    assert line(calc, "b_S1,t1").quantize(Q) == Decimal("4.8216")


def test_wood_density_is_an_overridable_parameter() -> None:
    base = CALC.calculate(CALC.example())
    denser = CALC.calculate({**CALC.example(), "wood_density": {"kandelia_obovata": "0.9"}})
    assert line(denser, "b_S1,t2") > line(base, "b_S1,t2")


def test_bad_monitoring_data_names_every_problem() -> None:
    params = {
        "period": {"start": "2025", "end": "2023"},
        "strata": [
            {
                "id": "S1",
                "area_ha": "2",
                "planting_year": "2018",
                "baseline": "mudflat",
                "plots_t2": [
                    {"area_m2": "0", "trees": {"quercus_robur": ["10"], "kandelia_obovata": ["-1"]}}
                ],
            }
        ],
    }
    with pytest.raises(InvalidInput) as caught:
        CALC.calculate(params)
    where = {".".join(str(p) for p in i.location) for i in caught.value.issues}
    assert where == {
        "period.end",
        "strata.0.baseline",
        "strata.0.plots_t2.0.area_m2",
        "strata.0.plots_t2.0.trees.quercus_robur",
        "strata.0.plots_t2.0.trees.kandelia_obovata.0",
    }


def test_one_plot_cannot_estimate_uncertainty() -> None:
    params = {
        "period": {"start": "2023", "end": "2024"},
        "strata": [
            {"area_ha": "1", "planting_year": "2020", "baseline": "abandoned_pond", "plots_t2": [plot("5")]}
        ],
    }
    with pytest.raises(InvalidInput):
        CALC.calculate(params)


def test_implausible_removal_rate_is_flagged() -> None:
    """1 ha claiming 60 t C/ha/yr of tree growth = 220 t CO2e/ha/yr, far beyond the 50 t bound."""
    params = {
        "mode": "ex_ante",
        "period": {"start": "2023", "end": "2024"},
        "strata": [
            {
                "area_ha": "1",
                "planting_year": "2020",
                "baseline": "abandoned_pond",
                "growth_t_c_per_ha_yr": "60",
            }
        ],
    }
    calc = CALC.calculate(params)
    assert calc.blocked
    assert [f.check for f in calc.flags] == ["removals_per_area"]
