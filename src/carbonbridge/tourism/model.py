"""The tourism context's domain types: a trip's items, the bill's traced lines, the compensation
pool's retirements and allocations.

Masses on a bill are whole grams of CO2e (``int``); calculations run in ``Decimal`` kilograms and
are rounded to grams once per line (:func:`carbonbridge.tourism.bill.to_grams`). Money is integer fen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

#: grams in one tonne: registry units are whole tonnes, bills are grams
GRAMS_PER_TONNE = 1_000_000


class Cabin(StrEnum):
    ECONOMY = "economy"
    PREMIUM_ECONOMY = "premium_economy"
    BUSINESS = "business"
    FIRST = "first"


class FlightMethod(StrEnum):
    """How a flight line is computed (``docs/tourism.md``, "Flights")."""

    #: DESNZ per-passenger-km factor by haul and class on the great-circle distance
    DESNZ = "desnz"
    #: Google's Travel Impact Model as its README publishes it (fuel burn, seat area, load factor)
    TIM = "tim"


class RailKind(StrEnum):
    HIGH_SPEED = "high_speed"
    CONVENTIONAL = "conventional"
    INTERNATIONAL = "international"


class RoadMode(StrEnum):
    CAR = "car"
    TAXI = "taxi"
    COACH = "coach"
    BUS = "bus"


class Fuel(StrEnum):
    PETROL = "petrol"
    DIESEL = "diesel"
    HYBRID = "hybrid"
    ELECTRIC = "electric"
    #: the factor's own average (taxis, buses and coaches as DESNZ publishes them)
    AVERAGE = "average"


class Diet(StrEnum):
    MEAT = "meat"
    FISH = "fish"
    VEGETARIAN = "vegetarian"
    VEGAN = "vegan"


@dataclass(frozen=True)
class Seats:
    """Seats per cabin of one aircraft (the TIM's seat configuration)."""

    economy: int
    premium_economy: int
    business: int
    first: int

    def of(self, cabin: Cabin) -> int:
        return int(getattr(self, cabin.value))


@dataclass(frozen=True)
class Flight:
    """A flight by IATA airport codes. ``fuel_kg`` (the whole flight's fuel burn) replaces the
    TIM's fuel-burn table for aircraft it does not ship; ``seats`` the aircraft's configuration."""

    origin: str
    destination: str
    cabin: Cabin = Cabin.ECONOMY
    method: FlightMethod = FlightMethod.DESNZ
    radiative_forcing: bool = False
    passengers: int = 1
    flight_number: str = ""
    aircraft: str = ""
    fuel_kg: Decimal | None = None
    seats: Seats | None = None
    wide_body: bool | None = None


@dataclass(frozen=True)
class Rail:
    distance_km: Decimal
    kind: RailKind = RailKind.CONVENTIONAL
    passengers: int = 1


@dataclass(frozen=True)
class Road:
    """A road journey. Cars are per vehicle-km shared by ``passengers``; taxis per vehicle-km;
    buses and coaches per passenger-km. An electric vehicle is computed from its energy use on
    the region's grid factor."""

    distance_km: Decimal
    mode: RoadMode = RoadMode.CAR
    fuel: Fuel = Fuel.PETROL
    passengers: int = 1
    kwh_per_km: Decimal | None = None


@dataclass(frozen=True)
class Ferry:
    distance_km: Decimal
    foot_passenger: bool = True
    passengers: int = 1


@dataclass(frozen=True)
class HotelStay:
    """Room-nights in ``country`` (ISO 3166-1 alpha-2). ``kg_per_night`` is a hotel's own measured
    figure, which replaces the country average."""

    country: str
    nights: int
    rooms: int = 1
    hotel: str = ""
    kg_per_night: Decimal | None = None


@dataclass(frozen=True)
class Meals:
    count: int
    diet: Diet = Diet.MEAT


@dataclass(frozen=True)
class Activity:
    kind: str
    participants: int = 1


Item = Flight | Rail | Road | Ferry | HotelStay | Meals | Activity


@dataclass(frozen=True)
class Trip:
    """A visitor's trip: dates and items. ``region`` is the destination (ISO 3166-2, ``CN-HI``)."""

    reference: str
    region: str
    start: date
    end: date
    items: tuple[Item, ...]
    visitor: str = ""

    @property
    def year(self) -> int:
        return self.start.year


@dataclass(frozen=True)
class FactorUse:
    """One factor a line used: its value and unit, where it comes from, and its confidence."""

    role: str
    value: Decimal
    unit: str
    key: str
    source: str
    confidence: str
    note: str = ""


@dataclass(frozen=True)
class Line:
    """One item of the bill with its trace: what was computed, by which method and equation, from
    which factors (``explain``)."""

    index: int
    kind: str
    description: str
    method: str
    equation: str
    quantity: Decimal
    unit: str
    factors: tuple[FactorUse, ...]
    kg: Decimal
    grams: int
    steps: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def verify(self) -> bool:
        """Whether any factor of the line still awaits a check against its source."""
        return any(f.confidence != "confirmed" for f in self.factors)


@dataclass(frozen=True)
class Bill:
    trip: Trip
    lines: tuple[Line, ...]

    @property
    def grams(self) -> int:
        return sum(line.grams for line in self.lines)


class BillStatus(StrEnum):
    OPEN = "open"
    COMPENSATED = "compensated"


@dataclass(frozen=True)
class StoredBill:
    """A bill as stored: its id, the computed lines (as JSON-ready dicts), status and amounts."""

    id: str
    reference: str
    region: str
    start: date
    end: date
    grams: int
    lines: tuple[dict[str, object], ...]
    status: BillStatus
    created_at: datetime
    log_index: int
    amount_fen: int | None = None
    payment_reference: str = ""
    compensated_at: datetime | None = None
    allocations: tuple[Allocation, ...] = field(default=())


@dataclass(frozen=True)
class Pool:
    """The compensation pool: a registry holding account it retires whole tonnes from, and its
    published price in fen per tonne."""

    id: str
    name: str
    account_id: str
    organisation_id: str
    fen_per_tonne: int


@dataclass(frozen=True)
class PoolRetirement:
    """Whole tonnes the pool retired in the registry, and how many grams of them are allocated."""

    id: str
    pool_id: str
    operation_id: str
    project_id: str
    vintage: int
    tonnes: int
    serials: tuple[str, ...]
    allocated_grams: int
    log_index: int

    @property
    def grams(self) -> int:
        return self.tonnes * GRAMS_PER_TONNE

    @property
    def remaining_grams(self) -> int:
        return self.grams - self.allocated_grams


@dataclass(frozen=True)
class Allocation:
    """Grams of one pool retirement allocated to one bill; logged, with its receipt."""

    id: str
    bill_id: str
    retirement_id: str
    grams: int
    project_id: str = ""
    serials: tuple[str, ...] = ()
    log_index: int = -1
    receipt: str = ""


@dataclass(frozen=True)
class Compensation:
    """What compensating a bill returns: the bill, its allocations, the amount and the receipt."""

    bill: StoredBill
    allocations: tuple[Allocation, ...]
    amount_fen: int
    receipt: str
