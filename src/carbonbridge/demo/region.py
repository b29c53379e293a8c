"""A deterministic synthetic demo region: "Demo County / 示范县", a tourism county in Hainan.

Everything is generated from one seed (``random.Random(seed)``), so the same seed gives the same
organisations, facilities, ids and quantities. Every name carries a ``[SYNTHETIC]`` / ``【虚构】``
label and every record a synthetic note: this is demonstration data, not a description of any real
county, enterprise or site. Population and GDP are round figures of the right order for a county
of about 160,000 people, not statistics.
"""

from __future__ import annotations

import calendar
import csv
import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from carbonbridge.accounting.model import ACTIVITY_COLUMNS, ActivityRecord, Facility, Organisation
from carbonbridge.demo.profiles import Line, OrganisationSpec, all_specs

YEARS = (2023, 2024, 2025)
REGION = "CN-HI"
GRID_REGION = "CN-GRID-SOUTH"
LABEL_EN = "[SYNTHETIC]"
LABEL_ZH = "【虚构】"
NOTICE_EN = (
    "SYNTHETIC DEMO DATA: Demo County, its organisations, facilities and figures are invented "
    "for demonstration and testing. They describe no real place or enterprise."
)
NOTICE_ZH = "虚构演示数据：示范县及其机构、设施和数据均为演示与测试而虚构，不对应任何真实地区或企业。"
RECORD_NOTE = "synthetic demo data / 虚构演示数据"
_POPULATION = {2023: 159_600, 2024: 160_300, 2025: 160_900}
_GDP_10K_CNY = {2023: Decimal("1336500"), 2024: Decimal("1421800"), 2025: Decimal("1498300")}


@dataclass(frozen=True)
class DemoRegion:
    """A synthetic region, its reporters and their activity data (:func:`generate_region`)."""

    name_en: str
    name_zh: str
    region: str
    grid_region: str
    #: resident population by year
    population: dict[int, int]
    #: gross domestic product by year, in 10^4 CNY (万元)
    gdp_10k_cny: dict[int, Decimal]
    organisations: list[Organisation]
    facilities: list[Facility]
    records: list[ActivityRecord]
    notice_en: str
    notice_zh: str


def generate_region(seed: int = 2024) -> DemoRegion:
    """Generate Demo County: 50 reporting organisations, their facilities, and monthly, quarterly
    or annual activity records for 2023-2025. Deterministic in ``seed``."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not cryptography
    organisations: list[Organisation] = []
    facilities: list[Facility] = []
    records: list[ActivityRecord] = []
    for number, spec in enumerate(all_specs(rng), start=1):
        organisation = Organisation(
            id=f"demo-org-{number:03d}",
            name_en=f"{spec.name_en} {LABEL_EN}",
            name_zh=f"{spec.name_zh}{LABEL_ZH}",
            kind=spec.kind,
            region=REGION,
        )
        organisations.append(organisation)
        sites = [
            Facility(
                id=f"{organisation.id}-f{index + 1}",
                organisation_id=organisation.id,
                name=f"{spec.name_en}, {name_en} / {spec.name_zh}{name_zh} {LABEL_EN}",
                region=REGION,
                grid_region=GRID_REGION,
            )
            for index, (name_en, name_zh) in enumerate(spec.facilities)
        ]
        facilities += sites
        records += _records(organisation, sites, spec, rng)
    return DemoRegion(
        name_en=f"Demo County {LABEL_EN}",
        name_zh=f"示范县{LABEL_ZH}",
        region=REGION,
        grid_region=GRID_REGION,
        population=dict(_POPULATION),
        gdp_10k_cny=dict(_GDP_10K_CNY),
        organisations=organisations,
        facilities=facilities,
        records=records,
        notice_en=NOTICE_EN,
        notice_zh=NOTICE_ZH,
    )


def _records(
    organisation: Organisation, sites: list[Facility], spec: OrganisationSpec, rng: random.Random
) -> list[ActivityRecord]:
    records: list[ActivityRecord] = []
    for year in YEARS:
        for line in spec.lines:
            if line.from_year is not None and year < line.from_year:
                continue
            if line.chance < 1 and rng.random() >= line.chance:
                continue
            level = line.annual * (line.trend or {}).get(year, 1.0)
            for start, end, weight in _periods(year, line):
                amount = level * weight * rng.uniform(0.92, 1.08)
                facility = sites[line.facility]
                records.append(
                    ActivityRecord(
                        id=f"{organisation.id}-a{len(records) + 1:05d}",
                        organisation_id=organisation.id,
                        facility_id=facility.id,
                        period_start=start,
                        period_end=end,
                        category=line.category,
                        activity=line.activity,
                        quantity=Decimal(f"{amount:.{line.places}f}"),
                        unit=line.unit,
                        region=facility.region,
                        grid_region=facility.grid_region,
                        instrument=line.instrument,
                        note=RECORD_NOTE,
                    )
                )
    return records


def _periods(year: int, line: Line) -> list[tuple[date, date, float]]:
    """The reporting periods of ``line`` in ``year`` with each period's share of the year."""
    total = sum(line.weights)
    months = {"M": 1, "Q": 3, "A": 12}[line.frequency]
    periods = []
    for first in range(1, 13, months):
        last = first + months - 1
        share = sum(line.weights[first - 1 : last]) / total
        end = date(year, last, calendar.monthrange(year, last)[1])
        periods.append((date(year, first, 1), end, share))
    return periods


def write_csvs(region: DemoRegion, directory: Path | str) -> list[Path]:
    """Write the region as upload files into ``directory`` and return the activity files.

    ``activity-<organisation id>.csv`` per organisation, in the upload template's format
    (``docs/activity-template.md``); ``organisations.csv`` and ``facilities.csv`` for registering
    them first; ``NOTICE.txt`` with the synthetic-data notice.
    """
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    (target / "NOTICE.txt").write_text(f"{region.notice_en}\n{region.notice_zh}\n", "utf-8")
    _write(
        target / "organisations.csv",
        ["id", "name_en", "name_zh", "kind", "region"],
        [[o.id, o.name_en, o.name_zh, o.kind.value, o.region] for o in region.organisations],
    )
    _write(
        target / "facilities.csv",
        ["id", "organisation_id", "name", "region", "grid_region"],
        [[f.id, f.organisation_id, f.name, f.region, f.grid_region] for f in region.facilities],
    )
    by_organisation: dict[str, list[list[str]]] = {o.id: [] for o in region.organisations}
    for r in region.records:
        by_organisation[r.organisation_id].append(
            [
                r.facility_id,
                r.period_start.isoformat(),
                r.period_end.isoformat(),
                r.category.value,
                r.activity,
                str(r.quantity),
                r.unit,
                r.instrument or "",
                r.note,
            ]
        )
    paths = []
    for organisation_id, rows in by_organisation.items():
        path = target / f"activity-{organisation_id}.csv"
        _write(path, list(ACTIVITY_COLUMNS), rows)
        paths.append(path)
    return paths


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
