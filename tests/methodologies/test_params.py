"""Typed calculator parameters: units and ranges in the type, every error naming the field path,
the value and the reason, in English and in Chinese."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from carbonbridge.kernel.errors import FieldIssue, InvalidInput
from carbonbridge.methodologies.demand_response import DemandResponse
from carbonbridge.methodologies.ev_fleet import ElectricFleet
from carbonbridge.methodologies.ev_fleet_params import ElectricFleetParameters
from carbonbridge.methodologies.mangrove import MangroveAfforestation
from carbonbridge.methodologies.mangrove_params import MangroveParameters, context
from carbonbridge.methodologies.params import parse
from carbonbridge.methodologies.solar_irrigation import SolarIrrigation
from carbonbridge.methodologies.solar_irrigation_params import SolarIrrigationParameters
from carbonbridge.platform import i18n

CJK = re.compile(r"[\u4e00-\u9fff]")


def issues(calculator: Any, params: Any) -> dict[str, FieldIssue]:
    with pytest.raises(InvalidInput) as caught:
        calculator.calculate(params)
    return {".".join(str(p) for p in i.location): i for i in caught.value.issues}


def test_a_range_error_names_the_path_the_value_and_the_bound_with_its_unit() -> None:
    params = {**SolarIrrigation().example(), "head_m": "-2"}
    (issue,) = issues(SolarIrrigation(), params).values()
    assert issue == FieldIssue(("head_m",), "-2", "must be > 0 m")


def test_nested_paths_name_the_list_index_and_the_key() -> None:
    params: Any = MangroveAfforestation().example()
    params = {**params, "strata": [dict(params["strata"][0]), dict(params["strata"][1])]}
    params["strata"][1]["plots_t2"] = [
        {"area_m2": "10", "trees": {"aegiceras_corniculatum": ["2", "301"]}}
    ] * 2
    found = issues(MangroveAfforestation(), params)
    assert set(found) == {
        "strata.1.plots_t2.0.trees.aegiceras_corniculatum.1",
        "strata.1.plots_t2.1.trees.aegiceras_corniculatum.1",
    }
    assert {i.reason for i in found.values()} == {"must be ≤ 300 cm"}
    assert {i.value for i in found.values()} == {"301"}


def test_quantities_are_exact_decimals_never_binary_floats() -> None:
    """A JSON float is read through its shortest repr: 0.1 is Decimal("0.1"), not 0.1000000000000000055…"""
    params = {**ElectricFleet().example(), "leakage": {"share": 0.1}, "distance_km": 2400000.5}
    p = parse(ElectricFleetParameters, params, "AMS-III.C@16.0")
    assert p.leakage.share == Decimal("0.1")
    assert p.distance_km == Decimal("2400000.5")
    assert isinstance(p.vehicles, Decimal)


def test_null_means_absent_so_the_default_applies() -> None:
    params = {**SolarIrrigation().example(), "period_years": None, "diesel": {"pump_efficiency": None}}
    p = parse(SolarIrrigationParameters, params, "AMS-I.B@13.0")
    assert p.period_years == 1
    assert p.diesel.pump_efficiency == Decimal("0.50")


def test_a_plausibility_level_given_as_null_is_switched_off() -> None:
    params = {**SolarIrrigation().example(), "plausibility": {"head": {"warning": None}}}
    p = parse(SolarIrrigationParameters, params, "AMS-I.B@13.0")
    assert p.plausibility["head"].warning is None
    assert p.plausibility["head"].model_fields_set == {"warning"}


def test_the_route_names_which_activity_datum_is_required() -> None:
    params = {**SolarIrrigation().example(), "baseline": {"route": "shaft_energy", "volume_m3": "5"}}
    assert set(issues(SolarIrrigation(), params)) == {"baseline.kwh"}


def test_a_species_given_a_wood_density_is_known() -> None:
    params: Any = MangroveAfforestation().example()
    plots = [{"area_m2": "10", "trees": {"ceriops_tagal": ["3"]}}] * 2
    strata = [{**params["strata"][0], "plots_t1": plots, "plots_t2": plots}]
    with pytest.raises(InvalidInput):
        parse(MangroveParameters, {**params, "strata": strata}, "m", context({**params, "strata": strata}))
    given = {**params, "strata": strata, "wood_density": {"ceriops_tagal": "0.9"}}
    assert parse(MangroveParameters, given, "m", context(given)).densities["ceriops_tagal"] == Decimal("0.9")


def test_plots_are_not_read_ex_ante() -> None:
    params = {
        "mode": "ex_ante",
        "period": {"start": "2023", "end": "2025"},
        "strata": [
            {"area_ha": "1", "planting_year": "2020", "baseline": "abandoned_pond", "plots_t2": "n/a"}
        ],
    }
    assert MangroveAfforestation().calculate(params).net_t > 0


def test_duplicate_stratum_ids_are_named() -> None:
    stratum = {"id": "A", "area_ha": "1", "planting_year": "2020", "baseline": "abandoned_pond"}
    params = {"mode": "ex_ante", "period": {"start": "2023", "end": "2025"}, "strata": [stratum, stratum]}
    assert issues(MangroveAfforestation(), params)["strata"].reason == "stratum ids must be unique"


#: reports that together break every rule a parameter model has
BROKEN: list[tuple[Any, Any]] = [
    (SolarIrrigation(), {"irrigated_area": {"value": "x", "unit": "acre"}, "head_m": True, "baseline": []}),
    (
        SolarIrrigation(),
        {
            "irrigated_area": {"value": "1e999999", "unit": ""},
            "head_m": "0",
            "baseline": {"route": "diesel_litres"},
            "diesel": {"density_kg_per_l": "1", "engine_efficiency": "0"},
            "plausibility": {"nonsense": {"warning": "-1"}},
        },
    ),
    (
        SolarIrrigation(),
        {"irrigated_area": {"value": "Infinity", "unit": "ha"}, "head_m": [1], "baseline": {"route": 3}},
    ),
    (
        ElectricFleet(),
        {
            "year": "2023.5",
            "region": "",
            "baseline": {"fuel_l_per_100km": "5", "years": "51"},
            "project": "x",
        },
    ),
    (
        MangroveAfforestation(),
        {
            "period": {"start": "2025", "end": "2023"},
            "strata": [
                {
                    "id": "A",
                    "area_ha": "1",
                    "planting_year": "2020",
                    "baseline": "mudflat",
                    "plots_t2": [
                        {"area_m2": "1", "trees": {"quercus_robur": ["1"], "kandelia_obovata": "3"}}
                    ],
                }
            ],
            "burning": {},
        },
    ),
    (
        MangroveAfforestation(),
        {
            "period": {"start": "2023", "end": "2025"},
            "strata": [{"id": "A", "area_ha": "1", "planting_year": "2020", "baseline": "abandoned_pond"}]
            * 2,
            "mode": "ex_ante",
        },
    ),
    (
        MangroveAfforestation(),
        {
            "period": {"start": "2023", "end": "2025"},
            "strata": [
                {
                    "area_ha": "1",
                    "planting_year": "2020",
                    "baseline": "abandoned_pond",
                    "plots_t2": [{"area_m2": "1"}],
                }
            ],
        },
    ),
    (DemandResponse(), {"regulated_energy_mwh": "1", "grid_factor": {"value": "3", "unit": "kg/kWh"}}),
]


def _every_rejection() -> list[InvalidInput]:
    found = []
    for calculator, params in BROKEN:
        with pytest.raises(InvalidInput) as caught:
            calculator.calculate(params)
        found.append(caught.value)
    return found


def test_every_reason_a_parameter_is_rejected_with_reads_in_chinese() -> None:
    rejections = _every_rejection()
    reasons = {i.reason for exc in rejections for i in exc.issues}
    assert len(reasons) >= 15, reasons
    for reason in sorted(reasons):
        shown = i18n.localise("zh", reason)
        assert CJK.search(shown), reason
        assert i18n.localise("en", reason) == reason
    for exc in rejections:
        assert CJK.search(i18n.localise("zh", exc.detail)), exc.detail


def test_every_reason_of_the_closed_set_has_a_chinese_msgid() -> None:
    from carbonbridge.methodologies.params import REASONS

    catalogue = i18n._catalog("zh")
    assert [reason for reason in REASONS if not CJK.search(catalogue.get(reason, ""))] == []
