"""A project's map point: ``parameters["location"] = {"lat": "19.95", "lon": "110.58"}``.

Coordinates are WGS-84 (EPSG:4326) decimal degrees, latitude in [-90, 90] (north positive) and
longitude in [-180, 180] (east positive), given as decimal strings or JSON numbers; they are read as
:class:`~decimal.Decimal` (never binary floats) so that what is shown is exactly what was filed.
The location is optional: a project without one simply has no map point.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from carbonbridge.kernel.errors import FieldIssue, InvalidInput

#: (field, lowest, highest) for each coordinate, WGS-84 decimal degrees
_BOUNDS = (("lat", Decimal(-90), Decimal(90)), ("lon", Decimal(-180), Decimal(180)))


@dataclass(frozen=True)
class MapPoint:
    """A WGS-84 point in decimal degrees."""

    lat: Decimal
    lon: Decimal


def _degrees(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        return None
    try:
        number = Decimal(value.strip() if isinstance(value, str) else str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _read(parameters: Mapping[str, Any]) -> tuple[MapPoint | None, list[FieldIssue]]:
    if "location" not in parameters:
        return None, []
    location = parameters["location"]
    if not isinstance(location, Mapping):
        return None, [FieldIssue(("parameters", "location"), location, 'an object {"lat": ..., "lon": ...}')]
    issues: list[FieldIssue] = []
    numbers: list[Decimal] = []
    for name, low, high in _BOUNDS:
        value = location.get(name)
        number = _degrees(value)
        if number is None:
            issues.append(
                FieldIssue(("parameters", "location", name), value, "decimal degrees (WGS-84), e.g. 19.95")
            )
        elif not low <= number <= high:
            issues.append(
                FieldIssue(("parameters", "location", name), value, f"must be between {low} and {high}")
            )
        else:
            numbers.append(number)
    return (None, issues) if issues else (MapPoint(numbers[0], numbers[1]), [])


def location_issues(parameters: Mapping[str, Any]) -> list[FieldIssue]:
    """What is wrong with ``parameters["location"]`` (nothing if it is absent or valid), each issue
    naming ``parameters.location``, ``parameters.location.lat`` or ``parameters.location.lon``."""
    return _read(parameters)[1]


def map_point(parameters: Mapping[str, Any]) -> MapPoint | None:
    """The project's map point, or ``None`` if it has none; :class:`InvalidInput` (naming the
    field) if the location is malformed or out of range."""
    point, issues = _read(parameters)
    if issues:
        raise InvalidInput("invalid project location", issues)
    return point
