"""``carbonbridge tourism ...``: a trip's bill from a file, offline (no database): every line with
its method, factor and source, ``--format table|json|csv``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from carbonbridge.kernel.errors import FieldIssue, InvalidInput
from carbonbridge.platform.cli_format import Column, FormatOption, OutputFormat, emit

app = typer.Typer(help="Tourist carbon-neutral bill / 游客碳中和账单", no_args_is_help=True)
COMMANDS = {"tourism": app}


@app.callback()  # a group even with one command, so that ``bill`` stays a sub-command
def tourism() -> None:
    """Tourist carbon-neutral bill / 游客碳中和账单"""


def _read(path: Path) -> object:
    try:
        return json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput("the trip file is not JSON", [FieldIssue((str(path),), "", str(exc))]) from None


@app.command("bill")
def bill(
    file: Annotated[
        Path, typer.Argument(help="a trip as JSON (docs/tourism.md)", exists=True, dir_okay=False)
    ],
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Compute a trip's bill offline / 离线计算行程碳账单."""
    from carbonbridge.tourism import bill as bills
    from carbonbridge.tourism import service
    from carbonbridge.tourism.parse import parse_trip

    computed = service.compute(parse_trip(_read(file)))
    rows = [bills.line_dict(line) for line in computed.lines]
    for row, line in zip(rows, computed.lines, strict=True):
        row["sources"] = "; ".join(f"{f.key} ({f.confidence})" for f in line.factors)
    columns = [
        Column("index", "#"),
        Column("kind", "item"),
        Column("description"),
        Column("method"),
        Column("equation"),
        Column("grams", "g CO2e"),
        Column("sources"),
    ]
    body = {
        "reference": computed.trip.reference,
        "region": computed.trip.region,
        "start": computed.trip.start,
        "end": computed.trip.end,
        "grams": computed.grams,
        "lines": [bills.line_dict(line) for line in computed.lines],
    }
    emit(
        rows,
        columns,
        output,
        title=f"{computed.trip.reference} · {computed.grams} g CO2e",
        body=body,
        after=lambda: typer.echo(f"total: {computed.grams} g CO2e ({computed.grams / 1000:.3f} kg)"),
    )
