"""The upload template parses back through intake, in both formats."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from carbonbridge.accounting.intake import parse_csv, parse_upload, parse_xlsx
from carbonbridge.accounting.model import Facility
from carbonbridge.accounting.template import (
    EXAMPLE_FACILITY_IDS,
    EXAMPLE_ROWS,
    template_csv,
    template_xlsx,
)

ORG = "org_example"
FACILITIES = {fid: Facility(fid, ORG, fid, "CN-HI", "CN-GRID-SOUTH") for fid in EXAMPLE_FACILITY_IDS}


def test_csv_template_parses_back_to_its_examples() -> None:
    records = parse_csv(template_csv(), organisation_id=ORG, facilities=FACILITIES)
    assert [(r.activity, r.quantity, r.instrument) for r in records] == [
        (row[4], row[5], row[7] or None) for row in EXAMPLE_ROWS
    ]


def test_xlsx_template_parses_back_to_its_examples() -> None:
    from_csv = parse_csv(template_csv(), organisation_id=ORG, facilities=FACILITIES)
    from_xlsx = parse_xlsx(template_xlsx(), organisation_id=ORG, facilities=FACILITIES)
    strip = [(r.period_start, r.period_end, r.activity, r.quantity, r.unit, r.note) for r in from_csv]
    assert [(r.period_start, r.period_end, r.activity, r.quantity, r.unit, r.note)
            for r in from_xlsx] == strip  # fmt: skip


def test_xlsx_template_has_a_codes_sheet_listing_every_family() -> None:
    workbook = load_workbook(io.BytesIO(template_xlsx()), read_only=True)
    assert workbook.sheetnames == ["activity", "codes"]
    prefixes = [row[0] for row in workbook["codes"].iter_rows(min_row=2, max_row=10, values_only=True)]
    assert prefixes == ["fuel", "mobile", "electricity", "heat", "refrigerant", "process",
                        "travel", "hotel", "waste"]  # fmt: skip
    workbook.close()


def test_upload_dispatch_reads_the_xlsx_template() -> None:
    records = parse_upload("template.xlsx", template_xlsx(), organisation_id=ORG, facilities=FACILITIES)
    assert len(records) == len(EXAMPLE_ROWS)
