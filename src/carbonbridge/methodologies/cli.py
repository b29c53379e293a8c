"""``carbonbridge methodologies ...``: list the calculators, print an example, calculate offline."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from carbonbridge.kernel.display import shown
from carbonbridge.kernel.errors import FieldIssue, InvalidInput
from carbonbridge.methodologies.model import Calculation
from carbonbridge.platform.cli_format import Column, FormatOption, OutputFormat, emit, print_table

app = typer.Typer(help="Methodology calculators / 方法学计算器", no_args_is_help=True)
COMMANDS = {"methodologies": app}
console = Console()


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


@app.command("list")
def list_methodologies(output: FormatOption = OutputFormat.TABLE) -> None:
    """Installed methodologies / 已安装的方法学."""
    from carbonbridge.methodologies import service

    rows = [
        {
            "id": m.id,
            "version": m.version,
            "kind": m.kind.value,
            "title_en": m.title_en,
            "title_zh": m.title_zh,
        }
        for m in service.available()
    ]
    columns = [
        Column("id"),
        Column("version"),
        Column("kind"),
        Column("title_en", "title"),
        Column("title_zh", "标题"),
    ]
    emit(rows, columns, output, title="methodologies")


@app.command("example")
def example(ref: Annotated[str, typer.Argument(help="methodology id or id@version")]) -> None:
    """Print a worked-example parameter set as JSON / 打印示例参数."""
    from carbonbridge.methodologies import service

    print(json.dumps(service.get(ref).example(), ensure_ascii=False, indent=2))


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(
            "the parameter file is not JSON", [FieldIssue((str(path),), "", str(exc))]
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput(
            "the parameter file must hold a JSON object", [FieldIssue((str(path),), "", "object")]
        )
    return data


def _table(calc: Calculation) -> None:
    from rich.table import Table

    table = Table(title=f"{calc.methodology} · net {shown(calc.net_t)} t CO2e ({calc.kind.value})")
    for column in ("symbol", "value", "unit", "equation", "source"):
        table.add_column(column, justify="right" if column == "value" else "left", overflow="fold")
    for line in calc.lines:
        table.add_row(line.name, shown(line.value), line.unit, line.equation, line.source)
    print_table(table, console)
    if calc.buffer_share is not None:
        console.print(f"buffer share: {calc.buffer_share}")
    for flag in calc.flags:
        console.print(f"[{flag.severity.value}] {flag.check}: {flag.reason_en}", style="red", markup=False)
    if calc.blocked:
        console.print(
            "blocked: an implausible figure must be justified before verification", style="bold red"
        )


@app.command("calculate")
def calculate(
    ref: Annotated[str, typer.Argument(help="methodology id or id@version")],
    params: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="parameters (JSON)")],
    output: Annotated[Format, typer.Option("--format", help="output format")] = Format.TABLE,
) -> None:
    """Calculate from a parameter file with the shipped factors / 按参数文件计算."""
    from carbonbridge.methodologies import service

    calc = service.calculate(ref, _read(params))
    if output is Format.JSON:
        print(json.dumps(calc.as_dict(), ensure_ascii=False, indent=2))
    else:
        _table(calc)
