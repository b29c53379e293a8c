"""A trip from JSON-shaped data (REST bodies, booking files, the CLI): every field checked, every
problem named (field, value, reason) and all of them reported together; nothing is computed from a
trip that did not parse."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from carbonbridge.kernel.errors import FieldIssue, InvalidInput
from carbonbridge.tourism.model import (
    Activity,
    Cabin,
    Diet,
    Ferry,
    Flight,
    FlightMethod,
    Fuel,
    HotelStay,
    Item,
    Meals,
    Rail,
    RailKind,
    Road,
    RoadMode,
    Seats,
    Trip,
)

#: the longest trip a bill accepts (days)
MAX_TRIP_DAYS = 366
MAX_ITEMS = 200
#: bounds that catch typing errors, not real trips
MAX_DISTANCE_KM = Decimal(50_000)
MAX_COUNT = 10_000
REGION = re.compile(r"[A-Z]{2}(-[A-Z0-9]{1,3})?")
COUNTRY = re.compile(r"[A-Z]{2}")
KINDS = ("flight", "rail", "road", "ferry", "hotel", "meals", "activity")

E = TypeVar("E", bound=StrEnum)
Where = tuple[str | int, ...]


class _Reader:
    def __init__(self) -> None:
        self.issues: list[FieldIssue] = []

    def fail(self, where: Where, value: object, reason: str) -> None:
        self.issues.append(FieldIssue(where, value, reason))

    def text(
        self,
        data: Mapping[str, Any],
        name: str,
        where: Where,
        *,
        default: str | None = None,
        limit: int = 200,
    ) -> str:
        value = data.get(name, default)
        if value is None:
            self.fail((*where, name), None, "required")
            return ""
        if not isinstance(value, str) or len(value) > limit or "\x00" in value:
            self.fail((*where, name), value, f"text of at most {limit} characters")
            return ""
        return value.strip()

    def day(self, data: Mapping[str, Any], name: str, where: Where) -> date | None:
        value = data.get(name)
        if not isinstance(value, str):
            self.fail((*where, name), value, "a date YYYY-MM-DD")
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail((*where, name), value, "not a calendar date (YYYY-MM-DD)")
            return None

    def integer(
        self, data: Mapping[str, Any], name: str, where: Where, *, default: int | None = None, least: int = 1
    ) -> int:
        value = data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail((*where, name), value, "a whole number")
            return least
        if not least <= value <= MAX_COUNT:
            self.fail((*where, name), value, f"between {least} and {MAX_COUNT}")
            return least
        return value

    def decimal(
        self,
        data: Mapping[str, Any],
        name: str,
        where: Where,
        *,
        required: bool = True,
        upper: Decimal = MAX_DISTANCE_KM,
    ) -> Decimal | None:
        value = data.get(name)
        if value is None and not required:
            return None
        try:
            number = Decimal(value) if isinstance(value, str | int) and not isinstance(value, bool) else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            self.fail((*where, name), value, "a decimal number (as a string or integer)")
            return None
        if not Decimal(0) < number <= upper:
            self.fail((*where, name), value, f"greater than 0 and at most {upper}")
            return None
        return number

    def choice(self, data: Mapping[str, Any], name: str, where: Where, enum: type[E], default: E) -> E:
        value = data.get(name, default.value)
        try:
            return enum(value)
        except ValueError:
            self.fail((*where, name), value, f"one of {', '.join(e.value for e in enum)}")
            return default

    def flag(self, data: Mapping[str, Any], name: str, where: Where) -> bool:
        value = data.get(name, False)
        if not isinstance(value, bool):
            self.fail((*where, name), value, "true or false")
            return False
        return value


def _flight(r: _Reader, d: Mapping[str, Any], w: Where) -> Flight:
    seats = None
    if d.get("seats") is not None:
        s = d["seats"]
        if isinstance(s, Mapping):
            seats = Seats(*(r.integer(s, c.value, (*w, "seats"), default=0, least=0) for c in Cabin))
        else:
            r.fail((*w, "seats"), s, "seats per cabin: economy, premium_economy, business, first")
    wide = d.get("wide_body")
    if wide is not None and not isinstance(wide, bool):
        r.fail((*w, "wide_body"), wide, "true or false")
        wide = None
    return Flight(
        r.text(d, "origin", w, limit=3),
        r.text(d, "destination", w, limit=3),
        r.choice(d, "cabin", w, Cabin, Cabin.ECONOMY),
        r.choice(d, "method", w, FlightMethod, FlightMethod.DESNZ),
        r.flag(d, "radiative_forcing", w),
        r.integer(d, "passengers", w, default=1),
        r.text(d, "flight_number", w, default="", limit=10),
        r.text(d, "aircraft", w, default="", limit=8),
        r.decimal(d, "fuel_kg", w, required=False, upper=Decimal(500_000)),
        seats,
        wide,
    )


def _rail(r: _Reader, d: Mapping[str, Any], w: Where) -> Rail:
    return Rail(
        r.decimal(d, "distance_km", w) or Decimal(1),
        r.choice(d, "rail", w, RailKind, RailKind.CONVENTIONAL),
        r.integer(d, "passengers", w, default=1),
    )


def _road(r: _Reader, d: Mapping[str, Any], w: Where) -> Road:
    mode = r.choice(d, "mode", w, RoadMode, RoadMode.CAR)
    default_fuel = Fuel.PETROL if mode is RoadMode.CAR else Fuel.AVERAGE
    return Road(
        r.decimal(d, "distance_km", w) or Decimal(1),
        mode,
        r.choice(d, "fuel", w, Fuel, default_fuel),
        r.integer(d, "passengers", w, default=1),
        r.decimal(d, "kwh_per_km", w, required=False, upper=Decimal(10)),
    )


def _ferry(r: _Reader, d: Mapping[str, Any], w: Where) -> Ferry:
    return Ferry(
        r.decimal(d, "distance_km", w) or Decimal(1),
        not r.flag(d, "with_car", w),
        r.integer(d, "passengers", w, default=1),
    )


def _hotel(r: _Reader, d: Mapping[str, Any], w: Where) -> HotelStay:
    country = r.text(d, "country", w, limit=2).upper()
    if country and not COUNTRY.fullmatch(country):
        r.fail((*w, "country"), d.get("country"), "an ISO 3166-1 alpha-2 country code, e.g. CN")
    return HotelStay(
        country,
        r.integer(d, "nights", w),
        r.integer(d, "rooms", w, default=1),
        r.text(d, "hotel", w, default="", limit=120),
        r.decimal(d, "kg_per_night", w, required=False, upper=Decimal(10_000)),
    )


def _meals(r: _Reader, d: Mapping[str, Any], w: Where) -> Meals:
    return Meals(r.integer(d, "count", w), r.choice(d, "diet", w, Diet, Diet.MEAT))


def _activity(r: _Reader, d: Mapping[str, Any], w: Where) -> Activity:
    return Activity(r.text(d, "activity", w, limit=40), r.integer(d, "participants", w, default=1))


_PARSERS: dict[str, Callable[[_Reader, Mapping[str, Any], Where], Item]] = {
    "flight": _flight,
    "rail": _rail,
    "road": _road,
    "ferry": _ferry,
    "hotel": _hotel,
    "meals": _meals,
    "activity": _activity,
}


def parse_trip(data: object, where: Where = ()) -> Trip:
    """A :class:`Trip` from ``{"reference", "region", "start", "end", "visitor"?, "items": [...]}``;
    each item has ``"type"`` (:data:`KINDS`). Raises :class:`InvalidInput` with every issue."""
    r = _Reader()
    trip = read_trip(r, data, where)
    if r.issues or trip is None:
        raise InvalidInput("invalid trip", r.issues)
    return trip


def read_trip(r: _Reader, data: object, where: Where) -> Trip | None:
    if not isinstance(data, Mapping):
        r.fail(where, type(data).__name__, "a JSON object")
        return None
    reference = r.text(data, "reference", where, limit=80)
    region = r.text(data, "region", where, default="CN-HI", limit=6).upper()
    if region and not REGION.fullmatch(region):
        r.fail((*where, "region"), data.get("region"), "an ISO 3166-2 code such as CN-HI")
    start, end = r.day(data, "start", where), r.day(data, "end", where)
    if start and end:
        if end < start:
            r.fail((*where, "end"), data.get("end"), f"before the start {start.isoformat()}")
        elif (end - start).days > MAX_TRIP_DAYS:
            r.fail((*where, "end"), data.get("end"), f"more than {MAX_TRIP_DAYS} days after the start")
    raw = data.get("items")
    items: list[Item] = []
    if not isinstance(raw, list) or not raw or len(raw) > MAX_ITEMS:
        r.fail(
            (*where, "items"),
            None if raw is None else len(raw) if isinstance(raw, list) else raw,
            f"a list of 1 to {MAX_ITEMS} items",
        )
        raw = []
    for i, entry in enumerate(raw):
        w = (*where, "items", i)
        if not isinstance(entry, Mapping):
            r.fail(w, entry, "an object")
            continue
        kind = entry.get("type")
        parser = _PARSERS.get(kind) if isinstance(kind, str) else None
        if parser is None:
            r.fail((*w, "type"), kind, f"one of {', '.join(KINDS)}")
            continue
        items.append(parser(r, entry, w))
    if start and end:
        nights = (end - start).days
        for i, item in enumerate(items):
            if isinstance(item, HotelStay) and item.nights > max(nights, 1):
                r.fail((*where, "items", i, "nights"), item.nights, f"more than the trip's {nights} nights")
    visitor = r.text(data, "visitor", where, default="", limit=120)
    if start is None or end is None:
        return None
    return Trip(reference, region, start, end, tuple(items), visitor)
