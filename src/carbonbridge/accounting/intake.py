"""Activity-data intake: CSV, XLSX and JSON rows in, validated :class:`ActivityRecord` out.

The upload format is documented in ``docs/activity-template.md``. An upload is all or nothing:
every row is checked, every problem collected, and one :class:`InvalidInput` lists them all as
``FieldIssue(("rows", row_number, column), value, reason)`` with rows numbered as a spreadsheet
user counts them (the header is row 1). Any bytes either parse or raise :class:`InvalidInput`.

Pure: no database, no web framework. Spreadsheets are read with openpyxl (read-only, streaming).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from tokenize import TokenError
from xml.etree.ElementTree import ParseError

from carbonbridge.accounting.model import ActivityCategory, ActivityRecord, Facility
from carbonbridge.kernel.clock import Clock, utc_now
from carbonbridge.kernel.errors import FieldIssue, InvalidInput, UnitMismatch
from carbonbridge.kernel.ids import new_id
from carbonbridge.kernel.units import is_compatible, parse_unit

#: Default cap on data rows per upload (larger inventories go through the bulk engine).
MAX_ROWS = 200_000
#: Quantities carry at most this many decimal places (6 = grams in tonnes, Wh in MWh).
MAX_DECIMAL_PLACES = 6
#: Quantities at or above this are rejected as a likely unit or typing error.
MAX_QUANTITY = Decimal(10) ** 15
#: At most this many issues are listed; the detail sentence still counts every invalid row.
MAX_ISSUES = 1000
EARLIEST_PERIOD = date(1990, 1, 1)
INSTRUMENTS = frozenset({"GEC", "PPA"})
#: Encodings tried in order for CSV: UTF-8 (a BOM is accepted), then GB18030 (Excel on zh-CN).
CSV_ENCODINGS = ("utf-8-sig", "gb18030")

COLUMNS = (
    "facility_id", "period_start", "period_end", "category", "activity",
    "quantity", "unit", "instrument", "note",
)  # fmt: skip
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
_HEADER_ALIASES = {name: name for name in COLUMNS} | {zh: en for en, zh in COLUMN_ZH.items()}

#: Category implied by each activity-code prefix (docs/factor-datasets.md).
PREFIX_CATEGORY: dict[str, ActivityCategory] = {
    "fuel": ActivityCategory.STATIONARY_COMBUSTION,
    "mobile": ActivityCategory.MOBILE_COMBUSTION,
    "electricity": ActivityCategory.PURCHASED_ELECTRICITY,
    "heat": ActivityCategory.PURCHASED_HEAT,
    "refrigerant": ActivityCategory.REFRIGERANT,
    "process": ActivityCategory.PROCESS,
    "travel": ActivityCategory.BUSINESS_TRAVEL,
    "hotel": ActivityCategory.BUSINESS_TRAVEL,
    "waste": ActivityCategory.WASTE,
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


@dataclass(frozen=True)
class _Context:
    organisation_id: str
    facilities: Mapping[str, Facility]
    today: date


def parse_upload(
    filename: str,
    data: bytes,
    *,
    organisation_id: str,
    facilities: Mapping[str, Facility],
    max_rows: int = MAX_ROWS,
    clock: Clock = utc_now,
) -> list[ActivityRecord]:
    """Parse an uploaded file, choosing XLSX or CSV by magic bytes, then by extension."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _file_error("file", "legacy .xls is not supported: save as .xlsx or CSV (UTF-8)")
    parse = parse_csv
    if data.startswith(b"PK\x03\x04") or filename.lower().endswith((".xlsx", ".xlsm")):
        parse = parse_xlsx
    return parse(data, organisation_id=organisation_id, facilities=facilities, max_rows=max_rows, clock=clock)


def parse_csv(
    data: bytes,
    *,
    organisation_id: str,
    facilities: Mapping[str, Facility],
    max_rows: int = MAX_ROWS,
    clock: Clock = utc_now,
) -> list[ActivityRecord]:
    """Parse a comma-separated upload (UTF-8, with or without BOM, or GB18030)."""
    text, _encoding = decode_csv(data)
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise _file_error("file", f"not a readable CSV file: {exc}") from None
    numbered = [(n, line) for n, line in enumerate(lines, start=1)]
    context = _Context(organisation_id, facilities, clock().date())
    return _parse_table(iter(numbered), context, max_rows)


