"""Our registry's records <-> Climate Action Data Trust (CAD Trust, CADT) v2.0.2 records.

Pure mapping, no database: :func:`export_tables` turns projects, issuances and open serial blocks
into CADT records (API field names, one list per table, in CADT's insert order);
:func:`carbonbridge.registry.cadt.parse.parse_tables` validates CADT records and returns what an
import would create, or raises :class:`~carbonbridge.kernel.errors.InvalidInput` naming every bad
record and field.

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

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from carbonbridge.kernel.errors import FieldIssue, InvalidInput
from carbonbridge.registry.model import Project, ProjectStatus, SerialBlock, UnitState
from carbonbridge.registry.serials import Serial, format_serial

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
IMPORT_PROJECT_STATUS = {
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
