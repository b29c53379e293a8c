"""Shared pieces of ``carbonbridge registry ...``: the Typer apps (``cli.py`` re-exports ``app`` and
``COMMANDS``), the acting principal, the output format and receipt options, and the helpers the
command modules (``cli.py``, ``cli_units.py``, ``cli_exports.py``) use to print results and receipts.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from carbonbridge.kernel.errors import CarbonbridgeError, FieldIssue, InvalidInput
from carbonbridge.platform.cli_errors import failure
from carbonbridge.platform.cli_token import TokenFileOption, TokenOption, resolve_token
from carbonbridge.registry.model import Receipt

if TYPE_CHECKING:
    from pydantic import BaseModel
    from sqlalchemy.orm import Session, sessionmaker

    from carbonbridge.platform.identity import Credentials, Principal

app = typer.Typer(help="Carbon-credit registry / 碳信用登记簿", no_args_is_help=True)
project_app = typer.Typer(help="Projects: draft, validate, register, list, show / 项目", no_args_is_help=True)
monitoring_app = typer.Typer(help="Monitoring reports: submit, verify / 监测报告", no_args_is_help=True)
accounts_app = typer.Typer(help="Registry accounts / 登记簿账户", no_args_is_help=True)
app.add_typer(project_app, name="project")
app.add_typer(monitoring_app, name="monitoring")
app.add_typer(accounts_app, name="accounts")
COMMANDS = {"registry": app}

console = Console()


def cli_admin() -> Principal:
    """The CLI administrator: who acts when no ``--token`` is given (a local operator)."""
    from carbonbridge.platform.identity import Principal, Role

    return Principal("cli", "cli administrator", Role.ADMIN)


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


FormatOption = Annotated[Format, typer.Option("--format", help="output format")]


def _receipt_path(path: Path | None) -> Path | None:
    """Refuse a receipt file that could not be written before acting, not after the state changed
    (a script seeing the failure would otherwise retry an operation that was done)."""
    if path is not None and not os.access(path.parent, os.W_OK | os.X_OK):
        raise typer.BadParameter(f"cannot write a file in {path.parent}: no such directory or no permission")
    return path


ReceiptOption = Annotated[
    Path | None,
    typer.Option(
        "--receipt", help="save the log receipt to this file", dir_okay=False, callback=_receipt_path
    ),
]


@app.callback()
def main(ctx: typer.Context, token: TokenOption = None, token_file: TokenFileOption = None) -> None:
    """The registry: projects, monitoring, issuance, transfers, retirements / 碳信用登记簿."""
    try:
        ctx.obj = resolve_token(token, token_file)
    except CarbonbridgeError as exc:
        raise failure(exc) from exc


@contextmanager
def _acting(ctx: typer.Context) -> Iterator[tuple[sessionmaker[Session], Principal]]:
    """The database and the acting principal; domain errors end the command in one line."""
    from carbonbridge.platform.cli import database
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.platform.identity import authenticate_token

    try:
        engine, sessions = database()
        ctx.call_on_close(engine.dispose)  # after the command has printed its result
        token = ctx.obj
        principal = cli_admin()
        if token:
            with unit_of_work(sessions) as session:
                principal = authenticate_token(session, str(token))
        yield sessions, principal
    except CarbonbridgeError as exc:
        raise failure(exc) from exc


@contextmanager
def _presenting(ctx: typer.Context) -> Iterator[tuple[sessionmaker[Session], Principal | Credentials]]:
    """The database and the caller as presented, for a use case that authenticates it in its own
    transaction (a unit movement): the ``--token`` unchecked, else the local operator."""
    from carbonbridge.platform.cli import database
    from carbonbridge.platform.identity import Credentials

    try:
        engine, sessions = database()
        ctx.call_on_close(engine.dispose)  # after the command has printed its result
        token = ctx.obj
        yield sessions, Credentials(str(token), from_header=True) if token else cli_admin()
    except CarbonbridgeError as exc:
        raise failure(exc) from exc


def _json(body: BaseModel | list[Any]) -> None:
    from pydantic import BaseModel

    if isinstance(body, list):
        data: Any = [b.model_dump(mode="json") if isinstance(b, BaseModel) else b for b in body]
    else:
        data = body.model_dump(mode="json")
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _done(
    sessions: sessionmaker[Session], receipt: Receipt, output: Format, save: Path | None, what: str = ""
) -> None:

    from carbonbridge.registry import views
    from carbonbridge.registry.schemas import ReceiptOut

    body = ReceiptOut.of(receipt, views.serials_of(sessions, list(receipt.produced)))
    if save is not None:
        save.write_text(receipt.receipt, "utf-8")
    if output is Format.JSON:
        _json(body)
        return
    console.print(
        f"{what or body.kind}: logged as transparency-log entry {body.log_index} / 已记入透明日志",
        highlight=False,
    )
    if body.produced:
        table = Table("serial / 序列号", "t", "state / 状态", "account / 账户")
        for b in body.produced:
            table.add_row(b.serial, str(b.count), b.state, b.account_id)
        console.print(table)
    if save is not None:
        console.print(f"receipt saved to {save}; check it with: carbonbridge verify {save} --key ...")


def _parameters(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInput(
            "cannot read the parameters", [FieldIssue(("parameters",), str(path), str(exc))]
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput(
            "the parameters must be a JSON object", [FieldIssue(("parameters",), str(path), "object")]
        )
    return data


def _project_id(sessions: sessionmaker[Session], ref: str) -> str:
    """A project id (``prj_...``) or its code (``MG001``)."""
    from carbonbridge.registry import views

    return ref if ref.startswith("prj_") else views.project_by_code(sessions, ref).id
