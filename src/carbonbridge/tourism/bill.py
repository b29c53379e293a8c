"""The tourist carbon bill: one traced line per trip item (``docs/tourism.md``).

Factors come from the platform's factor library (a :class:`~carbonbridge.factors.model.FactorResolver`:
DESNZ travel, hotel and ferry factors, the MEE grid factor) or from the tourism dataset
(:mod:`carbonbridge.tourism.dataset`). Each line is ``kg = activity × factor`` in ``Decimal``, then
rounded once to whole grams, half-to-even (:func:`to_grams`); the bill's total is the sum of its
lines' grams, so a bill always equals the sum of what it shows.

DESNZ's land-travel factors are UK figures (region ``GB``); the platform ships no Chinese
per-passenger-km set that could be confirmed, so they stand in as proxies and every such line says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from carbonbridge.factors.model import FactorQuery, FactorResolver, Parameter, Resolution
from carbonbridge.kernel.errors import FactorNotFound, FieldIssue, InvalidInput
from carbonbridge.kernel.exact import quantize
from carbonbridge.tourism import airports, tim
from carbonbridge.tourism.dataset import TourismDataset, TourismFactor
from carbonbridge.tourism.model import (
    Activity,
    Bill,
    Cabin,
    FactorUse,
    Ferry,
    Flight,
    FlightMethod,
    Fuel,
    HotelStay,
    Item,
    Line,
    Meals,
    Rail,
    RailKind,
    Road,
    RoadMode,
    Trip,
)

DESNZ = "desnz-ghg-conversion-factors"
GRID = "cn-mee-grid-reporting"
#: DESNZ's boundary between short- and long-haul flights to or from the UK (km, great circle)
DESNZ_LONG_HAUL_KM = Decimal(3700)
PROXY_NOTE = "UK (DESNZ) factor used as a proxy: no confirmed Chinese factor is shipped"


def to_grams(kg: Decimal) -> int:
    """Kilograms to whole grams, half-to-even (the bill's one rounding point per line)."""
    return int(quantize(kg * 1000, 0))


@dataclass(frozen=True)
class BillContext:
    """What computing a bill needs: the factor library and the tourism dataset."""

    library: FactorResolver
    data: TourismDataset


def _library_use(role: str, resolution: Resolution) -> FactorUse:
    f = resolution.factor
    note = resolution.fallback or f.note
    return FactorUse(role, f.value, f.unit, f.key, f.citation(), f.confidence.value, note)


def _data_use(role: str, row: TourismFactor) -> FactorUse:
    return FactorUse(role, row.value, row.unit, row.ref, row.citation, row.confidence, row.note)


def _desnz(
    ctx: BillContext, activity: str, year: int, *, region: str = "*", variant: str | None = None
) -> Resolution:
    return ctx.library.resolve(
        FactorQuery(
            Parameter.EMISSION_FACTOR,
            activity,
            gas="CO2e",
            region=region,
            year=year,
            variant=variant,
            datasets=(DESNZ,),
        )
    )


def _grid(ctx: BillContext, region: str, year: int) -> Resolution:
    return ctx.library.resolve(
        FactorQuery(
            Parameter.EMISSION_FACTOR,
            "electricity.grid",
            gas="CO2",
            region=region,
            year=year,
            datasets=(GRID,),
        )
    )


def desnz_haul(origin_country: str, destination_country: str, distance_km: Decimal) -> str:
    """DESNZ's flight categories: ``domestic`` within the UK, ``short_haul``/``long_haul`` to or from
    the UK (3,700 km), ``international`` between non-UK airports (DESNZ conversion factors
    methodology paper, "Business travel - air")."""
    if origin_country == destination_country == "GB":
        return "domestic"
    if "GB" in (origin_country, destination_country):
        return "long_haul" if distance_km > DESNZ_LONG_HAUL_KM else "short_haul"
    return "international"


def desnz_class(haul: str, cabin: Cabin) -> tuple[str, str]:
    """The DESNZ class row for ``cabin`` on ``haul`` and the note when DESNZ has no such row."""
    if haul == "domestic":
        return "average", "DESNZ publishes domestic flights for the average passenger only"
    if haul == "short_haul" and cabin in (Cabin.PREMIUM_ECONOMY, Cabin.FIRST):
        shown = "economy" if cabin is Cabin.PREMIUM_ECONOMY else "business"
        return shown, f"DESNZ short-haul has no {cabin.value} row; {shown} used"
    return cabin.value, ""


def _flight(ctx: BillContext, trip: Trip, index: int, item: Flight) -> Line:
    a = airports.airport(item.origin, ("items", index, "origin"))
    b = airports.airport(item.destination, ("items", index, "destination"))
    km = airports.great_circle_km(a, b)
    route = f"{a.iata}→{b.iata}"
    distance_use = FactorUse(
        "great-circle distance",
        km,
        "km",
        airports.dataset_version(),
        f"haversine, R = {airports.EARTH_RADIUS_KM} km (GRS 80 mean radius)",
        "confirmed",
    )
    if item.method is FlightMethod.DESNZ:
        haul = desnz_haul(a.country, b.country, km)
        klass, class_note = desnz_class(haul, item.cabin)
        variant = "with_rf" if item.radiative_forcing else "without_rf"
        region = "GB" if haul == "domestic" else "*"
        found = _desnz(ctx, f"travel.flight.{haul}.{klass}", trip.year, region=region, variant=variant)
        pkm = km * item.passengers
        kg = pkm * found.factor.value
        notes = ["DESNZ air factors include their 8% distance uplift; none is added"]
        notes.append(
            "radiative forcing included (DESNZ with_rf)"
            if item.radiative_forcing
            else "radiative forcing excluded"
        )
        if class_note:
            notes.append(class_note)
        return Line(
            index,
            "flight",
            f"{route} {item.cabin.value} ×{item.passengers}",
            f"DESNZ per passenger-km, {haul}, {klass}, {variant}",
            "E = d_gc × passengers × EF_pkm",
            pkm,
            "passenger_km",
            (distance_use, _library_use("emission factor", found)),
            kg,
            to_grams(kg),
            (("d_gc", f"{km} km"), ("EF", f"{found.factor.value} {found.factor.unit}")),
            tuple(notes),
        )
    if item.radiative_forcing:
        raise InvalidInput(
            "the Travel Impact Model excludes non-CO2 effects",
            [FieldIssue(("items", index, "radiative_forcing"), True, "not available with method tim")],
        )
    aircraft = item.aircraft.upper()
    seats = item.seats or tim.default_seats(ctx.data, aircraft)
    wide = item.wide_body if item.wide_body is not None else tim.is_wide_body(ctx.data, aircraft)
    if seats is None or wide is None:
        raise InvalidInput(
            "the Travel Impact Model needs the aircraft's seat configuration",
            [FieldIssue(("items", index, "seats"), None, "give seats per cabin and wide_body")],
        )
    try:
        result = tim.per_passenger(
            ctx.data,
            distance_km=km,
            cabin=item.cabin,
            seats=seats,
            wide_body=wide,
            aircraft=aircraft,
            fuel_kg=item.fuel_kg,
        )
    except FactorNotFound as exc:
        raise InvalidInput(
            "no fuel burn for this flight",
            [FieldIssue(("items", index, "aircraft"), item.aircraft, exc.detail)],
        ) from None
    kg = result.passenger_wtw_kg * item.passengers
    steps = (
        ("d", f"{km} km = {result.distance_nm} nm"),
        (
            "fuel",
            f"{result.lto_kg} + {result.ccd_kg} = {result.fuel_kg} kg"
            if item.fuel_kg is None
            else f"{result.fuel_kg} kg (given)",
        ),
        ("WTW_flight", f"{result.flight_wtw_kg} kg"),
        ("C", f"{result.capacity}"),
        ("WTW_economy", f"{result.economy_wtw_kg} kg"),
        ("WTW_cabin", f"{result.cabin_wtw_kg} kg (× {result.cabin_factor})"),
        ("WTW_passenger", f"{result.passenger_wtw_kg} kg (÷ {result.load_factor})"),
    )
    return Line(
        index,
        "flight",
        f"{route} {item.cabin.value} ×{item.passengers}" + (f" {aircraft}" if aircraft else ""),
        "Travel Impact Model 1.9.1 (README), well-to-wake",
        "E = (fuel × (EF_WTT + EF_TTW) ÷ C) × k_cabin ÷ LF × passengers",
        Decimal(item.passengers),
        "passenger",
        (distance_use, *(_data_use("TIM", f) for f in result.factors)),
        kg,
        to_grams(kg),
        steps,
        ("radiative forcing excluded (the TIM counts no non-CO2 effects)",),
    )


RAIL_ACTIVITY = {
    RailKind.CONVENTIONAL: "travel.rail.national",
    RailKind.INTERNATIONAL: "travel.rail.international",
}


def _rail(ctx: BillContext, trip: Trip, index: int, item: Rail) -> Line:
    pkm = item.distance_km * item.passengers
    if item.kind is RailKind.HIGH_SPEED:
        energy = ctx.data.get("rail.energy", "high_speed")
        grid = _grid(ctx, trip.region, trip.year)
        kwh = pkm * energy.value
        kg = kwh * grid.factor.value  # t/MWh = kg/kWh
        return Line(
            index,
            "rail",
            f"high-speed rail {item.distance_km} km ×{item.passengers}",
            "energy × grid factor",
            "E = d × passengers × e_pkm × EF_grid",
            pkm,
            "passenger_km",
            (_data_use("energy per passenger-km", energy), _library_use("grid emission factor", grid)),
            kg,
            to_grams(kg),
            (("kWh", f"{kwh}"),),
            ("t/MWh read as kg/kWh",),
        )
    activity = RAIL_ACTIVITY[item.kind]
    region = "*" if item.kind is RailKind.INTERNATIONAL else "GB"
    found = _desnz(ctx, activity, trip.year, region=region)
    kg = pkm * found.factor.value
    return Line(
        index,
        "rail",
        f"{item.kind.value} rail {item.distance_km} km ×{item.passengers}",
        "DESNZ per passenger-km",
        "E = d × passengers × EF_pkm",
        pkm,
        "passenger_km",
        (_library_use("emission factor", found),),
        kg,
        to_grams(kg),
        (),
        (PROXY_NOTE,) if region == "GB" else (),
    )


def _road(ctx: BillContext, trip: Trip, index: int, item: Road) -> Line:
    what = f"{item.mode.value} {item.fuel.value} {item.distance_km} km"
    if item.fuel is Fuel.ELECTRIC:
        kind = "coach" if item.mode in (RoadMode.COACH, RoadMode.BUS) else "car"
        uses: list[FactorUse] = []
        if item.kwh_per_km is None:
            row = ctx.data.get("road.ev_consumption", kind)
            per_km, uses = row.value, [_data_use("energy per vehicle-km", row)]
        else:
            per_km = item.kwh_per_km
        grid = _grid(ctx, trip.region, trip.year)
        uses.append(_library_use("grid emission factor", grid))
        kwh = item.distance_km * per_km
        kg = kwh * grid.factor.value / item.passengers
        return Line(
            index,
            "road",
            f"{what} ÷{item.passengers}",
            "electric vehicle: energy × region's grid factor",
            "E = d × e_km × EF_grid ÷ passengers",
            item.distance_km,
            "vehicle_km",
            tuple(uses),
            kg,
            to_grams(kg),
            (("kWh", f"{kwh}"), ("e_km", f"{per_km} kWh/km")),
            ("t/MWh read as kg/kWh",),
        )
    if item.mode is RoadMode.CAR:
        key = item.fuel.value if item.fuel is not Fuel.AVERAGE else "petrol"
        row = ctx.data.get("road.car", key)
        kg = item.distance_km * row.value / item.passengers
        return Line(
            index,
            "road",
            f"{what} ÷{item.passengers}",
            "per vehicle-km shared by the car's passengers",
            "E = d × EF_vkm ÷ passengers",
            item.distance_km,
            "vehicle_km",
            (_data_use("emission factor", row),),
            kg,
            to_grams(kg),
            (),
            (),
        )
    if item.mode is RoadMode.TAXI:
        activity = "travel.taxi.regular"
    else:
        activity = "travel.bus.coach" if item.mode is RoadMode.COACH else "travel.bus.local_average"
    found = _desnz(ctx, activity, trip.year, region="GB")
    pkm = item.distance_km * item.passengers
    kg = pkm * found.factor.value
    return Line(
        index,
        "road",
        f"{item.mode.value} {item.distance_km} km ×{item.passengers}",
        "DESNZ per passenger-km",
        "E = d × passengers × EF_pkm",
        pkm,
        "passenger_km",
        (_library_use("emission factor", found),),
        kg,
        to_grams(kg),
        (),
        (PROXY_NOTE,),
    )


def _ferry(ctx: BillContext, trip: Trip, index: int, item: Ferry) -> Line:
    activity = "travel.ferry.foot_passenger" if item.foot_passenger else "travel.ferry.average_passenger"
    found = _desnz(ctx, activity, trip.year)
    pkm = item.distance_km * item.passengers
    kg = pkm * found.factor.value
    return Line(
        index,
        "ferry",
        f"ferry {item.distance_km} km ×{item.passengers}",
        "DESNZ per passenger-km",
        "E = d × passengers × EF_pkm",
        pkm,
        "passenger_km",
        (_library_use("emission factor", found),),
        kg,
        to_grams(kg),
        (),
        (),
    )


def _hotel(ctx: BillContext, trip: Trip, index: int, item: HotelStay) -> Line:
    room_nights = Decimal(item.nights * item.rooms)
    label = f"{item.hotel or 'hotel'} {item.country} {item.nights} nights ×{item.rooms}"
    if item.kg_per_night is not None:
        kg = room_nights * item.kg_per_night
        use = FactorUse(
            "hotel's measured figure",
            item.kg_per_night,
            "kg/room_night",
            f"hotel:{item.hotel}",
            "the hotel's own measured figure",
            "verify",
        )
        return Line(
            index,
            "hotel",
            label,
            "hotel's own per-night figure",
            "E = nights × rooms × EF_night",
            room_nights,
            "room_night",
            (use,),
            kg,
            to_grams(kg),
            (),
            (),
        )
    try:
        found = _desnz(ctx, f"hotel.{item.country}", trip.year)
    except FactorNotFound:
        raise InvalidInput(
            "no hotel factor for this country",
            [
                FieldIssue(
                    ("items", index, "country"), item.country, "no DESNZ hotel factor; give kg_per_night"
                )
            ],
        ) from None
    kg = room_nights * found.factor.value
    return Line(
        index,
        "hotel",
        label,
        "DESNZ hotel stay per room-night",
        "E = nights × rooms × EF_night",
        room_nights,
        "room_night",
        (_library_use("emission factor", found),),
        kg,
        to_grams(kg),
        (),
        (),
    )


def _meals(ctx: BillContext, trip: Trip, index: int, item: Meals) -> Line:
    row = ctx.data.get("meal.diet_day", item.diet.value)
    kg = Decimal(item.count) * row.value / 3
    return Line(
        index,
        "meal",
        f"{item.count} {item.diet.value} meals",
        "diet-day factor ÷ 3 meals",
        "E = meals × EF_day ÷ 3",
        Decimal(item.count),
        "meal",
        (_data_use("emission factor", row),),
        kg,
        to_grams(kg),
        (),
        (),
    )


def _activity(ctx: BillContext, trip: Trip, index: int, item: Activity) -> Line:
    row = ctx.data.find("activity", item.kind)
    if row is None:
        raise InvalidInput(
            "unknown activity",
            [
                FieldIssue(
                    ("items", index, "kind"), item.kind, f"one of {', '.join(ctx.data.keys('activity'))}"
                )
            ],
        )
    kg = Decimal(item.participants) * row.value
    return Line(
        index,
        "activity",
        f"{item.kind} ×{item.participants}",
        "per participant (destination's figure)",
        "E = participants × EF_participant",
        Decimal(item.participants),
        "participant",
        (_data_use("emission factor", row),),
        kg,
        to_grams(kg),
        (),
        (),
    )


def _line(ctx: BillContext, trip: Trip, index: int, item: Item) -> Line:
    if isinstance(item, Flight):
        return _flight(ctx, trip, index, item)
    if isinstance(item, Rail):
        return _rail(ctx, trip, index, item)
    if isinstance(item, Road):
        return _road(ctx, trip, index, item)
    if isinstance(item, Ferry):
        return _ferry(ctx, trip, index, item)
    if isinstance(item, HotelStay):
        return _hotel(ctx, trip, index, item)
    if isinstance(item, Meals):
        return _meals(ctx, trip, index, item)
    return _activity(ctx, trip, index, item)


def compute_bill(ctx: BillContext, trip: Trip) -> Bill:
    """Every item's line, in the trip's order. A factor not found names the item it belongs to."""
    lines = []
    for index, item in enumerate(trip.items):
        try:
            lines.append(_line(ctx, trip, index, item))
        except FactorNotFound as exc:
            raise FactorNotFound(f"item {index}: {exc.detail}", list(exc.issues)) from None
    return Bill(trip, tuple(lines))


def line_dict(line: Line) -> dict[str, object]:
    """A line as JSON-ready data (decimals as strings), as the bill is stored and served."""
    return {
        "index": line.index,
        "kind": line.kind,
        "description": line.description,
        "method": line.method,
        "equation": line.equation,
        "quantity": str(line.quantity),
        "unit": line.unit,
        "kg": str(quantize(line.kg, 3)),
        "grams": line.grams,
        "verify": line.verify,
        "factors": [
            {
                "role": f.role,
                "value": str(f.value),
                "unit": f.unit,
                "key": f.key,
                "source": f.source,
                "confidence": f.confidence,
                "note": f.note,
            }
            for f in line.factors
        ],
        "steps": [list(s) for s in line.steps],
        "notes": list(line.notes),
    }
