"""Airports and great-circle distances.

Coordinates come from the ``airportsdata`` package (maintained, MIT licence, IATA-keyed). The
distance is the haversine great-circle distance on a sphere of radius
:data:`EARTH_RADIUS_KM` = 6371.0088 km, the mean radius R1 = (2a + b)/3 of the GRS 80 ellipsoid
(Moritz, H. (2000), "Geodetic Reference System 1980", Journal of Geodesy 74:128-133), as the IUGG
recommends for a spherical Earth. Trigonometry runs in binary floating point; the distance is
rounded to whole metres (3 decimals of a kilometre) before it enters the Decimal calculation.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

import airportsdata

from carbonbridge.kernel.errors import FieldIssue
from carbonbridge.tourism.errors import UnknownAirport

EARTH_RADIUS_KM = 6371.0088
KM_PER_NAUTICAL_MILE = Decimal("1.852")
IATA = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class Airport:
    iata: str
    name: str
    city: str
    country: str
    lat: float
    lon: float


@lru_cache(maxsize=1)
def _airports() -> dict[str, dict[str, Any]]:
    loaded: Any = airportsdata.load("IATA")  # its TypedDict rows, read as plain mappings
    return dict(loaded)


@lru_cache(maxsize=1)
def dataset_version() -> str:
    """The airport dataset's version (the installed ``airportsdata`` release)."""
    from importlib.metadata import version

    return f"airportsdata@{version('airportsdata')}"


def airport(code: object, location: tuple[str | int, ...] = ("airport",)) -> Airport:
    """The airport with IATA code ``code`` (three letters, case-insensitive)."""
    text = code.strip().upper() if isinstance(code, str) else ""
    if not IATA.fullmatch(text):
        raise UnknownAirport(
            f"{code!r} is not an IATA airport code", [FieldIssue(location, code, "three letters, e.g. SYX")]
        )
    row = _airports().get(text)
    if row is None:
        raise UnknownAirport(
            f"unknown airport {text}", [FieldIssue(location, code, "not in the airport dataset")]
        )
    return Airport(text, str(row["name"]), str(row["city"]), str(row["country"]), row["lat"], row["lon"])


def great_circle_km(a: Airport, b: Airport) -> Decimal:
    """Haversine distance (km, to the metre): d = 2R·asin(√(sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2)))."""
    p1, l1, p2, l2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((l2 - l1) / 2) ** 2
    distance = 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
    return Decimal(f"{distance:.3f}")
