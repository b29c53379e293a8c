"""Issue 4 acceptance through the CLI (Typer's CliRunner), each step as the user of its role's
token: the same three projects as ``test_registry_api.py`` from draft to a retirement for a named
beneficiary, the retirement in ``carbonbridge registry retirements``, and its receipt checked with
``carbonbridge verify RECEIPT --key ...`` (offline: no database)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from carbonbridge.ledger.cli import COMMANDS as LEDGER_COMMANDS
from carbonbridge.ledger.service import keys
from carbonbridge.platform.settings import get_settings
from carbonbridge.registry.cli import COMMANDS
from tests.conftest import make_user
from tests.scenarios.test_registry_api import CASES, admit_organisations

runner = CliRunner()


@pytest.fixture
def cli(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    monkeypatch.setenv("CARBONBRIDGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CARBONBRIDGE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    keys.use_settings(get_settings())  # as in a CLI process: one settings object, one log key
    root = typer.Typer()
    for name, sub in {**COMMANDS, **LEDGER_COMMANDS}.items():
        root.add_typer(sub, name=name)
    yield root
    get_settings.cache_clear()


def _token(sessions: sessionmaker[Session], name: str, role: str, organisation: str | None = None) -> str:
    return make_user(sessions, name, role, organisation)["Authorization"].removeprefix("Bearer ")


def _run(cli: typer.Typer, token: str, *args: str) -> str:
    result = runner.invoke(cli, ["registry", "--token", token, *args])
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def _json(cli: typer.Typer, token: str, *args: str) -> Any:
    return json.loads(_run(cli, token, *args, "--format", "json"))


@pytest.mark.parametrize("name", list(CASES))
def test_project_to_public_retirement_via_cli(
    cli: typer.Typer, sessions: sessionmaker[Session], tmp_path: Path, name: str
) -> None:
    case = CASES[name]
    admit_organisations(sessions)
    office = _token(sessions, "office", "regulator")
    dev = _token(sessions, "dev", "developer", "dev-co")
    verifier = _token(sessions, "verifier", "verifier")
    hotel = _token(sessions, "hotel", "reporter", "buyer-co")
    _run(cli, office, "accounts", "open", "dev-co")
    _run(cli, office, "accounts", "open", "buyer-co")
    dev_holding = _json(cli, dev, "accounts", "show", "dev-co")["holding"]
    buyer_holding = _json(cli, hotel, "accounts", "show", "buyer-co")["holding"]

    design = tmp_path / "design.json"
    design.write_text(json.dumps(case.reports[0][2]), "utf-8")
    drafted = _run(
        cli,
        dev,
        "project",
        "draft",
        "--code",
        case.code,
        "--organisation",
        "dev-co",
        "--methodology",
        case.methodology,
        "--name-en",
        case.name_en,
        "--name-zh",
        case.name_zh,
        "--parameters",
        str(design),
    )
    assert f"project {case.code} drafted" in drafted
    _run(cli, verifier, "project", "validate", case.code, "--opinion", "Conforms to the methodology.")
    _run(cli, office, "project", "register", case.code)

    for i, (start, end, parameters) in enumerate(case.reports):
        path = tmp_path / f"report{i}.json"
        path.write_text(json.dumps(parameters), "utf-8")
        report = _json(
            cli,
            dev,
            "monitoring",
            "submit",
            case.code,
            "--start",
            start,
            "--end",
            end,
            "--parameters",
            str(path),
        )
        _run(cli, verifier, "monitoring", "verify", report["id"], "--opinion", "Reasonable assurance.")
        issued = _json(cli, office, "issue", report["id"])
        vintage, held, buffer = case.issued[i]
        first = issued["produced"][0]
        assert (first["serial"], first["state"]) == (f"CB-CN-HI-{case.code}-{vintage}-1-{held}", "held")
        assert sum(b["count"] for b in issued["produced"] if b["state"] == "buffer") == buffer

    vintage = case.issued[0][0]
    lot = ("--project", case.code, "--vintage", str(vintage))
    _run(
        cli,
        dev,
        "transfer",
        "--from",
        dev_holding,
        *lot,
        "--to",
        buyer_holding,
        "--quantity",
        str(case.transfer_t),
    )
    receipt = tmp_path / "retirement.receipt"
    out = _run(
        cli,
        hotel,
        "retire",
        "--from",
        buyer_holding,
        *lot,
        "--quantity",
        str(case.retire_t),
        "--beneficiary",
        case.beneficiary,
        "--purpose",
        case.purpose,
        "--receipt",
        str(receipt),
    )
    serial = f"CB-CN-HI-{case.code}-{vintage}-1-{case.retire_t}"
    assert serial in out

    balances = _json(cli, hotel, "balance", buyer_holding)
    assert [(b["state"], b["tonnes"]) for b in balances] == [("held", case.transfer_t - case.retire_t)]
    [record] = _json(cli, hotel, "retirements")
    assert (record["beneficiary"], record["purpose"], record["serials"]) == (
        case.beneficiary,
        case.purpose,
        [serial],
    )
    sheet = _json(cli, hotel, "project", "show", case.code)
    shown = {ln["name"]: ln["equation"] for r in sheet["reports"] for ln in r["calculation"]["lines"]}
    for symbol, _, equation in case.figures:
        assert equation in shown[symbol]

    verified = runner.invoke(cli, ["verify", str(receipt), "--key", keys.verifier_key()])
    assert verified.exit_code == 0, verified.output
    assert f"entry {record['log_index']} is in" in verified.output


def test_cli_error_is_one_line_and_changes_nothing(cli: typer.Typer, sessions: sessionmaker[Session]) -> None:
    admit_organisations(sessions)
    dev = _token(sessions, "dev", "developer", "dev-co")
    result = runner.invoke(cli, ["registry", "--token", dev, "accounts", "open", "dev-co"])
    assert result.exit_code == 1
    assert "error[forbidden]" in result.stderr.replace(" ", "")
    office = _token(sessions, "office", "regulator")
    assert _json(cli, office, "accounts", "show", "dev-co") == {}
