"""``carbonbridge inventory ...``: compute an inventory from a file, submit, explain, region."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from carbonbridge.accounting.model import (
    Facility,
    FrameworkView,
    Organisation,
    OrganisationKind,
    RecordEmissions,
)
from carbonbridge.factors.model import GwpSet
from carbonbridge.kernel.errors import Unauthenticated

# the services, the database and Rich's tables are imported by the commands that use them, so that
# ``--help`` and an offline ``compute`` start fast (docs/cli.md, "Start-up time")
if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from carbonbridge.accounting import release

app = typer.Typer(help="Emissions inventories / 温室气体排放清单", no_args_is_help=True)
COMMANDS = {"inventory": app}
console = Console()


class Framework(StrEnum):
    GHGP = "ghgp"
    ISO14064 = "iso14064"
    CN_MEE = "cn-mee"


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


@contextmanager
def _database() -> Iterator[sessionmaker[Session]]:
    """The configured database, migrated; its engine is disposed when the command ends."""
    from carbonbridge.platform.cli import database

    engine, sessions = database()
    try:
        yield sessions
    finally:
        engine.dispose()


def _facility_ids(filename: str, data: bytes) -> list[str]:
    """Facility ids named in an activity file (so a file can be computed without a database)."""
    from carbonbridge.accounting.intake import decode_csv

    if data.startswith(b"PK\x03\x04") or filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook["activity"] if "activity" in workbook.sheetnames else workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [str(c or "").strip() for c in next(rows, ())]
        column = next((i for i, h in enumerate(header) if h in ("facility_id", "设施编号")), None)
        return sorted({str(r[column]) for r in rows if column is not None and r and r[column] is not None})
    text, _ = decode_csv(data)
    reader = csv.DictReader(io.StringIO(text))
    ids = {(row.get("facility_id") or row.get("设施编号") or "").strip() for row in reader}
    return sorted(i for i in ids if i)


@app.command("compute")
def compute(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="activity CSV or XLSX (template format)")
    ],
    framework: Annotated[Framework, typer.Option(help="framework view")] = Framework.GHGP,
    gwp: Annotated[GwpSet, typer.Option(help="GWP-100 set", case_sensitive=False)] = GwpSet.AR6,
    output: Annotated[Format, typer.Option("--format", help="output format")] = Format.TABLE,
    region: Annotated[str, typer.Option(help="ISO 3166-2 region of the facilities")] = "CN-HI",
    grid_region: Annotated[str, typer.Option(help="grid region for electricity factors")] = "CN-GRID-SOUTH",
    kind: Annotated[
        OrganisationKind, typer.Option(help="organisation kind (combustion sector)")
    ] = OrganisationKind.OTHER,
) -> None:
    """Compute an inventory from a file, offline, with the shipped factor datasets / 离线核算."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from carbonbridge.accounting import service
    from carbonbridge.accounting.engine import calculate
    from carbonbridge.accounting.intake import parse_upload
    from carbonbridge.factors.service import shipped_library

    data = file.read_bytes()
    facilities = {f: Facility(f, "file", f, region, grid_region) for f in _facility_ids(file.name, data)}
    organisation = Organisation("file", file.stem, file.stem, kind, region)
    library = shipped_library()
    screen = service.screen_for(library, organisation)
    records = parse_upload(file.name, data, organisation_id="file", facilities=facilities, screen=screen)
    sector = service.sector_of(kind)
    emissions: list[RecordEmissions] = []
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=len(records) < 2000,
    ) as progress:
        task = progress.add_task("computing / 核算中", total=len(records))
        for record in records:
            emissions.append(calculate(record, library, gwp, sector=sector))
            progress.advance(task)
    g, i, m, _, _ = service.views(organisation, emissions)
    view = {Framework.GHGP: g, Framework.ISO14064: i, Framework.CN_MEE: m}[framework]
    _print_view(view, gwp, output, len(records))


