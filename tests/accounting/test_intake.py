"""Activity-data intake: formats, every validation rule, and the all-or-nothing contract."""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from carbonbridge.accounting.intake import (
    decode_csv,
    parse_csv,
    parse_rows,
    parse_upload,
    parse_xlsx,
)
from carbonbridge.accounting.model import ActivityCategory, ActivityRecord, Facility
from carbonbridge.kernel.errors import InvalidInput

ORG = "org_1"
FACILITIES: Mapping[str, Facility] = {
    "fac_1": Facility("fac_1", ORG, "Main site", "CN-HI", "CN-GRID-SOUTH"),
    "fac_2": Facility("fac_2", ORG, "Annex", "CN-HI", "CN-GRID-SOUTH"),
    "fac_other": Facility("fac_other", "org_2", "Elsewhere", "CN-HI", "CN-GRID-SOUTH"),
}
HEADER = "facility_id,period_start,period_end,category,activity,quantity,unit,instrument,note"
GOOD = "fac_1,2024-01-01,2024-01-31,purchased_electricity,electricity.grid,125000.5,kWh,,"


def fixed_clock() -> datetime:
    return datetime(2025, 6, 30, 12, tzinfo=UTC)


def csv_of(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def parse(data: bytes) -> list[ActivityRecord]:
    return parse_csv(data, organisation_id=ORG, facilities=FACILITIES, clock=fixed_clock)


def issues_of(data: bytes) -> list[tuple[object, ...]]:
    with pytest.raises(InvalidInput) as caught:
        parse(data)
    return [(*issue.location, issue.reason) for issue in caught.value.issues]


def reasons_for(row: str, column: str) -> list[str]:
    return [str(i[-1]) for i in issues_of(csv_of(row)) if i[:3] == ("rows", 2, column)]


def test_valid_row_becomes_record_with_facility_region() -> None:
    (record,) = parse(csv_of(GOOD))
    assert record.quantity == Decimal("125000.5")
    assert record.category is ActivityCategory.PURCHASED_ELECTRICITY
    assert (record.region, record.grid_region) == ("CN-HI", "CN-GRID-SOUTH")
    assert record.period_start == date(2024, 1, 1)
    assert record.id.startswith("act_")


def test_every_invalid_row_is_reported_with_spreadsheet_row_numbers() -> None:
    data = csv_of(GOOD, GOOD.replace("fac_1", "fac_9"), GOOD.replace("kWh", "kg"))
    with pytest.raises(InvalidInput) as caught:
        parse(data)
    assert caught.value.detail == "2 of 3 rows are invalid; nothing was stored"
    assert [i.location for i in caught.value.issues] == [
        ("rows", 3, "facility_id"),
        ("rows", 4, "unit"),
    ]


def test_chinese_headers_and_bom_and_gb18030_are_accepted() -> None:
    zh = "设施编号,开始日期,结束日期,类别,活动代码,数量,单位,绿电凭证,备注"
    text = csv_of(GOOD.replace(",,", ",GEC,一月"), header=zh).decode()
    for data in (b"\xef\xbb\xbf" + text.encode(), text.encode("gb18030")):
        (record,) = parse(data)
        assert (record.instrument, record.note) == ("GEC", "一月")
    assert decode_csv(text.encode("gb18030"))[1] == "gb18030"


def test_bilingual_header_cells_are_accepted() -> None:
    header = HEADER.replace("facility_id", "facility_id / 设施编号")
    assert len(parse(csv_of(GOOD, header=header))) == 1


@pytest.mark.parametrize(
    ("header", "location"),
    [
        (HEADER.replace("unit,", ""), ("columns", "unit")),
        (HEADER + ",colour", ("columns", "colour")),
        (HEADER.replace("note", "unit"), ("columns", "unit")),
    ],
)
def test_header_problems_are_named(header: str, location: tuple[str, str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(csv_of(GOOD, header=header))
    assert location in [i.location for i in caught.value.issues]


@pytest.mark.parametrize("data", [b"", b"\n\n", csv_of()])
def test_empty_files_are_invalid(data: bytes) -> None:
    with pytest.raises(InvalidInput):
        parse(data)


@pytest.mark.parametrize(
    ("row", "column", "reason_part"),
    [
        (GOOD.replace("fac_1", "fac_other"), "facility_id", "not a facility"),
        (GOOD.replace("2024-01-01", "2024-13-01"), "period_start", "not a calendar date"),
        (GOOD.replace("2024-01-01", "01/01/2024"), "period_start", "ISO date"),
        (GOOD.replace("2024-01-01", "2024-02-01"), "period_end", "before period_start"),
        (GOOD.replace("2024-01-01", "2023-12-01"), "period_end", "one calendar year"),
        (GOOD.replace("2024", "2025").replace("01-31", "12-31"), "period_end", "not over"),
        (GOOD.replace("2024", "1989"), "period_start", "1990"),
        (GOOD.replace("purchased_electricity", "waste"), "category", "is purchased_electricity"),
        (GOOD.replace("purchased_electricity", "scope9"), "category", "not one of"),
        (GOOD.replace("electricity.grid", "electricity.green"), "activity", "valid"),
        (GOOD.replace("electricity.grid", "magic.dust"), "activity", "prefix"),
        (GOOD.replace("125000.5", "-1"), "quantity", "negative"),
        (GOOD.replace("125000.5", '"125,000.5"'), "quantity", "thousands"),
        (GOOD.replace("125000.5", "NaN"), "quantity", "finite"),
        (GOOD.replace("125000.5", "Infinity"), "quantity", "finite"),
        (GOOD.replace("125000.5", "1.1234567"), "quantity", "decimal places"),
        (GOOD.replace("125000.5", "1e20"), "quantity", "implausibly"),
        (GOOD.replace("kWh", "wombats"), "unit", "unknown unit"),
        (GOOD.replace("kWh", "1/0"), "unit", "unknown unit"),
        (GOOD.replace("kWh", "t"), "unit", "convertible"),
        (GOOD.replace(",,", ",REC,"), "instrument", "GEC or PPA"),
    ],
)
def test_row_rule_is_enforced(row: str, column: str, reason_part: str) -> None:
    assert any(reason_part in reason for reason in reasons_for(row, column)), issues_of(csv_of(row))


def test_instrument_only_on_electricity() -> None:
    row = "fac_1,2024-01-01,2024-01-31,stationary_combustion,fuel.natural_gas,10,Nm3,GEC,"
    assert reasons_for(row, "instrument") == ["an instrument applies to electricity.grid rows only"]


def test_missing_required_field_is_reported() -> None:
    assert reasons_for(GOOD.replace("kWh", ""), "unit") == ["required (单位)"]


def test_duplicate_rows_are_flagged() -> None:
    assert ("rows", 3, "duplicates row 2") in issues_of(csv_of(GOOD, GOOD))


@pytest.mark.parametrize(
    ("activity", "category", "unit"),
    [
        ("fuel.natural_gas", "stationary_combustion", "Nm3"),
        ("fuel.natural_gas", "stationary_combustion", "10^4 Nm3"),
        ("fuel.diesel", "stationary_combustion", "L"),
        ("fuel.diesel", "stationary_combustion", "t"),
        ("fuel.lpg", "stationary_combustion", "m3"),
        ("mobile.natural_gas", "mobile_combustion", "Nm3"),
        ("heat.purchased", "purchased_heat", "GJ"),
        ("refrigerant.R-410A", "refrigerant", "kg"),
        ("refrigerant.HFC-134a", "refrigerant", "kg"),
        ("process.clinker", "process", "t"),
        ("travel.flight.long_haul.business", "business_travel", "passenger_km"),
        ("travel.rail.national", "business_travel", "pkm"),
        ("hotel.GB", "business_travel", "room_night"),
        ("waste.municipal.landfill", "waste", "t"),
    ],
)
def test_activity_families_accept_their_units(activity: str, category: str, unit: str) -> None:
    row = f"fac_2,2024-04-01,2024-06-30,{category},{activity},12.5,{unit},,"
    (record,) = parse(csv_of(row))
    assert record.unit == {"m3": "m^3"}.get(unit, unit)


def test_more_cells_than_header_is_reported() -> None:
    assert ("rows", 2, "a value in a column with no header") in issues_of(csv_of(GOOD + ",extra"))


def test_value_under_a_blank_header_cell_is_reported() -> None:
    data = csv_of(GOOD.replace(",,", ",,x,"), header=HEADER.replace(",note", ",,note"))
    assert ("rows", 2, "a value in a column with no header") in issues_of(data)


def test_row_limit_is_enforced() -> None:
    with pytest.raises(InvalidInput, match="more than 1 data rows"):
        parse_csv(csv_of(GOOD, GOOD), organisation_id=ORG, facilities=FACILITIES, max_rows=1)


def test_blank_lines_are_skipped_but_counted() -> None:
    assert issues_of(csv_of("", GOOD.replace("kWh", "kg")))[0][:2] == ("rows", 3)


def xlsx_of(rows: list[list[object]], title: str = "activity") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "notes"
    target = workbook.create_sheet(title)
    for row in rows:
        target.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_activity_sheet_with_native_dates_and_numbers() -> None:
    naive = datetime(2024, 1, 1)  # noqa: DTZ001 - spreadsheets hold naive datetimes
    row: list[object] = ["fac_1", naive, date(2024, 3, 31), "stationary_combustion"]
    row += ["fuel.diesel", 0.1 + 0.2, "t", None, None]
    data = xlsx_of([HEADER.split(","), row])
    (record,) = parse_xlsx(data, organisation_id=ORG, facilities=FACILITIES, clock=fixed_clock)
    assert record.quantity == Decimal("0.3")
    assert record.period_start == date(2024, 1, 1)


@pytest.mark.parametrize("data", [b"PK\x03\x04garbage", b"not a zip", xlsx_of([])[:200]])
def test_broken_xlsx_is_invalid_input(data: bytes) -> None:
    with pytest.raises(InvalidInput):
        parse_xlsx(data, organisation_id=ORG, facilities=FACILITIES)


def test_upload_dispatches_on_magic_bytes() -> None:
    data = xlsx_of([HEADER.split(","), GOOD.split(",")])
    kwargs = {"organisation_id": ORG, "facilities": FACILITIES, "clock": fixed_clock}
    assert len(parse_upload("activity.csv", data, **kwargs)) == 1  # type: ignore[arg-type]
    assert len(parse_upload("a.csv", csv_of(GOOD), **kwargs)) == 1  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"legacy \.xls"):
        parse_upload("old.xls", b"\xd0\xcf\x11\xe0rest", **kwargs)  # type: ignore[arg-type]


def test_json_rows_use_given_numbering_and_reject_unknown_keys() -> None:
    good = dict(zip(HEADER.split(","), GOOD.split(","), strict=True)) | {"quantity": 12.5}
    assert parse_rows([good], organisation_id=ORG, facilities=FACILITIES, clock=fixed_clock)
    with pytest.raises(InvalidInput) as caught:
        parse_rows([good, good | {"colour": "red"}], organisation_id=ORG,
                   facilities=FACILITIES, clock=fixed_clock, first_row=0)  # fmt: skip
    assert caught.value.issues[0].location == ("rows", 1, "colour")


def test_json_rows_reject_booleans_as_quantity() -> None:
    good = dict(zip(HEADER.split(","), GOOD.split(","), strict=True)) | {"quantity": True}
    with pytest.raises(InvalidInput, match="1 of 1 rows"):
        parse_rows([good], organisation_id=ORG, facilities=FACILITIES, clock=fixed_clock)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=300).map(str.encode))
