"""Plausibility checks: what a monitoring report's figures imply physically, against bounds.

Every calculation runs them; a figure beyond a ``warning`` bound is shown to the verifier, beyond an
``implausible`` bound it blocks verification until overridden with a written reason
(:class:`~carbonbridge.methodologies.model.Severity`). Bounds are configurable per calculation
(parameter ``plausibility``: ``{"check": {"warning": x, "implausible": y}}``); the defaults below
say where they come from. They are screening bounds chosen by this platform from the cited
figures, not values any methodology prescribes.

Irrigation (solar pumping replacing diesel), from the baseline diesel D (L), area A, period T, head
h, overall diesel-to-water efficiency η = η_engine × η_pump, diesel energy e (MJ/L):

* diesel per area = D / (A × T) (L/ha/yr; ×1/15 per mu);
* water lifted V = η × D × e / (ρ_w g h) (m³), depth = V / (A × T) (m/yr);
* hydraulic energy per area = ρ_w g h V / (A × T) (kWh/ha/yr).

Electric vehicles: distance per vehicle-day and electricity per km.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Annotated, ClassVar

from carbonbridge.methodologies.model import Flag, Severity
from carbonbridge.methodologies.params import OneOf, Parameters, Quantity

#: density of water (kg/m³) and standard gravity (m/s², CGPM 1901 / ISO 80000-3)
RHO_WATER = Decimal(1000)
G = Decimal("9.80665")
J_PER_KWH = Decimal(3_600_000)
M2_PER_HA = Decimal(10_000)
MU_PER_HA = Decimal(15)

_FAO = (
    "FAO Irrigation Water Management Training Manual No. 3 (Brouwer & Heibloem 1986), Table 13: seasonal "
    "crop water needs at most 1,500–2,500 mm (sugarcane); other field crops far less"
)


@dataclass(frozen=True)
class Bound:
    """A screening bound. ``upper`` bounds flag values above, lower bounds values below."""

    check: str
    unit: str
    warning: Decimal | None
    implausible: Decimal | None
    citation: str
    upper: bool = True


IRRIGATION_BOUNDS: dict[str, Bound] = {
    b.check: b
    for b in (
        Bound(
            "water_depth",
            "m/yr",
            Decimal("1.5"),
            Decimal("2.5"),
            _FAO + "; 2.5 m/yr exceeds any crop's full water need even with no rain",
        ),
        Bound(
            "diesel_per_area",
            "L/ha/yr",
            Decimal(1000),
            Decimal(2250),
            "derived from the water bound: 2.5 m lifted 50 m at 15 % overall efficiency ≈ 2,260 L/ha/yr "
            "(1.5 m lifted 30 m ≈ 810 L/ha/yr for the warning); " + _FAO,
        ),
        Bound(
            "hydraulic_energy_per_area",
            "kWh/ha/yr",
            Decimal(1250),
            Decimal(3400),
            "ρ g h V per hectare for 1.5 m lifted 30 m (≈1,226 kWh) and 2.5 m lifted 50 m (≈3,405 kWh)",
        ),
        Bound(
            "head",
            "m",
            Decimal(100),
            None,
            "carbonbridge screening default: irrigation lifts beyond 100 m are rare and need evidence",
        ),
    )
}

EV_BOUNDS: dict[str, Bound] = {
    b.check: b
    for b in (
        Bound(
            "distance_per_vehicle_day",
            "km/vehicle/day",
            Decimal(400),
            Decimal(900),
            "carbonbridge screening default: 900 km is 18 h at 50 km/h, beyond a logistics vehicle's day",
        ),
        Bound(
            "electricity_per_km_high",
            "kWh/km",
            Decimal("0.6"),
            Decimal("2.0"),
            "carbonbridge screening default: light electric logistics vans use about 0.15–0.35 kWh/km, "
            "heavy electric trucks about 1.1–1.6 kWh/km",
        ),
        Bound(
            "electricity_per_km_low",
            "kWh/km",
            Decimal("0.08"),
            Decimal("0.04"),
            "carbonbridge screening default: below 0.08 kWh/km is an e-scooter, not a logistics vehicle",
            upper=False,
        ),
    )
}


MANGROVE_BOUNDS: dict[str, Bound] = {
    b.check: b
    for b in (
        Bound(
            "removals_per_area",
            "t CO2e/ha/yr",
            Decimal(25),
            Decimal(50),
            "carbonbridge screening default: Alongi (2020) puts mean mangrove sequestration near "
            "1.8 t C (6.6 t CO2)/ha/yr; 25 and 50 t CO2e/ha/yr are about 4× and 8× that",
        ),
    )
}


#: the checks each methodology runs, as the key type of its ``plausibility`` parameter
IrrigationCheck = Annotated[str, OneOf(tuple(IRRIGATION_BOUNDS))]
VehicleCheck = Annotated[str, OneOf(tuple(EV_BOUNDS))]
RemovalCheck = Annotated[str, OneOf(tuple(MANGROVE_BOUNDS))]


class BoundOverride(Parameters):
    """A bound changed in a calculation's parameters: ``{"warning": x, "implausible": y}``; a level
    given as ``null`` is switched off, a level left out keeps its default."""

    null_is_a_value: ClassVar[bool] = True

    warning: Annotated[Decimal, Quantity("", ge=0)] | None = None
    implausible: Annotated[Decimal, Quantity("", ge=0)] | None = None


def with_overrides(defaults: Mapping[str, Bound], overrides: Mapping[str, BoundOverride]) -> dict[str, Bound]:
    """``defaults`` with the levels ``overrides`` set (the check names are validated by the
    parameter model, e.g. ``Annotated[str, OneOf(tuple(IRRIGATION_BOUNDS))]``)."""
    bounds = dict(defaults)
    for check, override in overrides.items():
        values = {
            name: getattr(override, name)
            for name in ("warning", "implausible")
            if name in override.model_fields_set
        }
        bounds[check] = replace(bounds[check], **values, citation="set in the calculation's parameters")
    return bounds


def evaluate(bound: Bound, value: Decimal, reason_en: str, reason_zh: str) -> Flag | None:
    """The flag ``value`` earns against ``bound`` (implausible before warning), or None."""
    for severity, limit in ((Severity.IMPLAUSIBLE, bound.implausible), (Severity.WARNING, bound.warning)):
        if limit is None:
            continue
        beyond = value > limit if bound.upper else value < limit
        if beyond:
            side_en, side_zh = ("above", "高于") if bound.upper else ("below", "低于")
            return Flag(
                bound.check,
                severity,
                value,
                limit,
                bound.unit,
                f"{reason_en}: {_f(value)} {bound.unit} is {side_en} the {severity.value} bound "
                f"{_f(limit)} {bound.unit} ({bound.citation})",
                f"{reason_zh}：{_f(value)} {bound.unit} {side_zh}{_SEVERITY_ZH[severity]}界限 "
                f"{_f(limit)} {bound.unit}（{bound.citation}）",
            )
    return None


_SEVERITY_ZH = {Severity.IMPLAUSIBLE: "不可信", Severity.WARNING: "警示"}


def _f(value: Decimal, places: int = 1) -> str:
    return f"{value:,.{places}f}"


@dataclass(frozen=True)
class IrrigationFigures:
    """What an irrigation baseline implies per hectare and year."""

    diesel_l_per_ha_yr: Decimal
    diesel_l_per_mu_yr: Decimal
    water_m3: Decimal
    water_depth_m_yr: Decimal
    head_m: Decimal
    hydraulic_kwh_per_ha_yr: Decimal
    fuel_kwh_per_ha_yr: Decimal


def irrigation_figures(
    *,
    diesel_litres: Decimal,
    area_ha: Decimal,
    years: Decimal,
    head_m: Decimal,
    diesel_mj_per_litre: Decimal,
    overall_efficiency: Decimal,
) -> IrrigationFigures:
    """The implied diesel, water depth and energy per hectare-year (module docstring)."""
    hectare_years = area_ha * years
    fuel_j = diesel_litres * diesel_mj_per_litre * Decimal(1_000_000)
    water_m3 = overall_efficiency * fuel_j / (RHO_WATER * G * head_m) if head_m > 0 else Decimal(0)
    hydraulic_kwh = RHO_WATER * G * head_m * water_m3 / J_PER_KWH
    per_ha = diesel_litres / hectare_years
    return IrrigationFigures(
        diesel_l_per_ha_yr=per_ha,
        diesel_l_per_mu_yr=per_ha / MU_PER_HA,
        water_m3=water_m3,
        water_depth_m_yr=water_m3 / M2_PER_HA / hectare_years,
        head_m=head_m,
        hydraulic_kwh_per_ha_yr=hydraulic_kwh / hectare_years,
        fuel_kwh_per_ha_yr=fuel_j / J_PER_KWH / hectare_years,
    )


def irrigation_flags(fig: IrrigationFigures, bounds: Mapping[str, Bound]) -> tuple[Flag, ...]:
    """Run the irrigation checks; each reason restates the whole physical picture."""
    picture_en = (
        f"the baseline implies {_f(fig.diesel_l_per_mu_yr)} L of diesel per mu-year "
        f"({_f(fig.diesel_l_per_ha_yr, 0)} L/ha/yr), i.e. {_f(fig.water_depth_m_yr)} m of water lifted "
        f"{_f(fig.head_m, 0)} m per year"
    )
    picture_zh = (
        f"基线意味着每亩每年 {_f(fig.diesel_l_per_mu_yr)} 升柴油"
        f"（{_f(fig.diesel_l_per_ha_yr, 0)} 升/公顷/年），"
        f"即每年把 {_f(fig.water_depth_m_yr)} 米深的水提升 {_f(fig.head_m, 0)} 米"
    )
    checks = (
        ("diesel_per_area", fig.diesel_l_per_ha_yr, "diesel per irrigated area", "单位面积柴油"),
        ("water_depth", fig.water_depth_m_yr, "water depth pumped", "抽水深度"),
        (
            "hydraulic_energy_per_area",
            fig.hydraulic_kwh_per_ha_yr,
            "pumping energy per area",
            "单位面积抽水能量",
        ),
        ("head", fig.head_m, "pumping head", "扬程"),
    )
    flags = []
    for check, value, what_en, what_zh in checks:
        flag = evaluate(bounds[check], value, f"{what_en} ({picture_en})", f"{what_zh}（{picture_zh}）")
        if flag is not None:
            flags.append(flag)
    return tuple(flags)


def removal_flags(
    *, net_t: Decimal, area_ha: Decimal, years: Decimal, bounds: Mapping[str, Bound]
) -> tuple[Flag, ...]:
    """Net removals per hectare-year against ``bounds`` (mangrove)."""
    if area_ha <= 0 or years <= 0:
        return ()
    flag = evaluate(
        bounds["removals_per_area"],
        net_t / area_ha / years,
        "net removals per hectare-year",
        "单位面积年净碳汇量",
    )
    return () if flag is None else (flag,)


def vehicle_flags(
    *, distance_km: Decimal, vehicle_days: Decimal, electricity_kwh: Decimal, bounds: Mapping[str, Bound]
) -> tuple[Flag, ...]:
    """Distance per vehicle-day and electricity per km against ``bounds`` (nothing when idle)."""
    flags: list[Flag] = []
    if distance_km <= 0:
        return ()
    if vehicle_days > 0:
        per_day = distance_km / vehicle_days
        flag = evaluate(
            bounds["distance_per_vehicle_day"], per_day, "distance per vehicle-day", "单车日均行驶里程"
        )
        if flag is not None:
            flags.append(flag)
    per_km = electricity_kwh / distance_km
    for check in ("electricity_per_km_high", "electricity_per_km_low"):
        flag = evaluate(bounds[check], per_km, "electricity charged per km", "每公里充电量")
        if flag is not None:
            flags.append(flag)
    return tuple(flags)
