"""Bill lines on published factors, each test citing its source; bad trips named field by field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from carbonbridge.factors import service as factor_service
from carbonbridge.factors.model import YearPolicy
from carbonbridge.kernel.errors import InvalidInput
from carbonbridge.tourism import bill
from carbonbridge.tourism.dataset import shipped
from carbonbridge.tourism.errors import UnknownAirport
from carbonbridge.tourism.parse import parse_trip


@pytest.fixture(scope="module")
def ctx() -> bill.BillContext:
    return bill.BillContext(factor_service.shipped_library(YearPolicy.NEAREST_EARLIER), shipped())


def _trip(*items: dict[str, Any], start: str = "2025-03-01", end: str = "2025-03-05") -> Any:
    return parse_trip(
        {"reference": "T-1", "region": "CN-HI", "start": start, "end": end, "items": list(items)}
    )


def test_desnz_hotel_stay_in_china(ctx: bill.BillContext) -> None:
    """DESNZ 2025 conversion factors, "Hotel stay": China 53.5 kg CO2e per room per night;
    4 nights × 2 rooms = 428 kg = 428,000 g."""
    line = bill.compute_bill(ctx, _trip({"type": "hotel", "country": "CN", "nights": 4, "rooms": 2})).lines[0]
    assert line.factors[0].value == Decimal("53.5")
    assert line.factors[0].key.startswith("desnz-ghg-conversion-factors@2025")
    assert line.grams == 428_000


def test_desnz_national_rail(ctx: bill.BillContext) -> None:
    """DESNZ 2025 "Business travel- land", national rail 0.03546 kg CO2e per passenger-km;
    300 km × 2 passengers = 21.276 kg. A UK factor, so the line says it is a proxy."""
    line = bill.compute_bill(ctx, _trip({"type": "rail", "distance_km": "300", "passengers": 2})).lines[0]
    assert line.factors[0].value == Decimal("0.03546")
    assert line.grams == 21_276
    assert bill.PROXY_NOTE in line.notes


def test_ev_taxi_on_the_regions_grid_factor(ctx: bill.BillContext) -> None:
    """An electric taxi in Hainan, 30 km at 0.15 kWh/km (the demo destination's figure) on the
    national grid factor the MEE prescribes for 2023-2025 reporting, 0.5703 t CO2/MWh (环办气候函
    〔2023〕43号): 4.5 kWh × 0.5703 kg/kWh = 2.56635 kg → 2,566 g (half-to-even)."""
    trip = _trip({"type": "road", "mode": "taxi", "fuel": "electric", "distance_km": "30"})
    line = bill.compute_bill(ctx, trip).lines[0]
    assert [f.value for f in line.factors] == [Decimal("0.15"), Decimal("0.5703")]
    assert line.kg == Decimal("2.56635")
    assert line.grams == 2_566


def test_ev_taxi_with_metered_consumption(ctx: bill.BillContext) -> None:
    """A fleet's own kWh per km replaces the default: 10 km × 0.2 × 0.5703 = 1.1406 kg."""
    trip = _trip(
        {"type": "road", "mode": "taxi", "fuel": "electric", "distance_km": "10", "kwh_per_km": "0.2"}
    )
    assert bill.compute_bill(ctx, trip).lines[0].grams == 1_141


def test_tim_flight_from_airports_traces_distance_and_fuel(ctx: bill.BillContext) -> None:
    """ZRH-SFO by the TIM on the README's B789 rows: the haversine distance (9375.763 km, not the
    README's 9369) goes through the same steps; the trace shows every one of them."""
    trip = _trip(
        {"type": "flight", "origin": "ZRH", "destination": "SFO", "method": "tim", "aircraft": "B789"}
    )
    line = bill.compute_bill(ctx, trip).lines[0]
    assert line.method.startswith("Travel Impact Model")
    steps = dict(line.steps)
    assert steps["d"].startswith("9375.763 km")
    assert "radiative forcing excluded" in line.notes[0]


def test_desnz_flight_without_and_with_radiative_forcing_are_labelled(ctx: bill.BillContext) -> None:
    """PEK-SYX: international (non-UK) economy, DESNZ 2025: 0.06449 without RF, 0.10916 with."""
    plain = bill.compute_bill(ctx, _trip({"type": "flight", "origin": "PEK", "destination": "SYX"})).lines[0]
    rf = bill.compute_bill(
        ctx, _trip({"type": "flight", "origin": "PEK", "destination": "SYX", "radiative_forcing": True})
    ).lines[0]
    assert plain.factors[1].value == Decimal("0.06449")
    assert "without_rf" in plain.method
    assert rf.factors[1].value == Decimal("0.10916")
    assert "with_rf" in rf.method
    assert plain.grams == bill.to_grams(plain.factors[0].value * Decimal("0.06449"))


def test_bill_total_is_the_sum_of_its_lines(ctx: bill.BillContext) -> None:
    trip = _trip(
        {"type": "hotel", "country": "CN", "nights": 3},
        {"type": "meals", "count": 9, "diet": "vegetarian"},
        {"type": "activity", "activity": "diving"},
    )
    result = bill.compute_bill(ctx, trip)
    assert result.grams == sum(line.grams for line in result.lines)
    assert all(line.verify for line in result.lines)


def test_unknown_airport_names_the_item(ctx: bill.BillContext) -> None:
    with pytest.raises(UnknownAirport) as caught:
        bill.compute_bill(ctx, _trip({"type": "flight", "origin": "PEK", "destination": "QQQ"}))
    assert caught.value.issues[0].location == ("items", 0, "destination")


@pytest.mark.parametrize(
    ("start", "end", "where", "reason"),
    [
        ("2025-02-30", "2025-03-02", ("start",), "not a calendar date"),
        ("2025-03-05", "2025-03-01", ("end",), "before the start"),
    ],
)
def test_impossible_dates_are_refused(start: str, end: str, where: tuple[str, ...], reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        _trip({"type": "meals", "count": 1}, start=start, end=end)
    issue = caught.value.issues[0]
    assert (issue.location, reason in issue.reason) == (where, True)


@pytest.mark.parametrize("nights", [-1, 0, "2", 9])
def test_bad_nights_are_refused(nights: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        _trip({"type": "hotel", "country": "CN", "nights": nights})
    assert caught.value.issues[0].location == ("items", 0, "nights")
    assert caught.value.issues[0].value == nights


def test_every_issue_is_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        _trip({"type": "rail", "distance_km": "-5"}, {"type": "boat"}, {"type": "meals", "count": 0})
    assert [i.location for i in caught.value.issues] == [
        ("items", 0, "distance_km"),
        ("items", 1, "type"),
        ("items", 2, "count"),
    ]


def test_radiative_forcing_is_not_mixed_into_the_tim(ctx: bill.BillContext) -> None:
    trip = _trip(
        {
            "type": "flight",
            "origin": "ZRH",
            "destination": "SFO",
            "method": "tim",
            "aircraft": "B789",
            "radiative_forcing": True,
        }
    )
    with pytest.raises(InvalidInput, match="non-CO2"):
        bill.compute_bill(ctx, trip)