def test_any_bytes_parse_or_raise_invalid_input(data: bytes) -> None:
    with contextlib.suppress(InvalidInput):
        parse(data)


cells = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(cells, min_size=1, max_size=10), max_size=4))
def test_any_table_after_valid_header_parses_or_raises_invalid_input(
    rows: list[list[str]],
) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER.split(","), *rows])
    with contextlib.suppress(InvalidInput):
        parse(buffer.getvalue().encode())


quantities = st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 12), quantities), min_size=1, max_size=12, unique_by=lambda t: t[0]))
def test_valid_file_round_trips(months: list[tuple[int, Decimal]]) -> None:
    rows = [GOOD.replace("-01-01", f"-{m:02d}-01").replace("-01-31", f"-{m:02d}-28")
            .replace("125000.5", str(q)) for m, q in months]  # fmt: skip
    records = parse(csv_of(*rows))
    assert [(r.period_start.month, r.quantity) for r in records] == months


TEMPLATE_FACILITIES = {
    fid: Facility(fid, ORG, fid, "CN-HI", "CN-GRID-SOUTH") for fid in ("FAC-EXAMPLE-1", "FAC-EXAMPLE-2")
}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=6))
def test_damaged_workbooks_raise_invalid_input(edits: list[tuple[int, int]]) -> None:
    from carbonbridge.accounting.template import template_xlsx

    data = bytearray(template_xlsx())
    for position, byte in edits:
        data[position % len(data)] = byte
    with contextlib.suppress(InvalidInput):
        parse_xlsx(bytes(data), organisation_id=ORG, facilities=TEMPLATE_FACILITIES)


