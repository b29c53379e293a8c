"""The activity-data upload template (``docs/activity-template.md``) as CSV and as XLSX.

Both carry the header and six example rows for the facilities in :data:`EXAMPLE_FACILITY_IDS`;
the workbook adds a ``codes`` sheet listing activity-code families, their category and the units
each accepts, with bilingual notes. Both parse back through :mod:`carbonbridge.accounting.intake`.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from carbonbridge.accounting.intake import COLUMN_ZH, COLUMNS, PREFIX_CATEGORY, PREFIX_UNITS

#: Facility ids the example rows use (replace them with your own facilities' ids).
EXAMPLE_FACILITY_IDS = ("FAC-EXAMPLE-1", "FAC-EXAMPLE-2")

_F1, _F2 = EXAMPLE_FACILITY_IDS
#: facility_id, period_start, period_end, category, activity, quantity, unit, instrument, note
EXAMPLE_ROWS: tuple[tuple[str, date, date, str, str, Decimal, str, str, str], ...] = (
    (_F1, date(2024, 1, 1), date(2024, 1, 31), "purchased_electricity", "electricity.grid",
     Decimal("182400"), "kWh", "", "main meter / 总表"),
    (_F1, date(2024, 1, 1), date(2024, 1, 31), "purchased_electricity", "electricity.grid",
     Decimal("50000"), "kWh", "GEC", "covered by green electricity certificates / 绿证"),
    (_F1, date(2024, 1, 1), date(2024, 3, 31), "stationary_combustion", "fuel.natural_gas",
     Decimal("12500"), "Nm3", "", "kitchen and boilers / 厨房与锅炉"),
    (_F2, date(2024, 1, 1), date(2024, 3, 31), "mobile_combustion", "mobile.diesel",
     Decimal("2.705"), "t", "", "shuttle buses / 接驳车"),
    (_F1, date(2024, 1, 1), date(2024, 6, 30), "refrigerant", "refrigerant.R-410A",
     Decimal("12.5"), "kg", "", "air-conditioning top-up / 空调补充冷媒"),
    (_F2, date(2025, 1, 1), date(2025, 12, 31), "business_travel",
     "travel.flight.long_haul.business", Decimal("18400"), "passenger_km", "", ""),
)  # fmt: skip

#: Activity-code families for the ``codes`` sheet: prefix, example code, English, Chinese.
CODE_FAMILIES = (
    ("fuel", "fuel.natural_gas, fuel.diesel, fuel.lpg, fuel.other_bituminous_coal",
     "stationary combustion of a fuel", "固定源燃料燃烧"),
    ("mobile", "mobile.diesel, mobile.motor_gasoline, mobile.natural_gas",
     "mobile (road) combustion", "移动源燃料燃烧"),
    ("electricity", "electricity.grid", "purchased grid electricity", "外购电力"),
    ("heat", "heat.purchased", "purchased heat or steam", "外购热力"),
    ("refrigerant", "refrigerant.R-410A, refrigerant.HFC-134a",
     "refrigerant top-up (proxy for leaks)", "制冷剂补充量（泄漏估算）"),
    ("process", "process.clinker", "process emissions", "工业生产过程排放"),
    ("travel", "travel.flight.long_haul.business, travel.rail.national",
     "business travel", "差旅交通"),
    ("hotel", "hotel.CN, hotel.GB", "hotel stay (ISO country)", "差旅住宿（国家代码）"),
    ("waste", "waste.commercial_industrial.landfill", "waste generated in operations", "运营产生的废弃物"),
)  # fmt: skip

_UNIT_EXAMPLES = {
    "kg": "t, kg",
    "m^3": "L, m^3",
    "Nm3": "Nm3, 10^4 Nm3",
    "GJ": "GJ, kWh",
    "kWh": "kWh, MWh",
    "passenger_km": "passenger_km",
    "room_night": "room_night",
}


def _cells(row: tuple[str, date, date, str, str, Decimal, str, str, str]) -> list[str]:
    return [str(value) if not isinstance(value, date) else value.isoformat() for value in row]


def template_csv() -> bytes:
    """The template as UTF-8 CSV (with BOM, so that Excel opens the Chinese notes correctly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(_cells(row) for row in EXAMPLE_ROWS)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def template_xlsx() -> bytes:
    """The template as a workbook: sheet ``activity`` (header + examples) and sheet ``codes``."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "activity"
    sheet.append(list(COLUMNS))
    for cell, name in zip(sheet[1], COLUMNS, strict=True):
        cell.font = Font(bold=True)
        cell.comment = Comment(f"{name} / {COLUMN_ZH[name]}", "carbonbridge")
    for row in EXAMPLE_ROWS:
        facility, start, end, category, activity, quantity, unit, instrument, note = row
        sheet.append([facility, start, end, category, activity, quantity, unit,
                      instrument or None, note or None])  # fmt: skip
    for column in "BC":
        for cell in sheet[column][1:]:
            cell.number_format = "yyyy-mm-dd"
    codes = workbook.create_sheet("codes")
    codes.append(["prefix / 前缀", "examples / 示例代码", "category / 类别",
                  "accepted units / 可用单位", "meaning", "含义"])  # fmt: skip
    for prefix, examples, meaning_en, meaning_zh in CODE_FAMILIES:
        units = "; ".join(_UNIT_EXAMPLES[ref] for ref in PREFIX_UNITS[prefix])
        codes.append([prefix, examples, PREFIX_CATEGORY[prefix].value, units, meaning_en, meaning_zh])
    codes.append([])
    codes.append(["column / 列", "中文", "required / 必填"])
    for name in COLUMNS:
        required = "yes / 是" if name not in ("instrument", "note") else "no / 否"
        codes.append([name, COLUMN_ZH[name], required])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
