"""The certificate of a compensated bill: its page, its PDF (Chinese text, serials, QR code),
its public verification page and its receipts, zh and en."""

from __future__ import annotations

import copy
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from carbonbridge.tourism import service
from carbonbridge.tourism.certificate import entry_states, receipt_entry
from carbonbridge.tourism.model import StoredBill
from carbonbridge.tourism.web_certificate import qr_svg
from tests.tourism.conftest import HAINAN_TRIP, POOL_OPERATOR, PoolWorld

CARBONBRIDGE = Path(sys.executable).parent / "carbonbridge"


@pytest.fixture
def compensated(pool_world: PoolWorld) -> StoredBill:
    w = pool_world
    service.retire_into_pool(w.sessions, POOL_OPERATOR, w.pool.id, w.project_id, w.vintage, 2)
    bill = service.create_bill(w.sessions, POOL_OPERATOR, copy.deepcopy(HAINAN_TRIP))
    return service.compensate(w.sessions, POOL_OPERATOR, bill.id, w.pool.id, "P-1").bill


def test_certificate_page_names_project_serials_entries_and_claim(
    app_client: Any, compensated: StoredBill
) -> None:
    page = app_client.get(f"/tourism/certificates/{compensated.id}?lang=en")
    assert page.status_code == 200
    a = compensated.allocations[0]
    assert a.project_id in page.text
    assert a.serials[0] in page.text
    assert f"#{a.log_index}" in page.text
    assert "does not state that the trip, the visitor or the destination is carbon neutral" in page.text


def test_certificate_page_in_chinese(app_client: Any, compensated: StoredBill) -> None:
    page = app_client.get(f"/tourism/certificates/{compensated.id}?lang=zh")
    assert "行程碳抵消证书" in page.text
    assert "ISO 14068-1:2023" in page.text


def test_certificate_qr_encodes_the_verification_url(app_client: Any, compensated: StoredBill) -> None:
    page = app_client.get(f"/tourism/certificates/{compensated.id}?lang=en")
    url = f"http://testserver/tourism/certificates/{compensated.id}/verify"
    assert f'href="{url}"' in page.text
    assert qr_svg(url)[:-6] in page.text  # the same matrix (svg up to its closing tag)


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg absent: make zbar")
def test_certificate_qr_decodes_to_the_verification_url(
    app_client: Any, compensated: StoredBill, tmp_path: Path
) -> None:
    page = app_client.get(f"/tourism/certificates/{compensated.id}?lang=zh").text
    svg = tmp_path / "qr.svg"
    svg.write_text(page[page.index("<svg") : page.index("</svg>") + len("</svg>")])
    decoded = subprocess.run(
        ["zbarimg", "-q", "--raw", str(svg)], capture_output=True, text=True, timeout=60, check=True
    )
    assert decoded.stdout.strip() == f"http://testserver/tourism/certificates/{compensated.id}/verify"


def test_pdf_has_the_chinese_title_and_the_serials(app_client: Any, compensated: StoredBill) -> None:
    got = app_client.get(f"/tourism/certificates/{compensated.id}/certificate.pdf?lang=zh")
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(got.content)).pages)
    assert "行程碳抵消证书" in text
    for serial in compensated.allocations[0].serials:
        assert serial in re.sub(r"\s+", "", text)


def test_open_bill_has_no_certificate(app_client: Any, pool_world: PoolWorld) -> None:
    bill = service.create_bill(pool_world.sessions, POOL_OPERATOR, copy.deepcopy(HAINAN_TRIP))
    page = app_client.get(f"/tourism/certificates/{bill.id}?lang=en", headers={"accept": "text/html"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")


def test_verification_page_says_the_receipts_agree_with_the_log(
    app_client: Any, compensated: StoredBill
) -> None:
    page = app_client.get(f"/tourism/certificates/{compensated.id}/verify?lang=en")
    assert page.status_code == 200
    assert "Every receipt of this certificate agrees with the transparency log." in page.text
    assert 'data-ok="false"' not in page.text


def test_receipt_downloads_with_the_allocation_entry(app_client: Any, compensated: StoredBill) -> None:
    a = compensated.allocations[0]
    got = app_client.get(f"/tourism/certificates/{compensated.id}/receipts/{a.log_index}")
    assert got.status_code == 200
    assert entry_states(a, receipt_entry(got.text))


def test_downloaded_receipt_verifies_offline(
    app_client: Any, compensated: StoredBill, tmp_path: Path
) -> None:
    """The verification page's files, checked by ``carbonbridge verify`` with no database."""
    a = compensated.allocations[0]
    receipt = tmp_path / "allocation.tlog-proof"
    key = tmp_path / "log.vkey"
    receipt.write_text(app_client.get(f"/tourism/certificates/{compensated.id}/receipts/{a.log_index}").text)
    key.write_text(app_client.get("/tourism/log.vkey").text)
    done = subprocess.run(
        [str(CARBONBRIDGE), "verify", str(receipt), "--key-file", str(key)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "CARBONBRIDGE_DATABASE_URL": "sqlite:///" + str(tmp_path / "none.db")},
    )
    assert done.returncode == 0, done.stderr
    assert f"entry {a.log_index} is in" in done.stdout


def test_unknown_receipt_index_is_a_404(app_client: Any, compensated: StoredBill) -> None:
    url = f"/tourism/certificates/{compensated.id}/receipts/0"
    got = app_client.get(url, headers={"accept": "text/html"})
    assert got.status_code == 404
