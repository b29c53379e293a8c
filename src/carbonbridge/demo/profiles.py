"""What each kind of synthetic organisation reports: facilities and activity lines with annual
magnitudes plausible for its size (engineering rules of thumb, not statistics of any real site).

A hotel uses about 10-18 MWh of electricity per room a year (a 200-room hotel: 2-4 GWh); a
cement plant burns about 0.11 t coal per t clinker and uses about 90-110 kWh per t clinker; an
electric bus uses about 1.1-1.3 kWh/km over about 60,000 km a year.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from carbonbridge.accounting.model import ActivityCategory as Cat
from carbonbridge.accounting.model import OrganisationKind as Kind

#: Relative monthly weights (Jan..Dec). Hainan's tourist season is winter; cooling peaks in summer.
TOURISM = (1.3, 1.35, 1.15, 1.0, 0.85, 0.75, 0.9, 0.9, 0.7, 0.9, 1.0, 1.2)
COOLING = (0.8, 0.8, 0.9, 1.0, 1.15, 1.2, 1.25, 1.25, 1.15, 1.0, 0.85, 0.75)
DRY_SEASON = (1.6, 1.6, 1.5, 1.2, 0.8, 0.6, 0.6, 0.6, 0.6, 0.7, 0.9, 1.3)
FLAT = (1.0,) * 12
#: Activity relative to 2024 (tourism recovering after 2022; the bus fleet electrifying).
RECOVERY = {2023: 0.93, 2024: 1.0, 2025: 1.04}
STEADY = {2023: 0.98, 2024: 1.0, 2025: 1.01}
ELECTRIFYING = {2023: 0.86, 2024: 1.0, 2025: 1.12}
PHASING_OUT = {2023: 1.2, 2024: 1.0, 2025: 0.82}
#: Business travel (Scope 3 category 6) and waste generated in operations (category 5) are collected
#: from 2025: the first year for which a shipped, cited factor set (UK DESNZ 2025: travel, hotel stays,
#: waste disposal) exists. The factor library never applies a factor published for a later year, so
#: earlier years would need factors the platform lacks.
SCOPE3_FROM = 2025
#: Liquid fuels are reported by mass, as the China MEE guidelines ask (t); a litre figure would need a
#: density no shipped dataset publishes. Typical densities convert the synthetic litres to tonnes.
_DENSITY_T_PER_L = {"diesel": 0.00084, "motor_gasoline": 0.00074}


@dataclass(frozen=True)
class Line:
    """One series a facility reports: ``annual`` quantity in ``unit`` for 2024."""

    facility: int
    activity: str
    category: Cat
    unit: str
    annual: float
    #: ``M`` monthly, ``Q`` quarterly, ``A`` annually
    frequency: str
    places: int
    weights: tuple[float, ...] = FLAT
    trend: dict[int, float] | None = None
    instrument: str | None = None
    #: chance the line is reported in a given year (refrigerant top-ups are occasional)
    chance: float = 1.0
    #: first year the line is reported (``None``: every year)
    from_year: int | None = None


@dataclass(frozen=True)
class OrganisationSpec:
    """A synthetic organisation before ids are assigned."""

    kind: Kind
    name_en: str
    name_zh: str
    facilities: tuple[tuple[str, str], ...]
    lines: tuple[Line, ...]


def _electricity(
    facility: int,
    kwh: float,
    weights: tuple[float, ...],
    trend: dict[int, float],
    rng: random.Random,
    gec_chance: float = 0.25,
) -> list[Line]:
    """Grid electricity, part of it covered by green certificates (GEC) for some reporters."""
    unit, amount, places = ("MWh", kwh / 1000, 1) if kwh > 5e6 else ("kWh", kwh, 0)
    share = rng.uniform(0.2, 0.5) if rng.random() < gec_chance else 0.0
    lines = [
        Line(
            facility,
            "electricity.grid",
            Cat.PURCHASED_ELECTRICITY,
            unit,
            amount * (1 - share),
            "M",
            places,
            weights,
            trend,
        )
    ]
    if share:
        lines.append(
            Line(
                facility,
                "electricity.grid",
                Cat.PURCHASED_ELECTRICITY,
                unit,
                amount * share,
                "M",
                places,
                weights,
                trend,
                "GEC",
            )
        )
    return lines


def _fuel(
    facility: int,
    fuel: str,
    unit: str,
    annual: float,
    frequency: str = "Q",
    places: int = 0,
    weights: tuple[float, ...] = FLAT,
    trend: dict[int, float] | None = None,
) -> Line:
    if unit == "L":
        unit, annual, places = "t", annual * _DENSITY_T_PER_L[fuel], 3
    return Line(
        facility,
        f"fuel.{fuel}",
        Cat.STATIONARY_COMBUSTION,
        unit,
        annual,
        frequency,
        places,
        weights,
        trend,
    )


def _mobile(
    facility: int,
    fuel: str,
    unit: str,
    annual: float,
    frequency: str = "Q",
    trend: dict[int, float] | None = None,
) -> Line:
    places = 0
    if unit == "L":
        unit, annual, places = "t", annual * _DENSITY_T_PER_L[fuel], 3
    return Line(
        facility, f"mobile.{fuel}", Cat.MOBILE_COMBUSTION, unit, annual, frequency, places, trend=trend
    )


def _refrigerant(facility: int, gas: str, kg: float, chance: float = 0.6) -> Line:
    return Line(facility, f"refrigerant.{gas}", Cat.REFRIGERANT, "kg", kg, "A", 1, chance=chance)


def _waste(facility: int, stream: str, route: str, tonnes: float) -> Line:
    """Waste sent for treatment (DESNZ 2025 "Waste disposal" stream and route), reported quarterly."""
    return Line(facility, f"waste.{stream}.{route}", Cat.WASTE, "t", tonnes, "Q", 2, from_year=SCOPE3_FROM)


def _travel(facility: int, rng: random.Random, scale: float) -> list[Line]:
    """Business travel: long-haul flights and hotel nights in China (DESNZ 2025 factors)."""
    lines = [
        Line(
            facility,
            "travel.flight.long_haul.economy",
            Cat.BUSINESS_TRAVEL,
            "passenger_km",
            scale * rng.uniform(30e3, 150e3),
            "A",
            0,
            from_year=SCOPE3_FROM,
        )
    ]
    if rng.random() < 0.5:
        lines.append(
            Line(
                facility,
                "hotel.CN",
                Cat.BUSINESS_TRAVEL,
                "room_night",
                scale * rng.uniform(20, 120),
                "A",
                0,
                from_year=SCOPE3_FROM,
            )
        )
    return lines


def hotel(n: int, rng: random.Random) -> OrganisationSpec:
    """A resort or city hotel of 60-420 rooms; the largest have a second (villa) facility."""
    rooms = rng.randint(60, 420)
    facilities = [("main building", "主楼")] + ([("villa annex", "别墅区")] if rooms > 280 else [])
    kwh = rooms * rng.uniform(10e3, 18e3)
    lines = _electricity(0, kwh * (0.8 if len(facilities) > 1 else 1), TOURISM, RECOVERY, rng, 0.3)
    if len(facilities) > 1:
        lines += _electricity(1, kwh * 0.2, TOURISM, RECOVERY, rng, 0.0)
    if rng.random() < 0.6:
        lines.append(_fuel(0, "natural_gas", "Nm3", rooms * rng.uniform(400, 800), "M", 0, TOURISM, RECOVERY))
    else:
        lines.append(_fuel(0, "lpg", "kg", rooms * rng.uniform(250, 450), "M", 0, TOURISM, RECOVERY))
    lines += [
        _fuel(0, "diesel", "L", rooms * rng.uniform(5, 12)),
        _refrigerant(0, "R-410A", rooms * rng.uniform(0.05, 0.15)),
        # about 0.3-0.6 t of waste per room a year: residual waste part landfilled, part burnt;
        # kitchen waste to anaerobic digestion; cardboard recycled (a synthetic split)
        _waste(0, "commercial_industrial", "landfill", rooms * rng.uniform(0.1, 0.2)),
        _waste(0, "commercial_industrial", "combustion", rooms * rng.uniform(0.1, 0.2)),
        _waste(0, "food_drink", "anaerobic_digestion", rooms * rng.uniform(0.08, 0.16)),
        _waste(0, "paper_board_mixed", "recycling_closed_loop", rooms * rng.uniform(0.02, 0.05)),
    ]
    return OrganisationSpec(
        Kind.HOTEL, f"Demo Bay Hotel {n:02d}", f"示范湾酒店{n:02d}", tuple(facilities), tuple(lines)
    )


def government(n: int, rng: random.Random) -> OrganisationSpec:
    """A county government office building (some with a second site)."""
    facilities = [("office building", "办公楼")] + ([("service centre", "服务中心")] if n % 3 == 0 else [])
    lines = _electricity(0, rng.uniform(150e3, 1.2e6), COOLING, STEADY, rng, 0.3)
    if len(facilities) > 1:
        lines += _electricity(1, rng.uniform(60e3, 250e3), COOLING, STEADY, rng, 0.0)
    lines += [
        _mobile(0, "motor_gasoline", "L", rng.uniform(3e3, 15e3)),
        _fuel(0, "lpg", "kg", rng.uniform(2e3, 8e3)),
        _refrigerant(0, "R-410A", rng.uniform(5, 30), 0.5),
        *_travel(0, rng, 1.0),
        _waste(0, "commercial_industrial", "landfill", rng.uniform(15, 60)),
        _waste(0, "paper_board_mixed", "recycling_closed_loop", rng.uniform(3, 10)),
    ]
    return OrganisationSpec(
        Kind.GOVERNMENT,
        f"Demo County Government Office {n:02d}",
        f"示范县政府机关{n:02d}",
        tuple(facilities),
        tuple(lines),
    )


def farm(n: int, rng: random.Random) -> OrganisationSpec:
    """A tropical-fruit or rice farm irrigating with diesel pumps and grid electricity."""
    facilities = [("farm", "农场")] + ([("pump station", "泵站")] if n % 2 == 0 else [])
    pumps = len(facilities) - 1
    lines = _electricity(pumps, rng.uniform(40e3, 300e3), DRY_SEASON, STEADY, rng, 0.0)
    lines.append(_fuel(pumps, "diesel", "L", rng.uniform(4e3, 25e3), "Q", 0, DRY_SEASON))
    if rng.random() < 0.6:
        lines.append(_mobile(0, "diesel", "L", rng.uniform(2e3, 10e3)))
    return OrganisationSpec(
        Kind.FARM,
        f"Demo Tropical Farm {n:02d}",
        f"示范热带农场{n:02d}",
        tuple(facilities),
        tuple(lines),
    )


def hospital(rng: random.Random) -> OrganisationSpec:
    """The county people's hospital (about 300 beds) and its outpatient clinic."""
    lines = _electricity(0, rng.uniform(7e6, 9e6), COOLING, STEADY, rng, 0.0)
    lines += _electricity(1, rng.uniform(4e5, 7e5), COOLING, STEADY, rng, 0.0)
    lines += [
        _fuel(0, "natural_gas", "Nm3", rng.uniform(3.5e5, 4.5e5), "M", 0, FLAT, STEADY),
        _fuel(0, "diesel", "L", rng.uniform(4e3, 6e3)),
        Line(0, "heat.purchased", Cat.PURCHASED_HEAT, "GJ", rng.uniform(2.5e3, 3.5e3), "Q", 1),
        _refrigerant(0, "HFC-134a", rng.uniform(25, 50), 0.8),
        _refrigerant(0, "R-404A", rng.uniform(8, 20), 0.5),
        *_travel(0, rng, 0.6),
        # general (non-clinical) waste and canteen waste; clinical waste has no DESNZ factor
        _waste(0, "commercial_industrial", "combustion", rng.uniform(120, 180)),
        _waste(0, "commercial_industrial", "landfill", rng.uniform(40, 80)),
        _waste(0, "food_drink", "composting", rng.uniform(30, 60)),
    ]
    return OrganisationSpec(
        Kind.HOSPITAL,
        "Demo County People's Hospital",
        "示范县人民医院",
        (("hospital", "住院部"), ("outpatient clinic", "门诊部")),
        tuple(lines),
    )


