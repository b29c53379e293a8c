"""Google's Travel Impact Model (TIM) 1.9.1, per passenger, as its README publishes the method
("Model overview" and "Example emission estimation",
https://github.com/google/travel-impact-model/blob/main/README.md).

1. great-circle distance in nautical miles (km ÷ 1.852, to 0.1 nm);
2. fuel burn = LTO + CCD(d), CCD linearly interpolated (or extrapolated) between the aircraft's
   distance rows (EEA 2019 master emissions calculator), to whole kg;
3. flight CO2e: WTT = fuel × 0.6465, TTW = fuel × 3.1894 kg CO2e/kg (to whole kg), WTW = fuel ×
   (0.6465 + 3.1894) (to whole kg);
4. equivalent capacity C = Σ seats × seat-area factor (narrow- or wide-body, IATA RP 1726);
   per economy seat: WTT/C and TTW/C (to 0.001 kg), WTW = their sum;
5. cabin: × the cabin's seat-area factor (to 0.001 kg);
6. occupied seat: ÷ load factor 0.845 (to 0.001 kg).

Rounding is half-up at exactly the points the README's example rounds. Cargo is not apportioned
(README, "Limitations: cargo load is not yet supported"); the README states no route factor
beyond the great-circle distance, so none is applied. Non-CO2 effects are not included.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from carbonbridge.kernel.errors import FactorNotFound
from carbonbridge.tourism.airports import KM_PER_NAUTICAL_MILE
from carbonbridge.tourism.dataset import TourismDataset, TourismFactor
from carbonbridge.tourism.model import Cabin, Seats

CABINS = (Cabin.FIRST, Cabin.BUSINESS, Cabin.PREMIUM_ECONOMY, Cabin.ECONOMY)


def _round(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TimResult:
    """Per-passenger CO2e (kg) of one cabin with every intermediate the README prints."""

    distance_nm: Decimal
    lto_kg: Decimal
    ccd_kg: Decimal
    fuel_kg: Decimal
    flight_wtt_kg: Decimal
    flight_ttw_kg: Decimal
    flight_wtw_kg: Decimal
    capacity: Decimal
    economy_wtt_kg: Decimal
    economy_ttw_kg: Decimal
    economy_wtw_kg: Decimal
    cabin_factor: Decimal
    cabin_wtw_kg: Decimal
    load_factor: Decimal
    passenger_wtt_kg: Decimal
    passenger_ttw_kg: Decimal
    passenger_wtw_kg: Decimal
    factors: tuple[TourismFactor, ...]


def distance_nm(distance_km: Decimal) -> Decimal:
    return _round(distance_km / KM_PER_NAUTICAL_MILE, 1)


def fuel_burn(
    data: TourismDataset, aircraft: str, nm: Decimal
) -> tuple[Decimal, Decimal, list[TourismFactor]]:
    """LTO and CCD fuel (kg) of ``aircraft`` over ``nm``: the README's interpolation
    ``CCD = c_i + (d − d_i)(c_j − c_i)/(d_j − d_i)`` between the bracketing rows (the two nearest
    rows outside the table's range: extrapolation)."""
    activity = f"tim.fuel_burn.{aircraft}"
    lto = data.find(activity, "lto")
    points = sorted(
        (Decimal(k.split(".", 1)[1]), data.get(activity, k))
        for k in data.keys(activity)
        if k.startswith("ccd.")
    )
    if lto is None or len(points) < 2:
        raise FactorNotFound(
            f"the Travel Impact Model's fuel-burn rows for aircraft {aircraft or '(none)'} are not shipped; "
            "give the flight's fuel_kg"
        )
    upper = next((i for i, (d, _) in enumerate(points) if d >= nm), len(points) - 1)
    upper = max(upper, 1)
    (d0, f0), (d1, f1) = points[upper - 1], points[upper]
    ccd = _round(f0.value + (nm - d0) * (f1.value - f0.value) / (d1 - d0), 0)
    return lto.value, ccd, [lto, f0, f1]


def seat_factors(data: TourismDataset, wide_body: bool) -> dict[Cabin, TourismFactor]:
    body = "wide" if wide_body else "narrow"
    return {c: data.get("tim.seat_area", f"{body}.{c.value}") for c in CABINS}


def per_passenger(
    data: TourismDataset,
    *,
    distance_km: Decimal,
    cabin: Cabin,
    seats: Seats,
    wide_body: bool,
    aircraft: str = "",
    fuel_kg: Decimal | None = None,
) -> TimResult:
    """Steps 1-6 of the module docstring. ``fuel_kg`` (the caller's whole-flight fuel burn)
    replaces step 2 for an aircraft whose fuel-burn rows are not shipped."""
    nm = distance_nm(distance_km)
    used: list[TourismFactor] = []
    if fuel_kg is None:
        lto, ccd, rows = fuel_burn(data, aircraft, nm)
        used.extend(rows)
        fuel = lto + ccd
    else:
        lto, ccd, fuel = Decimal(0), Decimal(0), fuel_kg
    wtt_f = data.get("tim.fuel_to_co2e", "wtt")
    ttw_f = data.get("tim.fuel_to_co2e", "ttw")
    lf = data.get("tim.load_factor", "global")
    factors = seat_factors(data, wide_body)
    used.extend([wtt_f, ttw_f, lf, *factors.values()])
    flight_wtt = _round(fuel * wtt_f.value, 0)
    flight_ttw = _round(fuel * ttw_f.value, 0)
    flight_wtw = _round(fuel * (wtt_f.value + ttw_f.value), 0)
    capacity = sum((seats.of(c) * factors[c].value for c in CABINS), Decimal(0))
    if capacity <= 0:
        raise FactorNotFound("the aircraft's seat configuration has no seats")
    eco_wtt = _round(flight_wtt / capacity, 3)
    eco_ttw = _round(flight_ttw / capacity, 3)
    eco_wtw = eco_wtt + eco_ttw
    k = factors[cabin].value
    cabin_wtt, cabin_ttw, cabin_wtw = _round(eco_wtt * k, 3), _round(eco_ttw * k, 3), _round(eco_wtw * k, 3)
    return TimResult(
        nm,
        lto,
        ccd,
        fuel,
        flight_wtt,
        flight_ttw,
        flight_wtw,
        capacity,
        eco_wtt,
        eco_ttw,
        eco_wtw,
        k,
        cabin_wtw,
        lf.value,
        _round(cabin_wtt / lf.value, 3),
        _round(cabin_ttw / lf.value, 3),
        _round(cabin_wtw / lf.value, 3),
        tuple(used),
    )


def default_seats(data: TourismDataset, aircraft: str) -> Seats | None:
    """The seat configuration shipped for ``aircraft`` (the README's own example), if any."""
    counts: dict[Cabin, int] = {}
    for cabin in CABINS:
        row = data.find(f"tim.seats.{aircraft}", cabin.value)
        if row is None:
            return None
        counts[cabin] = int(row.value)
    return Seats(
        counts[Cabin.ECONOMY], counts[Cabin.PREMIUM_ECONOMY], counts[Cabin.BUSINESS], counts[Cabin.FIRST]
    )


def is_wide_body(data: TourismDataset, aircraft: str) -> bool | None:
    row = data.find(f"tim.body.{aircraft}", "wide")
    return None if row is None else True
