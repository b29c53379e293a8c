"""Activity-data intake: CSV, XLSX and JSON rows in, validated :class:`ActivityRecord` out.

The upload format is documented in ``docs/activity-template.md``. An upload is all or nothing:
every row is checked, every problem collected, and one :class:`InvalidInput` lists them all as
``FieldIssue(("rows", row_number, column), value, reason)`` with rows numbered as a spreadsheet
user counts them (the header is row 1). Any bytes either parse or raise :class:`InvalidInput`.

This module reads the formats (decoding, header mapping, row numbering); the rules each row must
pass, and the template's columns, are in :mod:`carbonbridge.accounting.validation` and re-exported
here.

Pure: no database, no web framework. Spreadsheets are read with openpyxl (read-only, streaming).
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from xml.etree.ElementTree import ParseError

from carbonbridge.accounting.model import PREFIX_CATEGORY, ActivityRecord, Facility
from carbonbridge.accounting.validation import (
    COLUMN_ZH,
    COLUMNS,
    CORRECTION_HINT,
    EARLIEST_PERIOD,
    INSTRUMENTS,
    MAX_DECIMAL_PLACES,
    MAX_ISSUES,
    MAX_QUANTITY,
    PREFIX_UNITS,
    REQUIRED_COLUMNS,
    UNIT_ALIASES,
    RowContext,
    Screen,
    is_blank,
    validate_rows,
)
from carbonbridge.kernel.clock import Clock, utc_now
from carbonbridge.kernel.errors import FieldIssue, InvalidInput

__all__ = [
    "COLUMNS",
    "COLUMN_ZH",
    "CORRECTION_HINT",
    "CSV_ENCODINGS",
    "EARLIEST_PERIOD",
    "INSTRUMENTS",
    "MAX_DECIMAL_PLACES",
    "MAX_ISSUES",
    "MAX_QUANTITY",
    "MAX_ROWS",
    "PREFIX_CATEGORY",
    "PREFIX_UNITS",
    "REQUIRED_COLUMNS",
    "UNIT_ALIASES",
    "Screen",
    "decode_csv",
    "parse_csv",
    "parse_rows",
    "parse_upload",
    "parse_xlsx",
]

#: Default cap on data rows per upload (larger inventories go through the bulk engine).
MAX_ROWS = 200_000
#: Encodings tried in order for CSV: UTF-8 (a BOM is accepted), then GB18030 (Excel on zh-CN).
CSV_ENCODINGS = ("utf-8-sig", "gb18030")

_HEADER_ALIASES = {name: name for name in COLUMNS} | {zh: en for en, zh in COLUMN_ZH.items()}


def parse_upload(
    filename: str,
    data: bytes,
    *,
    organisation_id: str,
    facilities: Mapping[str, Facility],
    max_rows: int = MAX_ROWS,
    clock: Clock = utc_now,
    screen: Screen | None = None,
) -> list[ActivityRecord]:
    """Parse an uploaded file, choosing XLSX or CSV by magic bytes, then by extension. A row
    that passes every rule must also pass ``screen`` (the service's computability check)."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _file_error("file", "legacy .xls is not supported: save as .xlsx or CSV (UTF-8)")
    parse = parse_csv
    if data.startswith(b"PK\x03\x04") or filename.lower().endswith((".xlsx", ".xlsm")):
        parse = parse_xlsx
    return parse(
        data,
        organisation_id=organisation_id,
        facilities=facilities,
        max_rows=max_rows,
        clock=clock,
        screen=screen,
    )


def parse_csv(
    data: bytes,
    *,
    organisation_id: str,
    facilities: Mapping[str, Facility],
    max_rows: int = MAX_ROWS,
    clock: Clock = utc_now,
    screen: Screen | None = None,
) -> list[ActivityRecord]:
    """Parse a comma-separated upload (UTF-8, with or without BOM, or GB18030)."""
    text, _encoding = decode_csv(data)
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise _file_error("file", f"not a readable CSV file: {exc}") from None
    numbered = [(n, line) for n, line in enumerate(lines, start=1)]
    context = RowContext(organisation_id, facilities, clock().date(), screen)
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
    screen: Screen | None = None,
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
    context = RowContext(organisation_id, facilities, clock().date(), screen)
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
        filled += not all(is_blank(cell) for cell in row)
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
    screen: Screen | None = None,
) -> list[ActivityRecord]:
    """Parse rows already split into fields (JSON from the API). Keys are column names in either
    language. Issues number the rows from ``first_row`` (2, as if row 1 were a header; the API may
    pass 0 to report array indices)."""
    context = RowContext(organisation_id, facilities, clock().date(), screen)
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
    return validate_rows(mapped, context, issues)


def _parse_table(
    rows: Iterator[tuple[int, Sequence[object]]], context: RowContext, max_rows: int
) -> list[ActivityRecord]:
    header_row = next(rows, None)
    if header_row is None or all(is_blank(cell) for cell in header_row[1]):
        raise _file_error("file", "the file is empty: row 1 must be the header")
    columns = _read_header(header_row[1])
    mapped: list[tuple[int, dict[str, object]]] = []
    issues: list[FieldIssue] = []
    for n, cells in rows:
        if all(is_blank(cell) for cell in cells):
            continue
        if len(mapped) >= max_rows:
            raise _too_many(max_rows)
        row: dict[str, object] = {}
        for i, cell in enumerate(cells):
            if i < len(columns) and columns[i]:
                row[columns[i]] = cell
            elif not is_blank(cell):
                issues.append(FieldIssue(("rows", n), cell, "a value in a column with no header"))
                break
        mapped.append((n, row))
    if not mapped:
        raise _file_error("rows", "there are no data rows below the header")
    return validate_rows(mapped, context, issues)


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


def _clean_header(value: object) -> str:
    return "" if value is None else str(value).strip().lstrip("\ufeff").strip().lower()


def _unknown_column_reason() -> str:
    return "unknown column; expected: " + ", ".join(COLUMNS)


def _too_many(max_rows: int) -> InvalidInput:
    return _file_error("rows", f"more than {max_rows} data rows: split the upload")


def _file_error(where: str, reason: str) -> InvalidInput:
    return InvalidInput(f"{reason}; nothing was stored", [FieldIssue((where,), None, reason)])
