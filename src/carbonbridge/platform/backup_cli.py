"""``carbonbridge backup PATH`` and ``carbonbridge restore PATH``: the faces of
:mod:`carbonbridge.platform.backup`, with a Rich progress bar for the long steps (the CLI root
registers :func:`backup` and :func:`restore` as commands)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

# the mechanism (SQLAlchemy, Alembic), the settings and Rich's progress bars are imported by the
# commands, so that ``carbonbridge backup --help`` needs none of them (docs/cli.md)
if TYPE_CHECKING:
    from carbonbridge.platform import backup as mechanism

console = Console(stderr=True)


@contextmanager
def _progress() -> Iterator[mechanism.Progress]:
    """A progress callback drawing one bar per step on stderr (stdout stays for results); a step
    of unknown length shows as done once the next one starts."""
    from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"))
    with Progress(*columns, TimeElapsedColumn(), console=console) as bars:
        tasks: dict[str, TaskID] = {}

        def finish_open_steps() -> None:
            for task in bars.tasks:
                if task.total is None:
                    bars.update(task.id, total=1, completed=1)

        def report(step: str, done: int, total: int | None) -> None:
            if step not in tasks:
                finish_open_steps()
                tasks[step] = bars.add_task(step, total=total)
            bars.update(tasks[step], completed=done, total=total)

        yield report
        finish_open_steps()


def backup(
    path: Annotated[Path, typer.Argument(help="a new directory for the backup")],
) -> None:
    """Back up the configured database into PATH while the platform runs; the manifest records
    the log's checkpoint the backup holds / 在线备份数据库（记录其中日志的检查点）."""
    from carbonbridge.platform import backup as mechanism
    from carbonbridge.platform.settings import get_settings

    with _progress() as progress:
        manifest = mechanism.backup(get_settings().resolved_database_url(), path, progress=progress)
    cp = manifest.checkpoint
    log = f"log {cp.origin} at tree size {cp.tree_size}, root {cp.root_hash}" if cp else "no log checkpoint"
    console.print(f"[green]OK[/green]: backed up {manifest.backend} to {path} ({log})", highlight=False)
    print(manifest.to_json(), end="")


def restore(
    path: Annotated[Path, typer.Argument(help="a directory made by carbonbridge backup")],
    force: Annotated[bool, typer.Option(help="replace the content of a database that holds rows")] = False,
) -> None:
    """Restore the backup in PATH into the configured database (stop the server first), then
    verify: row counts, the log's checkpoint and the log's audit / 恢复备份并验证."""
    from carbonbridge.platform import backup as mechanism
    from carbonbridge.platform.settings import get_settings

    with _progress() as progress:
        url = get_settings().resolved_database_url()
        restored = mechanism.restore(path, url, force=force, progress=progress)
    cp = restored.manifest.checkpoint
    log = f"log at tree size {cp.tree_size}, root {cp.root_hash}" if cp else "no log checkpoint"
    console.print(
        f"[green]OK[/green]: restored {path} and verified it: {log}; audit passed "
        f"({restored.audited_entries} entries, {restored.audited_checkpoints} checkpoints)",
        highlight=False,
    )
