"""The typed-parameter calculators agree with the hand-read ones they replace, to the digit.

``tests/methodologies/legacy/`` holds the calculators as they were before the parameters were typed
and the equations split (``Reader``-based); this test runs both on generated monitoring reports and
compares the whole calculation (every line, flag and the parameters recorded), and for broken
reports the paths of the parameters named. It is deleted with the legacy copy once green.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonbridge.kernel.errors import InvalidInput
from carbonbridge.methodologies.demand_response import DemandResponse
from carbonbridge.methodologies.ev_fleet import ElectricFleet
from carbonbridge.methodologies.mangrove import MangroveAfforestation
from carbonbridge.methodologies.solar_irrigation import SolarIrrigation
from tests.methodologies.legacy import demand_response as old_dr
from tests.methodologies.legacy import ev_fleet as old_ev
from tests.methodologies.legacy import mangrove as old_mangrove
from tests.methodologies.legacy import solar_irrigation as old_solar


def dec(lo: str, hi: str, places: int = 3) -> st.SearchStrategy[str]:
    return st.decimals(Decimal(lo), Decimal(hi), places=places, allow_nan=False, allow_infinity=False).map(
        str
    )


def outcome(calculator: Any, params: Any) -> Any:
    try:
        return calculator.calculate(json.loads(json.dumps(params))).as_dict()
    except InvalidInput as exc:
        return {"invalid": sorted(".".join(str(p) for p in i.location) for i in exc.issues)}


def same(old: Any, new: Any, params: Any) -> None:
    """The same calculation; or the same parameters named, up to one difference by design: a
    value that is not an object is named once, not once more for each field it lacks."""
    before, after = outcome(old, params), outcome(new, params)
    if "invalid" not in before or "invalid" not in after:
        assert after == before
        return
    assert set(after["invalid"]) <= set(before["invalid"])
    for path in before["invalid"]:
        assert any(path == p or path.startswith(f"{p}.") or p == "" for p in after["invalid"]), path


solar_params = st.fixed_dictionaries(
    {
        "irrigated_area": st.fixed_dictionaries(
            {"value": dec("0.001", "10000"), "unit": st.sampled_from(["ha", "mu"])}
        ),
        "head_m": dec("0.1", "150"),
        "baseline": st.one_of(
            st.fixed_dictionaries({"route": st.just("diesel_litres"), "diesel_litres": dec("0", "100000")}),
            st.fixed_dictionaries({"route": st.just("pumped_volume"), "volume_m3": dec("0", "1000000")}),
            st.fixed_dictionaries({"route": st.just("shaft_energy"), "kwh": dec("0", "100000")}),
        ),
    },
    optional={
        "period_years": dec("0.1", "5"),
        "diesel": st.fixed_dictionaries(
            {},
            optional={
                "density_kg_per_l": dec("0.7", "0.9"),
                "engine_efficiency": dec("0.05", "1"),
                "pump_efficiency": dec("0.05", "1"),
            },
        ),
        "project": st.fixed_dictionaries({"diesel_litres": dec("0", "1000")}),
        "leakage": st.fixed_dictionaries({"transferred_equipment_share": dec("0", "1")}),
        "plausibility": st.fixed_dictionaries(
            {},
            optional={
                "water_depth": st.fixed_dictionaries({"warning": dec("0", "3")}),
                "head": st.just({"warning": None}),
            },
        ),
    },
)

#: one bad value at a time: (path, value)
BAD = st.sampled_from(
    [
        (("head_m",), "-1"),
        (("head_m",), "ten"),
        (("irrigated_area", "unit"), "acre"),
        (("irrigated_area",), "1 ha"),
        (("period_years",), "0"),
        (("diesel", "engine_efficiency"), "1.5"),
        (("leakage", "transferred_equipment_share"), True),
        (("baseline", "route"), "bucket"),
        (("plausibility",), {"nonsense": {}}),
        (("plausibility",), {"head": {"warning": "-1"}}),
    ]
)


def broken(params: dict[str, Any], bad: tuple[tuple[str, ...], Any]) -> dict[str, Any]:
    path, value = bad
    copy = json.loads(json.dumps(params))
    target = copy
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value
    return copy


@settings(max_examples=150, deadline=None)
@given(solar_params)
def test_solar_irrigation_agrees(params: dict[str, Any]) -> None:
    same(old_solar.SolarIrrigation(), SolarIrrigation(), params)


@settings(max_examples=60, deadline=None)
@given(solar_params, BAD)
def test_solar_irrigation_names_the_same_bad_parameters(params: dict[str, Any], bad: Any) -> None:
    same(old_solar.SolarIrrigation(), SolarIrrigation(), broken(params, bad))


ev_params = st.fixed_dictionaries(
    {
        "region": st.sampled_from(["CN-GRID-SOUTH", "CN-GRID-EAST", "CN"]),
        "year": st.sampled_from([2022, 2023, "2023"]),
        "vehicles": dec("0", "500"),
        "operating_days": dec("0", "366"),
        "distance_km": dec("0", "50000000"),
        "baseline": st.fixed_dictionaries(
            {"fuel_l_per_100km": dec("1", "40")},
            optional={
                "fuel": st.sampled_from(["diesel", "motor_gasoline"]),
                "density_kg_per_l": dec("0.6", "0.9"),
                "improvement_factor": dec("0.5", "1"),
                "years": st.integers(0, 50),
            },
        ),
        "project": st.fixed_dictionaries(
            {"electricity_kwh": dec("0", "10000000")},
            optional={
                "metered_at": st.sampled_from(["charger", "battery"]),
                "charging_efficiency": dec("0.5", "1"),
                "transmission_loss": dec("0", "0.2"),
            },
        ),
    },
    optional={"leakage": st.fixed_dictionaries({"share": dec("0", "1")})},
)


@settings(max_examples=120, deadline=None)
@given(ev_params)
def test_electric_fleet_agrees(params: dict[str, Any]) -> None:
    same(old_ev.ElectricFleet(), ElectricFleet(), params)


@settings(max_examples=40, deadline=None)
@given(
    ev_params,
    st.sampled_from(
        [
            (("year",), "2023.5"),
            (("operating_days",), "400"),
            (("baseline", "fuel"), "kerosene"),
            (("baseline", "years"), "-1"),
            (("project", "metered_at"), "meter"),
            (("region",), ""),
            (("plausibility",), {"distance_per_vehicle_day": {"implausible": "x"}}),
        ]
    ),
)
def test_electric_fleet_names_the_same_bad_parameters(params: dict[str, Any], bad: Any) -> None:
    same(old_ev.ElectricFleet(), ElectricFleet(), broken(params, bad))


SPECIES = ["kandelia_obovata", "aegiceras_corniculatum", "avicennia_marina", "sonneratia_apetala"]
plots = st.lists(
    st.fixed_dictionaries(
        {
            "area_m2": dec("1", "400"),
            "trees": st.dictionaries(
                st.sampled_from(SPECIES), st.lists(dec("0", "40", 1), max_size=6), max_size=3
            ),
        }
    ),
    min_size=2,
    max_size=4,
)


@st.composite
def mangrove_params(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(st.integers(2000, 2030))
    mode = draw(st.sampled_from(["ex_ante", "ex_post"]))
    strata = []
    for i in range(draw(st.integers(1, 3))):
        baseline = draw(st.sampled_from(["unvegetated_flat", "abandoned_pond", "pre_existing_trees"]))
        stratum: dict[str, Any] = {
            "id": f"S{i}",
            "area_ha": draw(dec("0", "50")),
            "planting_year": str(draw(st.integers(1990, 2030))),
            "baseline": baseline,
            "plots_t2": draw(plots),
        }
        if draw(st.booleans()):
            stratum["plots_t1"] = draw(plots)
        if baseline == "pre_existing_trees":
            stratum["baseline_trees"] = {
                "agb_t_dm_t1": draw(dec("0", "20")),
                "agb_t_dm_t2": draw(dec("0", "30")),
            }
        if draw(st.booleans()):
            stratum["growth_t_c_per_ha_yr"] = draw(dec("0", "5"))
        strata.append(stratum)
    params: dict[str, Any] = {
        "mode": mode,
        "period": {"start": str(start), "end": str(start + draw(st.integers(1, 5)))},
        "strata": strata,
    }
    if draw(st.booleans()):
        params["burning"] = [
            {
                "area_ha": draw(dec("0", "5")),
                "biomass_t_dm_per_ha": draw(dec("0", "50")),
                "combustion_factor": "0.5",
            }
        ]
        params["gwp_set"] = draw(st.sampled_from(["AR4", "AR5", "AR6"]))
    if draw(st.booleans()):
        params["wood_density"] = {"kandelia_obovata": draw(dec("0.1", "1.5"))}
    if draw(st.booleans()):
        params["leakage_t_co2"] = draw(dec("0", "10"))
        params["soc"] = {"rate_t_c_per_ha_yr": draw(dec("0", "1")), "years": draw(dec("0", "30"))}
    return params


@settings(max_examples=120, deadline=None)
@given(mangrove_params())
def test_mangrove_agrees(params: dict[str, Any]) -> None:
    same(old_mangrove.MangroveAfforestation(), MangroveAfforestation(), params)


@settings(max_examples=60, deadline=None)
@given(
    mangrove_params(),
    st.sampled_from(
        [
            (("period", "end"), "1980"),
            (("mode",), "sometimes"),
            (("carbon_fraction",), "2"),
            (("gwp_set",), "AR7"),
            (("wood_density",), {"kandelia_obovata": "3"}),
            (("soc",), {"years": "-2"}),
            (("burning",), [{"area_ha": "1"}]),
        ]
    ),
)
def test_mangrove_names_the_same_bad_parameters(params: dict[str, Any], bad: Any) -> None:
    same(old_mangrove.MangroveAfforestation(), MangroveAfforestation(), broken(params, bad))


@pytest.mark.parametrize(
    "params",
    [
        {"strata": [{"baseline": "mudflat", "plots_t2": [{"area_m2": "0", "trees": {"oak": ["1"]}}]}]},
        {"period": {"start": "2025", "end": "2023"}, "strata": []},
        {
            "period": {"start": "2023", "end": "2025"},
            "strata": [
                {"area_ha": "1", "planting_year": "2020", "baseline": "pre_existing_trees", "plots_t2": []}
            ],
        },
        {"mode": "ex_ante", "period": {"start": "2023", "end": "2025"}, "strata": "none"},
        [],
    ],
)
def test_mangrove_broken_reports(params: Any) -> None:
    same(old_mangrove.MangroveAfforestation(), MangroveAfforestation(), params)


@settings(max_examples=60, deadline=None)
@given(dec("0", "100000"), dec("0", "2"), st.sampled_from([None, "", "seed report"]))
def test_demand_response_agrees(energy: str, value: str, source: str | None) -> None:
    params = {"regulated_energy_mwh": energy, "grid_factor": {"value": value, "source": source}}
    same(old_dr.DemandResponse(), DemandResponse(), params)
