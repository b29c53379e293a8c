"""``carbonbridge factors ...``: search the library, explain a resolution, import a dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from carbonbridge.factors.model import Factor, FactorQuery, Parameter
from carbonbridge.platform.cli_format import Column, FormatOption, OutputFormat, emit

app = typer.Typer(help="Emission-factor library / 排放因子库", no_args_is_help=True)
COMMANDS = {"factors": app}
console = Console()


#: ``factors search`` columns (JSON and CSV: every factor field, the value with every digit)
SEARCH_COLUMNS = [
    Column("dataset"),
    Column("row"),
    Column("parameter"),
    Column("activity"),
    Column("gas"),
    Column("value"),  # a published figure, shown as its source prints it (docs/display.md)
    Column("unit"),
    Column("region"),
    Column("year"),
    Column("source"),
]


def _factor_row(f: Factor) -> dict[str, object]:
    return {
        "dataset": f.dataset.ref,
        "row": f.row_id,
        "parameter": f.parameter.value,
        "activity": f.activity,
        "gas": f.gas or "",
        "value": f.value,
        "unit": f.unit,
        "region": f.region,
        "year": f.year,
        "source": f.table,
        "key": f.key,
        "citation": f.citation(),
        "confidence": f.confidence.value,
    }


@app.command("search")
def search(
    text: Annotated[str, typer.Argument(help="text in activity, gas, row id, table or note")] = "",
    activity: Annotated[str, typer.Option(help="activity code prefix, e.g. fuel.")] = "",
    dataset: Annotated[str, typer.Option(help="dataset id or id@version")] = "",
    limit: Annotated[int, typer.Option(help="rows to show")] = 50,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Search the shipped factor datasets / 检索排放因子."""
    from carbonbridge.factors import service

    found = service.shipped_library().search(text, activity_prefix=activity, dataset=dataset)
    rows = [_factor_row(f) for f in found[:limit]]
    emit(rows, SEARCH_COLUMNS, output, title=f"{len(found)} factor(s)")


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
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Which factor would be used, and why / 说明因子选择规则."""
    from carbonbridge.factors import service

    query = FactorQuery(parameter, activity, gas, region, year, sector, variant, tuple(dataset or ()))
    res = service.explain(service.shipped_library(), query)
    f = res.factor
    if output is not OutputFormat.TABLE:
        body = {
            **_factor_row(f),
            "rule": res.rule,
            "fallback": res.fallback,
            "rejected": [f"{r.factor.key}: {r.reason}" for r in res.rejected],
        }
        columns = [*SEARCH_COLUMNS, Column("rule")]
        emit([body], columns, output, body=body)
        return
    console.print(f"[bold]{f.value} {f.unit}[/bold]  {f.key}")
    console.print(f"source: {f.citation()}  (confidence: {f.confidence.value})", markup=False, soft_wrap=True)
    console.print(f"rule: {res.rule}", markup=False, soft_wrap=True)
    if res.fallback:
        console.print(f"fallback: {res.fallback}", markup=False, soft_wrap=True)
    for r in res.rejected:
        console.print(f"  not {r.factor.key}: {r.reason}", markup=False, soft_wrap=True)


@app.command("check")
def check(directory: Path) -> None:
    """Validate a dataset directory (dataset.json + factors.csv) before importing it / 校验因子数据集."""
    from carbonbridge.factors.datasets import load_dataset_dir

    dataset, factors = load_dataset_dir(directory)
    console.print(f"{dataset.ref}: {len(factors)} rows valid")
