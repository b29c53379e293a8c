"""``carbonbridge registry ...``: the registry for a terminal user, mirroring the REST API.

Who acts: the user of the API token from ``--token``, ``--token-file`` or ``CARBONBRIDGE_TOKEN``
(``platform/cli_token.py``), with that user's role and organisation; without a token, the local
administrator of the platform's database (as ``carbonbridge inventory submit`` does). State changes
print their log entry; ``--receipt FILE`` saves the receipt (c2sp.org/tlog-proof) for ``carbonbridge
verify FILE --key ...``. ``--format json`` prints the same bodies as the API. Errors print in one
line and exit with the status ``docs/errors.md#exit-codes`` gives.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from carbonbridge.kernel.display import FigureKind, shown
from carbonbridge.kernel.errors import FieldIssue, InvalidInput
from carbonbridge.platform.cli_format import Column, OutputFormat, emit
from carbonbridge.platform.cli_format import FormatOption as ListFormatOption
from carbonbridge.registry.cadt import cli as cadt_cli
from carbonbridge.registry.cli_common import COMMANDS as COMMANDS
from carbonbridge.registry.cli_common import (
    Format,
    FormatOption,
    ReceiptOption,
    _acting,
    _done,
    _json,
    _parameters,
    _project_id,
    accounts_app,
    console,
    monitoring_app,
    project_app,
)
from carbonbridge.registry.cli_common import app as app
from carbonbridge.registry.compliance import cli as compliance_cli
from carbonbridge.registry.model import ProjectDraft
from carbonbridge.registry.units import cli as units_cli  # noqa: F401  (registers issue|transfer|retire|cancel)
from carbonbridge.registry.units import cli_exports as cli_exports  # registers export|expire

# the sub-packages' command groups (allowances, cadt, recognition), after project|monitoring|accounts
for _name, _sub in {**compliance_cli.COMMANDS, **cadt_cli.COMMANDS}.items():
    app.add_typer(_sub, name=_name)

# --- accounts -----------------------------------------------------------------------------------


@accounts_app.command("open")
def accounts_open(ctx: typer.Context, organisation: str, output: FormatOption = Format.TABLE) -> None:
    """Open an organisation's holding, retirement and cancellation accounts (regulator) / 开立账户."""
    from carbonbridge.registry import service

    with _acting(ctx) as (sessions, principal):
        found = service.open_accounts(sessions, principal, organisation)
    _print_accounts(found, output)


@accounts_app.command("show")
def accounts_show(ctx: typer.Context, organisation: str, output: FormatOption = Format.TABLE) -> None:
    """An organisation's registry accounts / 查看账户."""
    from carbonbridge.registry import service

    with _acting(ctx) as (sessions, principal):
        found = service.accounts(sessions, principal, organisation)
    _print_accounts(found, output)


def _print_accounts(found: dict[Any, Any], output: Format) -> None:
    rows = {k.value: a.id for k, a in sorted(found.items())}
    if output is Format.JSON:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table("kind / 类型", "account / 账户")
    for kind, ident in rows.items():
        table.add_row(kind, ident)
    console.print(table)


# --- projects -----------------------------------------------------------------------------------


@project_app.command("draft")
def project_draft(
    ctx: typer.Context,
    code: Annotated[str, typer.Option(help="project code in every serial, e.g. MG001")],
    organisation: Annotated[str, typer.Option(help="developer organisation id")],
    methodology: Annotated[str, typer.Option(help="methodology id or id@version")],
    name_en: Annotated[str, typer.Option(help="name in English")],
    name_zh: Annotated[str, typer.Option(help="name in Chinese")],
    region: Annotated[str, typer.Option(help="ISO 3166-2 subdivision")] = "CN-HI",
    standard: Annotated[str, typer.Option(help="standard")] = "CCER",
    parameters: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="project design, JSON")
    ] = None,
    output: FormatOption = Format.TABLE,
    receipt: ReceiptOption = None,
) -> None:
    """Draft a project (developer) / 起草项目."""
    from carbonbridge.registry import service

    with _acting(ctx) as (sessions, principal):
        draft = ProjectDraft(
            code, organisation, name_en, name_zh, methodology, region, standard, _parameters(parameters)
        )
        project, done = service.draft_project(sessions, principal, draft)
    _done(sessions, done, output, receipt, f"project {project.code} drafted: {project.id}")


@project_app.command("validate")
def project_validate(
    ctx: typer.Context,
    project: Annotated[str, typer.Argument(help="project id or code")],
    opinion: Annotated[str, typer.Option(help="validation opinion")],
    output: FormatOption = Format.TABLE,
    receipt: ReceiptOption = None,
) -> None:
    """Validate a drafted project (verifier) / 审定项目."""
    from carbonbridge.registry import service

    with _acting(ctx) as (sessions, principal):
        _, done = service.validate_project(sessions, principal, _project_id(sessions, project), opinion)
    _done(sessions, done, output, receipt, f"project {project} validated")


