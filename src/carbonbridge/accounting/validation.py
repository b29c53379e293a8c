"""Activity-data row validation: the upload template's columns and every rule a row must pass.

One row (a mapping of column name to cell value, from CSV, XLSX or JSON) becomes an
:class:`ActivityRecord` or a list of ``FieldIssue(("rows", n, column), value, reason)``: facility of
the uploading organisation, ISO dates within one calendar year and already over, an activity code of
a known family (``docs/factor-datasets.md``) matching its category, a non-negative finite decimal
quantity, a unit pint knows with the dimension the activity family needs, an instrument only on
grid electricity, and, when the caller passes a ``screen``, a row the engine can compute
(:mod:`carbonbridge.accounting.computability`). :func:`validate_rows` checks every row and raises
one :class:`InvalidInput` listing all problems, so an upload is all or nothing. The readers live in
:mod:`carbonbridge.accounting.intake`.

Pure: no database, no web framework, no file formats.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from tokenize import TokenError
from typing import Protocol

from carbonbridge.accounting.model import (
    ACTIVITY_COLUMNS,
    PREFIX_CATEGORY,
    ActivityCategory,
    ActivityRecord,
    Facility,
)
from carbonbridge.kernel.errors import FieldIssue, InvalidInput, UnitMismatch
from carbonbridge.kernel.ids import new_id
from carbonbridge.kernel.units import is_compatible, parse_unit

#: Quantities carry at most this many decimal places (6 = grams in tonnes, Wh in MWh).
MAX_DECIMAL_PLACES = 6
#: Quantities at or above this are rejected as a likely unit or typing error.
MAX_QUANTITY = Decimal(10) ** 15
#: At most this many issues are listed; the detail sentence still counts every invalid row.
MAX_ISSUES = 1000
EARLIEST_PERIOD = date(1990, 1, 1)
#: Where a reporter corrects data already submitted (docs/accounting.md, Corrections).
CORRECTION_HINT = (
    "to correct a submitted figure, submit a replacement of that submission: the upload form's "
    "'replaces submission', POST /api/v1/organisations/<id>/activity?replaces=<submission id>, or "
    "carbonbridge inventory submit --replaces <submission id>"
)
INSTRUMENTS = frozenset({"GEC", "PPA"})

COLUMNS = ACTIVITY_COLUMNS
REQUIRED_COLUMNS = COLUMNS[:7]
#: Chinese header of each column; either language (or ``en / zh``) is accepted.
COLUMN_ZH = {
    "facility_id": "设施编号",
    "period_start": "开始日期",
    "period_end": "结束日期",
    "category": "类别",
    "activity": "活动代码",
    "quantity": "数量",
    "unit": "单位",
    "instrument": "绿电凭证",
    "note": "备注",
}

#: Units each prefix accepts, as one reference unit per accepted dimension.
PREFIX_UNITS: dict[str, tuple[str, ...]] = {
    "fuel": ("kg", "m^3", "Nm3", "GJ"),
    "mobile": ("kg", "m^3", "Nm3", "GJ"),
    "electricity": ("kWh",),
    "heat": ("GJ",),
    "refrigerant": ("kg",),
    "process": ("kg",),
    "travel": ("passenger_km",),
    "hotel": ("room_night",),
    "waste": ("kg",),
}
_SLUG = r"[a-z][a-z0-9_]*"
_ACTIVITY_PATTERNS = {
    "fuel": re.compile(rf"fuel\.{_SLUG}"),
    "mobile": re.compile(rf"mobile\.{_SLUG}"),
    "electricity": re.compile(r"electricity\.grid"),
    "heat": re.compile(r"heat\.purchased"),
    "refrigerant": re.compile(
        r"refrigerant\.(?:R-\d{2,4}[A-Z]?|H?C?FC-\d{2,4}[a-z]{0,2}|PFC-\d{1,4}|SF6|NF3)"
    ),
    "process": re.compile(rf"process\.{_SLUG}"),
    "travel": re.compile(rf"travel\.{_SLUG}(?:\.{_SLUG}){{1,2}}"),
    "hotel": re.compile(r"hotel\.[A-Z]{2}"),
    "waste": re.compile(rf"waste\.{_SLUG}\.{_SLUG}"),
}
#: Unit spellings pint does not know that reporters write; stored in the canonical spelling.
UNIT_ALIASES = {"m3": "m^3", "m³": "m^3", "nm3": "Nm3", "nm³": "Nm3", "Nm³": "Nm3", "l": "L"}
# One unit symbol with an optional 10^n scale and exponent: keeps pint away from expressions.
_UNIT_RE = re.compile(r"(?:10\^\d{1,2} ?)?[A-Za-z_]{1,24}(?:\^?[23])?(?:/[A-Za-z_]{1,24})?")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER_RE = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?")

#: Records one issue against a column of the row being validated.
_Issue = Callable[[str, str], None]


class Refusal(Protocol):
    """Why a screen refuses a row: the column that decides it and the reason."""

    @property
    def column(self) -> str: ...

    @property
    def reason(self) -> str: ...


#: A last check of a row that passed every other rule (e.g. that the engine can compute it).
Screen = Callable[[ActivityRecord], Refusal | None]


@dataclass(frozen=True)
class RowContext:
    """Who uploads (``organisation_id``), its ``facilities`` by id, ``today`` (periods must be
    over) and an optional ``screen`` every otherwise valid row must pass."""

    organisation_id: str
    facilities: Mapping[str, Facility]
    today: date
    screen: Screen | None = field(default=None, compare=False)


def validate_rows(
    mapped: list[tuple[int, dict[str, object]]], context: RowContext, issues: list[FieldIssue]
) -> list[ActivityRecord]:
    """Validate numbered rows; ``issues`` already found by the reader are reported with them.

    Returns the records when no row has an issue; otherwise raises one :class:`InvalidInput`
    listing every issue (at most :data:`MAX_ISSUES`) and counting the invalid rows, including a
    row that duplicates an earlier one (same facility, period, activity, unit and instrument).
    """
    records: list[ActivityRecord] = []
    bad_rows = {issue.location[1] for issue in issues}
    seen: dict[tuple[object, ...], int] = {}
    for n, row in mapped:
        row_issues: list[FieldIssue] = []
        record = _validate_row(n, row, context, row_issues)
        if record is not None:
            key = (record.facility_id, record.period_start, record.period_end, record.activity,
                   record.unit, record.instrument)  # fmt: skip
            if key in seen:
                row_issues.append(FieldIssue(("rows", n), record.activity, f"duplicates row {seen[key]}"))
            else:
                seen[key] = n
                refusal = context.screen(record) if context.screen is not None else None
                if refusal is None:
                    records.append(record)
                else:
                    where = ("rows", n, refusal.column)
                    row_issues.append(FieldIssue(where, row.get(refusal.column), refusal.reason))
        if row_issues:
            bad_rows.add(n)
            issues.extend(row_issues)
    if issues:
        listed = issues[:MAX_ISSUES]
        if len(issues) > MAX_ISSUES:
            listed.append(FieldIssue(("rows",), None, f"{len(issues) - MAX_ISSUES} more issues not listed"))
        detail = f"{len(bad_rows)} of {len(mapped)} rows are invalid; nothing was stored"
        raise InvalidInput(detail, listed)
    return records


def _validate_row(
    n: int, row: Mapping[str, object], context: RowContext, issues: list[FieldIssue]
) -> ActivityRecord | None:
    def issue(column: str, reason: str) -> None:
        issues.append(FieldIssue(("rows", n, column), row.get(column), reason))

    for name in REQUIRED_COLUMNS:
        if is_blank(row.get(name)):
            issue(name, f"required ({COLUMN_ZH[name]})")
    facility = _check_facility(row.get("facility_id"), context, issue)
    start = _check_date(row.get("period_start"), "period_start", issue)
    end = _check_date(row.get("period_end"), "period_end", issue)
    if start is not None and end is not None:
        _check_period(start, end, context.today, issue)
    activity, category = _check_activity(row.get("activity"), row.get("category"), issue)
    quantity = _check_quantity(row.get("quantity"), issue)
    unit = _check_unit(row.get("unit"), activity, issue)
    instrument = _check_instrument(row.get("instrument"), activity, issue)
    note = "" if is_blank(row.get("note")) else str(row.get("note")).strip()
    if len(note) > 1000:
        issue("note", "at most 1000 characters")
    if issues or facility is None or start is None or end is None or activity is None:
        return None
    if category is None or quantity is None or unit is None:
        return None
    return ActivityRecord(
        id=new_id("act"), organisation_id=context.organisation_id, facility_id=facility.id,
        period_start=start, period_end=end, category=category, activity=activity,
        quantity=quantity, unit=unit, region=facility.region, grid_region=facility.grid_region,
        instrument=instrument, note=note,
    )  # fmt: skip


def _check_facility(value: object, context: RowContext, issue: _Issue) -> Facility | None:
    if is_blank(value):
        return None
    facility = context.facilities.get(str(value).strip())
    if facility is None or facility.organisation_id != context.organisation_id:
        issue("facility_id", "not a facility of this organisation")
        return None
    return facility


def _check_date(value: object, column: str, issue: _Issue) -> date | None:
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            issue(column, "a date without a time of day is expected")
            return None
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not _DATE_RE.fullmatch(text):
        issue(column, "not an ISO date YYYY-MM-DD")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        issue(column, "not a calendar date")
        return None


def _check_period(start: date, end: date, today: date, issue: _Issue) -> None:
    if start > end:
        issue("period_end", "period_end is before period_start")
    elif start.year != end.year:
        issue("period_end", "a period must lie within one calendar year: split it")
    if end > today:
        issue("period_end", f"the period is not over yet (today is {today.isoformat()})")
    if start < EARLIEST_PERIOD:
        issue("period_start", "periods before 1990 are not accepted")


def _check_activity(
    value: object, category_value: object, issue: _Issue
) -> tuple[str | None, ActivityCategory | None]:
    category: ActivityCategory | None = None
    if not is_blank(category_value):
        try:
            category = ActivityCategory(str(category_value).strip().lower())
        except ValueError:
            issue("category", "not one of: " + ", ".join(c.value for c in ActivityCategory))
    if is_blank(value):
        return None, category
    code = str(value).strip()
    prefix = code.split(".", 1)[0]
    pattern = _ACTIVITY_PATTERNS.get(prefix)
    if pattern is None:
        issue("activity", "unknown activity prefix; expected one of: " + ", ".join(PREFIX_CATEGORY))
        return None, category
    if not pattern.fullmatch(code):
        issue("activity", f"not a valid {prefix}.* code (see docs/factor-datasets.md)")
        return None, category
    if category is not None and category != PREFIX_CATEGORY[prefix]:
        issue("category", f"{code} is {PREFIX_CATEGORY[prefix].value}, not {category.value}")
    return code, category


def _check_quantity(value: object, issue: _Issue) -> Decimal | None:
    if is_blank(value):
        return None
    quantity = _to_quantity(value)
    if isinstance(quantity, str):
        issue("quantity", quantity)
        return None
    if quantity < 0:
        issue("quantity", f"must not be negative ({CORRECTION_HINT})")
    elif quantity >= MAX_QUANTITY:
        issue("quantity", "implausibly large: check the unit")
    elif _decimal_places(quantity) > MAX_DECIMAL_PLACES:
        issue("quantity", f"at most {MAX_DECIMAL_PLACES} decimal places")
    else:
        return quantity
    return None


def _to_quantity(value: object) -> Decimal | str:
    """The quantity as a Decimal, or the reason it is not one."""
    if isinstance(value, bool):
        return "a boolean is not a quantity"
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # a spreadsheet number: Excel keeps 15 significant digits, so 0.1+0.2 is not 0.300...04
        value = format(value, ".15g")
    if isinstance(value, Decimal):
        value = str(value)
    text = str(value).strip()
    if "," in text or "，" in text:
        return "no thousands separators or decimal commas: write 1000.5"
    negative = text.startswith("-")
    if not _NUMBER_RE.fullmatch(text.removeprefix("-")):
        return "not a finite decimal number"
    try:
        result = Decimal(text.removeprefix("-"))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return "not a finite decimal number"
    return -result if negative else result


def _decimal_places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) else 0


def _check_unit(value: object, activity: str | None, issue: _Issue) -> str | None:
    if is_blank(value):
        return None
    text = str(value).strip()
    unit = UNIT_ALIASES.get(text, text)
    if not _UNIT_RE.fullmatch(unit) or not _unit_known(unit):
        issue("unit", "unknown unit (e.g. t, kg, L, m^3, Nm3, kWh, MWh, GJ, passenger_km, room_night)")
        return None
    if activity is not None:
        prefix = activity.split(".", 1)[0]
        if not _fits(unit, prefix):
            accepted = ", ".join(PREFIX_UNITS[prefix])
            issue("unit", f"{activity} needs a unit convertible to one of: {accepted}")
            return None
    return unit


@lru_cache(maxsize=256)
def _unit_known(unit: str) -> bool:
    try:
        return bool(parse_unit(unit).magnitude > 0)
    except (UnitMismatch, ArithmeticError, TokenError, ValueError):
        return False


@lru_cache(maxsize=1024)
def _fits(unit: str, prefix: str) -> bool:
    """Whether ``unit`` has a dimension the activity family ``prefix`` accepts."""
    return any(is_compatible(unit, reference) for reference in PREFIX_UNITS[prefix])


def _check_instrument(value: object, activity: str | None, issue: _Issue) -> str | None:
    if is_blank(value):
        return None
    instrument = str(value).strip().upper()
    if instrument not in INSTRUMENTS:
        issue("instrument", "must be GEC or PPA, or left empty")
        return None
    if activity is not None and activity != "electricity.grid":
        issue("instrument", "an instrument applies to electricity.grid rows only")
        return None
    return instrument


def is_blank(value: object) -> bool:
    """Whether a cell is empty: ``None`` or only whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())
