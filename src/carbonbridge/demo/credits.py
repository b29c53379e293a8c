"""The demo region's carbon credits: three synthetic projects run through the real registry use
cases and the real calculators, so that ``make run`` shows a registry with issued, transferred and
retired credits, each step in the transparency log.

Every actor and project is labelled synthetic. The monitoring parameters are the calculators' own
worked examples (``Methodology.example()``), scaled as the acceptance scenarios scale them, so the
figures on the project sheets are the ones ``docs/methodologies.md`` explains.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date
from typing import Any

from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.methodologies import service as methodologies
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.registry import issuance as issuing
from carbonbridge.registry import service as registry
from carbonbridge.registry.model import AccountKind, ProjectDraft, Retirement, Transfer, Units
from carbonbridge.registry.units import service as movements

REGION = "CN-HI"
OFFICE = Principal("system-demo-office", "Demo County carbon office [SYNTHETIC]", Role.REGULATOR)
VERIFIER = Principal("system-demo-verifier", "Demo verification body [SYNTHETIC]", Role.VERIFIER)


def _mangrove(area_s3_ha: str) -> dict[str, Any]:
    """The CCER-14-002-V01 worked example (strata S1, S2) plus a third stratum planted like S2."""
    params = copy.deepcopy(dict(methodologies.get("CCER-14-002-V01").example()))
    s3 = copy.deepcopy(params["strata"][1])
    s3["id"], s3["area_ha"] = "S3", area_s3_ha
    params["strata"].append(s3)
    return params


def _solar() -> dict[str, Any]:
    """AMS-I.B worked example on 10,000 mu with 4,000,000 m³ lifted 30 m (0.6 m of water a year)."""
    params = copy.deepcopy(dict(methodologies.get("AMS-I.B").example()))
    params["irrigated_area"] = {"value": "10000", "unit": "mu"}
    params["baseline"]["volume_m3"] = "4000000"
    return params


def _ev() -> dict[str, Any]:
    return copy.deepcopy(dict(methodologies.get("AMS-III.C").example()))


@dataclass(frozen=True)
class DemoProject:
    code: str
    developer: str  # demo organisation id
    methodology: str
    name_en: str
    name_zh: str
    reports: tuple[tuple[date, date, dict[str, Any]], ...]
    buyer: str  # demo organisation that buys part of the credits and retires some
    transfer_t: int
    retire_t: int
    beneficiary: str
    purpose: str
    #: synthetic map point (WGS-84 decimal degrees) near a plausible Hainan site; not a real project
    location: dict[str, str]


def projects() -> tuple[DemoProject, ...]:
    return (
        DemoProject(
            "MG001",
            "demo-org-033",
            "CCER-14-002-V01",
            "Demo County mangrove afforestation [SYNTHETIC]",
            "示范县红树林营造【虚构】",
            (
                (date(2023, 1, 1), date(2024, 12, 31), _mangrove("3")),
                (date(2025, 1, 1), date(2025, 12, 31), _mangrove("4")),
            ),
            "demo-org-001",
            300,
            120,
            "Demo Bay Hotel 01 guests [SYNTHETIC]",
            "2025 guest stays neutralised / 2025年住客碳中和",
            {"lat": "19.95", "lon": "110.58"},  # Dongzhai Harbour mangroves (synthetic)
        ),
        DemoProject(
            "PV001",
            "demo-org-025",
            "AMS-I.B",
            "Demo solar irrigation replacing diesel pumps [SYNTHETIC]",
            "示范光伏提灌替代柴油泵【虚构】",
            ((date(2024, 1, 1), date(2024, 12, 31), _solar()),),
            "demo-org-034",
            200,
            50,
            "Demo County Government Office 02 [SYNTHETIC]",
            "2024 office electricity / 2024年办公用电",
            {"lat": "19.61", "lon": "110.72"},  # farmland near Wenchang (synthetic)
        ),
        DemoProject(
            "EV001",
            "demo-org-024",
            "AMS-III.C",
            "Demo electric logistics fleet [SYNTHETIC]",
            "示范新能源物流车队【虚构】",
            ((date(2023, 1, 1), date(2023, 12, 31), _ev()),),
            "demo-org-002",
            100,
            40,
            "Demo Bay Hotel 02 conference [SYNTHETIC]",
            "2024 conference travel / 2024年会议差旅",
            {"lat": "20.02", "lon": "110.32"},  # a logistics depot in Haikou (synthetic)
        ),
    )


def load_credits(sessions: sessionmaker[Session], console: Console) -> int:
    """Run the demo projects from draft to retirement; returns the credits issued."""
    issued = 0
    for p in projects():
        developer = Principal(
            f"system-demo-{p.developer}", f"{p.developer} developer", Role.DEVELOPER, p.developer
        )
        accounts = {org: registry.open_accounts(sessions, OFFICE, org) for org in (p.developer, p.buyer)}
        draft = ProjectDraft(
            p.code, p.developer, p.name_en, p.name_zh, p.methodology, REGION, "CCER", {"location": p.location}
        )
        project, _ = registry.draft_project(sessions, developer, draft)
        registry.validate_project(sessions, VERIFIER, project.id, "Validated (synthetic demo).")
        registry.register_project(sessions, OFFICE, project.id, "Registered (synthetic demo).")
        vintages = []
        for start, end, parameters in p.reports:
            report, _ = registry.submit_report(sessions, developer, project.id, start, end, parameters)
            registry.verify_report(sessions, VERIFIER, report.id, "Reasonable assurance (synthetic demo).")
            receipt = issuing.issue(sessions, OFFICE, report.id)
            issued += sum(b.end - b.start + 1 for b in receipt.produced)
            vintages.append(end.year)
        holding = accounts[p.developer][AccountKind.HOLDING].id
        buyer = accounts[p.buyer][AccountKind.HOLDING].id
        units = Units(holding, project.id, vintages[0], quantity=p.transfer_t)
        movements.transfer(sessions, developer, Transfer(units, buyer))
        holder = Principal(f"system-demo-{p.buyer}", f"{p.buyer} holder", Role.REPORTER, p.buyer)
        retire = Units(buyer, project.id, vintages[0], quantity=p.retire_t)
        movements.retire(sessions, holder, Retirement(retire, p.beneficiary, p.purpose))
    console.print(f"demo credits: {len(projects())} projects, {issued} credits issued [SYNTHETIC]")
    return issued