def water_plant(rng: random.Random) -> OrganisationSpec:
    """The county water works: about 35,000 m³/day at 0.25-0.35 kWh/m³."""
    kwh = 35e3 * 365 * rng.uniform(0.25, 0.35)
    lines = _electricity(0, kwh * 0.75, COOLING, STEADY, rng, 0.0)
    lines += _electricity(1, kwh * 0.25, COOLING, STEADY, rng, 0.0)
    lines.append(_fuel(1, "diesel", "L", rng.uniform(2e3, 4e3)))
    return OrganisationSpec(
        Kind.WATER_UTILITY,
        "Demo County Water Works",
        "示范县自来水厂",
        (("treatment works", "净水厂"), ("pumping station", "加压泵站")),
        tuple(lines),
    )


def cement_plant(rng: random.Random) -> OrganisationSpec:
    """A clinker line of about 0.45-0.55 Mt/yr with its quarry."""
    clinker = rng.uniform(4.5e5, 5.5e5)
    lines = [
        Line(0, "process.clinker", Cat.PROCESS, "t", clinker, "M", 1, trend=STEADY),
        _fuel(
            0,
            "other_bituminous_coal",
            "t",
            clinker * rng.uniform(0.105, 0.12),
            "M",
            1,
            FLAT,
            STEADY,
        ),
        _fuel(0, "residual_fuel_oil", "t", rng.uniform(150, 250), "Q", 2),
        _fuel(1, "diesel", "t", rng.uniform(300, 400), "Q", 2),
        *_travel(0, rng, 0.5),
    ]
    lines += _electricity(0, clinker * rng.uniform(90, 110), FLAT, STEADY, rng, 0.0)
    return OrganisationSpec(
        Kind.CEMENT,
        "Demo Cement Co.",
        "示范水泥有限公司",
        (("kiln line", "熟料生产线"), ("quarry", "矿山")),
        tuple(lines),
    )