@project_app.command("register")
def project_register(
    ctx: typer.Context,
    project: Annotated[str, typer.Argument(help="project id or code")],
    note: Annotated[str, typer.Option(help="registration note")] = "Registered.",
    output: FormatOption = Format.TABLE,
    receipt: ReceiptOption = None,
) -> None:
    """Register a validated project (regulator) / 项目备案."""
    from carbonbridge.registry import service

    with _acting(ctx) as (sessions, principal):
        _, done = service.register_project(sessions, principal, _project_id(sessions, project), note)
    _done(sessions, done, output, receipt, f"project {project} registered")


@project_app.command("list")
def project_list(ctx: typer.Context, output: ListFormatOption = OutputFormat.TABLE) -> None:
    """Every project with tonnes issued and retired / 项目列表."""
    from carbonbridge.registry import views
    from carbonbridge.registry.schemas import ProjectOut

    with _acting(ctx) as (sessions, _):
        totals = views.registry_totals(sessions)
    body = [
        {**ProjectOut.of(x.project).model_dump(mode="json"), "issued": x.issued, "retired": x.retired}
        for x in totals.projects
    ]
    rows = [
        {**b, "name": f"{x.project.name_en} / {x.project.name_zh}"}
        for b, x in zip(body, totals.projects, strict=True)
    ]
    columns = [
        Column("code"),
        Column("name", "project / 项目"),
        Column("methodology"),
        Column("status"),
        Column("issued", "issued t", FigureKind.COUNT),
        Column("retired", "retired t", FigureKind.COUNT),
    ]
    emit(rows, columns, output, body=body)


@project_app.command("show")
def project_show(
    ctx: typer.Context,
    project: Annotated[str, typer.Argument(help="project id or code")],
    output: FormatOption = Format.TABLE,
) -> None:
    """A project's sheet: reports with every calculator figure and equation, issuances / 项目详情."""
    from carbonbridge.registry import views
    from carbonbridge.registry.schemas import ProjectOut, ReportOut

    with _acting(ctx) as (sessions, _):
        sheet = views.project_sheet(sessions, _project_id(sessions, project))
    if output is Format.JSON:
        body = {
            "project": ProjectOut.of(sheet.project).model_dump(mode="json"),
            "reports": [ReportOut.of(r).model_dump(mode="json") for r in sheet.reports],
            "issuances": [i.__dict__ for i in sheet.issuances],
        }
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
        return
    p = sheet.project
    console.print(
        f"[bold]{p.code}[/bold] {p.name_en} / {p.name_zh} · {p.methodology} · {p.status.value}",
        highlight=False,
    )
    for r in sheet.reports:
        c = r.calculation
        table = Table(
            "symbol",
            "quantity",
            "value",
            "unit",
            "equation",
            title=f"{r.id} · {r.period_start}–{r.period_end} · net {c['net_t']} t · {r.status.value}",
        )
        for ln in c["lines"]:
            value = shown(Decimal(ln["value"]))  # the display rule (docs/display.md)
            table.add_row(
                ln["name"], f"{ln['label_en']} / {ln['label_zh']}", value, ln["unit"], ln["equation"]
            )
        console.print(table)
        for f in c["flags"]:
            console.print(f"[red]{f['severity']}[/red] {f['check']}: {escape(f['reason_en'])}")
    for i in sheet.issuances:
        console.print(
            f"issued {i.serials or '—'} ({i.quantity} t, buffer {i.buffer} t)"
            + (
                f"; converted from planned / 由预签发单位转换 {i.converted} t "
                f"({', '.join(i.converted_serials)})"
                if i.converted
                else ""
            ),
            highlight=False,
            soft_wrap=True,
        )


# --- monitoring ---------------------------------------------------------------------------------


@monitoring_app.command("submit")
def monitoring_submit(
    ctx: typer.Context,
    project: Annotated[str, typer.Argument(help="project id or code")],
    start: Annotated[str, typer.Option(help="period start, YYYY-MM-DD")],
    end: Annotated[str, typer.Option(help="period end, YYYY-MM-DD")],
    parameters: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, help="monitoring parameters, JSON")
    ],
    output: FormatOption = Format.TABLE,
    receipt: ReceiptOption = None,
) -> None:
    """Submit a monitoring report; the methodology computes the period now (developer) / 提交监测报告."""
    from carbonbridge.registry import service
    from carbonbridge.registry.schemas import ReportOut

    with _acting(ctx) as (sessions, principal):
        period = (_date(start, "start"), _date(end, "end"))
        report, done = service.submit_report(
            sessions, principal, _project_id(sessions, project), *period, _parameters(parameters)
        )
    if output is Format.JSON:
        _json(ReportOut.of(report))
        if receipt is not None:
            receipt.write_text(done.receipt, "utf-8")
        return
    console.print(
        f"report {report.id}: net {report.calculation['net_t']} t CO2e, vintage {report.vintage}",
        highlight=False,
    )
    for f in report.calculation["flags"]:
        console.print(f"[red]{f['severity']}[/red] {f['check']}: {escape(f['reason_en'])}")
    _done(sessions, done, output, receipt, "report submitted")


