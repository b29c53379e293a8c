"""CAD Trust v2.0.2 records -> what an import creates: validation (every issue collected, so one
refusal lists them all) and parsing. The mapping itself and what it loses are described in
:mod:`carbonbridge.registry.cadt.records`. Pure: no database, no framework.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from carbonbridge.kernel.errors import FieldIssue, InvalidInput
from carbonbridge.registry.cadt.records import (
    IMPORT_PROJECT_STATUS,
    INSERT_ORDER,
    MARKER,
    PROJECT_STATUSES,
    UNIT_METRIC,
    UNIT_STATUSES,
    UNIT_TYPES,
)
from carbonbridge.registry.model import ProjectStatus, UnitState
from carbonbridge.registry.serials import PROJECT_CODE, REGION


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
        status = IMPORT_PROJECT_STATUS.get(status_text)
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
