"""Our registry's records in the form a CAD Trust node validates and accepts.

The commit of CAD Trust's public code base (github.com/Chia-Network/cadt) whose own validation
(Joi schemas in ``src/validations`` and the bundled picklists) the export is checked against, by
``tests/registry/test_cadt_validation.py``; ``docs/registry-compliance.md`` says how to run it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from carbonbridge.kernel.errors import FieldIssue, InvalidInput
from carbonbridge.registry.cadt.mapping import CadtMapping
from carbonbridge.registry.cadt.records import guid
from carbonbridge.registry.model import Project, ProjectStatus, SerialBlock, UnitState
from carbonbridge.registry.serials import Serial, format_serial

#: Chia-Network/cadt ``develop`` at 1.7.24 (data model v1 of the node's API, 10 Sep 2025)
CADT_VALIDATION_COMMIT = "171e6d636265c248a5893a0e9efad50dd2e4f12e"
#: the ``joi`` version that commit's package-lock.json pins
CADT_JOI_VERSION = "17.13.3"


@dataclass(frozen=True)
class ProjectFacts:
    """A project as the node form needs it: the developer's name, the date of the state change
    that gave the project its current status, and its validation (date, and who signed it: user
    id and name, looked up in the mapping's validation bodies)."""

    project: Project
    developer: str
    status_on: date
    validated: tuple[date, tuple[str, ...]] | None = None


@dataclass(frozen=True)
class IssuanceFacts:
    """An issuance of verified units: its serial range, the monitoring period, the verifier's
    opinion (CAD Trust's ``verificationApproach``), who verified it and when."""

    id: str
    project_id: str
    vintage: int
    start: int
    end: int
    period: tuple[date, date]
    approach: str
    verifiers: tuple[str, ...]
    verified_on: date


@dataclass(frozen=True)
class UnitFacts:
    """An open serial block with its owner (name and ISO 3166-2 region), the date of the state
    change that produced it, and the reason recorded with it (retirement purpose and beneficiary,
    cancellation reason)."""

    block: SerialBlock
    owner: str
    owner_region: str
    status_on: date
    reason: str = ""


@dataclass(frozen=True)
class NodeExport:
    """The registry in CAD Trust node form.

    ``projects`` and ``units`` are the full records, with stable ids (uuid5 of ours) where the node
    puts the ids it generates (``warehouseProjectId``, ``warehouseUnitId``, nested ``id``), valid
    as the node's update bodies. ``api_projects`` and ``api_units`` are the same records without
    those ids: the bodies of ``POST /v1/projects`` and ``POST /v1/units``, parents (projects,
    with their issuances and locations) before children (units). ``links[i]`` says which project
    and which of its issuances ``api_units[i]`` belongs to, so that an operator sets the
    unit's ``issuance.id`` to the id the node returned for that issuance."""

    projects: list[dict[str, Any]]
    units: list[dict[str, Any]]
    api_projects: list[dict[str, Any]]
    api_units: list[dict[str, Any]]
    links: list[dict[str, Any]]


#: our unit state -> CAD Trust unit status (planned units are not units there: see estimations)
UNIT_STATUS: Mapping[UnitState, str] = {
    UnitState.HELD: "Held",
    UnitState.RETIRED: "Retired",
    UnitState.CANCELLED: "Cancelled",
    UnitState.BUFFER: "Buffer",
    UnitState.PENDING_EXPORT: "Pending Export",
    UnitState.EXPORTED: "Exported",
    UnitState.EXPIRED: "Expired",
}
#: our project status -> CAD Trust project status (a validated project is not yet registered)
PROJECT_STATUS: Mapping[ProjectStatus, str] = {
    ProjectStatus.DRAFT: "Listed",
    ProjectStatus.VALIDATED: "Listed",
    ProjectStatus.REGISTERED: "Registered",
}
#: ids and timestamps the node generates itself; left out of the API form
NODE_IDS = ("warehouseProjectId", "warehouseUnitId", "id", "projectLocationId", "updatedAt")


def project_link(base_url: str, project_id: str) -> str:
    return f"{base_url.rstrip('/')}/registry/projects/{project_id}"


def _issuance(i: IssuanceFacts, mapping: CadtMapping) -> dict[str, Any]:
    body = next((mapping.verification_bodies[v] for v in i.verifiers if v in mapping.verification_bodies), "")
    return {
        "id": guid("issuance", i.id),
        "warehouseProjectId": guid("project", i.project_id),
        "startDate": i.period[0].isoformat(),
        "endDate": i.period[1].isoformat(),
        "verificationApproach": i.approach,
        "verificationBody": body,
        "verificationReportDate": i.verified_on.isoformat(),
    }


def _project(
    facts: ProjectFacts,
    issuances: Sequence[IssuanceFacts],
    planned: Sequence[SerialBlock],
    registry_name: str,
    base_url: str,
    mapping: CadtMapping,
) -> dict[str, Any]:
    p = facts.project
    kind = mapping.classification(p.methodology, p.kind)
    location = p.parameters.get("location") if isinstance(p.parameters, Mapping) else None
    point = (
        f"{location['lat']},{location['lon']}"
        if isinstance(location, Mapping) and "lat" in location and "lon" in location
        else p.region
    )
    record: dict[str, Any] = {
        "warehouseProjectId": guid("project", p.id),
        "currentRegistry": registry_name,
        "projectId": p.code,
        "originProjectId": p.code,
        "registryOfOrigin": registry_name,
        "program": p.standard,
        "projectName": p.name_en,
        "projectLink": project_link(base_url, p.id),
        "projectDeveloper": facts.developer,
        "sector": kind.sector,
        "projectType": kind.project_type,
        "coveredByNDC": mapping.covered_by_ndc,
        "projectStatus": PROJECT_STATUS[p.status],
        "projectStatusDate": facts.status_on.isoformat(),
        "unitMetric": mapping.unit_metric,
        "methodology": kind.methodology or p.methodology,
        "description": p.name_zh,
        "projectLocations": [
            {
                "id": guid("location", p.id),
                "country": mapping.country(p.region),
                "inCountryRegion": p.region,
                "geographicIdentifier": point,
            }
        ],
    }
    if facts.validated is not None:
        on, who = facts.validated
        record["validationDate"] = on.isoformat()
        body = next((mapping.validation_bodies[v] for v in who if v in mapping.validation_bodies), None)
        if body is not None:
            record["validationBody"] = body
    if issuances:
        record["issuances"] = [_issuance(i, mapping) for i in issuances]
    if planned:
        by_vintage: dict[int, int] = {}
        for b in planned:
            by_vintage[b.vintage] = by_vintage.get(b.vintage, 0) + b.count
        record["estimations"] = [
            {
                "id": guid("estimation", f"{p.id}:{v}"),
                "creditingPeriodStart": date(v, 1, 1).isoformat(),
                "creditingPeriodEnd": date(v, 12, 31).isoformat(),
                "unitCount": n,
            }
            for v, n in sorted(by_vintage.items())
        ]
    return record


def _unit(
    u: UnitFacts, project: Project, issuance: IssuanceFacts, base_url: str, mapping: CadtMapping
) -> dict[str, Any]:
    b = u.block
    record: dict[str, Any] = {
        "warehouseUnitId": guid("unit", b.id),
        "projectLocationId": guid("location", project.id),
        "unitOwner": u.owner,
        "countryJurisdictionOfOwner": mapping.country(u.owner_region),
        "inCountryJurisdictionOfOwner": u.owner_region,
        "unitBlockStart": str(b.start),
        "unitBlockEnd": str(b.end),
        "unitCount": b.count,
        "vintageYear": b.vintage,
        "unitType": mapping.classification(project.methodology, project.kind).unit_type,
        "unitStatus": UNIT_STATUS[b.state],
        "unitRegistryLink": project_link(base_url, project.id),
        "correspondingAdjustmentDeclaration": mapping.corresponding_adjustment_declaration,
        "correspondingAdjustmentStatus": mapping.corresponding_adjustment_status,
        "unitTags": format_serial(Serial(project.region, project.code, b.vintage, b.start, b.end)),
        "issuance": _issuance(issuance, mapping),
        # the node has no unit status date: the full form says when the record last changed
        "updatedAt": u.status_on.isoformat(),
    }
    if u.reason:
        record["unitStatusReason"] = u.reason
    return record


def _without_ids(record: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key in NODE_IDS:
            continue
        if isinstance(value, Mapping):
            value = _without_ids(value)
        elif isinstance(value, list):
            value = [_without_ids(v) if isinstance(v, Mapping) else v for v in value]
        out[key] = value
    return out


def node_export(
    projects: Sequence[ProjectFacts],
    issuances: Sequence[IssuanceFacts],
    units: Sequence[UnitFacts],
    *,
    registry_name: str,
    base_url: str,
    mapping: CadtMapping,
) -> NodeExport:
    """The registry in CAD Trust node form (:class:`NodeExport`): one project record per project
    (its verified issuances and its location nested, planned units as estimations) and one unit
    record per open, non-planned serial block, by project code, vintage and serial."""
    by_project = {f.project.id: f.project for f in projects}
    planned = [u.block for u in units if u.block.state is UnitState.PLANNED]
    full_projects = [
        _project(
            f,
            [i for i in issuances if i.project_id == f.project.id],
            [b for b in planned if b.project_id == f.project.id],
            registry_name,
            base_url,
            mapping,
        )
        for f in sorted(projects, key=lambda f: f.project.code)
    ]
    full_units: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    issued = [u for u in units if u.block.state is not UnitState.PLANNED]
    for u in sorted(
        issued, key=lambda u: (by_project[u.block.project_id].code, u.block.vintage, u.block.start)
    ):
        b = u.block
        project = by_project[b.project_id]
        issuance = next(
            (
                i
                for i in issuances
                if i.project_id == b.project_id and i.vintage == b.vintage and i.start <= b.start <= i.end
            ),
            None,
        )
        if issuance is None:
            raise InvalidInput(
                "block outside every verified issuance",
                [FieldIssue(("blocks", b.id), b.start, "no issuance")],
            )
        record = _unit(u, project, issuance, base_url, mapping)
        links.append(
            {
                "unit": len(full_units),
                "registryOfOrigin": registry_name,
                "projectId": project.code,
                "issuance": {
                    k: record["issuance"][k] for k in ("startDate", "endDate", "verificationReportDate")
                },
                "warehouseUnitId": record["warehouseUnitId"],
                "issuanceId": record["issuance"]["id"],
            }
        )
        full_units.append(record)
    return NodeExport(
        full_projects,
        full_units,
        [_without_ids(p) for p in full_projects],
        [_without_ids(u) for u in full_units],
        links,
    )
