"""The CAD Trust node-form export through the service: dates are those of the logged state
changes, reasons and verifiers come from the data, links and mappings from settings."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import typer
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from carbonbridge.kernel.errors import InvalidInput
from carbonbridge.ledger.service import keys
from carbonbridge.platform.settings import get_settings
from carbonbridge.registry import issuance as issuing
from carbonbridge.registry import service
from carbonbridge.registry.cadt import service_node
from carbonbridge.registry.cadt.cli import COMMANDS
from carbonbridge.registry.cadt.mapping import from_json
from carbonbridge.registry.model import AccountKind, ProjectDraft, Retirement, Transfer, Units
from carbonbridge.registry.units import service as movements
from tests.registry.conftest import BUYER, DEVELOPER, REGULATOR, VERIFIER, World

BASE_URL = "https://registry.example.gov.cn/"


def _on(day: int) -> Callable[[], datetime]:
    return lambda: datetime(2025, 3, day, 9, 0, tzinfo=UTC)


def _history(world: World) -> str:
    """Drafted 1 Mar, validated 2nd, registered 3rd, verified 4th, issued 5th, 100 t sold 6th,
    30 t retired 7th (2025)."""
    draft = ProjectDraft(
        "MG001", "mangrove-dev", "Mangrove", "红树林", "TEST-REMOVAL@1.0", "CN-HI", "CCER", {"strata": []}
    )
    project, _ = service.draft_project(world.sessions, DEVELOPER, draft, clock=_on(1))
    service.validate_project(world.sessions, VERIFIER, project.id, "Design conforms.", clock=_on(2))
    service.register_project(world.sessions, REGULATOR, project.id, "Registered.", clock=_on(3))
    report, _ = service.submit_report(
        world.sessions,
        DEVELOPER,
        project.id,
        date(2024, 1, 1),
        date(2024, 12, 31),
        {"net_t": "1000"},
        clock=_on(3),
    )
    service.verify_report(
        world.sessions, VERIFIER, report.id, "Reasonable assurance (ISO 14064-3).", clock=_on(4)
    )
    issuing.issue(world.sessions, REGULATOR, report.id, clock=_on(5))
    holding = world.dev[AccountKind.HOLDING].id
    buyer = world.buyer[AccountKind.HOLDING].id
    movements.transfer(
        world.sessions,
        DEVELOPER,
        Transfer(Units(holding, project.id, 2024, quantity=100), buyer),
        clock=_on(6),
    )
    movements.retire(
        world.sessions,
        BUYER,
        Retirement(Units(buyer, project.id, 2024, quantity=30), "Buyer hotel guests", "2024 stays"),
        clock=_on(7),
    )
    return project.id


def test_status_dates_are_the_dates_of_the_state_changes(world: World) -> None:
    _history(world)
    export = service_node.node_export(world.sessions, REGULATOR, base_url=BASE_URL)
    (project,) = export.projects
    assert (project["projectStatus"], project["projectStatusDate"]) == ("Registered", "2025-03-03")
    assert project["validationDate"] == "2025-03-02"
    assert project["issuances"][0]["verificationReportDate"] == "2025-03-04"
    dates = {u["unitStatus"] + " " + u["unitTags"]: u["updatedAt"] for u in export.units}
    assert dates["Retired CB-CN-HI-MG001-2024-1-30"] == "2025-03-07"
    assert dates["Buffer CB-CN-HI-MG001-2024-801-1000"] == "2025-03-05"


def test_retirement_reason_and_beneficiary_are_exported(world: World) -> None:
    _history(world)
    export = service_node.node_export(world.sessions, REGULATOR, base_url=BASE_URL)
    retired = next(u for u in export.api_units if u["unitStatus"] == "Retired")
    assert retired["unitStatusReason"] == "2024 stays; beneficiary: Buyer hotel guests"


def test_project_link_comes_from_the_public_base_url(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    project_id = _history(world)
    monkeypatch.setenv("CARBONBRIDGE_PUBLIC_BASE_URL", "https://cb.region.example")
    export = service_node.node_export(world.sessions, REGULATOR)
    assert (
        export.api_projects[0]["projectLink"] == f"https://cb.region.example/registry/projects/{project_id}"
    )


def test_export_refuses_without_a_public_base_url(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CARBONBRIDGE_PUBLIC_BASE_URL", raising=False)
    with pytest.raises(InvalidInput, match="public base URL"):
        service_node.node_export(world.sessions, REGULATOR)


def test_verification_body_is_mapped_from_the_verifier_or_left_empty(world: World) -> None:
    _history(world)
    plain = service_node.node_export(world.sessions, REGULATOR, base_url=BASE_URL)
    mapped = service_node.node_export(
        world.sessions,
        REGULATOR,
        base_url=BASE_URL,
        mapping=from_json(
            {"verification_bodies": {VERIFIER.name: "China Quality Certification Center (CQC)"}}
        ),
    )
    assert plain.api_projects[0]["issuances"][0]["verificationBody"] == ""
    assert (
        mapped.api_projects[0]["issuances"][0]["verificationBody"]
        == "China Quality Certification Center (CQC)"
    )


def test_mapping_file_overrides_countries_and_sectors(tmp_path: Path) -> None:
    path = tmp_path / "mapping.json"
    path.write_text(
        json.dumps(
            {
                "countries": {"CN": "China"},
                "methodologies": {
                    "X-1": {
                        "sector": "Construction",
                        "project_type": "Energy Demand",
                        "unit_type": "Reduction - technical",
                    }
                },
            }
        ),
        "utf-8",
    )
    mapping = service_node.load_mapping(path)
    assert mapping.country("VN-HN") == "Viet Nam"
    assert mapping.classification("X-1@2", "reduction").sector == "Construction"
    assert mapping.classification("CCER-14-002-V01@1", "removal").unit_type == "Removal - nature"


def test_unknown_mapping_key_is_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown CAD Trust mapping keys"):
        from_json({"sectors": {}})


def test_write_node_export_writes_api_bodies_and_links(world: World, tmp_path: Path) -> None:
    _history(world)
    counts = service_node.write_node_export(
        service_node.node_export(world.sessions, REGULATOR, base_url=BASE_URL), tmp_path
    )
    assert counts == {
        "projects.json": 1,
        "units.json": 4,
        "api_projects.json": 1,
        "api_units.json": 4,
        "api_unit_links.json": 4,
    }


@pytest.fixture
def cli(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    monkeypatch.setenv("CARBONBRIDGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CARBONBRIDGE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("CARBONBRIDGE_PUBLIC_BASE_URL", raising=False)
    get_settings.cache_clear()
    keys.use_settings(get_settings())
    root = typer.Typer()
    registry = typer.Typer()
    for name, sub in COMMANDS.items():
        registry.add_typer(sub, name=name)
    root.add_typer(registry, name="registry")
    yield root
    get_settings.cache_clear()


def test_cli_export_node_writes_the_files(cli: typer.Typer, world: World, tmp_path: Path) -> None:
    _history(world)
    out = tmp_path / "node"
    result = CliRunner().invoke(cli, ["registry", "cadt", "export-node", str(out), "--base-url", BASE_URL])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(service_node.FILES)


def test_cli_export_node_without_base_url_is_refused(cli: typer.Typer, world: World, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["registry", "cadt", "export-node", str(tmp_path / "node")])
    # the root CLI renders it in one line (error[invalid-input] ..., exit 1)
    assert isinstance(result.exception, InvalidInput)
    assert result.exception.issues[0].location == ("CARBONBRIDGE_PUBLIC_BASE_URL",)
