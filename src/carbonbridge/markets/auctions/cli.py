"""``carbonbridge markets ...``: verify a sealed-bid auction's published result offline (no
database, no network): the seed against its commitment, every bid's opening against its
commitment, the clearing recomputed from the opened bids, and the document's digest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from carbonbridge.kernel.errors import FieldIssue, InvalidInput
from carbonbridge.platform.cli_errors import failure

app = typer.Typer(help="Carbon markets: auctions / 碳市场：拍卖", no_args_is_help=True)
COMMANDS = {"markets": app}


@app.callback()
def markets() -> None:
    """Carbon markets: auctions / 碳市场：拍卖"""


@app.command("verify-auction")
def verify_auction(
    file: Annotated[
        Path,
        typer.Argument(
            help="a result document (GET /api/v1/markets/auctions/{id}/result)", exists=True, dir_okay=False
        ),
    ],
) -> None:
    """Verify a sealed-bid auction's result offline / 离线验证密封拍卖结果 (exit 3 if it does not verify)."""
    from rich.console import Console

    from carbonbridge.markets.auctions.errors import ResultNotVerified
    from carbonbridge.markets.auctions.result import verify

    try:
        document = json.loads(file.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise failure(
            InvalidInput("the result file is not JSON", [FieldIssue((str(file),), "", str(exc))])
        ) from None
    problems = verify(document) if isinstance(document, dict) else ["not a JSON object"]
    if problems:
        raise failure(
            ResultNotVerified(
                f"{len(problems)} problem(s) in the auction result",
                [FieldIssue(("result",), n, p) for n, p in enumerate(problems)],
            )
        )
    outcome = document["outcome"]
    Console().print(
        f"OK: auction {document['auction']['id']} {outcome['status']}: {outcome['sold']} units at "
        f"{outcome['clearing_price_fen']} fen, {len(document['bids'])} opened bids recomputed; "
        f"result log entry {document.get('result_log_index')}",
        style="green",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
