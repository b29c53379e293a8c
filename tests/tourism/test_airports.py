"""Great-circle distances from the airportsdata package (haversine, R = 6371.0088 km)."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from carbonbridge.tourism import airports
from carbonbridge.tourism.errors import UnknownAirport


def test_zrh_sfo_within_a_tenth_of_a_percent_of_the_tim_readme() -> None:
    """TIM README example: ZRH-SFO 9369 km. A sphere differs from the ellipsoid by up to ~0.5 %;
    the haversine on the GRS 80 mean radius gives 9375.8 km here (0.07 % more)."""
    d = airports.great_circle_km(airports.airport("ZRH"), airports.airport("SFO"))
    assert abs(d - Decimal(9369)) / Decimal(9369) < Decimal("0.001")


def test_quarter_meridian_on_the_stated_sphere() -> None:
    """Pole to equator along a meridian is πR/2 on a sphere of radius R."""
    pole = airports.Airport("NPL", "", "", "", 90.0, 0.0)
    equator = airports.Airport("EQT", "", "", "", 0.0, 0.0)
    expected = math.pi * airports.EARTH_RADIUS_KM / 2
    assert airports.great_circle_km(pole, equator) == Decimal(f"{expected:.3f}")


def test_lower_case_code_is_accepted() -> None:
    assert airports.airport("syx").city == "Sanya"


@pytest.mark.parametrize("code", ["QQQ", "XX", "SYX1", "", 123])
def test_unknown_or_malformed_airport_names_the_field(code: object) -> None:
    with pytest.raises(UnknownAirport) as caught:
        airports.airport(code, ("items", 0, "origin"))
    assert caught.value.issues[0].location == ("items", 0, "origin")
    assert caught.value.issues[0].value == code