def decode_csv(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes, returning the text and the encoding that worked (``utf-8-sig`` first,
    then ``gb18030``, which Excel on Chinese Windows writes). Raises :class:`InvalidInput`."""
    for encoding in CSV_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text, encoding
    raise _file_error("file", "the file is not text in UTF-8 or GB18030 (is it a spreadsheet?)")


def parse_xlsx(
    data: bytes,
    *,
    organisation_id: str,
    facilities: Mapping[str, Facility],
    max_rows: int = MAX_ROWS,
    clock: Clock = utc_now,
) -> list[ActivityRecord]:
    """Parse an Excel workbook: the sheet named ``activity``, else the first sheet."""
    from openpyxl import load_workbook  # heavy import, only when a workbook arrives

    if not data.startswith(b"PK\x03\x04"):
        raise _file_error("file", "not an .xlsx workbook (not a zip archive)")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            names = {name.lower(): name for name in workbook.sheetnames}
            if not names:
                raise _file_error("file", "the workbook has no sheets")
            sheet = workbook[names.get("activity", workbook.sheetnames[0])]
            rows = _read_rows(sheet.iter_rows(values_only=True), max_rows)
        finally:
            workbook.close()
    except _DAMAGED_WORKBOOK as exc:
        raise _file_error("file", f"not a readable .xlsx workbook ({type(exc).__name__})") from None
    context = _Context(organisation_id, facilities, clock().date())
    return _parse_table(iter(rows), context, max_rows)


#: What openpyxl and zipfile raise for a damaged, truncated or encrypted workbook (zipfile raises
#: RuntimeError for encrypted members and NotImplementedError for unknown compression).
_DAMAGED_WORKBOOK = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, KeyError, OSError,
                     EOFError, ParseError, ValueError, TypeError, AttributeError, IndexError,
                     RuntimeError, NotImplementedError)  # fmt: skip


def _read_rows(cells: Iterable[Sequence[object]], max_rows: int) -> list[tuple[int, Sequence[object]]]:
    """Number the sheet's rows, stopping once more than ``max_rows`` non-blank rows are read."""
    rows: list[tuple[int, Sequence[object]]] = []
    filled = 0
    for n, row in enumerate(cells, start=1):
        rows.append((n, list(row)))
        filled += not all(_is_blank(cell) for cell in row)
        if filled > max_rows + 1:
            break
    return rows


def parse_rows(
    rows: Sequence[Mapping[str, object]],
    *,
    organisation_id: str,
    facilities: Mapping[str, Facility],
    max_rows: int = MAX_ROWS,
    clock: Clock = utc_now,
    first_row: int = 2,
) -> list[ActivityRecord]:
    """Parse rows already split into fields (JSON from the API). Keys are column names in either
    language. Issues number the rows from ``first_row`` (2, as if row 1 were a header; the API may
    pass 0 to report array indices)."""
    context = _Context(organisation_id, facilities, clock().date())
    if len(rows) > max_rows:
        raise _too_many(max_rows)
    if not rows:
        raise _file_error("rows", "there are no data rows")
    issues: list[FieldIssue] = []
    mapped: list[tuple[int, dict[str, object]]] = []
    for n, raw in enumerate(rows, start=first_row):
        row: dict[str, object] = {}
        if not isinstance(raw, Mapping):
            issues.append(FieldIssue(("rows", n), raw, "a row must be an object of column: value"))
        else:
            for key, value in raw.items():
                column = _HEADER_ALIASES.get(_clean_header(key))
                if column is None:
                    issues.append(FieldIssue(("rows", n, str(key)), value, _unknown_column_reason()))
                elif column in row:
                    issues.append(FieldIssue(("rows", n, column), value, "column given twice"))
                else:
                    row[column] = value
        mapped.append((n, row))
    return _validate_rows(mapped, context, issues)


def _parse_table(
    rows: Iterator[tuple[int, Sequence[object]]], context: _Context, max_rows: int
) -> list[ActivityRecord]:
    header_row = next(rows, None)
    if header_row is None or all(_is_blank(cell) for cell in header_row[1]):
        raise _file_error("file", "the file is empty: row 1 must be the header")
    columns = _read_header(header_row[1])
    mapped: list[tuple[int, dict[str, object]]] = []
    issues: list[FieldIssue] = []
    for n, cells in rows:
        if all(_is_blank(cell) for cell in cells):
            continue
        if len(mapped) >= max_rows:
            raise _too_many(max_rows)
        row: dict[str, object] = {}
        for i, cell in enumerate(cells):
            if i < len(columns) and columns[i]:
                row[columns[i]] = cell
            elif not _is_blank(cell):
                issues.append(FieldIssue(("rows", n), cell, "a value in a column with no header"))
                break
        mapped.append((n, row))
    if not mapped:
        raise _file_error("rows", "there are no data rows below the header")
    return _validate_rows(mapped, context, issues)


def _read_header(cells: Sequence[object]) -> list[str]:
    """Map header cells to column names; unknown, duplicate or missing columns are fatal."""
    issues: list[FieldIssue] = []
    columns: list[str] = []
    for cell in cells:
        text = _clean_header(cell)
        column = _HEADER_ALIASES.get(text) or _HEADER_ALIASES.get(text.split("/")[0].strip())
        if not text:
            columns.append("")  # an unnamed column must stay empty in every row
        elif column is None:
            issues.append(FieldIssue(("columns", str(cell)), cell, _unknown_column_reason()))
            columns.append("")
        elif column in columns:
            issues.append(FieldIssue(("columns", column), cell, "column appears twice"))
            columns.append("")
        else:
            columns.append(column)
    while columns and columns[-1] == "":
        columns.pop()
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            issues.append(FieldIssue(("columns", name), None, f"required column missing ({COLUMN_ZH[name]})"))
    if issues:
        raise InvalidInput("the header row is not the activity template's; nothing was stored", issues)
    return columns


def _validate_rows(
    mapped: list[tuple[int, dict[str, object]]], context: _Context, issues: list[FieldIssue]
) -> list[ActivityRecord]:
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
                records.append(record)
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
    n: int, row: Mapping[str, object], context: _Context, issues: list[FieldIssue]
) -> ActivityRecord | None:
    def issue(column: str, reason: str) -> None:
        issues.append(FieldIssue(("rows", n, column), row.get(column), reason))

    for name in REQUIRED_COLUMNS:
        if _is_blank(row.get(name)):
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
    note = "" if _is_blank(row.get("note")) else str(row.get("note")).strip()
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


