"""The stateless calculation: rows or a file computed without storing anything, one answer per
surface (issue 10 §2).

The CLI (``carbonbridge inventory compute``), the API (``POST /api/v1/inventory/compute`` and
``/inventory/compute-file``) and the web page (``/inventory/compute``) all call :func:`compute_rows`
or :func:`compute_file`, so that each uses the installation's factor library with the region's
pinned datasets searched first (:func:`service.calculator`), and each returns the same figures.

A file is never summed across years or organisations: the result holds one inventory per
organisation and reporting year (:class:`AdhocInventory`). Facilities say which organisation they
belong to; without one they belong to the one ad-hoc organisation of the calculation.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from carbonbridge.accounting import service
from carbonbridge.accounting.computability import Computability, Refusal
from carbonbridge.accounting.framework_names import canonical_framework
from carbonbridge.accounting.intake import Screen, decode_csv, parse_rows, parse_upload
from carbonbridge.accounting.model import (
    ActivityRecord,
    Facility,
    Organisation,
    OrganisationKind,
    RecordEmissions,
)
from carbonbridge.factors.model import FactorCatalogue, GwpSet
from carbonbridge.factors.service import library
from carbonbridge.kernel.errors import FieldIssue, InvalidInput

__all__ = [
    "ADHOC",
    "AdhocInventory",
    "adhoc_organisation",
    "compute_file",
    "compute_rows",
    "facility_ids",
    "file_facilities",
]

#: id of the organisation a facility belongs to when the caller names none
ADHOC = "adhoc"


@dataclass(frozen=True)
class AdhocInventory:
    """A stateless calculation: one inventory per (organisation, reporting year), in that order."""

    gwp: GwpSet
    #: the canonical framework the caller asked for (``None``: every framework)
    framework: str | None
    parts: tuple[service.OrganisationInventory, ...]
    #: the region's pinned datasets the calculation searched first (empty: none pinned)
    pinned: tuple[str, ...]

    @property
    def records(self) -> tuple[RecordEmissions, ...]:
        return tuple(e for part in self.parts for e in part.records)

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted({p.year for p in self.parts}))


def adhoc_organisation(kind: OrganisationKind, region: str) -> Organisation:
    """The organisation of facilities that name none."""
    return Organisation(ADHOC, "ad-hoc calculation", "临时计算", kind, region)


def _framework(name: str | None) -> str | None:
    return None if name is None or not name.strip() else canonical_framework(name)


def _organisations(
    facilities: Sequence[Facility], organisations: Sequence[Organisation], kind: OrganisationKind
) -> dict[str, Organisation]:
    """Each facility's organisation by id; an unknown one is an error naming the facility."""
    known = {o.id: o for o in organisations}
    if not facilities:
        raise InvalidInput("no facilities", [FieldIssue(("facilities",), [], "at least one facility")])
    if any(f.organisation_id == ADHOC for f in facilities):
        known.setdefault(ADHOC, adhoc_organisation(kind, facilities[0].region))
    issues = [
        FieldIssue(
            ("facilities", n, "organisation_id"), f.organisation_id, "not one of the organisations given"
        )
        for n, f in enumerate(facilities)
        if f.organisation_id not in known
    ]
    if issues:
        raise InvalidInput("a facility names an unknown organisation", issues)
    return known


_Parse = Callable[[Mapping[str, Facility], Screen], list[ActivityRecord]]


def facility_ids(filename: str, data: bytes) -> list[str]:
    """Facility ids named in an activity file (so that a file can be computed without registering
    its facilities)."""
    if data.startswith(b"PK\x03\x04") or filename.lower().endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (OSError, ValueError, KeyError):
            return []  # intake names what is wrong with the workbook
        sheet = workbook["activity"] if "activity" in workbook.sheetnames else workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [str(c or "").strip() for c in next(rows, ())]
        column = next((i for i, h in enumerate(header) if h in ("facility_id", "设施编号")), None)
        if column is None:
            return []
        return sorted(
            {str(r[column]).strip() for r in rows if r and len(r) > column and r[column] is not None}
        )
    try:
        text, _ = decode_csv(data)
    except InvalidInput:
        return []  # intake names the encoding problem
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        ids = {(row.get("facility_id") or row.get("设施编号") or "").strip() for row in reader}
    except csv.Error:
        return []  # intake names the unreadable file (a 422, not a 500)
    return sorted(i for i in ids if i)


