"""Web: the public transparency-log page and one entry's receipt with its verification."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from carbonbridge.kernel.errors import CarbonbridgeError
from carbonbridge.ledger import service
from carbonbridge.ledger.entries import EntryPage, describe
from carbonbridge.ledger.proof import parse_receipt, verify_receipt
from carbonbridge.platform import i18n
from carbonbridge.platform.deps import CurrentPrincipal, Sessions
from carbonbridge.platform.web import PageRoute, page_language, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)


#: entries per page of the log page
PER_PAGE = 25


@dataclass(frozen=True)
class EntryLine:
    """One row of the log page: the entry's index, kind, time and what it records, in words."""

    index: int
    kind: str
    at: str
    private: bool
    text: str


class _Fields(dict[str, str]):
    """The values of a description; a field a translation names but the entry lacks shows empty
    rather than failing the page."""

    def __missing__(self, key: str) -> str:
        return ""


def _lines(found: EntryPage, lang: str) -> list[EntryLine]:
    lines = []
    for entry in found.entries:
        said = describe(entry, lang, found.project_codes)
        text = i18n.gettext(lang, said.message).format_map(_Fields(said.values))
        at = (entry.at or "")[:19].replace("T", " ")
        lines.append(EntryLine(entry.index, entry.kind, at, entry.private, text))
    return lines


@router.get("/transparency-log", response_class=HTMLResponse)
def log_page(
    request: Request,
    sessions: Sessions,
    principal: CurrentPrincipal,
    page: Annotated[int, Query(ge=1, le=10**12)] = 1,
) -> Response:
    """The log's key and latest checkpoint, and its entries newest first, each in words."""
    checkpoint = service.latest_checkpoint(sessions)
    found = service.entry_page(sessions, page, PER_PAGE)
    context = {
        "principal": principal,
        "checkpoint": checkpoint,
        "vkey": service.verifier_key(sessions),
        "found": found,
        "lines": _lines(found, page_language(request)),
    }
    return render(request, "log.html", context)


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
