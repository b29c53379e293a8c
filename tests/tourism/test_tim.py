"""The Travel Impact Model as its README publishes it, end to end with its rounding.

Source: google/travel-impact-model README.md (TIM 1.9.1), "Example emission estimation": ZRH-SFO,
Boeing 787-9 with 188 economy, 21 premium economy, 48 business and 0 first seats, 9369 km."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carbonbridge.tourism import tim
from carbonbridge.tourism.dataset import shipped
from carbonbridge.tourism.model import Cabin, Seats

README_SEATS = Seats(economy=188, premium_economy=21, business=48, first=0)


def _example(cabin: Cabin) -> tim.TimResult:
    return tim.per_passenger(
        shipped(), distance_km=Decimal(9369), cabin=cabin, seats=README_SEATS, wide_body=True, aircraft="B789"
    )


def test_readme_flight_level_figures() -> None:
    """Steps 1-4: 5058.9 nm; CCD 52970 kg; fuel 54697 kg; WTT 35362, TTW 174451, WTW 209812 kg."""
    result = _example(Cabin.ECONOMY)
    assert result.distance_nm == Decimal("5058.9")
    assert (result.lto_kg, result.ccd_kg, result.fuel_kg) == (1727, 52970, 54697)
    assert (result.flight_wtt_kg, result.flight_ttw_kg, result.flight_wtw_kg) == (35362, 174451, 209812)


def test_readme_equivalent_capacity_and_economy_seat() -> None:
    """Per-passenger steps 2-3: C = 411.5; WTT 85.934, TTW 423.939, WTW 509.873 kg per economy seat."""
    result = _example(Cabin.ECONOMY)
    assert result.capacity == Decimal("411.5")
    assert (result.economy_wtt_kg, result.economy_ttw_kg, result.economy_wtw_kg) == (
        Decimal("85.934"),
        Decimal("423.939"),
        Decimal("509.873"),
    )


@pytest.mark.parametrize(
    ("cabin", "wtt", "ttw", "wtw"),
    [
        (Cabin.FIRST, "508.485", "2508.515", "3017"),
        (Cabin.BUSINESS, "406.788", "2006.812", "2413.6"),
        (Cabin.PREMIUM_ECONOMY, "152.546", "752.555", "905.101"),
        (Cabin.ECONOMY, "101.697", "501.703", "603.4"),
    ],
)
def test_readme_per_passenger_at_load_factor(cabin: Cabin, wtt: str, ttw: str, wtw: str) -> None:
    """Step 5: scaled to the load factor 0.845, every cabin's figures as the README prints them."""
    result = _example(cabin)
    assert result.passenger_wtt_kg == Decimal(wtt)
    assert result.passenger_ttw_kg == Decimal(ttw)
    assert result.passenger_wtw_kg == Decimal(wtw)


def test_interpolation_between_table_rows_as_the_readme_explains() -> None:
    """README: a 5250 nm flight burns 52375 + (57430 − 52375)/2 = 54902.5 kg in CCD (54903 to the kg)."""
    _, ccd, _ = tim.fuel_burn(shipped(), "B789", Decimal(5250))
    assert ccd == Decimal(54903)


def test_extrapolation_beyond_the_last_row() -> None:
    """README: extrapolation for flights longer than the longest row (5500 nm): slope of 5000-5500."""
    _, ccd, _ = tim.fuel_burn(shipped(), "B789", Decimal(6000))
    assert ccd == Decimal(57430) + (Decimal(57430) - Decimal(52375))


def test_callers_fuel_replaces_the_table_for_an_unshipped_aircraft() -> None:
    """Fuel given by the caller (54697 kg, the README's) gives the README's result without the table."""
    result = tim.per_passenger(
        shipped(),
        distance_km=Decimal(9369),
        cabin=Cabin.ECONOMY,
        seats=README_SEATS,
        wide_body=True,
        aircraft="A359",
        fuel_kg=Decimal(54697),
    )
    assert result.passenger_wtw_kg == Decimal("603.4")


def test_aircraft_without_rows_or_fuel_is_refused() -> None:
    from carbonbridge.kernel.errors import FactorNotFound

    with pytest.raises(FactorNotFound, match="A359"):
        tim.fuel_burn(shipped(), "A359", Decimal(1000))