def _date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("invalid date", [FieldIssue((field,), text, "YYYY-MM-DD")]) from None


@monitoring_app.command("verify")
def monitoring_verify(
    ctx: typer.Context,
    report: Annotated[str, typer.Argument(help="monitoring report id")],
    opinion: Annotated[str, typer.Option(help="verification opinion")],
    override_reason: Annotated[str, typer.Option(help="why an implausible flag is overridden")] = "",
    output: FormatOption = Format.TABLE,
    receipt: ReceiptOption = None,
) -> None:
    """Verify a monitoring report (verifier) / 核查监测报告."""
    from carbonbridge.registry import service

    with _acting(ctx) as (sessions, principal):
        _, done = service.verify_report(sessions, principal, report, opinion, override_reason=override_reason)
    _done(sessions, done, output, receipt, f"report {report} verified")


# --- reads --------------------------------------------------------------------------------------


@app.command("balance")
def balance(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="account id")],
    output: ListFormatOption = OutputFormat.TABLE,
) -> None:
    """Tonnes per project, vintage and state in an account / 余额."""
    from carbonbridge.registry import reads
    from carbonbridge.registry.schemas import BalanceOut

    with _acting(ctx) as (sessions, principal):
        found = reads.balances(sessions, principal, account)
    rows = [
        {"project": b.project_id, "vintage": b.vintage, "state": b.state.value, "tonnes": b.tonnes}
        for b in found
    ]
    columns = [
        Column("project"),
        Column("vintage"),
        Column("state", "state / 状态"),
        Column("tonnes", "t CO2e", FigureKind.COUNT),
    ]
    emit(rows, columns, output, title=account, body=[BalanceOut.of(b).model_dump(mode="json") for b in found])


@app.command("blocks")
def blocks(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="account id")],
    output: ListFormatOption = OutputFormat.TABLE,
) -> None:
    """The open serial blocks of an account / 序列号区块."""
    from carbonbridge.registry import reads, views

    with _acting(ctx) as (sessions, principal):
        found = reads.holdings(sessions, principal, account)
        serials = views.serials_of(sessions, found)
    rows = [
        {"serial": s, "count": b.count, "state": b.state.value, "account_id": b.account_id}
        for b, s in zip(found, serials, strict=True)
    ]
    columns = [
        Column("serial", "serial / 序列号"),
        Column("count", "t", FigureKind.COUNT),
        Column("state", "state / 状态"),
    ]
    emit(rows, columns, output, title=account)


@app.command("retirements")
def retirements(ctx: typer.Context, output: ListFormatOption = OutputFormat.TABLE) -> None:
    """The public retirement records, newest first / 注销记录."""
    from carbonbridge.registry import views
    from carbonbridge.registry.schemas import RetirementRecordOut

    with _acting(ctx) as (sessions, _):
        found = views.all_retirements(sessions)
    rows = [
        {"beneficiary": r.beneficiary, "purpose": r.purpose, "quantity": r.quantity,
         "serials": ", ".join(r.serials), "log_index": r.log_index}
        for r in found
    ]  # fmt: skip
    columns = [
        Column("beneficiary", "beneficiary / 受益方"),
        Column("purpose", "purpose / 用途"),
        Column("quantity", "t", FigureKind.COUNT),
        Column("serials", "serials / 序列号"),
        Column("log_index", "log entry"),
    ]
    emit(rows, columns, output, body=[RetirementRecordOut.of(r).model_dump(mode="json") for r in found])


@app.command("serial")
def serial(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="serial or range, CB-...")],
    output: ListFormatOption = OutputFormat.TABLE,
) -> None:
    """Where each part of a serial range stands now (public credit search) / 序列号查询."""
    from carbonbridge.registry import reads

    with _acting(ctx) as (sessions, _):
        found = reads.find_serial(sessions, text)
    rows = [
        {"serial": s.serial, "state": s.state.value, "standard": s.standard, "methodology": s.methodology}
        for s in found
    ]
    columns = [
        Column("serial", "serial / 序列号"),
        Column("state", "state / 状态"),
        Column("standard"),
        Column("methodology"),
    ]
    emit(rows, columns, output)
