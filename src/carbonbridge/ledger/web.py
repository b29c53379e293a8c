"""Web: the public transparency-log page and one entry's receipt with its verification."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from carbonbridge.kernel.errors import CarbonbridgeError
from carbonbridge.ledger import service
from carbonbridge.ledger.proof import parse_receipt, verify_receipt
from carbonbridge.platform import i18n
from carbonbridge.platform.deps import CurrentPrincipal, Sessions
from carbonbridge.platform.web import PageRoute, page_language, render

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
    lang = page_language(request)
    vkey = service.verifier_key(sessions)
    receipt = service.receipt(sessions, index)
    try:
        verified = verify_receipt(receipt, vkey, entry=parse_receipt(receipt).extra)
        outcome, error = (
            i18n.gettext(lang, "OK: entry %(index)s is in the log of size %(size)s")
            % {"index": verified.index, "size": verified.checkpoint.tree_size},
            None,
        )
    except CarbonbridgeError as exc:
        title = exc.title_zh if lang == "zh" else exc.title_en
        error = i18n.gettext(lang, "%(title)s (%(code)s): %(detail)s") % {
            "title": title,
            "code": exc.code,
            "detail": i18n.localise(lang, str(exc)),
        }
        outcome = None
    context = {
        "principal": principal,
        "index": index,
        "receipt": receipt,
        "vkey": vkey,
        "ok": outcome,
        "error": error,
    }
    return render(request, "log_entry.html", context)
