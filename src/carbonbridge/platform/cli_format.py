"""``--format table|json|csv`` for every CLI listing or result: one helper for every context.

* ``table``: a Rich table for a person. Figures are shown by the display rule
  (:mod:`carbonbridge.kernel.display`, ``docs/display.md``). No column is cut: cells fold onto
  further lines rather than end in an ellipsis, and when the output is not a terminal (a pipe, a
  file) the table is printed at its natural width instead of Rich's default 80 columns.
* ``json``: the rows (or the command's own body) with every digit, Decimals as strings, no Rich
  markup, one document on stdout.
* ``csv``: one header line of column keys, then the rows with every digit.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from carbonbridge.kernel.display import FigureKind, shown

__all__ = ["Column", "FormatOption", "OutputFormat", "emit", "emit_json", "plain", "print_table"]


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", help="table (for a person), json or csv (every digit)", case_sensitive=False),
]


@dataclass(frozen=True)
class Column:
    """One column: ``key`` in the rows (and the JSON/CSV name), ``header`` in a table, and the kind
    of figure a number in it is (``None``: text)."""

    key: str
    header: str = ""
    figure: FigureKind | None = None

    @property
    def title(self) -> str:
        return self.header or self.key


def plain(value: object) -> object:
    """``value`` as JSON holds it: Decimals as strings (every digit), dates ISO 8601, enums' values."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def emit_json(body: object) -> None:
    """``body`` as one JSON document on stdout (UTF-8, indented, no markup)."""
    sys.stdout.write(json.dumps(plain(body), ensure_ascii=False, indent=2) + "\n")


def _cell(value: object, figure: FigureKind | None) -> str:
    if value is None:
        return "—"
    if figure is not None and isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return shown(value, figure)
    return str(plain(value))


def print_table(table: Table, console: Console | None = None) -> None:
    """Print ``table`` without cutting a column: cells fold; off a terminal, at its natural width."""
    for column in table.columns:
        column.overflow = "fold"
    out = console or Console()
    if not out.is_terminal:
        natural = Measurement.get(out, out.options.update(width=10_000), table).maximum
        out = Console(width=max(natural, out.width), file=out.file, highlight=False)
    out.print(table)


def emit(
    rows: Sequence[Mapping[str, object]],
    columns: Sequence[Column],
    output: OutputFormat,
    *,
    title: str = "",
    body: object | None = None,
    after: Callable[[], None] | None = None,
) -> None:
    """Print ``rows`` in ``output``: a table of ``columns``; JSON of ``body`` (default: the rows);
    CSV of ``columns``' keys. ``after`` prints a table's notes (not part of JSON or CSV)."""
    if output is OutputFormat.JSON:
        emit_json(rows if body is None else body)
        return
    if output is OutputFormat.CSV:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([c.key for c in columns])
        for row in rows:
            writer.writerow(["" if row.get(c.key) is None else plain(row.get(c.key)) for c in columns])
        return
    table = Table(title=title or None)
    for c in columns:
        table.add_column(c.title, justify="right" if c.figure else "left", overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row.get(c.key), c.figure) for c in columns))
    print_table(table)
    if after is not None:
        after()
