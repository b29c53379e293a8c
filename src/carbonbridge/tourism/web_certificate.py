"""Web: a compensated bill's certificate (``/tourism/certificates/{id}``) as a page and a PDF,
each with a QR code to the certificate's public verification page
(``/tourism/certificates/{id}/verify``), which checks the allocations' receipts against the log;
the receipts themselves download for ``carbonbridge verify`` offline. All public: whoever holds
the bill's id (from the visitor's QR code) may read and check its certificate.

The PDF is the page's own markup printed by WeasyPrint (fonts: Debian ``fonts-noto-cjk``, ``make
fonts-cjk``); the QR code is drawn by the ``qrcode`` library as SVG, which both the browser and
WeasyPrint render as vectors.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from carbonbridge.kernel.errors import FieldIssue, NotFound
from carbonbridge.platform.deps import CurrentPrincipal, Sessions
from carbonbridge.platform.web import PageRoute, render
from carbonbridge.tourism import service
from carbonbridge.tourism.certificate import CLAIM_STANDARD, Certificate

router = APIRouter(include_in_schema=False, route_class=PageRoute)

#: the CJK face WeasyPrint uses for the PDF; Noto Sans CJK SC covers both Chinese and Latin text
PDF_FONT = "Noto Sans CJK SC"


def qr_svg(url: str) -> str:
    """``url`` as a QR code (error correction M), an inline SVG element."""
    import qrcode  # type: ignore[import-untyped]
    from qrcode.image.svg import SvgPathImage  # type: ignore[import-untyped]

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(url)
    code.make(fit=True)
    svg: str = code.make_image(image_factory=SvgPathImage).to_string(encoding="unicode")
    return svg[svg.index("<svg") :]  # inline: without the XML declaration


def verification_url(request: Request, bill_id: str) -> str:
    return str(request.url_for("certificate_verification", bill_id=bill_id))


def _context(request: Request, principal: Any, cert: Certificate) -> dict[str, Any]:
    url = verification_url(request, cert.id)
    return {
        "principal": principal,
        "cert": cert,
        "bill": cert.bill,
        "standard": CLAIM_STANDARD,
        "verify_url": url,
        "qr": qr_svg(url),
    }


@router.get("/tourism/certificates/{bill_id}", response_class=HTMLResponse, name="certificate_page")
def certificate_page(
    request: Request, sessions: Sessions, principal: CurrentPrincipal, bill_id: str
) -> Response:
    """The certificate: what was quantified and how, what was retired for it, the log entries."""
    cert = service.certificate(sessions, bill_id)
    return render(request, "tourism_certificate.html", _context(request, principal, cert))


def _pdf(html: str) -> bytes:
    from weasyprint import HTML  # type: ignore[import-untyped]

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


@router.get("/tourism/certificates/{bill_id}/certificate.pdf", name="certificate_pdf")
async def certificate_pdf(
    request: Request, sessions: Sessions, principal: CurrentPrincipal, bill_id: str
) -> Response:
    """The certificate as a PDF (A4), in the page's language."""
    cert = await run_in_threadpool(service.certificate, sessions, bill_id)
    context = {**_context(request, principal, cert), "pdf_font": PDF_FONT}
    html = bytes(render(request, "tourism_certificate_pdf.html", context).body).decode()
    pdf = await run_in_threadpool(_pdf, html)
    disposition = f'inline; filename="carbon-certificate-{cert.id}.pdf"'
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})


@router.get(
    "/tourism/certificates/{bill_id}/verify", response_class=HTMLResponse, name="certificate_verification"
)
def certificate_verification(
    request: Request, sessions: Sessions, principal: CurrentPrincipal, bill_id: str
) -> Response:
    """The public verification page: the bill's items, the retirement, each receipt and whether
    it agrees with the log now."""
    cert = service.certificate(sessions, bill_id)
    checks = service.check_certificate(sessions, cert)
    context = {
        **_context(request, principal, cert),
        "checks": checks,
        "vkey": service.log_verifier_key(sessions),
        "all_ok": all(c.ok for c in checks),
    }
    return render(request, "tourism_verify.html", context)


@router.get("/tourism/certificates/{bill_id}/receipts/{index}", name="certificate_receipt")
def certificate_receipt(sessions: Sessions, bill_id: str, index: int) -> Response:
    """The log's receipt for the allocation logged at ``index``, against its latest checkpoint
    (a c2sp.org/tlog-proof file for ``carbonbridge verify FILE --key-file log.vkey``)."""
    cert = service.certificate(sessions, bill_id)
    for check in service.check_certificate(sessions, cert):
        if check.allocation.log_index == index:
            disposition = f'attachment; filename="{cert.id}-{index}.tlog-proof"'
            return PlainTextResponse(check.receipt, headers={"Content-Disposition": disposition})
    raise NotFound(
        f"certificate {bill_id} has no receipt for log entry {index}",
        [FieldIssue(("index",), index, "one of the certificate's log entries")],
    )


@router.get("/tourism/log.vkey", name="certificate_log_key")
def log_key(sessions: Sessions) -> Response:
    """The transparency log's verifier key, for checking receipts offline."""
    key = service.log_verifier_key(sessions)
    return PlainTextResponse(key + "\n", headers={"Content-Disposition": 'attachment; filename="log.vkey"'})