def bus_company(rng: random.Random) -> OrganisationSpec:
    """The county bus company: e-buses replacing diesel, some CNG, two depots."""
    lines = _electricity(0, rng.uniform(4e6, 4.6e6), FLAT, ELECTRIFYING, rng, 0.0)
    lines += _electricity(1, rng.uniform(2.6e6, 3e6), FLAT, ELECTRIFYING, rng, 0.0)
    lines += [
        _mobile(0, "diesel", "L", rng.uniform(3.4e5, 3.8e5), "M", PHASING_OUT),
        _mobile(1, "natural_gas", "Nm3", rng.uniform(3.8e5, 4.4e5), "M", STEADY),
        _refrigerant(0, "HFC-134a", rng.uniform(40, 80), 0.9),
    ]
    return OrganisationSpec(
        Kind.BUS_COMPANY,
        "Demo County Bus Co.",
        "示范县公共交通有限公司",
        (("north depot", "北车场"), ("south depot", "南车场")),
        tuple(lines),
    )


_COMMERCIAL = (
    ("Demo Seaside Mall", "示范海滨购物中心", 4e6, "R-410A", "natural_gas"),
    ("Demo Supermarket", "示范超市", 1.5e6, "R-404A", None),
    ("Demo Duty-Free Store", "示范免税店", 1.2e6, "R-410A", None),
    ("Demo Office Tower", "示范写字楼", 2.5e6, "R-410A", None),
    ("Demo Scenic Area Operator", "示范景区运营公司", 6e5, "R-410A", "lpg"),
    ("Demo Logistics Co.", "示范物流公司", 3e5, "HFC-134a", None),
)


