"""Exact decimal arithmetic for carbon and money.

Carbon in calculators is ``Decimal`` in kilograms; the rounding rule at a boundary (a report, the
registry) is stated where it is applied. The registry and markets hold integers (kg CO2e, fen).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation

from carbonbridge.kernel.errors import FieldIssue, InvalidInput

#: Working precision: 34 significant digits (IEEE 754 decimal128), far beyond any factor's.
PRECISION = 34


def decimal_context() -> Context:
    """The arithmetic context every calculation runs in."""
    return Context(prec=PRECISION, rounding=ROUND_HALF_EVEN)


def to_decimal(value: object, *, field: str = "value") -> Decimal:
    """Parse ``value`` (str, int, Decimal; floats via their shortest repr) into a finite Decimal.

    Raises :class:`InvalidInput` naming ``field`` when the value is not a finite number.
    """
    if isinstance(value, bool):
        raise InvalidInput(
            f"{field} is not a number", [FieldIssue((field,), value, "a boolean is not a number")]
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise InvalidInput(
                f"{field} is not a number", [FieldIssue((field,), value, "not a decimal number")]
            ) from None
    else:
        raise InvalidInput(f"{field} is not a number", [FieldIssue((field,), value, "not a number")])
    if not result.is_finite():
        raise InvalidInput(f"{field} is not finite", [FieldIssue((field,), value, "must be a finite number")])
    return result


_CONTEXT = Context(prec=PRECISION, rounding=ROUND_HALF_EVEN)
_EXPONENTS = {places: Decimal(1).scaleb(-places) for places in range(13)}


def quantize(value: Decimal, places: int) -> Decimal:
    """Round half-to-even to ``places`` decimal places (banker's rounding: no upward drift in sums)."""
    exponent = _EXPONENTS.get(places) or Decimal(1).scaleb(-places)
    return value.quantize(exponent, rounding=ROUND_HALF_EVEN, context=_CONTEXT)


def kg_to_t(value_kg: Decimal) -> Decimal:
    """Kilograms to tonnes, exactly."""
    return value_kg / Decimal(1000)
