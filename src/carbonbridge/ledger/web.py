"""Web: the public transparency-log page and one entry's receipt with its verification."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from carbonbridge.kernel.errors import CarbonbridgeError
from carbonbridge.ledger import service
from carbonbridge.ledger.proof import parse_receipt, verify_receipt
from carbonbridge.platform.deps import CurrentPrincipal, Sessions
from carbonbridge.platform.web import PageRoute, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.get("/transparency-log", response_class=HTMLResponse)
def log_page(request: Request, sessions: Sessions, principal: CurrentPrincipal) -> Response:
    checkpoint = service.latest_checkpoint(sessions)
    return render(
        request,
        "log.html",
        {"principal": principal, "checkpoint": checkpoint, "vkey": service.verifier_key(sessions)},
    )


@router.get("/transparency-log/entries/{index}", response_class=HTMLResponse)
def entry_page(request: Request, sessions: Sessions, principal: CurrentPrincipal, index: int) -> Response:
    vkey = service.verifier_key(sessions)
    receipt = service.receipt(sessions, index)
    try:
        verified = verify_receipt(receipt, vkey, entry=parse_receipt(receipt).extra)
        outcome, error = (
            f"OK: entry {verified.index} is in the log of size {verified.checkpoint.tree_size}",
            None,
        )
    except CarbonbridgeError as exc:
        outcome, error = None, f"{exc.code}: {exc}"
    context = {
        "principal": principal,
        "index": index,
        "receipt": receipt,
        "vkey": vkey,
        "ok": outcome,
        "error": error,
    }
    return render(request, "log_entry.html", context)
