"""How a figure is shown to a person: one rule for every CLI table and web page (``docs/display.md``).

Storage, JSON (the API, ``--format json|csv``) and ``explain`` keep every digit the calculation
produced; only what a person reads is quantised, here, by the kind of figure:

* :attr:`FigureKind.MEASURE` (masses, energy, volumes, per-unit intensities, anything computed):
  **6 significant figures**, rounded half-to-even, never dropping a digit left of the decimal
  point (a figure of a million or more is shown to the unit); trailing zeros after the point are
  not printed. 6 figures is finer than any shipped factor's own precision (IPCC 2006 and the MEE
  guideline publish 3-5), so no shown digit is lost that an input supported.
* :attr:`FigureKind.MONEY`: 2 decimal places (yuan and fen).
* :attr:`FigureKind.PERCENT`: 1 decimal place.
* :attr:`FigureKind.COUNT`: an integer, exact.

Tables group thousands with ``,``. ``999.99999999999999999999999995`` is shown ``1,000``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

__all__ = ["SIGNIFICANT_FIGURES", "FigureKind", "quantise", "shown"]

#: significant figures of a shown :attr:`FigureKind.MEASURE`
SIGNIFICANT_FIGURES = 6


class FigureKind(StrEnum):
    MEASURE = "measure"
    MONEY = "money"
    PERCENT = "percent"
    COUNT = "count"


_PLACES = {FigureKind.MONEY: 2, FigureKind.PERCENT: 1, FigureKind.COUNT: 0}


def quantise(value: Decimal | int | float | str, kind: FigureKind | str = FigureKind.MEASURE) -> Decimal:
    """``value`` rounded half-to-even as :data:`kind` is shown (``docs/display.md``). ``value`` may
    be a decimal's text (a calculation stored as JSON); ``kind`` may be its name (a template's
    ``|shown("count")``)."""
    kind = FigureKind(kind)
    number = (
        value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else value)
    )
    if not number.is_finite():
        return number
    if kind is FigureKind.COUNT and number != number.to_integral_value():
        raise ValueError(f"a count is a whole number, not {number}")
    if kind is not FigureKind.MEASURE:
        return number.quantize(Decimal(1).scaleb(-_PLACES[kind]), rounding=ROUND_HALF_EVEN)
    if number.is_zero():
        return Decimal(0)
    # the exponent of the last kept figure: SIGNIFICANT_FIGURES below the leading one, never below 10^0
    leading = number.adjusted()
    last = min(leading - SIGNIFICANT_FIGURES + 1, 0)
    rounded = number.quantize(Decimal(1).scaleb(last), rounding=ROUND_HALF_EVEN)
    if rounded.adjusted() > leading and last < 0:  # 9.999995 -> 10.00000: one figure too many
        rounded = rounded.quantize(Decimal(1).scaleb(last + 1), rounding=ROUND_HALF_EVEN)
    return rounded


def shown(value: Decimal | int | float | str | None, kind: FigureKind | str = FigureKind.MEASURE) -> str:
    """``value`` as a person reads it: quantised by :func:`quantise`, thousands grouped; ``—`` for None.

    The web pages' ``shown`` filter: ``{{ (kg / 1000) | shown }}``, ``{{ tonnes | shown("count") }}``.
    A count that is not a whole number is refused (:class:`ValueError`), not rounded: a count is exact.
    """
    if value is None:
        return "—"
    kind = FigureKind(kind)
    number = quantise(value, kind)
    if not number.is_finite():
        return str(number)
    if kind is FigureKind.MEASURE:
        text = f"{number:,f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    return f"{number:,.{_PLACES[kind]}f}"