def commercial(n: int, rng: random.Random) -> OrganisationSpec:
    """A shop, office or service business (the n-th of six)."""
    name_en, name_zh, kwh, gas, fuel = _COMMERCIAL[n - 1]
    lines = _electricity(0, kwh * rng.uniform(0.85, 1.15), COOLING, RECOVERY, rng, 0.4)
    lines.append(_refrigerant(0, gas, rng.uniform(10, 80), 0.7))
    if fuel == "natural_gas":
        lines.append(_fuel(0, fuel, "Nm3", rng.uniform(6e4, 1e5), "M", 0, TOURISM, RECOVERY))
    elif fuel == "lpg":
        lines.append(_fuel(0, fuel, "kg", rng.uniform(5e3, 1.5e4), "Q", 0, TOURISM, RECOVERY))
    if name_en.startswith("Demo Logistics"):
        lines.append(_mobile(0, "diesel", "t", rng.uniform(150, 250)))
    if name_en.startswith("Demo Scenic"):
        lines.append(_mobile(0, "motor_gasoline", "L", rng.uniform(2e4, 4e4), "Q", RECOVERY))
    return OrganisationSpec(Kind.COMMERCIAL, name_en, name_zh, (("premises", "经营场所"),), tuple(lines))


def manufacturing(n: int, rng: random.Random) -> OrganisationSpec:
    """A food-processing plant (bought-in steam, LPG) or a rubber plant (fuel oil dryers)."""
    if n == 1:
        lines = _electricity(0, rng.uniform(1.5e6, 2.5e6), FLAT, STEADY, rng, 0.2)
        lines += [
            Line(0, "heat.purchased", Cat.PURCHASED_HEAT, "GJ", rng.uniform(8e3, 1.2e4), "Q", 1),
            _fuel(0, "lpg", "t", rng.uniform(40, 80), "Q", 2),
            _refrigerant(0, "R-404A", rng.uniform(20, 60), 0.7),
        ]
        return OrganisationSpec(
            Kind.MANUFACTURING,
            "Demo Tropical Food Processing Co.",
            "示范热带食品加工有限公司",
            (("plant", "工厂"),),
            tuple(lines),
        )
    lines = _electricity(0, rng.uniform(1e6, 2e6), FLAT, STEADY, rng, 0.0)
    lines += [
        _fuel(0, "residual_fuel_oil", "t", rng.uniform(300, 500), "M", 2),
        _fuel(0, "motor_gasoline", "L", rng.uniform(1e3, 3e3)),
    ]
    return OrganisationSpec(
        Kind.MANUFACTURING,
        "Demo Rubber Processing Co.",
        "示范橡胶加工有限公司",
        (("plant", "工厂"),),
        tuple(lines),
    )


def all_specs(rng: random.Random) -> list[OrganisationSpec]:
    """The county's 50 reporters, in a fixed order (so that a seed fixes everything)."""
    specs = [hotel(n, rng) for n in range(1, 21)]
    specs += [hospital(rng), water_plant(rng), cement_plant(rng), bus_company(rng)]
    specs += [farm(n, rng) for n in range(1, 9)]
    specs += [government(n, rng) for n in range(1, 11)]
    specs += [commercial(n, rng) for n in range(1, 7)]
    specs += [manufacturing(n, rng) for n in range(1, 3)]
    return specs
