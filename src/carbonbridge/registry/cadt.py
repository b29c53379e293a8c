"""Our registry's records <-> Climate Action Data Trust (CAD Trust, CADT) v2.0.2 records.

Pure mapping, no database: :func:`export_tables` turns projects, issuances and open serial blocks
into CADT records (API field names, one list per table, in CADT's insert order);
:func:`parse_tables` validates CADT records and returns what an import would create, or raises
:class:`~carbonbridge.kernel.errors.InvalidInput` naming every bad record and field.

Source: the CADT v2.0.2 machine-readable schema (``docs/cadtrust-schema-v2.0.2.json`` of
github.com/Chia-Network/cadt: tables, ``insert_order``, required fields, picklists) and CADT v1's
unit validations (``unitStatusReason`` required for retired and cancelled units). Our own code;
``docs/registry-compliance.md`` has the field-by-field table. What we map *lossily*:

* unit states: CADT v2's ``unitStatus`` picklist is Buffer, Cancelled, Expired, Held, Inactive,
  Issued, Rejected, Retired — no "planned", "pending export" or "exported". We export ``planned``
  as Inactive, ``pending_export`` as Held and ``exported`` as Cancelled, each with a
  ``unitStatusReason`` starting ``carbonbridge:<state>`` so that our own import restores the state;
  another registry reads only the CADT status. On import, Issued is read as held; Rejected, and
  Inactive without our marker, are refused.
* project status: our ``draft`` is exported as Listed; on import Listed → draft, Validated →
  validated, Registered/Verified/Certified/Completed → registered; Inactive, Rejected, Withdrawn
  are refused (no credits should come from them).
* sector, project type and unit type come from a small table by methodology
  (:data:`CLASSIFICATION`), else "Others" / "Any combination of the above" / "Removal - nature"
  or "Reduction - technical" by the project's kind.
* ``verificationBody`` is a CADT picklist of accredited bodies; we do not record the body as a
  picklist value, so we export "Not recorded" (a CADT node will ask for a picklist value).
* ``locationCountry`` is the country's English short name for CN only, else the ISO 3166-1
  alpha-2 code; ``locationRegion`` carries our ISO 3166-2 region, which the import requires.
* owners: ``unitCurrentOwner`` is the holding organisation's id (the registry's own pools are
  "registry"); an import keeps the owner only if that organisation exists here.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from carbonbridge.kernel.errors import FieldIssue, InvalidInput
from carbonbridge.registry.model import Project, ProjectStatus, SerialBlock, UnitState
from carbonbridge.registry.serials import PROJECT_CODE, REGION, Serial, format_serial

#: CADT v2.0.2 ``insert_order`` restricted to the tables we write
INSERT_ORDER = (
    "methodology",
    "project",
    "project_methodology",
    "verification",
    "location",
    "issuance",
    "unit",
)
UNIT_STATUSES = ("Buffer", "Cancelled", "Expired", "Held", "Inactive", "Issued", "Rejected", "Retired")
UNIT_TYPES = (
    "Avoidance - nature",
    "Avoidance - technical",
    "Not Determined",
    "Reduction - nature",
    "Reduction - technical",
    "Removal - nature",
    "Removal - technical",
)
PROJECT_STATUSES = (
    "Certified",
    "Completed",
    "Inactive",
    "Listed",
    "Registered",
    "Rejected",
    "Validated",
    "Verified",
    "Withdrawn",
)
UNIT_METRIC = "tCO2e"
MARKER = "carbonbridge:"
#: fixed namespace of our deterministic CADT GUIDs (uuid5 of ``<table>:<our id>``)
NAMESPACE = uuid.UUID("6f1c1d2e-57a4-5b7e-9a64-2f0c6b1e8c10")

#: methodology id -> (projectSector, projectType, unitType) from the CADT v2.0.2 picklists
CLASSIFICATION: Mapping[str, tuple[str, str, str]] = {
    "CCER-14-002-V01": ("Afforestation and reforestation", "Afforestation", "Removal - nature"),
    "CCER-14-001-V01": ("Afforestation and reforestation", "Afforestation", "Removal - nature"),
    "AMS-I.B": ("Energy industries (renewable-/ non renewable sources)", "Solar", "Reduction - technical"),
    "AMS-III.C": ("Transport", "Transport", "Reduction - technical"),
    "DR-AVOIDED": ("Energy demand", "Energy Efficiency service", "Reduction - technical"),
}
_COUNTRIES = {"CN": "China"}

_EXPORT_STATE: Mapping[UnitState, tuple[str, str]] = {
    UnitState.HELD: ("Held", "held"),
    UnitState.PLANNED: ("Inactive", MARKER + "planned (ex-ante units, not yet verified)"),
    UnitState.RETIRED: ("Retired", "retired"),
    UnitState.CANCELLED: ("Cancelled", "cancelled"),
    UnitState.BUFFER: ("Buffer", "buffer pool against non-permanence"),
    UnitState.PENDING_EXPORT: ("Held", MARKER + "pending_export"),
    UnitState.EXPORTED: ("Cancelled", MARKER + "exported"),
    UnitState.EXPIRED: ("Expired", "expired"),
}
_EXPORT_PROJECT_STATUS = {
    ProjectStatus.DRAFT: "Listed",
    ProjectStatus.VALIDATED: "Validated",
    ProjectStatus.REGISTERED: "Registered",
}
_IMPORT_PROJECT_STATUS = {
    "Listed": ProjectStatus.DRAFT,
    "Validated": ProjectStatus.VALIDATED,
    "Registered": ProjectStatus.REGISTERED,
    "Verified": ProjectStatus.REGISTERED,
    "Certified": ProjectStatus.REGISTERED,
    "Completed": ProjectStatus.REGISTERED,
}


def guid(table: str, ident: str) -> str:
    """The stable CADT GUID of one of our records (re-exports give the same ids)."""
    return str(uuid.uuid5(NAMESPACE, f"{table}:{ident}"))


def classification(project: Project) -> tuple[str, str, str]:
    known = CLASSIFICATION.get(project.methodology.split("@", 1)[0])
    if known is not None:
        return known
    unit = "Removal - nature" if project.kind == "removal" else "Reduction - technical"
    return ("Others", "Any combination of the above", unit)


@dataclass(frozen=True)
class IssuanceRecord:
    """An issuance as the export needs it (``report_id`` is ``None`` for ex-ante units)."""

    id: str
    project_id: str
    vintage: int
    start: int
    end: int
    issued_on: date
    report_id: str | None
    period: tuple[date, date] | None


def export_tables(
    registry_name: str,
    base_url: str,
    projects: Sequence[Project],
    issuances: Sequence[IssuanceRecord],
    blocks: Sequence[SerialBlock],
    owners: Mapping[str, str],
    status_dates: Mapping[str, date],
    today: date,
) -> dict[str, list[dict[str, Any]]]:
    """CADT records for ``projects`` with their ``issuances`` and the open ``blocks`` (one unit
    record per block), in :data:`INSERT_ORDER`. ``owners`` maps an account id to the organisation
    shown as ``unitCurrentOwner``; ``status_dates`` a project or block id to its status date."""
    tables: dict[str, list[dict[str, Any]]] = {t: [] for t in INSERT_ORDER}
    by_project = {p.id: p for p in projects}
    methodologies: dict[str, str] = {}
    for project in projects:
        sector, ptype, _ = classification(project)
        code, _, version = project.methodology.partition("@")
        mid = guid("methodology", project.methodology)
        if project.methodology not in methodologies:
            methodologies[project.methodology] = mid
            tables["methodology"].append(
                {
                    "cadTrustMethodologyId": mid,
                    "methodologyCode": code,
                    "methodologyName": code,
                    "methodologyType": classification(project)[2],
                    "methodologyVersion": version,
                }
            )
        pid = guid("project", project.id)
        tables["project"].append(
            {
                "cadTrustProjectId": pid,
                "projectRegistryName": registry_name,
                "projectId": project.code,
                "projectCreditingProgram": project.standard,
                "projectName": project.name_en,
                "projectDescription": project.name_zh,
                "projectLink": f"{base_url.rstrip('/')}/registry/projects/{project.id}",
                "projectSector": [sector],
                "projectType": [ptype],
                "projectStatus": _EXPORT_PROJECT_STATUS[project.status],
                "projectStatusDate": status_dates.get(project.id, today).isoformat(),
                "projectUnitMetric": UNIT_METRIC,
            }
        )
        tables["project_methodology"].append(
            {
                "cadTrustProjectMethodologyId": guid("project_methodology", project.id),
                "cadTrustProjectId": pid,
                "cadTrustMethodologyId": mid,
            }
        )
        country = project.region.split("-", 1)[0]
        tables["location"].append(
            {
                "cadTrustLocationId": guid("location", project.id),
                "cadTrustProjectId": pid,
                "locationCountry": _COUNTRIES.get(country, country),
                "locationRegion": project.region,
            }
        )
    for issuance in issuances:
        project = by_project[issuance.project_id]
        verification = {
            "cadTrustVerificationId": guid("verification", issuance.id),
            "cadTrustProjectId": guid("project", project.id),
            "verificationId": issuance.report_id or f"ex-ante:{issuance.id}",
            "verificationBody": "Not recorded",
        }
        if issuance.period is not None:
            verification["verificationStartDate"] = issuance.period[0].isoformat()
            verification["verificationEndDate"] = issuance.period[1].isoformat()
        tables["verification"].append(verification)
        tables["issuance"].append(
            {
                "cadTrustIssuanceId": guid("issuance", issuance.id),
                "issuanceId": issuance.id,
                "issuanceDate": issuance.issued_on.isoformat(),
                "cadTrustVerificationId": guid("verification", issuance.id),
                "cadTrustProjectMethodologyId": guid("project_methodology", project.id),
                "cadTrustLocationId": guid("location", project.id),
            }
        )
    for block in sorted(blocks, key=lambda b: (b.project_id, b.vintage, b.start)):
        project = by_project[block.project_id]
        of_block = next(
            (
                i
                for i in issuances
                if i.project_id == block.project_id
                and i.vintage == block.vintage
                and i.start <= block.start <= i.end
            ),
            None,
        )
        if of_block is None:
            raise InvalidInput(
                "block outside every issuance", [FieldIssue(("blocks", block.id), block.start, "no issuance")]
            )
        status, reason = _EXPORT_STATE[block.state]
        tables["unit"].append(
            {
                "cadTrustUnitId": guid("unit", block.id),
                "unitSerialId": format_serial(
                    Serial(project.region, project.code, block.vintage, block.start, block.end)
                ),
                "unitStartBlock": str(block.start),
                "unitEndBlock": str(block.end),
                "unitCount": block.count,
                "unitType": classification(project)[2],
                "unitVintageYear": block.vintage,
                "unitStatus": status,
                "unitStatusReason": reason,
                "unitStatusDate": status_dates.get(block.id, today).isoformat(),
                "unitMetric": UNIT_METRIC,
                "unitCurrentOwner": owners.get(block.account_id, "registry"),
                "cadTrustIssuanceId": guid("issuance", of_block.id),
            }
        )
    return tables


# --- import -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportedUnits:
    start: int
    end: int
    state: UnitState
    owner: str


@dataclass(frozen=True)
class ImportedIssuance:
    origin_id: str
    vintage: int
    start: int
    end: int
    units: tuple[ImportedUnits, ...]


@dataclass(frozen=True)
class ImportedProject:
    origin_registry: str
    origin_project_id: str
    code: str
    region: str
    name_en: str
    name_zh: str
    standard: str
    methodology: str
    kind: str
    status: ProjectStatus
    issuances: tuple[ImportedIssuance, ...] = field(default=())


def import_state(status: str, reason: str) -> UnitState | None:
    """Our state for a CADT ``unitStatus`` and ``unitStatusReason`` (module docstring)."""
    marked = reason.startswith(MARKER)
    if status == "Held":
        return UnitState.PENDING_EXPORT if reason.startswith(MARKER + "pending_export") else UnitState.HELD
    if status == "Inactive":
        return UnitState.PLANNED if reason.startswith(MARKER + "planned") else None
    if status == "Cancelled":
        return (
            UnitState.EXPORTED if marked and reason.startswith(MARKER + "exported") else UnitState.CANCELLED
        )
    return {
        "Issued": UnitState.HELD,
        "Retired": UnitState.RETIRED,
        "Buffer": UnitState.BUFFER,
        "Expired": UnitState.EXPIRED,
    }.get(status)


class _Checker:
    """Collects every issue of a CADT file set, so one refusal lists them all."""

    def __init__(self) -> None:
        self.issues: list[FieldIssue] = []

    def text(
        self, record: Mapping[str, Any], where: tuple[str | int, ...], name: str, limit: int = 500
    ) -> str:
        value = record.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            self.issues.append(FieldIssue((*where, name), value, f"required text of 1-{limit} characters"))
            return ""
        return value.strip()

    def integer(self, record: Mapping[str, Any], where: tuple[str | int, ...], name: str) -> int:
        value = record.get(name)
        if isinstance(value, bool):
            value = None
        if isinstance(value, int) and value >= 1:
            return value
        if isinstance(value, str) and re.fullmatch(r"[1-9][0-9]{0,17}", value):
            return int(value)
        self.issues.append(
            FieldIssue((*where, name), value, "a whole number ≥ 1 (no decimals, no leading zeros)")
        )
        return 0

    def picklist(self, value: object, where: tuple[str | int, ...], name: str, allowed: Iterable[str]) -> str:
        allowed = tuple(allowed)
        if value not in allowed:
            self.issues.append(FieldIssue((*where, name), value, f"one of {', '.join(allowed)}"))
            return ""
        return str(value)


def _index(
    tables: Mapping[str, Sequence[Mapping[str, Any]]], table: str, key: str, check: _Checker
) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    for n, record in enumerate(tables.get(table, [])):
        ident = check.text(record, (table, n), key, 100)
        if ident in found:
            check.issues.append(FieldIssue((table, n, key), ident, "duplicate id"))
        found[ident] = record
    return found


def parse_tables(tables: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[ImportedProject]:
    """Validate CADT records (every issue collected) and return the projects, issuances and unit
    ranges they describe. Each issuance's units must cover one contiguous serial range exactly
    once (how our conservation rule sees an issuance); block bounds are integers and
    ``unitCount`` must equal ``end − start + 1``."""
    check = _Checker()
    unknown = sorted(set(tables) - set(INSERT_ORDER))
    for name in unknown:
        check.issues.append(FieldIssue((name,), name, f"not a table we import ({', '.join(INSERT_ORDER)})"))
    methodologies = _index(tables, "methodology", "cadTrustMethodologyId", check)
    projects = _index(tables, "project", "cadTrustProjectId", check)
    links = _index(tables, "project_methodology", "cadTrustProjectMethodologyId", check)
    locations = _index(tables, "location", "cadTrustLocationId", check)
    issuances = _index(tables, "issuance", "cadTrustIssuanceId", check)
    _index(tables, "verification", "cadTrustVerificationId", check)
    units_of: dict[str, list[tuple[int, Mapping[str, Any]]]] = {}
    for n, unit in enumerate(tables.get("unit", [])):
        units_of.setdefault(str(unit.get("cadTrustIssuanceId")), []).append((n, unit))
        if str(unit.get("cadTrustIssuanceId")) not in issuances:
            check.issues.append(
                FieldIssue(
                    ("unit", n, "cadTrustIssuanceId"), unit.get("cadTrustIssuanceId"), "unknown issuance"
                )
            )
    method_of = {str(r.get("cadTrustProjectId")): str(r.get("cadTrustMethodologyId")) for r in links.values()}
    region_of = {str(r.get("cadTrustProjectId")): r.get("locationRegion") for r in locations.values()}
    result: list[ImportedProject] = []
    for pn, (pid, record) in enumerate(projects.items()):
        where: tuple[str | int, ...] = ("project", pn)
        origin_registry = check.text(record, where, "projectRegistryName", 100)
        origin_id = check.text(record, where, "projectId", 100)
        code = re.sub(r"[^A-Z0-9]", "", origin_id.upper())[:20]
        if origin_id and not PROJECT_CODE.fullmatch(code):
            check.issues.append(
                FieldIssue((*where, "projectId"), origin_id, "no letters or digits to make a code")
            )
        region = region_of.get(pid)
        if not isinstance(region, str) or not REGION.fullmatch(region):
            check.issues.append(
                FieldIssue(("location", pid, "locationRegion"), region, "an ISO 3166-2 subdivision")
            )
            region = ""
        status_text = check.picklist(record.get("projectStatus"), where, "projectStatus", PROJECT_STATUSES)
        status = _IMPORT_PROJECT_STATUS.get(status_text)
        if status_text and status is None:
            check.issues.append(
                FieldIssue((*where, "projectStatus"), status_text, "no credits are imported from it")
            )
        method = methodologies.get(method_of.get(pid, ""))
        if method is None:
            check.issues.append(
                FieldIssue((*where, "cadTrustProjectId"), pid, "no project_methodology record")
            )
            methodology, unit_type = "", ""
        else:
            mcode = check.text(method, ("methodology", method_of[pid]), "methodologyCode", 60)
            version = str(method.get("methodologyVersion") or "").strip()
            methodology = f"{mcode}@{version}" if version else mcode
            unit_type = str(method.get("methodologyType") or "")
        standard = str(record.get("projectCreditingProgram") or origin_registry)[:40]
        name = check.text(record, where, "projectName", 200)
        name_zh = str(record.get("projectDescription") or name)[:200]
        imported = []
        for iid, issuance in issuances.items():
            if guid_of_project(issuance, links) != pid:
                continue
            units = units_of.get(iid, [])
            parsed = _parse_units(units, check)
            if not units:
                check.issues.append(FieldIssue(("issuance", iid), iid, "an issuance without units"))
                continue
            vintages = {v for v, _ in parsed}
            if len(vintages) != 1:
                check.issues.append(
                    FieldIssue(("issuance", iid, "unitVintageYear"), sorted(vintages), "one vintage")
                )
                continue
            ranges = sorted((u for _, u in parsed), key=lambda u: u.start)
            for a, b in itertools.pairwise(ranges):
                if b.start != a.end + 1:
                    check.issues.append(
                        FieldIssue(
                            ("issuance", iid),
                            f"{a.start}-{a.end}, {b.start}-{b.end}",
                            "units overlap" if b.start <= a.end else "a gap between units",
                        )
                    )
            if ranges:
                imported.append(
                    ImportedIssuance(
                        str(issuance.get("issuanceId") or iid),
                        vintages.pop(),
                        ranges[0].start,
                        ranges[-1].end,
                        tuple(ranges),
                    )
                )
            for t in {str(u.get("unitType")) for _, u in units}:
                unit_type = unit_type or t
        kind = "removal" if unit_type.startswith("Removal") else "reduction"
        result.append(
            ImportedProject(
                origin_registry,
                origin_id,
                code,
                region,
                name,
                name_zh,
                standard,
                methodology,
                kind,
                status or ProjectStatus.DRAFT,
                tuple(imported),
            )
        )
    if check.issues:
        raise InvalidInput("CAD Trust records refused; nothing was imported", check.issues)
    return result


def guid_of_project(issuance: Mapping[str, Any], links: Mapping[str, Mapping[str, Any]]) -> str:
    link = links.get(str(issuance.get("cadTrustProjectMethodologyId")))
    return "" if link is None else str(link.get("cadTrustProjectId"))


def _parse_units(
    units: Sequence[tuple[int, Mapping[str, Any]]], check: _Checker
) -> list[tuple[int, ImportedUnits]]:
    parsed = []
    for n, unit in units:
        where: tuple[str | int, ...] = ("unit", n)
        start = check.integer(unit, where, "unitStartBlock")
        end = check.integer(unit, where, "unitEndBlock")
        if start and end and end < start:
            check.issues.append(FieldIssue((*where, "unitEndBlock"), end, f"≥ unitStartBlock {start}"))
            continue
        count = unit.get("unitCount")
        if count is not None and start and end and str(count) != str(end - start + 1):
            check.issues.append(
                FieldIssue((*where, "unitCount"), count, f"end − start + 1 = {end - start + 1}")
            )
        vintage = unit.get("unitVintageYear")
        if isinstance(vintage, str) and vintage.isdigit():
            vintage = int(vintage)
        if isinstance(vintage, bool) or not isinstance(vintage, int) or not 1000 <= vintage <= 9999:
            check.issues.append(FieldIssue((*where, "unitVintageYear"), vintage, "a four-digit year"))
            continue
        status = check.picklist(unit.get("unitStatus"), where, "unitStatus", UNIT_STATUSES)
        check.picklist(unit.get("unitType"), where, "unitType", UNIT_TYPES)
        if unit.get("unitMetric", UNIT_METRIC) != UNIT_METRIC:
            check.issues.append(FieldIssue((*where, "unitMetric"), unit.get("unitMetric"), "tCO2e"))
        reason = str(unit.get("unitStatusReason") or "")
        if status in ("Retired", "Cancelled") and not reason.strip():
            check.issues.append(
                FieldIssue((*where, "unitStatusReason"), reason, "required for retired or cancelled units")
            )
        state = import_state(status, reason) if status else None
        if status and state is None:
            check.issues.append(
                FieldIssue((*where, "unitStatus"), status, "not importable (rejected or inactive units)")
            )
            continue
        if start and end and state is not None:
            parsed.append(
                (vintage, ImportedUnits(start, end, state, str(unit.get("unitCurrentOwner") or "")))
            )
    return parsed
