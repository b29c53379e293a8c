"""``carbonbridge demo ...``: load or export the synthetic demo region."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(help="Synthetic demo region / 演示区域（合成数据）", no_args_is_help=True)
COMMANDS = {"demo": app}
console = Console()


@app.command("load")
def load(seed: Annotated[int, typer.Option(help="generator seed")] = 2024) -> None:
    """Load the demo region into the database if it has no organisations / 加载演示数据."""
    from carbonbridge.demo.service.load import load_demo_if_empty
    from carbonbridge.platform.cli import database

    _, sessions = database()
    load_demo_if_empty(sessions, console)


@app.command("export")
def export(directory: Path, seed: Annotated[int, typer.Option(help="generator seed")] = 2024) -> None:
    """Write the demo region as upload-ready CSV files / 导出演示数据为CSV."""
    from carbonbridge.demo.region import generate_region, write_csvs

    paths = write_csvs(generate_region(seed), directory)
    console.print(f"wrote {len(paths)} files to {directory}")
