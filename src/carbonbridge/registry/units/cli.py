"""``carbonbridge registry issue|transfer|retire|cancel``: issue credits and move units, each
registered on the shared Typer app (``cli_common.py``), and the unit-selection options the export
commands (``cli_exports.py``) share; ``cli.py`` imports this module so the commands exist wherever
the registry's CLI is mounted.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_type_hints

import typer

from carbonbridge.registry.cli_common import (
    Format,
    FormatOption,
    ReceiptOption,
    _acting,
    _done,
    _json,
    _presenting,
    _project_id,
    app,
    console,
)
from carbonbridge.registry.model import Cancellation, Receipt, Retirement, Transfer, Units

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker


# --- issuance and moving units ------------------------------------------------------------------


@app.command("issue")
def issue(
    ctx: typer.Context,
    report: Annotated[str, typer.Argument(help="verified monitoring report id")],
    output: FormatOption = Format.TABLE,
    receipt: ReceiptOption = None,
) -> None:
    """Issue a verified report's credits, buffer share to the pool, converting the vintage's planned
    units in place first (regulator) / 签发."""
    from carbonbridge.registry import issuance as issuing
    from carbonbridge.registry import views
    from carbonbridge.registry.schemas import IssuanceReceiptOut

    with _acting(ctx) as (sessions, principal):
        done = issuing.issue(sessions, principal, report)
    body = IssuanceReceiptOut.of_issuance(done, views.serials_of(sessions, list(done.produced)))
    if output is Format.JSON:
        if receipt is not None:
            receipt.write_text(done.receipt, "utf-8")
        _json(body)
        return
    _done(sessions, done, output, receipt, "issued")
    serials = f" ({', '.join(body.converted_serials)})" if body.converted_serials else ""
    console.print(
        f"converted from planned / 由预签发单位转换: {body.converted} t{serials}",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        f"newly serialised / 新签发序列号: {body.newly_serialised} t", highlight=False, soft_wrap=True
    )


@app.command("issue-planned")
def issue_planned(
    ctx: typer.Context,
    project: Annotated[str, typer.Argument(help="project id or code")],
    vintage: Annotated[int, typer.Option(help="vintage year of the expected removals or reductions")],
    quantity: Annotated[int, typer.Option(help="whole tonnes")],
    basis: Annotated[str, typer.Option(help="the ex-ante estimate they stand for")],
    output: FormatOption = Format.TABLE,
    receipt: ReceiptOption = None,
) -> None:
    """Issue ex-ante (planned) units to the developer (regulator): tradable, never retirable,
    converted in place by the vintage's verified issuance / 预签发."""
    from carbonbridge.registry import issuance as issuing

    with _acting(ctx) as (sessions, principal):
        done = issuing.issue_planned(
            sessions, principal, _project_id(sessions, project), vintage, quantity, basis
        )
    _done(sessions, done, output, receipt, "planned units issued / 已预签发")


FromOption = Annotated[str, typer.Option("--from", help="source holding account id")]
ProjectOption = Annotated[str, typer.Option(help="project id or code")]
VintageOption = Annotated[int, typer.Option(help="vintage year")]
QuantityOption = Annotated[int | None, typer.Option(help="tonnes, lowest serials first")]
StartOption = Annotated[int | None, typer.Option(help="first serial of a range")]
EndOption = Annotated[int | None, typer.Option(help="last serial of a range")]


@dataclass(frozen=True)
class UnitPick:
    """What every unit-movement command shares: the units (account, project, vintage, then a
    quantity or a serial range) and how the result is reported."""

    source: str
    project: str
    vintage: int
    quantity: int | None
    start: int | None
    end: int | None
    output: Format
    receipt: Path | None


def _option(name: str, annotation: object, default: object = inspect.Parameter.empty) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)


#: the options of :class:`UnitPick`, before and after a command's own options (as ``--help`` lists them)
_PICK_FIRST = (
    _option("source", FromOption),
    _option("project", ProjectOption),
    _option("vintage", VintageOption),
)
_PICK_LAST = (
    _option("quantity", QuantityOption, None),
    _option("start", StartOption, None),
    _option("end", EndOption, None),
    _option("output", FormatOption, Format.TABLE),
    _option("receipt", ReceiptOption, None),
)


def unit_movement(command: Callable[..., None]) -> Callable[..., None]:
    """Give a command ``(ctx, pick, **own options)`` the options every unit movement shares; Typer
    sees them in its signature, the command receives them as one :class:`UnitPick`."""
    hints = get_type_hints(command, include_extras=True)
    own = [
        _option(p.name, hints[p.name], p.default)
        for p in inspect.signature(command).parameters.values()
        if p.name not in ("ctx", "pick")
    ]
    parameters = [_option("ctx", typer.Context), *_PICK_FIRST, *own, *_PICK_LAST]

    @functools.wraps(command)
    def with_pick(**values: Any) -> None:
        ctx = values.pop("ctx")
        pick = UnitPick(*(values.pop(p.name) for p in (*_PICK_FIRST, *_PICK_LAST)))
        command(ctx, pick, **values)

    with_pick.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    with_pick.__annotations__ = {p.name: p.annotation for p in parameters}
    return with_pick


def _move(
    ctx: typer.Context,
    pick: UnitPick,
    build: Callable[[Units], Any],
    act: Callable[[sessionmaker[Session], Any, Any], Receipt],
    what: str,
    *,
    presented: bool = False,
) -> None:
    """Run ``act`` on the picked units. With ``presented`` (the unit movements), ``act`` receives
    the ``--token`` unchecked and authenticates it in its own transaction, as for every face;
    otherwise the acting principal."""
    with _presenting(ctx) if presented else _acting(ctx) as (sessions, caller):
        units = Units(
            pick.source,
            _project_id(sessions, pick.project),
            pick.vintage,
            pick.quantity,
            pick.start,
            pick.end,
        )
        done = act(sessions, caller, build(units))
    _done(sessions, done, pick.output, pick.receipt, what)


@app.command("transfer")
@unit_movement
def transfer(
    ctx: typer.Context,
    pick: UnitPick,
    to: Annotated[str, typer.Option("--to", help="destination holding account id")],
) -> None:
    """Transfer units to another holding account / 转让."""
    from carbonbridge.registry.units import service as movements

    _move(
        ctx,
        pick,
        lambda u: Transfer(u, to),
        movements.transfer,
        "transferred",
        presented=True,
    )


@app.command("retire")
@unit_movement
def retire(
    ctx: typer.Context,
    pick: UnitPick,
    beneficiary: Annotated[str, typer.Option(help="whose claim (public)")],
    purpose: Annotated[str, typer.Option(help="what it offsets (public)")],
) -> None:
    """Retire units for a named beneficiary; the record is public / 注销."""
    from carbonbridge.registry.units import service as movements

    _move(
        ctx,
        pick,
        lambda u: Retirement(u, beneficiary, purpose),
        movements.retire,
        f"retired for {beneficiary}",
        presented=True,
    )


@app.command("cancel")
@unit_movement
def cancel(
    ctx: typer.Context,
    pick: UnitPick,
    reason: Annotated[str, typer.Option(help="why the units are cancelled")],
) -> None:
    """Cancel units without a retirement claim / 取消."""
    from carbonbridge.registry.units import service as movements

    _move(
        ctx,
        pick,
        lambda u: Cancellation(u, reason),
        movements.cancel,
        "cancelled",
        presented=True,
    )
