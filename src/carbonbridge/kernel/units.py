"""Units of measure through pint, with the activity units carbon accounting needs.

One application registry. Quantities that look alike but are not interchangeable get their own
dimension so that pint refuses to convert them silently: a normal cubic metre of gas (Nm³, at
0 °C and 101.325 kPa) is not a cubic metre at operating conditions, a passenger-kilometre is not a
vehicle-kilometre, and a room-night is not a night.
"""

from __future__ import annotations

import tokenize
from decimal import Decimal
from functools import lru_cache

import pint

from carbonbridge.kernel.errors import FieldIssue, UnitMismatch

_DEFINITIONS = """
normal_cubic_meter = [normal_gas_volume] = Nm3 = Nm³
passenger_kilometer = [passenger_distance] = passenger_km = pkm
vehicle_kilometer = [vehicle_distance] = vehicle_km = vkm
tonne_kilometer = [freight_distance] = tonne_km = tkm
room_night = [room_occupancy] = room_nights
tonne_CO2e = [co2e_mass]  = tCO2e
kilogram_CO2e = 1e-3 tonne_CO2e = kgCO2e
cubic_meter_alias = meter ** 3 = m3
"""


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:  # type: ignore[type-arg]
    """The one unit registry (built lazily, once: no import-time side effects).

    pint parses its definitions file on every start (0.15-0.2 s on the development VM, a sixth of
    a short CLI command); its own definitions cache (``cache_folder=":auto:"``: the user's cache
    directory, keyed by the definitions' content, so a pint upgrade invalidates it) skips that.
    Where the cache cannot be written, the registry is built without it: same units, slower start.
    Magnitudes stay ``Decimal`` either way (``tests/kernel/test_units.py``)."""
    try:
        reg: pint.UnitRegistry = pint.UnitRegistry(  # type: ignore[type-arg]
            non_int_type=Decimal, autoconvert_offset_to_baseunit=True, cache_folder=":auto:"
        )
    except OSError:
        reg = pint.UnitRegistry(non_int_type=Decimal, autoconvert_offset_to_baseunit=True)
    for line in _DEFINITIONS.strip().splitlines():
        reg.define(line)
    return reg


@lru_cache(maxsize=512)
def parse_unit(text: str) -> pint.Quantity:  # type: ignore[type-arg]
    """Parse a unit string into a pint quantity of magnitude 1 or a scale.

    Scaled units as publishers print them are accepted: ``"GJ/(10^4 Nm3)"`` (China MEE natural
    gas NCV) parses as 10^-4 GJ/Nm3. Raises :class:`UnitMismatch` naming the text when pint does
    not know it.
    """
    reg = registry()
    cleaned = text.strip()
    if not cleaned:
        raise UnitMismatch("unit is empty", [FieldIssue(("unit",), text, "a unit is required")])
    expression = cleaned.replace("·", "*").replace("³", "**3").replace("^", "**")
    if expression in {"1", "dimensionless", "fraction"}:
        return reg.Quantity(Decimal(1), "dimensionless")
    try:
        quantity = reg.parse_expression(expression)
    except (
        pint.errors.UndefinedUnitError,
        pint.errors.DefinitionSyntaxError,
        ValueError,
        AttributeError,
        TypeError,
        SyntaxError,
        KeyError,
        IndexError,
        AssertionError,  # pint's tokenizer asserts on some malformed input
        ArithmeticError,  # 1/0, decimal overflow of 2**2**...
        RecursionError,
        tokenize.TokenError,
    ) as exc:
        raise UnitMismatch(
            f"unknown unit {cleaned!r}", [FieldIssue(("unit",), text, f"unknown unit: {exc}")]
        ) from exc
    if not isinstance(quantity, reg.Quantity):
        raise UnitMismatch(
            f"unknown unit {cleaned!r}", [FieldIssue(("unit",), text, "a number is not a unit")]
        )
    return quantity


def conversion_factor(from_unit: str, to_unit: str) -> Decimal:
    """Exact multiplier taking a quantity in ``from_unit`` to ``to_unit``.

    Raises :class:`UnitMismatch` when the two have different dimensions (e.g. ``L`` to ``kg``:
    that needs a density, which is domain knowledge, not a unit conversion). Memoised: a unit pair
    always converts the same way.
    """
    result = _conversion_factor(from_unit, to_unit)
    if isinstance(result, UnitMismatch):
        raise UnitMismatch(result.detail, list(result.issues))
    return result


@lru_cache(maxsize=8192)
def _conversion_factor(from_unit: str, to_unit: str) -> Decimal | UnitMismatch:
    try:
        return _compute_conversion(from_unit, to_unit)
    except UnitMismatch as exc:
        return exc


def _compute_conversion(from_unit: str, to_unit: str) -> Decimal:
    src = parse_unit(from_unit)
    dst = parse_unit(to_unit)
    try:
        value = (src / dst).to("dimensionless").magnitude
    except pint.errors.DimensionalityError as exc:
        raise UnitMismatch(
            f"cannot convert {from_unit} to {to_unit}",
            [FieldIssue(("unit",), from_unit, f"not convertible to {to_unit} ({exc.dim1} vs {exc.dim2})")],
        ) from exc
    return Decimal(value)


def is_compatible(from_unit: str, to_unit: str) -> bool:
    """True when ``from_unit`` converts to ``to_unit`` (both known, same dimension)."""
    try:
        conversion_factor(from_unit, to_unit)
    except UnitMismatch:
        return False
    return True


@lru_cache(maxsize=2048)
def dimension_of(unit: str) -> str:
    """The dimensionality of a unit as text, e.g. ``'[mass]'`` or ``'[length] ** 3'``."""
    return str(parse_unit(unit).dimensionality)