def _print_view(view: FrameworkView, gwp: GwpSet, output: Format, rows: int) -> None:
    from rich.table import Table

    if output is Format.JSON:
        body = {
            "framework": view.framework,
            "gwp": gwp.value,
            "records": rows,
            "total_co2e_kg": str(view.total_co2e_kg),
            "totals": {k: str(v) for k, v in view.totals.items()},
            "lines": [
                {
                    "key": x.key,
                    "label_en": x.label_en,
                    "label_zh": x.label_zh,
                    "co2e_kg": str(x.co2e_kg),
                    "by_gas": {k: str(v) for k, v in x.by_gas.items()},
                    "reported": x.reported,
                }
                for x in view.lines
            ],
            "out_of_boundary": [{"key": x.key, "co2e_kg": str(x.co2e_kg)} for x in view.out_of_boundary],
        }
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
        return
    if output is Format.CSV:
        writer = csv.writer(sys.stdout)
        writer.writerow(["framework", "line", "label_en", "label_zh", "co2e_kg", "reported"])
        for x in view.lines:
            writer.writerow([view.framework, x.key, x.label_en, x.label_zh, str(x.co2e_kg), x.reported])
        writer.writerow([view.framework, "total", "Total", "合计", str(view.total_co2e_kg), True])
        return
    table = Table(title=f"{view.framework} · GWP {gwp.value} · {rows} records (t CO2e)")
    table.add_column("line")
    table.add_column("t CO2e", justify="right")
    table.add_column("by gas (t CO2e)")
    for x in view.lines:
        amount = f"{x.co2e_kg / Decimal(1000):,.3f}" if x.reported else "not reported"
        gases = "; ".join(f"{k} {v / Decimal(1000):,.3f}" for k, v in x.by_gas.items())
        table.add_row(f"{x.label_en} / {x.label_zh}", amount, gases)
    table.add_row("[bold]Total / 合计[/bold]", f"[bold]{view.total_co2e_kg / Decimal(1000):,.3f}[/bold]", "")
    console.print(table)
    for x in view.out_of_boundary:
        console.print(f"outside boundary: {x.label_en}: {x.co2e_kg / Decimal(1000):,.3f} t CO2e")
    for note in view.notes:
        console.print(f"[dim]{note}[/dim]")


@app.command("submit")
def submit(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    organisation: Annotated[str, typer.Option(help="organisation id")],
    replaces: Annotated[
        str | None,
        typer.Option(help="id of an earlier submission this file replaces (a correction) / 被替换的报送编号"),
    ] = None,
) -> None:
    """Submit an activity file to the platform database (as an administrator) / 报送活动数据."""
    from carbonbridge.accounting import service
    from carbonbridge.platform.identity import Principal, Role

    admin = Principal("cli", "cli administrator", Role.ADMIN)
    with _database() as sessions:
        result = service.submit_upload(
            sessions, admin, organisation, file.name, file.read_bytes(), replaces=replaces
        )
    replacing = f", replacing {result.replaces}" if result.replaces else ""
    console.print(
        f"accepted {result.rows} rows as submission {result.submission_id}{replacing} "
        f"(sha256 {result.sha256[:16]}…; log entry {result.log_index})",
        soft_wrap=True,
    )


@app.command("submissions")
def submissions(organisation: Annotated[str, typer.Argument(help="organisation id")]) -> None:
    """An organisation's submissions: which replaced which, when, by whom / 报送及替换记录."""
    from carbonbridge.accounting import corrections
    from carbonbridge.platform.identity import Principal, Role

    admin = Principal("cli", "cli administrator", Role.ADMIN)
    with _database() as sessions:
        history = corrections.submission_history(sessions, admin, organisation)
    console.print(f"{organisation} · submissions / 报送记录 (oldest first)", soft_wrap=True)
    for x in history:
        status = f"replaced by {x.replaced_by}" if x.replaced_by else "current"
        if x.replaces:
            status = f"replaces {x.replaces}; {status}"
        entry = "—" if x.log_index is None else str(x.log_index)
        years = ",".join(str(y) for y in x.years)
        console.print(
            f"{x.id}  {x.filename}  {x.rows} rows  {years}  {x.submitted_at:%Y-%m-%d %H:%M} UTC  "
            f"by {x.submitted_by}  log entry {entry}  {status}",
            soft_wrap=True,
            markup=False,
        )


@app.command("reopen")
def reopen(
    organisation: Annotated[str, typer.Argument(help="organisation id")],
    year: Annotated[int, typer.Argument(min=1990, max=2100, help="the finalised year")],
    reason: Annotated[str, typer.Option(help="why the year is reopened (kept and logged) / 理由")],
) -> None:
    """Reopen a finalised year with a written reason (as an administrator) / 重新开放已定稿年度."""
    from carbonbridge.accounting import statements
    from carbonbridge.platform.identity import Principal, Role

    admin = Principal("cli", "cli administrator", Role.ADMIN)
    with _database() as sessions:
        result = statements.reopen(sessions, admin, organisation, year, reason)
    r = result.reopening
    console.print(
        f"reopened {organisation} {year} (revision {r.revision}); log entry {r.log_index}. "
        "It needs a new finalisation and verification.",
        soft_wrap=True,
    )


