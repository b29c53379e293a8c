"""IPCC 2006 Vol.2 rows marked ``confirmed`` keep the printed values, each tied to the independent
transcription it was checked against (docs/factor-sources.md, checks of the ``factordata`` and ``ipcc``
branches).

The expected values are written out here, not read from the CSV, so a changed CSV value fails.
Rule (issue 2): a row is ``confirmed`` only when at least one source independent of the project's own
``shared/reference`` file prints the same value for the same fuel, gas, table and sector.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from importlib import resources

import pytest

from carbonbridge.factors.datasets import load_dataset_dir
from carbonbridge.factors.model import Factor

# Sources (public GitHub repositories; commit of the version read).
CARBONTRACE_CH1 = (
    "ava-jahlee/carbontrace@67d8af8 scripts/build_verified_ipcc_ch1.py: Vol.2 Ch.1 Table 1.2 NCV "
    "(p.1.18-1.19) and Table 1.4 CO2 (p.1.23-1.24), hand-transcribed from V2_1_Ch1_Introduction.pdf; "
    "CO2 also in iClimate/ghgpy@352b27c src/ghgpy/data/efs.py (Ch.2 CO2 column)"
)
REFERENCE_AND_CARBONTRACE_CH1 = (
    "shared/reference/ipcc2006_stationary_combustion.csv and " + CARBONTRACE_CH1.split(";")[0]
)
CARBONTRACE_T22 = (
    "ava-jahlee/carbontrace@9a308c7 scripts/build_verified_ipcc_ch2_t25.py IPCC_T22: Table 2.2 "
    "energy industries (p.2.16-2.17)"
)
CARBONTRACE_T22_GHGPY = CARBONTRACE_T22 + " and iClimate/ghgpy@352b27c efs.py s_combustion_energy"
CARBONTRACE_T25_GHGPY = (
    "ava-jahlee/carbontrace@9a308c7 scripts/build_verified_ipcc_ch2_t25.py IPCC_T25: Table 2.5 "
    "residential and agriculture (p.2.22-2.23) and iClimate/ghgpy@352b27c efs.py "
    "s_combustion_Residential_Agriculture_Fishing"
)
GHGPY = (
    "iClimate/ghgpy@352b27c src/ghgpy/data/efs.py: s_combustion_manufacturing_construction (Table 2.3) "
    "or s_combustion_Commercial_Institutional (Table 2.4)"
)
GHGPY_CARBONTRACE_SECTOR = (
    GHGPY + " and ava-jahlee/carbontrace@e1ae697 scripts/check_ch2_sector.py (coal CH4 1/10/10/300 and "
    "N2O 1.5 in Tables 2.2-2.5; wood CH4 30/30/300/300)"
)
ECAM_CH3 = (
    'icra/ecam@c8dd751 dataModel/lookuptables.js: "IPCC table 3.2.1: road transport default co2 '
    'emission factor" (kg/TJ), rows Liquefied Petroleum Gases and Compressed Natural Gas'
)
THEMISIQ_CH3 = (
    "themisiqco/themisiq@84ba8a1 docs/review/mobile-factors.md: Vol.2 Ch.3 Table 3.2.1 (p.3.16) and "
    "Table 3.2.2 (p.3.21), transcribed from V2_3_Ch3_Mobile_Combustion.pdf"
)

# (row_id, value printed by the source, source)
CONFIRMED: tuple[tuple[str, str, str], ...] = (
    ("T1.2-crude_oil-ncv", "42.3", REFERENCE_AND_CARBONTRACE_CH1),
    ("T1.4-crude_oil-co2", "73300", REFERENCE_AND_CARBONTRACE_CH1),
    ("T2.2-crude_oil-ch4", "3", CARBONTRACE_T22_GHGPY),
    ("T2.2-crude_oil-n2o", "0.6", CARBONTRACE_T22_GHGPY),
    ("T2.3-crude_oil-ch4", "3", GHGPY),
    ("T2.3-crude_oil-n2o", "0.6", GHGPY),
    ("T2.4-crude_oil-ch4", "10", GHGPY),
    ("T2.4-crude_oil-n2o", "0.6", GHGPY),
    ("T2.5-crude_oil-ch4", "10", CARBONTRACE_T25_GHGPY),
    ("T2.5-crude_oil-n2o", "0.6", CARBONTRACE_T25_GHGPY),
    ("T1.2-motor_gasoline-ncv", "44.3", REFERENCE_AND_CARBONTRACE_CH1),
    ("T1.4-motor_gasoline-co2", "69300", REFERENCE_AND_CARBONTRACE_CH1),
    ("T2.2-motor_gasoline-ch4", "3", CARBONTRACE_T22_GHGPY),
    ("T2.2-motor_gasoline-n2o", "0.6", CARBONTRACE_T22_GHGPY),
    ("T2.3-motor_gasoline-ch4", "3", GHGPY),
    ("T2.3-motor_gasoline-n2o", "0.6", GHGPY),
    ("T2.4-motor_gasoline-ch4", "10", GHGPY),
    ("T2.4-motor_gasoline-n2o", "0.6", GHGPY),
    ("T2.5-motor_gasoline-ch4", "10", CARBONTRACE_T25_GHGPY),
    ("T2.5-motor_gasoline-n2o", "0.6", CARBONTRACE_T25_GHGPY),
    ("T1.2-aviation_gasoline-ncv", "44.3", CARBONTRACE_CH1),
    ("T1.4-aviation_gasoline-co2", "70000", CARBONTRACE_CH1),
    ("T2.2-aviation_gasoline-ch4", "3", CARBONTRACE_T22_GHGPY),
    ("T2.2-aviation_gasoline-n2o", "0.6", CARBONTRACE_T22_GHGPY),
    ("T2.3-aviation_gasoline-ch4", "3", GHGPY),
    ("T2.3-aviation_gasoline-n2o", "0.6", GHGPY),
    ("T2.4-aviation_gasoline-ch4", "10", GHGPY),
    ("T2.4-aviation_gasoline-n2o", "0.6", GHGPY),
    ("T2.5-aviation_gasoline-ch4", "10", CARBONTRACE_T25_GHGPY),
    ("T2.5-aviation_gasoline-n2o", "0.6", CARBONTRACE_T25_GHGPY),
    ("T1.2-jet_kerosene-ncv", "44.1", REFERENCE_AND_CARBONTRACE_CH1),
    ("T1.4-jet_kerosene-co2", "71500", REFERENCE_AND_CARBONTRACE_CH1),
    ("T2.2-jet_kerosene-ch4", "3", CARBONTRACE_T22_GHGPY),
    ("T2.2-jet_kerosene-n2o", "0.6", CARBONTRACE_T22_GHGPY),
    ("T2.3-jet_kerosene-ch4", "3", GHGPY),
    ("T2.3-jet_kerosene-n2o", "0.6", GHGPY),
    ("T2.4-jet_kerosene-ch4", "10", GHGPY),
    ("T2.4-jet_kerosene-n2o", "0.6", GHGPY),
    ("T2.5-jet_kerosene-ch4", "10", CARBONTRACE_T25_GHGPY),
    ("T2.5-jet_kerosene-n2o", "0.6", CARBONTRACE_T25_GHGPY),
    ("T1.2-other_kerosene-ncv", "43.8", REFERENCE_AND_CARBONTRACE_CH1),
    ("T1.4-other_kerosene-co2", "71900", REFERENCE_AND_CARBONTRACE_CH1),
    ("T2.2-other_kerosene-ch4", "3", CARBONTRACE_T22_GHGPY),
    ("T2.2-other_kerosene-n2o", "0.6", CARBONTRACE_T22_GHGPY),
    ("T2.3-other_kerosene-ch4", "3", GHGPY),
    ("T2.3-other_kerosene-n2o", "0.6", GHGPY),
    ("T2.4-other_kerosene-ch4", "10", GHGPY),
    ("T2.4-other_kerosene-n2o", "0.6", GHGPY),
    ("T2.5-other_kerosene-ch4", "10", CARBONTRACE_T25_GHGPY),
    ("T2.5-other_kerosene-n2o", "0.6", CARBONTRACE_T25_GHGPY),
    ("T1.2-diesel-ncv", "43.0", REFERENCE_AND_CARBONTRACE_CH1),
    ("T1.4-diesel-co2", "74100", REFERENCE_AND_CARBONTRACE_CH1),
    ("T2.2-diesel-ch4", "3", CARBONTRACE_T22_GHGPY),
    ("T2.2-diesel-n2o", "0.6", CARBONTRACE_T22_GHGPY),
    ("T2.3-diesel-ch4", "3", GHGPY),
    ("T2.3-diesel-n2o", "0.6", GHGPY),
    ("T2.4-diesel-ch4", "10", GHGPY),
    ("T2.4-diesel-n2o", "0.6", GHGPY),
    ("T2.5-diesel-ch4", "10", CARBONTRACE_T25_GHGPY),
    ("T2.5-diesel-n2o", "0.6", CARBONTRACE_T25_GHGPY),
    ("T1.2-residual_fuel_oil-ncv", "40.4", REFERENCE_AND_CARBONTRACE_CH1),
    ("T1.4-residual_fuel_oil-co2", "77400", REFERENCE_AND_CARBONTRACE_CH1),
    ("T2.2-residual_fuel_oil-ch4", "3", CARBONTRACE_T22_GHGPY),
    ("T2.2-residual_fuel_oil-n2o", "0.6", CARBONTRACE_T22_GHGPY),
    ("T2.3-residual_fuel_oil-ch4", "3", GHGPY),
    ("T2.3-residual_fuel_oil-n2o", "0.6", GHGPY),
    ("T2.4-residual_fuel_oil-ch4", "10", GHGPY),
    ("T2.4-residual_fuel_oil-n2o", "0.6", GHGPY),
    ("T2.5-residual_fuel_oil-ch4", "10", CARBONTRACE_T25_GHGPY),
    ("T2.5-residual_fuel_oil-n2o", "0.6", CARBONTRACE_T25_GHGPY),
    ("T1.2-lpg-ncv", "47.3", REFERENCE_AND_CARBONTRACE_CH1),
    ("T1.4-lpg-co2", "63100", REFERENCE_AND_CARBONTRACE_CH1),
    ("T2.2-lpg-ch4", "1", CARBONTRACE_T22_GHGPY),
    ("T2.2-lpg-n2o", "0.1", CARBONTRACE_T22_GHGPY),
    ("T2.3-lpg-ch4", "1", GHGPY),
    ("T2.3-lpg-n2o", "0.1", GHGPY),
    ("T2.4-lpg-ch4", "5", GHGPY),
    ("T2.4-lpg-n2o", "0.1", GHGPY),
    ("T2.5-lpg-ch4", "5", CARBONTRACE_T25_GHGPY),
    ("T2.5-lpg-n2o", "0.1", CARBONTRACE_T25_GHGPY),
    ("T1.2-naphtha-ncv", "44.5", REFERENCE_AND_CARBONTRACE_CH1),
    ("T1.4-naphtha-co2", "73300", REFERENCE_AND_CARBONTRACE_CH1),
    ("T2.2-naphtha-ch4", "3", CARBONTRACE_T22_GHGPY),
    ("T2.2-naphtha-n2o", "0.6", CARBONTRACE_T22_GHGPY),
    ("T2.3-naphtha-ch4", "3", GHGPY),
    ("T2.3-naphtha-n2o", "0.6", GHGPY),
    ("T2.4-naphtha-ch4", "10", GHGPY),
    ("T2.4-naphtha-n2o", "0.6", GHGPY),
    ("T2.5-naphtha-ch4", "10", CARBONTRACE_T25_GHGPY),
    ("T2.5-naphtha-n2o", "0.6", CARBONTRACE_T25_GHGPY),
    ("T1.2-bitumen-ncv", "40.2", CARBONTRACE_CH1),
    ("T1.4-bitumen-co2", "80700", CARBONTRACE_CH1),
    ("T2.2-bitumen-ch4", "3", CARBONTRACE_T22_GHGPY),
    ("T2.2-bitumen-n2o", "0.6", CARBONTRACE_T22_GHGPY),
    ("T2.3-bitumen-ch4", "3", GHGPY),
    ("T2.3-bitumen-n2o", "0.6", GHGPY),
    ("T2.4-bitumen-ch4", "10", GHGPY),
    ("T2.4-bitumen-n2o", "0.6", GHGPY),
    ("T2.5-bitumen-ch4", "10", CARBONTRACE_T25_GHGPY),
    ("T2.5-bitumen-n2o", "0.6", CARBONTRACE_T25_GHGPY),
    ("T1.2-petroleum_coke-ncv", "32.5", REFERENCE_AND_CARBONTRACE_CH1),
    ("T1.4-petroleum_coke-co2", "97500", REFERENCE_AND_CARBONTRACE_CH1),
    ("T2.2-petroleum_coke-ch4", "3", CARBONTRACE_T22_GHGPY),
    ("T2.2-petroleum_coke-n2o", "0.6", CARBONTRACE_T22_GHGPY),
    ("T2.3-petroleum_coke-ch4", "3", GHGPY),
    ("T2.3-petroleum_coke-n2o", "0.6", GHGPY),
    ("T2.4-petroleum_coke-ch4", "10", GHGPY),
    ("T2.4-petroleum_coke-n2o", "0.6", GHGPY),
    ("T2.5-petroleum_coke-ch4", "10", CARBONTRACE_T25_GHGPY),
    ("T2.5-petroleum_coke-n2o", "0.6", CARBONTRACE_T25_GHGPY),
    ("T1.2-refinery_gas-ncv", "49.5", CARBONTRACE_CH1),
    ("T1.4-refinery_gas-co2", "57600", CARBONTRACE_CH1),
    ("T2.2-refinery_gas-ch4", "1", CARBONTRACE_T22_GHGPY),
    ("T2.2-refinery_gas-n2o", "0.1", CARBONTRACE_T22_GHGPY),
    ("T2.3-refinery_gas-ch4", "1", GHGPY),
    ("T2.3-refinery_gas-n2o", "0.1", GHGPY),
    ("T2.4-refinery_gas-ch4", "5", GHGPY),
    ("T2.4-refinery_gas-n2o", "0.1", GHGPY),
    ("T2.5-refinery_gas-ch4", "5", CARBONTRACE_T25_GHGPY),
    ("T2.5-refinery_gas-n2o", "0.1", CARBONTRACE_T25_GHGPY),
    ("T1.2-anthracite-ncv", "26.7", REFERENCE_AND_CARBONTRACE_CH1),
    ("T1.4-anthracite-co2", "98300", REFERENCE_AND_CARBONTRACE_CH1),
    ("T2.2-anthracite-ch4", "1", CARBONTRACE_T22_GHGPY),
    ("T2.2-anthracite-n2o", "1.5", CARBONTRACE_T22_GHGPY),
    ("T2.3-anthracite-ch4", "10", GHGPY_CARBONTRACE_SECTOR),
    ("T2.3-anthracite-n2o", "1.5", GHGPY_CARBONTRACE_SECTOR),
    ("T2.4-anthracite-ch4", "10", GHGPY_CARBONTRACE_SECTOR),
    ("T2.4-anthracite-n2o", "1.5", GHGPY_CARBONTRACE_SECTOR),
    ("T2.5-anthracite-ch4", "300", CARBONTRACE_T25_GHGPY),
    ("T2.5-anthracite-n2o", "1.5", CARBONTRACE_T25_GHGPY),
    ("T1.2-coking_coal-ncv", "28.2", REFERENCE_AND_CARBONTRACE_CH1),
    ("T1.4-coking_coal-co2", "94600", REFERENCE_AND_CARBONTRACE_CH1),
    ("T2.2-coking_coal-ch4", "1", CARBONTRACE_T22_GHGPY),
    ("T2.2-coking_coal-n2o", "1.5", CARBONTRACE_T22_GHGPY),
    ("T2.3-coking_coal-ch4", "10", GHGPY_CARBONTRACE_SECTOR),
    ("T2.3-coking_coal-n2o", "1.5", GHGPY_CARBONTRACE_SECTOR),
    ("T2.4-coking_coal-ch4", "10", GHGPY_CARBONTRACE_SECTOR),
    ("T2.4-coking_coal-n2o", "1.5", GHGPY_CARBONTRACE_SECTOR),
    ("T2.5-coking_coal-ch4", "300", CARBONTRACE_T25_GHGPY),
    ("T2.5-coking_coal-n2o", "1.5", CARBONTRACE_T25_GHGPY),
    ("T1.2-other_bituminous_coal-ncv", "25.8", REFERENCE_AND_CARBONTRACE_CH1),
    ("T1.4-other_bituminous_coal-co2", "94600", REFERENCE_AND_CARBONTRACE_CH1),
    ("T2.2-other_bituminous_coal-ch4", "1", CARBONTRACE_T22_GHGPY),
    ("T2.2-other_bituminous_coal-n2o", "1.5", CARBONTRACE_T22_GHGPY),
    ("T2.3-other_bituminous_coal-ch4", "10", GHGPY_CARBONTRACE_SECTOR),
    ("T2.3-other_bituminous_coal-n2o", "1.5", GHGPY_CARBONTRACE_SECTOR),
    ("T2.4-other_bituminous_coal-ch4", "10", GHGPY_CARBONTRACE_SECTOR),
    ("T2.4-other_bituminous_coal-n2o", "1.5", GHGPY_CARBONTRACE_SECTOR),
    ("T2.5-other_bituminous_coal-ch4", "300", CARBONTRACE_T25_GHGPY),
    ("T2.5-other_bituminous_coal-n2o", "1.5", CARBONTRACE_T25_GHGPY),
    ("T1.2-sub_bituminous_coal-ncv", "18.9", REFERENCE_AND_CARBONTRACE_CH1),
    ("T1.4-sub_bituminous_coal-co2", "96100", REFERENCE_AND_CARBONTRACE_CH1),
    ("T2.2-sub_bituminous_coal-ch4", "1", CARBONTRACE_T22_GHGPY),
    ("T2.2-sub_bituminous_coal-n2o", "1.5", CARBONTRACE_T22_GHGPY),
    ("T2.3-sub_bituminous_coal-ch4", "10", GHGPY_CARBONTRACE_SECTOR),
    ("T2.3-sub_bituminous_coal-n2o", "1.5", GHGPY_CARBONTRACE_SECTOR),
    ("T2.4-sub_bituminous_coal-ch4", "10", GHGPY_CARBONTRACE_SECTOR),
    ("T2.4-sub_bituminous_coal-n2o", "1.5", GHGPY_CARBONTRACE_SECTOR),
    ("T2.5-sub_bituminous_coal-ch4", "300", CARBONTRACE_T25_GHGPY),
    ("T2.5-sub_bituminous_coal-n2o", "1.5", CARBONTRACE_T25_GHGPY),
    ("T1.2-lignite-ncv", "11.9", REFERENCE_AND_CARBONTRACE_CH1),
    ("T1.4-lignite-co2", "101000", REFERENCE_AND_CARBONTRACE_CH1),
    ("T2.2-lignite-ch4", "1", CARBONTRACE_T22_GHGPY),
    ("T2.2-lignite-n2o", "1.5", CARBONTRACE_T22_GHGPY),
    ("T2.3-lignite-ch4", "10", GHGPY_CARBONTRACE_SECTOR),
    ("T2.3-lignite-n2o", "1.5", GHGPY_CARBONTRACE_SECTOR),
    ("T2.4-lignite-ch4", "10", GHGPY_CARBONTRACE_SECTOR),
    ("T2.4-lignite-n2o", "1.5", GHGPY_CARBONTRACE_SECTOR),
    ("T2.5-lignite-ch4", "300", CARBONTRACE_T25_GHGPY),
    ("T2.5-lignite-n2o", "1.5", CARBONTRACE_T25_GHGPY),
    ("T1.2-coke-ncv", "28.2", REFERENCE_AND_CARBONTRACE_CH1),
    ("T1.4-coke-co2", "107000", REFERENCE_AND_CARBONTRACE_CH1),
    ("T2.2-coke-ch4", "1", CARBONTRACE_T22_GHGPY),
    ("T2.2-coke-n2o", "1.5", CARBONTRACE_T22_GHGPY),
    ("T2.3-coke-ch4", "10", GHGPY_CARBONTRACE_SECTOR),
    ("T2.3-coke-n2o", "1.5", GHGPY_CARBONTRACE_SECTOR),
    ("T2.4-coke-ch4", "10", GHGPY_CARBONTRACE_SECTOR),
    ("T2.4-coke-n2o", "1.5", GHGPY_CARBONTRACE_SECTOR),
    ("T2.5-coke-ch4", "300", CARBONTRACE_T25_GHGPY),
    ("T2.5-coke-n2o", "1.5", CARBONTRACE_T25_GHGPY),
    ("T1.2-coke_oven_gas-ncv", "38.7", CARBONTRACE_CH1),
    ("T1.4-coke_oven_gas-co2", "44400", CARBONTRACE_CH1),
    ("T2.2-coke_oven_gas-ch4", "1", CARBONTRACE_T22_GHGPY),
    ("T2.2-coke_oven_gas-n2o", "0.1", CARBONTRACE_T22_GHGPY),
    ("T2.3-coke_oven_gas-ch4", "1", GHGPY),
    ("T2.3-coke_oven_gas-n2o", "0.1", GHGPY),
    ("T2.4-coke_oven_gas-ch4", "5", GHGPY),
    ("T2.4-coke_oven_gas-n2o", "0.1", GHGPY),
    ("T2.5-coke_oven_gas-ch4", "5", CARBONTRACE_T25_GHGPY),
    ("T2.5-coke_oven_gas-n2o", "0.1", CARBONTRACE_T25_GHGPY),
    ("T1.2-blast_furnace_gas-ncv", "2.47", CARBONTRACE_CH1),
    ("T1.4-blast_furnace_gas-co2", "260000", CARBONTRACE_CH1),
    ("T2.2-blast_furnace_gas-ch4", "1", CARBONTRACE_T22_GHGPY),
    ("T2.2-blast_furnace_gas-n2o", "0.1", CARBONTRACE_T22_GHGPY),
    ("T2.3-blast_furnace_gas-ch4", "1", GHGPY),
    ("T2.3-blast_furnace_gas-n2o", "0.1", GHGPY),
    ("T2.4-blast_furnace_gas-ch4", "5", GHGPY),
    ("T2.4-blast_furnace_gas-n2o", "0.1", GHGPY),
    ("T2.5-blast_furnace_gas-ch4", "5", CARBONTRACE_T25_GHGPY),
    ("T2.5-blast_furnace_gas-n2o", "0.1", CARBONTRACE_T25_GHGPY),
    ("T1.2-natural_gas-ncv", "48.0", REFERENCE_AND_CARBONTRACE_CH1),
    ("T1.4-natural_gas-co2", "56100", REFERENCE_AND_CARBONTRACE_CH1),
    ("T2.2-natural_gas-ch4", "1", CARBONTRACE_T22_GHGPY),
    ("T2.2-natural_gas-n2o", "0.1", CARBONTRACE_T22),
    ("T2.3-natural_gas-ch4", "1", GHGPY),
    ("T2.4-natural_gas-ch4", "5", GHGPY),
    ("T2.4-natural_gas-n2o", "0.1", GHGPY),
    ("T2.5-natural_gas-ch4", "5", CARBONTRACE_T25_GHGPY),
    ("T2.5-natural_gas-n2o", "0.1", CARBONTRACE_T25_GHGPY),
    ("T1.2-wood-ncv", "15.6", REFERENCE_AND_CARBONTRACE_CH1),
    ("T1.4-wood-co2", "112000", REFERENCE_AND_CARBONTRACE_CH1),
    ("T2.2-wood-ch4", "30", CARBONTRACE_T22_GHGPY),
    ("T2.2-wood-n2o", "4", CARBONTRACE_T22_GHGPY),
    ("T2.3-wood-ch4", "30", GHGPY_CARBONTRACE_SECTOR),
    ("T2.3-wood-n2o", "4", GHGPY),
    ("T2.4-wood-ch4", "300", GHGPY_CARBONTRACE_SECTOR),
    ("T2.4-wood-n2o", "4", GHGPY),
    ("T2.5-wood-ch4", "300", CARBONTRACE_T25_GHGPY),
    ("T2.5-wood-n2o", "4", CARBONTRACE_T25_GHGPY),
    ("T1.2-charcoal-ncv", "29.5", CARBONTRACE_CH1),
    ("T1.4-charcoal-co2", "112000", CARBONTRACE_CH1),
    ("T2.2-charcoal-ch4", "200", CARBONTRACE_T22_GHGPY),
    ("T2.2-charcoal-n2o", "4", CARBONTRACE_T22_GHGPY),
    ("T2.3-charcoal-ch4", "200", GHGPY),
    ("T2.3-charcoal-n2o", "4", GHGPY),
    ("T2.4-charcoal-ch4", "200", GHGPY),
    ("T2.4-charcoal-n2o", "1", GHGPY),
    ("T2.5-charcoal-ch4", "200", CARBONTRACE_T25_GHGPY),
    ("T2.5-charcoal-n2o", "1", CARBONTRACE_T25_GHGPY),
    ("T1.2-landfill_gas-ncv", "50.4", CARBONTRACE_CH1),
    ("T1.4-landfill_gas-co2", "54600", CARBONTRACE_CH1),
    ("T2.2-landfill_gas-ch4", "1", CARBONTRACE_T22_GHGPY),
    ("T2.2-landfill_gas-n2o", "0.1", CARBONTRACE_T22_GHGPY),
    ("T2.3-landfill_gas-ch4", "1", GHGPY),
    ("T2.3-landfill_gas-n2o", "0.1", GHGPY),
    ("T2.4-landfill_gas-ch4", "5", GHGPY),
    ("T2.4-landfill_gas-n2o", "0.1", GHGPY),
    ("T2.5-landfill_gas-ch4", "5", CARBONTRACE_T25_GHGPY),
    ("T2.5-landfill_gas-n2o", "0.1", CARBONTRACE_T25_GHGPY),
    ("T3.2.1-motor_gasoline-co2", "69300", THEMISIQ_CH3),
    ("T3.2.1-diesel-co2", "74100", THEMISIQ_CH3),
    ("T3.2.1-lpg-co2", "63100", ECAM_CH3),
    ("T3.2.1-natural_gas-co2", "56100", ECAM_CH3),
    ("T3.2.2-motor_gasoline-uncontrolled-ch4", "33", THEMISIQ_CH3),
    ("T3.2.2-motor_gasoline-uncontrolled-n2o", "3.2", THEMISIQ_CH3),
    ("T3.2.2-motor_gasoline-oxidation_catalyst-ch4", "25", THEMISIQ_CH3),
    ("T3.2.2-motor_gasoline-oxidation_catalyst-n2o", "8.0", THEMISIQ_CH3),
    ("T3.2.2-motor_gasoline-ldv_1995_or_later-ch4", "3.8", THEMISIQ_CH3),
    ("T3.2.2-motor_gasoline-ldv_1995_or_later-n2o", "5.7", THEMISIQ_CH3),
    ("T3.2.2-diesel-ch4", "3.9", THEMISIQ_CH3),
    ("T3.2.2-diesel-n2o", "3.9", THEMISIQ_CH3),
)

# Rows left at ``verify`` (value, why): no identifiable independent source, or the only one disagrees.
UNCONFIRMED: tuple[tuple[str, str, str], ...] = (
    (
        "T2.3-natural_gas-n2o",
        "0.1",
        "ghgpy prints 1.5 (a copy error); the one copy printing 0.1 is in an unidentified repository",
    ),
    ("T3.2.2-natural_gas-ch4", "92", "only copy found is in an unidentified repository"),
    ("T3.2.2-natural_gas-n2o", "3", "only copy found is in an unidentified repository"),
    ("T3.2.2-lpg-ch4", "62", "only copy found is in an unidentified repository"),
    ("T3.2.2-lpg-n2o", "0.2", "only copy found is in an unidentified repository"),
)


@cache
def _rows() -> dict[str, Factor]:
    path = resources.files("carbonbridge.factors") / "data" / "ipcc-2006-v2-energy" / "2006"
    _, factors = load_dataset_dir(path)
    return {f.row_id: f for f in factors}


@pytest.mark.parametrize(("row_id", "printed", "source"), CONFIRMED, ids=[c[0] for c in CONFIRMED])
def test_confirmed_row_keeps_the_value_its_source_prints(row_id: str, printed: str, source: str) -> None:
    row = _rows()[row_id]
    assert Decimal(str(row.value)) == Decimal(printed), f"{row_id}: {source} prints {printed}"
    assert row.confidence == "confirmed"


@pytest.mark.parametrize(("row_id", "value", "why"), UNCONFIRMED, ids=[u[0] for u in UNCONFIRMED])
def test_unconfirmed_row_stays_verify(row_id: str, value: str, why: str) -> None:
    row = _rows()[row_id]
    assert Decimal(str(row.value)) == Decimal(value)
    assert row.confidence == "verify", why


def test_every_confirmed_row_is_in_the_source_table() -> None:
    """A row upgraded to ``confirmed`` without a named source here fails; so does a stale entry."""
    confirmed = {rid for rid, row in _rows().items() if row.confidence == "confirmed"}
    assert confirmed == {c[0] for c in CONFIRMED}
    assert len(CONFIRMED) == len({c[0] for c in CONFIRMED}) == 251
    assert len(_rows()) == len(CONFIRMED) + len(UNCONFIRMED) == 256


def test_natural_gas_n2o_is_0_1_not_the_1_5_of_one_copy() -> None:
    """Tables 2.2-2.5 print natural gas N2O 0.1 kg/TJ (carbontrace's Table 2.2 and Table 2.5, ghgpy's
    Tables 2.4 and 2.5); ghgpy's 1.5 in its energy and manufacturing dicts equals the coal value and is
    not used."""
    for table in ("2.2", "2.3", "2.4", "2.5"):
        assert _rows()[f"T{table}-natural_gas-n2o"].value == Decimal("0.1")


def test_ipcc_2006_table_1_2_and_1_4_confirmed_rows() -> None:
    """Vol.2 Ch.1 Table 1.2 (NCV, TJ/Gg) and Table 1.4 (CO2, kg/TJ): diesel 43.0 / 74,100;
    natural gas 48.0 / 56,100."""
    rows = _rows()
    expected = {
        "T1.2-diesel-ncv": "43.0",
        "T1.4-diesel-co2": "74100",
        "T1.2-natural_gas-ncv": "48.0",
        "T1.4-natural_gas-co2": "56100",
    }
    for row_id, value in expected.items():
        assert Decimal(str(rows[row_id].value)) == Decimal(value)
        assert rows[row_id].confidence == "confirmed"
