"""``carbonbridge registry export|export-confirm|export-reject|expire``: units leaving the
registry, each registered on the shared Typer app (``cli_common.py``) after the unit movements
(``cli_units.py``, whose options it shares); ``cli.py`` imports this module so the commands exist
wherever the registry's CLI is mounted.
"""

from __future__ import annotations

from typing import Annotated

import typer

from carbonbridge.registry.cli_common import Format, FormatOption, ReceiptOption, _acting, _done, app
from carbonbridge.registry.model import ExpiryRequest, ExportRequest
from carbonbridge.registry.units.cli import UnitPick, _move, unit_movement

# --- exports and expiry ------------------------------------------------------------------------


@app.command("export")
@unit_movement
def export(
    ctx: typer.Context,
    pick: UnitPick,
    destination_registry: Annotated[str, typer.Option("--to-registry", help="e.g. Verra (public)")],
    destination_account: Annotated[str, typer.Option("--to-account", help="the account there (public)")],
    reason: Annotated[str, typer.Option(help="why the units leave (public)")],
) -> None:
    """Ask to export held units to another registry; they wait as pending_export until the
    regulator confirms or rejects (holder) / 申请转出."""
    from carbonbridge.registry.units import exports

    _move(
        ctx,
        pick,
        lambda u: ExportRequest(u, destination_registry, destination_account, reason),
        exports.request_export,
        f"export to {destination_registry} requested",
    )


@app.command("export-confirm")
def export_confirm(
    ctx: typer.Context,
    operation: Annotated[str, typer.Argument(help="the export request's operation id")],
    reference: Annotated[str, typer.Option("--reference", help="destination registry's transaction id")],
    output: FormatOption = Format.TABLE,
    receipt: ReceiptOption = None,
) -> None:
    """Confirm an export: the pending units are exported for good (regulator) / 确认转出."""
    from carbonbridge.registry.units import exports

    with _acting(ctx) as (sessions, principal):
        done = exports.confirm_export(sessions, principal, operation, reference)
    _done(sessions, done, output, receipt, "exported")


@app.command("export-reject")
def export_reject(
    ctx: typer.Context,
    operation: Annotated[str, typer.Argument(help="the export request's operation id")],
    reason: Annotated[str, typer.Option(help="why the export is refused")],
    output: FormatOption = Format.TABLE,
    receipt: ReceiptOption = None,
) -> None:
    """Reject an export: the pending units are held again, same serials (regulator) / 驳回转出."""
    from carbonbridge.registry.units import exports

    with _acting(ctx) as (sessions, principal):
        done = exports.reject_export(sessions, principal, operation, reason)
    _done(sessions, done, output, receipt, "export rejected")


@app.command("expire")
@unit_movement
def expire(
    ctx: typer.Context,
    pick: UnitPick,
    reason: Annotated[str, typer.Option(help="why the units' validity ended")],
) -> None:
    """Expire held or planned units whose validity has ended (regulator) / 到期失效."""
    from carbonbridge.registry.units import exports

    _move(
        ctx,
        pick,
        lambda u: ExpiryRequest(u, reason),
        exports.expire,
        "expired",
    )