def _check_facility(value: object, context: _Context, issue: _Issue) -> Facility | None:
    if _is_blank(value):
        return None
    facility = context.facilities.get(str(value).strip())
    if facility is None or facility.organisation_id != context.organisation_id:
        issue("facility_id", "not a facility of this organisation")
        return None
    return facility


def _check_date(value: object, column: str, issue: _Issue) -> date | None:
    if _is_blank(value):
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
    if not _is_blank(category_value):
        try:
            category = ActivityCategory(str(category_value).strip().lower())
        except ValueError:
            issue("category", "not one of: " + ", ".join(c.value for c in ActivityCategory))
    if _is_blank(value):
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
    if _is_blank(value):
        return None
    quantity = _to_quantity(value)
    if isinstance(quantity, str):
        issue("quantity", quantity)
        return None
    if quantity < 0:
        issue("quantity", "must not be negative (report corrections as a replacement upload)")
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
    if _is_blank(value):
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
    if _is_blank(value):
        return None
    instrument = str(value).strip().upper()
    if instrument not in INSTRUMENTS:
        issue("instrument", "must be GEC or PPA, or left empty")
        return None
    if activity is not None and activity != "electricity.grid":
        issue("instrument", "an instrument applies to electricity.grid rows only")
        return None
    return instrument


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean_header(value: object) -> str:
    return "" if value is None else str(value).strip().lstrip("\ufeff").strip().lower()


def _unknown_column_reason() -> str:
    return "unknown column; expected: " + ", ".join(COLUMNS)


def _too_many(max_rows: int) -> InvalidInput:
    return _file_error("rows", f"more than {max_rows} data rows: split the upload")


def _file_error(where: str, reason: str) -> InvalidInput:
    return InvalidInput(f"{reason}; nothing was stored", [FieldIssue((where,), None, reason)])
