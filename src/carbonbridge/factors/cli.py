"""``carbonbridge factors ...``: search the library, explain a resolution, import a dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

# the service (and with it the database) and Rich's tables are imported by the commands that use
# them, so that ``--help`` starts fast (docs/cli.md, "Start-up time")
from carbonbridge.factors.model import FactorQuery, Parameter

app = typer.Typer(help="Emission-factor library / 排放因子库", no_args_is_help=True)
COMMANDS = {"factors": app}
console = Console()


@app.command("search")
def search(
    text: Annotated[str, typer.Argument(help="text in activity, gas, row id, table or note")] = "",
    activity: Annotated[str, typer.Option(help="activity code prefix, e.g. fuel.")] = "",
    dataset: Annotated[str, typer.Option(help="dataset id or id@version")] = "",
    limit: Annotated[int, typer.Option(help="rows to show")] = 50,
) -> None:
    """Search the shipped factor datasets / 检索排放因子."""
    from rich.table import Table

    from carbonbridge.factors import service

    found = service.shipped_library().search(text, activity_prefix=activity, dataset=dataset)
    table = Table(title=f"{len(found)} factor(s)")
    for column in (
        "dataset",
        "row",
        "parameter",
        "activity",
        "gas",
        "value",
        "unit",
        "region",
        "year",
        "source",
    ):
        table.add_column(column, justify="right" if column == "value" else "left")
    for f in found[:limit]:
        table.add_row(
            f.dataset.ref,
            f.row_id,
            f.parameter.value,
            f.activity,
            f.gas or "",
            str(f.value),
            f.unit,
            f.region,
            str(f.year or ""),
            f.table,
        )
    console.print(table)


@app.command("resolve")
def resolve(
    activity: str,
    parameter: Annotated[
        Parameter, typer.Option(help="ef, ncv, cc, of, gwp, ...")
    ] = Parameter.EMISSION_FACTOR,
    gas: Annotated[str | None, typer.Option()] = None,
    region: Annotated[str, typer.Option()] = "*",
    year: Annotated[int | None, typer.Option()] = None,
    sector: Annotated[str | None, typer.Option()] = None,
    variant: Annotated[str | None, typer.Option()] = None,
    dataset: Annotated[list[str] | None, typer.Option(help="datasets to search, in priority order")] = None,
) -> None:
    """Which factor would be used, and why / 说明因子选择规则."""
    from carbonbridge.factors import service

    query = FactorQuery(parameter, activity, gas, region, year, sector, variant, tuple(dataset or ()))
    res = service.shipped_library().resolve(query)
    f = res.factor
    console.print(f"[bold]{f.value} {f.unit}[/bold]  {f.key}")
    console.print(f"source: {f.citation()}  (confidence: {f.confidence.value})")
    console.print(f"rule: {res.rule}")
    for r in res.rejected:
        console.print(f"  not {r.factor.key}: {r.reason}")


@app.command("check")
def check(directory: Path) -> None:
    """Validate a dataset directory (dataset.json + factors.csv) before importing it / 校验因子数据集."""
    from carbonbridge.factors.datasets import load_dataset_dir

    dataset, factors = load_dataset_dir(directory)
    console.print(f"{dataset.ref}: {len(factors)} rows valid")
