"""``carbonbridge registry cadt|recognition ...``: CAD Trust files and the mutual-recognition table
from the command line (as the CLI administrator).

``COMMANDS`` maps each sub-command name to its Typer app; the registry's CLI mounts them under
``carbonbridge registry``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from carbonbridge.registry.cadt import recognition
from carbonbridge.registry.cli_common import cli_admin

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

cadt_app = typer.Typer(help="CAD Trust export and import / CAD Trust 数据交换", no_args_is_help=True)
recognition_app = typer.Typer(help="Mutual recognition / 碳标准互认", no_args_is_help=True)
COMMANDS = {"cadt": cadt_app, "recognition": recognition_app}
console = Console()


def _sessions() -> sessionmaker[Session]:
    from carbonbridge.platform.cli import database

    return database()[1]


@cadt_app.command("export")
def cadt_export(directory: Path) -> None:
    """Write the registry as CAD Trust v2.0.2 JSON files, one per table / 导出."""
    from carbonbridge.registry.cadt import service as exchange

    counts = exchange.export_cadt(_sessions(), cli_admin(), directory)
    console.print(", ".join(f"{t}: {n}" for t, n in counts.items()))


@cadt_app.command("export-node")
def cadt_export_node(
    directory: Path,
    base_url: Annotated[
        str | None,
        typer.Option(help="public address of this installation (else $CARBONBRIDGE_PUBLIC_BASE_URL)"),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(help="JSON file over the picklist mapping (else $CARBONBRIDGE_CADT_MAPPING)"),
    ] = None,
) -> None:
    """Write the registry in CAD Trust node form: full records, API bodies, unit links / 导出节点格式."""
    from carbonbridge.registry.cadt import service_node

    export = service_node.node_export(
        _sessions(), cli_admin(), base_url=base_url, mapping=service_node.load_mapping(mapping)
    )
    counts = service_node.write_node_export(export, directory)
    console.print(", ".join(f"{name}: {n}" for name, n in counts.items()))


@cadt_app.command("import")
def cadt_import(
    directory: Annotated[Path, typer.Argument(exists=True, file_okay=False)],
    holder: Annotated[str, typer.Option(help="organisation receiving units of unknown owners")],
) -> None:
    """Import CAD Trust JSON files, all or nothing / 导入."""
    from carbonbridge.registry.cadt import service as exchange

    receipts = exchange.import_cadt(_sessions(), cli_admin(), directory, holder)
    console.print(f"imported {len(receipts)} operations")


@recognition_app.command("show")
def show(
    standard: str,
    methodology: str,
    unit_type: str,
    table_path: Annotated[Path | None, typer.Option("--table", help="a region's own recognition CSV")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Which other standards' criteria a credit type meets / 互认情况."""
    found = recognition.recognise(
        recognition.CreditType(standard, methodology, unit_type), recognition.load_table(table_path)
    )
    if as_json:
        console.print_json(json.dumps({c: a.status.value for c, a in found.items()}))
        return
    table = Table(title=f"{standard} {methodology} ({unit_type})")
    for name in ("criterion", "status", "condition", "source"):
        table.add_column(name)
    for a in found.values():
        table.add_row(a.criterion, a.status.value, a.condition_en, a.citation)
    console.print(table)
