"""``carbonbridge registry``: tables and JSON for a terminal user, the acting user from the token,
errors in one line with a non-zero exit and nothing changed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import typer
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from carbonbridge.ledger import keys
from carbonbridge.platform.settings import get_settings
from carbonbridge.registry import reads, service
from carbonbridge.registry.cli import COMMANDS
from carbonbridge.registry.model import AccountKind
from tests.conftest import make_user
from tests.registry.conftest import ADMIN, DEVELOPER, VERIFIER, World
from tests.registry.helpers import issued_report, registered_project

runner = CliRunner()


@pytest.fixture
def cli(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    monkeypatch.setenv("CARBONBRIDGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CARBONBRIDGE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    keys.use_settings(get_settings())
    root = typer.Typer()
    for name, sub in COMMANDS.items():
        root.add_typer(sub, name=name)
    yield root
    get_settings.cache_clear()


def _token(world: World, name: str, role: str, organisation: str | None = None) -> str:
    return make_user(world.sessions, name, role, organisation)["Authorization"].removeprefix("Bearer ")


def test_balance_and_blocks_tables(cli: typer.Typer, world: World) -> None:
    project = registered_project(world.sessions)
    issued_report(world.sessions, project, 2024, {"net_t": "100"})
    dev = world.dev[AccountKind.HOLDING].id
    token = _token(world, "dev", "developer", "mangrove-dev")
    blocks = runner.invoke(cli, ["registry", "--token", token, "blocks", dev])
    assert blocks.exit_code == 0, blocks.output
    assert "CB-CN-HI-MG001-2024-1-80" in blocks.stdout
    balance = runner.invoke(cli, ["registry", "--token", token, "balance", dev, "--format", "json"])
    assert json.loads(balance.stdout) == [
        {"account_id": dev, "project_id": project.id, "vintage": 2024, "state": "held", "tonnes": 80}
    ]
    search = runner.invoke(cli, ["registry", "serial", "CB-CN-HI-MG001-2024-75-90"])
    assert "CB-CN-HI-MG001-2024-75-80" in search.stdout
    assert "CB-CN-HI-MG001-2024-81-90" in search.stdout


def test_another_organisation_cannot_read_a_balance(cli: typer.Typer, world: World) -> None:
    token = _token(world, "buyer", "reporter", "buyer-co")
    balance = ["registry", "balance", world.dev[AccountKind.HOLDING].id]
    result = runner.invoke(cli, balance, env={"CARBONBRIDGE_TOKEN": token})
    assert result.exit_code == 1
    assert result.stderr.startswith("error[forbidden]")


def test_unknown_token_is_refused(cli: typer.Typer, world: World) -> None:
    result = runner.invoke(cli, ["registry", "--token", "nope", "retirements"])
    assert result.exit_code == 1
    assert "error[unauthenticated]" in result.stderr


def test_invalid_retirement_exits_2_and_changes_nothing(cli: typer.Typer, world: World) -> None:
    project = registered_project(world.sessions)
    issued_report(world.sessions, project, 2024, {"net_t": "100"})
    token = _token(world, "dev", "developer", "mangrove-dev")
    args = ["registry", "--token", token, "retire", "--from", world.dev[AccountKind.HOLDING].id]
    args += ["--project", "MG001", "--vintage", "2024", "--quantity", "5", "--beneficiary", " "]
    result = runner.invoke(cli, [*args, "--purpose", "offset"])
    assert result.exit_code == 2
    assert "beneficiary" in result.stderr
    assert reads.retirement_records(world.sessions, project.id) == []
    assert [b.tonnes for b in reads.balances(world.sessions, ADMIN, world.dev[AccountKind.HOLDING].id)] == [
        80
    ]


def test_implausible_report_needs_an_override_reason(cli: typer.Typer, world: World, tmp_path: Path) -> None:
    registered_project(world.sessions)
    params = tmp_path / "p.json"
    params.write_text(json.dumps({"net_t": "600", "implausible": True}))
    dev = _token(world, "dev", "developer", "mangrove-dev")
    verifier = _token(world, "ver", "verifier")
    submit = ["registry", "--token", dev, "monitoring", "submit", "MG001", "--start", "2024-01-01"]
    submitted = runner.invoke(
        cli, [*submit, "--end", "2024-12-31", "--parameters", str(params), "--format", "json"]
    )
    assert submitted.exit_code == 0, submitted.output
    report_id = json.loads(submitted.stdout)["id"]
    verify = ["registry", "--token", verifier, "monitoring", "verify", report_id, "--opinion", "ok"]
    refused = runner.invoke(cli, verify)
    assert refused.exit_code == 1
    assert "override" in refused.stderr
    accepted = runner.invoke(cli, [*verify, "--override-reason", "area re-measured"])
    assert accepted.exit_code == 0, accepted.output
    assert "logged as transparency-log entry" in accepted.stdout


def test_export_request_reject_confirm_and_expire(cli: typer.Typer, world: World, tmp_path: Path) -> None:
    project = registered_project(world.sessions)
    issued_report(world.sessions, project, 2024, {"net_t": "100"})
    dev = world.dev[AccountKind.HOLDING].id
    token_file = tmp_path / "dev.token"
    token_file.write_text(_token(world, "dev", "developer", "mangrove-dev") + "\n")
    token_file.chmod(0o600)
    holder = ["registry", "--token-file", str(token_file)]
    office = ["registry", "--token", _token(world, "office", "regulator")]
    units = ["--from", dev, "--project", "MG001", "--vintage", "2024"]
    request = [*holder, "export", *units, "--start", "1", "--end", "10", "--to-registry", "Verra"]
    request += ["--to-account", "VCS-9", "--reason", "sold abroad", "--format", "json"]
    first = runner.invoke(cli, request)
    assert first.exit_code == 0, first.output
    op = json.loads(first.stdout)["operation_id"]
    assert json.loads(first.stdout)["details"]["serials"] == ["CB-CN-HI-MG001-2024-1-10"]
    refused = runner.invoke(cli, [*holder, "export-confirm", op, "--reference", "VCS-TX-1"])
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error[forbidden]")
    rejected = runner.invoke(cli, [*office, "export-reject", op, "--reason", "not authorised"])
    assert rejected.exit_code == 0, rejected.output
    assert "export rejected: logged as transparency-log entry" in rejected.stdout
    second = json.loads(runner.invoke(cli, request).stdout)["operation_id"]
    confirmed = runner.invoke(cli, [*office, "export-confirm", second, "--reference", "VCS-TX-1"])
    assert confirmed.exit_code == 0, confirmed.output
    assert "CB-CN-HI-MG001-2024-1-10" in confirmed.stdout
    expired = runner.invoke(cli, [*office, "expire", *units, "--quantity", "5", "--reason", "validity ended"])
    assert expired.exit_code == 0, expired.output
    blank = runner.invoke(cli, [*office, "expire", *units, "--quantity", "5", "--reason", " "])
    assert blank.exit_code == 2
    assert "reason" in blank.stderr
    balance = runner.invoke(cli, [*holder, "balance", dev, "--format", "json"])
    assert [(b["state"], b["tonnes"]) for b in json.loads(balance.stdout)] == [("held", 65)]
    search = runner.invoke(cli, ["registry", "serial", "CB-CN-HI-MG001-2024-1-20"])
    assert search.exit_code == 0, search.output
    assert "exported" in search.stdout
    assert "expired" in search.stdout


def test_issue_says_how_many_planned_units_it_converted(cli: typer.Typer, world: World) -> None:
    """100 t planned for 2025, 80 t verified (20 % buffer): 64 planned convert, 16 new buffer serials."""
    s = world.sessions
    project = registered_project(s)
    office = ["registry", "--token", _token(world, "office", "regulator")]
    plan = [*office, "issue-planned", "MG001", "--vintage", "2025", "--basis", "validated design, ex-ante"]
    refused = runner.invoke(cli, [*plan, "--quantity", "0"])
    assert refused.exit_code != 0
    assert "quantity" in refused.output
    planned = runner.invoke(cli, [*plan, "--quantity", "100", "--format", "json"])
    assert planned.exit_code == 0, planned.output
    assert [(b["serial"], b["state"]) for b in json.loads(planned.stdout)["produced"]] == [
        ("CB-CN-HI-MG001-2025-1-100", "planned")
    ]
    first, _ = service.submit_report(
        s, DEVELOPER, project.id, date(2025, 1, 1), date(2025, 6, 30), {"net_t": "80"}
    )
    second, _ = service.submit_report(
        s, DEVELOPER, project.id, date(2025, 7, 1), date(2025, 12, 31), {"net_t": "10"}
    )
    for report in (first, second):
        service.verify_report(s, VERIFIER, report.id, "ok")

    table = runner.invoke(cli, [*office, "issue", first.id])
    as_json = runner.invoke(cli, [*office, "issue", second.id, "--format", "json"])
    sheet = runner.invoke(cli, [*office, "project", "show", "MG001"])

    assert table.exit_code == 0, table.output
    assert "converted from planned / 由预签发单位转换: 64 t (CB-CN-HI-MG001-2025-1-64)\n" in table.stdout
    assert "newly serialised / 新签发序列号: 16 t\n" in table.stdout
    assert as_json.exit_code == 0, as_json.output
    body = json.loads(as_json.stdout)  # 10 t: 2 buffer, 8 planned (65-72) convert
    assert (body["converted"], body["converted_serials"], body["newly_serialised"]) == (
        8,
        ["CB-CN-HI-MG001-2025-65-72"],
        2,
    )
    assert "converted from planned / 由预签发单位转换 64 t (CB-CN-HI-MG001-2025-1-64)" in sheet.stdout
