"""Properties every calculator keeps: more activity never yields fewer reductions or removals, zero
activity yields zero, and the order of the parameters does not matter."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from carbonbridge.methodologies.demand_response import DemandResponse
from carbonbridge.methodologies.ev_fleet import ElectricFleet
from carbonbridge.methodologies.mangrove import MangroveAfforestation
from carbonbridge.methodologies.solar_irrigation import SolarIrrigation

amounts = st.decimals(min_value=0, max_value=10**7, places=3, allow_nan=False, allow_infinity=False)
areas = st.decimals(min_value=0, max_value=10**4, places=2, allow_nan=False, allow_infinity=False)
extra = st.decimals(min_value=0, max_value=10**5, places=2, allow_nan=False, allow_infinity=False)


def reorder(data: Any, rnd: random.Random) -> Any:
    """The same JSON with every object's keys shuffled (list order is meaningful and kept)."""
    if isinstance(data, dict):
        keys = list(data)
        rnd.shuffle(keys)
        return {k: reorder(data[k], rnd) for k in keys}
    if isinstance(data, list):
        return [reorder(v, rnd) for v in data]
    return data


def solar(litres: Decimal) -> dict[str, Any]:
    return {
        "irrigated_area": {"value": "10", "unit": "ha"},
        "head_m": "20",
        "baseline": {"route": "diesel_litres", "diesel_litres": str(litres)},
    }


@given(amounts, extra)
def test_solar_more_diesel_displaced_never_fewer_reductions(litres: Decimal, more: Decimal) -> None:
    calc = SolarIrrigation()
    assert calc.calculate(solar(litres + more)).net_t >= calc.calculate(solar(litres)).net_t


def test_solar_zero_activity_zero_reductions() -> None:
    assert SolarIrrigation().calculate(solar(Decimal(0))).net_t == 0


def ev(distance: Decimal, kwh: Decimal) -> dict[str, Any]:
    params = dict(ElectricFleet().example())
    params["distance_km"] = str(distance)
    params["project"] = {"electricity_kwh": str(kwh)}
    return params


@given(amounts, extra, amounts)
def test_ev_more_distance_never_fewer_reductions(distance: Decimal, more: Decimal, kwh: Decimal) -> None:
    calc = ElectricFleet()
    assert calc.calculate(ev(distance + more, kwh)).net_t >= calc.calculate(ev(distance, kwh)).net_t


def test_ev_zero_activity_zero_reductions() -> None:
    assert ElectricFleet().calculate(ev(Decimal(0), Decimal(0))).net_t == 0


def mangrove(area: Decimal, second: Decimal) -> dict[str, Any]:
    return {
        "mode": "ex_ante",
        "period": {"start": "2023", "end": "2025.5"},
        "strata": [
            {"id": "A", "area_ha": str(area), "planting_year": "2021", "baseline": "abandoned_pond"},
            {"id": "B", "area_ha": str(second), "planting_year": "2024", "baseline": "unvegetated_flat"},
        ],
    }


@given(areas, areas, extra)
def test_mangrove_more_area_never_fewer_removals(area: Decimal, second: Decimal, more: Decimal) -> None:
    calc = MangroveAfforestation()
    assert calc.calculate(mangrove(area + more, second)).net_t >= calc.calculate(mangrove(area, second)).net_t


@given(st.integers(min_value=1, max_value=50))
def test_mangrove_ex_post_scales_with_area(factor: int) -> None:
    """Scaling every stratum's area by k scales the stock change by k (weights unchanged)."""
    calc = MangroveAfforestation()
    example = json.loads(json.dumps(calc.example()))
    scaled = json.loads(json.dumps(example))
    for stratum in scaled["strata"]:
        stratum["area_ha"] = str(Decimal(stratum["area_ha"]) * factor)
    base, bigger = calc.calculate(example).net_t, calc.calculate(scaled).net_t
    assert bigger >= base
    assert abs(bigger - base * factor) < Decimal("1E-20") * factor


def test_mangrove_zero_area_zero_removals() -> None:
    assert MangroveAfforestation().calculate(mangrove(Decimal(0), Decimal(0))).net_t == 0


@given(amounts, extra)
def test_demand_response_more_energy_never_fewer(mwh: Decimal, more: Decimal) -> None:
    calc = DemandResponse()

    def params(energy: Decimal) -> dict[str, Any]:
        return {**calc.example(), "regulated_energy_mwh": str(energy)}

    assert calc.calculate(params(mwh + more)).net_t >= calc.calculate(params(mwh)).net_t
    assert calc.calculate(params(Decimal(0))).net_t == 0


@given(st.randoms(use_true_random=False))
def test_results_do_not_depend_on_parameter_order(rnd: random.Random) -> None:
    for calc in (MangroveAfforestation(), SolarIrrigation(), ElectricFleet(), DemandResponse()):
        example = json.loads(json.dumps(calc.example()))
        forward = calc.calculate(example).as_dict()
        shuffled = calc.calculate(reorder(example, rnd)).as_dict()
        assert forward == shuffled
