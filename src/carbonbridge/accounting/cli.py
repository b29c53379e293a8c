"""``carbonbridge inventory ...``: compute an inventory from a file, submit, explain, region."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from carbonbridge.accounting.cli_records import records_app
from carbonbridge.accounting.coverage import Coverage
from carbonbridge.accounting.model import (
    Facility,
    FrameworkLine,
    FrameworkView,
    Organisation,
    OrganisationKind,
)
from carbonbridge.factors.model import GwpSet
from carbonbridge.kernel.display import FigureKind, shown
from carbonbridge.kernel.errors import FieldIssue, InvalidInput, Unauthenticated
from carbonbridge.platform.cli_format import Column, FormatOption, OutputFormat, emit, emit_json, print_table

# the services, the database and Rich's tables are imported by the commands that use them, so that
# ``--help`` and an offline ``compute`` start fast (docs/cli.md, "Start-up time")
if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from carbonbridge.accounting.service import release

app = typer.Typer(help="Emissions inventories / 温室气体排放清单", no_args_is_help=True)
COMMANDS = {"inventory": app, "records": records_app}
console = Console()


@contextmanager
def _database() -> Iterator[sessionmaker[Session]]:
    """The configured database, migrated; its engine is disposed when the command ends."""
    from carbonbridge.platform.cli import database

    engine, sessions = database()
    try:
        yield sessions
    finally:
        engine.dispose()


def _read_csv(path: Path) -> list[dict[str, str]]:
    from carbonbridge.accounting.intake import decode_csv

    text, _ = decode_csv(path.read_bytes())
    return [
        {k.strip(): (v or "").strip() for k, v in row.items() if k}
        for row in csv.DictReader(io.StringIO(text))
    ]


def _facilities_from(path: Path, region: str, grid_region: str) -> list[Facility]:
    """Facilities from a CSV (``id,organisation_id,name,region,grid_region``, as ``demo export``
    writes ``facilities.csv``); a missing region or grid region is the command's default."""
    rows = _read_csv(path)
    missing = [
        FieldIssue((path.name, n, "id"), row.get("id", ""), "a facility id")
        for n, row in enumerate(rows, start=2)
        if not (row.get("id") or row.get("facility_id"))
    ]
    if missing or not rows:
        raise InvalidInput(
            "not a facilities file",
            missing or [FieldIssue((path.name,), "", "a header and one row per facility")],
        )
    return [
        Facility(
            row.get("id") or row["facility_id"],
            row.get("organisation_id") or "adhoc",
            row.get("name") or row.get("id") or row["facility_id"],
            row.get("region") or region,
            row.get("grid_region") or grid_region,
        )
        for row in rows
    ]


def _organisations_from(path: Path, region: str) -> list[Organisation]:
    """Organisations from a CSV (``id,name_en,name_zh,kind,region``, as ``demo export`` writes)."""
    organisations = []
    for n, row in enumerate(_read_csv(path), start=2):
        try:
            kind = OrganisationKind(row.get("kind") or "other")
        except ValueError:
            choices = ", ".join(k.value for k in OrganisationKind)
            raise InvalidInput(
                "unknown organisation kind",
                [FieldIssue((path.name, n, "kind"), row.get("kind"), f"one of {choices}")],
            ) from None
        ident = row.get("id", "")
        organisations.append(
            Organisation(
                ident,
                row.get("name_en") or ident,
                row.get("name_zh") or ident,
                kind,
                row.get("region") or region,
            )
        )
    return organisations


@app.command("compute")
def compute(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="activity CSV or XLSX (template format)")
    ],
    framework: Annotated[
        str,
        typer.Option(help="framework view: ghgp (ghg-protocol), iso14064 (iso-14064-1), cn-mee; any case"),
    ] = "ghgp",
    gwp: Annotated[GwpSet, typer.Option(help="GWP-100 set", case_sensitive=False)] = GwpSet.AR6,
    output: FormatOption = OutputFormat.TABLE,
    region: Annotated[str, typer.Option(help="ISO 3166-2 region of the facilities")] = "CN-HI",
    grid_region: Annotated[str, typer.Option(help="grid region for electricity factors")] = "CN-GRID-SOUTH",
    kind: Annotated[
        OrganisationKind, typer.Option(help="organisation kind (combustion sector)")
    ] = OrganisationKind.OTHER,
    facilities: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="facilities CSV (id,organisation_id,name,region,grid_region): results per organisation",
        ),
    ] = None,
    organisations: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="organisations CSV (id,name_en,name_zh,kind,region)"),
    ] = None,
) -> None:
    """Compute inventories from a file without storing it, per reporting year (and organisation),
    with the installation's factor datasets and the region's pins, as the API does / 离线核算."""
    from carbonbridge.accounting.schemas import ComputeOut
    from carbonbridge.accounting.service import adhoc

    data = file.read_bytes()
    sites = (
        _facilities_from(facilities, region, grid_region)
        if facilities is not None
        else adhoc.file_facilities(file.name, data, region, grid_region)
    )
    known = _organisations_from(organisations, region) if organisations is not None else []
    with _database() as sessions:
        result = adhoc.compute_file(
            sessions, file.name, data, sites, gwp, kind=kind, organisations=known, framework=framework
        )
    if output is OutputFormat.JSON:
        emit_json(ComputeOut.of(result).model_dump(mode="json"))
        return
    chosen = result.framework or "ghgp"
    rows = [
        {
            "organisation": part.organisation.id,
            "year": part.year,
            "framework": chosen,
            "line": line.key,
            "label_en": line.label_en,
            "label_zh": line.label_zh,
            "co2e_kg": line.co2e_kg if line.reported else None,
            "reported": line.reported,
        }
        for part in result.parts
        for line in (*part.view(chosen).lines, _total_line(part.view(chosen)))
    ]
    if output is OutputFormat.CSV:
        emit(rows, CSV_COLUMNS, output)
        return
    _print_parts(result, chosen, framework)