def file_facilities(filename: str, data: bytes, region: str, grid_region: str) -> list[Facility]:
    """One ad-hoc facility in ``region`` and ``grid_region`` per facility id the file names."""
    return [Facility(f, ADHOC, f, region, grid_region) for f in facility_ids(filename, data)]


def _parse(
    facilities: Sequence[Facility],
    known: Mapping[str, Organisation],
    resolver: FactorCatalogue,
    parse: _Parse,
) -> list[ActivityRecord]:
    """Parse with intake's rules, every row screened for its own organisation's sector, then give
    each record its facility's organisation."""
    owner = {f.id: f.organisation_id for f in facilities}
    # intake checks a facility against the one uploading organisation: parse as ADHOC throughout
    sites = {f.id: replace(f, organisation_id=ADHOC) for f in facilities}
    screen = Computability(service.calculator(resolver, list(known.values())))

    def screened(record: ActivityRecord) -> Refusal | None:
        return screen(replace(record, organisation_id=owner[record.facility_id]))

    records = parse(sites, screened)
    return [replace(r, organisation_id=owner[r.facility_id]) for r in records]


def _split(
    records: Sequence[ActivityRecord],
    known: Mapping[str, Organisation],
    resolver: FactorCatalogue,
    gwp: GwpSet,
    framework: str | None,
) -> AdhocInventory:
    groups: dict[tuple[str, int], list[ActivityRecord]] = {}
    for r in records:
        groups.setdefault((r.organisation_id, r.year), []).append(r)
    parts = tuple(
        replace(service.inventory_of(known[org], group, resolver, gwp), year=year)
        for (org, year), group in sorted(groups.items())
    )
    return AdhocInventory(gwp, framework, parts, tuple(resolver.pinned))


def compute_rows(
    sessions: service.SessionFactory,
    rows: Sequence[Mapping[str, object]],
    facilities: Sequence[Facility],
    gwp: GwpSet,
    *,
    kind: OrganisationKind = OrganisationKind.OTHER,
    organisations: Sequence[Organisation] = (),
    framework: str | None = None,
) -> AdhocInventory:
    """Rows (the template's columns) computed with the installation's library and pins, one
    inventory per organisation and year; nothing is stored."""
    chosen = _framework(framework)
    known = _organisations(facilities, organisations, kind)
    resolver = library(sessions)

    def parse(sites: Mapping[str, Facility], screen: Screen) -> list[ActivityRecord]:
        return parse_rows(rows, organisation_id=ADHOC, facilities=sites, first_row=0, screen=screen)

    return _split(_parse(facilities, known, resolver, parse), known, resolver, gwp, chosen)


def compute_file(
    sessions: service.SessionFactory,
    filename: str,
    data: bytes,
    facilities: Sequence[Facility],
    gwp: GwpSet,
    *,
    kind: OrganisationKind = OrganisationKind.OTHER,
    organisations: Sequence[Organisation] = (),
    framework: str | None = None,
) -> AdhocInventory:
    """An activity file (CSV or XLSX template) computed like :func:`compute_rows`."""
    chosen = _framework(framework)
    known = _organisations(facilities, organisations, kind)
    resolver = library(sessions)

    def parse(sites: Mapping[str, Facility], screen: Screen) -> list[ActivityRecord]:
        return parse_upload(filename, data, organisation_id=ADHOC, facilities=sites, screen=screen)

    return _split(_parse(facilities, known, resolver, parse), known, resolver, gwp, chosen)