def test_xlsx_row_limit_is_enforced() -> None:
    data = xlsx_of([HEADER.split(","), GOOD.split(","), GOOD.split(","), GOOD.split(",")])
    with pytest.raises(InvalidInput, match="more than 2 data rows"):
        parse_xlsx(data, organisation_id=ORG, facilities=FACILITIES, max_rows=2)


json_values = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_keys = st.sampled_from([*HEADER.split(","), "数量", "colour"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(json_keys, json_values, max_size=10), max_size=4))
def test_any_json_rows_parse_or_raise_invalid_input(rows: list[dict[str, object]]) -> None:
    with contextlib.suppress(InvalidInput):
        parse_rows(rows, organisation_id=ORG, facilities=FACILITIES, clock=fixed_clock)


def test_json_row_naming_a_column_in_both_languages_is_rejected() -> None:
    good = dict(zip(HEADER.split(","), GOOD.split(","), strict=True)) | {"数量": "3"}
    with pytest.raises(InvalidInput) as caught:
        parse_rows([good], organisation_id=ORG, facilities=FACILITIES, clock=fixed_clock)
    assert [i.reason for i in caught.value.issues] == ["column given twice"]


def test_split_keeps_every_public_name_importable_from_intake() -> None:
    """The row rules moved to ``accounting.validation``; ``intake`` still exports every public name
    its users import (service, cli, template, demo), and they are the same objects."""
    from carbonbridge.accounting import intake, validation

    for name in intake.__all__:
        assert hasattr(intake, name), name
    for name in ("COLUMNS", "COLUMN_ZH", "PREFIX_CATEGORY", "PREFIX_UNITS", "UNIT_ALIASES"):
        assert getattr(intake, name) is getattr(validation, name)
    assert intake.COLUMNS[:7] == intake.REQUIRED_COLUMNS