#: the columns of ``inventory compute --format csv`` (every digit, kg CO2e)
CSV_COLUMNS = [
    Column("organisation"),
    Column("year"),
    Column("framework"),
    Column("line"),
    Column("label_en"),
    Column("label_zh"),
    Column("co2e_kg", figure=FigureKind.MEASURE),
    Column("reported"),
]


def _total_line(view: FrameworkView) -> FrameworkLine:
    return FrameworkLine("total", "Total", "合计", view.total_co2e_kg, {}, (), True)


def _print_parts(result: object, chosen: str, asked: str) -> None:
    """One table per organisation and year (t CO2e, shown by the display rule)."""
    from rich.table import Table

    from carbonbridge.accounting.service.adhoc import AdhocInventory

    if not isinstance(result, AdhocInventory):
        return
    said = "" if asked.strip().lower() == chosen else f" (asked: {asked})"
    pins = ", ".join(result.pinned) or "none / 无"
    console.print(
        f"framework / 核算标准: {chosen}{said} · GWP {result.gwp.value} · "
        f"pinned datasets / 锁定数据集: {pins}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    for part in result.parts:
        view = part.view(chosen)
        table = Table(
            title=f"{part.organisation.id} · {part.year} · {view.framework} · "
            f"{len(part.records)} records (t CO2e)"
        )
        table.add_column("line")
        table.add_column("t CO2e", justify="right")
        table.add_column("by gas (t CO2e)")
        for x in view.lines:
            amount = shown(x.co2e_kg / _T) if x.reported else "not reported"
            gases = "; ".join(f"{k} {shown(v / _T)}" for k, v in x.by_gas.items())
            table.add_row(f"{x.label_en} / {x.label_zh}", amount, gases)
        table.add_row("[bold]Total / 合计[/bold]", f"[bold]{shown(view.total_co2e_kg / _T)}[/bold]", "")
        print_table(table, console)
        for x in view.out_of_boundary:
            console.print(f"outside boundary: {x.label_en}: {shown(x.co2e_kg / _T)} t CO2e", markup=False)
        for note in view.notes:
            console.print(note, style="dim", markup=False, soft_wrap=True)


_T = Decimal(1000)


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
def submissions(
    organisation: Annotated[str, typer.Argument(help="organisation id")],
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """An organisation's submissions: which replaced which, when, by whom / 报送及替换记录."""
    from carbonbridge.accounting.service import corrections
    from carbonbridge.platform.identity import Principal, Role

    admin = Principal("cli", "cli administrator", Role.ADMIN)
    with _database() as sessions:
        history = corrections.submission_history(sessions, admin, organisation)
    if output is not OutputFormat.TABLE:
        rows = [
            {"id": x.id, "filename": x.filename, "rows": x.rows, "years": ",".join(str(y) for y in x.years),
             "submitted_at": x.submitted_at, "submitted_by": x.submitted_by, "log_index": x.log_index,
             "replaces": x.replaces, "replaced_by": x.replaced_by, "sha256": x.sha256}
            for x in history
        ]  # fmt: skip
        emit(rows, [Column(k) for k in (rows[0] if rows else {"id": None})], output)
        return
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
    from carbonbridge.accounting.service import statements
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


region_app = typer.Typer(
    help="The regional inventory (public copy) / 区域清单", invoke_without_command=True, no_args_is_help=False
)
app.add_typer(region_app, name="region")


@region_app.command("rebuild")
def region_rebuild() -> None:
    """Compute every organisation's contribution again and the regional statement from them, with
    a progress bar: what a factor dataset or pin change needs (the server does it in the
    background meanwhile; one rebuild at a time) / 重新计算区域清单."""
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from carbonbridge.accounting.service import release
    from carbonbridge.platform.settings import get_settings

    settings = get_settings()
    t0 = time.perf_counter()
    with (
        _database() as sessions,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar,
    ):
        task = bar.add_task("organisations / 机构", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        built = release.rebuild_regional_statement(
            sessions, settings.region, release.rules_of(settings), progress=progress
        )
    years = len(next(iter(built.values())).years) if built else 0
    console.print(
        f"rebuilt the regional statement of {settings.region}: {years} year(s) × {len(built)} GWP sets "
        f"in {time.perf_counter() - t0:.1f} s",
        soft_wrap=True,
    )


@region_app.callback()
def region(
    ctx: typer.Context,
    gwp: Annotated[GwpSet, typer.Option(case_sensitive=False)] = GwpSet.AR6,
    unsuppressed: Annotated[
        bool,
        typer.Option(
            "--unsuppressed",
            help="every figure, for the regulator: needs a regulator's or administrator's API token "
            "in the environment variable CARBONBRIDGE_TOKEN",
        ),
    ] = False,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """The regional inventory per year as the public sees it: figures that would disclose one
    organisation are withheld (docs/accounting.md, "Disclosure control") / 区域清单（公开版）."""
    if ctx.invoked_subcommand is not None:
        return
    from carbonbridge.accounting.schemas import RegionalOut
    from carbonbridge.accounting.service import release
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
    if output is OutputFormat.JSON:
        emit_json(RegionalOut.of(result).model_dump(mode="json"))  # the REST API's body
        return
    if output is OutputFormat.CSV:
        rows = [
            {"year": y.year, "ipcc_total_kg": y.ipcc_total_kg, "gpc_basic_kg": y.gpc_basic_kg,
             "gpc_basic_plus_kg": y.gpc_basic_plus_kg, "per_capita_kg": y.per_capita_kg,
             "per_10k_cny_kg": y.per_10k_cny_kg, "withheld": ";".join(sorted(y.withheld))}
            for y in result.release.years
        ]  # fmt: skip
        emit(rows, [Column(k) for k in (rows[0] if rows else {"year": None})], output)
        return
    _print_release(result)


def _print_release(result: release.ReleaseResult) -> None:
    from rich.table import Table

    from carbonbridge.accounting import publication
    from carbonbridge.accounting.coverage import PER_CAPITA_NOTE
    from carbonbridge.accounting.service import release as releases
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
    table.add_column("reporting / 报送", justify="right")
    for y in r.years:
        table.add_row(
            str(y.year),
            _figure(y.ipcc_total_kg, y.withheld.get("ipcc_total_kg"), 1),
            _figure(y.gpc_basic_kg, y.withheld.get("gpc_basic_kg"), 1),
            _figure(y.gpc_basic_plus_kg, y.withheld.get("gpc_basic_plus_kg"), 1),
            _figure(y.per_capita_kg, y.withheld.get("per_capita_kg"), 3),
            _coverage(y.coverage),
        )
    print_table(table, console)
    if result.stale_since is not None:
        for lang in ("en", "zh"):
            console.print(
                f"[yellow]{releases.stale_note(lang, result.stale_since)}[/yellow]", highlight=False
            )
    console.print(f"[dim]{PER_CAPITA_NOTE}[/dim]", highlight=False)
    console.print(f"[dim]{i18n.gettext('zh', PER_CAPITA_NOTE)}[/dim]", highlight=False)
    sectors = Table(title="IPCC sectors / IPCC 部门 (t CO2e)")
    sectors.add_column("sector")
    for y in r.years:
        sectors.add_column(str(y.year), justify="right")
    for key, label in ((s.key, s.label_en) for s in (r.years[0].ipcc if r.years else ())):
        cells = [y.ipcc_sector(key) for y in r.years]
        sectors.add_row(f"{key} {label}", *(_figure(s.co2e_kg, s.withheld.get("co2e_kg"), 1) for s in cells))
    print_table(sectors, console)
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


def _coverage(c: Coverage | None) -> str:
    """``reporting of registered (per cent)``: the organisations the year's figures come from."""
    if c is None:
        return "—"
    share = "" if c.reporting_percent is None else f" ({c.reporting_percent} %)"
    return f"{c.reporting:,} / {c.registered:,}{share}"


def _figure(kg: Decimal | None, why: str | None, places: int) -> str:
    """A figure in tonnes, ``confidential / 保密*`` when withheld, ``†`` when the public does not see it."""
    if kg is None:
        return "confidential / 保密*" if why else "—"
    return f"{kg / 1000:,.{places}f}" + ("†" if why else "")
