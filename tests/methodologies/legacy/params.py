"""Reading a calculator's parameters from a JSON mapping.

Monitoring reports arrive as plain JSON: numbers as strings or numbers, nested objects, lists of
strata. :class:`Reader` walks them, converts numbers to :class:`~decimal.Decimal`, checks ranges and
choices, and *collects* every problem with the path to the offending value (e.g.
``strata.1.plots.0.area_m2``) before :meth:`Reader.finish` raises one
:class:`~carbonbridge.kernel.errors.InvalidInput` naming them all. A calculator therefore never
returns a partial result and never stops at the first error.

Written by hand rather than with pydantic: the calculators are pure modules, the parameter shapes
are small, and the errors must carry the methodology's own parameter paths and bounds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from carbonbridge.kernel.errors import FieldIssue, InvalidInput
from carbonbridge.kernel.exact import to_decimal

Path = tuple[str | int, ...]
_MISSING = object()


class Reader:
    """Collects :class:`FieldIssue` s while a calculator reads its parameters."""

    def __init__(self, methodology: str) -> None:
        self.methodology = methodology
        self.issues: list[FieldIssue] = []

    def bad(self, path: Path, value: object, reason: str) -> None:
        """Record one problem at ``path``."""
        self.issues.append(FieldIssue(path, value, reason))

    def finish(self) -> None:
        """Raise :class:`InvalidInput` naming every problem recorded, if any."""
        if self.issues:
            raise InvalidInput(f"invalid parameters for {self.methodology}", list(self.issues))

    # -- structure -----------------------------------------------------------------------

    def mapping(self, data: object, path: Path) -> Mapping[str, Any]:
        """``data`` as a mapping (an empty one, with an issue recorded, otherwise)."""
        if isinstance(data, Mapping):
            return data
        self.bad(path, data, "must be an object")
        return {}

    def items(self, data: Mapping[str, Any], key: str, path: Path, *, required: bool = True) -> list[Any]:
        """The list at ``data[key]`` (``[]`` when absent and optional)."""
        value = data.get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                self.bad((*path, key), None, "required (a list)")
            return []
        if isinstance(value, str) or not isinstance(value, Sequence):
            self.bad((*path, key), value, "must be a list")
            return []
        return list(value)

    # -- scalars -------------------------------------------------------------------------

    def number(
        self,
        data: Mapping[str, Any],
        key: str,
        path: Path,
        *,
        default: Decimal | None = None,
        minimum: Decimal | None = None,
        maximum: Decimal | None = None,
        exclusive_minimum: bool = False,
    ) -> Decimal:
        """A decimal at ``data[key]``; ``default`` when absent (required when ``default`` is None).

        Out-of-range and non-numeric values are recorded; the returned value is then ``0`` (or the
        default) so that reading can go on and report every problem at once.
        """
        where = (*path, key)
        raw = data.get(key, _MISSING)
        if raw is _MISSING or raw is None:
            if default is None:
                self.bad(where, None, "required")
                return Decimal(0)
            return default
        return self.value(raw, where, minimum=minimum, maximum=maximum, exclusive_minimum=exclusive_minimum)

    def fraction(
        self,
        data: Mapping[str, Any],
        key: str,
        path: Path,
        *,
        default: Decimal | None = None,
        positive: bool = False,
    ) -> Decimal:
        """A share, efficiency or loss rate at ``data[key]``: a decimal in [0, 1] (in (0, 1] when
        ``positive``, for a divisor such as an efficiency); otherwise as :meth:`number`."""
        return self.number(
            data,
            key,
            path,
            default=default,
            minimum=Decimal(0),
            maximum=Decimal(1),
            exclusive_minimum=positive,
        )

    def value(
        self,
        raw: object,
        where: Path,
        *,
        minimum: Decimal | None = None,
        maximum: Decimal | None = None,
        exclusive_minimum: bool = False,
    ) -> Decimal:
        """``raw`` as a checked decimal (see :meth:`number`)."""
        try:
            number = to_decimal(raw, field=".".join(str(p) for p in where))
        except InvalidInput as exc:
            self.bad(where, raw, exc.issues[0].reason if exc.issues else "not a number")
            return Decimal(0)
        if minimum is not None and (number <= minimum if exclusive_minimum else number < minimum):
            self.bad(where, raw, f"must be {'>' if exclusive_minimum else '≥'} {minimum}")
            return Decimal(0)
        if maximum is not None and number > maximum:
            self.bad(where, raw, f"must be ≤ {maximum}")
            return Decimal(0)
        return number

    def text(
        self,
        data: Mapping[str, Any],
        key: str,
        path: Path,
        *,
        choices: Sequence[str] | None = None,
        default: str | None = None,
    ) -> str:
        """A string at ``data[key]``, one of ``choices`` when given."""
        where = (*path, key)
        raw = data.get(key, _MISSING)
        if raw is _MISSING or raw is None:
            if default is None:
                self.bad(where, None, "required" + (f" (one of {', '.join(choices)})" if choices else ""))
                return ""
            return default
        if not isinstance(raw, str) or not raw.strip():
            self.bad(where, raw, "must be a non-empty string")
            return default or ""
        if choices is not None and raw not in choices:
            self.bad(where, raw, f"must be one of {', '.join(choices)}")
            return default or ""
        return raw

    def integer(self, data: Mapping[str, Any], key: str, path: Path, *, minimum: int, maximum: int) -> int:
        """A whole number (e.g. a year) in ``[minimum, maximum]``."""
        where = (*path, key)
        raw = data.get(key, _MISSING)
        if raw is _MISSING or raw is None:
            self.bad(where, None, "required (a whole number)")
            return minimum
        number = self.value(raw, where)
        if number != number.to_integral_value() or not minimum <= number <= maximum:
            self.bad(where, raw, f"must be a whole number in [{minimum}, {maximum}]")
            return minimum
        return int(number)

    def flag(self, data: Mapping[str, Any], key: str, path: Path, *, default: bool) -> bool:
        raw = data.get(key, _MISSING)
        if raw is _MISSING or raw is None:
            return default
        if not isinstance(raw, bool):
            self.bad((*path, key), raw, "must be true or false")
            return default
        return raw


def plain(value: Decimal) -> str:
    """A decimal as the fixed-point string stored in ``Calculation.parameters``."""
    return format(value, "f")
