"""``carbonbridge records list|explain``: an organisation's stored activity records and, for one
of them, which factors, rules, equation and GWP set produced its figures (as the API's
``GET /organisations/{id}/records`` and ``GET /records/{id}/explain``).

Who acts: the user of the API token in ``--token-file`` or ``CARBONBRIDGE_TOKEN`` (scoped as over
the API: a reporter sees its own organisation); without one, the local administrator of the
platform's database, as ``carbonbridge inventory submit`` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from carbonbridge.factors.model import GwpSet
from carbonbridge.kernel.display import FigureKind, shown
from carbonbridge.platform.cli_format import (
    Column,
    FormatOption,
    OutputFormat,
    emit,
    emit_json,
    print_table,
)
from carbonbridge.platform.cli_token import TokenFileOption, resolve_token

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from carbonbridge.platform.identity import Principal

records_app = typer.Typer(
    help="Stored activity records and explain / 活动数据记录与计算说明", no_args_is_help=True
)

#: the columns of ``records list`` (JSON: the API's ``RecordPageOut``)
RECORD_COLUMNS = [
    Column("id"),
    Column("facility_id", "facility"),
    Column("period_start", "from"),
    Column("period_end", "to"),
    Column("activity"),
    Column("quantity", figure=FigureKind.MEASURE),
    Column("unit"),
    Column("instrument"),
    Column("submission_id", "submission"),
]


@contextmanager
def _acting(token_file: Path | None) -> Iterator[tuple[sessionmaker[Session], Principal]]:
    """The database and who acts: the token's user, else the local administrator."""
    from carbonbridge.platform.cli import database
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.platform.identity import Principal, Role, authenticate_token

    token = resolve_token(None, token_file)
    engine, sessions = database()
    try:
        principal = Principal("cli", "cli administrator", Role.ADMIN)
        if token:
            with unit_of_work(sessions) as session:
                principal = authenticate_token(session, token)
        yield sessions, principal
    finally:
        engine.dispose()


@records_app.command("list")
def list_records(
    organisation: Annotated[str, typer.Argument(help="organisation id")],
    year: Annotated[int | None, typer.Option(min=1990, max=2100, help="only this reporting year")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="records per page")] = 100,
    offset: Annotated[int, typer.Option(min=0, max=2**31 - 1, help="records to skip")] = 0,
    output: FormatOption = OutputFormat.TABLE,
    token_file: TokenFileOption = None,
) -> None:
    """An organisation's current activity records, a page at a time, with their ids / 活动数据记录."""
    from carbonbridge.accounting.schemas import RecordPageOut
    from carbonbridge.accounting.service import records

    with _acting(token_file) as (sessions, principal):
        page = records.list_records(sessions, principal, organisation, year=year, limit=limit, offset=offset)
    body = RecordPageOut.of(page).model_dump(mode="json")
    rows = [
        {**r, "quantity": x.record.quantity}  # the Decimal, for the display rule
        for r, x in zip(body["records"], page.records, strict=True)
    ]
    last = page.offset + len(page.records)
    title = f"{organisation} · records {page.offset + 1 if rows else 0}–{last} of {page.total}"
    emit(rows, RECORD_COLUMNS, output, title=title, body=body)


@records_app.command("explain")
def explain(
    record: Annotated[str, typer.Argument(help="activity record id (from `records list`)")],
    gwp: Annotated[GwpSet, typer.Option(help="GWP-100 set", case_sensitive=False)] = GwpSet.AR6,
    output: FormatOption = OutputFormat.TABLE,
    token_file: TokenFileOption = None,
) -> None:
    """Which factors, why, which equation and GWP set produced a record's figures / 计算说明."""
    from carbonbridge.accounting import service
    from carbonbridge.accounting.schemas import ExplainOut

    with _acting(token_file) as (sessions, principal):
        emissions = service.explain_record(sessions, principal, record, gwp)
    body = ExplainOut.of(emissions)
    if output is OutputFormat.JSON:
        emit_json(body.model_dump(mode="json"))
        return
    rows = [
        {
            "basis": b.basis,
            "gas": gas,
            "kg": v["kg"],
            "co2e_kg": v["co2e_kg"],
            "equation": f"{b.equation_id}: {b.equation}",
            "gwp_set": b.gwp_set,
            "factors": "; ".join(f"{f.key} = {f.value} {f.unit} ({f.rule})" for f in b.factors),
        }
        for b in body.bases
        for gas, v in b.gases.items()
    ]
    columns = [
        Column("basis"),
        Column("gas"),
        Column("kg", figure=FigureKind.MEASURE),
        Column("co2e_kg", "kg CO2e", figure=FigureKind.MEASURE),
        Column("equation"),
        Column("gwp_set", "GWP"),
        Column("factors"),
    ]
    if output is OutputFormat.CSV:
        emit(rows, columns, output)
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    r = emissions.record
    console.print(
        f"{r.id} · {r.organisation_id} · {r.facility_id} · {r.activity} {shown(r.quantity)} {r.unit} · "
        f"{r.period_start} – {r.period_end}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    for b in body.bases:
        table = Table(title=f"{b.basis} · {b.equation_id}: {b.equation} · GWP {b.gwp_set or '—'}")
        for heading in ("gas", "kg", "kg CO2e"):
            table.add_column(heading, justify="left" if heading == "gas" else "right")
        for gas, v in b.gases.items():
            table.add_row(gas, shown(v["kg"]), shown(v["co2e_kg"]))
        print_table(table, console)
        factors = Table("role", "value", "factor", "source", "why this factor / 选用理由")
        for f in b.factors:
            factors.add_row(
                f.role, f"{f.value} {f.unit}", f"{f.key} ({f.region}, {f.year or '—'})", f.citation, f.rule
            )
        print_table(factors, console)
        for line in (*b.conversions, *b.notes):
            console.print(line, style="dim", markup=False, highlight=False, soft_wrap=True)
