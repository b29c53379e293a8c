"""``carbonbridge registry allowances ...``: the regional ETS from the command line (as the CLI
administrator).

``COMMANDS`` maps each sub-command name to its Typer app; the registry's CLI mounts them under
``carbonbridge registry``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from carbonbridge.registry.cli_common import cli_admin

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

allowances_app = typer.Typer(help="ETS allowances and compliance / 碳排放配额与履约", no_args_is_help=True)
COMMANDS = {"allowances": allowances_app}
console = Console()


def _sessions() -> sessionmaker[Session]:
    from carbonbridge.platform.cli import database

    return database()[1]


@allowances_app.command("allocate")
def allocate(
    organisation: str,
    period: int,
    quantity: int,
    basis: Annotated[str, typer.Option(help="allocation basis, e.g. the regional plan")] = "allocation plan",
) -> None:
    """Allocate allowances to a covered entity / 分配配额."""
    from carbonbridge.registry.compliance import service as compliance

    done = compliance.allocate(_sessions(), cli_admin(), organisation, period, quantity, basis)
    console.print(
        f"allocated {quantity} t to {organisation} for {period}: {done.id} (log entry {done.log_index})"
    )


@allowances_app.command("surrender")
def surrender(organisation: str, period: int, allowances: int) -> None:
    """Surrender allowances against the verified emissions / 清缴配额 (offsets: use the API)."""
    from carbonbridge.registry.compliance import service as compliance

    done = compliance.surrender(_sessions(), cli_admin(), organisation, period, allowances)
    console.print(
        f"surrendered {allowances} t for {organisation} {period}: {done.id} (log entry {done.log_index})"
    )


@allowances_app.command("status")
def status(
    period: int,
    organisation: Annotated[str | None, typer.Option(help="one entity (default: all)")] = None,
) -> None:
    """Compliance status per entity / 履约状态."""
    from carbonbridge.registry.compliance import service as compliance

    sessions = _sessions()
    rows = (
        [compliance.status(sessions, cli_admin(), organisation, period)]
        if organisation
        else compliance.overview(sessions, cli_admin(), period)
    )
    table = Table(title=f"ETS compliance {period} (t CO2)")
    for name in (
        "entity",
        "state",
        "allocated",
        "held",
        "obligation",
        "allowances",
        "offsets",
        "cap",
        "shortfall",
    ):
        table.add_column(name, justify="left" if name in ("entity", "state") else "right")
    for s in rows:
        table.add_row(
            s.organisation_id,
            s.state.value,
            str(s.allocated_t),
            str(s.held_t),
            "—" if s.obligation_t is None else str(s.obligation_t),
            str(s.surrendered_allowances_t),
            str(s.surrendered_offsets_t),
            "—" if s.offset_cap_t is None else str(s.offset_cap_t),
            "—" if s.shortfall_t is None else str(s.shortfall_t),
        )
    console.print(table)