@app.command("region")
def region(
    gwp: Annotated[GwpSet, typer.Option(case_sensitive=False)] = GwpSet.AR6,
    unsuppressed: Annotated[
        bool,
        typer.Option(
            "--unsuppressed",
            help="every figure, for the regulator: needs a regulator's or administrator's API token "
            "in the environment variable CARBONBRIDGE_TOKEN",
        ),
    ] = False,
    output: Annotated[
        Format, typer.Option("--format", help="table or json (the REST API's shape)")
    ] = Format.TABLE,
) -> None:
    """The regional inventory per year as the public sees it: figures that would disclose one
    organisation are withheld (docs/accounting.md, "Disclosure control") / 区域清单（公开版）."""
    from carbonbridge.accounting import release
    from carbonbridge.accounting.schemas import RegionalOut
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.platform.identity import PUBLIC, authenticate_token
    from carbonbridge.platform.settings import get_settings

    settings = get_settings()
    principal = PUBLIC
    with _database() as sessions:
        if unsuppressed:
            token = os.environ.get("CARBONBRIDGE_TOKEN", "").strip()
            if not token:
                raise Unauthenticated("--unsuppressed needs a regulator's API token in CARBONBRIDGE_TOKEN")
            with unit_of_work(sessions) as session:
                principal = authenticate_token(session, token)
            release.require_unsuppressed(principal)
        result = release.regional_release(
            sessions, principal, settings.region, gwp, release.rules_of(settings)
        )
    if output is Format.JSON:
        body = RegionalOut.of(result).model_dump(mode="json")
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
        return
    _print_release(result)


def _print_release(result: release.ReleaseResult) -> None:
    from rich.table import Table

    from carbonbridge.accounting import publication
    from carbonbridge.platform import i18n

    r = result.release
    mark = "" if r.masked else " (unsuppressed / 未隐匿)"
    table = Table(
        title=f"{result.region} · GWP {result.gwp.value} · {result.record_count} records (t CO2e){mark}"
    )
    table.add_column("year")
    table.add_column("IPCC total", justify="right")
    table.add_column("GPC BASIC", justify="right")
    table.add_column("GPC BASIC+", justify="right")
    table.add_column("per capita", justify="right")
    for y in r.years:
        table.add_row(
            str(y.year),
            _figure(y.ipcc_total_kg, y.withheld.get("ipcc_total_kg"), 1),
            _figure(y.gpc_basic_kg, y.withheld.get("gpc_basic_kg"), 1),
            _figure(y.gpc_basic_plus_kg, y.withheld.get("gpc_basic_plus_kg"), 1),
            _figure(y.per_capita_kg, y.withheld.get("per_capita_kg"), 3),
        )
    console.print(table)
    sectors = Table(title="IPCC sectors / IPCC 部门 (t CO2e)")
    sectors.add_column("sector")
    for y in r.years:
        sectors.add_column(str(y.year), justify="right")
    for key, label in ((s.key, s.label_en) for s in (r.years[0].ipcc if r.years else ())):
        cells = [y.ipcc_sector(key) for y in r.years]
        sectors.add_row(f"{key} {label}", *(_figure(s.co2e_kg, s.withheld.get("co2e_kg"), 1) for s in cells))
    console.print(sectors)
    if any(y.withheld or any(s.withheld for s in (*y.ipcc, *y.gpc, *y.outside_ipcc)) for y in r.years):
        note = publication.PUBLIC_NOTE if r.masked else publication.REGULATOR_NOTE
        rules = r.rules
        values = {
            "min_reporters": rules.min_reporters,
            "dominance_n": rules.dominance_n,
            "dominance_k": rules.dominance_k,
            "protection_percent": rules.protection_percent,
        }
        console.print(f"[dim]{'*' if r.masked else '†'} {note.format(**values)}[/dim]", highlight=False)
        console.print(f"[dim]{i18n.gettext('zh', note).format(**values)}[/dim]", highlight=False)
    if result.not_computable:
        console.print(
            f"[red]not computable / 无法计算: {result.excluded_records} record(s); "
            "every figure above excludes them[/red]"
        )
        for g in result.not_computable:
            console.print(
                f"  {g.year} {g.activity} ({g.records} record(s)): {g.reason}", markup=False, soft_wrap=True
            )
    if result.synthetic:
        console.print("[yellow]synthetic demo data / 演示数据为合成数据[/yellow]")


def _figure(kg: Decimal | None, why: str | None, places: int) -> str:
    """A figure in tonnes, ``confidential / 保密*`` when withheld, ``†`` when the public does not see it."""
    if kg is None:
        return "confidential / 保密*" if why else "—"
    return f"{kg / 1000:,.{places}f}" + ("†" if why else "")
