"""Typed calculator parameters: pydantic models whose field types carry the unit and the range.

Monitoring reports arrive as plain JSON (numbers as strings or numbers, nested objects, lists of
strata). Each methodology declares one :class:`Parameters` model (with its strata, plots, vehicles
as sub-models); a field's type says what it is, e.g. ``Annotated[Decimal, Quantity("ha", ge=0)]``
(hectares, not negative) or ``Annotated[Decimal, Quantity("1", gt=0, le=1)]`` (an efficiency).
:func:`parse` validates the whole input and raises one
:class:`~carbonbridge.kernel.errors.InvalidInput` naming **every** problem by its path (e.g.
``strata.1.plots_t2.0.area_m2``), its value and the reason; a calculator therefore never returns a
partial result and never stops at the first error.

Quantities stay :class:`~decimal.Decimal` (parsed exactly by :func:`kernel.exact.to_decimal`; a
float is read through its shortest repr), never binary floats. A ``null`` is read as "absent": the
field's default applies, or the field is required. Reasons are English sentences of a closed set
(:data:`REASONS`); the faces show them in Chinese through the methodologies' locale catalogue
(``locale/zh/LC_MESSAGES/parameters.po``, ``platform.i18n.localise``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, ValidationError, model_validator
from pydantic_core import PydanticCustomError, core_schema

from carbonbridge.kernel.errors import FieldIssue, InvalidInput
from carbonbridge.kernel.exact import to_decimal

Path = tuple[str | int, ...]

#: every reason a parameter can be rejected with (English; ``%(name)s`` stands for a value)
REASONS = (
    "required",
    "must be an object",
    "must be a list",
    "must be a non-empty string",
    "must be one of %(choices)s",
    "must be ≥ %(minimum)s",
    "must be > %(minimum)s",
    "must be ≤ %(maximum)s",
    "must be a whole number in [%(minimum)s, %(maximum)s]",
    "not a decimal number",
    "not a number",
    "a boolean is not a number",
    "must be a finite number",
)

#: pydantic's own error types, as this module's reasons
_PYDANTIC_REASONS = {
    "missing": "required",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "string_type": "must be a non-empty string",
}


def rejection(reason: str, **values: str) -> PydanticCustomError:
    """A rejection whose message is ``reason`` (one of :data:`REASONS`) with ``values`` filled in."""
    return PydanticCustomError("parameter", reason % values if values else reason)


def _number(value: object) -> Decimal:
    try:
        return to_decimal(value)
    except InvalidInput as exc:
        raise rejection(exc.issues[0].reason if exc.issues else "not a number") from None


@dataclass(frozen=True)
class Quantity:
    """A decimal in ``unit`` within the bounds given (``ge``/``gt`` lower, ``le`` upper); the
    annotation that makes a ``Decimal`` field a checked quantity."""

    unit: str
    ge: Decimal | int | str | None = None
    gt: Decimal | int | str | None = None
    le: Decimal | int | str | None = None

    def _bound(self, bound: Decimal | int | str) -> str:
        shown = format(Decimal(bound), "f")
        return shown if self.unit in ("1", "") else f"{shown} {self.unit}"

    def check(self, value: object) -> Decimal:
        number = _number(value)
        if self.gt is not None and number <= Decimal(self.gt):
            raise rejection("must be > %(minimum)s", minimum=self._bound(self.gt))
        if self.ge is not None and number < Decimal(self.ge):
            raise rejection("must be ≥ %(minimum)s", minimum=self._bound(self.ge))
        if self.le is not None and number > Decimal(self.le):
            raise rejection("must be ≤ %(maximum)s", maximum=self._bound(self.le))
        return number

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(self.check)


@dataclass(frozen=True)
class WholeNumber:
    """A whole number (e.g. a year) in ``[minimum, maximum]``, given as a number or a string."""

    minimum: int
    maximum: int

    def check(self, value: object) -> int:
        number = _number(value)
        if number != number.to_integral_value() or not self.minimum <= number <= self.maximum:
            raise rejection(
                "must be a whole number in [%(minimum)s, %(maximum)s]",
                minimum=str(self.minimum),
                maximum=str(self.maximum),
            )
        return int(number)

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(self.check)


@dataclass(frozen=True)
class OneOf:
    """A string among ``choices`` (a closed vocabulary: routes, baselines, fuels, GWP sets)."""

    choices: tuple[str, ...]

    def check(self, value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise rejection("must be a non-empty string")
        if value not in self.choices:
            raise rejection("must be one of %(choices)s", choices=", ".join(self.choices))
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(self.check)


@dataclass(frozen=True)
class Text:
    """A non-empty string (an identifier, a region code, a citation)."""

    def check(self, value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise rejection("must be a non-empty string")
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(self.check)


class Parameters(BaseModel):
    """Base of every parameter model: immutable, unknown keys ignored (a report may carry notes),
    ``null`` read as absent (unless :attr:`null_is_a_value`)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    #: a model whose ``null`` means something (a plausibility level switched off) keeps it
    null_is_a_value: ClassVar[bool] = False

    @model_validator(mode="before")
    @classmethod
    def _absent_nulls(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and not cls.null_is_a_value:
            return {k: v for k, v in data.items() if v is not None}
        if isinstance(data, Mapping):
            return dict(data)
        return data


M = TypeVar("M", bound=Parameters)


def parse(model: type[M], data: object, methodology: str, context: Mapping[str, object] | None = None) -> M:
    """``data`` as ``model``, or :class:`InvalidInput` naming every bad parameter (path, value,
    reason). ``context`` carries what a field's validity depends on beyond itself (e.g. the
    species a calculation knows, which the input's own ``wood_density`` extends)."""
    try:
        return model.model_validate(data, context=dict(context or {}))
    except ValidationError as exc:
        issues = [_issue(e) for e in exc.errors(include_url=False)]
        raise InvalidInput(f"invalid parameters for {methodology}", issues) from None


def _issue(error: Any) -> FieldIssue:
    location = tuple(p for p in error["loc"] if p != "[key]")
    kind = error["type"]
    # this module's own rejections carry their reason; pydantic's structural ones are mapped (the
    # parameter types above leave no other kind reachable)
    reason = str(error["msg"]) if kind == "parameter" else _PYDANTIC_REASONS.get(kind, str(error["msg"]))
    value = None if kind == "missing" else error.get("input")
    return FieldIssue(location, value, reason)


def plain(value: Decimal) -> str:
    """A decimal as the fixed-point string stored in ``Calculation.parameters``."""
    return format(value, "f")
